//! An exchange rate kept fresh by an async poller in the background, hidden
//! behind a plain blocking API: Python Crochet's `scheduling.py` and its
//! "hide the reactor" advice, in Rust.
//!
//! The rates come from a local TCP "rate feed" the example starts itself on
//! 127.0.0.1, so it runs offline. The blocking `main` reads the latest rate
//! a few times while the poller updates it on a timer, then stops it.
//!
//! ```text
//! cargo run -p crochet-examples --example scheduling
//! ```
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crochet_core::{EventualResult, run_in_reactor, wait_for};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

// ---- the async side (what an async crate would give you) -----------------

/// A local feed: each connection gets one `PAIR,RATE` line; the rate drifts
/// a little on every request.
async fn rate_feed(listener: TcpListener) {
    let requests = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let n = requests.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            // A deterministic wobble around 1.0800.
            let rate = 1.08 + 0.002 * ((n as f64) * 0.9).sin();
            let mut stream = stream;
            let _ = stream
                .write_all(format!("EURUSD,{rate:.4}\n").as_bytes())
                .await;
        });
    }
}

/// Downloads the current rate once.
async fn download(feed: SocketAddr) -> std::io::Result<f64> {
    let stream = TcpStream::connect(feed).await?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await?;
    line.trim()
        .split(',')
        .nth(1)
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad feed line {line:?}")))
}

/// The async exchange rate: a value plus the loop that refreshes it.
struct ExchangeRate {
    feed: SocketAddr,
    value: watch::Sender<Option<f64>>,
}

impl ExchangeRate {
    /// Downloads now and then every `period`, like Twisted's `LoopingCall`.
    async fn poll_forever(&self, period: Duration) {
        let mut ticks = tokio::time::interval(period);
        loop {
            ticks.tick().await;
            match download(self.feed).await {
                Ok(rate) => {
                    self.value.send_replace(Some(rate));
                }
                Err(err) => eprintln!("failed to download the rate: {err}"),
            }
        }
    }
}

// ---- the blocking API (what the rest of the program sees) ----------------

/// Blocking access to an exchange rate refreshed in the background.
struct ExchangeRateClient {
    rate: Arc<ExchangeRate>,
    poller: EventualResult<()>,
}

/// Runs the poller in the reactor; returns at once.
#[run_in_reactor]
async fn start_polling(rate: Arc<ExchangeRate>, period: Duration) {
    rate.poll_forever(period).await;
}

impl ExchangeRateClient {
    fn start(feed: SocketAddr, period: Duration) -> Self {
        let rate = Arc::new(ExchangeRate {
            feed,
            value: watch::Sender::new(None),
        });
        let poller = start_polling(rate.clone(), period);
        ExchangeRateClient { rate, poller }
    }

    /// The latest rate, waiting (at most a second) for the first download.
    #[wait_for(timeout = "1s")]
    async fn latest_value(&self) -> Option<f64> {
        let mut updates = self.rate.value.subscribe();
        let first = updates.wait_for(Option::is_some).await.ok()?;
        *first
    }

    /// Stops the poller (it is dropped in the reactor).
    fn stop(self) -> bool {
        self.poller.cancel()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Start the local feed inside the reactor.
    let listener = crochet_core::wait_for(Duration::from_secs(5), async {
        TcpListener::bind("127.0.0.1:0").await
    })??;
    let feed = listener.local_addr()?;
    let _feed = crochet_core::run_in_reactor(rate_feed(listener));
    println!("rate feed on {feed}; polling it every 100 ms in the background");

    let eurusd = ExchangeRateClient::start(feed, Duration::from_millis(100));
    for tick in 0..8 {
        match eurusd.latest_value()? {
            Some(rate) => println!("t={:.1}s  EURUSD {rate:.4}", f64::from(tick) * 0.25),
            None => println!("no rate yet"),
        }
        std::thread::sleep(Duration::from_millis(250)); // the blocking app's own work
    }
    println!("poller stopped: {}", eurusd.stop());
    crochet_core::shutdown(Duration::from_millis(100));
    Ok(())
}
