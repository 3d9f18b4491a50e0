//! Starting a real actix-web server on 127.0.0.1 with an ephemeral port,
//! and talking to it with a real client (ureq) or a raw socket.
#![allow(dead_code, unreachable_pub)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use crochet_actix::Crochet;

/// Hang guard for everything a test waits on (not a timing assertion).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A running actix server; dropping it stops it.
pub struct Running {
    pub addr: SocketAddr,
    handle: ServerHandle,
    done: mpsc::Receiver<io::Result<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops the server gracefully and waits (at most [`PATIENCE`]) for
    /// it, and for `run_server`'s reactor shutdown if it was used.
    pub fn stop(mut self) -> io::Result<()> {
        drop(self.handle.stop(true));
        self.wait()
    }

    /// Waits (at most [`PATIENCE`]) for the server to finish by itself.
    pub fn wait(&mut self) -> io::Result<()> {
        let outcome = self
            .done
            .recv_timeout(PATIENCE)
            .map_err(|_| io::Error::other("the server did not stop in time"))?;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        outcome
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.thread.is_some() {
            drop(self.handle.stop(false));
            let _ = self.wait();
        }
    }
}

/// Starts an app made by `configure` on one actix worker (so the worker's
/// runtime is known), in a thread of its own running an actix `System`.
/// With `crochet`, the app gets it as app data and the server runs under
/// [`Crochet::run_server`].
pub fn start<C>(crochet: Option<Crochet>, configure: C) -> Running
where
    C: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let outcome = actix_web::rt::System::new().block_on(async move {
            let app_data = crochet.clone();
            let server = HttpServer::new(move || {
                let configure = configure.clone();
                let app = App::new();
                let app = match &app_data {
                    Some(crochet) => app.app_data(crochet.clone()),
                    None => app,
                };
                app.configure(configure)
            })
            .workers(1)
            .disable_signals()
            .shutdown_timeout(1)
            .bind(("127.0.0.1", 0))?;
            let addr = server.addrs()[0];
            let server = server.run();
            let _ = ready_tx.send((addr, server.handle()));
            match crochet {
                Some(crochet) => crochet.run_server(server).await,
                None => server.await,
            }
        });
        let _ = done_tx.send(outcome);
    });
    let (addr, handle) = ready_rx
        .recv_timeout(PATIENCE)
        .expect("the actix server did not start");
    Running {
        addr,
        handle,
        done: done_rx,
        thread: Some(thread),
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

/// An independent reactor for one test, so that shutting it down leaves
/// the other tests' reactors alone.
pub fn reactor() -> crochet_core::Reactor {
    crochet_core::Reactor::builder()
        .worker_threads(2)
        .thread_name("test-reactor")
        .build()
        .unwrap()
}
