//! Conversions between Rocket's request and response types and the `http`
//! ones a [`Container`](crochet_sync_http::Container) speaks, with bodies
//! streamed both ways through small bounded buffers.

use std::future::Future;
use std::io::{self, Cursor};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use crochet_sync_http::{BodySender, ContainerBody};
use http::header;
use rocket::data::{ByteUnit, Data};
use rocket::http::{Header, Status};
use rocket::{Request, Response};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// Size of the chunks the request body is read from Rocket in.
const CHUNK_SIZE: usize = 64 * 1024;

/// Feeding the request body into the handler: polled beside the container
/// call, then (if the handler is still reading) by the response body.
pub(crate) type Feed<'r> = Pin<Box<dyn Future<Output = ()> + Send + 'r>>;

/// Why a Rocket request could not be turned into an `http` one.
#[derive(Debug)]
pub(crate) struct BadRequest(pub(crate) String);

/// The `http` request head for `request`, with `uri` as its URI (the path
/// below the mount point).
pub(crate) fn request_head(
    request: &Request<'_>,
    uri: http::Uri,
) -> Result<http::request::Builder, BadRequest> {
    let method = http::Method::from_bytes(request.method().as_str().as_bytes())
        .map_err(|err| BadRequest(format!("unsupported method: {err}")))?;
    let mut head = http::Request::builder().method(method).uri(uri);
    for field in request.headers().iter() {
        let name = http::HeaderName::from_bytes(field.name().as_str().as_bytes())
            .map_err(|err| BadRequest(format!("bad header name {:?}: {err}", field.name())))?;
        let value = http::HeaderValue::from_str(field.value())
            .map_err(|err| BadRequest(format!("bad value for header {name}: {err}")))?;
        head = head.header(name, value);
    }
    Ok(head)
}

/// Whether the request has a body at all: HTTP/1.1 says one is present
/// only with a non-zero `Content-Length` or a `Transfer-Encoding`.
pub(crate) fn has_body(request: &Request<'_>) -> bool {
    let headers = request.headers();
    if headers.contains(header::TRANSFER_ENCODING.as_str()) {
        return true;
    }
    declared_length(request).is_some_and(|length| length > 0)
}

/// The request's `Content-Length`, if it declares a parseable one.
pub(crate) fn declared_length(request: &Request<'_>) -> Option<u64> {
    request
        .headers()
        .get_one(header::CONTENT_LENGTH.as_str())?
        .trim()
        .parse()
        .ok()
}

/// How many bytes Rocket peeks at in every request body before routing
/// (`"_method=delete".len()`, for its `_method` form-field override).
const ROCKET_PEEK: usize = "_method=delete".len();

/// Whether reading the body already failed before the route ran.
///
/// Rocket peeks at the start of every body before routing, and when that
/// read fails (a malformed chunked encoding, a client gone before sending
/// a few bytes) it logs the error and the body then reads as empty and
/// complete, which would hand the app a truncated body as if whole. The
/// peek stops early only at the end of the body (then the body is marked
/// complete) or at an error: an incomplete body with fewer bytes than
/// Rocket peeks for is one whose read failed.
pub(crate) async fn broken_before_us(data: &mut Data<'_>) -> bool {
    if data.peek_complete() {
        return false;
    }
    data.peek(ROCKET_PEEK).await.len() < ROCKET_PEEK
}

/// Reads `data` into `sender` until it ends, fails, or the handler stops
/// reading (it dropped the body, after reading it all or after the
/// container's body limit made its read fail). Rocket's own data limits
/// do not apply: the container's limit is the one that answers `413`, and
/// the bounded channel means no more than a few chunks are ever read ahead.
/// A body that ends before its declared length (the client went away) ends
/// with an error, so the handler's read fails instead of seeing a short
/// body as complete.
pub(crate) async fn feed(data: Data<'_>, sender: BodySender, declared: Option<u64>) {
    let mut stream = data.open(ByteUnit::max_value());
    let mut received: u64 = 0;
    let mut buf = BytesMut::with_capacity(CHUNK_SIZE);
    loop {
        if sender.is_closed() {
            return;
        }
        buf.reserve(CHUNK_SIZE);
        match stream.read_buf(&mut buf).await {
            Ok(0) => {
                let short = declared.is_some_and(|length| received < length);
                if short {
                    let broken = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the client closed the connection before sending the whole body",
                    );
                    sender.abort(broken).await;
                }
                return;
            }
            Ok(n) => {
                received = received.saturating_add(n as u64);
                if sender.send(buf.split().freeze()).await.is_err() {
                    return;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
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

/// Headers Rocket (hyper) writes itself from the body it is given.
fn is_framing(name: &http::HeaderName) -> bool {
    name == header::CONTENT_LENGTH
        || name == header::TRANSFER_ENCODING
        || name == header::CONNECTION
}

/// The container's response as a Rocket one. A whole body is sent with its
/// `Content-Length`; a streamed one is sent chunked, read through a small
/// buffer as Rocket writes it out. `feed`, if the request body is still
/// being fed, keeps being driven by the response body (a handler may stream
/// its request body back).
pub(crate) fn into_rocket<'r>(
    response: http::Response<ContainerBody>,
    feed: Option<Feed<'r>>,
) -> Response<'r> {
    let (parts, mut body) = response.into_parts();
    let mut builder = Response::build();
    builder.status(Status::new(parts.status.as_u16()));
    for (name, value) in &parts.headers {
        if is_framing(name) {
            continue;
        }
        match value.to_str() {
            Ok(value) => {
                builder.header_adjoin(Header::new(name.as_str().to_owned(), value.to_owned()));
            }
            Err(_) => tracing::warn!(
                target: "crochet",
                header = %name,
                "dropped a response header whose value is not visible ASCII"
            ),
        }
    }
    let whole = http_body::Body::size_hint(&body).exact().is_some() && feed.is_none();
    if whole {
        // A whole body is ready at once: no waker is needed to take it.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let bytes = match http_body::Body::poll_frame(Pin::new(&mut body), &mut cx) {
            Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
            _ => Bytes::new(),
        };
        builder.sized_body(bytes.len(), Cursor::new(bytes));
    } else {
        builder.streamed_body(BodyReader {
            body,
            chunk: Bytes::new(),
            feed,
            ended: false,
        });
    }
    builder.finalize()
}

/// A [`ContainerBody`] read as an [`AsyncRead`], driving the request-body
/// feed alongside.
struct BodyReader<'r> {
    body: ContainerBody,
    chunk: Bytes,
    feed: Option<Feed<'r>>,
    ended: bool,
}

impl AsyncRead for BodyReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(feed) = &mut this.feed
            && feed.as_mut().poll(cx).is_ready()
        {
            this.feed = None;
        }
        loop {
            if !this.chunk.is_empty() {
                let n = this.chunk.len().min(buf.remaining());
                buf.put_slice(&this.chunk.split_to(n));
                return Poll::Ready(Ok(()));
            }
            if this.ended {
                return Poll::Ready(Ok(()));
            }
            match http_body::Body::poll_frame(Pin::new(&mut this.body), cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        this.chunk = data;
                    }
                }
                Poll::Ready(Some(Err(err))) => {
                    this.ended = true;
                    return Poll::Ready(Err(err));
                }
                Poll::Ready(None) => this.ended = true,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
