//! Call overhead of crochet-core, each case beside its raw tokio peer, in the
//! same run and on the same runtime (the reactor's own, reached through
//! `Reactor::handle`).
//!
//! * `ready`: `wait_for` on a future that is ready at once, vs
//!   `Handle::block_on` on the same future.
//! * `yield_once`: `wait_for` on a future that is pending once (it wakes
//!   itself), vs `Handle::block_on` of it under `tokio::time::timeout` (so
//!   the peer arms a deadline too, as `wait_for` does once it must park).
//! * `run_and_wait`: `run_in_reactor(..).take(..)`, vs `spawn` + oneshot +
//!   `blocking_recv`.
//! * `throughput/N`: N caller threads each doing `run_and_wait` in a loop;
//!   the time reported is wall time per call (all threads together).
//!
//! Run with `cargo bench -p crochet-core --bench calls`; see BENCHMARKS.md.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crochet_core::Reactor;
use tokio::runtime::Handle;

/// Generous: nothing here should ever come near it.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Caller thread counts for the `throughput` group.
const THREADS: [usize; 4] = [1, 2, 8, 64];

fn reactor() -> Reactor {
    Reactor::builder()
        .worker_threads(2)
        .build()
        .expect("build the reactor")
}

fn ready(c: &mut Criterion) {
    let reactor = reactor();
    let handle = reactor.handle();
    let mut group = c.benchmark_group("ready");
    group.bench_function("crochet", |b| {
        b.iter(|| {
            black_box(
                reactor
                    .wait_for(TIMEOUT, std::future::ready(black_box(1)))
                    .unwrap(),
            )
        })
    });
    group.bench_function("tokio", |b| {
        b.iter(|| black_box(handle.block_on(std::future::ready(black_box(1)))))
    });
    group.finish();
}

fn yield_once(c: &mut Criterion) {
    let reactor = reactor();
    let handle = reactor.handle();
    let mut group = c.benchmark_group("yield_once");
    group.bench_function("crochet", |b| {
        b.iter(|| {
            reactor.wait_for(TIMEOUT, tokio::task::yield_now()).unwrap();
        })
    });
    group.bench_function("tokio", |b| {
        b.iter(|| {
            // Built inside `block_on`: the timer needs the runtime context.
            handle
                .block_on(async { tokio::time::timeout(TIMEOUT, tokio::task::yield_now()).await })
                .unwrap();
        })
    });
    group.finish();
}

fn crochet_call(reactor: &Reactor) -> u32 {
    reactor
        .run_in_reactor(async { black_box(1_u32) })
        .take(TIMEOUT)
        .unwrap()
}

fn tokio_call(handle: &Handle) -> u32 {
    let (tx, rx) = tokio::sync::oneshot::channel();
    handle.spawn(async move {
        let _ = tx.send(black_box(1_u32));
    });
    rx.blocking_recv().unwrap()
}

fn run_and_wait(c: &mut Criterion) {
    let reactor = reactor();
    let handle = reactor.handle();
    let mut group = c.benchmark_group("run_and_wait");
    group.bench_function("crochet", |b| b.iter(|| black_box(crochet_call(&reactor))));
    group.bench_function("tokio", |b| b.iter(|| black_box(tokio_call(handle))));
    group.finish();
}

/// Runs `iters` calls of `call` spread over `threads` threads and returns
/// the wall time from when they all start (thread spawning is not counted)
/// until the last one is done.
fn spread(iters: u64, threads: usize, call: impl Fn() + Sync) -> Duration {
    let start_line = Barrier::new(threads + 1);
    let per_thread = iters / threads as u64;
    let extra = iters % threads as u64;
    std::thread::scope(|scope| {
        for i in 0..threads {
            let n = per_thread + u64::from((i as u64) < extra);
            let (start_line, call) = (&start_line, &call);
            scope.spawn(move || {
                start_line.wait();
                for _ in 0..n {
                    call();
                }
            });
        }
        start_line.wait();
        let start = Instant::now();
        // Leaving the scope joins every thread.
        start
    })
    .elapsed()
}

fn throughput(c: &mut Criterion) {
    let reactor = reactor();
    let handle = reactor.handle();
    let mut group = c.benchmark_group("throughput");
    group.throughput(Throughput::Elements(1));
    for threads in THREADS {
        group.bench_function(BenchmarkId::new("crochet", threads), |b| {
            b.iter_custom(|iters| {
                spread(iters, threads, || {
                    black_box(crochet_call(&reactor));
                })
            })
        });
        group.bench_function(BenchmarkId::new("tokio", threads), |b| {
            b.iter_custom(|iters| {
                spread(iters, threads, || {
                    black_box(tokio_call(handle));
                })
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // Short by default: the machine is small and shared. Command-line flags
    // (--warm-up-time, --measurement-time, --sample-size) still override.
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = ready, yield_once, run_and_wait, throughput
}
criterion_main!(benches);
