//! Panics caught inside the reactor, with where they happened.
//!
//! `catch_unwind` only hands back the panic payload; the location and the
//! backtrace exist only while the panic hook runs, on the panicking thread.
//! So Crochet installs (once, chaining to the hook that was there before) a
//! hook that records them when the panic happens inside a future Crochet is
//! polling, and [`catch`] turns the caught payload plus that record into a
//! [`Failure`].

use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::{Arc, Once};

/// A panic that happened inside work run by Crochet: its message, where it
/// happened, and the backtrace captured at the panic site.
///
/// Crochet's counterpart of Twisted's `Failure`. Cheap to clone.
///
/// The location and backtrace come from a panic hook Crochet installs (it
/// calls the hook that was installed before it, so panics still print as
/// usual). If the application replaces the panic hook afterwards, failures
/// still carry the message but [`location`](Failure::location) is `None` and
/// the backtrace is empty.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
/// let result = reactor.run_in_reactor(async { panic!("disk on fire") });
/// let err = result.wait(Duration::from_secs(5)).unwrap_err();
/// let failure = result.original_failure().expect("it panicked");
/// assert_eq!(failure.message(), "disk on fire");
/// assert!(failure.location().unwrap().contains(".rs:")); // file:line:column
/// assert!(err.is_panic());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Failure {
    inner: Arc<Inner>,
}

struct Inner {
    message: String,
    location: Option<String>,
    thread: Option<String>,
    backtrace: Backtrace,
}

impl Failure {
    /// The panic message (`"explicit panic"` style text for non-string payloads).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(async { panic!("boom") });
    /// # let _ = result.wait(Duration::from_secs(5));
    /// assert_eq!(result.original_failure().unwrap().message(), "boom");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// `file:line:column` of the panic, when Crochet's panic hook saw it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(async { panic!("boom") });
    /// # let _ = result.wait(Duration::from_secs(5));
    /// let failure = result.original_failure().unwrap();
    /// assert!(failure.location().unwrap().contains(".rs:"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn location(&self) -> Option<&str> {
        self.inner.location.as_deref()
    }

    /// Name of the thread that panicked (a `crochet-reactor-*` thread for
    /// `run_in_reactor` work, the caller's thread for `wait_for`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(async { panic!("boom") });
    /// # let _ = result.wait(Duration::from_secs(5));
    /// let thread = result.original_failure().unwrap().thread().unwrap().to_owned();
    /// assert!(thread.starts_with("crochet-reactor-"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn thread(&self) -> Option<&str> {
        self.inner.thread.as_deref()
    }

    /// The backtrace captured on the panicking thread at the panic site.
    ///
    /// Frames are captured always; symbol names are resolved lazily, when the
    /// backtrace is first printed.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(async { panic!("boom") });
    /// # let _ = result.wait(Duration::from_secs(5));
    /// let trace = result.original_failure().unwrap().backtrace().to_string();
    /// assert!(!trace.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn backtrace(&self) -> &Backtrace {
        &self.inner.backtrace
    }

    pub(crate) fn from_payload(payload: Box<dyn Any + Send>, site: Option<PanicSite>) -> Self {
        let message = payload_message(&*payload);
        let (location, thread, backtrace) = match site {
            Some(site) => (site.location, site.thread, site.backtrace),
            None => (
                None,
                std::thread::current().name().map(str::to_owned),
                Backtrace::disabled(),
            ),
        };
        Failure {
            inner: Arc::new(Inner {
                message,
                location,
                thread,
                backtrace,
            }),
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("message", &self.inner.message)
            .field("location", &self.inner.location)
            .field("thread", &self.inner.thread)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner.message)?;
        if let Some(location) = &self.inner.location {
            write!(f, " (at {location}")?;
            if let Some(thread) = &self.inner.thread {
                write!(f, " on thread {thread}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// What the hook saw at the panic site.
pub(crate) struct PanicSite {
    location: Option<String>,
    thread: Option<String>,
    backtrace: Backtrace,
}

thread_local! {
    /// How many [`catch`] scopes are active on this thread.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
    /// Set while Crochet probes `block_in_place`, whose refusal is a panic
    /// Crochet turns into an error: the hook keeps quiet about it.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_SITE: RefCell<Option<PanicSite>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs the capturing panic hook once per process, chaining to the
/// hook that was there before.
pub(crate) fn install_hook() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if QUIET.try_with(Cell::get).unwrap_or(false) {
                return;
            }
            if CATCHING.try_with(Cell::get).unwrap_or(0) > 0 {
                record(info);
            }
            previous(info);
        }));
    });
}

fn record(info: &PanicHookInfo<'_>) {
    let site = PanicSite {
        location: info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
        thread: std::thread::current().name().map(str::to_owned),
        backtrace: Backtrace::force_capture(),
    };
    let _ = LAST_SITE.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(site);
        }
    });
}

/// Runs `f`, turning a panic into a [`Failure`] that knows where it happened.
///
/// Thread-local access is fallible throughout: a call made from another
/// thread-local's destructor still works, only without the panic site.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Failure> {
    let _ = CATCHING.try_with(|c| c.set(c.get() + 1));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    let _ = CATCHING.try_with(|c| c.set(c.get().saturating_sub(1)));
    outcome.map_err(|payload| {
        let site = LAST_SITE
            .try_with(|slot| slot.try_borrow_mut().ok().and_then(|mut s| s.take()))
            .ok()
            .flatten();
        Failure::from_payload(payload, site)
    })
}

/// Runs `f` with the panic hook silenced on this thread, catching a panic.
/// Used only to turn tokio's refusal of `block_in_place` into an error.
pub(crate) fn catch_quietly<R>(f: impl FnOnce() -> R) -> Result<R, ()> {
    let was = QUIET.try_with(|q| q.replace(true)).unwrap_or(false);
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    let _ = QUIET.try_with(|q| q.set(was));
    outcome.map_err(drop)
}

/// Runs `f` with the hook speaking again inside a [`catch_quietly`] scope.
pub(crate) fn loud<R>(f: impl FnOnce() -> R) -> R {
    let was = QUIET.try_with(|q| q.replace(false)).unwrap_or(false);
    let out = f();
    let _ = QUIET.try_with(|q| q.set(was));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_records_message_location_and_backtrace() {
        install_hook();
        let failure = catch(|| panic!("boom {}", 7)).unwrap_err();
        assert_eq!(failure.message(), "boom 7");
        assert!(
            failure.location().unwrap().contains("failure.rs"),
            "{failure:?}"
        );
        assert_eq!(
            failure.backtrace().status(),
            std::backtrace::BacktraceStatus::Captured
        );
        assert!(failure.to_string().starts_with("boom 7 (at "));
    }

    #[test]
    fn catch_passes_values_through() {
        assert_eq!(catch(|| 5).unwrap(), 5);
    }

    #[test]
    fn non_string_payloads_get_a_message() {
        install_hook();
        let failure = catch(|| std::panic::panic_any(42_u8)).unwrap_err();
        assert_eq!(failure.message(), "panic with a non-string payload");
    }
}
