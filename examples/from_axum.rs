//! An async axum server that owns the runtime and hosts a blocking app,
//! which calls async code back through Crochet: Python Crochet's
//! `fromtwisted.py` (a Twisted app hosting a blocking WSGI app), in Rust.
//!
//! The server's runtime is the reactor (`no_setup`): no second runtime.
//! The example drives itself with a few requests, prints the answers, and
//! shuts down.
//!
//! ```text
//! cargo run -p crochet-examples --example from_axum
//! ```
#![allow(clippy::print_stdout)]

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crochet_core::wait_for;
use crochet_sync_http::{Container, Request, Response};
use tokio::sync::Mutex;

/// An async service, as an async database client would be.
#[derive(Default)]
struct Visits {
    counts: Mutex<HashMap<String, u64>>,
}

impl Visits {
    /// Blocking API over the async service: the handler below is ordinary
    /// blocking code.
    #[wait_for(timeout = "2s")]
    async fn record(&self, page: &str) -> u64 {
        let mut counts = self.counts.lock().await;
        let count = counts.entry(page.to_owned()).or_default();
        *count += 1;
        *count
    }
}

/// The blocking app (think: a legacy WSGI-style application).
fn blocking_app(visits: Arc<Visits>) -> impl Fn(Request) -> Response + Send + Sync + 'static {
    move |request: Request| {
        let page = request.uri().path().to_owned();
        let thread = std::thread::current().name().unwrap_or("?").to_owned();
        match visits.record(&page) {
            Ok(count) => Response::new(
                format!("{page}: visit #{count}, served by blocking thread {thread}\n").into(),
            ),
            Err(err) => {
                let mut response = Response::new(format!("{err}\n").into());
                *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
                response
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Crochet attaches to this runtime instead of starting its own.
    crochet_core::no_setup(tokio::runtime::Handle::current())?;

    let visits = Arc::new(Visits::default());
    let app = axum::Router::new()
        .route(
            "/async",
            axum::routing::get(|| async { "an async route, beside the blocking app\n" }),
        )
        .fallback_service(Container::new(blocking_app(visits)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    println!("serving on http://{addr}");

    // Play the browser, from a blocking thread.
    tokio::task::spawn_blocking(move || {
        for path in ["/", "/about", "/", "/async"] {
            match common::get(addr, path, None) {
                Ok(reply) => print!("GET {path:<7} -> {} {}", reply.status, reply.body),
                Err(err) => println!("GET {path} failed: {err}"),
            }
        }
    })
    .await?;

    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(5), server).await???;
    Ok(())
}
