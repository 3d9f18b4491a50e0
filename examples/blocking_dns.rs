//! A blocking `gethostbyname` built on tokio's async resolver: the first
//! example of Python Crochet's documentation (`blockingdns.py`), in Rust.
//!
//! The library function below hides the reactor entirely. Its callers are
//! plain blocking code: no runtime, no `async fn main`.
//!
//! ```text
//! cargo run -p crochet-examples --example blocking_dns -- localhost no-such-host.invalid
//! ```
#![allow(clippy::print_stdout)]

use std::io;
use std::net::IpAddr;
use std::time::Duration;

/// Why a lookup failed.
#[derive(Debug)]
enum LookupError {
    /// The resolver answered, but not with an address.
    NotFound(io::Error),
    /// The reactor could not run the lookup (timeout, shutdown, ...).
    Crochet(crochet_core::Error),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::NotFound(err) => write!(f, "no address: {err}"),
            LookupError::Crochet(err) => write!(f, "lookup did not finish: {err}"),
        }
    }
}

/// Resolves `name` to its first IP address, blocking for at most five
/// seconds.
fn gethostbyname(name: &str) -> Result<IpAddr, LookupError> {
    // The future borrows `name`: wait_for polls it on this thread.
    let lookup = crochet_core::wait_for(Duration::from_secs(5), async {
        let mut addresses = tokio::net::lookup_host((name, 0)).await?;
        addresses
            .next()
            .map(|address| address.ip())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no addresses"))
    });
    match lookup {
        Ok(Ok(ip)) => Ok(ip),
        Ok(Err(err)) => Err(LookupError::NotFound(err)),
        Err(err) => Err(LookupError::Crochet(err)),
    }
}

fn main() {
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names = vec!["localhost".into(), "no-such-host.invalid".into()];
    }
    for name in names {
        match gethostbyname(&name) {
            Ok(ip) => println!("{name} -> {ip}"),
            Err(err) => println!("{name} -> failed: {err}"),
        }
    }
}
