//! The bounded worker pool: async code running blocking closures (whole
//! blocking request handlers, in the hosts) without tying up the runtime.
//!
//! Built on tokio's blocking thread pool with admission control, as
//! DESIGN.md prefers, but not on a semaphore: a counter bounds how many jobs
//! are admitted at all (workers plus the queue), refusing at once past it,
//! and the waiting line is emptied by the workers themselves (see
//! [`line`]). A job that waits in the line longer than the queue-wait
//! deadline is refused then. Either way the caller gets
//! [`Error::Overloaded`], which hosts turn into `503 Service Unavailable`
//! with `Retry-After`.
//!
//! Why not a `tokio::sync::Semaphore` for the workers: a queued job waiting
//! on one is an async task, and only starts once the scheduler polls it
//! again. Under a flood of refused connections (3,200 clients against the
//! default 64 workers and 1,024 places) the scheduler was so far behind
//! that workers sat idle and admitted throughput fell to 1.4k requests a
//! second against hand-written `spawn_blocking`'s 22k. Workers that take
//! the next job themselves do not depend on the scheduler for it.

mod job;
mod line;
mod stats;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::oneshot;

use self::job::{Task, Ticket};
use self::line::{Line, Submitted};
use self::stats::PoolCounters;
pub use self::stats::PoolStats;
use crate::error::Error;
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
    /// Jobs admitted (running or queued), at most workers + queue. A plain
    /// counter: admission never waits.
    admitted: AtomicUsize,
    /// Jobs running now.
    busy: AtomicUsize,
    line: Mutex<Line>,
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
    /// Each running job holds a thread of the reactor runtime's blocking
    /// pool, so more workers than that pool's `max_blocking_threads` (512
    /// unless the runtime was built otherwise) gain nothing: the excess
    /// waits inside tokio instead.
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
            admitted: AtomicUsize::new(0),
            busy: AtomicUsize::new(0),
            line: Mutex::new(Line::default()),
            counters: PoolCounters::default(),
        });
        // Queued jobs are refused at shutdown. Weak: the reactor's hook
        // list must not keep the pool alive.
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        reactor.on_shutdown(move || {
            if let Some(inner) = weak.upgrade() {
                inner.close();
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
        let inner = &self.inner;
        if !inner.reactor.is_running() {
            return Err(Error::ReactorStopped);
        }
        let admitted = self.admit()?;
        let (reply, outcome) = oneshot::channel();
        let ticket = Arc::new(Ticket::default());
        let task = Task {
            job,
            reply,
            span,
            ticket: ticket.clone(),
            admitted,
        };
        // A reply channel dropped unanswered: the runtime shut down under
        // the job.
        let stopped = |_| Err(Error::ReactorStopped);
        match inner.submit(Box::new(task)) {
            Submitted::Started => outcome.await.unwrap_or_else(stopped),
            Submitted::Closed => Err(Error::ReactorStopped),
            Submitted::Queued => {
                let waiting = Waiting {
                    inner,
                    ticket: &ticket,
                };
                let mut outcome = outcome;
                match tokio::time::timeout(inner.queue_timeout, &mut outcome).await {
                    Ok(reply) => reply.unwrap_or_else(stopped),
                    Err(_elapsed) if waiting.give_up() => {
                        inner.counters.rejected();
                        Err(Error::Overloaded)
                    }
                    // A worker took it just in time: it runs.
                    Err(_elapsed) => outcome.await.unwrap_or_else(stopped),
                }
            }
        }
    }

    /// Takes a place among the admitted jobs, or refuses at once.
    fn admit(&self) -> Result<Admitted, Error> {
        let inner = &self.inner;
        let capacity = inner.workers.saturating_add(inner.queue);
        if inner.admitted.fetch_add(1, Ordering::AcqRel) >= capacity {
            inner.admitted.fetch_sub(1, Ordering::AcqRel);
            inner.counters.rejected();
            return Err(Error::Overloaded);
        }
        Ok(Admitted(inner.clone()))
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
        let busy = inner.busy.load(Ordering::Acquire);
        let admitted = inner.admitted.load(Ordering::Acquire);
        inner.counters.snapshot(
            inner.workers,
            inner.queue,
            busy,
            admitted.saturating_sub(busy),
        )
    }
}

/// A counted place among the admitted jobs.
struct Admitted(Arc<Inner>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A caller waiting for its queued job: if it gives up (the deadline
/// passed, or its future was dropped) before a worker took the job, the
/// job leaves the line unrun and its place is given back.
struct Waiting<'a> {
    inner: &'a Arc<Inner>,
    ticket: &'a Arc<Ticket>,
}

impl Waiting<'_> {
    /// Gives up on the job, unless a worker has taken it.
    fn give_up(&self) -> bool {
        if self.ticket.abandon() {
            self.inner.withdraw(self.ticket);
            true
        } else {
            false
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.give_up();
    }
}
