//! Many threads making mixed calls at once: every call returns exactly one
//! outcome of the expected kind, every future is dropped, and the reactor's
//! gauges return to zero.

mod support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use crochet_core::{Error, Reactor};
use support::{DropCounter, PATIENCE, eventually};

const THREADS: usize = 16;
const ROUNDS: usize = 60;

#[derive(Default, Debug)]
struct Tally {
    ok: u64,
    timed_out: u64,
    cancelled: u64,
    panicked: u64,
    stopped: u64,
}

fn one_round(reactor: &Reactor, drops: &DropCounter, round: usize, tally: &mut Tally) {
    let token = drops.token();
    let record = |tally: &mut Tally, outcome: Result<(), Error>| match outcome {
        Ok(()) => tally.ok += 1,
        Err(Error::Timeout) => tally.timed_out += 1,
        Err(Error::Cancelled) => tally.cancelled += 1,
        Err(Error::Panicked(_)) => tally.panicked += 1,
        Err(Error::ReactorStopped) => tally.stopped += 1,
        Err(other) => panic!("unexpected outcome {other:?}"),
    };
    match round % 6 {
        0 => record(
            tally,
            reactor.wait_for(PATIENCE, async move { drop(token) }),
        ),
        1 => record(
            tally,
            reactor.wait_for(PATIENCE, async move {
                let _token = token;
                tokio::task::yield_now().await;
            }),
        ),
        2 => record(
            tally,
            reactor.wait_for(Duration::from_millis(1), async move {
                let _token = token;
                std::future::pending::<()>().await;
            }),
        ),
        3 => {
            let result = reactor.run_in_reactor(async move {
                let _token = token;
                tokio::task::yield_now().await;
            });
            record(tally, result.take(PATIENCE));
        }
        4 => {
            let result = reactor.run_in_reactor(async move {
                let _token = token;
                std::future::pending::<()>().await;
            });
            result.cancel();
            record(tally, result.take(PATIENCE));
        }
        _ => {
            let result = reactor.run_in_reactor(async move {
                let _token = token;
                tokio::task::yield_now().await;
                if round % 12 == 5 {
                    panic!("deliberate");
                }
            });
            match result.stash() {
                Ok(id) => {
                    let back = reactor.retrieve_result::<()>(id).unwrap();
                    record(tally, back.take(PATIENCE));
                }
                Err(refused) => {
                    assert!(refused.error().is_reactor_stopped());
                    record(tally, refused.into_result().take(PATIENCE));
                }
            }
        }
    }
}

fn hammer(stop_midway: bool) -> (Tally, Reactor, DropCounter) {
    // Deliberate panics should not flood the test output; Crochet's hook
    // chains to this silent one.
    static SILENCE: std::sync::Once = std::sync::Once::new();
    SILENCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"deliberate") {
                default(info);
            }
        }));
    });
    let reactor = Reactor::builder().worker_threads(2).build().unwrap();
    let drops = DropCounter::default();
    let start = Arc::new(Barrier::new(THREADS + 1));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let reactor = reactor.clone();
            let drops = drops.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                start.wait();
                for round in 0..ROUNDS {
                    one_round(&reactor, &drops, round + t, &mut tally);
                }
                tally
            })
        })
        .collect();
    start.wait();
    if stop_midway {
        // Stop while the callers are busy; their remaining calls must all
        // still end, with ReactorStopped.
        eventually("some calls done", || reactor.stats().completed > 50);
        reactor.shutdown(Duration::ZERO);
    }
    let mut total = Tally::default();
    for thread in threads {
        let tally = thread.join().unwrap();
        total.ok += tally.ok;
        total.timed_out += tally.timed_out;
        total.cancelled += tally.cancelled;
        total.panicked += tally.panicked;
        total.stopped += tally.stopped;
    }
    (total, reactor, drops)
}

fn outcomes(t: &Tally) -> u64 {
    t.ok + t.timed_out + t.cancelled + t.panicked + t.stopped
}

#[test]
fn mixed_calls_from_many_threads_settle_completely() {
    let (tally, reactor, drops) = hammer(false);
    let calls = (THREADS * ROUNDS) as u64;
    assert_eq!(outcomes(&tally), calls, "{tally:?}");
    assert_eq!(tally.stopped, 0);
    assert!(tally.timed_out > 0 && tally.cancelled > 0 && tally.panicked > 0);
    eventually("every future dropped", || drops.count() as u64 == calls);
    eventually("nothing pending", || {
        let s = reactor.stats();
        s.results_pending == 0 && s.calls_in_flight == 0 && s.stashed == 0
    });
    let stats = reactor.stats();
    assert_eq!(stats.timed_out, tally.timed_out);
    assert_eq!(stats.cancelled, tally.cancelled);
    assert_eq!(stats.panicked, tally.panicked);
    assert_eq!(stats.completed, tally.ok);
    // tokio releases a task just after it has settled its result.
    eventually("no task left behind (tokio's alive-task count)", || {
        reactor.handle().metrics().num_alive_tasks() == 0
    });
}

#[test]
fn stopping_in_the_middle_still_gives_every_call_one_outcome() {
    let (tally, reactor, drops) = hammer(true);
    let calls = (THREADS * ROUNDS) as u64;
    assert_eq!(outcomes(&tally), calls, "{tally:?}");
    assert!(tally.stopped > 0, "{tally:?}");
    eventually("every future dropped", || drops.count() as u64 == calls);
    // With a zero grace period the runtime drops its last tasks in the
    // background, so the gauges settle shortly after `shutdown` returns.
    eventually("nothing pending", || {
        let s = reactor.stats();
        s.results_pending == 0 && s.calls_in_flight == 0
    });
}

#[test]
fn a_thousand_blocked_waiters_are_all_released_by_shutdown() {
    // Half wait in `wait_for`, half on an `EventualResult`, all on futures
    // that never finish; shutdown must release every one with
    // ReactorStopped and drop every future.
    const WAITERS: usize = 1_000;
    let reactor = Reactor::builder().worker_threads(2).build().unwrap();
    let drops = DropCounter::default();
    let (blocked_tx, blocked_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    for n in 0..WAITERS {
        let (reactor, token) = (reactor.clone(), drops.token());
        let (blocked_tx, done_tx) = (blocked_tx.clone(), done_tx.clone());
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let never = async move {
                    let _token = token;
                    std::future::pending::<()>().await;
                };
                let outcome = if n % 2 == 0 {
                    reactor.wait_for(Duration::from_secs(3600), async move {
                        let _ = blocked_tx.send(());
                        never.await
                    })
                } else {
                    let result = reactor.run_in_reactor(never);
                    let _ = blocked_tx.send(());
                    result.wait(Duration::from_secs(3600)).map(|_| ())
                };
                let _ = done_tx.send(outcome);
            })
            .unwrap();
    }
    for _ in 0..WAITERS {
        blocked_rx
            .recv_timeout(PATIENCE)
            .expect("every waiter started");
    }
    reactor.shutdown(Duration::ZERO);
    for _ in 0..WAITERS {
        let outcome = done_rx
            .recv_timeout(PATIENCE)
            .expect("every waiter released");
        assert!(matches!(outcome, Err(Error::ReactorStopped)), "{outcome:?}");
    }
    eventually("every future dropped", || drops.count() == WAITERS);
    eventually("nothing in flight", || {
        let stats = reactor.stats();
        stats.calls_in_flight == 0 && stats.results_pending == 0
    });
}
