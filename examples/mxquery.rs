//! A command-line style MX lookup from blocking code, through Crochet:
//! Python Crochet's `mxquery.py`, in Rust, with hickory's async resolver
//! in place of Twisted Names.
//!
//! To run offline, the example starts its own DNS responder on 127.0.0.1
//! (UDP, an ephemeral port; see `common/dns_responder.rs`) and points the
//! resolver at it and nothing else. It then looks up, from plain blocking
//! `main`:
//!
//! 1. `example.test`: the mail servers, sorted by preference;
//! 2. `nowhere.example.test`: NXDOMAIN, reported as a clear error;
//! 3. `silent.example.test`: the responder never answers, so the blocking
//!    call returns Crochet's `Error::Timeout` within its one-second bound
//!    (and the lookup is dropped).
//!
//! ```text
//! cargo run -p crochet-examples --example mxquery
//! ```
#![allow(clippy::print_stdout)]

#[path = "common/dns_responder.rs"]
mod dns_responder;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crochet_core::wait_for;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use dns_responder::Responder;

/// The bound on every blocking lookup (the `#[wait_for]` timeout below).
const BOUND: Duration = Duration::from_secs(1);

// ---- the blocking API ---------------------------------------------------------

/// MX lookups with a blocking API, backed by hickory's async resolver.
struct MailExchangers {
    resolver: TokioResolver,
}

impl MailExchangers {
    /// A resolver that asks only `server`, over UDP from 127.0.0.1.
    fn new(server: SocketAddr) -> Result<Self, NetError> {
        let mut udp = ConnectionConfig::udp();
        udp.port = server.port();
        udp.bind_addr = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        let name_server = NameServerConfig::new(server.ip(), true, vec![udp]);
        let config = ResolverConfig::from_name_servers(vec![name_server]);

        let mut options = ResolverOpts::default();
        options.use_hosts_file = ResolveHosts::Never;
        // hickory's own timeout is longer than Crochet's bound, so the
        // silent name shows Crochet's Timeout, not the resolver's.
        options.timeout = BOUND * 3;
        options.attempts = 1;

        // Building needs no runtime. Lookups run in the reactor (through
        // #[wait_for]), so the connection tasks hickory spawns live there.
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(options)
            .build()?;
        Ok(MailExchangers { resolver })
    }

    /// `(preference, mail server)` pairs for `domain`, most preferred first.
    /// Blocks for at most one second.
    #[wait_for(timeout = BOUND)]
    async fn mx(&self, domain: &str) -> Result<Vec<(u16, String)>, NetError> {
        let lookup = self.resolver.mx_lookup(domain).await?;
        let mut found: Vec<(u16, String)> = lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::MX(mx) => Some((mx.preference, mx.exchange.to_string())),
                _ => None,
            })
            .collect();
        found.sort();
        Ok(found)
    }
}

/// Why a lookup gave no mail servers.
#[derive(Debug)]
enum MxError {
    /// The name does not exist (NXDOMAIN).
    NoSuchDomain(String),
    /// The name exists but has no MX records.
    NoMailServers(String),
    /// The resolver failed some other way.
    Resolver(NetError),
    /// The lookup did not finish in the reactor (here: the timeout).
    Crochet(crochet_core::Error),
}

impl fmt::Display for MxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MxError::NoSuchDomain(domain) => write!(f, "no such domain {domain} (NXDOMAIN)"),
            MxError::NoMailServers(domain) => write!(f, "{domain} has no MX records"),
            MxError::Resolver(err) => write!(f, "lookup failed: {err}"),
            MxError::Crochet(err) => write!(f, "no answer: {err}"),
        }
    }
}

impl std::error::Error for MxError {}

/// The application's view: one call, one error type.
fn mail_servers(mx: &MailExchangers, domain: &str) -> Result<Vec<(u16, String)>, MxError> {
    match mx.mx(domain) {
        Ok(Ok(found)) if found.is_empty() => Err(MxError::NoMailServers(domain.to_owned())),
        Ok(Ok(found)) => Ok(found),
        Ok(Err(err)) if err.is_nx_domain() => Err(MxError::NoSuchDomain(domain.to_owned())),
        Ok(Err(err)) if err.is_no_records_found() => Err(MxError::NoMailServers(domain.to_owned())),
        Ok(Err(err)) => Err(MxError::Resolver(err)),
        Err(err) => Err(MxError::Crochet(err)),
    }
}

// ---- the application -------------------------------------------------------------

/// Looks `domain` up and prints it as `mxquery.py` does; returns what happened.
fn show(mx: &MailExchangers, domain: &str) -> (Result<Vec<(u16, String)>, MxError>, Duration) {
    println!("Mail servers for {domain}:");
    let started = Instant::now();
    let outcome = mail_servers(mx, domain);
    let took = started.elapsed();
    match &outcome {
        Ok(found) => {
            for (preference, server) in found {
                println!("    {preference:>3} {server}");
            }
        }
        Err(err) => println!("    {err}"),
    }
    println!("    ({} ms)", took.as_millis());
    (outcome, took)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The local responder runs in the reactor (set up on first use).
    let responder = crochet_core::wait_for(Duration::from_secs(5), Responder::bind())??;
    let server = responder.local_addr()?;
    let counters = responder.counters();
    let _responder = crochet_core::run_in_reactor(responder.serve());
    println!(
        "DNS responder for {} on {server} (UDP); never answers {}",
        dns_responder::ORIGIN,
        dns_responder::SILENT
    );

    let mx = MailExchangers::new(server)?;

    // 1. Found: sorted by preference (the responder lists them unsorted).
    let (found, _) = show(&mx, "example.test");
    let want = [
        (10, "mx1.example.test."),
        (10, "mx2.example.test."),
        (20, "mx-backup.example.test."),
    ];
    match found {
        Ok(found) if found.iter().map(|(p, s)| (*p, s.as_str())).eq(want) => {}
        other => return Err(format!("example.test: expected {want:?}, got {other:?}").into()),
    }

    // 2. NXDOMAIN: a clear error, not an empty list.
    let (missing, _) = show(&mx, "nowhere.example.test");
    if !matches!(missing, Err(MxError::NoSuchDomain(_))) {
        return Err(format!("nowhere.example.test: expected NXDOMAIN, got {missing:?}").into());
    }

    // 3. No answer: Crochet's Timeout, within the bound.
    let (silent, took) = show(&mx, "silent.example.test");
    match silent {
        Err(MxError::Crochet(err)) if err.is_timeout() => {}
        other => {
            return Err(format!("silent.example.test: expected Timeout, got {other:?}").into());
        }
    }
    if took > BOUND + Duration::from_millis(500) {
        return Err(format!("the {BOUND:?} bound took {took:?}").into());
    }

    // The resolver re-sends an unanswered UDP query a few times until the
    // timeout drops the lookup, so "left unanswered" is usually above one.
    println!(
        "responder: {} queries answered, {} left unanswered (all for {})",
        counters.answered.load(Ordering::Relaxed),
        counters.ignored.load(Ordering::Relaxed),
        dns_responder::SILENT
    );
    crochet_core::shutdown(Duration::from_millis(100));
    Ok(())
}
