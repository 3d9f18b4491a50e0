//! Bodies crossing between the async server and the blocking handler:
//! request chunks fed into the handler's `Read`, response chunks streamed
//! back out.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::sync::mpsc;

/// Chunks in flight between the two sides, each way: enough to keep both
/// busy, small enough that memory stays bounded whatever the body size.
pub(crate) const CHUNKS_IN_FLIGHT: usize = 4;

/// Size of the chunks a streamed response is read in.
pub(crate) const CHUNK_SIZE: usize = 64 * 1024;

/// Feeds `body` into `chunks` until it ends, fails, or the handler stops
/// reading (the receiver is dropped). At most `limit` bytes are passed on.
pub(crate) async fn feed<B>(body: B, chunks: mpsc::Sender<io::Result<Bytes>>, limit: u64)
where
    B: HttpBody<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    let mut body = std::pin::pin!(body);
    let mut sent: u64 = 0;
    loop {
        let item = match body.frame().await {
            None => return,
            Some(Err(err)) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the request body could not be read: {err}"),
            )),
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    sent = sent.saturating_add(data.len() as u64);
                    Ok(data)
                }
                Err(_trailers) => continue,
            },
        };
        let failed = item.is_err();
        if chunks.send(item).await.is_err() || failed {
            return;
        }
        // Past the limit the handler's reader reports it; no need to read
        // (and buffer) more of an oversized body.
        if sent > limit {
            return;
        }
    }
}

/// Reads `reader` in chunks and sends them until it ends, fails, or the
/// client goes away. Runs on the worker thread (the reader may block).
pub(crate) fn stream_out(
    mut reader: Box<dyn Read + Send>,
    chunks: mpsc::Sender<io::Result<Bytes>>,
) {
    loop {
        let mut buf = vec![0; CHUNK_SIZE];
        let item = match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                buf.truncate(n);
                Ok(Bytes::from(buf))
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => Err(err),
        };
        let failed = item.is_err();
        // Err: the client is gone; stop reading and free the worker.
        if chunks.blocking_send(item).is_err() || failed {
            return;
        }
    }
}

/// The body of a [`Container`](crate::Container) response, and a request
/// body adapters can feed to one.
///
/// A `http_body::Body` of [`Bytes`]: either a whole body, or chunks
/// streamed through a small bounded channel (from the handler's reader on
/// the worker thread, or from a host through [`ContainerBody::channel`]). A
/// read error in the middle of a streamed body is a body error, so the
/// server aborts the response instead of ending it as if it were complete.
#[derive(Debug)]
pub struct ContainerBody {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Full(Option<Bytes>),
    Stream(mpsc::Receiver<io::Result<Bytes>>),
}

impl ContainerBody {
    /// A request body fed chunk by chunk from async code, for hosts whose
    /// own body type cannot be handed to a [`Container`](crate::Container)
    /// (it is not `Send`, or it borrows the request, as actix-web's
    /// `Payload` and Rocket's `Data` do).
    ///
    /// Drive the [`BodySender`] in the same future that awaits the
    /// container's response (for example with `tokio::join!`): at most a
    /// few chunks are buffered, so memory stays bounded whatever the body
    /// size, and `send` fails once the handler is done with the body.
    /// Dropping the sender ends the body.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use crochet_sync_http::ContainerBody;
    /// use http_body_util::BodyExt;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let (sender, body) = ContainerBody::channel();
    /// let feed = async move {
    ///     sender.send(Bytes::from("hello, ")).await?;
    ///     sender.send(Bytes::from("world")).await
    /// };
    /// let (fed, collected) = tokio::join!(feed, body.collect());
    /// fed?;
    /// assert_eq!(collected?.to_bytes(), "hello, world");
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn channel() -> (BodySender, ContainerBody) {
        let (chunks, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
        (BodySender { chunks }, ContainerBody::stream(receiver))
    }

    /// An empty body: what a host passes for a request without one (a
    /// `GET`, say), so the container starts no feeder for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use http_body::Body;
    ///
    /// assert!(crochet_sync_http::ContainerBody::empty().is_end_stream());
    /// ```
    pub fn empty() -> Self {
        Self::full(Bytes::new())
    }

    pub(crate) fn full(bytes: Bytes) -> Self {
        ContainerBody {
            kind: Kind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    pub(crate) fn stream(chunks: mpsc::Receiver<io::Result<Bytes>>) -> Self {
        ContainerBody {
            kind: Kind::Stream(chunks),
        }
    }
}

impl HttpBody for ContainerBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match &mut self.get_mut().kind {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Stream(chunks) => chunks
                .poll_recv(cx)
                .map(|item| item.map(|chunk| chunk.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream(_) => SizeHint::default(),
        }
    }
}

/// The sending half of [`ContainerBody::channel`]: a host feeds the request
/// body through it.
#[derive(Debug)]
pub struct BodySender {
    chunks: mpsc::Sender<io::Result<Bytes>>,
}

impl BodySender {
    /// Sends the next chunk, waiting while the reader is a few chunks
    /// behind.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` once the body has been dropped (the handler finished or
    /// stopped reading): stop feeding.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let (sender, body) = crochet_sync_http::ContainerBody::channel();
    /// drop(body);
    /// let err = sender.send(bytes::Bytes::from("late")).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    /// # });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send(&self, chunk: Bytes) -> io::Result<()> {
        self.chunks.send(Ok(chunk)).await.map_err(|_| gone())
    }

    /// Ends the body with an error (the client's stream broke): the
    /// handler's next read fails with it.
    ///
    /// # Examples
    ///
    /// ```
    /// use http_body_util::BodyExt;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let (sender, body) = crochet_sync_http::ContainerBody::channel();
    /// let broken = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "client went away");
    /// let (_, collected) = tokio::join!(sender.abort(broken), body.collect());
    /// assert!(collected.is_err());
    /// # });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn abort(self, error: io::Error) {
        let _ = self.chunks.send(Err(error)).await;
    }

    /// Whether the body has been dropped, so nothing more will be read.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, body) = crochet_sync_http::ContainerBody::channel();
    /// assert!(!sender.is_closed());
    /// drop(body);
    /// assert!(sender.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chunks.is_closed()
    }
}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the request body is no longer being read (the handler finished or stopped reading); stop sending it",
    )
}
