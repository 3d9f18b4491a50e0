//! Loopback HTTP load benchmark for crochet-rocket (see BENCHMARKS.md,
//! "crochet-rocket: synchronous routes").
//!
//! A Rocket server (two workers, Crochet's fairing attached to its runtime)
//! serves the same async work several ways, measured in the same run with
//! wrk:
//!
//! | case | route |
//! |---|---|
//! | `async_yield` | `async fn`, awaits `tokio::task::yield_now()` (the peer) |
//! | `sync_wait_for_yield` | `fn`, `crochet.wait_for(yield_now())` |
//! | `offload_yield` | `async fn`, `Offload::run` of a closure that `wait_for`s it |
//! | `async_sleep_1ms` | `async fn`, awaits a 1 ms `tokio::time::sleep` (the peer) |
//! | `sync_wait_for_sleep_1ms` | `fn`, `crochet.wait_for` of the same sleep |
//! | `sync_blocking_sleep_1ms` | `fn`, `std::thread::sleep(1 ms)`: the hazard, no Crochet |
//! | `spawn_blocking_sleep_1ms` | `async fn`, `std::thread::sleep(1 ms)` in `tokio::task::spawn_blocking` (the peer) |
//! | `offload_sleep_1ms` | `async fn`, `Offload::run` of `std::thread::sleep(1 ms)` |
//!
//! Each case, in each round (in the reverse order every other round), gets
//! a Rocket of its own, launched afresh, warmed up for 1 s at 64
//! connections (or fewer, if the run has fewer), then measured at the
//! run's connections. Around the measured run the bench notes the
//! process's resident memory ("RSS before"), resets its high-water mark
//! (`VmHWM`) and samples the thread count ([`crochet_tests::memory`]), so
//! the "peak RSS" is that one server's, its peer's measured beside it in
//! the same process. Memory earlier servers freed but the allocator kept
//! stays in "RSS before" and may be reused: the "growth" (peak less before)
//! is a lower bound, the peak an upper bound; alone in a process
//! (`ROCKET_LOAD_ONLY` with one case, `ROCKET_LOAD_ROUNDS=1`), the peak is
//! the case's own. Run at `ROCKET_LOAD_CONNECTIONS=640` and `3200` (10x
//! and 50x the pool's 64 workers), this is the overload check: how many
//! 503s the pool's excess gets, and how far memory grows. After the run, 5
//! plain `GET`s of the case, one after another, check the server is
//! healthy ("after": `200 ×5`).
//!
//! Without `--bench` (as `cargo test --benches` runs it) it returns at once.
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
use crochet_tests::memory::{Window, mib};
use crochet_tests::rocket_server::{self, RocketServer};
use crochet_tests::wrk::{self, Wrk, env_or};
use rocket::http::Status;
use rocket::{get, routes};

const PATIENCE: Duration = Duration::from_secs(30);
const CASES: [&str; 8] = [
    "async_yield",
    "sync_wait_for_yield",
    "offload_yield",
    "async_sleep_1ms",
    "sync_wait_for_sleep_1ms",
    "sync_blocking_sleep_1ms",
    "spawn_blocking_sleep_1ms",
    "offload_sleep_1ms",
];
const WARM_UP_SECS: u64 = 1;
/// The warm-up's connections (at most): the load the server sees before
/// the measured run, whose peak memory is measured from there.
const WARM_UP_CONNECTIONS: usize = 64;
/// Plain requests after each measured run: is the server still healthy?
const HEALTH_PROBES: usize = 5;

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

#[get("/spawn_blocking_sleep_1ms")]
async fn spawn_blocking_sleep_1ms() -> Result<&'static str, Status> {
    tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(1)))
        .await
        .map(|()| "ok")
        .map_err(|_| Status::InternalServerError)
}

#[get("/offload_sleep_1ms")]
async fn offload_sleep_1ms(offload: Offload) -> Result<&'static str, RouteError> {
    offload
        .run(|| {
            std::thread::sleep(Duration::from_millis(1));
            "ok"
        })
        .await
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
                    sync_blocking_sleep_1ms,
                    spawn_blocking_sleep_1ms,
                    offload_sleep_1ms
                ],
            ),
    )
}

const WRK: Wrk = Wrk {
    bench: "rocket_load",
    cpus_var: "ROCKET_LOAD_WRK_CPUS",
};

/// Launches a Rocket for `case`, warms it up, measures it; one table row.
fn measure(case: &str, round: usize, connections: usize, secs: u64) -> String {
    let server = launch();
    let url = server.url(&format!("/{case}"));
    let _ = WRK.run(&url, connections.min(WARM_UP_CONNECTIONS), WARM_UP_SECS);
    std::thread::sleep(Duration::from_millis(200));
    let window = Window::start();
    let result = WRK.run(&url, connections, secs);
    let peak = window.finish();
    let after = wrk::health(&url, HEALTH_PROBES);
    if let Err(err) = server.stop() {
        eprintln!("rocket_load: Rocket failed: {err}");
    }
    std::thread::sleep(Duration::from_millis(200));
    match result {
        Some(r) => format!(
            "| {case} | {round} | {:.0} | {:.0} | {:.2} ms | {:.2} ms | {} | {} | {} | {} | {} | {} | {after} |",
            r.requests_per_sec,
            r.ok_per_sec(),
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.non_2xx,
            r.errors(),
            mib(peak.before_kib),
            peak.peak_text(),
            mib(peak.growth_kib()),
            peak.threads,
        ),
        None => format!("| {case} | {round} | failed | | | | | | | | | | {after} |"),
    }
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return; // `cargo test --benches`: nothing to check without a load
    }
    if !wrk::available() {
        eprintln!("rocket_load: wrk is not installed; skipped");
        return;
    }
    let secs = env_or("ROCKET_LOAD_SECS", 5_u64);
    let rounds = env_or("ROCKET_LOAD_ROUNDS", 2_usize);
    let connections = env_or("ROCKET_LOAD_CONNECTIONS", 64_usize);
    let cases: Vec<&str> = CASES
        .iter()
        .copied()
        .filter(|case| wrk::wanted("ROCKET_LOAD_ONLY", case))
        .collect();

    println!(
        "rocket_load: {connections} connections, {secs} s per case after a {WARM_UP_SECS} s warm-up at {} connections, \
         {rounds} rounds, wrk on CPUs {:?}; load average at the start: {}",
        connections.min(WARM_UP_CONNECTIONS),
        std::env::var("ROCKET_LOAD_WRK_CPUS").unwrap_or_else(|_| "any".into()),
        wrk::load_average(),
    );
    println!(
        "RSS and threads: this process during the measured run, a fresh Rocket per row, VmHWM reset just before it \
         (growth: the peak less the RSS before); \
         after: {HEALTH_PROBES} plain GETs of the case once the run is over."
    );
    println!();
    println!(
        "| case | round | req/s | 2xx/s | p50 | p99 | non-2xx | socket errors | RSS before | peak RSS | growth | peak threads | after |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for round in 1..=rounds {
        // Alternate the order each round (memory a server leaves behind
        // stays in this process: the later servers start from more).
        let mut order = cases.clone();
        if round % 2 == 0 {
            order.reverse();
        }
        for case in order {
            println!("{}", measure(case, round, connections, secs));
        }
    }
}
