//! Loopback HTTP load benchmark for crochet-rocket (see BENCHMARKS.md,
//! "crochet-rocket: synchronous routes").
//!
//! One Rocket server (two workers, Crochet's fairing attached to its
//! runtime) serves the same async work three ways, measured in the same
//! run with wrk:
//!
//! | case | route |
//! |---|---|
//! | `async_yield` | `async fn`, awaits `tokio::task::yield_now()` (the peer) |
//! | `sync_wait_for_yield` | `fn`, `crochet.wait_for(yield_now())` |
//! | `offload_yield` | `async fn`, `Offload::run` of a closure that `wait_for`s it |
//! | `async_sleep_1ms` | `async fn`, awaits a 1 ms `tokio::time::sleep` (the peer) |
//! | `sync_wait_for_sleep_1ms` | `fn`, `crochet.wait_for` of the same sleep |
//! | `sync_blocking_sleep_1ms` | `fn`, `std::thread::sleep(1 ms)`: the hazard, no Crochet |
//!
//! Run: `cargo bench -p crochet-rocket --bench rocket_load` (needs wrk;
//! `bash crochet-rocket/benches/rocket_load.sh` runs it unpinned and pinned).
//! Environment: `ROCKET_LOAD_SECS` (per case, default 5),
//! `ROCKET_LOAD_ROUNDS` (default 2), `ROCKET_LOAD_CONNECTIONS` (default 64),
//! `ROCKET_LOAD_WRK_CPUS` (a `taskset -c` CPU list for wrk, e.g. `1` when
//! this process runs under `taskset -c 0`), `ROCKET_LOAD_ONLY` (a comma
//! list of case names).
#![allow(clippy::print_stdout, missing_docs)]

use std::time::Duration;

use crochet_rocket::{Crochet, Offload, RouteError};
use crochet_tests::rocket_server::{self, RocketServer};
use crochet_tests::wrk::{self, Wrk, env_or};
use rocket::{get, routes};

const PATIENCE: Duration = Duration::from_secs(30);
const CASES: [&str; 6] = [
    "async_yield",
    "sync_wait_for_yield",
    "offload_yield",
    "async_sleep_1ms",
    "sync_wait_for_sleep_1ms",
    "sync_blocking_sleep_1ms",
];

#[get("/async_yield")]
async fn async_yield() -> &'static str {
    tokio::task::yield_now().await;
    "ok"
}

#[get("/sync_wait_for_yield")]
fn sync_wait_for_yield(crochet: &Crochet) -> Result<&'static str, RouteError> {
    crochet.wait_for(PATIENCE, tokio::task::yield_now())?;
    Ok("ok")
}

#[get("/offload_yield")]
async fn offload_yield(offload: Offload) -> Result<&'static str, RouteError> {
    offload
        .try_run(|| crochet_core::wait_for(PATIENCE, tokio::task::yield_now()).map(|()| "ok"))
        .await
        .map_err(|err| match err {
            RouteError::Crochet(err) | RouteError::Route(err) => RouteError::Crochet(err),
        })
}

#[get("/async_sleep_1ms")]
async fn async_sleep_1ms() -> &'static str {
    tokio::time::sleep(Duration::from_millis(1)).await;
    "ok"
}

#[get("/sync_wait_for_sleep_1ms")]
fn sync_wait_for_sleep_1ms(crochet: &Crochet) -> Result<&'static str, RouteError> {
    crochet.wait_for(PATIENCE, tokio::time::sleep(Duration::from_millis(1)))?;
    Ok("ok")
}

#[get("/sync_blocking_sleep_1ms")]
fn sync_blocking_sleep_1ms() -> &'static str {
    std::thread::sleep(Duration::from_millis(1));
    "ok"
}

/// Launches Rocket (the test kit's loopback config: two workers, port 0,
/// quiet) with the fairing and the bench's routes.
fn launch() -> RocketServer {
    rocket_server::launch(
        rocket_server::rocket()
            .attach(Crochet::fairing().global(false))
            .mount(
                "/",
                routes![
                    async_yield,
                    sync_wait_for_yield,
                    offload_yield,
                    async_sleep_1ms,
                    sync_wait_for_sleep_1ms,
                    sync_blocking_sleep_1ms
                ],
            ),
    )
}

const WRK: Wrk = Wrk {
    bench: "rocket_load",
    cpus_var: "ROCKET_LOAD_WRK_CPUS",
};

fn main() {
    if !wrk::available() {
        eprintln!("rocket_load: wrk is not installed; skipped");
        return;
    }
    let secs = env_or("ROCKET_LOAD_SECS", 5_u64);
    let rounds = env_or("ROCKET_LOAD_ROUNDS", 2_usize);
    let connections = env_or("ROCKET_LOAD_CONNECTIONS", 64_usize);
    let only = std::env::var("ROCKET_LOAD_ONLY").unwrap_or_default();
    let cases: Vec<&str> = CASES
        .iter()
        .copied()
        .filter(|case| only.is_empty() || only.split(',').any(|o| o.trim() == *case))
        .collect();

    let server = launch();
    let addr = server.addr;
    println!(
        "rocket_load: {connections} connections, {secs} s per case, {rounds} rounds, wrk on CPUs {:?}",
        std::env::var("ROCKET_LOAD_WRK_CPUS").unwrap_or_else(|_| "any".into())
    );
    println!();
    println!("| case | round | req/s | p50 | p99 | non-2xx | socket errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for round in 1..=rounds {
        for case in &cases {
            match WRK.run(&format!("http://{addr}/{case}"), connections, secs) {
                Some(r) => println!(
                    "| {case} | {round} | {:.0} | {:.2} ms | {:.2} ms | {} | {} |",
                    r.requests_per_sec,
                    r.p50.as_secs_f64() * 1e3,
                    r.p99.as_secs_f64() * 1e3,
                    r.non_2xx,
                    r.errors()
                ),
                None => println!("| {case} | {round} | failed | | | | |"),
            }
        }
    }
    if let Err(err) = server.stop() {
        eprintln!("rocket_load: Rocket failed: {err}");
    }
}
