//! `run_in_reactor` and `EventualResult`: repeatable waits, non-blocking
//! checks, owned extraction, cancellation, failures, concurrent waiters.

mod support;

use std::sync::{Arc, Barrier, mpsc};
use std::time::Duration;

use support::{DropCounter, PATIENCE, SignalOnDrop, eventually, reactor};

#[test]
fn a_timeout_consumes_nothing_and_later_waits_see_the_same_outcome() {
    let reactor = reactor();
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let result = reactor.run_in_reactor(async move { rx.await.unwrap_or_default() });
    assert!(result.try_get().is_none());
    assert!(!result.is_ready());
    assert!(
        result
            .wait(Duration::from_millis(5))
            .unwrap_err()
            .is_timeout()
    );
    assert!(result.wait(Duration::ZERO).unwrap_err().is_timeout());
    tx.send("value".into()).unwrap();
    assert_eq!(result.wait(PATIENCE).unwrap(), "value");
    assert_eq!(result.wait(PATIENCE).unwrap(), "value");
    assert_eq!(result.try_get().unwrap().unwrap(), "value");
    assert!(result.is_ready());
    assert_eq!(result.take(Duration::ZERO).unwrap(), "value");
}

#[test]
fn failures_are_repeatable_too() {
    let reactor = reactor();
    let result = reactor.run_in_reactor(async { panic!("again and again") });
    for _ in 0..3 {
        let err = result.wait(PATIENCE).unwrap_err();
        assert_eq!(err.failure().unwrap().message(), "again and again");
    }
}

#[test]
fn cancel_drops_the_future_in_the_reactor_and_waiters_see_cancelled() {
    let reactor = reactor();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let (polled_tx, polled_rx) = mpsc::channel();
    let result = reactor.run_in_reactor(async move {
        let _signal = SignalOnDrop(dropped_tx);
        let _ = polled_tx.send(());
        std::future::pending::<()>().await;
    });
    polled_rx.recv_timeout(PATIENCE).unwrap();
    assert!(result.cancel());
    assert!(result.wait(PATIENCE).unwrap_err().is_cancelled());
    dropped_rx
        .recv_timeout(PATIENCE)
        .expect("the cancelled future's destructor ran");
    assert!(!result.cancel(), "a second cancel changes nothing");
    assert_eq!(reactor.stats().cancelled, 1);
    eventually("no result pending", || reactor.stats().results_pending == 0);
}

#[test]
fn cancelling_a_finished_result_changes_nothing() {
    let reactor = reactor();
    let result = reactor.run_in_reactor(async { 1 });
    assert_eq!(*result.wait(PATIENCE).unwrap(), 1);
    assert!(!result.cancel());
    assert_eq!(*result.wait(PATIENCE).unwrap(), 1);
    assert_eq!(reactor.stats().cancelled, 0);
}

#[test]
fn cancel_before_the_task_ever_ran_still_drops_the_future() {
    let reactor = reactor();
    let drops = DropCounter::default();
    let token = drops.token();
    let result = reactor.run_in_reactor(async move {
        let _token = token;
        std::future::pending::<()>().await;
    });
    result.cancel();
    assert!(result.wait(PATIENCE).unwrap_err().is_cancelled());
    eventually("the future was dropped", || drops.count() == 1);
}

#[test]
fn original_failure_has_message_location_thread_and_backtrace() {
    let reactor = reactor();
    let result = reactor.run_in_reactor(async {
        tokio::task::yield_now().await;
        let rows: Vec<u8> = Vec::new();
        rows[3]
    });
    assert!(result.original_failure().is_none() || result.is_ready());
    let err = result.wait(PATIENCE).unwrap_err();
    assert!(err.is_panic());
    let failure = result.original_failure().expect("it panicked");
    assert!(
        failure.message().contains("index out of bounds"),
        "{failure}"
    );
    assert!(
        failure.location().unwrap().contains("eventual.rs"),
        "{failure:?}"
    );
    assert!(failure.thread().unwrap().starts_with("crochet-reactor-"));
    assert_eq!(
        failure.backtrace().status(),
        std::backtrace::BacktraceStatus::Captured
    );
    assert!(err.to_string().contains("index out of bounds"));
    assert_eq!(reactor.stats().panicked, 1);
}

#[test]
fn original_failure_is_none_for_values_and_cancellations() {
    let reactor = reactor();
    let ok = reactor.run_in_reactor(async { 1 });
    ok.wait(PATIENCE).unwrap();
    assert!(ok.original_failure().is_none());
    let cancelled = reactor.run_in_reactor(std::future::pending::<()>());
    cancelled.cancel();
    assert!(cancelled.original_failure().is_none());
}

#[test]
fn many_threads_waiting_on_one_result_all_get_it() {
    let reactor = reactor();
    let (tx, rx) = tokio::sync::oneshot::channel::<u64>();
    let result = Arc::new(reactor.run_in_reactor(async move { rx.await.unwrap_or(0) }));
    let barrier = Arc::new(Barrier::new(9));
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let result = result.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                *result.wait(PATIENCE).unwrap()
            })
        })
        .collect();
    barrier.wait();
    tx.send(99).unwrap();
    for waiter in waiters {
        assert_eq!(waiter.join().unwrap(), 99);
    }
}

#[test]
fn stop_gives_pending_results_reactor_stopped() {
    let reactor = reactor();
    let results: Vec<_> = (0..4)
        .map(|_| reactor.run_in_reactor(std::future::pending::<()>()))
        .collect();
    let waiters: Vec<_> = results
        .into_iter()
        .map(|result| std::thread::spawn(move || result.take(PATIENCE)))
        .collect();
    reactor.shutdown(Duration::ZERO);
    for waiter in waiters {
        assert!(waiter.join().unwrap().unwrap_err().is_reactor_stopped());
    }
    let late = reactor.run_in_reactor(async { 1 });
    assert!(late.wait(PATIENCE).unwrap_err().is_reactor_stopped());
    eventually("nothing pending", || reactor.stats().results_pending == 0);
}

#[test]
fn take_hands_over_ownership() {
    let reactor = reactor();
    let result = reactor.run_in_reactor(async { vec![String::from("a")] });
    let owned: Vec<String> = result.take(PATIENCE).unwrap();
    assert_eq!(owned, ["a"]);
}

#[test]
fn dropping_detaches_and_the_work_still_runs() {
    let reactor = reactor();
    let (tx, rx) = mpsc::channel();
    drop(reactor.run_in_reactor(async move {
        tokio::task::yield_now().await;
        let _ = tx.send("ran");
    }));
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "ran");
}
