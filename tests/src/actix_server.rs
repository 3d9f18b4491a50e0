//! A real actix-web server on 127.0.0.1 with an ephemeral port, in a
//! thread of its own running an actix `System`.

use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use crochet_actix::Crochet;

use crate::patience::PATIENCE;

/// A running actix server; dropping it stops it (and waits, at most
/// [`PATIENCE`], for it to finish).
pub struct ActixServer {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ServerHandle,
    done: mpsc::Receiver<io::Result<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ActixServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActixServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ActixServer {
    /// Stops the server gracefully and waits (at most [`PATIENCE`]) for
    /// it, and for `run_server`'s reactor shutdown if it was used.
    ///
    /// # Errors
    ///
    /// The server's own error, or one saying it did not stop in time.
    pub fn stop(mut self) -> io::Result<()> {
        drop(self.handle.stop(true));
        self.wait()
    }

    /// Waits (at most [`PATIENCE`]) for the server to finish by itself.
    ///
    /// # Errors
    ///
    /// The server's own error, or one saying it did not stop in time.
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

    /// Starts actix's graceful stop without waiting for it: no new
    /// connections, in-flight requests finish (within the shutdown timeout).
    pub fn begin_graceful_stop(&self) {
        drop(self.handle.stop(true));
    }

    /// `http://addr` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for ActixServer {
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
/// [`Crochet::run_server`]. A graceful stop gives requests in flight 1
/// second ([`start_with_shutdown_timeout`] sets another).
///
/// # Panics
///
/// If the server does not start within [`PATIENCE`].
pub fn start<C>(crochet: Option<Crochet>, configure: C) -> ActixServer
where
    C: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    start_with_shutdown_timeout(crochet, 1, configure)
}

/// [`start`], with actix's graceful-shutdown timeout (how long requests in
/// flight get when the server stops) set to `secs` instead of 1 second.
///
/// # Panics
///
/// If the server does not start within [`PATIENCE`].
pub fn start_with_shutdown_timeout<C>(
    crochet: Option<Crochet>,
    secs: u64,
    configure: C,
) -> ActixServer
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
            .shutdown_timeout(secs)
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
    ActixServer {
        addr,
        handle,
        done: done_rx,
        thread: Some(thread),
    }
}

/// `http://addr` of `running`, followed by `path`.
pub fn url(running: &ActixServer, path: &str) -> String {
    running.url(path)
}
