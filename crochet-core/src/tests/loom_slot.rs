//! Models of [`Slot`]: completion racing cancellation, blocking and async
//! waiters, the bookkeeping `complete_and` runs, and the report of an
//! orphaned panic.

use std::task::{Context, Poll};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::{Branches, Wakes};
use crate::error::Error;
use crate::eventual::slot::{Completed, Slot, Waited};
use crate::failure::Failure;

type Outcome = Result<u32, Error>;

/// What the reactor task writes when it is not cancelled.
const VALUE: u32 = 7;

/// Starts the two writers of a slot: the reactor task completing it with
/// [`VALUE`], and the owner cancelling it.
fn race_complete_and_cancel(
    slot: &Arc<Slot<u32>>,
) -> (thread::JoinHandle<Completed>, thread::JoinHandle<bool>) {
    let completer = {
        let slot = slot.clone();
        thread::spawn(move || slot.complete(Ok(VALUE)))
    };
    let canceller = {
        let slot = slot.clone();
        thread::spawn(move || slot.cancel(|| ()))
    };
    (completer, canceller)
}

/// The outcome a waiter ended up with, as something comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Value(u32),
    Cancelled,
    Panicked,
    Other,
}

fn seen(outcome: &Outcome) -> Seen {
    match outcome {
        Ok(value) => Seen::Value(*value),
        Err(Error::Cancelled) => Seen::Cancelled,
        Err(Error::Panicked(_)) => Seen::Panicked,
        Err(_) => Seen::Other,
    }
}

/// `Slot::wait(None, ..)`, recording how often the store closure ran.
fn wait_blocking(slot: &Slot<u32>) -> (Waited, Vec<Seen>) {
    let mut stored = Vec::new();
    let waited = slot.wait(None, |outcome| stored.push(seen(&outcome)));
    (waited, stored)
}

/// `Slot::try_take`, recording how often the store closure ran.
fn try_take(slot: &Slot<u32>) -> (Option<Waited>, Vec<Seen>) {
    let mut stored = Vec::new();
    let waited = slot.try_take(|outcome| stored.push(seen(&outcome)));
    (waited, stored)
}

/// An async waiter: polls `poll_take` with one waker, then again with a
/// second one (so the slot must replace the waker it holds), then blocks
/// until woken. A lost wake-up is a loom deadlock; waking the replaced
/// waker instead of the latest one fails the assertion. Also says how far
/// it got before the outcome was in.
fn wait_async(slot: &Slot<u32>) -> (Option<Seen>, &'static str) {
    let wakes = Wakes::new(2);
    let poll = |id| slot.poll_take(&mut Context::from_waker(&wakes.waker(id)));
    for (id, path) in [(0, "ready at once"), (1, "ready when re-polled")] {
        if let Poll::Ready(outcome) = poll(id) {
            return (outcome.as_ref().map(seen), path);
        }
    }
    assert_eq!(
        wakes.wait_and_reset(),
        [0, 1],
        "only the latest waker is woken"
    );
    match poll(1) {
        Poll::Ready(outcome) => (outcome.as_ref().map(seen), "woken"),
        Poll::Pending => panic!("woken while still pending"),
    }
}

/// The reactor completes while the owner cancels, and a blocking waiter
/// waits: exactly one of them wins, and the waiter gets that outcome,
/// stored exactly once.
#[test]
fn complete_races_cancel_with_a_blocking_waiter() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let slot = Arc::new(Slot::<u32>::new());
        let (completer, canceller) = race_complete_and_cancel(&slot);

        let (waited, stored) = wait_blocking(&slot);

        let completed = match completer.join().unwrap() {
            Completed::Set { unseen_failure } => {
                assert!(unseen_failure.is_none());
                true
            }
            Completed::AlreadyDone => false,
        };
        let cancelled = canceller.join().unwrap();
        assert!(completed != cancelled, "exactly one of them wins");
        let winner = if completed {
            branches.hit("completed");
            Seen::Value(VALUE)
        } else {
            branches.hit("cancelled");
            Seen::Cancelled
        };
        assert_eq!((waited, stored), (Waited::Stored, vec![winner]));
        assert!(!slot.is_pending());
        assert_eq!(try_take(&slot), (Some(Waited::AlreadyTaken), vec![]));
    });
    explored.assert_explored(&["cancelled", "completed"]);
}

/// Two threads block in `wait(None, ..)` while the reactor completes: both
/// are woken, one moves the outcome out, the other finds it taken.
#[test]
fn two_blocking_waiters_share_one_outcome() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let slot = Arc::new(Slot::<u32>::new());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let slot = slot.clone();
                thread::spawn(move || wait_blocking(&slot))
            })
            .collect();

        assert!(matches!(
            slot.complete(Ok(VALUE)),
            Completed::Set {
                unseen_failure: None
            }
        ));

        let stored = || (Waited::Stored, vec![Seen::Value(VALUE)]);
        let taken = || (Waited::AlreadyTaken, vec![]);
        let results: Vec<_> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
        if results == [stored(), taken()] {
            branches.hit("first stored");
        } else if results == [taken(), stored()] {
            branches.hit("second stored");
        } else {
            panic!("exactly one waiter stores the outcome: {results:?}");
        }
    });
    explored.assert_explored(&["first stored", "second stored"]);
}

/// A blocking waiter and a non-blocking `try_take` race the completion:
/// the outcome is stored exactly once, by one of them.
#[test]
fn blocking_waiter_races_try_take() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let slot = Arc::new(Slot::<u32>::new());
        let waiter = {
            let slot = slot.clone();
            thread::spawn(move || wait_blocking(&slot))
        };
        let taker = {
            let slot = slot.clone();
            thread::spawn(move || try_take(&slot))
        };

        assert!(matches!(slot.complete(Ok(VALUE)), Completed::Set { .. }));

        let by_waiter = waiter.join().unwrap();
        let (took, taken) = taker.join().unwrap();
        let stored = (Waited::Stored, vec![Seen::Value(VALUE)]);
        match took {
            None => {
                branches.hit("try_take too early");
                assert_eq!(taken, []);
                assert_eq!(by_waiter, stored);
            }
            Some(Waited::Stored) => {
                branches.hit("try_take stored");
                assert_eq!(taken, [Seen::Value(VALUE)]);
                assert_eq!(by_waiter, (Waited::AlreadyTaken, vec![]));
            }
            Some(Waited::AlreadyTaken) => {
                branches.hit("try_take too late");
                assert_eq!(taken, []);
                assert_eq!(by_waiter, stored);
            }
            Some(Waited::TimedOut) => panic!("try_take never times out"),
        }
    });
    explored.assert_explored(&["try_take stored", "try_take too early", "try_take too late"]);
}

/// An async waiter (`poll_take`, with a new waker on its second poll)
/// while the reactor completes and the owner cancels: its latest waker is
/// always woken and it gets the winner's outcome.
#[test]
fn async_waiter_is_woken_by_complete_or_cancel() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let slot = Arc::new(Slot::<u32>::new());
        let (completer, canceller) = race_complete_and_cancel(&slot);

        let (got, path) = wait_async(&slot);
        branches.hit(path);

        let completed = matches!(completer.join().unwrap(), Completed::Set { .. });
        let cancelled = canceller.join().unwrap();
        assert!(completed != cancelled, "exactly one of them wins");
        let winner = if completed {
            branches.hit("completed");
            Seen::Value(VALUE)
        } else {
            branches.hit("cancelled");
            Seen::Cancelled
        };
        assert_eq!(got, Some(winner));
    });
    explored.assert_explored(&[
        "cancelled",
        "completed",
        "ready at once",
        "ready when re-polled",
        "woken",
    ]);
}

/// An async waiter and a blocking waiter on the same slot: both finish,
/// exactly one of them gets the outcome.
#[test]
fn async_and_blocking_waiters_share_one_outcome() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let slot = Arc::new(Slot::<u32>::new());
        let blocking = {
            let slot = slot.clone();
            thread::spawn(move || wait_blocking(&slot))
        };
        let completer = {
            let slot = slot.clone();
            thread::spawn(move || slot.complete(Ok(VALUE)))
        };

        let (got, path) = wait_async(&slot);
        branches.hit(path);

        assert!(matches!(completer.join().unwrap(), Completed::Set { .. }));
        let by_blocking = blocking.join().unwrap();
        match got {
            Some(seen) => {
                branches.hit("async stored");
                assert_eq!(seen, Seen::Value(VALUE));
                assert_eq!(by_blocking, (Waited::AlreadyTaken, vec![]));
            }
            None => {
                branches.hit("blocking stored");
                assert_eq!(by_blocking, (Waited::Stored, vec![Seen::Value(VALUE)]));
            }
        }
    });
    explored.assert_explored(&[
        "async stored",
        "blocking stored",
        "ready at once",
        "ready when re-polled",
        "woken",
    ]);
}

/// The bookkeeping `complete_and` and `cancel` run (the stats counters,
/// `Relaxed` increments as in `stats.rs`) is visible to any waiter that
/// sees the outcome: one woken by the completion, and one that arrives
/// just after the outcome is in.
#[test]
fn bookkeeping_is_visible_with_the_outcome() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let slot = Arc::new(Slot::<u32>::new());
        let completions = Arc::new(AtomicUsize::new(0));
        let cancellations = Arc::new(AtomicUsize::new(0));
        let completer = {
            let slot = slot.clone();
            let completions = completions.clone();
            thread::spawn(move || {
                slot.complete_and(Ok(VALUE), || {
                    completions.fetch_add(1, Ordering::Relaxed);
                })
            })
        };
        let canceller = {
            let slot = slot.clone();
            let cancellations = cancellations.clone();
            thread::spawn(move || {
                slot.cancel(|| {
                    cancellations.fetch_add(1, Ordering::Relaxed);
                })
            })
        };

        let (waited, stored) = wait_blocking(&slot);
        assert_eq!(waited, Waited::Stored);
        let counted = (
            completions.load(Ordering::Relaxed),
            cancellations.load(Ordering::Relaxed),
        );
        match stored[..] {
            [Seen::Value(VALUE)] => {
                branches.hit("completed");
                assert_eq!(counted, (1, 0), "the completion is counted");
            }
            [Seen::Cancelled] => {
                branches.hit("cancelled");
                assert_eq!(counted, (0, 1), "the cancellation is counted");
            }
            ref other => panic!("stored {other:?}"),
        }

        completer.join().unwrap();
        canceller.join().unwrap();
    });
    explored.assert_explored(&["cancelled", "completed"]);
}

/// A panic failure built outside the models (no panic inside loom).
fn failure() -> Failure {
    Failure::from_payload(Box::new("lost"), None)
}

/// The owner drops (`orphan`) while the reactor completes with a panic:
/// the failure is reported exactly once, by one side or the other.
#[test]
fn orphaned_failure_is_reported_exactly_once() {
    let branches = Branches::new();
    let explored = branches.clone();
    let failure = failure();
    loom::model(move || {
        let slot = Arc::new(Slot::<u32>::new());
        let completer = {
            let slot = slot.clone();
            let failure = failure.clone();
            thread::spawn(move || slot.complete(Err(Error::Panicked(failure))))
        };

        let by_orphan = slot.orphan();

        let by_complete = match completer.join().unwrap() {
            Completed::Set { unseen_failure } => unseen_failure,
            Completed::AlreadyDone => panic!("nothing else completes"),
        };
        let reported = match (by_orphan, by_complete) {
            (Some(f), None) => {
                branches.hit("reported by orphan");
                f
            }
            (None, Some(f)) => {
                branches.hit("reported by complete");
                f
            }
            (a, b) => panic!("reported by orphan: {a:?}, by complete: {b:?}"),
        };
        assert_eq!(reported.message(), "lost");
    });
    explored.assert_explored(&["reported by complete", "reported by orphan"]);
}

/// As above with a cancellation racing too: when the panic lands it is
/// reported exactly once; when the cancellation wins there is no failure
/// in the slot and nothing is reported.
#[test]
fn orphaned_failure_races_cancel() {
    let branches = Branches::new();
    let explored = branches.clone();
    let failure = failure();
    loom::model(move || {
        let slot = Arc::new(Slot::<u32>::new());
        let completer = {
            let slot = slot.clone();
            let failure = failure.clone();
            thread::spawn(move || slot.complete(Err(Error::Panicked(failure))))
        };
        let canceller = {
            let slot = slot.clone();
            thread::spawn(move || slot.cancel(|| ()))
        };

        let by_orphan = slot.orphan();

        let completed = completer.join().unwrap();
        let cancelled = canceller.join().unwrap();
        let by_complete = match &completed {
            Completed::Set { unseen_failure } => unseen_failure.is_some(),
            Completed::AlreadyDone => false,
        };
        let reports = usize::from(by_orphan.is_some()) + usize::from(by_complete);
        match completed {
            Completed::Set { .. } => {
                branches.hit(if by_complete {
                    "panic reported by complete"
                } else {
                    "panic reported by orphan"
                });
                assert!(!cancelled);
                assert_eq!(reports, 1);
            }
            Completed::AlreadyDone => {
                branches.hit("cancelled");
                assert!(cancelled);
                assert_eq!(reports, 0);
            }
        }
    });
    explored.assert_explored(&[
        "cancelled",
        "panic reported by complete",
        "panic reported by orphan",
    ]);
}
