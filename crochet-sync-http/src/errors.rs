//! The responses hosts give on their own: overload, oversize, failure.

use http::{HeaderValue, StatusCode, header};

use crate::handler::Response;

/// Seconds a client told `503` should wait before retrying.
pub(crate) const RETRY_AFTER_SECS: u32 = 1;

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(text.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `503` with `Retry-After`: the worker pool is full (or shutting down).
pub(crate) fn overloaded() -> Response {
    let mut response = plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is at capacity; retry shortly\n",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}

/// `413`: the body was larger than the host's limit.
pub(crate) fn too_large() -> Response {
    let mut response = plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        "the request body is larger than this server accepts\n",
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `500`: the handler panicked (the panic itself is logged, not shown).
pub(crate) fn handler_failed() -> Response {
    plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the request handler failed\n",
    )
}
