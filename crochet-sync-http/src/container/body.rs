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

/// The body of a [`Container`](crate::Container) response.
///
/// A `http_body::Body` of [`Bytes`]: either the handler's whole body, or
/// chunks streamed from the handler's reader on the worker thread. A read
/// error in the middle of a streamed body is a body error, so the server
/// aborts the response instead of ending it as if it were complete.
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
