//! Resident memory per pending `run_in_reactor` result, beside a bare tokio
//! task.
//!
//! Each case runs in a fresh child process (this binary re-executed with
//! `CROCHET_BENCH_MEMORY_CASE` set), so the cases do not pollute each
//! other's heaps. A child builds a two-worker reactor, warms it up, reads its
//! resident set size (`/proc/self/statm`), creates `N` pending items, waits
//! until every one of them has been polled once (and so is parked on its
//! oneshot receiver), and reads the resident set size again.
//!
//! * `channels`: `N` oneshot channels, both halves kept: the part of every
//!   item that is the test's own channel, not the machinery under test.
//! * `tokio`: `N` × `handle.spawn(async move { rx.await })`, JoinHandles kept.
//! * `crochet`: `N` × `reactor.run_in_reactor(async move { rx.await })`,
//!   `EventualResult<u32>`s kept.
//!
//! The senders are kept alive and never used, so nothing ever completes.
//!
//! Run with `cargo bench -p crochet-core --bench memory`; without `--bench`
//! (as `cargo test --benches` runs it) it does one small smoke run.

#![allow(clippy::print_stdout)]

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crochet_core::{EventualResult, Reactor};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const CASE_VAR: &str = "CROCHET_BENCH_MEMORY_CASE";
const COUNT_VAR: &str = "CROCHET_BENCH_MEMORY_COUNT";
const CASES: [&str; 3] = ["channels", "tokio", "crochet"];

/// Pending items per measurement.
const FULL_COUNT: usize = 100_000;
/// Fresh processes per case; the median is reported.
const FULL_RUNS: usize = 3;
/// Items created, polled and finished before the baseline reading, so that
/// lazily built runtime state is not billed to the measured items. Kept
/// small: the memory they free is reused by the measured ones.
const WARM_UP: usize = 256;

/// Crochet's target: a pending `EventualResult` under 1 KiB.
const TARGET_BYTES: f64 = 1024.0;

fn main() {
    match std::env::var(CASE_VAR) {
        Ok(case) => child(&case),
        Err(_) => parent(),
    }
}

// ---------------------------------------------------------------- parent --

fn parent() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let (count, runs) = if full {
        (FULL_COUNT, FULL_RUNS)
    } else {
        (1_000, 1)
    };
    let page = page_size();

    println!("memory: {count} pending items per case, {runs} fresh process(es) per case");
    println!("page size {page} bytes");
    println!(
        "size_of::<EventualResult<u32>>() = {} bytes, size_of::<JoinHandle<u32>>() = {} bytes",
        std::mem::size_of::<EventualResult<u32>>(),
        std::mem::size_of::<JoinHandle<u32>>(),
    );

    let mut per_item = Vec::new();
    for case in CASES {
        let mut samples: Vec<f64> = (0..runs)
            .map(|_| {
                let pages = run_child(case, count);
                (pages * page) as f64 / count as f64
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        let shown: Vec<String> = samples.iter().map(|s| format!("{s:.0}")).collect();
        println!(
            "{case:>8}: {median:7.0} bytes per pending item (median; runs: {})",
            shown.join(", ")
        );
        per_item.push(median);
    }

    let [channels, tokio, crochet] = per_item[..] else {
        unreachable!("three cases")
    };
    let (tokio_net, crochet_net) = (tokio - channels, crochet - channels);
    println!(
        "net of the oneshot channel: tokio {tokio_net:.0} bytes, crochet {crochet_net:.0} bytes"
    );
    println!(
        "ratio crochet/tokio: {:.2} (gross), {:.2} (net of the channel)",
        crochet / tokio,
        crochet_net / tokio_net
    );
    let verdict = if crochet < TARGET_BYTES {
        "met"
    } else {
        "MISSED"
    };
    println!("target: pending EventualResult under {TARGET_BYTES:.0} bytes (gross): {verdict}");
}

/// Runs one case in a fresh process; returns the resident pages it added.
fn run_child(case: &str, count: usize) -> usize {
    let exe = std::env::current_exe().expect("path of this benchmark binary");
    let output = Command::new(exe)
        .env(CASE_VAR, case)
        .env(COUNT_VAR, count.to_string())
        .output()
        .expect("run the benchmark child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "case {case} failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("resident_pages_added "))
        .and_then(|pages| pages.trim().parse().ok())
        .unwrap_or_else(|| panic!("case {case} printed no result:\n{stdout}"))
}

fn page_size() -> usize {
    Command::new("getconf")
        .arg("PAGESIZE")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(4096)
}

// ----------------------------------------------------------------- child --

fn child(case: &str) {
    let count: usize = std::env::var(COUNT_VAR)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(FULL_COUNT);
    let reactor = Reactor::builder()
        .worker_threads(2)
        .build()
        .expect("build the reactor");

    // Warm up with the same kind of item, completed and dropped.
    {
        let mut warm = Items::new(case, WARM_UP);
        warm.fill(&reactor, WARM_UP);
        warm.finish(&reactor);
    }

    // Every vector is allocated here, untouched: its pages become resident
    // (and are counted) only as items are written into it.
    let mut items = Items::new(case, count);
    let before = resident_pages();
    items.fill(&reactor, count);
    let after = resident_pages();

    if case == "crochet" {
        let pending = reactor.stats().results_pending;
        assert_eq!(pending, count, "every result should still be pending");
    }
    println!("resident_pages_added {}", after.saturating_sub(before));
    // Skip tearing down `count` pending items: the number is printed.
    std::process::exit(0);
}

/// The items of one case, and the channels that keep them pending.
enum Items {
    Channels(Vec<(oneshot::Sender<u32>, oneshot::Receiver<u32>)>),
    Tokio(Vec<oneshot::Sender<u32>>, Vec<JoinHandle<u32>>),
    Crochet(Vec<oneshot::Sender<u32>>, Vec<EventualResult<u32>>),
}

impl Items {
    fn new(case: &str, count: usize) -> Self {
        match case {
            "channels" => Items::Channels(Vec::with_capacity(count)),
            "tokio" => Items::Tokio(Vec::with_capacity(count), Vec::with_capacity(count)),
            "crochet" => Items::Crochet(Vec::with_capacity(count), Vec::with_capacity(count)),
            other => panic!("unknown case {other:?}; expected one of {CASES:?}"),
        }
    }

    /// Creates `count` pending items and waits until each has been polled.
    fn fill(&mut self, reactor: &Reactor, count: usize) {
        let polled = Arc::new(AtomicUsize::new(0));
        // The same future in both task cases.
        let pending = |rx: oneshot::Receiver<u32>| {
            let polled = polled.clone();
            async move {
                polled.fetch_add(1, Ordering::Relaxed);
                rx.await.unwrap_or(0)
            }
        };
        match self {
            Items::Channels(pairs) => {
                pairs.extend((0..count).map(|_| oneshot::channel()));
                return;
            }
            Items::Tokio(senders, handles) => {
                for _ in 0..count {
                    let (tx, rx) = oneshot::channel();
                    senders.push(tx);
                    handles.push(reactor.handle().spawn(pending(rx)));
                }
            }
            Items::Crochet(senders, results) => {
                for _ in 0..count {
                    let (tx, rx) = oneshot::channel();
                    senders.push(tx);
                    results.push(reactor.run_in_reactor(pending(rx)));
                }
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while polled.load(Ordering::Relaxed) < count {
            assert!(Instant::now() < deadline, "items were not all polled");
            std::thread::sleep(Duration::from_millis(1));
        }
        // The counter is bumped inside the first poll; let the last polls
        // (and crochet's bookkeeping after them) finish.
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Completes every item and waits for it (warm-up only).
    fn finish(self, reactor: &Reactor) {
        let timeout = Duration::from_secs(10);
        match self {
            Items::Channels(_) => {}
            Items::Tokio(senders, handles) => {
                senders.into_iter().for_each(|tx| {
                    let _ = tx.send(1);
                });
                reactor.handle().block_on(async {
                    for handle in handles {
                        handle.await.expect("warm-up task");
                    }
                });
            }
            Items::Crochet(senders, results) => {
                senders.into_iter().for_each(|tx| {
                    let _ = tx.send(1);
                });
                for result in results {
                    result.take(timeout).expect("warm-up result");
                }
            }
        }
    }
}

fn resident_pages() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse().ok())
        .expect("resident pages in /proc/self/statm")
}
