//! A soak test, not part of CI: caller threads making the stress test's mix
//! of calls (`wait_for`, `run_in_reactor`, cancels, timeouts, panics,
//! stash and retrieve, pool jobs) for as long as asked, printing resident
//! memory and the reactor's gauges as it goes, then checking that every
//! call returned one outcome and nothing is left behind.
//!
//! ```text
//! cargo run --release -p crochet-examples --example soak -- 10      # minutes (default 1)
//! SOAK_THREADS=8 cargo run --release -p crochet-examples --example soak -- 0.5
//! ```
//!
//! Exit status 1 if an invariant fails. Figures are in RELIABILITY.md.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crochet_core::{Error, Pool, Reactor};

const REPORT_EVERY: Duration = Duration::from_secs(30);
const PATIENCE: Duration = Duration::from_secs(30);

/// Outcomes seen by the callers, by kind.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    timed_out: AtomicU64,
    cancelled: AtomicU64,
    panicked: AtomicU64,
    overloaded: AtomicU64,
    other: AtomicU64,
    /// Futures and jobs created, and dropped (each exactly once).
    made: AtomicU64,
    dropped: AtomicU64,
}

impl Tally {
    fn record<T>(&self, outcome: Result<T, Error>) {
        let counter = match outcome {
            Ok(_) => &self.ok,
            Err(Error::Timeout) => &self.timed_out,
            Err(Error::Cancelled) => &self.cancelled,
            Err(Error::Panicked(_)) => &self.panicked,
            Err(Error::Overloaded) => &self.overloaded,
            Err(_) => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn outcomes(&self) -> u64 {
        [
            &self.ok,
            &self.timed_out,
            &self.cancelled,
            &self.panicked,
            &self.overloaded,
            &self.other,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }
}

/// Counts its own drop: proof that every future was dropped.
struct Token(Arc<Tally>);

impl Token {
    fn new(tally: &Arc<Tally>) -> Token {
        tally.made.fetch_add(1, Ordering::Relaxed);
        Token(tally.clone())
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// One call of the mix; `n` picks the kind.
fn one_call(reactor: &Reactor, pool: &Pool, tally: &Arc<Tally>, n: u64) {
    let token = Token::new(tally);
    match n % 8 {
        0 => tally.record(reactor.wait_for(PATIENCE, async move { drop(token) })),
        1 => tally.record(reactor.wait_for(PATIENCE, async move {
            let _token = token;
            tokio::time::sleep(Duration::from_micros(200)).await;
        })),
        2 => tally.record(reactor.wait_for(Duration::from_micros(100), async move {
            let _token = token;
            std::future::pending::<()>().await;
        })),
        3 => {
            let result = reactor.run_in_reactor(async move {
                let _token = token;
                tokio::task::yield_now().await;
                7_u64
            });
            tally.record(result.take(PATIENCE));
        }
        4 => {
            let result = reactor.run_in_reactor(async move {
                let _token = token;
                std::future::pending::<()>().await;
            });
            result.cancel();
            tally.record(result.take(PATIENCE));
        }
        5 => {
            let result = reactor.run_in_reactor(async move {
                let _token = token;
                tokio::task::yield_now().await;
                if n % 16 == 5 {
                    panic!("deliberate");
                }
            });
            match result.stash() {
                Ok(id) => match reactor.retrieve_result::<()>(id) {
                    Ok(back) => tally.record(back.take(PATIENCE)),
                    Err(err) => tally.record::<()>(Err(err)),
                },
                Err(refused) => tally.record(refused.into_result().take(PATIENCE)),
            }
        }
        6 => {
            let job = pool.run(move || {
                let _token = token;
                std::thread::sleep(Duration::from_micros(100));
            });
            tally.record(reactor.wait_for(PATIENCE, job).and_then(|ran| ran));
        }
        _ => {
            // A pool job dropped before it could finish (often before it
            // starts): its place must come back, its closure be dropped.
            let job = pool.run(move || drop(token));
            tally.record(
                reactor
                    .wait_for(Duration::from_micros(50), job)
                    .and_then(|ran| ran),
            );
        }
    }
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let minutes: f64 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(1.0);
    let threads: u64 = std::env::var("SOAK_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let run_for = Duration::from_secs_f64(minutes * 60.0);

    // Deliberate panics are counted, not printed.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"deliberate") {
            default_hook(info);
        }
    }));

    let reactor = Reactor::builder()
        .worker_threads(2)
        .build()
        .expect("reactor threads");
    // Small enough that 8 callers sometimes find it full.
    let pool = Pool::builder().workers(2).queue(2).build(&reactor);
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    println!("soak: {threads} caller threads for {minutes} min");
    println!(
        "| elapsed | calls | calls/s | RSS (KiB) | pending results | calls in flight | stashed |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");

    let callers: Vec<_> = (0..threads)
        .map(|t| {
            let (reactor, pool, tally, stop) =
                (reactor.clone(), pool.clone(), tally.clone(), stop.clone());
            std::thread::spawn(move || {
                // Every thread goes through every kind of call, each
                // starting at a different one.
                let mut n = t;
                while !stop.load(Ordering::Relaxed) {
                    one_call(&reactor, &pool, &tally, n);
                    n += 1;
                }
            })
        })
        .collect();

    let mut peak_kib = 0;
    let mut first_report_kib = None;
    let mut last_calls = 0;
    let mut last_at = started;
    while started.elapsed() < run_for {
        std::thread::sleep(REPORT_EVERY.min(run_for.saturating_sub(started.elapsed())));
        let kib = resident_kib();
        peak_kib = peak_kib.max(kib);
        first_report_kib.get_or_insert(kib);
        let calls = tally.outcomes();
        let rate = (calls - last_calls) as f64 / last_at.elapsed().as_secs_f64();
        (last_calls, last_at) = (calls, Instant::now());
        let stats = reactor.stats();
        println!(
            "| {:.0} s | {calls} | {rate:.0} | {kib} | {} | {} | {} |",
            started.elapsed().as_secs_f64(),
            stats.results_pending,
            stats.calls_in_flight,
            stats.stashed
        );
    }
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.join().expect("a caller thread panicked");
    }

    // Let tokio release what it has already settled.
    let settle_until = Instant::now() + PATIENCE;
    let settled = loop {
        let stats = reactor.stats();
        let pool_stats = pool.stats();
        let quiet = stats.results_pending == 0
            && stats.calls_in_flight == 0
            && stats.stashed == 0
            && pool_stats.busy == 0
            && pool_stats.queued == 0
            && reactor.handle().metrics().num_alive_tasks() == 0
            && tally.made.load(Ordering::Relaxed) == tally.dropped.load(Ordering::Relaxed);
        if quiet || Instant::now() > settle_until {
            break quiet;
        }
        std::thread::sleep(Duration::from_millis(10));
    };

    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let calls = tally.outcomes();
    println!();
    println!(
        "calls {calls}: ok {}, timed out {}, cancelled {}, panicked {}, overloaded {}, other {}",
        load(&tally.ok),
        load(&tally.timed_out),
        load(&tally.cancelled),
        load(&tally.panicked),
        load(&tally.overloaded),
        load(&tally.other),
    );
    println!(
        "futures and jobs made {}, dropped {}; resident memory at the first report {} KiB, peak {peak_kib} KiB, end {} KiB",
        load(&tally.made),
        load(&tally.dropped),
        first_report_kib.unwrap_or(0),
        resident_kib()
    );
    let one_outcome_each = calls == load(&tally.made);
    let no_strays = load(&tally.other) == 0;
    println!(
        "every call one outcome: {one_outcome_each}; nothing left behind: {settled}; no unexpected error: {no_strays}"
    );
    if !(one_outcome_each && settled && no_strays) {
        std::process::exit(1);
    }
}
