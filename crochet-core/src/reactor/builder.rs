//! Configuring a reactor.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::runtime::Handle;

use super::{Reactor, Shared, global};
use crate::error::Error;
use crate::store::Store;

/// Default grace period for shutdown (and process exit).
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(1);
const DEFAULT_STASH_CAPACITY: usize = 10_000;
const DEFAULT_STASH_TTL: Duration = Duration::from_secs(60 * 60);

/// Configures a [`Reactor`]: worker threads, thread names, the shutdown grace
/// period and the stash store's limits.
///
/// Ends in [`build`](Builder::build) (an independent reactor with its own
/// runtime), [`attach`](Builder::attach) (an independent reactor on a runtime
/// you run), or [`setup`](Builder::setup) / [`no_setup`](Builder::no_setup)
/// (the same, installed as the global reactor).
///
/// | setting | default |
/// |---|---|
/// | [`worker_threads`](Builder::worker_threads) | tokio's default: one per CPU |
/// | [`thread_name`](Builder::thread_name) | `crochet-reactor` (threads `crochet-reactor-1`, `-2`, ...) |
/// | [`shutdown_grace`](Builder::shutdown_grace) | 1 second |
/// | [`stash_capacity`](Builder::stash_capacity) | 10 000 results |
/// | [`stash_ttl`](Builder::stash_ttl) | 1 hour |
/// | [`log_bridge`](Builder::log_bridge) / [`install_log_bridge`](Builder::install_log_bridge) | none / off |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder()
///     .worker_threads(2)
///     .shutdown_grace(Duration::from_millis(200))
///     .stash_capacity(100)
///     .stash_ttl(Duration::from_secs(60))
///     .build()?;
/// assert_eq!(reactor.wait_for(Duration::from_secs(1), async { 7 })?, 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Builder does nothing until build(), attach(), setup() or no_setup()"]
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: String,
    grace: Duration,
    stash_capacity: usize,
    stash_ttl: Duration,
    #[cfg(feature = "log-bridge")]
    log_bridge: Option<crate::LogBridge>,
    #[cfg(feature = "log-bridge")]
    install_log_bridge: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The defaults in the table above.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Builder::new().build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> Self {
        Builder {
            worker_threads: None,
            thread_name: "crochet-reactor".to_owned(),
            grace: DEFAULT_GRACE,
            stash_capacity: DEFAULT_STASH_CAPACITY,
            stash_ttl: DEFAULT_STASH_TTL,
            #[cfg(feature = "log-bridge")]
            log_bridge: None,
            #[cfg(feature = "log-bridge")]
            install_log_bridge: false,
        }
    }

    /// How many threads run the reactor's futures (at least 1; `build`
    /// refuses 0).
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let refused = crochet_core::Reactor::builder().worker_threads(0).build();
    /// assert_eq!(refused.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn worker_threads(mut self, threads: usize) -> Self {
        self.worker_threads = Some(threads);
        self
    }

    /// Prefix of the reactor's thread names; threads are called
    /// `{prefix}-1`, `{prefix}-2`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().thread_name("db").build()?;
    /// let name = reactor.run_in_reactor(async {
    ///     std::thread::current().name().map(str::to_owned)
    /// }).take(Duration::from_secs(5))?;
    /// assert!(name.unwrap().starts_with("db-"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn thread_name(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name = prefix.into();
        self
    }

    /// The longest a shutdown (including the automatic one at process exit)
    /// waits for in-flight work before dropping it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder()
    ///     .shutdown_grace(Duration::from_millis(100))
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The most results the stash store holds; stashing beyond it fails with
    /// [`Error::Overloaded`].
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().stash_capacity(1_000).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stash_capacity(mut self, capacity: usize) -> Self {
        self.stash_capacity = capacity;
        self
    }

    /// How long a stashed result waits to be retrieved before it is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder()
    ///     .stash_ttl(Duration::from_secs(10 * 60))
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stash_ttl(mut self, ttl: Duration) -> Self {
        self.stash_ttl = ttl;
        self
    }

    /// Attaches a [`LogBridge`](crate::LogBridge): the reactor's shutdown
    /// (and so the process-exit shutdown of the global reactor) flushes it
    /// within the grace period, and [`Reactor::stats`] reports its drops.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// let reactor = crochet_core::Reactor::builder().log_bridge(bridge).build()?;
    /// assert!(reactor.log_bridge().is_some());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "log-bridge")]
    pub fn log_bridge(mut self, bridge: crate::LogBridge) -> Self {
        self.log_bridge = Some(bridge);
        self
    }

    /// Whether building the reactor also installs a log bridge (the one given
    /// to [`log_bridge`](Builder::log_bridge), or a default one) as the
    /// global `tracing` subscriber, so that async-side events reach your `log`
    /// logger. Off by default.
    ///
    /// If the application already installed a global subscriber, Crochet
    /// leaves it in place and emits a `WARN` event (target `crochet`) through
    /// it, saying to add [`LogBridge::layer`](crate::LogBridge::layer) to that
    /// subscriber; the bridge is still attached (flushed at shutdown).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // A blocking app that logs through `log` (env_logger, syslog, ...):
    /// let reactor = crochet_core::Reactor::builder().install_log_bridge(true).setup()?;
    /// # Ok::<(), crochet_core::Error>(())
    /// ```
    #[cfg(feature = "log-bridge")]
    pub fn install_log_bridge(mut self, install: bool) -> Self {
        self.install_log_bridge = install;
        self
    }

    /// Starts an independent reactor with its own multi-thread runtime.
    ///
    /// # Errors
    ///
    /// `worker_threads(0)` is `InvalidInput`; otherwise whatever the
    /// operating system says when the threads cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// assert!(reactor.is_running());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(self) -> io::Result<Reactor> {
        let mut runtime = tokio::runtime::Builder::new_multi_thread();
        if let Some(threads) = self.worker_threads {
            if threads == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a crochet reactor needs at least one worker thread",
                ));
            }
            runtime.worker_threads(threads);
        }
        let prefix = self.thread_name.clone();
        let counter = Arc::new(AtomicUsize::new(0));
        let runtime = runtime
            .enable_all()
            .thread_name_fn(move || {
                format!("{prefix}-{}", counter.fetch_add(1, Ordering::Relaxed) + 1)
            })
            .build()?;
        let shared = self.shared(runtime.handle().clone());
        Ok(Reactor::from_parts(shared, Some(runtime)))
    }

    /// An independent reactor on a runtime you run (see
    /// [`no_setup`](crate::no_setup)). The thread settings do not apply.
    ///
    /// The runtime should be multi-thread, or be driven by some thread
    /// (`block_on`) while Crochet calls wait on it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = tokio::runtime::Runtime::new()?;
    /// let reactor = crochet_core::Reactor::builder().attach(runtime.handle().clone());
    /// assert_eq!(reactor.wait_for(Duration::from_secs(1), async { 1 })?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attach(self, handle: Handle) -> Reactor {
        let shared = self.shared(handle);
        Reactor::from_parts(shared, None)
    }

    /// Builds this reactor and installs it as the global one (what
    /// [`setup`](crate::setup), [`wait_for`](fn@crate::wait_for) and
    /// [`run_in_reactor`](fn@crate::run_in_reactor) use).
    ///
    /// # Errors
    ///
    /// [`Error::AlreadySetUp`] if the global reactor exists already;
    /// [`Error::Io`] if its threads cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().worker_threads(2).setup()?;
    /// assert!(crochet_core::Reactor::builder().setup().is_err());
    /// # Ok::<(), crochet_core::Error>(())
    /// ```
    pub fn setup(self) -> Result<Reactor, Error> {
        global::install(|| self.build().map_err(Error::from))
    }

    /// Attaches to your runtime and installs that as the global reactor;
    /// see [`no_setup`](crate::no_setup).
    ///
    /// # Errors
    ///
    /// [`Error::AlreadySetUp`] if the global reactor exists already.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = tokio::runtime::Runtime::new()?;
    /// let reactor = crochet_core::Reactor::builder()
    ///     .stash_capacity(100)
    ///     .no_setup(runtime.handle().clone())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn no_setup(self, handle: Handle) -> Result<Reactor, Error> {
        global::install(|| Ok(self.attach(handle)))
    }

    fn shared(&self, handle: Handle) -> Shared {
        let store = Store::new(self.stash_capacity, self.stash_ttl);
        #[allow(unused_mut)]
        let mut shared = Shared::new(handle, self.grace, store);
        #[cfg(feature = "log-bridge")]
        {
            shared.log_bridge = self.installed_log_bridge();
        }
        shared
    }

    /// The bridge to attach, installed globally first if asked to.
    #[cfg(feature = "log-bridge")]
    fn installed_log_bridge(&self) -> Option<crate::LogBridge> {
        if !self.install_log_bridge {
            return self.log_bridge.clone();
        }
        let bridge = match &self.log_bridge {
            Some(bridge) => bridge.clone(),
            None => match crate::LogBridge::builder().build() {
                Ok(bridge) => bridge,
                Err(err) => {
                    tracing::warn!(
                        target: "crochet",
                        error = %err,
                        "could not start the crochet-log thread; async-side events are not forwarded to `log`"
                    );
                    return None;
                }
            },
        };
        if bridge.install_global().is_err() {
            tracing::warn!(
                target: "crochet",
                "a global tracing subscriber is already installed, so crochet left it in place \
                 and did not install its log bridge; add crochet_core::LogBridge::layer() to \
                 your subscriber to forward async-side events to `log`"
            );
        }
        Some(bridge)
    }
}
