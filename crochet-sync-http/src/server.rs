//! [`Server`]: a blocking program's HTTP server for a [`SyncHandler`].

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use crochet_core::{EventualResult, Pool, Reactor};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::watch;
use tower_service::Service;

use crate::container::{Container, ContainerBuilder};
use crate::handler::SyncHandler;

/// Starts serving `handler` on `addr` with the default settings, in the
/// background, and returns the running [`Server`].
///
/// Handlers use the global Crochet reactor (set up if need be): plain
/// `crochet_core::wait_for` in a handler reaches it.
///
/// # Errors
///
/// Binding failed (address in use, permission denied, ...), or the global
/// reactor could not start.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_sync_http::{Request, Response};
///
/// fn hello(_: Request) -> Response {
///     Response::new("hello".into())
/// }
///
/// let server = crochet_sync_http::serve("127.0.0.1:0", hello)?;
/// println!("listening on {}", server.local_addr());
/// // ... server.wait() in a real program; here:
/// assert!(server.stop(Duration::from_secs(1)));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn serve(addr: impl ToSocketAddrs, handler: impl SyncHandler) -> io::Result<Server> {
    Server::builder().serve(addr, handler)
}

/// A running blocking HTTP server (see [`serve`]).
///
/// Dropping it stops it at once (in-flight requests are cut off); call
/// [`wait`](Server::wait) to serve until another thread stops it, or
/// [`stop`](Server::stop) to finish in-flight requests first.
///
/// # Why not tiny_http's own threads
///
/// The design called for a tiny_http host, and measured a hazard: with 16
/// threads calling `recv()`, many of 64 concurrent keep-alive connections
/// went unanswered for a whole 10-second run. The cause is in tiny_http
/// 0.12's connection thread pool (`util::TaskPool::spawn`): it decides that a
/// thread is free from a count of *waiting* threads that still includes a
/// thread that was notified but has not woken yet. Two connections arriving
/// together can both be queued for the one waking thread; the second then
/// waits for a thread to finish its task, and keep-alive tasks only finish
/// when their client disconnects. That connection is never read.
///
/// So this host keeps tiny_http's shape (a blocking `serve(addr, handler)`,
/// a worker count, a body limit, a stop handle that finishes in-flight
/// requests) on a different transport: hyper's HTTP/1.1 connections, driven
/// by the Crochet reactor, with handlers on the same bounded worker pool as
/// [`Container`](crate::Container). Every connection is served, keep-alive
/// or not, and malformed requests get hyper's well-tested treatment.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    pool: Pool,
    stop: StopHandle,
    accept_loop: EventualResult<()>,
}

/// Stops a [`Server`] from any thread. Cheap to clone.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_sync_http::{Request, Response};
///
/// fn ok(_: Request) -> Response {
///     Response::new("ok".into())
/// }
///
/// let server = crochet_sync_http::serve("127.0.0.1:0", ok)?;
/// let stop = server.stop_handle();
/// std::thread::spawn(move || stop.stop(Duration::from_secs(1)));
/// server.wait(); // returns once stopped
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StopHandle {
    grace: Arc<watch::Sender<Option<Duration>>>,
}

impl StopHandle {
    /// Stops accepting connections, and gives in-flight requests up to
    /// `grace` to finish; does not wait for them (see [`Server::stop`]).
    ///
    /// # Examples
    ///
    /// See [`StopHandle`].
    pub fn stop(&self, grace: Duration) {
        self.grace.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(grace);
                true
            } else {
                false
            }
        });
    }
}

/// Configures a [`Server`]: the [`ContainerBuilder`] settings (workers,
/// queue, body limit, read timeout) plus the reactor.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_sync_http::{Request, Response};
///
/// fn ok(_: Request) -> Response {
///     Response::new("ok".into())
/// }
///
/// let server = crochet_sync_http::Server::builder()
///     .workers(16)
///     .body_limit(1024 * 1024)
///     .serve("127.0.0.1:0", ok)?;
/// server.stop(Duration::from_secs(1));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a ServerBuilder does nothing until serve()"]
pub struct ServerBuilder {
    settings: ContainerBuilder,
}

impl ServerBuilder {
    /// Handlers running at once (default 64).
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Server::builder().workers(8);
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.settings = self.settings.workers(workers);
        self
    }

    /// Requests waiting for a worker before `503`s start (default 1024).
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Server::builder().queue(32);
    /// ```
    pub fn queue(mut self, queue: usize) -> Self {
        self.settings = self.settings.queue(queue);
        self
    }

    /// Longest a request waits in the queue (default 2 seconds).
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Server::builder()
    ///     .queue_timeout(std::time::Duration::from_millis(250));
    /// ```
    pub fn queue_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.settings = self.settings.queue_timeout(timeout);
        self
    }

    /// Largest request body; larger ones get `413` (default 10 MiB).
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Server::builder().body_limit(4096);
    /// ```
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.settings = self.settings.body_limit(bytes);
        self
    }

    /// Longest the server waits for a client to send more of a request's
    /// head or body (default 30 seconds): slow clients cannot hold a
    /// connection or a worker forever.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Server::builder()
    ///     .read_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.settings = self.settings.read_timeout(timeout);
        self
    }

    /// The reactor to serve on, instead of the global one.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// let builder = crochet_sync_http::Server::builder().reactor(reactor);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reactor(mut self, reactor: Reactor) -> Self {
        self.settings = self.settings.reactor(reactor);
        self
    }

    /// Runs the handlers on `pool`, shared with other hosts, instead of a
    /// pool of the server's own: a blocking `Server` beside an axum
    /// [`Container`](crate::Container) or an actix or Rocket adapter then
    /// draws on one set of workers and one queue. The pool's settings
    /// apply ([`workers`](ServerBuilder::workers),
    /// [`queue`](ServerBuilder::queue) and
    /// [`queue_timeout`](ServerBuilder::queue_timeout) are unused), and
    /// the server runs on the pool's reactor unless
    /// [`reactor`](ServerBuilder::reactor) names another.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use crochet_sync_http::{Request, Response, Server};
    ///
    /// fn ok(_: Request) -> Response {
    ///     Response::new("ok".into())
    /// }
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let pool = crochet_core::Pool::builder().workers(8).queue(32).build(&reactor);
    /// let public = Server::builder().pool(pool.clone()).serve("127.0.0.1:0", ok)?;
    /// let admin = Server::builder().pool(pool.clone()).serve("127.0.0.1:0", ok)?;
    /// assert_eq!(public.pool().stats().workers, 8);
    /// assert_eq!(admin.pool().stats().queue, 32);
    /// public.stop(Duration::from_secs(1));
    /// admin.stop(Duration::from_secs(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pool(mut self, pool: Pool) -> Self {
        self.settings = self.settings.pool(pool);
        self
    }

    /// Binds `addr` and starts serving `handler` in the background.
    ///
    /// # Errors
    ///
    /// Binding failed, or the reactor could not start or has stopped.
    ///
    /// # Examples
    ///
    /// See [`ServerBuilder`].
    pub fn serve(self, addr: impl ToSocketAddrs, handler: impl SyncHandler) -> io::Result<Server> {
        let reactor = match (&self.settings.reactor, &self.settings.shared) {
            (Some(reactor), _) => reactor.clone(),
            (None, Some(pool)) => pool.reactor().clone(),
            (None, None) => crochet_core::try_setup().map_err(io::Error::other)?,
        };
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let listener = reactor
            .wait_for(Duration::from_secs(5), async {
                tokio::net::TcpListener::from_std(listener)
            })
            .map_err(io::Error::other)??;
        let read_timeout = self.settings.read_timeout;
        let pool = match &self.settings.shared {
            Some(pool) => pool.clone(),
            None => self.settings.pool_on(&reactor),
        };
        let container = self
            .settings
            .reactor(reactor.clone())
            .pool(pool.clone())
            .build(handler);
        let (grace_tx, grace_rx) = watch::channel(None);
        let accept_loop =
            reactor.run_in_reactor(accept_loop(listener, container, read_timeout, grace_rx));
        Ok(Server {
            local_addr,
            pool,
            stop: StopHandle {
                grace: Arc::new(grace_tx),
            },
            accept_loop,
        })
    }
}

impl Server {
    /// A builder with the default settings.
    ///
    /// # Examples
    ///
    /// See [`ServerBuilder`].
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The address the server listens on (useful after binding port 0).
    ///
    /// # Examples
    ///
    /// See [`serve`].
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The worker pool the handlers run on: its [`stats`](Pool::stats)
    /// show how busy the server is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let server = crochet_sync_http::Server::builder()
    ///     .workers(4)
    ///     .serve("127.0.0.1:0", |_| crochet_sync_http::Response::new("ok".into()))?;
    /// let stats = server.pool().stats();
    /// assert_eq!((stats.workers, stats.busy, stats.queued), (4, 0, 0));
    /// server.stop(Duration::from_secs(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A handle to stop the server from another thread.
    ///
    /// # Examples
    ///
    /// See [`StopHandle`].
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops accepting connections and waits, at most `grace`, for the
    /// requests in flight to finish; true when they all did.
    ///
    /// # Examples
    ///
    /// See [`serve`].
    pub fn stop(&self, grace: Duration) -> bool {
        self.stop.stop(grace);
        self.accept_loop
            .wait(grace.saturating_add(Duration::from_secs(1)))
            .is_ok()
    }

    /// Blocks until the server is stopped (by a [`StopHandle`]) and has
    /// finished its in-flight requests, or its reactor stopped.
    ///
    /// # Examples
    ///
    /// See [`StopHandle`].
    pub fn wait(&self) {
        while let Err(err) = self.accept_loop.wait(Duration::from_secs(3600)) {
            if !err.is_timeout() {
                return;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.stop(Duration::ZERO);
    }
}

/// Accepts connections until stopped, then lets in-flight requests finish
/// within the grace period.
async fn accept_loop<H: SyncHandler>(
    listener: tokio::net::TcpListener,
    container: Container<H>,
    read_timeout: Duration,
    mut stop: watch::Receiver<Option<Duration>>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let grace = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(err) => {
                        // Out of file descriptors and the like: back off
                        // briefly instead of spinning.
                        tracing::warn!(target: "crochet", error = %err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let container = container.clone();
                let service = hyper::service::service_fn(move |request| {
                    let mut container = container.clone();
                    container.call(request)
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(read_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // Errors here are the client's (reset, malformed, timed
                    // out); hyper has already answered or closed.
                    let _ = connection.await;
                });
            }
            changed = stop.changed() => {
                break match changed {
                    Ok(()) => stop.borrow().unwrap_or(Duration::ZERO),
                    Err(_) => Duration::ZERO,
                };
            }
        }
    };
    drop(listener);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}
