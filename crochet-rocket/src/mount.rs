//! [`SyncApp`]: a [`SyncHandler`] mounted as Rocket routes, served by a
//! [`Container`] so that it gets the same HTTP semantics as under axum or
//! hyper.

use std::sync::{Arc, OnceLock};

use crochet_sync_http::{
    Container, ContainerBody, ContainerBuilder, Request, Response, SyncHandler,
};
use rocket::http::{Method, Status};
use rocket::route::{Handler, Outcome};
use rocket::{Data, Route};
use tower_service::Service;

use crate::body::{self, BadRequest, Feed};
use crate::state::Crochet;

/// Every method Rocket routes.
const METHODS: [Method; 9] = [
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Put,
    Method::Delete,
    Method::Patch,
    Method::Options,
    Method::Trace,
    Method::Connect,
];

/// A blocking [`SyncHandler`] app as Rocket routes: mount it under a base
/// path and it receives every request below it, whatever the method.
///
/// Requests are served by a [`Container`], so the app gets exactly the
/// HTTP semantics it gets in axum or hyper: it runs on a bounded worker
/// pool (never on Rocket's async workers), `503` with `Retry-After` when
/// the workers and the queue are full, `500` when it panics (and Rocket
/// carries on), `413` past the container's body limit, request and
/// response bodies streamed through small bounded buffers.
///
/// * The app sees the path below the mount point (`/legacy/users?id=1`
///   mounted at `/legacy` arrives as `/users?id=1`), as with axum's
///   `nest_service`; the full URI is in the request's extensions as
///   [`OriginalUri`].
/// * With [`Crochet::fairing`] attached, the container's pool belongs to the
///   fairing's reactor (a reactor set on the [`ContainerBuilder`] is
///   replaced by it), so it stops with Rocket; without it, to the runtime
///   serving the first request. Either way, `crochet_core::wait_for` in the
///   app reaches that reactor.
/// * Rocket's own data limits do not apply to the app's bodies: the
///   container's [`body_limit`](ContainerBuilder::body_limit) does.
/// * Rocket adds its usual response headers (`Server`, and the `Shield`
///   fairing's) to the app's.
/// * A response body streamed from a reader
///   ([`ResponseBody::from_reader`](crochet_sync_http::ResponseBody::from_reader))
///   goes out chunked even if the app declared a `Content-Length`: Rocket
///   0.5 sets the framing of a streamed body itself. (The other hosts keep
///   the declared length.) A whole body is always sent with its length.
///
/// # Examples
///
/// ```
/// use crochet_rocket::{Crochet, SyncApp};
/// use crochet_sync_http::{Request, Response};
///
/// fn legacy(request: Request) -> Response {
///     Response::new(format!("legacy app: {}", request.uri()).into())
/// }
///
/// let rocket = rocket::build()
///     .attach(Crochet::fairing())
///     .mount("/legacy", SyncApp::new(legacy));
/// ```
pub struct SyncApp<H> {
    inner: Arc<Inner<H>>,
    rank: Option<isize>,
    /// Run on the fairing's pool rather than one of the container's own.
    share_pool: bool,
}

struct Inner<H> {
    handler: Arc<H>,
    settings: ContainerBuilder,
    container: OnceLock<Container<Shared<H>>>,
}

/// The app, shared between its routes and its container.
struct Shared<H>(Arc<H>);

impl<H: SyncHandler> SyncHandler for Shared<H> {
    fn call(&self, request: Request) -> Response {
        self.0.call(request)
    }
}

impl<H> Clone for SyncApp<H> {
    fn clone(&self) -> Self {
        SyncApp {
            inner: self.inner.clone(),
            rank: self.rank,
            share_pool: self.share_pool,
        }
    }
}

impl<H> std::fmt::Debug for SyncApp<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncApp")
            .field("settings", &self.inner.settings)
            .field("share_pool", &self.share_pool)
            .field("rank", &self.rank)
            .finish_non_exhaustive()
    }
}

impl<H: SyncHandler> SyncApp<H> {
    /// The app with the container's default settings (see
    /// [`ContainerBuilder`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let app = crochet_rocket::SyncApp::new(|_| crochet_sync_http::Response::new("hi".into()));
    /// let rocket = rocket::build().mount("/", app);
    /// ```
    pub fn new(handler: H) -> Self {
        Self::with_container(crochet_sync_http::Container::builder(), handler)
    }

    /// The app with the given container settings: workers, queue,
    /// queue-wait deadline, body limit, read timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use crochet_sync_http::{Container, Response};
    ///
    /// let settings = Container::builder().workers(16).queue(64).body_limit(1024 * 1024);
    /// let app = crochet_rocket::SyncApp::with_container(settings, |_| Response::new("hi".into()));
    /// ```
    pub fn with_container(settings: ContainerBuilder, handler: H) -> Self {
        SyncApp {
            inner: Arc::new(Inner {
                handler: Arc::new(handler),
                settings,
                container: OnceLock::new(),
            }),
            rank: None,
            share_pool: false,
        }
    }

    /// Runs the app on the fairing's pool ([`Crochet::pool`]), shared with
    /// the [`Offload`](crate::Offload) guard's jobs, instead of on a pool of
    /// the container's own: one set of workers and one queue for all of
    /// Rocket's blocking code. The fairing's pool settings then apply, not
    /// the container's workers, queue and queue-wait deadline. Without the
    /// fairing attached it has no effect. Set it before mounting: the
    /// container is made once, on the first request.
    ///
    /// # Examples
    ///
    /// ```
    /// use crochet_rocket::{Crochet, SyncApp};
    ///
    /// let app = SyncApp::new(|_| crochet_sync_http::Response::new("hi".into())).share_pool();
    /// let rocket = rocket::build()
    ///     .attach(Crochet::fairing().pool(crochet_core::Pool::builder().workers(32)))
    ///     .mount("/legacy", app);
    /// ```
    pub fn share_pool(mut self) -> Self {
        self.share_pool = true;
        self
    }

    /// The Rocket rank of the app's routes (lower is tried first). By
    /// default Rocket's own for a `<path..>` route, which tries every route
    /// with a static or partly static path first.
    ///
    /// # Examples
    ///
    /// ```
    /// // Tried after the other routes under the same base.
    /// let app = crochet_rocket::SyncApp::new(|_| crochet_sync_http::Response::new("hi".into()))
    ///     .rank(100);
    /// ```
    pub fn rank(mut self, rank: isize) -> Self {
        self.rank = Some(rank);
        self
    }

    /// The container, made on the first request (when the fairing's
    /// reactor is known).
    fn container(&self, request: &rocket::Request<'_>) -> Container<Shared<H>> {
        let inner = &self.inner;
        inner
            .container
            .get_or_init(|| {
                let handler = Shared(inner.handler.clone());
                match request.rocket().state::<Crochet>() {
                    Some(crochet) if self.share_pool => inner
                        .settings
                        .clone()
                        .pool(crochet.pool().clone())
                        .build(handler),
                    Some(crochet) => {
                        let container = inner
                            .settings
                            .clone()
                            .reactor(crochet.reactor().clone())
                            .build(handler);
                        // Its requests in flight finish before the fairing
                        // stops the reactor.
                        if let Some(pool) = container.pool() {
                            crochet.other_pools().track(pool.clone());
                        }
                        container
                    }
                    None => inner.settings.clone().build(handler),
                }
            })
            .clone()
    }
}

impl<H: SyncHandler> From<SyncApp<H>> for Vec<Route> {
    fn from(app: SyncApp<H>) -> Vec<Route> {
        METHODS
            .iter()
            .map(|&method| {
                let mut route = Route::ranked(app.rank, method, "/<path..>", app.clone());
                route.name = Some("crochet_rocket::SyncApp".into());
                route
            })
            .collect()
    }
}

/// The full request URI, in the extensions of a request a [`SyncApp`]
/// receives (whose own URI is the part below the mount point).
///
/// # Examples
///
/// ```
/// use crochet_rocket::OriginalUri;
/// use crochet_sync_http::{Request, Response};
///
/// fn where_am_i(request: Request) -> Response {
///     let full = request.extensions().get::<OriginalUri>().map(|uri| uri.0.to_string());
///     Response::new(format!("{} (mounted: {full:?})", request.uri()).into())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalUri(pub http::Uri);

/// The request's URI below the route's mount point, and the full one.
fn uris(request: &rocket::Request<'_>) -> Result<(http::Uri, http::Uri), BadRequest> {
    let path = request.uri().path().as_str();
    let base = request.route().map_or("/", |route| route.uri.base());
    let below = match path.strip_prefix(base.trim_end_matches('/')) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    };
    let with_query = |path: &str| match request.uri().query() {
        Some(query) => format!("{path}?{}", query.as_str()),
        None => path.to_owned(),
    };
    let parse = |text: String| {
        text.parse::<http::Uri>()
            .map_err(|err| BadRequest(format!("bad request target: {err}")))
    };
    Ok((parse(with_query(below))?, parse(with_query(path))?))
}

#[rocket::async_trait]
impl<H: SyncHandler> Handler for SyncApp<H> {
    async fn handle<'r>(
        &self,
        request: &'r rocket::Request<'_>,
        mut data: Data<'r>,
    ) -> Outcome<'r> {
        if body::has_body(request) && body::broken_before_us(&mut data).await {
            tracing::debug!(target: "crochet", "refused a request whose body Rocket could not read");
            return Outcome::Error(Status::BadRequest);
        }
        let head = uris(request).and_then(|(below, full)| {
            let head = body::request_head(request, below)?.extension(OriginalUri(full));
            Ok(match request.remote() {
                Some(remote) => head.extension(remote),
                None => head,
            })
        });
        let head = match head {
            Ok(head) => head,
            Err(BadRequest(why)) => {
                tracing::debug!(target: "crochet", why, "refused a request a SyncApp cannot take");
                return Outcome::Error(Status::BadRequest);
            }
        };
        let (built, mut feed) = if body::has_body(request) {
            let (sender, body) = ContainerBody::channel();
            let declared = body::declared_length(request);
            let feed: Feed<'r> = Box::pin(body::feed(data, sender, declared));
            (head.body(body), Some(feed))
        } else {
            (head.body(ContainerBody::empty()), None)
        };
        let http_request = match built {
            Ok(http_request) => http_request,
            Err(err) => {
                tracing::debug!(target: "crochet", error = %err, "refused a request a SyncApp cannot take");
                return Outcome::Error(Status::BadRequest);
            }
        };

        // Feed the body in the same future that awaits the response head;
        // if the head comes first, the response body drives the rest.
        let mut container = self.container(request);
        let mut call = container.call(http_request);
        let response = loop {
            match &mut feed {
                Some(feeding) => tokio::select! {
                    biased;
                    response = &mut call => break response,
                    () = feeding.as_mut() => feed = None,
                },
                None => break call.await,
            }
        };
        let Ok(response) = response;
        Outcome::Success(body::into_rocket(response, feed))
    }
}
