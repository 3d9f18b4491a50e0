//! How long a client dribbling its request head may hold a connection.
//!
//! The host suite (`hosts_wire.rs`) proves dribblers hold no worker on any
//! host. Here: the hosts that bound the head's arrival cut a dribbler off.
//! The blocking `Server` sets hyper's header read timeout to its read
//! timeout; actix-web answers `408` after its `client_request_timeout`; an
//! axum app served with hyper's HTTP/1 builder and a timer, as the hosting
//! guide recommends, closes the connection. `axum::serve` and Rocket 0.5
//! set no such bound (docs/guide/hosting.md, "Slow clients and the request
//! head"), so they are not here.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crochet_sync_http::{Container, Request, Server};
use crochet_tests::{PATIENCE, actix_server, get, text};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

/// The head-read bound the tests configure where they can.
const HEAD_TIMEOUT: Duration = Duration::from_millis(500);
/// Between the dribbler's bytes.
const DRIP: Duration = Duration::from_millis(50);

/// Starts a request head and then sends one more header byte every
/// [`DRIP`], never finishing it, until the server answers or closes the
/// connection; returns what it answered (empty for a bare close).
///
/// # Panics
///
/// If the connection is still held after [`PATIENCE`].
fn dribble_until_cut_off(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("a connection");
    stream.set_read_timeout(Some(DRIP)).expect("a read timeout");
    let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    let started = Instant::now();
    let mut reply = Vec::new();
    let mut buf = [0_u8; 1024];
    while started.elapsed() < PATIENCE {
        if stream.write_all(b"a").is_err() {
            break; // closed on us
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if !reply.is_empty() {
                    break; // the server has had its say
                }
            }
            Err(_) => break, // reset
        }
    }
    assert!(
        started.elapsed() < PATIENCE,
        "a dribbling client still held its connection after {PATIENCE:?}"
    );
    String::from_utf8_lossy(&reply).into_owned()
}

fn assert_cut_off(reply: &str, what: &str) {
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 408"),
        "{what}: {:?}",
        &reply[..reply.len().min(80)]
    );
}

#[test]
fn the_blocking_server_closes_a_dribbling_head_after_its_read_timeout() {
    let server = Server::builder()
        .read_timeout(HEAD_TIMEOUT)
        .serve("127.0.0.1:0", |_: Request| text("ok"))
        .expect("the server");
    let addr = server.local_addr();
    assert_cut_off(&dribble_until_cut_off(addr), "blocking Server");
    assert_eq!(get(&format!("http://{addr}/")), (200, "ok".to_owned()));
    server.stop(PATIENCE);
}

#[test]
fn actix_answers_a_dribbling_head_with_408_after_its_client_request_timeout() {
    // actix-web's default client_request_timeout: 5 s.
    let server = actix_server::start(None, |config: &mut actix_web::web::ServiceConfig| {
        config.default_service(crochet_actix::SyncService::new(|_: Request| text("ok")));
    });
    assert_cut_off(&dribble_until_cut_off(server.addr), "actix-web");
    assert_eq!(get(&server.url("/")), (200, "ok".to_owned()));
}

#[test]
fn an_axum_app_served_with_a_header_read_timeout_closes_a_dribbling_head() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let app = axum::Router::new().fallback_service(Container::new(|_: Request| text("ok")));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a listener");
    let addr = listener.local_addr().expect("its address");
    runtime.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    assert_cut_off(
        &dribble_until_cut_off(addr),
        "axum on hyper's http1 builder",
    );
    assert_eq!(get(&format!("http://{addr}/")), (200, "ok".to_owned()));
    runtime.shutdown_background();
}
