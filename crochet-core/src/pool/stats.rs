//! What a [`Pool`](super::Pool) is doing and has done.

use crate::stats::Counter;

#[derive(Debug, Default)]
pub(super) struct PoolCounters {
    completed: Counter,
    panicked: Counter,
    rejected: Counter,
}

impl PoolCounters {
    pub(super) fn finished(&self, ok: bool) {
        if ok {
            self.completed.inc();
        } else {
            self.panicked.inc();
        }
    }

    pub(super) fn rejected(&self) {
        self.rejected.inc();
    }

    pub(super) fn snapshot(
        &self,
        workers: usize,
        queue: usize,
        busy: usize,
        queued: usize,
    ) -> PoolStats {
        PoolStats {
            workers,
            queue,
            busy,
            queued,
            completed: self.completed.get(),
            panicked: self.panicked.get(),
            rejected: self.rejected.get(),
        }
    }
}

/// A snapshot of a [`Pool`](super::Pool).
///
/// # Examples
///
/// ```
/// let reactor = crochet_core::Reactor::builder().build()?;
/// let pool = crochet_core::Pool::builder().build(&reactor);
/// assert_eq!(pool.stats().rejected, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStats {
    /// Configured workers.
    pub workers: usize,
    /// Configured queue places.
    pub queue: usize,
    /// Jobs running now.
    pub busy: usize,
    /// Jobs waiting for a worker now.
    pub queued: usize,
    /// Jobs that returned.
    pub completed: u64,
    /// Jobs that panicked.
    pub panicked: u64,
    /// Jobs refused with `Overloaded` (queue full or queue-wait deadline).
    pub rejected: u64,
}
