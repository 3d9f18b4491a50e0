//! The README's demonstration: plain blocking code using async Rust through
//! Crochet, offline.
//!
//! It starts a small async TCP "quote service" on 127.0.0.1 inside the
//! reactor, then, from ordinary blocking `main`:
//!
//! 1. `wait_for`: asks the service for a quote and blocks for the answer;
//! 2. `run_in_reactor`: starts a slow request in the background, waits for
//!    it with a timeout that is too short, then cancels it;
//! 3. `stash` / `retrieve_result`: parks a background result under an id,
//!    as a web app would in a cookie, and picks it up later.
//!
//! ```text
//! cargo run -p crochet-examples --example quickstart
//! ```
#![allow(clippy::print_stdout)]

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crochet_core::{EventualResult, ResultId};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const QUOTES: [&str; 3] = [
    "Simple things should be simple, complex things should be possible.",
    "Make it work, make it right, make it fast.",
    "Use Twisted anywhere.",
];

/// The async service: answers `QUOTE <n>` with a quote, `SLOW` after a
/// long pause.
async fn serve(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            if BufReader::new(read).read_line(&mut line).await.is_err() {
                return;
            }
            let reply = match line.trim() {
                "SLOW" => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "finally".to_owned()
                }
                other => {
                    let n: usize = other.trim_start_matches("QUOTE ").parse().unwrap_or(0);
                    QUOTES[n % QUOTES.len()].to_owned()
                }
            };
            let _ = write.write_all(format!("{reply}\n").as_bytes()).await;
        });
    }
}

/// An async client call, as an async database or HTTP client would offer.
async fn ask(address: SocketAddr, request: String) -> io::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(format!("{request}\n").as_bytes()).await?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).await?;
    Ok(reply.trim_end().to_owned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Start the service in the reactor (set up implicitly on first use).
    let listener = crochet_core::wait_for(Duration::from_secs(5), async {
        TcpListener::bind("127.0.0.1:0").await
    })??;
    let address = listener.local_addr()?;
    let _service = crochet_core::run_in_reactor(serve(listener));
    println!("quote service listening on {address}");

    // 1. wait_for: block until the async call finishes.
    let quote = crochet_core::wait_for(Duration::from_secs(5), ask(address, "QUOTE 1".into()))??;
    println!("1. wait_for            -> {quote:?}");

    // 2. run_in_reactor: start it, do other work, check with a timeout.
    let slow: EventualResult<io::Result<String>> =
        crochet_core::run_in_reactor(ask(address, "SLOW".into()));
    match slow.wait(Duration::from_millis(200)) {
        Ok(reply) => println!("2. run_in_reactor      -> {reply:?}"),
        Err(err) => println!("2. run_in_reactor      -> still running after 200 ms ({err})"),
    }
    println!("   cancel              -> {}", slow.cancel());
    println!(
        "   wait after cancel   -> {}",
        slow.wait(Duration::from_secs(1)).unwrap_err()
    );

    // 3. stash / retrieve: a web app keeps the id in a cookie.
    let id: ResultId = crochet_core::run_in_reactor(ask(address, "QUOTE 2".into())).stash()?;
    let cookie = id.to_string();
    println!("3. stashed             -> id {cookie}");
    let again: ResultId = cookie.parse()?;
    let result = crochet_core::retrieve_result::<io::Result<String>>(again)?;
    let quote = result.take(Duration::from_secs(5))??;
    println!("   retrieved           -> {quote:?}");
    println!(
        "   retrieved twice?    -> {}",
        crochet_core::retrieve_result::<io::Result<String>>(again).unwrap_err()
    );

    let stats = crochet_core::setup().stats();
    println!(
        "stats: {} completed, {} cancelled, {} still running (the service)",
        stats.completed, stats.cancelled, stats.results_pending
    );
    // The service task is still running: the reactor stops it when main
    // returns, after its grace period (shortened here).
    crochet_core::shutdown(Duration::from_millis(100));
    Ok(())
}
