//! What reaches `tracing`: the caller's span as the parent of reactor work,
//! and failures nobody looked at.

mod support;

use std::time::Duration;

use support::{PATIENCE, capture_logs, eventually, reactor};

#[test]
fn the_callers_span_is_the_parent_of_work_in_the_reactor() {
    let logs = capture_logs();
    let reactor = reactor();
    let span = tracing::info_span!("blocking_request", id = 7);
    let _entered = span.enter();

    let result = reactor.run_in_reactor(async {
        tokio::task::yield_now().await;
        tracing::info!("background-step marker");
    });
    result.wait(PATIENCE).unwrap();
    reactor
        .wait_for(PATIENCE, async {
            tokio::task::yield_now().await;
            tracing::info!("waited-step marker");
        })
        .unwrap();

    for marker in ["background-step marker", "waited-step marker"] {
        let events = logs.matching(marker);
        assert_eq!(events.len(), 1, "{marker}: {events:?}");
        assert_eq!(events[0].spans, ["blocking_request"], "{marker}");
    }
}

#[test]
fn an_unobserved_failure_is_logged_when_its_result_is_dropped() {
    let logs = capture_logs();
    let reactor = reactor();
    let result = reactor.run_in_reactor(async { panic!("dropped-unseen marker") });
    eventually("the future panicked", || result.is_ready());
    drop(result);
    let events = logs.matching("dropped-unseen marker");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].level, tracing::Level::ERROR);
    assert_eq!(events[0].target, "crochet");
}

#[test]
fn a_failure_after_the_result_was_dropped_is_logged_by_the_task() {
    let logs = capture_logs();
    let reactor = reactor();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    drop(reactor.run_in_reactor(async move {
        let _ = rx.await;
        panic!("late-unseen marker");
    }));
    tx.send(()).unwrap();
    eventually("the late failure is logged", || {
        logs.matching("late-unseen marker").len() == 1
    });
    eventually("the task finished", || reactor.stats().results_pending == 0);
    assert_eq!(logs.matching("late-unseen marker").len(), 1);
}

#[test]
fn an_observed_failure_is_not_logged() {
    let logs = capture_logs();
    let reactor = reactor();
    let result = reactor.run_in_reactor(async { panic!("looked-at marker") });
    assert!(result.wait(PATIENCE).is_err());
    drop(result);
    assert!(logs.matching("looked-at marker").is_empty());
}

#[test]
fn stashed_failures_nobody_retrieved_are_logged_at_shutdown() {
    let logs = capture_logs();
    let reactor = reactor();
    let result = reactor.run_in_reactor(async { panic!("stashed-unseen marker") });
    eventually("the future panicked", || result.is_ready());
    let _id = result.stash().unwrap();
    assert!(logs.matching("stashed-unseen marker").is_empty());
    reactor.shutdown(Duration::ZERO);
    assert_eq!(logs.matching("stashed-unseen marker").len(), 1);
}

#[test]
fn a_pool_job_runs_in_the_callers_span() {
    let logs = capture_logs();
    let reactor = reactor();
    let pool = crochet_core::Pool::builder().workers(1).build(&reactor);
    let driver = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let span = tracing::info_span!("async_request");
    let job = {
        let _entered = span.enter();
        pool.run(|| tracing::info!("pool-job marker"))
    };
    driver.block_on(job).unwrap();
    let events = logs.matching("pool-job marker");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].spans, ["async_request"]);
}
