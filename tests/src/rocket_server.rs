//! A real Rocket on 127.0.0.1 with an ephemeral port, launched on a
//! multi-thread runtime of its own, the port discovered at liftoff.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::{Build, Ignite, Rocket};

use crate::patience::PATIENCE;

/// Loopback, ephemeral port, two workers, quiet, no signal handling, and a
/// short shutdown grace.
pub fn config() -> rocket::Config {
    rocket::Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        workers: 2,
        log_level: rocket::config::LogLevel::Off,
        cli_colors: false,
        shutdown: rocket::config::Shutdown {
            ctrlc: false,
            signals: HashSet::new(),
            grace: 2,
            mercy: 1,
            ..Default::default()
        },
        ..rocket::Config::debug_default()
    }
}

/// A Rocket with the test [`config`].
pub fn rocket() -> Rocket<Build> {
    rocket::custom(config())
}

enum Event {
    Ready(u16, rocket::Shutdown, tokio::runtime::Id),
    Done(Box<Result<Rocket<Ignite>, rocket::Error>>),
}

/// A launched Rocket; dropping it shuts it down (and waits, at most
/// [`PATIENCE`], for it to finish).
pub struct RocketServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The runtime Rocket serves on.
    pub runtime_id: tokio::runtime::Id,
    shutdown: rocket::Shutdown,
    events: mpsc::Receiver<Event>,
    stopped: bool,
}

impl std::fmt::Debug for RocketServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocketServer")
            .field("addr", &self.addr)
            .field("runtime_id", &self.runtime_id)
            .finish_non_exhaustive()
    }
}

/// Launches `rocket` (built with [`rocket()`]) on a two-worker runtime of its
/// own and waits for liftoff.
///
/// # Panics
///
/// If Rocket fails to launch, or neither lifts off nor fails within
/// [`PATIENCE`].
pub fn launch(rocket: Rocket<Build>) -> RocketServer {
    try_launch(rocket).unwrap_or_else(|err| panic!("launch failed: {err}"))
}

/// [`launch`], returning Rocket's error if it does not lift off.
///
/// # Errors
///
/// Rocket's launch error (a failed fairing, say).
///
/// # Panics
///
/// If Rocket neither lifts off nor fails within [`PATIENCE`].
pub fn try_launch(rocket: Rocket<Build>) -> Result<RocketServer, Box<rocket::Error>> {
    let (events_tx, events) = mpsc::channel();
    let ready_tx = events_tx.clone();
    let rocket = rocket.attach(AdHoc::on_liftoff("test: bound port", move |rocket| {
        Box::pin(async move {
            let id = tokio::runtime::Handle::current().id();
            let _ = ready_tx.send(Event::Ready(rocket.config().port, rocket.shutdown(), id));
        })
    }));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rocket-worker-thread")
            .enable_all()
            .build()
            .expect("a test runtime");
        let outcome = runtime.block_on(rocket.launch());
        let _ = events_tx.send(Event::Done(Box::new(outcome)));
        runtime.shutdown_timeout(Duration::from_secs(5));
    });
    match events
        .recv_timeout(PATIENCE)
        .expect("Rocket neither lifted off nor failed")
    {
        Event::Ready(port, shutdown, runtime_id) => Ok(RocketServer {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            runtime_id,
            shutdown,
            events,
            stopped: false,
        }),
        Event::Done(outcome) => match *outcome {
            Err(err) => Err(Box::new(err)),
            Ok(_) => panic!("Rocket returned before lifting off"),
        },
    }
}

impl RocketServer {
    /// Triggers Rocket's shutdown and waits for `launch` to return.
    ///
    /// # Errors
    ///
    /// What `launch` returned, if an error.
    ///
    /// # Panics
    ///
    /// If Rocket does not shut down within [`PATIENCE`].
    pub fn stop(mut self) -> Result<Rocket<Ignite>, Box<rocket::Error>> {
        self.stopped = true;
        self.shutdown.clone().notify();
        loop {
            match self
                .events
                .recv_timeout(PATIENCE)
                .expect("Rocket did not shut down")
            {
                Event::Done(outcome) => return (*outcome).map_err(Box::new),
                Event::Ready(..) => continue,
            }
        }
    }

    /// Starts Rocket's graceful shutdown without waiting for it.
    pub fn begin_graceful_stop(&self) {
        self.shutdown.clone().notify();
    }

    /// `http://addr` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for RocketServer {
    fn drop(&mut self) {
        if !self.stopped {
            self.shutdown.clone().notify();
            let _ = self.events.recv_timeout(PATIENCE);
        }
    }
}
