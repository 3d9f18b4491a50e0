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
//! Each run starts its server afresh, warms it up for 1 s at 64
//! connections (or fewer, if the run has fewer), then measures with wrk at
//! the run's connections. Around the measured run it notes the process's
//! resident memory ("RSS before"), resets its high-water mark (`VmHWM`) and
//! samples the thread count ([`crochet_tests::memory`]), so the "peak RSS"
//! is that one server's (its peer's is measured beside it, in the same
//! process). Memory earlier servers freed but glibc's per-thread arenas
//! kept stays in "RSS before" and may be reused: the "growth" (peak less
//! before) is a lower bound, the peak an upper bound; alone in a process
//! (`ACTIX_LOAD_HOSTS`), the peak is the server's own. Run at `ACTIX_LOAD_CONNECTIONS=640` and `3200` (10x and 50x
//! the pool's 64 workers), this is the overload check: how many 503s the
//! excess gets, and how far memory grows. After the run, 5 plain `GET`s,
//! one after another, check the server is healthy ("after": `200 ×5`).
//!
//! Environment (all optional): `ACTIX_LOAD_SECS` (default 5),
//! `ACTIX_LOAD_ROUNDS` (default 2), `ACTIX_LOAD_CONNECTIONS` (default 64),
//! `ACTIX_LOAD_WRK_CPUS` (a `taskset -c` CPU list to run wrk on, e.g. `1`
//! when this process runs under `taskset -c 0`), `ACTIX_LOAD_BODIES` (a
//! comma list among `trivial` and `thread_sleep`; default both),
//! `ACTIX_LOAD_HOSTS` (a comma list of server names; default all three:
//! one server alone in a process has a heap no other server used).
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
use crochet_tests::memory::{Peak, Window, mib, status_text};
use crochet_tests::wrk::{self, Wrk, WrkResult, env_u64, fmt_latency, median_of, ratio_summary};

const WARM_UP_SECS: u64 = 1;
/// The warm-up's connections (at most): the load the server sees before
/// the measured run, whose peak memory is measured from there.
const WARM_UP_CONNECTIONS: usize = 64;
/// Plain requests after each measured run: is the server still healthy?
const HEALTH_PROBES: usize = 5;
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

/// One measured run: wrk's report, the server's memory and threads during
/// it, and the statuses of the plain requests after it.
#[derive(Debug, Clone)]
struct Run {
    wrk: WrkResult,
    peak: Peak,
    after: String,
}

fn measure(
    host: Host,
    body: Body,
    crochet: &Crochet,
    connections: usize,
    secs: u64,
) -> Option<Run> {
    let running = match start(host, body, crochet) {
        Ok(running) => running,
        Err(err) => {
            eprintln!("actix_load: {} failed to start: {err}", host.name());
            return None;
        }
    };
    let _ = wrk(
        running.addr,
        connections.min(WARM_UP_CONNECTIONS),
        WARM_UP_SECS,
    );
    thread::sleep(Duration::from_millis(200));
    let window = Window::start();
    let result = wrk(running.addr, connections, secs);
    let peak = window.finish();
    let after = wrk::health(&format!("http://{}/", running.addr), HEALTH_PROBES);
    running.stop();
    thread::sleep(Duration::from_millis(200));
    result.map(|wrk| Run { wrk, peak, after })
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
    let cpus = status_text("Cpus_allowed_list");
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
        "{connections} connections, {secs} s per run after a {WARM_UP_SECS} s warm-up at {} connections, {rounds} round(s); \
         load average at the start: {}\n",
        connections.min(WARM_UP_CONNECTIONS),
        wrk::load_average(),
    );
    let mut results: Vec<Vec<Vec<Run>>> = vec![vec![Vec::new(); BODIES.len()]; HOSTS.len()];
    for round in 0..rounds {
        for (b, &body) in BODIES.iter().enumerate() {
            if !wrk::wanted("ACTIX_LOAD_BODIES", body.name()) {
                continue;
            }
            // Alternate the order each round.
            let mut order: Vec<usize> = (0..HOSTS.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for h in order {
                let host = HOSTS[h];
                if !wrk::wanted("ACTIX_LOAD_HOSTS", host.name()) {
                    continue;
                }
                if let Some(result) = measure(host, body, &crochet, connections, secs) {
                    println!(
                        "round {} {:<13} {:<13} {:>9.0} req/s  p50 {:>9}  p99 {:>9}  non-2xx {}  timeouts {}  \
                         RSS {} -> {} (+{})  threads {}  after {}",
                        round + 1,
                        host.name(),
                        body.name(),
                        result.wrk.requests_per_sec,
                        fmt_latency(result.wrk.p50),
                        fmt_latency(result.wrk.p99),
                        result.wrk.non_2xx,
                        result.wrk.timeouts(),
                        mib(result.peak.before_kib),
                        result.peak.peak_text(),
                        mib(result.peak.growth_kib()),
                        result.peak.threads,
                        result.after,
                    );
                    results[h][b].push(result);
                }
            }
        }
    }
    let peer = HOSTS.iter().position(|&h| h == Host::WebBlock).unwrap_or(1);
    println!(
        "\nMedians over the rounds; ratio = req/s over web_block's in the same round: median [min–max]. \
         non-2xx and wrk timeouts: summed over the rounds. RSS and threads: this process during the \
         measured run, VmHWM reset just before it (RSS before: the median; peak RSS, growth (peak less \
         before) and threads: the largest of the rounds). after: {HEALTH_PROBES} plain GETs once the run is over, each round.\n"
    );
    println!(
        "| body | server | req/s | 2xx/s | p50 | p99 | ratio vs web_block | non-2xx | wrk timeouts | RSS before | peak RSS | growth | peak threads | after |"
    );
    println!("|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for (b, body) in BODIES.iter().enumerate() {
        if !wrk::wanted("ACTIX_LOAD_BODIES", body.name()) {
            continue;
        }
        for (h, host) in HOSTS.iter().enumerate() {
            if !wrk::wanted("ACTIX_LOAD_HOSTS", host.name()) {
                continue;
            }
            let runs = &results[h][b];
            if runs.is_empty() {
                println!(
                    "| {} | {} | failed | | | | | | | | | | | |",
                    body.name(),
                    host.name()
                );
                continue;
            }
            let rate = median_of(runs, |r| r.wrk.requests_per_sec);
            let ok_rate = median_of(runs, |r| r.wrk.ok_per_sec());
            let p50 = median_of(runs, |r| r.wrk.p50.as_secs_f64());
            let p99 = median_of(runs, |r| r.wrk.p99.as_secs_f64());
            let ratio = ratio_summary(
                runs.iter()
                    .zip(&results[peer][b])
                    .map(|(r, p)| r.wrk.requests_per_sec / p.wrk.requests_per_sec)
                    .collect(),
            );
            let non_2xx: u64 = runs.iter().map(|r| r.wrk.non_2xx).sum();
            let timeouts: u64 = runs.iter().map(|r| r.wrk.timeouts()).sum();
            let before = median_of(runs, |r| r.peak.before_kib as f64);
            let peak = runs
                .iter()
                .map(|r| r.peak)
                .max_by_key(|p| p.peak_kib)
                .unwrap_or_default();
            let growth = runs.iter().map(|r| r.peak.growth_kib()).max().unwrap_or(0);
            let threads = runs.iter().map(|r| r.peak.threads).max().unwrap_or(0);
            let after = runs
                .iter()
                .map(|r| r.after.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                body.name(),
                host.name(),
                rate,
                ok_rate,
                fmt_latency(Duration::from_secs_f64(p50)),
                fmt_latency(Duration::from_secs_f64(p99)),
                ratio,
                non_2xx,
                timeouts,
                mib(before as u64),
                peak.peak_text(),
                mib(growth),
                threads,
                after,
            );
        }
    }
}
