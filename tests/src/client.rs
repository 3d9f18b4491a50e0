//! Talking to a server: a real HTTP client, and raw bytes over a socket.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use crate::patience::PATIENCE;

/// A client that reports every status instead of failing on 4xx/5xx, and
/// gives up after [`PATIENCE`].
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

/// `GET url`: status and body.
///
/// # Panics
///
/// If there is no response, or its body cannot be read as text.
pub fn get(url: &str) -> (u16, String) {
    let mut response = client().get(url).call().expect("a response");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("a body");
    (status, body)
}

/// `GET url` on a thread of its own, for a request that stays in flight
/// while the test goes on: join it for the status and the body as text.
///
/// # Examples
///
/// ```no_run
/// let request = crochet_tests::get_in_background("http://127.0.0.1:8080/slow".into());
/// // ... stop the server, let the handler go ...
/// let (status, body) = request.join().unwrap()?;
/// # Ok::<(), ureq::Error>(())
/// ```
pub fn get_in_background(
    url: String,
) -> std::thread::JoinHandle<Result<(u16, String), ureq::Error>> {
    std::thread::spawn(move || {
        let mut response = client().get(url).call()?;
        let status = response.status().as_u16();
        Ok((status, response.body_mut().read_to_string()?))
    })
}

/// Sends `bytes` on a raw socket and returns whatever comes back until the
/// server closes or [`PATIENCE`] passes.
///
/// # Panics
///
/// If the connection cannot be made.
pub fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    exchange(addr, bytes, false)
}

/// [`raw_exchange`], closing the sending half after `bytes`: the server
/// sees the end of the stream, as from a client that stopped mid-request.
///
/// # Panics
///
/// If the connection cannot be made.
pub fn raw_exchange_then_close(addr: SocketAddr, bytes: &[u8]) -> String {
    exchange(addr, bytes, true)
}

fn exchange(addr: SocketAddr, bytes: &[u8], close_after: bool) -> String {
    let mut stream = TcpStream::connect(addr).expect("a connection");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout");
    // The server may close before taking everything: that is an answer too.
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
    if close_after {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}
