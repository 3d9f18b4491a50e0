//! The WSGI-like interface: a blocking function from request to response.

use crate::body::Body;
use crate::response::ResponseBody;

/// What a [`SyncHandler`] receives: `http` types, with a body that
/// implements [`std::io::Read`] and streams from the client.
pub type Request = http::Request<Body>;

/// What a [`SyncHandler`] returns: the body is bytes, a string, or a
/// [`Read`](std::io::Read) streamed back in chunks ([`ResponseBody`]).
pub type Response = http::Response<ResponseBody>;

/// A blocking HTTP handler: Crochet's counterpart of a WSGI application.
///
/// It runs on a worker thread, never on an async runtime's thread, so it may
/// block: read the request body with [`Read`](std::io::Read), call a
/// database driver, call async code back through
/// [`crochet_core::wait_for`](fn@crochet_core::wait_for) (which reaches the hosting server's own
/// runtime). The same handler runs unchanged under every host:
/// [`Container`](crate::Container) in axum/hyper/tower servers, the blocking
/// [`Server`](crate::Server), and the actix and Rocket adapters.
///
/// Implemented for every `Fn(Request) -> Response + Send + Sync + 'static`.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use crochet_sync_http::{Request, Response, SyncHandler};
///
/// fn echo(mut request: Request) -> Response {
///     let mut text = String::new();
///     match request.body_mut().read_to_string(&mut text) {
///         Ok(_) => Response::new(text.into()),
///         Err(err) => http::Response::builder()
///             .status(400)
///             .body(err.to_string().into())
///             .unwrap_or_default(),
///     }
/// }
///
/// let response = echo.call(http::Request::new("hello".into()));
/// assert_eq!(response.status(), 200);
/// ```
pub trait SyncHandler: Send + Sync + 'static {
    /// Handles one request.
    fn call(&self, request: Request) -> Response;
}

impl<F> SyncHandler for F
where
    F: Fn(Request) -> Response + Send + Sync + 'static,
{
    fn call(&self, request: Request) -> Response {
        self(request)
    }
}
