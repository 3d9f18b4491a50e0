//! [`SyncService`]: a [`SyncHandler`] mounted as an actix-web service.

use std::future::{Future, Ready, ready};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::{Payload, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{HttpRequest, HttpResponse};
use crochet_core::Reactor;
use crochet_sync_http::{Container, ContainerBody, ContainerBuilder, SyncHandler};

use crate::body;
use crate::crochet::Crochet;

/// A blocking [`SyncHandler`] mounted in an actix-web app: the same
/// handler that runs under axum, hyper and the blocking server, with the
/// same semantics.
///
/// Mount it where actix takes a service: as the app's
/// [`default_service`](actix_web::App::default_service) (every request no
/// route took), or a scope's (`web::scope("/legacy").default_service(..)`;
/// the handler sees the full path, prefix included). Requests are handed to
/// a [`Container`] (crochet-sync-http's tower container) on a bounded
/// worker pool, so the handler never blocks actix's single-threaded
/// workers:
///
/// | situation | response |
/// |---|---|
/// | workers busy and queue full, or the queue-wait deadline passed | `503` with `Retry-After: 1` |
/// | the handler panicked | `500`; the panic is logged; the server carries on |
/// | the body is larger than the limit (by `Content-Length`, or while read) | `413` |
/// | the client stops sending the body for the read timeout | the handler's read fails with `TimedOut` |
/// | the client goes away mid-upload | the handler's read fails with `UnexpectedEof` |
/// | the client goes away mid-response | streaming stops; the worker is freed |
///
/// Bodies stream both ways with a few chunks in flight: the actix payload
/// is fed to the handler's [`Read`](std::io::Read) as the handler reads,
/// and a [`ResponseBody::from_reader`](crochet_sync_http::ResponseBody::from_reader)
/// is sent as it is read.
///
/// # Which runtime
///
/// The pool, and the futures the handler waits for with
/// `crochet_core::wait_for`, belong to the Crochet reactor (by default the
/// global one, a multi-thread runtime), never to the actix worker's
/// current-thread runtime. See the crate docs, "Which runtime runs
/// `wait_for` futures".
///
/// # Examples
///
/// ```no_run
/// use actix_web::{App, HttpServer, web};
/// use crochet_actix::SyncService;
/// use crochet_sync_http::{Request, Response};
///
/// fn legacy(request: Request) -> Response {
///     Response::new(format!("blocking code served {}", request.uri().path()).into())
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let legacy = SyncService::new(legacy);
///     HttpServer::new(move || {
///         App::new()
///             .route("/async", web::get().to(|| async { "async route" }))
///             .default_service(legacy.clone())
///     })
///     .bind(("127.0.0.1", 8080))?
///     .run()
///     .await
/// }
/// ```
pub struct SyncService<H> {
    container: Container<H>,
}

impl<H> Clone for SyncService<H> {
    fn clone(&self) -> Self {
        SyncService {
            container: self.container.clone(),
        }
    }
}

impl<H> std::fmt::Debug for SyncService<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncService")
            .field("container", &self.container)
            .finish()
    }
}

/// Configures a [`SyncService`]: the [`Container`]'s settings, and the
/// reactor its pool belongs to.
///
/// | setting | default |
/// |---|---|
/// | [`workers`](SyncServiceBuilder::workers) | 64 |
/// | [`queue`](SyncServiceBuilder::queue) | 1024 |
/// | [`queue_timeout`](SyncServiceBuilder::queue_timeout) | 2 seconds |
/// | [`body_limit`](SyncServiceBuilder::body_limit) | 10 MiB |
/// | [`read_timeout`](SyncServiceBuilder::read_timeout) | 30 seconds |
/// | [`reactor`](SyncServiceBuilder::reactor) | the global Crochet reactor |
/// | [`crochet`](SyncServiceBuilder::crochet) | a pool of its own, with the settings above |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
/// let service = crochet_actix::SyncService::builder()
///     .workers(16)
///     .queue(64)
///     .body_limit(1024 * 1024)
///     .read_timeout(Duration::from_secs(10))
///     .reactor(reactor)
///     .build(|_| crochet_sync_http::Response::new("ok".into()))?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a SyncServiceBuilder does nothing until build()"]
pub struct SyncServiceBuilder {
    container: ContainerBuilder,
    reactor: Option<Reactor>,
}

impl SyncServiceBuilder {
    /// Handlers running at once. Size it for blocking I/O, not CPUs.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_actix::SyncService::builder().workers(32);
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.container = self.container.workers(workers);
        self
    }

    /// Requests waiting for a worker before `503`s start.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_actix::SyncService::builder().queue(100);
    /// ```
    pub fn queue(mut self, queue: usize) -> Self {
        self.container = self.container.queue(queue);
        self
    }

    /// Longest a request waits in the queue before it gets a `503`.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_actix::SyncService::builder()
    ///     .queue_timeout(std::time::Duration::from_millis(500));
    /// ```
    pub fn queue_timeout(mut self, timeout: Duration) -> Self {
        self.container = self.container.queue_timeout(timeout);
        self
    }

    /// Largest request body accepted; larger ones get `413`.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_actix::SyncService::builder().body_limit(64 * 1024);
    /// ```
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.container = self.container.body_limit(bytes);
        self
    }

    /// Longest a handler's body read waits for the client to send more.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = crochet_actix::SyncService::builder()
    ///     .read_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.container = self.container.read_timeout(timeout);
        self
    }

    /// The reactor the handlers' pool belongs to, and that their
    /// `crochet_core::wait_for` calls reach, instead of the global one
    /// (for example [`Crochet::reactor`](crate::Crochet::reactor)).
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::Reactor::builder().worker_threads(1).build()?;
    /// let builder = crochet_actix::SyncService::builder().reactor(reactor);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reactor(mut self, reactor: Reactor) -> Self {
        self.reactor = Some(reactor);
        self
    }

    /// Runs the handler on `crochet`'s pool (and so on its reactor),
    /// shared with the app's [`blocking`](crate::blocking) handlers,
    /// instead of a pool of its own: one set of workers and one queue for
    /// all the app's blocking code. `crochet`'s settings then apply;
    /// [`workers`](SyncServiceBuilder::workers),
    /// [`queue`](SyncServiceBuilder::queue),
    /// [`queue_timeout`](SyncServiceBuilder::queue_timeout) and
    /// [`reactor`](SyncServiceBuilder::reactor) are unused.
    ///
    /// # Examples
    ///
    /// ```
    /// let crochet = crochet_actix::Crochet::builder().workers(8).build()?;
    /// let service = crochet_actix::SyncService::builder()
    ///     .crochet(&crochet)
    ///     .build(|_| crochet_sync_http::Response::new("ok".into()))?;
    /// // Register the same `crochet` as app data: `App::new().app_data(crochet.clone())`.
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn crochet(mut self, crochet: &Crochet) -> Self {
        self.container = self.container.pool(crochet.pool().clone());
        self.reactor = Some(crochet.reactor().clone());
        self
    }

    /// The service.
    ///
    /// # Errors
    ///
    /// Without a [`reactor`](SyncServiceBuilder::reactor), the global
    /// reactor is set up if need be; this fails if the operating system
    /// refuses its threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let service = crochet_actix::SyncService::builder()
    ///     .build(|_| crochet_sync_http::Response::new("ok".into()))?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build<H: SyncHandler>(self, handler: H) -> io::Result<SyncService<H>> {
        let reactor = match self.reactor {
            Some(reactor) => reactor,
            None => crochet_core::try_setup().map_err(io::Error::other)?,
        };
        // Always an explicit reactor: left to itself the container would
        // take the runtime it is first called on, an actix worker's
        // current-thread runtime.
        let container = self.container.reactor(reactor).build(handler);
        Ok(SyncService { container })
    }
}

impl SyncService<()> {
    /// A builder with the defaults in [`SyncServiceBuilder`]'s table.
    ///
    /// # Examples
    ///
    /// ```
    /// let service = crochet_actix::SyncService::builder()
    ///     .workers(8)
    ///     .build(|_| crochet_sync_http::Response::new("ok".into()))?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> SyncServiceBuilder {
        SyncServiceBuilder::default()
    }
}

impl<H: SyncHandler> SyncService<H> {
    /// The service with the default settings, on the global Crochet
    /// reactor.
    ///
    /// # Panics
    ///
    /// If the global reactor must be set up and the operating system
    /// refuses its threads (as [`crochet_core::setup`] does). Use
    /// [`SyncService::builder`] to get that as an error.
    ///
    /// # Examples
    ///
    /// ```
    /// let service = crochet_actix::SyncService::new(|_| {
    ///     crochet_sync_http::Response::new("ok".into())
    /// });
    /// ```
    pub fn new(handler: H) -> Self {
        let container = Container::builder()
            .reactor(crochet_core::setup())
            .build(handler);
        SyncService { container }
    }

    /// The container serving the requests (its pool's statistics, say).
    ///
    /// # Examples
    ///
    /// ```
    /// let service = crochet_actix::SyncService::builder()
    ///     .workers(4)
    ///     .build(|_| crochet_sync_http::Response::new("ok".into()))?;
    /// let stats = service.container().pool().map(|pool| pool.stats());
    /// assert_eq!(stats.map(|s| s.workers), Some(4));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn container(&self) -> &Container<H> {
        &self.container
    }
}

impl<H: SyncHandler> ServiceFactory<ServiceRequest> for SyncService<H> {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Config = ();
    type Service = SyncService<H>;
    type InitError = ();
    type Future = Ready<Result<SyncService<H>, ()>>;

    fn new_service(&self, (): ()) -> Self::Future {
        ready(Ok(self.clone()))
    }
}

impl<H: SyncHandler> Service<ServiceRequest> for SyncService<H> {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<ServiceResponse, actix_web::Error>>>>;

    fn poll_ready(&self, _cx: &mut Context<'_>) -> Poll<Result<(), actix_web::Error>> {
        // Back-pressure is the pool's bounded queue, answered with 503.
        Poll::Ready(Ok(()))
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let container = self.container.clone();
        Box::pin(async move {
            let (request, payload) = request.into_parts();
            let response = serve(container, &request, payload).await;
            Ok(ServiceResponse::new(request, response))
        })
    }
}

/// Answers one request through the container, feeding its body meanwhile.
async fn serve<H: SyncHandler>(
    mut container: Container<H>,
    request: &HttpRequest,
    payload: Payload,
) -> HttpResponse {
    let (body, mut feed) = if body::has_body(request, &payload) {
        let (body, feed) = body::request_body(payload);
        (body, Some(feed))
    } else {
        (ContainerBody::empty(), None)
    };
    let converted = match body::to_http(request, body) {
        Ok(converted) => converted,
        Err(err) => {
            tracing::debug!(target: "crochet", error = %err, "answered 400");
            return HttpResponse::BadRequest()
                .content_type("text/plain; charset=utf-8")
                .body(format!("{err}\n"));
        }
    };
    let mut answer = std::pin::pin!(tower_service::Service::call(&mut container, converted));
    // The feed and the container in one future: the feed's payload is
    // `!Send` and must stay on this actix worker.
    let response = std::future::poll_fn(|cx| {
        if let Some(running) = &mut feed
            && running.as_mut().poll(cx).is_ready()
        {
            feed = None;
        }
        answer.as_mut().poll(cx)
    })
    .await;
    let response = match response {
        Ok(response) => response,
        Err(never) => match never {},
    };
    body::to_actix(response, feed).map_into_boxed_body()
}
