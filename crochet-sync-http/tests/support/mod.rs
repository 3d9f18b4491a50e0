//! Starting each host on 127.0.0.1 with an ephemeral port, and talking to
//! it with a real client (ureq) or a raw socket.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crochet_sync_http::{Container, Server, SyncHandler};

/// Hang guard for everything a test waits on (not a timing assertion).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The hosts every HTTP-semantics test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// axum (hyper) on its own tokio runtime, `Container` as the fallback.
    Axum,
    /// The blocking `Server` on the global reactor.
    Blocking,
}

pub const HOSTS: [Host; 2] = [Host::Axum, Host::Blocking];

#[derive(Debug, Clone)]
pub struct Settings {
    pub workers: usize,
    pub queue: usize,
    pub body_limit: u64,
    pub read_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            workers: 4,
            queue: 16,
            body_limit: 1024 * 1024,
            read_timeout: Duration::from_secs(10),
        }
    }
}

/// A running host; dropping it stops it.
pub struct Running {
    pub addr: SocketAddr,
    /// The runtime serving axum, whose id handlers can compare with.
    pub runtime_id: Option<tokio::runtime::Id>,
    axum: Option<(tokio::runtime::Runtime, tokio::sync::oneshot::Sender<()>)>,
    server: Option<Server>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some((runtime, stop)) = self.axum.take() {
            let _ = stop.send(());
            runtime.shutdown_background();
        }
        if let Some(server) = self.server.take() {
            server.stop(Duration::from_secs(1));
        }
    }
}

pub fn start(host: Host, settings: Settings, handler: impl SyncHandler) -> Running {
    match host {
        Host::Axum => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let container = Container::builder()
                .workers(settings.workers)
                .queue(settings.queue)
                .body_limit(settings.body_limit)
                .read_timeout(settings.read_timeout)
                .build(handler);
            let app = axum::Router::new().fallback_service(container);
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            let addr = listener.local_addr().unwrap();
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            runtime.spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
            let runtime_id = Some(runtime.handle().id());
            Running {
                addr,
                runtime_id,
                axum: Some((runtime, stop_tx)),
                server: None,
            }
        }
        Host::Blocking => {
            let server = Server::builder()
                .workers(settings.workers)
                .queue(settings.queue)
                .body_limit(settings.body_limit)
                .read_timeout(settings.read_timeout)
                .serve("127.0.0.1:0", handler)
                .unwrap();
            Running {
                addr: server.local_addr(),
                runtime_id: Some(crochet_core::setup().handle().id()),
                axum: None,
                server: Some(server),
            }
        }
    }
}

/// A client that reports every status instead of failing on 4xx/5xx.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

pub fn url(running: &Running, path: &str) -> String {
    format!("http://{}{}", running.addr, path)
}

/// Sends `bytes` on a raw socket and returns whatever comes back until the
/// server closes or [`PATIENCE`] passes.
pub fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    // The server may close before taking everything: that is an answer too.
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

/// Polls `check` until it holds, for at most [`PATIENCE`] (for state that
/// settles asynchronously, such as a worker being freed).
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let give_up = Instant::now() + PATIENCE;
    while !check() {
        assert!(Instant::now() < give_up, "gave up waiting for: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}
