//! Shutting a reactor down within a grace period.

use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use super::Shared;
use crate::context;
use crate::failure;

/// The steps of [`Reactor::shutdown`](crate::Reactor::shutdown).
pub(super) fn shutdown(
    shared: &Shared,
    runtime: impl FnOnce() -> Option<Runtime>,
    grace: Duration,
) {
    if !shared.begin_stopping() {
        return;
    }
    let started = Instant::now();
    let deadline = started.checked_add(grace);
    run_hooks(shared.take_hooks());

    // Waiting is only allowed where blocking is.
    let may_block = context::classify().ok();
    if let (Some(how), Some(deadline)) = (may_block, deadline) {
        let _ = context::block(how, || shared.wait_idle(deadline));
    } else if let Some(how) = may_block {
        // A grace period too long to represent: wait for idleness, bounded
        // by a day so that nothing waits forever.
        let day = Instant::now() + Duration::from_secs(86_400);
        let _ = context::block(how, || shared.wait_idle(day));
    }

    shared.stop_now();
    let dropped = shared.store.clear();
    if dropped > 0 {
        tracing::debug!(target: "crochet", dropped, "dropped stashed results nobody retrieved");
    }
    if let Some(runtime) = runtime() {
        let left = grace.saturating_sub(started.elapsed());
        let left = if may_block.is_some() {
            left
        } else {
            Duration::ZERO
        };
        dispose(shared, runtime, left);
    }
    // Last, so that what the shutdown itself logged is flushed too.
    #[cfg(feature = "log-bridge")]
    if let (Some(bridge), Some(how)) = (&shared.log_bridge, may_block) {
        let left = grace.saturating_sub(started.elapsed());
        let _ = context::block(how, || bridge.flush(left));
    }
}

/// Shuts an owned runtime down, waiting at most `grace` for its blocking
/// threads. Never blocks where blocking is not allowed, and never touches a
/// runtime whose threads were lost to a fork.
pub(super) fn dispose(shared: &Shared, runtime: Runtime, grace: Duration) {
    if shared.is_forked() {
        // Its threads exist only in the parent; shutting it down here would
        // wait for threads that will never answer.
        std::mem::forget(runtime);
        return;
    }
    if grace.is_zero() || context::in_scheduler_poll() {
        runtime.shutdown_background();
    } else {
        runtime.shutdown_timeout(grace);
    }
}

pub(super) fn run_hooks(hooks: Vec<Box<dyn FnOnce() + Send>>) {
    for hook in hooks {
        if let Err(failure) = failure::catch(hook) {
            tracing::error!(target: "crochet", failure = %failure, "a crochet shutdown hook panicked");
        }
    }
}
