//! [`CrochetFairing`]: sets Crochet up when Rocket ignites and stops it
//! when Rocket shuts down.

use std::time::Duration;

use crochet_core::{Builder, Error, Pool, PoolBuilder, Reactor};
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::{Build, Orbit, Rocket};
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::drain;
use crate::state::Crochet;

/// A Rocket fairing that sets Crochet up at ignite and stops it at
/// shutdown. Made by [`Crochet::fairing`].
///
/// At ignite it makes a [`Reactor`] and a [`Pool`] and puts them in managed
/// state as a [`Crochet`]:
///
/// | setting | default |
/// |---|---|
/// | the runtime | Rocket's own ([`separate_runtime`](CrochetFairing::separate_runtime) starts another) |
/// | [`global`](CrochetFairing::global) | on: the reactor also becomes Crochet's global one, if none exists yet |
/// | [`reactor`](CrochetFairing::reactor) | [`Builder::new`]'s defaults (1 s shutdown grace) |
/// | [`pool`](CrochetFairing::pool) | [`Pool::builder`]'s defaults (64 workers, a queue of 1024) |
///
/// With `global` on, plain [`crochet_core::wait_for`](fn@crochet_core::wait_for)
/// and `#[wait_for]` functions (without `reactor = ..`) called from routes
/// run on Rocket's runtime too. The global reactor is set once per process:
/// if one exists already (an earlier `crochet_core::setup()`, or a previous
/// Rocket), the fairing keeps its own reactor for [`Crochet`] and the pool,
/// plain `wait_for` keeps using the existing global one, and a `debug`
/// event says so.
///
/// At shutdown (when Rocket's shutdown is triggered) the fairing first lets
/// the requests in flight finish, as Rocket does: it waits, within Rocket's
/// own grace period (`config.shutdown.grace`, less the reactor's shutdown
/// grace and a margin of a quarter of it, at least 250 ms, so that what is
/// still blocked afterwards gets its `503` before Rocket closes
/// connections), until the pool
/// (and the pool of every [`SyncApp`](crate::SyncApp) on this reactor) has
/// nothing running or queued and no call is running in the reactor. It
/// waits on a thread of its own, so Rocket closes its listener at once; a
/// `run_in_reactor` future that never ends keeps the reactor up for that
/// whole window. Then the reactor is shut down on a blocking thread,
/// giving what still runs its own grace period
/// ([`Builder::shutdown_grace`]); callers still blocked in `wait_for` get
/// [`Error::ReactorStopped`] (a `503` through
/// [`RouteError`](crate::RouteError)) instead of hanging, and jobs still
/// queued are refused. Rocket's runtime itself is left to Rocket; a
/// separate runtime is shut down.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let fairing = crochet_rocket::Crochet::fairing()
///     .reactor(crochet_core::Reactor::builder().shutdown_grace(Duration::from_millis(500)))
///     .pool(crochet_core::Pool::builder().workers(32).queue(256));
/// let rocket = rocket::build().attach(fairing);
/// ```
#[derive(Debug, Clone)]
#[must_use = "a CrochetFairing does nothing until attached to a Rocket"]
pub struct CrochetFairing {
    reactor: Builder,
    pool: PoolBuilder,
    separate: bool,
    global: bool,
}

impl Default for CrochetFairing {
    fn default() -> Self {
        CrochetFairing {
            reactor: Builder::new(),
            pool: Pool::builder(),
            separate: false,
            global: true,
        }
    }
}

impl CrochetFairing {
    /// The reactor's settings (shutdown grace, stash limits, and, with
    /// [`separate_runtime`](CrochetFairing::separate_runtime), its threads).
    ///
    /// # Examples
    ///
    /// ```
    /// let fairing = crochet_rocket::Crochet::fairing()
    ///     .reactor(crochet_core::Reactor::builder().stash_capacity(1000));
    /// ```
    pub fn reactor(mut self, builder: Builder) -> Self {
        self.reactor = builder;
        self
    }

    /// The worker pool's settings (workers, queue, queue-wait deadline).
    ///
    /// # Examples
    ///
    /// ```
    /// let fairing = crochet_rocket::Crochet::fairing()
    ///     .pool(crochet_core::Pool::builder().workers(16));
    /// ```
    pub fn pool(mut self, builder: PoolBuilder) -> Self {
        self.pool = builder;
        self
    }

    /// Starts a separate reactor runtime (with the
    /// [`reactor`](CrochetFairing::reactor) settings' threads) instead of
    /// attaching to Rocket's. Async work then runs beside Rocket, not on
    /// its workers; the runtime is shut down with Rocket.
    ///
    /// # Examples
    ///
    /// ```
    /// let fairing = crochet_rocket::Crochet::fairing()
    ///     .reactor(crochet_core::Reactor::builder().worker_threads(2))
    ///     .separate_runtime(true);
    /// ```
    pub fn separate_runtime(mut self, separate: bool) -> Self {
        self.separate = separate;
        self
    }

    /// Whether the reactor also becomes Crochet's global reactor (when none
    /// exists yet). On by default; turn it off when several Rockets share
    /// a process, or when the global reactor must outlive Rocket.
    ///
    /// # Examples
    ///
    /// ```
    /// let fairing = crochet_rocket::Crochet::fairing().global(false);
    /// ```
    pub fn global(mut self, global: bool) -> Self {
        self.global = global;
        self
    }

    /// The reactor for this launch, on `handle` unless a separate runtime
    /// was asked for.
    fn make_reactor(&self, handle: Handle) -> Result<Reactor, Error> {
        let builder = self.reactor.clone();
        if self.global {
            let installed = if self.separate {
                builder.clone().setup()
            } else {
                builder.clone().no_setup(handle.clone())
            };
            match installed {
                Ok(reactor) => return Ok(reactor),
                Err(Error::AlreadySetUp) => tracing::debug!(
                    target: "crochet",
                    "a global Crochet reactor exists already; Rocket's reactor is not the global one"
                ),
                Err(err) => return Err(err),
            }
        }
        if self.separate {
            builder.build().map_err(Error::from)
        } else {
            Ok(builder.attach(handle))
        }
    }
}

#[rocket::async_trait]
impl Fairing for CrochetFairing {
    fn info(&self) -> Info {
        Info {
            name: "Crochet",
            kind: Kind::Ignite | Kind::Shutdown,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let handle = Handle::current();
        if !self.separate && handle.runtime_flavor() != RuntimeFlavor::MultiThread {
            tracing::warn!(
                target: "crochet",
                "Rocket runs on a current-thread runtime: blocking calls from its routes will fail \
                 with InAsyncContext; use Rocket's own multi-thread runtime or separate_runtime(true)"
            );
        }
        match self.make_reactor(handle) {
            Ok(reactor) => {
                let pool = self.pool.clone().build(&reactor);
                Ok(rocket.manage(Crochet::new(reactor, pool)))
            }
            Err(err) => {
                tracing::error!(target: "crochet", error = %err, "Crochet could not start its reactor");
                Err(rocket)
            }
        }
    }

    async fn on_shutdown(&self, rocket: &Rocket<Orbit>) {
        let Some(crochet) = rocket.state::<Crochet>() else {
            return;
        };
        if drain::idle(crochet) {
            stop_on_a_blocking_thread(crochet).await;
            return;
        }
        // Requests in flight may still need the pool and the reactor, and
        // Rocket drains them only after this returns: stop once they are
        // done, within Rocket's own grace period, from a thread of ours.
        let within = drain::window(
            Duration::from_secs(rocket.config().shutdown.grace.into()),
            crochet.reactor().shutdown_grace(),
        );
        let draining = crochet.clone();
        let spawned = std::thread::Builder::new()
            .name("crochet-rocket-drain".into())
            .spawn(move || {
                if !drain::drain(&draining, within) {
                    tracing::debug!(
                        target: "crochet",
                        "work still running in Crochet after Rocket's shutdown grace; stopping the reactor"
                    );
                }
                let reactor = draining.reactor();
                reactor.shutdown(reactor.shutdown_grace());
            });
        if spawned.is_err() {
            stop_on_a_blocking_thread(crochet).await;
        }
    }
}

/// Shuts the reactor down on one of the runtime's blocking threads, so that
/// work in flight gets its grace period (called from a runtime worker,
/// shutdown would not wait).
async fn stop_on_a_blocking_thread(crochet: &Crochet) {
    let reactor = crochet.reactor().clone();
    let grace = reactor.shutdown_grace();
    let stopping = tokio::task::spawn_blocking(move || reactor.shutdown(grace));
    if stopping.await.is_err() {
        // The blocking pool is gone: stop without waiting.
        crochet.reactor().shutdown(grace);
    }
}
