//! Launching Rocket on 127.0.0.1 with an ephemeral port, on its own
//! multi-thread runtime, and talking to it with a real client (ureq) or a
//! raw socket.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rocket::fairing::AdHoc;
use rocket::{Build, Ignite, Rocket};

/// Hang guard for everything a test waits on (not a timing assertion).
pub const PATIENCE: Duration = Duration::from_secs(30);

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

/// A Rocket with the test config.
pub fn rocket() -> Rocket<Build> {
    rocket::custom(config())
}

enum Event {
    Ready(u16, rocket::Shutdown, tokio::runtime::Id),
    Done(Box<Result<Rocket<Ignite>, rocket::Error>>),
}

/// A launched Rocket; dropping it shuts it down.
pub struct Running {
    pub addr: SocketAddr,
    /// The runtime Rocket serves on.
    pub runtime_id: tokio::runtime::Id,
    shutdown: rocket::Shutdown,
    events: mpsc::Receiver<Event>,
    stopped: bool,
}

/// Launches `rocket` (built with [`rocket`]) on a two-worker runtime of its
/// own and waits for liftoff.
pub fn launch(rocket: Rocket<Build>) -> Running {
    try_launch(rocket).unwrap_or_else(|err| panic!("launch failed: {err}"))
}

/// [`launch`], returning Rocket's error if it does not lift off.
pub fn try_launch(rocket: Rocket<Build>) -> Result<Running, Box<rocket::Error>> {
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
        Event::Ready(port, shutdown, runtime_id) => Ok(Running {
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

impl Running {
    /// Triggers Rocket's shutdown and waits for `launch` to return.
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

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.stopped {
            self.shutdown.clone().notify();
            let _ = self.events.recv_timeout(PATIENCE);
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

/// `GET url`: status and body.
pub fn get(url: &str) -> (u16, String) {
    let mut response = client().get(url).call().expect("a response");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("a body");
    (status, body)
}

/// Sends `bytes` on a raw socket and returns whatever comes back until the
/// server closes or [`PATIENCE`] passes.
pub fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

/// Polls `check` until it holds, for at most [`PATIENCE`].
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let give_up = Instant::now() + PATIENCE;
    while !check() {
        assert!(Instant::now() < give_up, "gave up waiting for: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}
