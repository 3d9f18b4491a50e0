//! Handlers and readers the cases share.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crochet_sync_http::{Request, Response};

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// A `200` response with `body`.
pub fn text(body: &'static str) -> Response {
    Response::new(body.into())
}

/// Reads the whole request body and answers with its length; a read that
/// fails gets `400` with the error's text.
pub fn count_body(mut request: Request) -> Response {
    let mut total = 0_u64;
    let mut buf = [0_u8; 8192];
    loop {
        match request.body_mut().read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(err) => {
                let mut response = Response::new(err.to_string().into());
                *response.status_mut() = http::StatusCode::BAD_REQUEST;
                return response;
            }
        }
    }
    Response::new(total.to_string().into())
}

/// A reader that counts what it has produced, so the other side can tell
/// how far ahead of it the producer ran.
#[derive(Debug)]
pub struct Counting<R> {
    inner: R,
    produced: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    /// `inner`, adding every byte it produces to `produced`.
    pub fn new(inner: R, produced: Arc<AtomicU64>) -> Self {
        Counting { inner, produced }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}
