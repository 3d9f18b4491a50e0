//! The four hosts of a blocking `SyncHandler`, started the same way: the
//! host-conformance suite runs every case against each.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::web;
use crochet_actix::SyncService;
use crochet_core::{Pool, PoolStats, Reactor};
use crochet_rocket::{Crochet, SyncApp};
use crochet_sync_http::{Container, Server, SyncHandler};
use rocket::fairing::AdHoc;

use crate::actix_server::{self, ActixServer};
use crate::rocket_server::{self, RocketServer};

/// The hosts every HTTP-semantics case runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// axum (hyper) on a two-thread tokio runtime of its own, the tower
    /// `Container` as the fallback service.
    Axum,
    /// crochet-sync-http's blocking `Server` on the global reactor.
    Blocking,
    /// `crochet_actix::SyncService` as the default service of an actix-web
    /// app on one actix worker, with an explicit reactor of its own.
    Actix,
    /// `crochet_rocket::SyncApp` mounted under [`ROCKET_BASE`] in a Rocket
    /// on a two-thread runtime of its own, with `Crochet::fairing()` (not
    /// installed as the global reactor).
    Rocket,
}

/// How long the blocking `Server` gives requests in flight when stopped.
const GRACE: Duration = Duration::from_secs(1);

/// Every host, in the order the suite names them.
pub const HOSTS: [Host; 4] = [Host::Axum, Host::Blocking, Host::Actix, Host::Rocket];

/// Where Rocket mounts the app: Rocket has no fallback service, so the app
/// lives below a base path (and sees the path below it).
pub const ROCKET_BASE: &str = "/app";

/// What every host is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Pool workers.
    pub workers: usize,
    /// Pool queue places.
    pub queue: usize,
    /// Longest a request waits in the queue before its 503.
    pub queue_timeout: Duration,
    /// Request body limit, in bytes.
    pub body_limit: u64,
    /// How long a handler's body read waits for the client.
    pub read_timeout: Duration,
    /// How long Rocket's graceful shutdown waits for requests in flight
    /// (whole seconds; the other hosts' graceful stops in
    /// [`Running::begin_graceful_stop`] wait longer anyway).
    pub rocket_grace_secs: u32,
}

impl Default for Settings {
    /// 4 workers, a queue of 16 with the pool's default 2-second wait, a
    /// 1 MiB body limit, a 10-second read timeout, Rocket's grace 2
    /// seconds.
    fn default() -> Self {
        Settings {
            workers: 4,
            queue: 16,
            queue_timeout: Duration::from_secs(2),
            body_limit: 1024 * 1024,
            read_timeout: Duration::from_secs(10),
            rocket_grace_secs: 2,
        }
    }
}

type StatsFn = Box<dyn Fn() -> Option<PoolStats> + Send + Sync>;

/// A running host; dropping it stops it.
pub struct Running {
    /// Which host this is.
    pub host: Host,
    /// Where it listens (127.0.0.1, an ephemeral port).
    pub addr: SocketAddr,
    /// The path the app is mounted under: empty, except for Rocket
    /// ([`ROCKET_BASE`]). Raw requests must put it before their path.
    pub base: &'static str,
    /// The runtime a handler's `crochet_core::wait_for` (and the
    /// `Reactor` in its request's extensions) reaches: axum's own runtime,
    /// the global reactor for the blocking `Server`, the explicit reactor
    /// for actix, Rocket's runtime (the fairing's reactor attaches to it).
    pub reactor_id: tokio::runtime::Id,
    stats: StatsFn,
    // Fields drop in order: the server stops before its reactor goes.
    server: Served,
    _reactor: Option<Reactor>,
}

enum Served {
    Axum {
        runtime: Option<tokio::runtime::Runtime>,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
    },
    Blocking(Server),
    // Held for their drops, which stop them.
    Actix(#[allow(dead_code)] ActixServer),
    Rocket(#[allow(dead_code)] RocketServer),
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("host", &self.host)
            .field("addr", &self.addr)
            .field("base", &self.base)
            .field("reactor_id", &self.reactor_id)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// `http://addr`, the base path, then `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}{}", self.addr, self.base, path)
    }

    /// `path` below the base path, as the request target of a raw request.
    pub fn target(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Starts the host's graceful stop without waiting for it: it accepts
    /// no new connections and lets the requests in flight finish.
    pub fn begin_graceful_stop(&mut self) {
        match &mut self.server {
            Served::Axum { stop, .. } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
            }
            Served::Blocking(server) => server.stop_handle().stop(crate::PATIENCE),
            Served::Actix(server) => server.begin_graceful_stop(),
            Served::Rocket(server) => server.begin_graceful_stop(),
        }
    }

    /// The handler pool's stats: `None` only before axum's `Container`
    /// has served its first request (it makes its pool on the runtime that
    /// first polls it).
    pub fn pool_stats(&self) -> Option<PoolStats> {
        (self.stats)()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        match &mut self.server {
            Served::Axum { runtime, stop } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(runtime) = runtime.take() {
                    runtime.shutdown_background();
                }
            }
            Served::Blocking(server) => {
                server.stop(GRACE);
            }
            // Their own drops stop them.
            Served::Actix(_) | Served::Rocket(_) => {}
        }
    }
}

/// `http://addr`, the base path, then `path`.
pub fn url(running: &Running, path: &str) -> String {
    running.url(path)
}

/// Starts `host` serving `handler` with `settings`, on 127.0.0.1 with an
/// ephemeral port.
///
/// # Panics
///
/// If the host does not start.
pub fn start(host: Host, settings: Settings, handler: impl SyncHandler) -> Running {
    match host {
        Host::Axum => start_axum(settings, handler),
        Host::Blocking => start_blocking(settings, handler),
        Host::Actix => start_actix(settings, handler),
        Host::Rocket => start_rocket(settings, handler),
    }
}

fn container(settings: &Settings) -> crochet_sync_http::ContainerBuilder {
    Container::builder()
        .workers(settings.workers)
        .queue(settings.queue)
        .queue_timeout(settings.queue_timeout)
        .body_limit(settings.body_limit)
        .read_timeout(settings.read_timeout)
}

fn start_axum(settings: Settings, handler: impl SyncHandler) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for axum");
    let container = container(&settings).build(handler);
    let seen = container.clone();
    let app = axum::Router::new().fallback_service(container);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a listener");
    let addr = listener.local_addr().expect("its address");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    runtime.spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    Running {
        host: Host::Axum,
        addr,
        base: "",
        reactor_id: runtime.handle().id(),
        stats: Box::new(move || seen.pool().map(Pool::stats)),
        server: Served::Axum {
            runtime: Some(runtime),
            stop: Some(stop_tx),
        },
        _reactor: None,
    }
}

fn start_blocking(settings: Settings, handler: impl SyncHandler) -> Running {
    let server = Server::builder()
        .workers(settings.workers)
        .queue(settings.queue)
        .queue_timeout(settings.queue_timeout)
        .body_limit(settings.body_limit)
        .read_timeout(settings.read_timeout)
        .serve("127.0.0.1:0", handler)
        .expect("the blocking server");
    let pool = server.pool().clone();
    Running {
        host: Host::Blocking,
        addr: server.local_addr(),
        base: "",
        reactor_id: crochet_core::setup().handle().id(),
        stats: Box::new(move || Some(pool.stats())),
        server: Served::Blocking(server),
        _reactor: None,
    }
}

fn start_actix(settings: Settings, handler: impl SyncHandler) -> Running {
    let reactor = crate::reactor::reactor();
    let service = SyncService::builder()
        .workers(settings.workers)
        .queue(settings.queue)
        .queue_timeout(settings.queue_timeout)
        .body_limit(settings.body_limit)
        .read_timeout(settings.read_timeout)
        .reactor(reactor.clone())
        .build(handler)
        .expect("the SyncService");
    let seen = service.clone();
    // Graceful stops in the suite wait for work a test holds back.
    let grace = crate::PATIENCE.as_secs();
    let server = actix_server::start_with_shutdown_timeout(
        None,
        grace,
        move |config: &mut web::ServiceConfig| {
            config.default_service(service.clone());
        },
    );
    Running {
        host: Host::Actix,
        addr: server.addr,
        base: "",
        reactor_id: reactor.handle().id(),
        stats: Box::new(move || seen.container().pool().map(Pool::stats)),
        server: Served::Actix(server),
        _reactor: Some(reactor),
    }
}

fn start_rocket(settings: Settings, handler: impl SyncHandler) -> Running {
    let mut config = rocket_server::config();
    config.shutdown.grace = settings.rocket_grace_secs;
    // The app runs on the fairing's pool, which the kit picks up at
    // liftoff to read its stats.
    let pool = Pool::builder()
        .workers(settings.workers)
        .queue(settings.queue)
        .queue_timeout(settings.queue_timeout);
    let lifted = Arc::new(OnceLock::<Pool>::new());
    let seen = lifted.clone();
    let server = rocket_server::launch(
        rocket::custom(config)
            .attach(Crochet::fairing().global(false).pool(pool))
            .attach(AdHoc::on_liftoff(
                "test: the fairing's pool",
                move |rocket| {
                    Box::pin(async move {
                        if let Some(crochet) = rocket.state::<Crochet>() {
                            let _ = lifted.set(crochet.pool().clone());
                        }
                    })
                },
            ))
            .mount(
                ROCKET_BASE,
                SyncApp::with_container(container(&settings), handler).share_pool(),
            ),
    );
    Running {
        host: Host::Rocket,
        addr: server.addr,
        base: ROCKET_BASE,
        reactor_id: server.runtime_id,
        stats: Box::new(move || seen.get().map(Pool::stats)),
        server: Served::Rocket(server),
        _reactor: None,
    }
}
