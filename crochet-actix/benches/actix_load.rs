#![allow(clippy::print_stdout)]
//! Loopback HTTP load benchmark for crochet-actix, driven by `wrk`
//! (`cargo bench -p crochet-actix --bench actix_load`).
//!
//! Three actix-web servers, one at a time, each on 127.0.0.1 with an
//! ephemeral port and 2 actix workers, all in this one process:
//!
//! * `blocking`: a handler wrapped with [`crochet_actix::blocking`], on a
//!   [`Crochet`] with the default pool (64 workers) on the global reactor;
//! * `web_block`: the peer, an async actix handler running the same body in
//!   `actix_web::web::block`;
//! * `sync_service`: the same body as a `SyncHandler` mounted with
//!   [`SyncService`] (default settings, global reactor).
//!
//! Two bodies: `trivial` (answer "ok") and `thread_sleep`
//! (`std::thread::sleep(1 ms)`, then "ok").
//!
//! Environment (all optional): `ACTIX_LOAD_SECS` (default 5),
//! `ACTIX_LOAD_ROUNDS` (default 2), `ACTIX_LOAD_CONNECTIONS` (default 64),
//! `ACTIX_LOAD_WRK_CPUS` (a `taskset -c` CPU list to run wrk on, e.g. `1`
//! when this process runs under `taskset -c 0`).
//!
//! Without `--bench` (as `cargo test --benches` runs it) it returns at once.

use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use crochet_actix::{Crochet, SyncService, blocking};
use crochet_sync_http::{Request, Response};
use crochet_tests::wrk::{self, Wrk, WrkResult, env_u64, fmt_latency, median};

const WARM_UP_SECS: u64 = 1;
const ACTIX_WORKERS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Trivial,
    ThreadSleep,
}

const BODIES: [Body; 2] = [Body::Trivial, Body::ThreadSleep];

impl Body {
    fn name(self) -> &'static str {
        match self {
            Body::Trivial => "trivial",
            Body::ThreadSleep => "thread_sleep",
        }
    }

    /// The blocking work every server runs.
    fn run(self) -> &'static str {
        if self == Body::ThreadSleep {
            thread::sleep(Duration::from_millis(1));
        }
        "ok"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host {
    Blocking,
    WebBlock,
    SyncService,
}

const HOSTS: [Host; 3] = [Host::Blocking, Host::WebBlock, Host::SyncService];

impl Host {
    fn name(self) -> &'static str {
        match self {
            Host::Blocking => "blocking",
            Host::WebBlock => "web_block",
            Host::SyncService => "sync_service",
        }
    }
}

struct Running {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: thread::JoinHandle<()>,
}

impl Running {
    fn stop(self) {
        drop(self.handle.stop(false));
        let _ = self.thread.join();
    }
}

fn start(host: Host, body: Body, crochet: &Crochet) -> io::Result<Running> {
    let crochet = crochet.clone();
    let service = SyncService::builder()
        .reactor(crochet.reactor().clone())
        .build(move |_request: Request| Response::new(body.run().into()))?;
    let (ready_tx, ready_rx) = mpsc::channel();
    let failed_tx = ready_tx.clone();
    let thread = thread::spawn(move || {
        let started = actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let app = App::new().app_data(crochet.clone());
                match host {
                    Host::Blocking => app.route("/", web::get().to(blocking(move || body.run()))),
                    Host::WebBlock => app.route(
                        "/",
                        web::get().to(move || async move {
                            web::block(move || body.run())
                                .await
                                .map_err(actix_web::error::ErrorInternalServerError)
                        }),
                    ),
                    Host::SyncService => app.default_service(service.clone()),
                }
            })
            .workers(ACTIX_WORKERS)
            .disable_signals()
            .shutdown_timeout(1)
            .bind(("127.0.0.1", 0))?;
            let addr = server.addrs()[0];
            let server = server.run();
            let _ = ready_tx.send(Ok((addr, server.handle())));
            server.await
        });
        if let Err(err) = started {
            let _ = failed_tx.send(Err(err));
        }
    });
    let (addr, handle) = ready_rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| io::Error::other("the server did not start"))??;
    Ok(Running {
        addr,
        handle,
        thread,
    })
}

// -------------------------------------------------------------------- wrk

const WRK: Wrk = Wrk {
    bench: "actix_load",
    cpus_var: "ACTIX_LOAD_WRK_CPUS",
};

/// Runs wrk (bounded: killed 20 s past its own duration) and parses it.
fn wrk(addr: SocketAddr, connections: usize, secs: u64) -> Option<WrkResult> {
    WRK.run(&format!("http://{addr}/"), connections, secs)
}

// -------------------------------------------------------------------- main

fn measure(
    host: Host,
    body: Body,
    crochet: &Crochet,
    connections: usize,
    secs: u64,
) -> Option<WrkResult> {
    let running = match start(host, body, crochet) {
        Ok(running) => running,
        Err(err) => {
            eprintln!("actix_load: {} failed to start: {err}", host.name());
            return None;
        }
    };
    let _ = wrk(running.addr, connections, WARM_UP_SECS);
    let result = wrk(running.addr, connections, secs);
    running.stop();
    thread::sleep(Duration::from_millis(200));
    result
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("actix_load: load runs only under `cargo bench` (skipped)");
        return;
    }
    if !wrk::available() {
        eprintln!(
            "actix_load: `wrk` was not found on PATH; nothing measured \
             (Debian/Ubuntu: `apt-get install -y wrk`)"
        );
        return;
    }
    let secs = env_u64("ACTIX_LOAD_SECS", 5);
    let rounds = env_u64("ACTIX_LOAD_ROUNDS", 2);
    let connections = env_u64("ACTIX_LOAD_CONNECTIONS", 64) as usize;
    let crochet = match Crochet::builder().build() {
        Ok(crochet) => crochet,
        Err(err) => {
            eprintln!("actix_load: no reactor: {err}");
            return;
        }
    };
    let cpus = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|l| {
                l.strip_prefix("Cpus_allowed_list:")
                    .map(|v| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "?".to_owned());
    println!("# crochet-actix: blocking handlers vs web::block (wrk over loopback)\n");
    println!(
        "bench process CPUs: {cpus}; wrk CPUs: {}; actix workers: {ACTIX_WORKERS}; \
         Crochet pool workers: {}; global reactor workers: {}",
        std::env::var("ACTIX_LOAD_WRK_CPUS")
            .ok()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "unpinned".to_owned()),
        crochet.pool().stats().workers,
        crochet.reactor().handle().metrics().num_workers(),
    );
    println!(
        "{connections} connections, {secs} s per run after a {WARM_UP_SECS} s warm-up, {rounds} round(s)\n"
    );
    let mut results: Vec<Vec<Vec<WrkResult>>> = vec![vec![Vec::new(); BODIES.len()]; HOSTS.len()];
    for round in 0..rounds {
        for (b, &body) in BODIES.iter().enumerate() {
            // Alternate the order each round.
            let mut order: Vec<usize> = (0..HOSTS.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for h in order {
                let host = HOSTS[h];
                if let Some(result) = measure(host, body, &crochet, connections, secs) {
                    println!(
                        "round {} {:<13} {:<13} {:>9.0} req/s  p50 {:>9}  p99 {:>9}  non-2xx {}  timeouts {}",
                        round + 1,
                        host.name(),
                        body.name(),
                        result.requests_per_sec,
                        fmt_latency(result.p50),
                        fmt_latency(result.p99),
                        result.non_2xx,
                        result.timeouts(),
                    );
                    results[h][b].push(result);
                }
            }
        }
    }
    let peer = HOSTS.iter().position(|&h| h == Host::WebBlock).unwrap_or(1);
    println!(
        "\nMedians over the rounds; ratio = req/s over web_block's in the same round: median [min–max].\n"
    );
    println!("| body | server | req/s | p50 | p99 | ratio vs web_block | non-2xx |");
    println!("|---|---|---:|---:|---:|---|---:|");
    for (b, body) in BODIES.iter().enumerate() {
        for (h, host) in HOSTS.iter().enumerate() {
            let runs = &results[h][b];
            if runs.is_empty() {
                println!("| {} | {} | failed | | | | |", body.name(), host.name());
                continue;
            }
            let rate = median(&mut runs.iter().map(|r| r.requests_per_sec).collect::<Vec<_>>());
            let p50 = median(&mut runs.iter().map(|r| r.p50.as_secs_f64()).collect::<Vec<_>>());
            let p99 = median(&mut runs.iter().map(|r| r.p99.as_secs_f64()).collect::<Vec<_>>());
            let mut ratios: Vec<f64> = runs
                .iter()
                .zip(&results[peer][b])
                .map(|(r, p)| r.requests_per_sec / p.requests_per_sec)
                .collect();
            let ratio = if ratios.is_empty() {
                "?".to_owned()
            } else {
                let m = median(&mut ratios);
                format!(
                    "{m:.2} [{:.2}–{:.2}]",
                    ratios.first().copied().unwrap_or(m),
                    ratios.last().copied().unwrap_or(m)
                )
            };
            let non_2xx: u64 = runs.iter().map(|r| r.non_2xx).sum();
            println!(
                "| {} | {} | {:.0} | {} | {} | {} | {} |",
                body.name(),
                host.name(),
                rate,
                fmt_latency(Duration::from_secs_f64(p50)),
                fmt_latency(Duration::from_secs_f64(p99)),
                ratio,
                non_2xx,
            );
        }
    }
}
