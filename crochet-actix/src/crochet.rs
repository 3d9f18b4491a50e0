//! [`Crochet`]: the reactor and the worker pool, as actix app data and as
//! an extractor.

use std::future::{Future, Ready, ready};
use std::io;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use crochet_core::{Pool, PoolBuilder, Reactor};

use crate::error::OffloadError;

const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The Crochet reactor and a bounded worker pool, shared by an actix app:
/// register it as app data, take it as an extractor.
///
/// * [`blocking`](crate::blocking) handlers run on its pool; their
///   `crochet_core::wait_for` calls reach its reactor.
/// * In an async handler, take it as an argument and
///   [`offload`](Crochet::offload) blocking work, or reach the
///   [`reactor`](Crochet::reactor) (for
///   [`run_in_reactor`](crochet_core::Reactor::run_in_reactor), stashed
///   results, statistics).
/// * [`run_server`](Crochet::run_server) ties the reactor's shutdown to the
///   actix server's.
///
/// Register it with `App::app_data(crochet.clone())` (or as
/// `web::Data<Crochet>`). A handler in an app without one gets a
/// process-wide default: the global reactor and a pool with the default
/// settings.
///
/// `Crochet` is a cheap handle: clone it into every worker's `App`.
///
/// # Examples
///
/// ```no_run
/// use actix_web::{App, HttpServer, web};
/// use crochet_actix::{Crochet, blocking};
///
/// fn slow_lookup(id: web::Path<u32>) -> String {
///     std::thread::sleep(std::time::Duration::from_millis(5)); // blocking I/O
///     format!("record {id}")
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let crochet = Crochet::builder().workers(32).build()?;
///     let app_data = crochet.clone();
///     let server = HttpServer::new(move || {
///         App::new()
///             .app_data(app_data.clone())
///             .route("/records/{id}", web::get().to(blocking(slow_lookup)))
///     })
///     .bind(("127.0.0.1", 8080))?
///     .run();
///     crochet.run_server(server).await
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Crochet {
    reactor: Reactor,
    pool: Pool,
    shutdown_grace: Duration,
}

/// Configures a [`Crochet`].
///
/// | setting | default |
/// |---|---|
/// | [`reactor`](CrochetBuilder::reactor) | the global Crochet reactor |
/// | [`workers`](CrochetBuilder::workers) | 64 |
/// | [`queue`](CrochetBuilder::queue) | 1024 |
/// | [`queue_timeout`](CrochetBuilder::queue_timeout) | 2 seconds |
/// | [`shutdown_grace`](CrochetBuilder::shutdown_grace) | 1 second |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let crochet = crochet_actix::Crochet::builder()
///     .workers(16)
///     .queue(64)
///     .queue_timeout(Duration::from_millis(500))
///     .build()?;
/// assert_eq!(crochet.pool().stats().workers, 16);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a CrochetBuilder does nothing until build()"]
pub struct CrochetBuilder {
    reactor: Option<Reactor>,
    pool: PoolBuilder,
    shutdown_grace: Duration,
}

impl CrochetBuilder {
    /// The reactor the pool belongs to and blocking code calls back into,
    /// instead of the global one.
    ///
    /// Give it a reactor Crochet runs (the global one, or one from
    /// [`Reactor::builder`]), not one attached to an actix worker's
    /// runtime: those are current-thread runtimes (see the crate docs,
    /// "Which runtime runs `wait_for` futures").
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().worker_threads(2).build()?;
    /// let crochet = crochet_actix::Crochet::builder().reactor(reactor.clone()).build()?;
    /// assert_eq!(crochet.reactor().handle().id(), reactor.handle().id());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reactor(mut self, reactor: Reactor) -> Self {
        self.reactor = Some(reactor);
        self
    }

    /// Blocking jobs running at once. Size it for blocking I/O, not CPUs.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder().workers(8).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.pool = self.pool.workers(workers);
        self
    }

    /// Jobs waiting for a worker before `503`s start (0: refuse whenever
    /// every worker is busy).
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder().queue(0).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn queue(mut self, queue: usize) -> Self {
        self.pool = self.pool.queue(queue);
        self
    }

    /// Longest a job waits in the queue before it is refused with `503`.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder()
    ///     .queue_timeout(std::time::Duration::from_millis(200))
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn queue_timeout(mut self, timeout: Duration) -> Self {
        self.pool = self.pool.queue_timeout(timeout);
        self
    }

    /// Longest [`run_server`](Crochet::run_server) gives in-flight Crochet
    /// work to finish when it shuts the reactor down, after the server has
    /// stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder()
    ///     .shutdown_grace(std::time::Duration::from_secs(5))
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The `Crochet`.
    ///
    /// # Errors
    ///
    /// Without a [`reactor`](CrochetBuilder::reactor), the global reactor
    /// is set up if need be; this fails if the operating system refuses
    /// its threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder().build()?;
    /// assert!(crochet.reactor().is_running());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(self) -> io::Result<Crochet> {
        let reactor = match self.reactor {
            Some(reactor) => reactor,
            None => crochet_core::try_setup().map_err(io::Error::other)?,
        };
        let pool = self.pool.build(&reactor);
        Ok(Crochet {
            reactor,
            pool,
            shutdown_grace: self.shutdown_grace,
        })
    }
}

impl Crochet {
    /// A builder with the defaults in [`CrochetBuilder`]'s table.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder().workers(4).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> CrochetBuilder {
        CrochetBuilder {
            reactor: None,
            pool: Pool::builder(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// The process-wide default, used by handlers in apps that registered
    /// no `Crochet`: the global reactor, and a pool with the default
    /// settings. Made on first use.
    ///
    /// # Errors
    ///
    /// When the global reactor must be set up and the operating system
    /// refuses its threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::global()?;
    /// assert_eq!(crochet.reactor().handle().id(), crochet_core::setup().handle().id());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn global() -> io::Result<Crochet> {
        static GLOBAL: OnceLock<Crochet> = OnceLock::new();
        if let Some(crochet) = GLOBAL.get() {
            return Ok(crochet.clone());
        }
        let built = Crochet::builder().build()?;
        Ok(GLOBAL.get_or_init(|| built).clone())
    }

    /// The reactor: blocking code run by this `Crochet` calls back into
    /// it, and async code can use it directly.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder().build()?;
    /// let later = crochet.reactor().run_in_reactor(async { 6 * 7 });
    /// assert_eq!(*later.wait(std::time::Duration::from_secs(5)).unwrap(), 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reactor(&self) -> &Reactor {
        &self.reactor
    }

    /// The worker pool blocking handlers run on.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder().workers(3).build()?;
    /// assert_eq!(crochet.pool().stats().workers, 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs the blocking `job` on the pool and resolves to its value: the
    /// way out of an async actix handler for blocking work.
    ///
    /// The job runs with the reactor entered, so `crochet_core::wait_for`
    /// inside it reaches this `Crochet`'s reactor. The future is `Send` and
    /// `'static`. Dropping it before the job starts gives its queue place
    /// back; a started job runs to completion.
    ///
    /// A job returning `Result<T, E>` gives `Result<Result<T, E>,
    /// OffloadError>`: your `E` keeps its type, and `?` turns both layers
    /// into `actix_web::Error` when `E: ResponseError`.
    ///
    /// # Errors
    ///
    /// [`OffloadError`]: the pool was full (nothing ran), the job panicked,
    /// or the reactor is shutting down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let crochet = crochet_actix::Crochet::builder().build()?;
    /// // Normally awaited in an async handler; here a blocking test drives it.
    /// let job = crochet.offload(|| {
    ///     let base = crochet_core::wait_for(Duration::from_secs(5), async { 40 })?;
    ///     Ok::<_, crochet_core::Error>(base + 2)
    /// });
    /// let answer = crochet.reactor().wait_for(Duration::from_secs(5), job).unwrap();
    /// assert_eq!(answer.unwrap().unwrap(), 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn offload<F, R>(
        &self,
        job: F,
    ) -> impl Future<Output = Result<R, OffloadError>> + Send + 'static
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let running = self.pool.run(job);
        async move { running.await.map_err(OffloadError::from) }
    }

    pub(crate) fn shutdown_grace(&self) -> Duration {
        self.shutdown_grace
    }

    /// The `Crochet` registered with the request's app, or the default.
    fn of(request: &HttpRequest) -> io::Result<Crochet> {
        if let Some(crochet) = request.app_data::<Crochet>() {
            return Ok(crochet.clone());
        }
        if let Some(crochet) = request.app_data::<web::Data<Crochet>>() {
            return Ok(Crochet::clone(crochet));
        }
        Crochet::global()
    }
}

/// Extracts the app's `Crochet` (see [`Crochet`]'s docs for which one).
///
/// # Errors
///
/// Only when no `Crochet` is registered and the global reactor cannot be
/// set up: an [`OffloadError`] answered with `500`.
impl FromRequest for Crochet {
    type Error = actix_web::Error;
    type Future = Ready<Result<Crochet, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Crochet::of(request).map_err(|err| {
            actix_web::Error::from(OffloadError::from(crochet_core::Error::from(err)))
        }))
    }
}
