//! The response body a handler returns.

use std::fmt;
use std::io::Read;

use bytes::Bytes;

/// A response body: bytes or text, or a [`Read`] the host streams back in
/// chunks (read on the worker thread, so it may block) without holding the
/// whole body in memory.
///
/// # Examples
///
/// ```
/// use crochet_sync_http::{Response, ResponseBody};
///
/// let small: Response = Response::new("hello".into());
/// let file = std::fs::File::open("/proc/self/status")?;
/// let large: Response = Response::new(ResponseBody::from_reader(file));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Default)]
pub struct ResponseBody {
    kind: Kind,
}

#[derive(Default)]
pub(crate) enum Kind {
    #[default]
    Empty,
    Bytes(Bytes),
    Reader(Box<dyn Read + Send>),
}

impl ResponseBody {
    /// No body.
    ///
    /// # Examples
    ///
    /// ```
    /// let body = crochet_sync_http::ResponseBody::empty();
    /// ```
    pub fn empty() -> Self {
        Self::default()
    }

    /// A body streamed from `reader` in chunks.
    ///
    /// # Examples
    ///
    /// ```
    /// let body = crochet_sync_http::ResponseBody::from_reader(std::io::repeat(b'x').take(10));
    /// # use std::io::Read;
    /// ```
    pub fn from_reader(reader: impl Read + Send + 'static) -> Self {
        ResponseBody {
            kind: Kind::Reader(Box::new(reader)),
        }
    }

    pub(crate) fn into_kind(self) -> Kind {
        self.kind
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Empty => f.write_str("ResponseBody::Empty"),
            Kind::Bytes(bytes) => write!(f, "ResponseBody::Bytes({} bytes)", bytes.len()),
            Kind::Reader(_) => f.write_str("ResponseBody::Reader"),
        }
    }
}

impl From<Bytes> for ResponseBody {
    fn from(bytes: Bytes) -> Self {
        ResponseBody {
            kind: Kind::Bytes(bytes),
        }
    }
}

impl From<Vec<u8>> for ResponseBody {
    fn from(bytes: Vec<u8>) -> Self {
        Self::from(Bytes::from(bytes))
    }
}

impl From<String> for ResponseBody {
    fn from(text: String) -> Self {
        Self::from(Bytes::from(text))
    }
}

impl From<&'static str> for ResponseBody {
    fn from(text: &'static str) -> Self {
        Self::from(Bytes::from_static(text.as_bytes()))
    }
}

impl From<&'static [u8]> for ResponseBody {
    fn from(bytes: &'static [u8]) -> Self {
        Self::from(Bytes::from_static(bytes))
    }
}

impl From<()> for ResponseBody {
    fn from((): ()) -> Self {
        Self::empty()
    }
}
