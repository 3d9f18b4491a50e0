//! Where is a blocking call being made from, and how may it block there?
//!
//! tokio offers no public "may I block here?" query, so this module answers
//! it from two public observations:
//!
//! 1. `Handle::try_current()`: is a runtime handle set on this thread at all?
//!    (It is on runtime threads, on `spawn_blocking` threads and under a
//!    `Runtime::enter` guard.)
//! 2. The cooperative-scheduling budget: tokio gives a *constrained* budget
//!    to everything its schedulers poll (tasks, `block_on` futures, `LocalSet`
//!    tasks) and an *unconstrained* one everywhere else (`spawn_blocking`
//!    closures, plain threads). [`in_scheduler_poll`] tells the two apart by
//!    spending budget units one by one (and handing every one back) until the
//!    budget runs out or clearly is not limited.
//!
//! From these:
//!
//! | where                                         | what Crochet does            |
//! |-----------------------------------------------|------------------------------|
//! | no runtime, `spawn_blocking`, `enter` guard   | parks the thread             |
//! | multi-thread runtime worker or its `block_on` | `block_in_place`, then parks |
//! | current-thread runtime (incl. its `LocalSet`) | [`Error::InAsyncContext`]    |
//!
//! A `LocalSet` driven by a *multi-thread* runtime's `block_on` looks like a
//! multi-thread worker from the outside; tokio refuses `block_in_place` there
//! with a panic, which Crochet catches (with the panic hook silenced) and
//! turns into [`Error::InAsyncContext`]. Under `panic = "abort"` that one
//! combination aborts; it is documented in the crate docs.

use std::task::{Context, Poll, Waker};

use tokio::runtime::{Handle, RuntimeFlavor};

use crate::error::Error;
use crate::failure;

/// How a blocking call may block on the current thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocking {
    /// Not inside any scheduler's poll: just park.
    Plain,
    /// On a multi-thread runtime: hand the worker's other tasks off first.
    HandOff,
}

/// Decides how the current thread may block, or refuses.
pub(crate) fn classify() -> Result<Blocking, Error> {
    let Ok(handle) = Handle::try_current() else {
        return Ok(Blocking::Plain);
    };
    if !in_scheduler_poll() {
        return Ok(Blocking::Plain);
    }
    match handle.runtime_flavor() {
        RuntimeFlavor::MultiThread => Ok(Blocking::HandOff),
        _ => Err(Error::InAsyncContext),
    }
}

/// Runs the blocking `f` the way `how` says.
pub(crate) fn block<R>(how: Blocking, f: impl FnOnce() -> R) -> Result<R, Error> {
    match how {
        Blocking::Plain => Ok(f()),
        Blocking::HandOff => {
            // `f` is Crochet's own parking loop; user code inside it is
            // polled under `failure::catch`, so a panic escaping here is
            // tokio refusing `block_in_place` before `f` ran.
            let mut f = Some(f);
            let mut out = None;
            failure::catch_quietly(|| {
                tokio::task::block_in_place(|| {
                    failure::loud(|| {
                        if let Some(f) = f.take() {
                            out = Some(f());
                        }
                    })
                })
            })
            .map_err(|()| Error::InAsyncContext)?;
            out.ok_or(Error::InAsyncContext)
        }
    }
}

/// The largest budget tokio hands a task (`Budget::initial()` is 128).
const MAX_BUDGET: u32 = 128;

/// True when a tokio scheduler is polling the current code: the coop
/// budget is limited. Every unit spent to find out is handed back.
pub(crate) fn in_scheduler_poll() -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    spend(&mut cx, MAX_BUDGET + 1)
}

fn spend(cx: &mut Context<'_>, left: u32) -> bool {
    match tokio::task::coop::poll_proceed(cx) {
        // Out of budget: the budget is limited.
        Poll::Pending => true,
        // Dropping `_restore` without `made_progress()` gives the unit back,
        // innermost first, so the budget ends where it started.
        Poll::Ready(_restore) if left > 0 => spend(cx, left - 1),
        // More units than any limited budget holds: unconstrained.
        Poll::Ready(_restore) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_thread_is_plain() {
        assert_eq!(classify().unwrap(), Blocking::Plain);
    }

    #[test]
    fn current_thread_task_is_refused_and_budget_is_untouched() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let before = tokio::task::coop::has_budget_remaining();
            assert!(matches!(classify(), Err(Error::InAsyncContext)));
            assert_eq!(tokio::task::coop::has_budget_remaining(), before);
        });
    }

    #[test]
    fn enter_guard_alone_is_plain() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _guard = rt.enter();
        assert_eq!(classify().unwrap(), Blocking::Plain);
    }

    #[test]
    fn multi_thread_worker_hands_off() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let how = rt.block_on(async { tokio::spawn(async { classify() }).await.unwrap() });
        assert_eq!(how.unwrap(), Blocking::HandOff);
    }

    #[test]
    fn spawn_blocking_on_current_thread_runtime_is_plain() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let how = rt.block_on(async { tokio::task::spawn_blocking(classify).await.unwrap() });
        assert_eq!(how.unwrap(), Blocking::Plain);
    }

    #[test]
    fn local_set_on_multi_thread_block_on_is_refused_without_panicking() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let outcome = local.block_on(&rt, async {
            tokio::task::spawn_local(async {
                let how = classify()?;
                block(how, || 1)
            })
            .await
            .unwrap()
        });
        assert!(matches!(outcome, Err(Error::InAsyncContext)));
    }
}
