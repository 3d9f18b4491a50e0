//! The one error type of Crochet.

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::failure::Failure;

/// What went wrong with a call into the reactor.
///
/// Errors produced by *your* future stay inside its output `T`: a
/// `wait_for` on a future returning `Result<u32, MyError>` gives
/// `Result<Result<u32, MyError>, crochet_core::Error>`. This enum only says
/// what happened to the *call*.
///
/// `Error` is cheap to clone (a panic's [`Failure`] is shared), so every
/// [`EventualResult::wait`](crate::EventualResult::wait) can hand out the same
/// outcome.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
/// let err = reactor
///     .wait_for(Duration::from_millis(10), std::future::pending::<()>())
///     .unwrap_err();
/// assert!(err.is_timeout());
/// assert!(err.to_string().starts_with("the operation did not finish before the timeout"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The timeout elapsed first. For [`wait_for`](fn@crate::wait_for) the future
    /// has been dropped (its destructors ran); an
    /// [`EventualResult`](crate::EventualResult) keeps running and can be
    /// waited on again.
    Timeout,
    /// The reactor was shut down (or is shutting down) before the call finished.
    ReactorStopped,
    /// The result was cancelled with [`EventualResult::cancel`](crate::EventualResult::cancel).
    Cancelled,
    /// The future panicked; the reactor and the calling thread carry on.
    Panicked(Failure),
    /// A blocking call was made where blocking would stall or deadlock the
    /// async runtime driving the current thread: a current-thread runtime or
    /// a `LocalSet`.
    InAsyncContext,
    /// [`no_setup`](crate::no_setup) (or [`Builder::setup`](crate::Builder::setup))
    /// was called after the global reactor already existed.
    AlreadySetUp,
    /// A stashed result id is unknown, was already retrieved, has expired, or
    /// names a result of another type. The cases are deliberately not told
    /// apart, so an id cannot be probed.
    NoSuchResult,
    /// A bounded resource is full: a [`Pool`](crate::Pool)'s workers and
    /// queue (hosts answer `503` with `Retry-After`), or the stash store;
    /// retry later.
    Overloaded,
    /// The process forked after the reactor was set up: the reactor's threads
    /// do not exist in this (child) process.
    Forked,
    /// The operating system refused to start the reactor's threads.
    Io(Arc<io::Error>),
}

impl Error {
    /// True for [`Error::Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(crochet_core::Error::Timeout.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout)
    }

    /// True for [`Error::ReactorStopped`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(crochet_core::Error::ReactorStopped.is_reactor_stopped());
    /// ```
    pub fn is_reactor_stopped(&self) -> bool {
        matches!(self, Error::ReactorStopped)
    }

    /// True for [`Error::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(crochet_core::Error::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }

    /// True for [`Error::Panicked`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!crochet_core::Error::Timeout.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, Error::Panicked(_))
    }

    /// The panic behind [`Error::Panicked`], if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(crochet_core::Error::Cancelled.failure().is_none());
    /// ```
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Error::Panicked(failure) => Some(failure),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout => f.write_str(
                "the operation did not finish before the timeout; raise the timeout, \
                 or wait on the EventualResult again (a wait_for future has been dropped)",
            ),
            Error::ReactorStopped => f.write_str(
                "the crochet reactor has stopped, so the operation was abandoned; \
                 make calls before shutdown, or set up a new reactor",
            ),
            Error::Cancelled => f.write_str("the operation was cancelled before it finished"),
            Error::Panicked(failure) => write!(f, "the operation panicked: {failure}"),
            Error::InAsyncContext => f.write_str(
                "a blocking crochet call was made on a thread that drives an async runtime \
                 (a current-thread runtime or a LocalSet), where blocking would stall it; \
                 `.await` the future instead, or make the call from tokio::task::spawn_blocking",
            ),
            Error::AlreadySetUp => f.write_str(
                "the global crochet reactor was already set up; call no_setup before any \
                 other crochet call (setup, wait_for, run_in_reactor)",
            ),
            Error::NoSuchResult => f.write_str(
                "no stashed result with this id and type: it is unknown, was already \
                 retrieved, or has expired",
            ),
            Error::Overloaded => {
                f.write_str("crochet is at capacity and refused the work; retry later")
            }
            Error::Forked => f.write_str(
                "this process forked after the crochet reactor was set up, and the reactor's \
                 threads do not exist in the child; set up crochet after forking",
            ),
            Error::Io(err) => write!(f, "the crochet reactor could not start: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Panicked(failure) => Some(failure),
            Error::Io(err) => Some(&**err),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::Io(Arc::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let all = [
            Error::Timeout,
            Error::ReactorStopped,
            Error::Cancelled,
            Error::InAsyncContext,
            Error::AlreadySetUp,
            Error::NoSuchResult,
            Error::Overloaded,
            Error::Forked,
            Error::from(io::Error::other("no threads")),
        ];
        for err in all {
            let text = err.to_string();
            assert!(text.starts_with(char::is_lowercase), "{text}");
            assert!(!text.ends_with('.'), "{text}");
        }
    }

    #[test]
    fn io_error_keeps_its_source() {
        use std::error::Error as _;
        let err = Error::from(io::Error::other("no threads"));
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("no threads")
        );
    }
}
