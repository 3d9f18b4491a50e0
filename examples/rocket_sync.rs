//! Rocket and Crochet: a synchronous route calling async code, an async
//! route offloading blocking work to Crochet's pool, and a blocking
//! `SyncHandler` app mounted under `/legacy`.
//!
//! Rocket's own runtime is the reactor (the Crochet fairing attaches to it
//! at ignite and stops it at shutdown). The example starts on 127.0.0.1
//! with an ephemeral port, drives itself with a few requests, prints the
//! answers, and shuts down.
//!
//! ```text
//! cargo run -p crochet-examples --example rocket_sync
//! ```
#![allow(clippy::print_stdout)]

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crochet_core::wait_for;
use crochet_rocket::{Crochet, Offload, RouteError, SyncApp};
use crochet_sync_http::{Request, Response};
use rocket::fairing::AdHoc;
use rocket::{State, get, routes};
use tokio::sync::Mutex;

/// An async service, as an async database client would be.
#[derive(Default)]
struct Visits {
    counts: Mutex<HashMap<String, u64>>,
}

impl Visits {
    /// Blocking API over the async service: synchronous routes can call it.
    #[wait_for(timeout = "2s")]
    async fn record(&self, page: &str) -> u64 {
        tokio::time::sleep(Duration::from_millis(1)).await; // a network round trip
        let mut counts = self.counts.lock().await;
        let count = counts.entry(page.to_owned()).or_default();
        *count += 1;
        *count
    }
}

/// A synchronous route: it runs on a Rocket worker and blocks in
/// `wait_for` (Crochet hands the worker's other tasks off meanwhile).
#[get("/hello/<name>")]
fn hello(name: &str, visits: &State<Visits>) -> Result<String, RouteError> {
    let count = visits.record(name)?;
    Ok(format!(
        "hello {name}, visit #{count} (a synchronous route)\n"
    ))
}

/// An async route with blocking work: it runs on Crochet's bounded pool,
/// not on Rocket's workers, and may still call async code back.
#[get("/report")]
async fn report(offload: Offload) -> Result<String, RouteError> {
    offload
        .run(|| {
            std::thread::sleep(Duration::from_millis(5)); // a blocking driver, say
            let total = crochet_core::wait_for(Duration::from_secs(2), async { 6 * 7 })
                .map_or_else(|err| err.to_string(), |n| n.to_string());
            format!("report {total}, built on Crochet's worker pool\n")
        })
        .await
}

/// A blocking app written against the WSGI-like interface.
fn legacy(request: Request) -> Response {
    Response::new(format!("legacy app: {} {}\n", request.method(), request.uri()).into())
}

fn config() -> rocket::Config {
    rocket::Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        log_level: rocket::config::LogLevel::Off,
        cli_colors: false,
        ..rocket::Config::release_default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rocket = rocket::custom(config())
        .attach(Crochet::fairing())
        .manage(Visits::default())
        .mount("/", routes![hello, report])
        .mount("/legacy", SyncApp::new(legacy))
        .attach(AdHoc::on_liftoff("drive the example", |rocket| {
            Box::pin(async move {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, rocket.config().port));
                let shutdown = rocket.shutdown();
                println!("serving on http://{addr}");
                // Play the browser from a plain thread, then stop Rocket.
                std::thread::spawn(move || {
                    for path in ["/hello/ada", "/hello/ada", "/report", "/legacy/users?id=7"] {
                        match common::get(addr, path, None) {
                            Ok(reply) => {
                                print!("GET {path:<19} -> {} {}", reply.status, reply.body)
                            }
                            Err(err) => println!("GET {path} failed: {err}"),
                        }
                    }
                    shutdown.notify();
                });
            })
        }));
    rocket::execute(rocket.launch())?;
    println!("Rocket and Crochet shut down");
    Ok(())
}
