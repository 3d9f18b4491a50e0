//! The reactor: a tokio runtime Crochet runs (or attaches to) and the
//! blocking entry points into it.

mod builder;
mod current;
mod exit;
mod fork;
pub(crate) mod global;
mod shared;
mod shutdown;

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, Runtime};

pub use self::builder::Builder;
pub use self::current::ReactorGuard;
pub(crate) use self::shared::Shared;
use crate::context;
use crate::error::Error;
use crate::eventual::{EventualResult, task};
use crate::result_id::ResultId;
use crate::stats::Stats;
use crate::wait;

/// A handle on a Crochet reactor: a tokio runtime that blocking code calls
/// into.
///
/// Most programs use the global reactor through the free functions
/// ([`wait_for`](fn@crate::wait_for), [`run_in_reactor`](fn@crate::run_in_reactor),
/// [`setup`](crate::setup)). Build an independent one with
/// [`Reactor::builder`] (tests do), or attach to a runtime you run with
/// [`no_setup`](crate::no_setup) / [`Builder::attach`].
///
/// # Sharing
///
/// `Reactor` is a cheap handle (one `Arc`): clone it freely and send it to
/// other threads. Every clone refers to the same runtime.
///
/// # Shutdown
///
/// The runtime of a reactor Crochet started lives while any `Reactor` handle
/// to it does (the global reactor's lives until the process exits), or until
/// [`shutdown`](Reactor::shutdown). Dropping the last handle shuts it down in
/// the background without waiting; [`EventualResult`]s do not keep it alive.
/// A reactor attached to your runtime never shuts that runtime down; stopping
/// it only stops Crochet's calls.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder().worker_threads(2).build()?;
/// let sum = reactor.wait_for(Duration::from_secs(5), async {
///     tokio::task::yield_now().await;
///     2 + 2
/// })?;
/// assert_eq!(sum, 4);
/// reactor.shutdown(Duration::from_secs(1));
/// assert!(reactor.wait_for(Duration::from_secs(1), async {}).unwrap_err().is_reactor_stopped());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Reactor {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    /// The runtime Crochet started; `None` when attached (or after shutdown).
    runtime: Mutex<Option<Runtime>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let runtime = self
            .runtime
            .get_mut()
            .unwrap_or_else(|poison| poison.into_inner())
            .take();
        self.shared.stop_now();
        if let Some(runtime) = runtime {
            shutdown::dispose(&self.shared, runtime, Duration::ZERO);
        }
    }
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("running", &self.is_running())
            .field("owns_runtime", &self.owns_runtime())
            .field("stats", &self.stats())
            .finish()
    }
}

impl Reactor {
    /// A builder for an independent reactor (or a configured global one).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder()
    ///     .worker_threads(2)
    ///     .thread_name("my-reactor")
    ///     .shutdown_grace(Duration::from_millis(500))
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    fn from_parts(shared: Shared, runtime: Option<Runtime>) -> Self {
        crate::failure::install_hook();
        Reactor {
            inner: Arc::new(Inner {
                shared: Arc::new(shared),
                runtime: Mutex::new(runtime),
            }),
        }
    }

    /// The tokio handle of the reactor's runtime, to spawn on it directly or
    /// to enter its context.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let task = reactor.handle().spawn(async { 40 + 2 });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.inner.shared.handle
    }

    /// True until [`shutdown`](Reactor::shutdown) begins.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// assert!(reactor.is_running());
    /// reactor.shutdown(Duration::ZERO);
    /// assert!(!reactor.is_running());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_running(&self) -> bool {
        self.inner.shared.is_running()
    }

    fn owns_runtime(&self) -> bool {
        crate::sync::lock_std(&self.inner.runtime).is_some()
    }

    /// Runs `fut` and blocks the calling thread until it finishes or
    /// `timeout` passes.
    ///
    /// The future runs in the reactor's runtime context (timers, sockets and
    /// `tokio::spawn` inside it use this reactor) but is polled on the
    /// calling thread, so it may borrow from the caller's stack and need not
    /// be `Send`. A future that is ready at once costs no timer.
    ///
    /// # Errors
    ///
    /// * [`Error::Timeout`] — `timeout` passed first. The future has been
    ///   dropped (its destructors ran) before this returns.
    /// * [`Error::Panicked`] — the future panicked; this thread and the
    ///   reactor carry on.
    /// * [`Error::ReactorStopped`] — the reactor stopped (at once if it had
    ///   stopped before the call).
    /// * [`Error::InAsyncContext`] — called on a thread that drives a
    ///   current-thread runtime or a `LocalSet`, where blocking would stall
    ///   or deadlock it. Nothing was polled.
    /// * [`Error::Forked`] — called (with a future not ready at once) in a
    ///   child process forked after the reactor was built.
    ///
    /// Errors of the future itself stay inside its output.
    ///
    /// # Async contexts
    ///
    /// Allowed on a multi-thread runtime worker (a synchronous Rocket route,
    /// say): the worker's other tasks are handed to another thread first
    /// (`tokio::task::block_in_place`), so the wait cannot starve them.
    /// Allowed on `spawn_blocking` threads. Refused with
    /// [`Error::InAsyncContext`] on a current-thread runtime and in a
    /// `LocalSet`. Never panics, never deadlocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let names = vec!["a".to_string(), "b".to_string()];
    /// // The future borrows `names` from this stack frame.
    /// let joined = reactor.wait_for(Duration::from_secs(5), async {
    ///     tokio::task::yield_now().await;
    ///     names.join(",")
    /// })?;
    /// assert_eq!(joined, "a,b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn wait_for<F: IntoFuture>(&self, timeout: Duration, fut: F) -> Result<F::Output, Error> {
        let shared = &*self.inner.shared;
        shared.check_running()?;
        let how = context::classify()?;
        let _runtime = shared.handle.enter();
        let mut fut = pin!(fut.into_future());
        let outcome = wait::with_thread_waker(|waker| {
            let mut cx = Context::from_waker(waker);
            // Fast path: ready at once, no deadline armed, nothing registered.
            match wait::poll_caught(fut.as_mut(), &mut cx) {
                Ok(Poll::Ready(out)) => return Ok(out),
                Err(err) => return Err(err),
                Ok(Poll::Pending) => {}
            }
            shared.check_process()?;
            let started = Instant::now();
            let deadline = wait::deadline_after(started, timeout);
            let _in_flight = shared.begin_call();
            let key = shared.stop.register(waker).ok_or(Error::ReactorStopped)?;
            let outcome = context::block(how, || {
                wait::park_until_ready(fut.as_mut(), waker, started, deadline, &shared.stop)
            })
            .and_then(|outcome| outcome);
            shared.stop.unregister(key);
            outcome
        });
        shared.counters.record_outcome(&outcome);
        outcome
    }

    /// Starts `fut` in the reactor and returns at once with an
    /// [`EventualResult`] to check on, wait for, cancel, await or stash.
    ///
    /// The caller's current `tracing` span is the parent of everything the
    /// future logs.
    ///
    /// Never blocks and never fails here: if the reactor has stopped (or the
    /// process forked), the returned result already holds that error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(async {
    ///     tokio::task::yield_now().await;
    ///     "downloaded"
    /// });
    /// assert_eq!(*result.wait(Duration::from_secs(5))?, "downloaded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_in_reactor<F>(&self, fut: F) -> EventualResult<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        task::spawn(&self.inner.shared, fut)
    }

    /// Takes the result stashed under `id` out of this reactor's store.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchResult`] when the id is unknown, already retrieved,
    /// expired, or stashed with another type `T` (which stays stashed). The
    /// cases are not told apart, so ids cannot be probed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let id = reactor.run_in_reactor(async { 1_u64 }).stash()?;
    /// assert!(reactor.retrieve_result::<String>(id).is_err()); // wrong type
    /// let result = reactor.retrieve_result::<u64>(id)?;
    /// assert_eq!(*result.wait(Duration::from_secs(5))?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retrieve_result<T: Send + 'static>(
        &self,
        id: ResultId,
    ) -> Result<EventualResult<T>, Error> {
        self.inner.shared.store.take(id)
    }

    /// What the reactor is doing and has done.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let result = reactor.run_in_reactor(std::future::pending::<()>());
    /// assert_eq!(reactor.stats().results_pending, 1);
    /// result.cancel();
    /// assert_eq!(reactor.stats().cancelled, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        self.inner.shared.stats()
    }

    /// Registers `hook` to run when shutdown begins, before pending work is
    /// given its grace period. Hooks run in registration order, on the
    /// thread that shuts the reactor down; keep them quick. A panicking hook
    /// is logged and the others still run.
    ///
    /// If shutdown has already begun, `hook` runs at once, here.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = ran.clone();
    /// reactor.on_shutdown(move || flag.store(true, Ordering::SeqCst));
    /// reactor.shutdown(Duration::ZERO);
    /// assert!(ran.load(Ordering::SeqCst));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_shutdown(&self, hook: impl FnOnce() + Send + 'static) {
        if let Err(hook) = self.inner.shared.add_hook(Box::new(hook)) {
            shutdown::run_hooks(vec![hook]);
        }
    }

    /// Shuts the reactor down, waiting at most `grace`:
    ///
    /// 1. new calls are refused with [`Error::ReactorStopped`];
    /// 2. shutdown hooks run ([`on_shutdown`](Reactor::on_shutdown));
    /// 3. in-flight work (blocked `wait_for` calls, unfinished
    ///    `run_in_reactor` futures) gets until `grace` runs out to finish;
    /// 4. whatever is still running is dropped and its waiters get
    ///    [`Error::ReactorStopped`];
    /// 5. stashed results are dropped, logging failures nobody retrieved;
    /// 6. a runtime Crochet started is shut down (its blocking threads get
    ///    what is left of `grace`); an attached runtime is left running.
    ///
    /// Only the first call does the work; later calls return at once. It
    /// waits where [`wait_for`](Reactor::wait_for) may block: on a plain
    /// thread, and on a multi-thread runtime's worker (handing the worker's
    /// tasks off first). On a current-thread runtime or in a `LocalSet` it
    /// does not wait: step 3 is skipped and step 6 happens in the
    /// background.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let stuck = reactor.run_in_reactor(std::future::pending::<()>());
    /// reactor.shutdown(Duration::from_millis(50));
    /// assert!(stuck.wait(Duration::from_secs(5)).unwrap_err().is_reactor_stopped());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, grace: Duration) {
        let runtime = || crate::sync::lock_std(&self.inner.runtime).take();
        shutdown::shutdown(&self.inner.shared, runtime, grace);
    }

    /// Makes this the thread's *current* reactor until the guard is dropped:
    /// the free functions ([`wait_for`](fn@crate::wait_for),
    /// [`run_in_reactor`](fn@crate::run_in_reactor),
    /// [`retrieve_result`](crate::retrieve_result), [`setup`](crate::setup))
    /// then use it instead of the global reactor. Guards nest.
    ///
    /// Hosts do this for the blocking code they run (a [`Pool`](crate::Pool)
    /// job runs with its reactor entered), so that plain
    /// `crochet_core::wait_for` in a handler calls back into the server's own
    /// runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().thread_name("mine").build()?;
    /// let _current = reactor.enter();
    /// let thread = crochet_core::run_in_reactor(async {
    ///     std::thread::current().name().map(str::to_owned)
    /// })
    /// .take(Duration::from_secs(5))?;
    /// assert!(thread.unwrap().starts_with("mine-"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enter(&self) -> ReactorGuard {
        current::enter(self)
    }

    /// The thread's current reactor (see [`enter`](Reactor::enter)), if one
    /// was entered; the global reactor is not consulted.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// assert!(crochet_core::Reactor::current().is_none());
    /// let _current = reactor.enter();
    /// assert!(crochet_core::Reactor::current().is_some());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn current() -> Option<Reactor> {
        current::get()
    }

    /// The [`LogBridge`](crate::LogBridge) attached to this reactor, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// assert!(reactor.log_bridge().is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "log-bridge")]
    pub fn log_bridge(&self) -> Option<&crate::LogBridge> {
        self.inner.shared.log_bridge.as_ref()
    }

    /// The grace period the process-exit shutdown uses for this reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder()
    ///     .worker_threads(1)
    ///     .shutdown_grace(Duration::from_millis(250))
    ///     .build()?;
    /// assert_eq!(reactor.shutdown_grace(), Duration::from_millis(250));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_grace(&self) -> Duration {
        self.inner.shared.grace
    }
}
