//! Crossing between actix-web's types (`http` 0.2, a `!Send` payload) and
//! the container's (`http` 1, a `Send` body): the request head, the
//! request body fed chunk by chunk, and the response streamed back.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BodyStream, MessageBody};
use actix_web::dev::Payload;
use actix_web::http::{ConnectionType, StatusCode, header as actix_header};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use crochet_sync_http::{BodySender, ContainerBody};
use http_body::Body as _;

/// The future feeding a request body into a [`BodySender`]. It holds the
/// actix payload, so it is `!Send`: it is polled on the actix worker, in
/// the future that answers the request (and then by the response body).
pub(crate) type Feed = Pin<Box<dyn Future<Output = ()>>>;

/// Whether the request has a body at all: actix gives `Payload::None` for
/// a request without one, and a `Content-Length: 0` body is as good as none.
pub(crate) fn has_body(request: &HttpRequest, payload: &Payload) -> bool {
    if matches!(payload, Payload::None) {
        return false;
    }
    let declared_empty = request
        .headers()
        .get(actix_header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        == Some(0);
    !declared_empty
}

/// The body the container reads, and the feed that fills it from `payload`.
pub(crate) fn request_body(payload: Payload) -> (ContainerBody, Feed) {
    let (sender, body) = ContainerBody::channel();
    (body, Box::pin(feed(payload, sender)))
}

/// Copies `payload` into `sender` until the payload ends (the body ends),
/// breaks (the handler's next read fails with the reason), or the handler
/// stops reading (`send` fails). At most a few chunks are in flight.
async fn feed(payload: Payload, sender: BodySender) {
    // `BodyStream` turns the payload's `Stream` into a `MessageBody`, so it
    // can be polled without a dependency on `futures-core`.
    let mut chunks = std::pin::pin!(BodyStream::new(payload));
    loop {
        let next = std::future::poll_fn(|cx| chunks.as_mut().poll_next(cx)).await;
        match next {
            None => return,
            Some(Ok(chunk)) => {
                if sender.send(chunk).await.is_err() {
                    return;
                }
            }
            Some(Err(err)) => {
                let broken = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the request body could not be read: {err}"),
                );
                sender.abort(broken).await;
                return;
            }
        }
    }
}

/// Why a request head could not be given to the container.
#[derive(Debug)]
pub(crate) struct BadHead(&'static str);

impl std::fmt::Display for BadHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the request {} could not be converted", self.0)
    }
}

/// The actix request head as an `http` 1 request carrying `body`.
pub(crate) fn to_http(
    request: &HttpRequest,
    body: ContainerBody,
) -> Result<http::Request<ContainerBody>, BadHead> {
    let method = http::Method::from_bytes(request.method().as_str().as_bytes())
        .map_err(|_| BadHead("method"))?;
    let uri: http::Uri = request
        .uri()
        .to_string()
        .parse()
        .map_err(|_| BadHead("target"))?;
    let version = match request.version() {
        actix_web::http::Version::HTTP_09 => http::Version::HTTP_09,
        actix_web::http::Version::HTTP_10 => http::Version::HTTP_10,
        actix_web::http::Version::HTTP_2 => http::Version::HTTP_2,
        actix_web::http::Version::HTTP_3 => http::Version::HTTP_3,
        _ => http::Version::HTTP_11,
    };
    let mut converted = http::Request::new(body);
    *converted.method_mut() = method;
    *converted.uri_mut() = uri;
    *converted.version_mut() = version;
    let headers = converted.headers_mut();
    headers.reserve(request.headers().len());
    for (name, value) in request.headers() {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes())
            .map_err(|_| BadHead("header name"))?;
        let value =
            http::HeaderValue::from_bytes(value.as_bytes()).map_err(|_| BadHead("header value"))?;
        headers.append(name, value);
    }
    Ok(converted)
}

/// The container's response as an actix response. `feed`, if the request
/// body is still being fed when the response head is ready (a handler that
/// streams its request body back, say), goes on being polled with the
/// response body.
pub(crate) fn to_actix(
    response: http::Response<ContainerBody>,
    feed: Option<Feed>,
) -> HttpResponse<ResponseStream> {
    let (parts, body) = response.into_parts();
    let status =
        StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let hint = body.size_hint();
    let length = hint.exact().or_else(|| declared_length(&parts.headers));
    let mut converted = HttpResponse::with_body(status, ResponseStream { body, length, feed });
    let headers = converted.headers_mut();
    for (name, value) in &parts.headers {
        // Both sides validated these bytes; a mismatch would be a bug in
        // one of the `http` crates, and dropping the header is the safe
        // answer to it.
        let (Ok(name), Ok(value)) = (
            actix_header::HeaderName::from_bytes(name.as_str().as_bytes()),
            actix_header::HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let close = parts
        .headers
        .get_all(http::header::CONNECTION)
        .iter()
        .any(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
    if close {
        // actix writes `Connection` from the head, not the header map.
        converted
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    converted
}

/// The `Content-Length` a streamed response declares, kept so that the
/// client sees it (actix would otherwise send the stream chunked).
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// An actix response body streaming a [`ContainerBody`], which also drives
/// the request body's feed while the handler may still be reading it.
pub(crate) struct ResponseStream {
    body: ContainerBody,
    length: Option<u64>,
    feed: Option<Feed>,
}

impl std::fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStream")
            .field("length", &self.length)
            .field("feeding", &self.feed.is_some())
            .finish_non_exhaustive()
    }
}

impl MessageBody for ResponseStream {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        match self.length {
            Some(length) => BodySize::Sized(length),
            None => BodySize::Stream,
        }
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, io::Error>>> {
        let this = self.get_mut();
        if let Some(feed) = &mut this.feed
            && feed.as_mut().poll(cx).is_ready()
        {
            this.feed = None;
        }
        loop {
            let frame = match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(frame) => frame,
            };
            match frame {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => return Poll::Ready(Some(Ok(data))),
                    // Trailers: HTTP/1.1 responses here carry none.
                    Err(_trailers) => continue,
                },
                Some(Err(err)) => {
                    this.feed = None;
                    return Poll::Ready(Some(Err(err)));
                }
                None => {
                    // The response is complete: whatever of the request body
                    // the handler left unread is not waited for.
                    this.feed = None;
                    return Poll::Ready(None);
                }
            }
        }
    }
}
