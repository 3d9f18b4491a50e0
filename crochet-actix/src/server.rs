//! Tying the Crochet reactor's shutdown to the actix server's.

use std::io;

use actix_web::dev::Server;

use crate::crochet::Crochet;

impl Crochet {
    /// Runs the actix `server` until it stops, then shuts this `Crochet`'s
    /// reactor down; and stops the server (gracefully) if the reactor is
    /// shut down first.
    ///
    /// In order, when the server is stopped (a signal, or
    /// [`ServerHandle::stop`](actix_web::dev::ServerHandle::stop)):
    ///
    /// 1. actix stops accepting and gives in-flight requests its
    ///    `shutdown_timeout`; their blocking code can still call
    ///    `wait_for` meanwhile;
    /// 2. the server future finishes, and the reactor is shut down with
    ///    the [`shutdown_grace`](crate::CrochetBuilder::shutdown_grace)
    ///    (on a blocking thread, so that the grace is really waited for):
    ///    blocking code still waiting on the reactor — a job whose request
    ///    actix gave up on — gets `Error::ReactorStopped` instead of
    ///    hanging, and later jobs are refused with `503`.
    ///
    /// And if the reactor is shut down first (`crochet_core::shutdown`, or
    /// the process exiting), the server is told to stop gracefully.
    ///
    /// The reactor it shuts down is this `Crochet`'s: when that is the
    /// global reactor, Crochet is done for the process (as Python
    /// Crochet's reactor is at exit). Give the `Crochet` its own reactor
    /// ([`CrochetBuilder::reactor`](crate::CrochetBuilder::reactor)) to
    /// run servers one after another.
    ///
    /// # Errors
    ///
    /// The server's own error, if it failed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use actix_web::{App, HttpServer, web};
    /// use crochet_actix::{Crochet, blocking};
    ///
    /// #[actix_web::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let crochet = Crochet::builder().build()?;
    ///     let app_data = crochet.clone();
    ///     let server = HttpServer::new(move || {
    ///         App::new()
    ///             .app_data(app_data.clone())
    ///             .route("/", web::get().to(blocking(|| "hello from a worker thread")))
    ///     })
    ///     .bind(("127.0.0.1", 8080))?
    ///     .run();
    ///     crochet.run_server(server).await // Ctrl-C: both stop
    /// }
    /// ```
    pub async fn run_server(&self, server: Server) -> io::Result<()> {
        let handle = server.handle();
        self.reactor().on_shutdown(move || {
            // The stop command is sent at once; the returned future only
            // waits for its completion, which the server's owner sees.
            drop(handle.stop(true));
        });
        let outcome = server.await;
        let reactor = self.reactor().clone();
        let grace = self.shutdown_grace();
        let waiting = reactor.clone();
        // `Reactor::shutdown` does not wait when called on a runtime
        // thread; a blocking thread lets it give the grace period.
        if tokio::task::spawn_blocking(move || waiting.shutdown(grace))
            .await
            .is_err()
        {
            reactor.shutdown(grace);
        }
        tracing::debug!(target: "crochet", "the actix server stopped; the crochet reactor is shut down");
        outcome
    }
}
