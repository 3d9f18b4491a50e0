//! The global reactor and the free functions that use it.

use std::future::{Future, IntoFuture};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::runtime::Handle;

use super::{Builder, Reactor, exit};
use crate::error::Error;
use crate::eventual::EventualResult;
use crate::result_id::ResultId;
use crate::sync::lock_std as lock;

static GLOBAL: OnceLock<Reactor> = OnceLock::new();
static INSTALLING: Mutex<()> = Mutex::new(());

/// The global reactor, if it has been set up.
pub(crate) fn get() -> Option<&'static Reactor> {
    GLOBAL.get()
}

/// Installs the reactor `make` builds as the global one, unless one exists.
pub(super) fn install(make: impl FnOnce() -> Result<Reactor, Error>) -> Result<Reactor, Error> {
    let _installing = lock(&INSTALLING);
    if GLOBAL.get().is_some() {
        return Err(Error::AlreadySetUp);
    }
    let reactor = make()?;
    let _ = GLOBAL.set(reactor.clone());
    exit::shut_down_at_exit();
    Ok(reactor)
}

/// Runs `f` with the thread's current reactor (see [`Reactor::enter`]) or
/// else the global one, set up with the defaults if need be.
fn with_reactor<R>(f: impl FnOnce(&Reactor) -> R) -> Result<R, Error> {
    match super::current::get() {
        Some(current) => Ok(f(&current)),
        None => global().map(f),
    }
}

/// The global reactor, set up with the defaults if need be.
fn global() -> Result<&'static Reactor, Error> {
    if let Some(reactor) = GLOBAL.get() {
        return Ok(reactor);
    }
    match install(|| Builder::new().build().map_err(Error::from)) {
        Ok(_) | Err(Error::AlreadySetUp) => GLOBAL.get().ok_or(Error::ReactorStopped),
        Err(err) => Err(err),
    }
}

/// Starts the global reactor (a multi-thread tokio runtime on threads named
/// `crochet-reactor-*`) if it is not running yet, and returns it.
///
/// Call it as often as you like, from libraries too: every call returns the
/// same reactor (except under a [`Reactor::enter`] guard, where it returns
/// the entered reactor, as the other free functions use it). The first [`wait_for`](fn@crate::wait_for) or [`run_in_reactor`](fn@crate::run_in_reactor) sets up
/// implicitly, so calling it is optional; calling it early moves the start-up
/// cost out of the first request. If [`no_setup`] ran first, this returns the
/// attached reactor. The global reactor shuts down by itself when the process
/// exits (see the crate docs).
///
/// # Panics
///
/// If the operating system refuses to start the reactor's threads. Use
/// [`try_setup`] to get that as an error.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::setup();
/// assert!(reactor.is_running());
/// assert_eq!(reactor.wait_for(Duration::from_secs(1), async { 3 })?, 3);
/// # Ok::<(), crochet_core::Error>(())
/// ```
pub fn setup() -> Reactor {
    match try_setup() {
        Ok(reactor) => reactor,
        Err(err) => panic!("crochet could not set up its reactor: {err}"),
    }
}

/// [`setup`], returning an error instead of panicking when the reactor's
/// threads cannot be started.
///
/// # Errors
///
/// [`Error::Io`] with the operating system's reason.
///
/// # Examples
///
/// ```
/// let reactor = crochet_core::try_setup()?;
/// # Ok::<(), crochet_core::Error>(())
/// ```
pub fn try_setup() -> Result<Reactor, Error> {
    with_reactor(Reactor::clone)
}

/// Attaches Crochet to a tokio runtime your application already runs,
/// instead of starting one: the blocking calls then run their futures on
/// your runtime, and Crochet never starts threads of its own. [`setup`]
/// afterwards returns this reactor.
///
/// Call it before any other Crochet call. The runtime should be
/// multi-thread (or be driven by a thread in `block_on` while blocking
/// calls wait). At process exit, or on [`shutdown`], Crochet stops its own
/// calls but leaves your runtime running.
///
/// # Errors
///
/// [`Error::AlreadySetUp`] if the global reactor already exists (because
/// [`setup`], [`no_setup`] or an implicit set-up came first).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let runtime = tokio::runtime::Runtime::new()?;
/// let reactor = crochet_core::no_setup(runtime.handle().clone())?;
/// assert_eq!(crochet_core::setup().handle().id(), runtime.handle().id());
/// assert!(matches!(
///     crochet_core::no_setup(runtime.handle().clone()),
///     Err(crochet_core::Error::AlreadySetUp)
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn no_setup(handle: Handle) -> Result<Reactor, Error> {
    Builder::new().no_setup(handle)
}

/// Runs `fut` in the thread's current reactor (see [`Reactor::enter`]; hosts
/// set it for the handlers they run), else the global one, and blocks until
/// it finishes or `timeout` passes. See [`Reactor::wait_for`] for the details.
///
/// # Errors
///
/// As [`Reactor::wait_for`], plus [`Error::Io`] if an implicit set-up could
/// not start the reactor's threads.
///
/// # Async contexts
///
/// As [`Reactor::wait_for`]: fine on multi-thread runtime workers and
/// `spawn_blocking` threads, [`Error::InAsyncContext`] on a current-thread
/// runtime or in a `LocalSet`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// fn blocking_lookup(host: &str) -> Result<bool, crochet_core::Error> {
///     crochet_core::wait_for(Duration::from_secs(5), async {
///         tokio::task::yield_now().await;
///         host == "localhost"
///     })
/// }
///
/// assert!(blocking_lookup("localhost")?);
/// # Ok::<(), crochet_core::Error>(())
/// ```
#[track_caller]
pub fn wait_for<F: IntoFuture>(timeout: Duration, fut: F) -> Result<F::Output, Error> {
    with_reactor(|reactor| reactor.wait_for(timeout, fut))?
}

/// Starts `fut` in the thread's current reactor (see [`Reactor::enter`]),
/// else the global one; see [`Reactor::run_in_reactor`].
///
/// If an implicit set-up fails, the result holds the error.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let result = crochet_core::run_in_reactor(async { 6 * 7 });
/// assert_eq!(*result.wait(Duration::from_secs(5))?, 42);
/// # Ok::<(), crochet_core::Error>(())
/// ```
pub fn run_in_reactor<F>(fut: F) -> EventualResult<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    with_reactor(|reactor| reactor.run_in_reactor(fut)).unwrap_or_else(EventualResult::unavailable)
}

/// Takes the result stashed under `id` out of the global reactor's store;
/// see [`Reactor::retrieve_result`].
///
/// # Errors
///
/// [`Error::NoSuchResult`] for an unknown, already retrieved, expired or
/// wrongly typed id (and when no global reactor exists).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let id = crochet_core::run_in_reactor(async { "done" }).stash()?;
/// let cookie = id.to_string();
///
/// let id: crochet_core::ResultId = cookie.parse()?;
/// let result = crochet_core::retrieve_result::<&str>(id)?;
/// assert_eq!(*result.wait(Duration::from_secs(5))?, "done");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn retrieve_result<T: Send + 'static>(id: ResultId) -> Result<EventualResult<T>, Error> {
    match super::current::get() {
        Some(current) => current.retrieve_result(id),
        None => get().ok_or(Error::NoSuchResult)?.retrieve_result(id),
    }
}

/// Shuts the global reactor down (if it was set up); see
/// [`Reactor::shutdown`]. The process-exit shutdown does this for you.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// crochet_core::setup();
/// crochet_core::shutdown(Duration::from_secs(1));
/// assert!(crochet_core::wait_for(Duration::from_secs(1), async {}).unwrap_err().is_reactor_stopped());
/// ```
pub fn shutdown(grace: Duration) {
    if let Some(reactor) = get() {
        reactor.shutdown(grace);
    }
}
