//! A blocking API whose implementation is plain `async fn`s: Python
//! Crochet's `async.py` (`@wait_for` on an `async def`), in Rust, plus the
//! background flavour, `#[run_in_reactor]`, with its `EventualResult`.
//!
//! The async side is an ordinary async client for a small key-value
//! "lookup service" that the example starts itself on 127.0.0.1, so it runs
//! offline. The blocking `main` then:
//!
//! 1. calls a `#[wait_for]` function: it blocks for the answer, as
//!    `gethostbyname` does in `async.py`;
//! 2. starts a `#[run_in_reactor]` function that fetches several keys
//!    concurrently, waits with a timeout that is too short (nothing is lost:
//!    the work carries on), does other work, then waits again and gets it;
//! 3. starts a slow fetch, cancels it, and shows that the service saw the
//!    cancelled requests hang up.
//!
//! ```text
//! cargo run -p crochet-examples --example async_fn
//! ```
#![allow(clippy::print_stdout)]

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crochet_core::{EventualResult, run_in_reactor, wait_for};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

// ---- the local service (stands in for a remote one) -------------------------

/// The service's data: key, value, and how long it takes to answer.
const TABLE: [(&str, &str, Duration); 3] = [
    ("greeting", "hello", Duration::from_millis(20)),
    ("weather", "sunny, 21 C", Duration::from_millis(300)),
    ("report", "42 pages", Duration::from_secs(30)),
];

/// Answers `GET <key>` lines; counts open connections in `open`.
async fn lookup_service(listener: TcpListener, open: watch::Sender<usize>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let open = open.clone();
        tokio::spawn(async move {
            open.send_modify(|n| *n += 1);
            answer(stream).await;
            open.send_modify(|n| *n -= 1);
        });
    }
}

async fn answer(stream: TcpStream) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    if read.read_line(&mut line).await.is_err() {
        return;
    }
    let key = line.trim().trim_start_matches("GET ");
    let reply = match TABLE.iter().find(|(k, _, _)| *k == key) {
        Some((_, value, delay)) => {
            // Answer after the delay, unless the client hangs up first.
            let mut rest = [0_u8; 64];
            tokio::select! {
                () = tokio::time::sleep(*delay) => format!("OK {value}\n"),
                _ = read.read(&mut rest) => return,
            }
        }
        None => format!("ERR no such key {key:?}\n"),
    };
    let _ = write.write_all(reply.as_bytes()).await;
}

// ---- the async client (what an async crate would give you) -----------------

/// Fetches one key.
async fn fetch(service: SocketAddr, key: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(service).await?;
    stream.write_all(format!("GET {key}\n").as_bytes()).await?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).await?;
    match reply.trim_end().split_once(' ') {
        Some(("OK", value)) => Ok(value.to_owned()),
        Some(("ERR", why)) => Err(io::Error::new(io::ErrorKind::NotFound, why.to_owned())),
        _ => Err(io::Error::other(format!("bad reply {reply:?}"))),
    }
}

// ---- the blocking API (the Crochet layer) -----------------------------------

/// Looks `key` up, blocking for at most two seconds: `async.py`'s
/// `gethostbyname`. The body is an ordinary async fn body.
#[wait_for(timeout = "2s")]
async fn lookup(service: SocketAddr, key: &str) -> io::Result<String> {
    fetch(service, key).await
}

/// Fetches all `keys` concurrently, in the background; returns at once.
/// Cancelling it drops the fetches in flight (their connections close).
#[run_in_reactor]
async fn fetch_all(service: SocketAddr, keys: Vec<String>) -> io::Result<Vec<(String, String)>> {
    let mut fetches = tokio::task::JoinSet::new();
    for (index, key) in keys.into_iter().enumerate() {
        fetches.spawn(async move {
            let value = fetch(service, &key).await;
            (index, key, value)
        });
    }
    let mut found = Vec::new();
    while let Some(done) = fetches.join_next().await {
        let (index, key, value) = done.map_err(io::Error::other)?;
        found.push((index, key, value?));
    }
    found.sort_by_key(|(index, _, _)| *index);
    Ok(found
        .into_iter()
        .map(|(_, key, value)| (key, value))
        .collect())
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|&name| name.to_owned()).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Start the service inside the reactor (set up implicitly on first use).
    let listener = crochet_core::wait_for(Duration::from_secs(5), async {
        TcpListener::bind("127.0.0.1:0").await
    })??;
    let service = listener.local_addr()?;
    let (open, mut watching) = watch::channel(0_usize);
    let _service = crochet_core::run_in_reactor(lookup_service(listener, open));
    println!("lookup service on {service}");

    // 1. #[wait_for]: a blocking call; errors of the async fn stay inside.
    println!("1. #[wait_for] lookup(..) blocks for the answer");
    let greeting = lookup(service, "greeting")??;
    println!("   lookup(\"greeting\")  -> {greeting:?}");
    match lookup(service, "horoscope")? {
        Ok(value) => return Err(format!("expected no such key, got {value:?}").into()),
        Err(err) => println!("   lookup(\"horoscope\") -> error: {err}"),
    }

    // 2. #[run_in_reactor]: start, time out, keep going, wait again.
    println!("2. #[run_in_reactor] fetch_all(..) returns at once");
    let started = Instant::now();
    let both: EventualResult<io::Result<Vec<(String, String)>>> =
        fetch_all(service, keys(&["greeting", "weather"]));
    match both.wait(Duration::from_millis(100)) {
        Err(err) if err.is_timeout() => {
            println!("   wait(100 ms)  -> timeout: still running, nothing lost");
        }
        other => return Err(format!("expected a timeout, got {other:?}").into()),
    }
    std::thread::sleep(Duration::from_millis(50)); // the blocking app's own work
    let values = match both.wait(Duration::from_secs(5))? {
        Ok(values) => values.clone(),
        Err(err) => return Err(format!("fetch_all failed: {err}").into()),
    };
    println!(
        "   wait(5 s)     -> {values:?} after {} ms",
        started.elapsed().as_millis()
    );
    let again = both
        .wait(Duration::ZERO)?
        .as_ref()
        .map_err(|e| e.to_string())?;
    println!(
        "   wait again    -> the same outcome ({} values)",
        again.len()
    );
    let owned: Vec<(String, String)> = both.take(Duration::ZERO)??;
    println!("   take(..)      -> owned {owned:?}");

    // 3. cancel: the future is dropped in the reactor, fetches and all.
    println!("3. cancel() drops the work in the reactor");
    let slow = fetch_all(service, keys(&["report", "report"]));
    crochet_core::wait_for(
        Duration::from_secs(5),
        watching.wait_for(|&connections| connections == 2),
    )??;
    println!("   fetch_all([report, report]) -> 2 connections open at the service");
    println!("   cancel()      -> {}", slow.cancel());
    match slow.wait(Duration::from_secs(1)) {
        Err(err) if err.is_cancelled() => println!("   wait(1 s)     -> {err}"),
        other => return Err(format!("expected Cancelled, got {other:?}").into()),
    }
    crochet_core::wait_for(
        Duration::from_secs(5),
        watching.wait_for(|&connections| connections == 0),
    )??;
    println!("   service       -> 0 connections open: the cancelled fetches hung up");

    // The service task still runs; stop the reactor with a short grace.
    crochet_core::shutdown(Duration::from_millis(100));
    Ok(())
}
