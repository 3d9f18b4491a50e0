//! `wait_for`: borrowing and `!Send` futures, timeouts that drop, panics,
//! and the reactor stopping under blocked callers.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use crochet_core::{Error, Reactor};
use support::{DropCounter, PATIENCE, pending_forever, reactor, within_patience};

#[test]
fn returns_the_value_of_a_future_that_needs_the_reactor() {
    let reactor = reactor();
    let value = reactor
        .wait_for(PATIENCE, async {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let task = tokio::spawn(async { 40 });
            task.await.unwrap() + 2
        })
        .unwrap();
    assert_eq!(value, 42);
    assert_eq!(reactor.stats().completed, 1);
}

#[test]
fn accepts_futures_that_borrow_from_the_caller() {
    let reactor = reactor();
    let mut log = vec![String::from("start")];
    let borrowed = &mut log;
    reactor
        .wait_for(PATIENCE, async {
            tokio::task::yield_now().await;
            borrowed.push(String::from("inside"));
        })
        .unwrap();
    assert_eq!(log, ["start", "inside"]);
}

#[test]
fn accepts_futures_that_are_not_send() {
    let reactor = reactor();
    let shared = Rc::new(Cell::new(1));
    let inner = shared.clone();
    let out = reactor
        .wait_for(PATIENCE, async move {
            tokio::task::yield_now().await;
            inner.set(inner.get() + 1);
            inner
        })
        .unwrap();
    assert_eq!(out.get(), 2);
    assert_eq!(shared.get(), 2);
}

#[test]
fn errors_of_the_future_stay_inside_its_output() {
    let reactor = reactor();
    let out: Result<Result<u8, std::num::ParseIntError>, Error> =
        reactor.wait_for(PATIENCE, async { "x".parse::<u8>() });
    assert!(out.unwrap().is_err());
}

#[test]
fn timeout_drops_the_future_before_returning() {
    let reactor = reactor();
    let drops = DropCounter::default();
    let token = drops.token();
    let err = reactor
        .wait_for(Duration::from_millis(20), async move {
            let _token = token;
            std::future::pending::<()>().await;
        })
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(drops.count(), 1, "the timed-out future's destructor ran");
    let stats = reactor.stats();
    assert_eq!(stats.timed_out, 1);
    assert_eq!(stats.calls_in_flight, 0);
}

#[test]
fn zero_timeout_still_returns_a_ready_value() {
    let reactor = reactor();
    assert_eq!(reactor.wait_for(Duration::ZERO, async { 5 }).unwrap(), 5);
    assert!(
        reactor
            .wait_for(Duration::ZERO, tokio::task::yield_now())
            .unwrap_err()
            .is_timeout()
    );
}

#[test]
fn huge_timeout_does_not_overflow() {
    let reactor = reactor();
    let value = reactor
        .wait_for(Duration::MAX, async {
            tokio::task::yield_now().await;
            1
        })
        .unwrap();
    assert_eq!(value, 1);
}

#[test]
fn panic_becomes_an_error_and_everything_survives() {
    let reactor = reactor();
    let drops = DropCounter::default();
    let token = drops.token();
    let err = reactor
        .wait_for(PATIENCE, async move {
            let _token = token;
            tokio::task::yield_now().await;
            panic!("bad row {}", 3);
        })
        .unwrap_err();
    let failure = err.failure().expect("a panic");
    assert_eq!(failure.message(), "bad row 3");
    assert!(failure.location().unwrap().contains("wait_for.rs"));
    assert_eq!(drops.count(), 1);
    // This thread and the reactor carry on.
    assert_eq!(reactor.wait_for(PATIENCE, async { 1 }).unwrap(), 1);
    assert_eq!(reactor.stats().panicked, 1);
}

#[test]
fn stop_releases_every_blocked_waiter() {
    let reactor = reactor();
    let drops = DropCounter::default();
    let (done_tx, done_rx) = mpsc::channel();
    let mut started = Vec::new();
    for _ in 0..8 {
        let reactor = reactor.clone();
        let done_tx = done_tx.clone();
        let token = drops.token();
        let (fut, polled) = pending_forever();
        started.push(polled);
        std::thread::spawn(move || {
            let out = reactor.wait_for(Duration::from_secs(3600), async move {
                let _token = token;
                fut.await
            });
            let _ = done_tx.send(out);
        });
    }
    for polled in started {
        polled.recv_timeout(PATIENCE).unwrap();
    }
    reactor.shutdown(Duration::ZERO);
    for _ in 0..8 {
        let out = done_rx.recv_timeout(PATIENCE).expect("waiter released");
        assert!(out.unwrap_err().is_reactor_stopped());
    }
    assert_eq!(drops.count(), 8, "every abandoned future was dropped");
    assert_eq!(reactor.stats().calls_in_flight, 0);
}

#[test]
fn calls_after_stop_fail_at_once_without_polling() {
    let reactor = reactor();
    reactor.shutdown(Duration::ZERO);
    let (fut, polled) = pending_forever();
    let err = reactor
        .wait_for(Duration::from_secs(3600), fut)
        .unwrap_err();
    assert!(err.is_reactor_stopped());
    assert!(polled.try_recv().is_err(), "the future was never polled");
}

#[test]
fn grace_period_lets_in_flight_calls_finish() {
    let reactor = reactor();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<u8>();
    let (polled_tx, polled_rx) = mpsc::channel();
    let waiter = {
        let reactor = reactor.clone();
        std::thread::spawn(move || {
            reactor.wait_for(PATIENCE, async move {
                let _ = polled_tx.send(());
                release_rx.await.unwrap_or(0)
            })
        })
    };
    polled_rx.recv_timeout(PATIENCE).unwrap();
    // The hook runs when shutdown begins; the in-flight call then finishes
    // inside the grace period and keeps its value.
    reactor.on_shutdown(move || {
        let _ = release_tx.send(9);
    });
    within_patience(move || reactor.shutdown(PATIENCE));
    assert_eq!(waiter.join().unwrap().unwrap(), 9);
}

#[test]
fn dropping_the_last_handle_stops_the_reactor() {
    let reactor = reactor();
    let result = reactor.run_in_reactor(std::future::pending::<()>());
    drop(reactor);
    let err = within_patience(move || result.take(PATIENCE).unwrap_err());
    assert!(err.is_reactor_stopped(), "{err}");
}

#[test]
fn an_attached_runtime_shutting_down_stops_waiters_with_reactor_stopped() {
    // A server's runtime, with Crochet attached to it; a blocking handler
    // (here a plain thread) waits on one of its timers when it shuts down.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let reactor = Reactor::builder().attach(runtime.handle().clone());
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        reactor.wait_for(PATIENCE, async {
            let _ = waiting_tx.send(());
            tokio::time::sleep(PATIENCE * 2).await;
        })
    });
    waiting_rx.recv_timeout(PATIENCE).unwrap();
    runtime.shutdown_timeout(Duration::from_secs(5));
    let outcome = waiter.join().unwrap();
    assert!(matches!(outcome, Err(Error::ReactorStopped)), "{outcome:?}");
}
