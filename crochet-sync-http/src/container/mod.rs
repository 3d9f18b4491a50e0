//! [`Container`]: a `tower::Service` hosting a [`SyncHandler`] in any
//! tower/hyper server, axum included.

mod body;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use crochet_core::{Error, Pool, PoolBuilder, Reactor};
use http::header;
use tokio::sync::{mpsc, oneshot};

pub(crate) use self::body::feed;
pub use self::body::{BodySender, ContainerBody};
use self::body::{CHUNKS_IN_FLIGHT, stream_out};
use crate::body::Body;
use crate::errors;
use crate::handler::{Request, Response, SyncHandler};
use crate::response::Kind;

const DEFAULT_BODY_LIMIT: u64 = 10 * 1024 * 1024;
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A `tower::Service` that hosts a blocking [`SyncHandler`] in an async
/// server: the counterpart of Twisted's WSGI container.
///
/// Each request's handler runs on a bounded [`Pool`] (by default 64 workers
/// and a queue of 1024 with a 2-second queue-wait deadline; see
/// [`ContainerBuilder`]). The pool belongs to the server's own runtime (the
/// one the service is first called on): handlers that call
/// `crochet_core::wait_for`, or the [`Reactor`] found in the request's
/// extensions, call back into it. No second runtime is started.
///
/// | situation | response |
/// |---|---|
/// | workers busy and queue full, or the queue-wait deadline passed | `503` with `Retry-After: 1` |
/// | the handler panicked | `500`; the panic is logged; the server carries on |
/// | the body is larger than the limit (by `Content-Length`, or while read) | `413` |
/// | the client stops sending the body for the read timeout | the handler's read fails with `TimedOut` |
/// | the client goes away mid-response | streaming stops; the worker is freed |
///
/// # Examples
///
/// ```no_run
/// use crochet_sync_http::{Container, Request, Response};
///
/// fn hello(_request: Request) -> Response {
///     Response::new("hello from blocking code".into())
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let app = axum::Router::new()
///         .route("/async", axum::routing::get(|| async { "async route" }))
///         .fallback_service(Container::new(hello));
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///     axum::serve(listener, app).await
/// }
/// ```
pub struct Container<H> {
    inner: Arc<Inner<H>>,
}

struct Inner<H> {
    handler: H,
    settings: ContainerBuilder,
    pool: OnceLock<Pool>,
}

impl<H> Clone for Container<H> {
    fn clone(&self) -> Self {
        Container {
            inner: self.inner.clone(),
        }
    }
}

impl<H> std::fmt::Debug for Container<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("settings", &self.inner.settings)
            .field("pool", &self.inner.pool.get().map(Pool::stats))
            .finish_non_exhaustive()
    }
}

/// Configures a [`Container`] (and the blocking [`Server`](crate::Server)).
///
/// | setting | default |
/// |---|---|
/// | [`workers`](ContainerBuilder::workers) | 64 |
/// | [`queue`](ContainerBuilder::queue) | 1024 |
/// | [`queue_timeout`](ContainerBuilder::queue_timeout) | 2 seconds |
/// | [`body_limit`](ContainerBuilder::body_limit) | 10 MiB |
/// | [`read_timeout`](ContainerBuilder::read_timeout) | 30 seconds |
/// | [`reactor`](ContainerBuilder::reactor) | the server's runtime |
/// | [`pool`](ContainerBuilder::pool) | a pool of its own, with the settings above |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// fn handler(_: crochet_sync_http::Request) -> crochet_sync_http::Response {
///     crochet_sync_http::Response::new("ok".into())
/// }
///
/// let container = crochet_sync_http::Container::builder()
///     .workers(128)
///     .queue(512)
///     .body_limit(1024 * 1024)
///     .read_timeout(Duration::from_secs(10))
///     .build(handler);
/// ```
#[derive(Debug, Clone)]
#[must_use = "a ContainerBuilder does nothing until build()"]
pub struct ContainerBuilder {
    /// Workers, queue and queue-wait deadline: the pool's own settings
    /// and defaults.
    pool: PoolBuilder,
    pub(crate) body_limit: u64,
    pub(crate) read_timeout: Duration,
    pub(crate) reactor: Option<Reactor>,
    /// A pool shared with others, in place of one of its own.
    pub(crate) shared: Option<Pool>,
}

impl Default for ContainerBuilder {
    fn default() -> Self {
        ContainerBuilder {
            pool: Pool::builder(),
            body_limit: DEFAULT_BODY_LIMIT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            reactor: None,
            shared: None,
        }
    }
}

impl ContainerBuilder {
    /// Handlers running at once. Size it for blocking I/O, not CPUs.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Container::builder().workers(32);
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.pool = self.pool.workers(workers);
        self
    }

    /// Requests waiting for a worker before `503`s start.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Container::builder().queue(100);
    /// ```
    pub fn queue(mut self, queue: usize) -> Self {
        self.pool = self.pool.queue(queue);
        self
    }

    /// Longest a request waits in the queue before it gets a `503`.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Container::builder()
    ///     .queue_timeout(std::time::Duration::from_millis(500));
    /// ```
    pub fn queue_timeout(mut self, timeout: Duration) -> Self {
        self.pool = self.pool.queue_timeout(timeout);
        self
    }

    /// Largest request body accepted; larger ones get `413`.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Container::builder().body_limit(64 * 1024);
    /// ```
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Longest a handler's body read waits for the client to send more.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_sync_http::Container::builder()
    ///     .read_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The reactor (and so the runtime) the handlers' pool belongs to,
    /// instead of the server's runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().build()?;
    /// let builder = crochet_sync_http::Container::builder().reactor(reactor);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reactor(mut self, reactor: Reactor) -> Self {
        self.reactor = Some(reactor);
        self
    }

    /// Runs the handlers on `pool` instead of a pool of the container's
    /// own: several containers, or a container and an adapter's blocking
    /// handlers, then share one set of workers and one queue. The pool's
    /// settings and reactor apply; this builder's
    /// [`workers`](ContainerBuilder::workers),
    /// [`queue`](ContainerBuilder::queue),
    /// [`queue_timeout`](ContainerBuilder::queue_timeout) and
    /// [`reactor`](ContainerBuilder::reactor) are then unused.
    ///
    /// # Examples
    ///
    /// ```
    /// use crochet_sync_http::{Container, Response};
    ///
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let pool = crochet_core::Pool::builder().workers(8).build(&reactor);
    /// let api = Container::builder().pool(pool.clone()).build(|_| Response::new("api".into()));
    /// let legacy = Container::builder().pool(pool).build(|_| Response::new("legacy".into()));
    /// assert_eq!(api.pool().unwrap().stats().workers, 8);
    /// assert_eq!(legacy.pool().unwrap().stats().workers, 8);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pool(mut self, pool: Pool) -> Self {
        self.shared = Some(pool);
        self
    }

    /// The container.
    ///
    /// # Examples
    ///
    /// ```
    /// let container = crochet_sync_http::Container::builder()
    ///     .build(|_| crochet_sync_http::Response::new("ok".into()));
    /// ```
    pub fn build<H: SyncHandler>(self, handler: H) -> Container<H> {
        let pool = OnceLock::new();
        if let Some(shared) = &self.shared {
            let _ = pool.set(shared.clone());
        } else if let Some(reactor) = &self.reactor {
            let _ = pool.set(self.pool_on(reactor));
        }
        Container {
            inner: Arc::new(Inner {
                handler,
                settings: self,
                pool,
            }),
        }
    }

    pub(crate) fn pool_on(&self, reactor: &Reactor) -> Pool {
        self.pool.clone().build(reactor)
    }
}

impl Container<()> {
    /// A builder with the defaults in [`ContainerBuilder`]'s table.
    ///
    /// # Examples
    ///
    /// ```
    /// let container = crochet_sync_http::Container::builder()
    ///     .workers(16)
    ///     .build(|_| crochet_sync_http::Response::new("ok".into()));
    /// ```
    pub fn builder() -> ContainerBuilder {
        ContainerBuilder::default()
    }
}

impl<H: SyncHandler> Container<H> {
    /// A container with the default settings.
    ///
    /// # Examples
    ///
    /// ```
    /// let container = crochet_sync_http::Container::new(|_| {
    ///     crochet_sync_http::Response::new("ok".into())
    /// });
    /// ```
    pub fn new(handler: H) -> Self {
        ContainerBuilder::default().build(handler)
    }

    /// The worker pool, once the container has served (or was given a
    /// reactor).
    ///
    /// # Examples
    ///
    /// ```
    /// let container = crochet_sync_http::Container::new(|_| {
    ///     crochet_sync_http::Response::new("ok".into())
    /// });
    /// assert!(container.pool().is_none()); // not called yet
    /// ```
    pub fn pool(&self) -> Option<&Pool> {
        self.inner.pool.get()
    }
}

impl<H: SyncHandler> Inner<H> {
    /// The pool, made on the runtime polling this the first time.
    fn pool(&self) -> Option<&Pool> {
        if let Some(pool) = self.pool.get() {
            return Some(pool);
        }
        let handle = tokio::runtime::Handle::try_current().ok()?;
        let reactor = Reactor::builder().attach(handle);
        Some(self.pool.get_or_init(|| self.settings.pool_on(&reactor)))
    }

    async fn serve<B>(self: Arc<Self>, request: http::Request<B>) -> http::Response<ContainerBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        let Some(pool) = self.pool().cloned() else {
            tracing::error!(target: "crochet", "a Container was called outside a tokio runtime");
            return into_http(errors::handler_failed());
        };
        let limit = self.settings.body_limit;
        if declared_length(&request).is_some_and(|length| length > limit) {
            return into_http(errors::too_large());
        }

        let (parts, body) = request.into_parts();
        let reactor = pool.reactor().clone();
        // No body (a GET, say): no feeder task, no channel, no limit flag.
        let (body, exceeded) = if http_body::Body::is_end_stream(&body) {
            (Body::empty(), None)
        } else {
            let exceeded = Arc::new(AtomicBool::new(false));
            let (chunks_tx, chunks_rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
            tokio::spawn(feed(body, chunks_tx, limit));
            let body = Body::from_channel(chunks_rx, reactor.clone(), self.settings.read_timeout)
                .limited(limit, exceeded.clone());
            (body, Some(exceeded))
        };
        let mut request = Request::from_parts(parts, body);
        request.extensions_mut().insert(reactor);

        // A whole body comes back as the job's value: one wake-up, as for a
        // bare `spawn_blocking`. A streamed body's head comes back through
        // `head` as soon as the handler returns, and the body then keeps
        // flowing from the same worker.
        let (head_tx, head_rx) = oneshot::channel();
        let inner = self.clone();
        let job = pool.run(move || {
            let response = inner.handler.call(request);
            if exceeded.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
                return Answer::Whole(into_http(errors::too_large()), head_tx);
            }
            let (parts, body) = response.into_parts();
            let body = match body.into_kind() {
                Kind::Empty => ContainerBody::full(Bytes::new()),
                Kind::Bytes(bytes) => ContainerBody::full(bytes),
                Kind::Reader(reader) => {
                    let (out_tx, out_rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
                    let head = http::Response::from_parts(parts, ContainerBody::stream(out_rx));
                    if head_tx.send(head).is_ok() {
                        stream_out(reader, out_tx);
                    }
                    return Answer::Streamed;
                }
            };
            // The unused `head_tx` travels back too: dropped on the worker,
            // it would wake this task a second time.
            Answer::Whole(http::Response::from_parts(parts, body), head_tx)
        });
        // Once a streamed head is here the job need not be polled any more:
        // it runs on as a detached blocking task holding its place.
        let mut job = std::pin::pin!(job);
        let mut head_rx = head_rx;
        let outcome = tokio::select! {
            biased;
            outcome = &mut job => outcome,
            head = &mut head_rx => match head {
                Ok(response) => return response,
                Err(_no_head) => job.await,
            },
        };
        let outcome = match outcome {
            Ok(Answer::Whole(response, head_tx)) => {
                // Receiver first, so dropping the sender wakes nobody.
                drop(head_rx);
                drop(head_tx);
                return response;
            }
            Ok(Answer::Streamed) => match head_rx.try_recv() {
                Ok(response) => return response,
                // Not sent: the client had gone away.
                Err(_) => return into_http(errors::handler_failed()),
            },
            Err(err) => err,
        };
        match outcome {
            Error::Overloaded | Error::ReactorStopped => into_http(errors::overloaded()),
            Error::Panicked(failure) => {
                tracing::error!(
                    target: "crochet",
                    failure = %failure,
                    "a SyncHandler panicked; answered 500"
                );
                into_http(errors::handler_failed())
            }
            _ => into_http(errors::handler_failed()),
        }
    }
}

/// What a handler's job hands back.
enum Answer {
    /// The whole response, and the head channel it did not need.
    Whole(
        http::Response<ContainerBody>,
        oneshot::Sender<http::Response<ContainerBody>>,
    ),
    /// The head went through the head channel; the body has been streamed.
    Streamed,
}

/// The `Content-Length` a request declares, if any (and parseable).
fn declared_length<B>(request: &http::Request<B>) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A host-made response (always a small, whole body) as a container one.
fn into_http(response: Response) -> http::Response<ContainerBody> {
    let (parts, body) = response.into_parts();
    let bytes = match body.into_kind() {
        Kind::Bytes(bytes) => bytes,
        Kind::Empty | Kind::Reader(_) => Bytes::new(),
    };
    http::Response::from_parts(parts, ContainerBody::full(bytes))
}

impl<H, B> tower_service::Service<http::Request<B>> for Container<H>
where
    H: SyncHandler,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    type Response = http::Response<ContainerBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Back-pressure is the pool's bounded queue, answered with 503.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move { Ok(inner.serve(request).await) })
    }
}
