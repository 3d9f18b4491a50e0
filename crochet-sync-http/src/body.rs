//! The request body a handler reads: streamed from the client, bounded.

use std::fmt;
use std::io::{self, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::{Buf, Bytes};
use crochet_core::Reactor;
use tokio::sync::mpsc;

/// A request body: a [`Read`] that streams from the client as the handler
/// reads, never buffering the whole body.
///
/// Hosts bound it: reading past the host's body limit fails with
/// `InvalidData` (and the host answers `413 Payload Too Large`, whatever the
/// handler returns), and a client that sends nothing for the host's read
/// timeout fails the read with `TimedOut`, so a slow client cannot hold a
/// worker forever.
///
/// # Examples
///
/// ```
/// use std::io::Read;
///
/// let mut body = crochet_sync_http::Body::from("name=ada");
/// let mut text = String::new();
/// body.read_to_string(&mut text)?;
/// assert_eq!(text, "name=ada");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Body {
    source: Source,
    limit: Option<Limit>,
}

enum Source {
    Bytes(Cursor<Bytes>),
    Channel(ChannelReader),
    Reader(Box<dyn Read + Send>),
}

/// Bytes read so far against the host's limit.
struct Limit {
    max: u64,
    read: u64,
    exceeded: Arc<AtomicBool>,
}

impl Body {
    /// An empty body.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let mut buf = Vec::new();
    /// crochet_sync_http::Body::empty().read_to_end(&mut buf)?;
    /// assert!(buf.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn empty() -> Self {
        Self::from(Bytes::new())
    }

    /// A body read from `reader` (hosts use this for their connection).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let mut body = crochet_sync_http::Body::from_reader(&b"abc"[..]);
    /// let mut buf = Vec::new();
    /// body.read_to_end(&mut buf)?;
    /// assert_eq!(buf, b"abc");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_reader(reader: impl Read + Send + 'static) -> Self {
        Body {
            source: Source::Reader(Box::new(reader)),
            limit: None,
        }
    }

    /// A body fed chunk by chunk through `chunks` by an async task; each read
    /// waits for the next chunk in `reactor` for at most `read_timeout`.
    pub(crate) fn from_channel(
        chunks: mpsc::Receiver<io::Result<Bytes>>,
        reactor: Reactor,
        read_timeout: Duration,
    ) -> Self {
        Body {
            source: Source::Channel(ChannelReader {
                chunks,
                current: Bytes::new(),
                reactor,
                read_timeout,
            }),
            limit: None,
        }
    }

    /// Bounds the body to `max` bytes; `exceeded` is set when a read goes
    /// past it.
    pub(crate) fn limited(mut self, max: u64, exceeded: Arc<AtomicBool>) -> Self {
        self.limit = Some(Limit {
            max,
            read: 0,
            exceeded,
        });
        self
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ask for one byte more than the limit allows, to notice excess.
        let room = match &self.limit {
            Some(limit) => {
                let left = limit.max.saturating_sub(limit.read).saturating_add(1);
                buf.len().min(usize::try_from(left).unwrap_or(usize::MAX))
            }
            None => buf.len(),
        };
        let n = match &mut self.source {
            Source::Bytes(cursor) => cursor.read(&mut buf[..room])?,
            Source::Channel(channel) => channel.read(&mut buf[..room])?,
            Source::Reader(reader) => reader.read(&mut buf[..room])?,
        };
        if let Some(limit) = &mut self.limit {
            limit.read += n as u64;
            if limit.read > limit.max {
                limit.exceeded.store(true, Ordering::SeqCst);
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the request body is larger than the limit of {} bytes",
                        limit.max
                    ),
                ));
            }
        }
        Ok(n)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(_) => "bytes",
            Source::Channel(_) => "streamed",
            Source::Reader(_) => "reader",
        };
        f.debug_struct("Body")
            .field("source", &source)
            .field("limit", &self.limit.as_ref().map(|l| l.max))
            .finish()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body {
            source: Source::Bytes(Cursor::new(bytes)),
            limit: None,
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self::from(Bytes::from(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Self::from(Bytes::from(text))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Self::from(Bytes::from_static(text.as_bytes()))
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

struct ChannelReader {
    chunks: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
    reactor: Reactor,
    read_timeout: Duration,
}

impl ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            let next = self
                .reactor
                .wait_for(self.read_timeout, self.chunks.recv())
                .map_err(|err| match err {
                    crochet_core::Error::Timeout => io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "the client sent no body data for {:?} (the read timeout)",
                            self.read_timeout
                        ),
                    ),
                    other => io::Error::other(other),
                })?;
            match next {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(err)) => return Err(err),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_allows_exactly_max_and_flags_more() {
        let flag = Arc::new(AtomicBool::new(false));
        let mut body = Body::from("12345").limited(5, flag.clone());
        let mut buf = Vec::new();
        body.read_to_end(&mut buf).unwrap();
        assert_eq!(buf, b"12345");
        assert!(!flag.load(Ordering::SeqCst));

        let mut body = Body::from("123456").limited(5, flag.clone());
        let err = body.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(flag.load(Ordering::SeqCst));
    }
}
