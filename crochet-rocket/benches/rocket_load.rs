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

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crochet_rocket::{Crochet, Offload, RouteError};
use crochet_tests::wrk::{self, Wrk, env_or};
use rocket::fairing::AdHoc;
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
    thread::sleep(Duration::from_millis(1));
    "ok"
}

/// Launches Rocket on two workers; returns its address and shutdown handle.
fn launch() -> (SocketAddr, rocket::Shutdown, mpsc::Receiver<()>) {
    let config = rocket::Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        workers: 2,
        log_level: rocket::config::LogLevel::Off,
        cli_colors: false,
        shutdown: rocket::config::Shutdown {
            ctrlc: false,
            signals: HashSet::new(),
            grace: 1,
            mercy: 1,
            ..Default::default()
        },
        ..rocket::Config::release_default()
    };
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let rocket = rocket::custom(config)
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
        )
        .attach(AdHoc::on_liftoff("bench: bound port", move |rocket| {
            Box::pin(async move {
                let _ = ready_tx.send((rocket.config().port, rocket.shutdown()));
            })
        }));
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rocket-worker-thread")
            .enable_all()
            .build()
            .expect("a runtime");
        if let Err(err) = runtime.block_on(rocket.launch()) {
            eprintln!("rocket_load: Rocket failed: {err}");
        }
        runtime.shutdown_timeout(Duration::from_secs(5));
        let _ = done_tx.send(());
    });
    let (port, shutdown) = ready_rx.recv_timeout(PATIENCE).expect("Rocket lifted off");
    (
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        shutdown,
        done_rx,
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

    let (addr, shutdown, done) = launch();
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
    shutdown.notify();
    if done.recv_timeout(PATIENCE).is_err() {
        eprintln!("rocket_load: Rocket did not shut down in time");
    }
}
