#![allow(clippy::print_stdout)]
//! Loopback HTTP load benchmark for crochet-sync-http's hosts, driven by
//! `wrk` (run `bash crochet-sync-http/benches/http_load.sh`, which installs
//! it, or `cargo bench -p crochet-sync-http --bench http_load`).
//!
//! Five servers, one at a time, each on 127.0.0.1 with an ephemeral port,
//! all in this one process:
//!
//! * `container`: axum + [`Container`] at its default settings, on a
//!   multi-thread tokio runtime with 2 workers;
//! * `spawn_blocking`: the hand-written peer, an axum handler running the
//!   same blocking body in `tokio::task::spawn_blocking` (same runtime shape);
//! * `blocking_server`: crochet-sync-http's blocking [`Server`] at its
//!   default settings, on the global Crochet reactor;
//! * `tiny_http`: raw tiny_http 0.12 with 16 threads calling `recv()`;
//! * `async_axum`: a plain async axum handler (the ceiling).
//!
//! Three handler bodies: `trivial` (answer "ok"), `wait_for` (call back into
//! the runtime: `crochet_core::wait_for(5 s, sleep(1 ms))`; the peer uses
//! `Handle::current().block_on(sleep(1 ms))`, the async handler awaits the
//! sleep), and `thread_sleep` (`std::thread::sleep(1 ms)`; the async handler
//! awaits a 1 ms tokio sleep instead).
//!
//! Then an overload run (10x the 64 workers in connections), a burst check
//! (as many connections as the Container admits), and a keep-alive
//! starvation check (64 keep-alive clients, our own threads).
//!
//! Environment (all optional): `HTTP_LOAD_SECS` (default 5),
//! `HTTP_LOAD_ROUNDS` (default 2), `HTTP_LOAD_WRK_CPUS` (a `taskset -c`
//! CPU list to run wrk on, e.g. `1` when this process runs under
//! `taskset -c 0`), `HTTP_LOAD_ONLY` (a comma list among `throughput`,
//! `overload`, `keepalive`), `HTTP_LOAD_HOSTS` (a comma list of server
//! names for the throughput table), `HTTP_LOAD_VERBOSE` (per-connection
//! counts in the keep-alive check).
//!
//! Without `--bench` (as `cargo test --benches` runs it) it returns at once.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crochet_sync_http::{Container, Request, Response, Server};
use crochet_tests::memory::{Window, mib, status_text};
use crochet_tests::wrk::{self, Wrk, WrkResult, env_u64, fmt_latency, median_of, ratio_summary};
use http::StatusCode;

const ONE_MS: Duration = Duration::from_millis(1);
const WAIT_FOR_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections for the throughput table (the Container's worker count).
const CONNECTIONS: usize = 64;
/// Connections for the overload runs: 10x the default 64 workers, and
/// about 3x the default workers + queue (64 + 1024), so most are refused.
const OVERLOAD_CONNECTIONS: [usize; 2] = [640, 3200];
/// The Container's default workers + queue: all of them can be admitted.
const BURST_CONNECTIONS: usize = 64 + 1024;
const WARM_UP_SECS: u64 = 1;
const TINY_HTTP_THREADS: usize = 16;
const KEEPALIVE_CLIENTS: usize = 64;
const KEEPALIVE_RUN: Duration = Duration::from_secs(5);
const KEEPALIVE_TRIALS: usize = 3;

// ---------------------------------------------------------------- handlers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Trivial,
    WaitFor,
    ThreadSleep,
}

const BODIES: [Body; 3] = [Body::Trivial, Body::WaitFor, Body::ThreadSleep];

impl Body {
    fn name(self) -> &'static str {
        match self {
            Body::Trivial => "trivial",
            Body::WaitFor => "wait_for",
            Body::ThreadSleep => "thread_sleep",
        }
    }
}

/// `thread_sleep` bodies running right now (sampled in the overload run,
/// the memory [`Window`]'s gauge: how many of the workers are really busy).
static SLEEPING: AtomicUsize = AtomicUsize::new(0);

fn sleep_counted() {
    SLEEPING.fetch_add(1, Ordering::Relaxed);
    thread::sleep(ONE_MS);
    SLEEPING.fetch_sub(1, Ordering::Relaxed);
}

/// The blocking body as Crochet's hosts (and tiny_http) run it; false on
/// failure.
fn crochet_body(body: Body) -> bool {
    match body {
        Body::Trivial => true,
        // The async block makes the sleep inside the reactor's context.
        Body::WaitFor => {
            crochet_core::wait_for(WAIT_FOR_TIMEOUT, async { tokio::time::sleep(ONE_MS).await })
                .is_ok()
        }
        Body::ThreadSleep => {
            sleep_counted();
            true
        }
    }
}

/// The same body as the hand-written `spawn_blocking` peer runs it.
fn peer_body(body: Body) -> bool {
    match body {
        Body::Trivial => true,
        Body::WaitFor => {
            tokio::runtime::Handle::current().block_on(tokio::time::sleep(ONE_MS));
            true
        }
        Body::ThreadSleep => {
            sleep_counted();
            true
        }
    }
}

fn sync_handler(body: Body) -> impl Fn(Request) -> Response + Send + Sync + 'static {
    move |_request: Request| {
        if crochet_body(body) {
            Response::new("ok".into())
        } else {
            let mut response = Response::new("failed".into());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}

// ----------------------------------------------------------------- servers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host {
    Container,
    SpawnBlocking,
    BlockingServer,
    TinyHttp,
    AsyncAxum,
}

const HOSTS: [Host; 5] = [
    Host::Container,
    Host::SpawnBlocking,
    Host::BlockingServer,
    Host::TinyHttp,
    Host::AsyncAxum,
];

impl Host {
    fn name(self) -> &'static str {
        match self {
            Host::Container => "container",
            Host::SpawnBlocking => "spawn_blocking",
            Host::BlockingServer => "blocking_server",
            Host::TinyHttp => "tiny_http",
            Host::AsyncAxum => "async_axum",
        }
    }
}

enum Stop {
    Axum(
        tokio::runtime::Runtime,
        tokio::sync::oneshot::Sender<()>,
        /// True once the Container's pool has nothing running or queued.
        Option<Box<dyn Fn() -> bool>>,
    ),
    Blocking(Server),
    TinyHttp(Arc<tiny_http::Server>, Arc<AtomicBool>, Vec<JoinHandle<()>>),
}

struct Running {
    addr: SocketAddr,
    stop: Stop,
}

impl Running {
    fn stop(self) {
        match self.stop {
            Stop::Axum(runtime, signal, idle) => {
                let _ = signal.send(());
                // Handlers still running when wrk closes its connections run
                // on (a pool job is never interrupted); a `wait_for` handler
                // caught by the runtime's shutdown would see tokio's "being
                // shutdown" panic. Let them finish first (bounded).
                let until = Instant::now() + Duration::from_secs(5);
                thread::sleep(Duration::from_millis(50));
                while let Some(idle) = &idle
                    && !idle()
                    && Instant::now() < until
                {
                    thread::sleep(Duration::from_millis(20));
                }
                runtime.shutdown_timeout(Duration::from_secs(2));
            }
            Stop::Blocking(server) => {
                server.stop(Duration::from_secs(2));
            }
            Stop::TinyHttp(server, stopping, threads) => {
                stopping.store(true, Ordering::SeqCst);
                for thread in threads {
                    let _ = thread.join();
                }
                drop(server);
            }
        }
    }
}

/// Server-side latency of each response, split by status (only recorded
/// when the app is built `timed`, for the overload runs).
static ADMITTED: Histogram = Histogram::new();
static REJECTED: Histogram = Histogram::new();

async fn timing(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let histogram = if response.status().is_success() {
        &ADMITTED
    } else {
        &REJECTED
    };
    histogram.record(started.elapsed());
    response
}

fn start(host: Host, body: Body, timed: bool) -> io::Result<Running> {
    let mut idle: Option<Box<dyn Fn() -> bool>> = None;
    let app = match host {
        Host::Container => {
            let container = Container::new(sync_handler(body));
            let probe = container.clone();
            idle = Some(Box::new(move || {
                probe.pool().is_none_or(|pool| {
                    let stats = pool.stats();
                    stats.busy == 0 && stats.queued == 0
                })
            }));
            axum::Router::new().fallback_service(container)
        }
        Host::SpawnBlocking => axum::Router::new().fallback(move || async move {
            match tokio::task::spawn_blocking(move || peer_body(body)).await {
                Ok(true) => (StatusCode::OK, "ok"),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "failed"),
            }
        }),
        Host::AsyncAxum => axum::Router::new().fallback(move || async move {
            if body != Body::Trivial {
                tokio::time::sleep(ONE_MS).await;
            }
            "ok"
        }),
        Host::BlockingServer => {
            let server = Server::builder().serve("127.0.0.1:0", sync_handler(body))?;
            return Ok(Running {
                addr: server.local_addr(),
                stop: Stop::Blocking(server),
            });
        }
        Host::TinyHttp => return start_tiny_http(body),
    };
    let app = if timed {
        app.layer(axum::middleware::from_fn(timing))
    } else {
        app
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("bench-server")
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let (signal, stopped) = tokio::sync::oneshot::channel::<()>();
    runtime.spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Running {
        addr,
        stop: Stop::Axum(runtime, signal, idle),
    })
}

/// The client ports tiny_http answered (one bit per port; the second map
/// marks ports answered at least twice): how many of wrk's connections it
/// served at all. Counted only while [`TINY_HTTP_RECORDING`] is set, from
/// the measured run's start to shortly before its end: a connection starved
/// for the whole run gets its one queued request answered once wrk closes
/// the others, and a starved connection of the warm-up gets exactly one
/// answer early in the measured run, so only ports answered twice count.
static TINY_HTTP_ONCE: [AtomicU64; 1024] = [const { AtomicU64::new(0) }; 1024];
static TINY_HTTP_TWICE: [AtomicU64; 1024] = [const { AtomicU64::new(0) }; 1024];
static TINY_HTTP_RECORDING: AtomicBool = AtomicBool::new(false);

fn tiny_http_peers_reset() {
    for word in TINY_HTTP_ONCE.iter().chain(&TINY_HTTP_TWICE) {
        word.store(0, Ordering::Relaxed);
    }
}

fn tiny_http_peer_answered(port: u16) {
    let (word, bit) = (usize::from(port) / 64, 1u64 << (port % 64));
    if TINY_HTTP_ONCE[word].fetch_or(bit, Ordering::Relaxed) & bit != 0 {
        TINY_HTTP_TWICE[word].fetch_or(bit, Ordering::Relaxed);
    }
}

fn tiny_http_peers_count() -> u32 {
    TINY_HTTP_TWICE
        .iter()
        .map(|word| word.load(Ordering::Relaxed).count_ones())
        .sum()
}

fn start_tiny_http(body: Body) -> io::Result<Running> {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").map_err(io::Error::other)?);
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| io::Error::other("tiny_http: not an IP address"))?;
    let stopping = Arc::new(AtomicBool::new(false));
    let threads = (0..TINY_HTTP_THREADS)
        .map(|_| {
            let server = server.clone();
            let stopping = stopping.clone();
            thread::spawn(move || {
                while !stopping.load(Ordering::SeqCst) {
                    match server.recv_timeout(Duration::from_millis(100)) {
                        Ok(Some(request)) => {
                            if TINY_HTTP_RECORDING.load(Ordering::Relaxed)
                                && let Some(peer) = request.remote_addr()
                            {
                                tiny_http_peer_answered(peer.port());
                            }
                            let response = if crochet_body(body) {
                                tiny_http::Response::from_string("ok")
                            } else {
                                tiny_http::Response::from_string("failed").with_status_code(500)
                            };
                            let _ = request.respond(response);
                        }
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    Ok(Running {
        addr,
        stop: Stop::TinyHttp(server, stopping, threads),
    })
}

// --------------------------------------------------------------------- wrk

const WRK: Wrk = Wrk {
    bench: "http_load",
    cpus_var: "HTTP_LOAD_WRK_CPUS",
};

fn wrk_command(addr: SocketAddr, connections: usize, secs: u64) -> Command {
    WRK.command(&format!("http://{addr}/"), connections, secs)
}

/// Runs wrk (bounded: killed 20 s past its own duration) and parses it.
fn wrk(addr: SocketAddr, connections: usize, secs: u64) -> Option<WrkResult> {
    WRK.run(&format!("http://{addr}/"), connections, secs)
}

/// One measured run: wrk's report, and how many of wrk's connections got
/// at least one response (tiny_http only).
#[derive(Debug, Clone)]
struct Run {
    wrk: WrkResult,
    served_connections: Option<u32>,
}

// --------------------------------------------------------------- histogram

/// A lock-free log-linear latency histogram in microseconds (about 3 %
/// resolution; fixed size, so memory stays bounded).
struct Histogram {
    buckets: [AtomicU64; Histogram::BUCKETS],
}

impl Histogram {
    const SUB: u32 = 32;
    const BUCKETS: usize = 2048;

    const fn new() -> Self {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; Histogram::BUCKETS],
        }
    }

    fn index(micros: u64) -> usize {
        let linear = 2 * u64::from(Self::SUB);
        if micros < linear {
            return micros as usize;
        }
        let exponent = 63 - micros.leading_zeros(); // >= 6
        let sub = (micros >> (exponent - 5)) & u64::from(Self::SUB - 1);
        let index = linear as usize + (exponent as usize - 6) * Self::SUB as usize + sub as usize;
        index.min(Self::BUCKETS - 1)
    }

    /// The smallest value in bucket `index`.
    fn value(index: usize) -> u64 {
        let linear = 2 * Self::SUB as usize;
        if index < linear {
            return index as u64;
        }
        let exponent = (index - linear) / Self::SUB as usize + 6;
        let sub = ((index - linear) % Self::SUB as usize) as u64;
        (u64::from(Self::SUB) + sub) << (exponent - 5)
    }

    fn record(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.buckets[Self::index(micros)].fetch_add(1, Ordering::Relaxed);
    }

    fn reset(&self) {
        for bucket in &self.buckets {
            bucket.store(0, Ordering::Relaxed);
        }
    }

    fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, bucket) in self.buckets.iter().enumerate() {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= rank {
                return Some(Duration::from_micros(Self::value(index)));
            }
        }
        None
    }
}

// -------------------------------------------------------------- keep-alive

const KEEPALIVE_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, deadline: Instant) -> io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    stream.set_read_timeout(Some(left.max(ONE_MS)))?;
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk)?;
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    if buf.len() + n > 64 * 1024 {
        return Err(io::Error::other("response too large"));
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// Reads one response with a `Content-Length`; its status.
fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>, deadline: Instant) -> io::Result<u16> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| io::Error::other("bad status line"))?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .ok_or_else(|| io::Error::other("no Content-Length"))?;
            let total = end + 4 + length;
            while buf.len() < total {
                read_more(stream, buf, deadline)?;
            }
            buf.drain(..total);
            return Ok(status);
        }
        read_more(stream, buf, deadline)?;
    }
}

/// What one keep-alive client saw.
#[derive(Debug, Clone, Copy, Default)]
struct ClientSaw {
    /// 2xx responses on the connection.
    answered: u64,
    /// Longest wait for a response (from the request's write; a request
    /// never answered counts until the end of the run).
    longest_wait: Duration,
}

/// One keep-alive client: sequential GETs on one connection until the
/// deadline.
fn keepalive_client(addr: SocketAddr, barrier: &Barrier, run: Duration) -> ClientSaw {
    barrier.wait();
    let began = Instant::now();
    let deadline = began + run;
    let mut saw = ClientSaw::default();
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        saw.longest_wait = run;
        barrier.wait();
        return saw;
    };
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(4096);
    while Instant::now() < deadline {
        let sent = Instant::now();
        if stream.write_all(KEEPALIVE_REQUEST).is_err() {
            break;
        }
        let outcome = read_response(&mut stream, &mut buf, deadline);
        saw.longest_wait = saw.longest_wait.max(sent.elapsed());
        match outcome {
            Ok(status) if (200..300).contains(&status) => saw.answered += 1,
            _ => break,
        }
    }
    // Every client keeps its connection open until all are done: a closing
    // client would free a tiny_http thread for a starved connection, which
    // would then get one answer in the run's last moments.
    barrier.wait();
    drop(stream);
    saw
}

fn keepalive_check(addr: SocketAddr) -> Vec<ClientSaw> {
    let barrier = Arc::new(Barrier::new(KEEPALIVE_CLIENTS));
    let clients: Vec<_> = (0..KEEPALIVE_CLIENTS)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || keepalive_client(addr, &barrier, KEEPALIVE_RUN))
        })
        .collect();
    clients
        .into_iter()
        .map(|client| client.join().unwrap_or_default())
        .collect()
}

// -------------------------------------------------------------------- main

/// Starts `host`, warms it up, measures; stops it.
fn measure(host: Host, body: Body, connections: usize, secs: u64) -> Option<Run> {
    let running = match start(host, body, false) {
        Ok(running) => running,
        Err(err) => {
            eprintln!("http_load: {} failed to start: {err}", host.name());
            return None;
        }
    };
    let _ = wrk(running.addr, connections, WARM_UP_SECS);
    tiny_http_peers_reset();
    let window = if host == Host::TinyHttp {
        TINY_HTTP_RECORDING.store(true, Ordering::SeqCst);
        Some(thread::spawn(move || {
            thread::sleep(Duration::from_secs(secs).saturating_sub(Duration::from_millis(300)));
            TINY_HTTP_RECORDING.store(false, Ordering::SeqCst);
        }))
    } else {
        None
    };
    let result = wrk(running.addr, connections, secs);
    if let Some(window) = window {
        let _ = window.join();
    }
    let result = result.map(|wrk| Run {
        wrk,
        served_connections: (host == Host::TinyHttp).then(tiny_http_peers_count),
    });
    running.stop();
    thread::sleep(Duration::from_millis(200));
    result
}

fn throughput(rounds: u64, secs: u64) {
    println!(
        "\n## throughput: {CONNECTIONS} connections, {secs} s per run (after a {WARM_UP_SECS} s warm-up), {rounds} round(s)\n"
    );
    // results[host][body] = one Run per round
    let mut results: Vec<Vec<Vec<Run>>> = vec![vec![Vec::new(); BODIES.len()]; HOSTS.len()];
    for round in 0..rounds {
        for (b, &body) in BODIES.iter().enumerate() {
            // Alternate the order each round; container and its peer stay
            // back to back.
            let mut order: Vec<usize> = (0..HOSTS.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for h in order {
                let host = HOSTS[h];
                if !wrk::wanted("HTTP_LOAD_HOSTS", host.name()) {
                    continue;
                }
                if let Some(result) = measure(host, body, CONNECTIONS, secs) {
                    println!(
                        "round {} {:<15} {:<12} {:>9.0} req/s  p50 {:>9}  p99 {:>9}  non-2xx {}  timeouts {}{}",
                        round + 1,
                        host.name(),
                        body.name(),
                        result.wrk.requests_per_sec,
                        fmt_latency(result.wrk.p50),
                        fmt_latency(result.wrk.p99),
                        result.wrk.non_2xx,
                        result.wrk.timeouts(),
                        result.served_connections.map_or(String::new(), |n| format!(
                            "  connections served {n} of {CONNECTIONS}"
                        )),
                    );
                    results[h][b].push(result);
                }
            }
        }
    }
    let peer = HOSTS
        .iter()
        .position(|&h| h == Host::SpawnBlocking)
        .unwrap_or(1);
    println!(
        "\nMedians over the rounds; ratio = req/s over spawn_blocking's in the same round: median [min–max].\n"
    );
    println!(
        "| body | server | req/s | p50 | p99 | ratio vs spawn_blocking | non-2xx | wrk timeouts | connections served |"
    );
    println!("|---|---|---:|---:|---:|---|---:|---:|---:|");
    for (b, body) in BODIES.iter().enumerate() {
        for (h, host) in HOSTS.iter().enumerate() {
            let runs = &results[h][b];
            if !wrk::wanted("HTTP_LOAD_HOSTS", host.name()) {
                continue;
            }
            if runs.is_empty() {
                println!("| {} | {} | failed | | | | | | |", body.name(), host.name());
                continue;
            }
            let rate = median_of(runs, |r| r.wrk.requests_per_sec);
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
            let served = runs
                .iter()
                .filter_map(|r| r.served_connections)
                .map(|n| n.to_string())
                .collect::<Vec<_>>();
            let served = if served.is_empty() {
                "-".to_string()
            } else {
                served.join(", ")
            };
            println!(
                "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} |",
                body.name(),
                host.name(),
                rate,
                fmt_latency(Duration::from_secs_f64(p50)),
                fmt_latency(Duration::from_secs_f64(p99)),
                ratio,
                non_2xx,
                timeouts,
                served,
            );
        }
    }
}

fn overload(secs: u64) {
    println!(
        "\n## overload: thread_sleep body, {OVERLOAD_CONNECTIONS:?} connections (10x the 64 workers; 3x workers + queue), {secs} s\n"
    );
    println!(
        "Server-side latency is measured by an axum middleware around the app, split by status (not for blocking_server, which has no axum); wrk's p99 mixes 2xx and 503."
    );
    println!(
        "\n| server | connections | 2xx/s | non-2xx/s | non-2xx | wrk p50 | wrk p99 | 2xx p99 (server) | 503 p99 (server) | RSS before | peak RSS (VmHWM) | peak threads | bodies running, mean / peak |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (connections, host) in OVERLOAD_CONNECTIONS.iter().flat_map(|&c| {
        [
            (c, Host::Container),
            (c, Host::SpawnBlocking),
            (c, Host::BlockingServer),
        ]
    }) {
        let running = match start(host, Body::ThreadSleep, true) {
            Ok(running) => running,
            Err(err) => {
                eprintln!("http_load: {} failed to start: {err}", host.name());
                continue;
            }
        };
        let _ = wrk(running.addr, CONNECTIONS, WARM_UP_SECS);
        thread::sleep(Duration::from_millis(200));
        ADMITTED.reset();
        REJECTED.reset();
        // Notes VmRSS, resets VmHWM: the peak of this server's run alone.
        let window = Window::with_gauge(|| SLEEPING.load(Ordering::Relaxed));
        let result = wrk(running.addr, connections, secs);
        let peak = window.finish();
        let admitted_p99 = ADMITTED.quantile(0.99);
        let rejected_p99 = REJECTED.quantile(0.99);
        running.stop();
        thread::sleep(Duration::from_millis(300));
        let Some(result) = result else {
            println!(
                "| {} | {connections} | failed | | | | | | | | | | |",
                host.name()
            );
            continue;
        };
        println!(
            "| {} | {connections} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} / {} |",
            host.name(),
            result.ok_per_sec(),
            result.non_2xx_per_sec(),
            result.non_2xx,
            fmt_latency(result.p50),
            fmt_latency(result.p99),
            admitted_p99.map_or("-".to_string(), fmt_latency),
            rejected_p99.map_or("-".to_string(), fmt_latency),
            mib(peak.before_kib),
            peak.peak_text(),
            peak.threads,
            peak.gauge_mean,
            peak.gauge_max,
        );
        if result.socket_errors.iter().any(|&e| e > 0) {
            println!(
                "  ({}: wrk socket errors connect {}, read {}, write {}, timeout {})",
                host.name(),
                result.socket_errors[0],
                result.socket_errors[1],
                result.socket_errors[2],
                result.socket_errors[3]
            );
        }
    }

    println!(
        "\n## burst: container, thread_sleep body, connections up to workers + queue ({BURST_CONNECTIONS}), {secs} s\n"
    );
    println!("| connections | 2xx/s | non-2xx | wrk p50 | wrk p99 |");
    println!("|---:|---:|---:|---:|---:|");
    for connections in [256, BURST_CONNECTIONS] {
        match measure(Host::Container, Body::ThreadSleep, connections, secs).map(|run| run.wrk) {
            Some(result) => println!(
                "| {connections} | {:.0} | {} | {} | {} |",
                result.ok_per_sec(),
                result.non_2xx,
                fmt_latency(result.p50),
                fmt_latency(result.p99),
            ),
            None => println!("| {connections} | failed | | | |"),
        }
    }
}

fn keepalive() {
    println!(
        "\n## keep-alive starvation: {KEEPALIVE_CLIENTS} keep-alive clients (threads of this process, sequential GETs, {} s), trivial body, {KEEPALIVE_TRIALS} trials each\n",
        KEEPALIVE_RUN.as_secs()
    );
    println!(
        "| server | trial | connections with zero responses | stalled (a wait >= 1 s) | responses | fewest on a connection | most on a connection | longest wait |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for host in [Host::TinyHttp, Host::BlockingServer, Host::Container] {
        for trial in 1..=KEEPALIVE_TRIALS {
            let running = match start(host, Body::Trivial, false) {
                Ok(running) => running,
                Err(err) => {
                    eprintln!("http_load: {} failed to start: {err}", host.name());
                    continue;
                }
            };
            let saw = keepalive_check(running.addr);
            running.stop();
            thread::sleep(Duration::from_millis(300));
            let zero = saw.iter().filter(|c| c.answered == 0).count();
            let stalled = saw
                .iter()
                .filter(|c| c.longest_wait >= Duration::from_secs(1))
                .count();
            let total: u64 = saw.iter().map(|c| c.answered).sum();
            println!(
                "| {} | {trial} | {zero} of {n} | {stalled} of {n} | {total} | {} | {} | {} |",
                host.name(),
                saw.iter().map(|c| c.answered).min().unwrap_or(0),
                saw.iter().map(|c| c.answered).max().unwrap_or(0),
                fmt_latency(saw.iter().map(|c| c.longest_wait).max().unwrap_or_default()),
                n = saw.len(),
            );
            if std::env::var_os("HTTP_LOAD_VERBOSE").is_some() {
                let mut counts: Vec<u64> = saw.iter().map(|c| c.answered).collect();
                counts.sort_unstable();
                println!("  {} per-connection responses: {counts:?}", host.name());
            }
        }
    }
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("http_load: load runs only under `cargo bench` (skipped)");
        return;
    }
    if !wrk::available() {
        eprintln!(
            "http_load: `wrk` was not found on PATH; nothing measured.\n\
             Install it (Debian/Ubuntu: `apt-get update && apt-get install -y wrk`), or run\n\
             `bash crochet-sync-http/benches/http_load.sh`, which installs it and runs this bench."
        );
        return;
    }
    let secs = env_u64("HTTP_LOAD_SECS", 5);
    let rounds = env_u64("HTTP_LOAD_ROUNDS", 2);
    let reactor = crochet_core::setup();
    let started = Instant::now();

    println!("# crochet-sync-http: HTTP load (wrk over loopback)\n");
    println!(
        "bench process CPUs: {} (available_parallelism {}); wrk CPUs: {}",
        status_text("Cpus_allowed_list"),
        thread::available_parallelism().map_or(0, |n| n.get()),
        std::env::var("HTTP_LOAD_WRK_CPUS")
            .ok()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "unpinned (inherits this process's)".to_string()),
    );
    println!(
        "global Crochet reactor workers (blocking_server, tiny_http's wait_for): {}; axum runtimes: 2 workers",
        reactor.handle().metrics().num_workers()
    );
    println!(
        "wrk command: {}",
        wrk::describe(&wrk_command(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            CONNECTIONS,
            secs
        ))
        .replace(":0/", ":PORT/")
    );

    if wrk::wanted("HTTP_LOAD_ONLY", "throughput") {
        throughput(rounds, secs);
    }
    if wrk::wanted("HTTP_LOAD_ONLY", "overload") {
        overload(secs);
    }
    if wrk::wanted("HTTP_LOAD_ONLY", "keepalive") {
        keepalive();
    }
    println!(
        "\nhttp_load: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
