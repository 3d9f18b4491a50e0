//! Counters behind [`Reactor::stats`](crate::Reactor::stats).
//!
//! The event counters are striped across cache lines, each thread adding to
//! its own stripe, so that many caller threads finishing calls at once do not
//! fight over one counter. Reading sums the stripes.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const STRIPES: usize = 8;

#[derive(Debug, Default)]
#[repr(align(64))]
struct Stripe(AtomicU64);

/// A monotonically increasing event count, cheap to bump from many threads.
#[derive(Debug, Default)]
pub(crate) struct Counter {
    stripes: [Stripe; STRIPES],
}

thread_local! {
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn my_stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    STRIPE
        .try_with(|s| {
            if s.get() == usize::MAX {
                s.set(NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES);
            }
            s.get()
        })
        .unwrap_or(0)
}

impl Counter {
    pub(crate) fn inc(&self) {
        self.stripes[my_stripe()].0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.stripes
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .sum()
    }
}

/// The reactor's event counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) completed: Counter,
    pub(crate) timed_out: Counter,
    pub(crate) cancelled: Counter,
    pub(crate) panicked: Counter,
    pub(crate) stopped: Counter,
    /// `run_in_reactor` futures not finished yet.
    pub(crate) results_pending: AtomicUsize,
}

/// How an operation ended, for counting.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ending {
    Completed,
    TimedOut,
    Cancelled,
    Panicked,
    Stopped,
}

impl Counters {
    pub(crate) fn record(&self, ending: Ending) {
        match ending {
            Ending::Completed => self.completed.inc(),
            Ending::TimedOut => self.timed_out.inc(),
            Ending::Cancelled => self.cancelled.inc(),
            Ending::Panicked => self.panicked.inc(),
            Ending::Stopped => self.stopped.inc(),
        }
    }

    pub(crate) fn record_outcome<T>(&self, outcome: &Result<T, crate::Error>) {
        if let Some(ending) = Ending::of(outcome) {
            self.record(ending);
        }
    }
}

impl Ending {
    /// How a call ended; refusals (wrong context, bad id) are not calls
    /// that ran, and are not counted.
    pub(crate) fn of<T>(outcome: &Result<T, crate::Error>) -> Option<Ending> {
        use crate::Error;
        Some(match outcome {
            Ok(_) => Ending::Completed,
            Err(Error::Timeout) => Ending::TimedOut,
            Err(Error::Cancelled) => Ending::Cancelled,
            Err(Error::Panicked(_)) => Ending::Panicked,
            Err(Error::ReactorStopped | Error::Forked) => Ending::Stopped,
            Err(_) => return None,
        })
    }
}

/// A snapshot of what a reactor is doing and has done.
///
/// Gauges (`results_pending`, `stashed`, `calls_in_flight`) say what is
/// happening now; the other fields count since the reactor was built.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
/// reactor.wait_for(Duration::from_secs(1), async { 1 + 1 })?;
/// let _ = reactor.wait_for(Duration::from_millis(1), std::future::pending::<()>());
/// let stats = reactor.stats();
/// assert_eq!(stats.completed, 1);
/// assert_eq!(stats.timed_out, 1);
/// assert_eq!(stats.calls_in_flight, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// `run_in_reactor` futures that have not finished yet.
    pub results_pending: usize,
    /// Results in the stash store, waiting to be retrieved.
    pub stashed: usize,
    /// Calls whose future is running now: blocked `wait_for` calls plus
    /// unfinished `run_in_reactor` futures.
    pub calls_in_flight: usize,
    /// Futures that finished with a value.
    pub completed: u64,
    /// `wait_for` calls that hit their timeout (their futures were dropped).
    pub timed_out: u64,
    /// Results cancelled with `EventualResult::cancel`.
    pub cancelled: u64,
    /// Futures that panicked.
    pub panicked: u64,
    /// Calls abandoned because the reactor stopped.
    pub stopped: u64,
    /// Log records the attached [`LogBridge`](crate::LogBridge) dropped
    /// because its queue was full (0 without a bridge).
    pub log_records_dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_sums_across_threads() {
        let counter = std::sync::Arc::new(Counter::default());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let counter = counter.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| counter.inc()))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(counter.get(), 4000);
    }
}
