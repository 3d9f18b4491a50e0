//! Models of [`StopSignal`]: the shutdown race (a waiter registers while
//! another thread stops), and `unregister`/`update` racing the stop.

use loom::sync::Arc;
use loom::thread;

use super::{Branches, Wakes};
use crate::stop::StopSignal;

/// A waiter as `wait_for` and `run_in_reactor` tasks use the signal:
/// register; if that succeeded, block until woken. Either way it must then
/// see the stop. A waiter that registered but is never woken is a loom
/// deadlock. Says which way it went.
fn wait_for_stop(signal: &StopSignal) -> &'static str {
    let wakes = Wakes::new(1);
    let path = match signal.register(&wakes.waker(0)) {
        Some(_) => {
            assert_eq!(wakes.wait_and_reset(), [1], "woken exactly once");
            "registered, woken"
        }
        None => "refused",
    };
    assert!(signal.is_stopped());
    path
}

/// The shutdown race: every interleaving of `register` with `stop` ends
/// with the waiter either refused (`None`) or woken.
#[test]
fn register_races_stop() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let signal = Arc::new(StopSignal::new());
        let stopper = {
            let signal = signal.clone();
            thread::spawn(move || signal.stop())
        };

        branches.hit(wait_for_stop(&signal));

        assert!(stopper.join().unwrap(), "the only stop call stops");
        assert_eq!(signal.registered(), 0, "the stop drained everything");
    });
    explored.assert_explored(&["refused", "registered, woken"]);
}

/// Two concurrent `stop` calls and a waiter: the waiter is released and
/// exactly one `stop` reports that it stopped.
#[test]
fn register_races_two_stops() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let signal = Arc::new(StopSignal::new());
        let stoppers: Vec<_> = (0..2)
            .map(|_| {
                let signal = signal.clone();
                thread::spawn(move || signal.stop())
            })
            .collect();

        branches.hit(wait_for_stop(&signal));

        let stopped: Vec<bool> = stoppers.into_iter().map(|s| s.join().unwrap()).collect();
        assert!(
            stopped == [true, false] || stopped == [false, true],
            "exactly one stop call stops: {stopped:?}"
        );
        assert_eq!(signal.registered(), 0);
    });
    explored.assert_explored(&["refused", "registered, woken"]);
}

/// Two waiters (sharing a shard, as loom runs every model thread on one
/// OS thread) race one `stop`: both are released.
#[test]
fn two_waiters_race_stop() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let signal = Arc::new(StopSignal::new());
        let waiter = {
            let signal = signal.clone();
            thread::spawn(move || wait_for_stop(&signal))
        };
        let stopper = {
            let signal = signal.clone();
            thread::spawn(move || signal.stop())
        };

        branches.hit(wait_for_stop(&signal));
        branches.hit(waiter.join().unwrap());

        assert!(stopper.join().unwrap());
        assert_eq!(signal.registered(), 0);
    });
    explored.assert_explored(&["refused", "registered, woken"]);
}

/// A waiter that finishes (unregisters) while the stop drains, then waits
/// again with a fresh registration (reusing the freed entry when the stop
/// has not cleared it yet): no panic, the first waker is woken at most
/// once, and the second registration is refused or woken.
#[test]
fn unregister_and_register_again_race_stop() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let signal = Arc::new(StopSignal::new());
        let first = Wakes::new(1);
        let key = signal.register(&first.waker(0)).expect("not stopped yet");
        let stopper = {
            let signal = signal.clone();
            thread::spawn(move || signal.stop())
        };

        signal.unregister(key);
        branches.hit(wait_for_stop(&signal));

        assert!(stopper.join().unwrap());
        match first.counts()[..] {
            [0] => branches.hit("unregistered before the stop"),
            [1] => branches.hit("first registration woken"),
            ref counts => panic!("first waker woken {counts:?} times"),
        }
        assert_eq!(signal.registered(), 0);
        signal.unregister(key); // after the stop: harmless
    });
    explored.assert_explored(&[
        "first registration woken",
        "refused",
        "registered, woken",
        "unregistered before the stop",
    ]);
}

/// A task re-polled with a new waker (`update`) while the stop drains: the
/// registration's waker, old or new, is woken exactly once.
#[test]
fn update_races_stop() {
    let branches = Branches::new();
    let explored = branches.clone();
    loom::model(move || {
        let signal = Arc::new(StopSignal::new());
        let wakes = Wakes::new(2);
        let key = signal.register(&wakes.waker(0)).expect("not stopped yet");
        let stopper = {
            let signal = signal.clone();
            thread::spawn(move || signal.stop())
        };

        signal.update(key, &wakes.waker(1));
        match wakes.wait_and_reset()[..] {
            [1, 0] => branches.hit("old waker woken"),
            [0, 1] => branches.hit("new waker woken"),
            ref woken => panic!("expected exactly one wake, got {woken:?}"),
        }
        assert!(signal.is_stopped());

        assert!(stopper.join().unwrap());
        assert_eq!(wakes.counts(), [0, 0], "no late wake");
        signal.unregister(key);
        assert_eq!(signal.registered(), 0);
    });
    explored.assert_explored(&["new waker woken", "old waker woken"]);
}
