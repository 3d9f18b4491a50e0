//! The bounded worker pool: async code running blocking closures (whole
//! blocking request handlers, in the hosts) without tying up the runtime.
//!
//! Built, as DESIGN.md prefers, on tokio's blocking thread pool with
//! admission control: one semaphore bounds how many jobs run at once (the
//! workers), another how many may be admitted at all (workers plus the
//! queue). A job that finds the queue full is refused at once; one that
//! waits in the queue longer than the queue-wait deadline is refused then.
//! Either way the caller gets [`Error::Overloaded`], which hosts turn into
//! `503 Service Unavailable` with `Retry-After`.

mod stats;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use self::stats::PoolCounters;
pub use self::stats::PoolStats;
use crate::error::Error;
use crate::failure;
use crate::reactor::Reactor;

const DEFAULT_WORKERS: usize = 64;
const DEFAULT_QUEUE: usize = 1024;
const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(2);

/// A bounded pool that runs blocking closures for async code.
///
/// * At most [`workers`](PoolBuilder::workers) closures run at once, each on
///   a thread of the reactor runtime's blocking pool. The default, 64, is
///   sized for blocking I/O (a handler that waits on a database), not for
///   the CPU count: 16 workers would cap a handler that blocks 1 ms at about
///   15 000 calls a second.
/// * At most [`queue`](PoolBuilder::queue) more wait for a worker (by
///   default 1024, so a tenfold burst on the default workers is absorbed
///   before anything is refused), each for at most
///   [`queue_timeout`](PoolBuilder::queue_timeout). Past either bound,
///   [`run`](Pool::run) fails at once with [`Error::Overloaded`]: a burst is
///   absorbed, an overload is refused cheaply. (Refusing as soon as the
///   workers are busy would make retrying clients burn the CPU the admitted
///   requests need.)
/// * A job runs with the pool's reactor [entered](Reactor::enter) and its
///   runtime's context, so it can call `crochet_core::wait_for` and reach
///   that runtime (a server's own, in the hosts: no second runtime), and
///   with the caller's `tracing` span.
/// * A panicking job is reported as [`Error::Panicked`]; the thread lives
///   on.
/// * When the reactor shuts down, jobs waiting in the queue get
///   [`Error::ReactorStopped`]; running jobs run to completion (blocking
///   code cannot be interrupted).
///
/// `Pool` is a cheap handle: clone it freely.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
/// let pool = crochet_core::Pool::builder().workers(4).queue(16).build(&reactor);
///
/// // Normally awaited from async code; here a blocking test drives it.
/// let job = pool.run(|| {
///     // Blocking code, which may itself call back into the reactor:
///     let base = crochet_core::wait_for(Duration::from_secs(5), async { 40 })?;
///     Ok::<_, crochet_core::Error>(base + 2)
/// });
/// // Outer layers: waiting for the job, then the pool running it; inner: the job's own.
/// let answer: Result<i32, crochet_core::Error> = reactor.wait_for(Duration::from_secs(5), job)??;
/// assert_eq!(answer?, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    reactor: Reactor,
    workers: usize,
    queue: usize,
    queue_timeout: Duration,
    /// One permit per worker.
    running: Arc<Semaphore>,
    /// Jobs admitted (running or queued), at most workers + queue. A plain
    /// counter: admission never waits, and releasing a tokio semaphore
    /// takes its waiter-list lock every time, contended by every worker.
    admitted: AtomicUsize,
    counters: PoolCounters,
}

/// Configures a [`Pool`].
///
/// | setting | default |
/// |---|---|
/// | [`workers`](PoolBuilder::workers) | 64 |
/// | [`queue`](PoolBuilder::queue) | 1024 |
/// | [`queue_timeout`](PoolBuilder::queue_timeout) | 2 seconds |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder().build()?;
/// let pool = crochet_core::Pool::builder()
///     .workers(32)
///     .queue(64)
///     .queue_timeout(Duration::from_millis(500))
///     .build(&reactor);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a PoolBuilder does nothing until build()"]
pub struct PoolBuilder {
    workers: usize,
    queue: usize,
    queue_timeout: Duration,
}

impl PoolBuilder {
    /// Most jobs running at once (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// # let reactor = crochet_core::Reactor::builder().build()?;
    /// let pool = crochet_core::Pool::builder().workers(8).build(&reactor);
    /// assert_eq!(pool.stats().workers, 8);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Most jobs waiting for a worker (0: refuse whenever all are busy).
    ///
    /// # Examples
    ///
    /// ```
    /// # let reactor = crochet_core::Reactor::builder().build()?;
    /// let pool = crochet_core::Pool::builder().queue(0).build(&reactor);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn queue(mut self, queue: usize) -> Self {
        self.queue = queue;
        self
    }

    /// Longest a job waits in the queue before it is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let reactor = crochet_core::Reactor::builder().build()?;
    /// let pool = crochet_core::Pool::builder()
    ///     .queue_timeout(Duration::from_millis(100))
    ///     .build(&reactor);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn queue_timeout(mut self, timeout: Duration) -> Self {
        self.queue_timeout = timeout;
        self
    }

    /// A pool whose jobs run on `reactor`'s runtime, with `reactor` entered.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// let pool = crochet_core::Pool::builder().build(&reactor);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(self, reactor: &Reactor) -> Pool {
        let inner = Arc::new(Inner {
            reactor: reactor.clone(),
            workers: self.workers,
            queue: self.queue,
            queue_timeout: self.queue_timeout,
            running: Arc::new(Semaphore::new(self.workers)),
            admitted: AtomicUsize::new(0),
            counters: PoolCounters::default(),
        });
        // Queued jobs are released at shutdown. Weak: the reactor's hook
        // list must not keep the pool alive.
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        reactor.on_shutdown(move || {
            if let Some(inner) = weak.upgrade() {
                inner.running.close();
            }
        });
        Pool { inner }
    }
}

impl Pool {
    /// A builder with the defaults in [`PoolBuilder`]'s table.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// let pool = crochet_core::Pool::builder().build(&reactor);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> PoolBuilder {
        PoolBuilder {
            workers: DEFAULT_WORKERS,
            queue: DEFAULT_QUEUE,
            queue_timeout: DEFAULT_QUEUE_TIMEOUT,
        }
    }

    /// The reactor the jobs run with.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// let pool = crochet_core::Pool::builder().build(&reactor);
    /// assert_eq!(pool.reactor().handle().id(), reactor.handle().id());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reactor(&self) -> &Reactor {
        &self.inner.reactor
    }

    /// Runs the blocking `job` on a worker and resolves to its value. The
    /// future is `'static` and `Send`: spawn it or await it.
    ///
    /// Dropping the returned future before the job starts gives its place
    /// back; once started, a job runs to completion (its value is then
    /// discarded).
    ///
    /// # Errors
    ///
    /// * [`Error::Overloaded`]: the queue is full, or the job waited in it
    ///   longer than the queue-wait deadline. Nothing ran.
    /// * [`Error::Panicked`]: the job panicked (message, location,
    ///   backtrace); the worker thread carries on.
    /// * [`Error::ReactorStopped`]: the reactor is shutting down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let pool = crochet_core::Pool::builder().build(&reactor);
    /// let len = reactor.wait_for(Duration::from_secs(5), pool.run(|| {
    ///     std::fs::read_to_string("/proc/self/status").map(|s| s.len()).unwrap_or(0)
    /// }))??;
    /// assert!(len > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run<F, R>(&self, job: F) -> impl Future<Output = Result<R, Error>> + Send + 'static
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // A `'static` future (it owns a handle on the pool): spawn it, or
        // await it, as you like.
        // The span of the call site, not of wherever the future is polled.
        let span = tracing::Span::current();
        let pool = self.clone();
        async move { pool.run_owned(job, span).await }
    }

    async fn run_owned<F, R>(self, job: F, span: tracing::Span) -> Result<R, Error>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let permits = self.admit().await?;
        let reactor = self.inner.reactor.clone();
        let inner = self.inner.clone();
        let handle = reactor.handle().clone();
        let joined = handle
            .spawn_blocking(move || {
                let _permits = permits;
                let _current = reactor.enter();
                let _span = span.enter();
                let outcome = failure::catch(job);
                inner.counters.finished(outcome.is_ok());
                outcome
            })
            .await;
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(failure)) => Err(Error::Panicked(failure)),
            // The runtime shut down before the job could run.
            Err(_) => Err(Error::ReactorStopped),
        }
    }

    /// Takes a queue place at once (or refuses), then waits for a worker
    /// until the queue-wait deadline.
    async fn admit(&self) -> Result<Permits, Error> {
        let inner = &self.inner;
        if !inner.reactor.is_running() {
            return Err(Error::ReactorStopped);
        }
        let capacity = inner.workers.saturating_add(inner.queue);
        if inner.admitted.fetch_add(1, Ordering::AcqRel) >= capacity {
            inner.admitted.fetch_sub(1, Ordering::AcqRel);
            inner.counters.rejected();
            return Err(Error::Overloaded);
        }
        let admitted = Admitted(self.inner.clone());
        let running = match inner.running.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(tokio::sync::TryAcquireError::Closed) => return Err(Error::ReactorStopped),
            Err(tokio::sync::TryAcquireError::NoPermits) => {
                let waiting = inner.running.clone().acquire_owned();
                match tokio::time::timeout(inner.queue_timeout, waiting).await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_closed)) => return Err(Error::ReactorStopped),
                    Err(_elapsed) => {
                        inner.counters.rejected();
                        return Err(Error::Overloaded);
                    }
                }
            }
        };
        Ok(Permits {
            _admitted: admitted,
            _running: running,
        })
    }

    /// What the pool is doing and has done.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// let pool = crochet_core::Pool::builder().workers(4).queue(8).build(&reactor);
    /// let stats = pool.stats();
    /// assert_eq!((stats.workers, stats.queue, stats.busy, stats.queued), (4, 8, 0, 0));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stats(&self) -> PoolStats {
        let inner = &self.inner;
        let busy = inner
            .workers
            .saturating_sub(inner.running.available_permits());
        let admitted = inner.admitted.load(Ordering::Acquire);
        inner.counters.snapshot(
            inner.workers,
            inner.queue,
            busy,
            admitted.saturating_sub(busy),
        )
    }
}

/// A job's places: released when the job ends, wherever that is.
struct Permits {
    _admitted: Admitted,
    _running: OwnedSemaphorePermit,
}

/// A counted place among the admitted jobs.
struct Admitted(Arc<Inner>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}
