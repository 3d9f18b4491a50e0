//! [`EventualResult`]: the handle on work started with `run_in_reactor`.

pub(crate) mod slot;
pub(crate) mod task;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::AbortHandle;

use self::slot::{Slot, Waited};
use crate::context;
use crate::error::Error;
use crate::failure::Failure;
use crate::reactor::Shared;
use crate::result_id::ResultId;
use crate::wait::deadline;

/// The eventual outcome of a future started with
/// [`run_in_reactor`](fn@crate::run_in_reactor): check on it, wait for it,
/// cancel it, await it, or stash it and pick it up later by id.
///
/// The counterpart of Crochet's `EventualResult`.
///
/// * [`wait`](Self::wait) blocks with a timeout. A timeout consumes nothing:
///   wait again later. Once the outcome is in, every `wait` sees the same
///   outcome (the value by reference, or a clone of the error).
/// * [`try_get`](Self::try_get) / [`is_ready`](Self::is_ready) check without
///   blocking; [`take`](Self::take) hands over the value by ownership.
/// * [`cancel`](Self::cancel) drops the future in the reactor.
/// * `.await` it from async code.
/// * [`stash`](Self::stash) it for [`retrieve_result`](crate::retrieve_result).
///
/// # Dropping
///
/// Dropping an `EventualResult` *detaches* the work, as dropping a tokio
/// `JoinHandle` does: the future keeps running to completion and its value is
/// discarded. If it panicked (or panics later) and nobody looked at the
/// outcome, the failure is logged as a `tracing` error event, as Crochet logs
/// unhandled failures. To stop the work, call [`cancel`](Self::cancel).
///
/// An `EventualResult` does not keep its reactor's runtime alive; if every
/// [`Reactor`](crate::Reactor) handle is dropped or the reactor is shut down,
/// pending results end with [`Error::ReactorStopped`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
/// let result = reactor.run_in_reactor(async {
///     tokio::task::yield_now().await;
///     String::from("hello")
/// });
/// // ... do other blocking work here ...
/// assert_eq!(result.wait(Duration::from_secs(5))?, "hello");
/// assert_eq!(result.wait(Duration::ZERO)?, "hello"); // same outcome again
/// let owned: String = result.take(Duration::ZERO)?;
/// assert_eq!(owned, "hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping an EventualResult detaches the work and discards its outcome"]
pub struct EventualResult<T> {
    /// `None` only when no reactor could be set up at all.
    shared: Option<Arc<Shared>>,
    slot: Arc<Slot<T>>,
    abort: Option<AbortHandle>,
    /// The outcome, once a wait has moved it out of the shared slot.
    outcome: OnceLock<Result<T, Error>>,
    /// Somebody has seen the outcome (so a failure need not be logged).
    observed: AtomicBool,
}

// Awaiting never pins any field in place: the slot is behind an `Arc` and
// the outcome is moved out by value.
impl<T> Unpin for EventualResult<T> {}

impl<T> EventualResult<T> {
    pub(crate) fn pending(shared: Arc<Shared>, slot: Arc<Slot<T>>, abort: AbortHandle) -> Self {
        Self::new(Some(shared), slot, Some(abort))
    }

    pub(crate) fn finished(shared: Arc<Shared>, outcome: Result<T, Error>) -> Self {
        shared.counters.record_outcome(&outcome);
        Self::new(Some(shared), Arc::new(Slot::finished(outcome)), None)
    }

    /// A result for work that could not even start: no reactor exists.
    pub(crate) fn unavailable(err: Error) -> Self {
        Self::new(None, Arc::new(Slot::finished(Err(err))), None)
    }

    /// A finished result belonging to no reactor, for the loom model of
    /// the stash store.
    #[cfg(loom)]
    pub(crate) fn ready(value: T) -> Self {
        Self::new(None, Arc::new(Slot::finished(Ok(value))), None)
    }

    fn new(shared: Option<Arc<Shared>>, slot: Arc<Slot<T>>, abort: Option<AbortHandle>) -> Self {
        EventualResult {
            shared,
            slot,
            abort,
            outcome: OnceLock::new(),
            observed: AtomicBool::new(false),
        }
    }

    fn store(&self) -> impl FnOnce(Result<T, Error>) + '_ {
        |outcome| {
            let _ = self.outcome.set(outcome);
        }
    }

    fn cached(&self) -> Option<Result<&T, Error>> {
        let outcome = self.outcome.get()?;
        self.observed.store(true, Ordering::Relaxed);
        Some(outcome.as_ref().map_err(Clone::clone))
    }

    /// Blocks until the outcome is in or `timeout` passes.
    ///
    /// Returns the value by reference; call it again to get the same outcome
    /// (a timeout consumes nothing). `Duration::ZERO` checks without blocking.
    ///
    /// # Errors
    ///
    /// * [`Error::Timeout`] — not finished yet; wait again later.
    /// * [`Error::Cancelled`], [`Error::Panicked`], [`Error::ReactorStopped`]:
    ///   the outcome of the work (the same on every later wait).
    /// * [`Error::InAsyncContext`] — called (while the outcome was not in yet)
    ///   on a thread driving a current-thread runtime or a `LocalSet`, where
    ///   blocking would stall it. `.await` the result there instead.
    /// * [`Error::Forked`] — called in a child process forked after setup.
    ///
    /// # Async contexts
    ///
    /// On a multi-thread runtime worker this is allowed: the worker's other
    /// tasks are handed to another thread first (`block_in_place`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
    /// let result = reactor.run_in_reactor(async move { rx.await.unwrap_or(0) });
    ///
    /// assert!(result.wait(Duration::from_millis(10)).unwrap_err().is_timeout());
    /// tx.send(7).unwrap();
    /// assert_eq!(*result.wait(Duration::from_secs(5))?, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn wait(&self, timeout: Duration) -> Result<&T, Error> {
        if let Some(outcome) = self.try_get() {
            return outcome;
        }
        if timeout.is_zero() {
            return Err(Error::Timeout);
        }
        if let Some(shared) = &self.shared {
            shared.check_process()?;
        }
        let how = context::classify()?;
        let deadline = deadline(timeout);
        match context::block(how, || self.slot.wait(deadline, self.store()))? {
            Waited::Stored | Waited::AlreadyTaken => {
                self.cached().unwrap_or(Err(Error::NoSuchResult))
            }
            Waited::TimedOut => Err(Error::Timeout),
        }
    }

    /// The outcome if it is in, without blocking; `None` while it runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(std::future::pending::<()>());
    /// assert!(result.try_get().is_none());
    /// result.cancel();
    /// assert!(result.try_get().unwrap().unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_get(&self) -> Option<Result<&T, Error>> {
        if let Some(outcome) = self.cached() {
            return Some(outcome);
        }
        self.slot.try_take(self.store())?;
        self.cached()
    }

    /// True once the outcome is in (value, error, cancellation or stop).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(async { 1 });
    /// result.wait(Duration::from_secs(5))?;
    /// assert!(result.is_ready());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_ready(&self) -> bool {
        self.outcome.get().is_some() || !self.slot.is_pending()
    }

    /// Waits like [`wait`](Self::wait), then hands over the value by
    /// ownership.
    ///
    /// This consumes the `EventualResult` even when it fails: on
    /// [`Error::Timeout`] the work is detached (see *Dropping* above). To
    /// keep waiting after a timeout, use [`wait`](Self::wait) and call `take`
    /// once it succeeds.
    ///
    /// # Errors
    ///
    /// As for [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(async { vec![1, 2, 3] });
    /// let numbers: Vec<i32> = result.take(Duration::from_secs(5))?;
    /// assert_eq!(numbers, [1, 2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn take(mut self, timeout: Duration) -> Result<T, Error> {
        if let Err(err) = self.wait(timeout) {
            if err.is_timeout() {
                // Detached, as documented: the owner gives up on it here,
                // so don't report "never looked at".
                self.observed.store(true, Ordering::Relaxed);
            }
            return Err(err);
        }
        self.outcome.take().unwrap_or(Err(Error::NoSuchResult))
    }

    /// Cancels the work: the future is dropped in the reactor (its
    /// destructors run there shortly after), and every wait returns
    /// [`Error::Cancelled`] from now on.
    ///
    /// Returns `false`, changing nothing, when the outcome was already in.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(std::future::pending::<()>());
    /// assert!(result.cancel());
    /// assert!(result.wait(Duration::from_secs(1)).unwrap_err().is_cancelled());
    /// assert!(!result.cancel()); // already settled
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn cancel(&self) -> bool {
        let counted = || {
            if let Some(shared) = &self.shared {
                shared.counters.cancelled.inc();
            }
        };
        if !self.slot.cancel(counted) {
            return false;
        }
        if let Some(abort) = &self.abort {
            abort.abort();
        }
        true
    }

    /// The panic behind a failed result: message, location and the backtrace
    /// captured in the reactor thread at the panic site. `None` while the
    /// work runs, and when it did not panic. Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(async { panic!("no such table") });
    /// let _ = result.wait(Duration::from_secs(5));
    /// let failure = result.original_failure().expect("it panicked");
    /// assert_eq!(failure.message(), "no such table");
    /// println!("{failure}\n{}", failure.backtrace());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn original_failure(&self) -> Option<Failure> {
        match self.try_get()? {
            Err(Error::Panicked(failure)) => Some(failure),
            _ => None,
        }
    }

    /// A panic that is in but was never looked at, for logging on drop.
    fn unseen_failure(&self) -> Option<Failure> {
        if self.observed.load(Ordering::Relaxed) {
            return None;
        }
        match self.outcome.get() {
            Some(Err(Error::Panicked(failure))) => Some(failure.clone()),
            Some(_) => None,
            None => self.slot.orphan(),
        }
    }
}

impl<T: Send + 'static> EventualResult<T> {
    /// Puts this result in its reactor's stash store and returns an id to
    /// [`retrieve_result`](crate::retrieve_result) it by later, typically
    /// from another web request (put the id in a cookie or a URL).
    ///
    /// Retrieval is one-time. The store is bounded by capacity and time to
    /// live ([`Builder::stash_capacity`](crate::Builder::stash_capacity),
    /// [`Builder::stash_ttl`](crate::Builder::stash_ttl)); an expired result
    /// is dropped (detached), and a failure in it that was never retrieved is
    /// logged, as are the ones still stashed at shutdown.
    ///
    /// # Errors
    ///
    /// A [`StashError`] holding this result back when the store is full
    /// ([`Error::Overloaded`]) or the reactor has stopped
    /// ([`Error::ReactorStopped`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let id = reactor.run_in_reactor(async { "report ready" }).stash()?;
    ///
    /// // ... a later request, holding only the id ...
    /// let result = reactor.retrieve_result::<&str>(id)?;
    /// assert_eq!(*result.wait(Duration::from_secs(5))?, "report ready");
    /// assert!(reactor.retrieve_result::<&str>(id).is_err()); // one-time
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stash(self) -> Result<ResultId, StashError<T>> {
        match self.shared.clone() {
            Some(shared) if shared.is_running() => shared.store.insert(self),
            _ => Err(StashError::new(Error::ReactorStopped, self)),
        }
    }
}

impl<T> Future for EventualResult<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.observed.store(true, Ordering::Relaxed);
        if let Some(outcome) = this.outcome.take() {
            return Poll::Ready(outcome);
        }
        this.slot
            .poll_take(cx)
            .map(|outcome| outcome.unwrap_or(Err(Error::NoSuchResult)))
    }
}

impl<T> Drop for EventualResult<T> {
    fn drop(&mut self) {
        if let Some(failure) = self.unseen_failure() {
            log_unseen_failure(&failure);
        }
    }
}

impl<T> fmt::Debug for EventualResult<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventualResult")
            .field("ready", &self.is_ready())
            .finish_non_exhaustive()
    }
}

pub(crate) fn log_unseen_failure(failure: &Failure) {
    tracing::error!(
        target: "crochet",
        failure = %failure,
        backtrace = %failure.backtrace(),
        "a future run by crochet panicked and nobody looked at its result"
    );
}

/// [`EventualResult::stash`] could not store the result; the result is
/// handed back so no work is lost.
///
/// Converts into [`Error`] for `?` (dropping the result, which detaches it).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder()
///     .worker_threads(1)
///     .stash_capacity(1)
///     .build()?;
/// let _first = reactor.run_in_reactor(async { 1 }).stash()?;
/// let refused = reactor.run_in_reactor(async { 2 }).stash().unwrap_err();
/// assert!(matches!(refused.error(), crochet_core::Error::Overloaded));
/// let result = refused.into_result();
/// assert_eq!(*result.wait(Duration::from_secs(5))?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StashError<T> {
    error: Error,
    result: EventualResult<T>,
}

impl<T> StashError<T> {
    pub(crate) fn new(error: Error, result: EventualResult<T>) -> Self {
        StashError { error, result }
    }

    /// Why the result was not stashed.
    ///
    /// # Examples
    ///
    /// See [`StashError`].
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The result that was not stashed.
    ///
    /// # Examples
    ///
    /// See [`StashError`].
    pub fn into_result(self) -> EventualResult<T> {
        self.result
    }
}

impl<T> fmt::Debug for StashError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StashError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for StashError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not stash the result: {}", self.error)
    }
}

impl<T> std::error::Error for StashError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<T> From<StashError<T>> for Error {
    fn from(err: StashError<T>) -> Self {
        err.error
    }
}
