//! The bounded worker pool: results, back-calls into its reactor, overload,
//! the queue-wait deadline, panics, and shutdown.

mod support;

use std::sync::mpsc;
use std::time::Duration;

use crochet_core::{Error, Pool, Reactor};
use support::{PATIENCE, eventually};

/// The runtime driving the async side of the tests (a server's, say).
fn driver() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn reactor_named(name: &str) -> Reactor {
    Reactor::builder()
        .worker_threads(1)
        .thread_name(name)
        .build()
        .unwrap()
}

/// A one-worker pool whose worker is held by a job until [`release`].
///
/// [`release`]: Busy::release
struct Busy {
    driver: tokio::runtime::Runtime,
    reactor: Reactor,
    pool: Pool,
    running: tokio::task::JoinHandle<Result<u32, Error>>,
    release: mpsc::Sender<()>,
}

fn busy(name: &str, queue: usize, queue_timeout: Duration) -> Busy {
    let driver = driver();
    let reactor = reactor_named(name);
    let pool = Pool::builder()
        .workers(1)
        .queue(queue)
        .queue_timeout(queue_timeout)
        .build(&reactor);
    let (started_tx, started_rx) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let running = driver.spawn(pool.run(move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv_timeout(PATIENCE);
        1
    }));
    started_rx.recv_timeout(PATIENCE).unwrap();
    Busy {
        driver,
        reactor,
        pool,
        running,
        release,
    }
}

impl Busy {
    /// Lets the held job finish and returns its outcome.
    fn release(self) -> (tokio::runtime::Runtime, Result<u32, Error>) {
        self.release.send(()).unwrap();
        let outcome = self.driver.block_on(self.running).unwrap();
        (self.driver, outcome)
    }
}

#[test]
fn jobs_return_values_and_call_back_into_the_pools_reactor() {
    let driver = driver();
    let reactor = reactor_named("pool-reactor");
    let pool = Pool::builder().workers(2).build(&reactor);
    let thread = driver
        .block_on(pool.run(|| {
            // Plain crochet_core::wait_for, no reactor named: the pool's.
            crochet_core::run_in_reactor(async { std::thread::current().name().map(str::to_owned) })
                .take(PATIENCE)
        }))
        .unwrap()
        .unwrap();
    assert!(thread.unwrap().starts_with("pool-reactor-"));
    let stats = pool.stats();
    assert_eq!((stats.completed, stats.busy, stats.queued), (1, 0, 0));
}

#[test]
fn a_full_pool_refuses_at_once_and_recovers() {
    let busy = busy("overload", 1, PATIENCE);
    let pool = busy.pool.clone();
    let queued = busy.driver.spawn(pool.run(|| 2));
    eventually("the second job is queued", || pool.stats().queued == 1);

    // Worker busy, queue full: refused at once, nothing ran.
    let refused = busy
        .driver
        .block_on(pool.run(|| unreachable!("must not run")));
    assert!(matches!(refused, Err(Error::Overloaded)), "{refused:?}");
    assert_eq!(pool.stats().rejected, 1);

    let (driver, held) = busy.release();
    assert_eq!(held.unwrap(), 1);
    assert_eq!(driver.block_on(queued).unwrap().unwrap(), 2);
    // Healthy again.
    assert_eq!(driver.block_on(pool.run(|| 3)).unwrap(), 3);
}

#[test]
fn a_queued_job_starts_when_a_worker_frees_even_if_the_callers_runtime_is_busy() {
    // The callers' runtime has one thread, and below it is blocked (this
    // test's thread waits on a channel instead of polling it), as a server's
    // runtime is when it is flooded. The freed worker must take the queued
    // job itself.
    let driver = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reactor = reactor_named("handoff");
    let pool = Pool::builder().workers(1).queue(1).build(&reactor);
    let (release, release_rx) = mpsc::channel::<()>();
    let first = driver.spawn(pool.run(move || {
        let _ = release_rx.recv_timeout(PATIENCE);
        1
    }));
    let (second_started, second_started_rx) = mpsc::channel();
    let second = driver.spawn(pool.run(move || {
        let _ = second_started.send(());
        2
    }));
    driver.block_on(async {
        for _ in 0..10_000 {
            if pool.stats().queued == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
    });
    assert_eq!((pool.stats().busy, pool.stats().queued), (1, 1));

    release.send(()).unwrap();
    second_started_rx
        .recv_timeout(PATIENCE)
        .expect("the queued job starts without the caller's runtime");
    assert_eq!(driver.block_on(first).unwrap().unwrap(), 1);
    assert_eq!(driver.block_on(second).unwrap().unwrap(), 2);
    assert_eq!(pool.stats().completed, 2);
}

#[test]
fn a_job_that_waits_past_the_queue_deadline_is_refused() {
    let busy = busy("deadline", 8, Duration::from_millis(10));
    let waited = busy
        .driver
        .block_on(busy.pool.run(|| unreachable!("must not run")));
    assert!(matches!(waited, Err(Error::Overloaded)));
    assert_eq!(busy.release().1.unwrap(), 1);
}

#[test]
fn a_panicking_job_is_reported_and_the_pool_lives_on() {
    let driver = driver();
    let reactor = reactor_named("panics");
    let pool = Pool::builder().workers(1).build(&reactor);
    let err = driver
        .block_on(pool.run(|| -> u8 { panic!("handler blew up") }))
        .unwrap_err();
    let failure = err.failure().expect("a panic");
    assert_eq!(failure.message(), "handler blew up");
    assert!(failure.location().unwrap().contains("pool.rs"));
    assert_eq!(driver.block_on(pool.run(|| 5)).unwrap(), 5);
    let stats = pool.stats();
    assert_eq!((stats.panicked, stats.completed), (1, 1));
}

#[test]
fn dropping_a_queued_job_gives_its_place_back() {
    let busy = busy("drop", 1, PATIENCE);
    let pool = busy.pool.clone();
    let queued = busy
        .driver
        .spawn(pool.run(|| unreachable!("dropped before it ran")));
    eventually("queued", || pool.stats().queued == 1);
    queued.abort();
    eventually("the place is back", || pool.stats().queued == 0);
    assert_eq!(busy.release().1.unwrap(), 1);
}

#[test]
fn shutdown_releases_queued_jobs_and_refuses_new_ones() {
    let busy = busy("stop", 4, PATIENCE);
    let pool = busy.pool.clone();
    let queued = busy.driver.spawn(pool.run(|| 2));
    eventually("queued", || pool.stats().queued == 1);

    busy.reactor.shutdown(Duration::ZERO);
    let queued = busy.driver.block_on(queued).unwrap();
    assert!(matches!(queued, Err(Error::ReactorStopped)), "{queued:?}");
    let late = busy.driver.block_on(pool.run(|| 3));
    assert!(matches!(late, Err(Error::ReactorStopped)));
    // The running job could not be interrupted; it finishes.
    assert_eq!(busy.release().1.unwrap(), 1);
}

#[test]
fn a_storm_of_jobs_deadlines_and_drops_settles_exactly() {
    // Many callers at once on a small pool: some wait past the queue-wait
    // deadline, some are dropped while queued or running. Afterwards every
    // job ran at most once, a refused job never ran, a job that answered
    // ran, and the pool's gauges are back to zero.
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    const JOBS: usize = 2_000;
    let driver = driver();
    let reactor = reactor_named("storm");
    let pool = Pool::builder()
        .workers(4)
        .queue(8)
        .queue_timeout(Duration::from_millis(2))
        .build(&reactor);
    let ran: Arc<Vec<AtomicBool>> = Arc::new((0..JOBS).map(|_| AtomicBool::new(false)).collect());
    let tasks: Vec<_> = (0..JOBS)
        .map(|id| {
            let ran = ran.clone();
            let job = pool.run(move || {
                assert!(!ran[id].swap(true, Ordering::SeqCst), "job {id} ran twice");
                std::thread::sleep(Duration::from_micros((id % 7) as u64 * 50));
            });
            driver.spawn(async move {
                if id % 5 == 0 {
                    // Dropped early: queued, running or not yet admitted.
                    let waited = Duration::from_micros((id % 3) as u64 * 100);
                    tokio::time::timeout(waited, job).await.ok()
                } else {
                    Some(job.await)
                }
            })
        })
        .collect();
    let (mut answered, mut refused, mut dropped) = (0, 0, 0);
    for (id, task) in tasks.into_iter().enumerate() {
        match driver.block_on(task).unwrap() {
            Some(Ok(())) => {
                assert!(
                    ran[id].load(Ordering::SeqCst),
                    "job {id} answered but never ran"
                );
                answered += 1;
            }
            Some(Err(Error::Overloaded)) => {
                assert!(
                    !ran[id].load(Ordering::SeqCst),
                    "job {id} was refused but ran"
                );
                refused += 1;
            }
            Some(Err(other)) => panic!("job {id}: unexpected {other:?}"),
            None => dropped += 1,
        }
    }
    assert_eq!(answered + refused + dropped, JOBS);
    assert!(
        answered > 0 && refused > 0,
        "{answered} answered, {refused} refused"
    );
    eventually("the pool is idle", || {
        let stats = pool.stats();
        stats.busy == 0 && stats.queued == 0
    });
    let ran_count = ran.iter().filter(|r| r.load(Ordering::SeqCst)).count() as u64;
    let stats = pool.stats();
    assert_eq!(
        stats.completed, ran_count,
        "every job that ran was counted once"
    );
    assert_eq!(stats.panicked, 0);
}
