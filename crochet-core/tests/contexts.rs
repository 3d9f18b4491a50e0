//! Blocking calls made from inside async code: allowed where blocking is
//! safe, refused with `InAsyncContext` where it would stall, never a panic
//! or a deadlock.

mod support;

use std::time::Duration;

use crochet_core::{Error, Reactor};
use support::{PATIENCE, pending_forever, reactor, within_patience};

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread_runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn current_thread_task_is_refused_without_polling() {
    let reactor = reactor();
    let rt = current_thread_runtime();
    let (fut, polled) = pending_forever();
    let out = rt.block_on(async { reactor.wait_for(PATIENCE, fut) });
    assert!(matches!(out, Err(Error::InAsyncContext)), "{out:?}");
    assert!(polled.try_recv().is_err(), "nothing was polled");
    // A spawned task on it too.
    let spawned = rt.block_on(async {
        tokio::spawn({
            let reactor = reactor.clone();
            async move { reactor.wait_for(PATIENCE, async { 1 }) }
        })
        .await
        .unwrap()
    });
    assert!(matches!(spawned, Err(Error::InAsyncContext)));
}

#[test]
fn local_set_on_a_current_thread_runtime_is_refused() {
    let reactor = reactor();
    let rt = current_thread_runtime();
    let local = tokio::task::LocalSet::new();
    let out = local.block_on(&rt, async {
        tokio::task::spawn_local(async move { reactor.wait_for(PATIENCE, async { 1 }) })
            .await
            .unwrap()
    });
    assert!(matches!(out, Err(Error::InAsyncContext)));
}

#[test]
fn local_set_on_a_multi_thread_runtime_is_refused() {
    let reactor = reactor();
    let rt = multi_thread_runtime(1);
    let local = tokio::task::LocalSet::new();
    let out = local.block_on(&rt, async {
        tokio::task::spawn_local(
            async move { reactor.wait_for(PATIENCE, tokio::task::yield_now()) },
        )
        .await
        .unwrap()
    });
    assert!(matches!(out, Err(Error::InAsyncContext)), "{out:?}");
}

#[test]
fn eventual_wait_is_refused_on_a_current_thread_runtime_unless_ready() {
    let reactor = reactor();
    let rt = current_thread_runtime();
    let pending = reactor.run_in_reactor(std::future::pending::<()>());
    let ready = reactor.run_in_reactor(async { 3 });
    ready.wait(PATIENCE).unwrap();
    rt.block_on(async {
        assert!(matches!(pending.wait(PATIENCE), Err(Error::InAsyncContext)));
        assert_eq!(*ready.wait(PATIENCE).unwrap(), 3);
        // Awaiting is the async way.
        pending.cancel();
        assert!(pending.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn works_on_a_multi_thread_worker() {
    let reactor = reactor();
    let rt = multi_thread_runtime(2);
    let out = rt.block_on(async {
        tokio::spawn(async move {
            reactor.wait_for(PATIENCE, async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                7
            })
        })
        .await
        .unwrap()
    });
    assert_eq!(out.unwrap(), 7);
}

#[test]
fn works_on_the_block_on_thread_of_a_multi_thread_runtime() {
    let reactor = reactor();
    let rt = multi_thread_runtime(1);
    let out = rt.block_on(async { reactor.wait_for(PATIENCE, tokio::task::yield_now()) });
    assert!(out.is_ok());
}

/// The synchronous-Rocket-route case: Crochet attached to the very runtime
/// whose workers block, and futures that spawn onto that runtime. Without
/// handing the worker off, the spawned task would sit in the blocked
/// worker's queue; with every worker blocked at once, nothing would run.
#[test]
fn attached_to_the_callers_own_runtime_every_worker_can_block_at_once() {
    let rt = multi_thread_runtime(2);
    let reactor = Reactor::builder().attach(rt.handle().clone());
    let total = within_patience(move || {
        rt.block_on(async move {
            let calls: Vec<_> = (0..6)
                .map(|i| {
                    let reactor = reactor.clone();
                    tokio::spawn(async move {
                        reactor.wait_for(PATIENCE, async move {
                            let inner = tokio::spawn(async move { i * 10 });
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            inner.await.unwrap()
                        })
                    })
                })
                .collect();
            let mut total = 0;
            for call in calls {
                total += call.await.unwrap().unwrap();
            }
            total
        })
    });
    assert_eq!(total, 150);
}

#[test]
fn works_from_spawn_blocking_on_either_runtime_flavour() {
    for rt in [current_thread_runtime(), multi_thread_runtime(1)] {
        let reactor = reactor();
        let out = rt.block_on(async {
            tokio::task::spawn_blocking(move || {
                reactor.wait_for(PATIENCE, async {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    "ok"
                })
            })
            .await
            .unwrap()
        });
        assert_eq!(out.unwrap(), "ok");
    }
}

/// `spawn_blocking` on a current-thread runtime with Crochet attached to
/// that runtime: the runtime's own thread keeps driving it (it is awaiting
/// the blocking task), so the wait completes. This is actix's `web::block`.
#[test]
fn spawn_blocking_calling_back_into_its_own_current_thread_runtime() {
    let rt = current_thread_runtime();
    let reactor = Reactor::builder().attach(rt.handle().clone());
    let out = within_patience(move || {
        rt.block_on(async move {
            tokio::task::spawn_blocking(move || {
                reactor.wait_for(PATIENCE, async {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    5
                })
            })
            .await
            .unwrap()
        })
    });
    assert_eq!(out.unwrap(), 5);
}

#[test]
fn an_enter_guard_alone_does_not_count_as_async_context() {
    let reactor = reactor();
    let other = current_thread_runtime();
    let _guard = other.enter();
    assert_eq!(reactor.wait_for(PATIENCE, async { 1 }).unwrap(), 1);
}

#[test]
fn eventual_result_can_be_awaited_from_async_code() {
    let reactor = reactor();
    let rt = current_thread_runtime();
    let result = reactor.run_in_reactor(async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        String::from("awaited")
    });
    let out = rt.block_on(result);
    assert_eq!(out.unwrap(), "awaited");
}
