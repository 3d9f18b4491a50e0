//! [`Crochet`]: the reactor and worker pool the fairing puts in Rocket's
//! managed state, and the request guard that hands them to routes.

use std::future::{Future, IntoFuture};
use std::time::Duration;

use crochet_core::{Error, Pool, Reactor};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::{Ignite, Request, Rocket, Sentinel};

use crate::drain::Pools;
use crate::fairing::CrochetFairing;

/// Crochet inside a Rocket application: the [`Reactor`] attached to
/// Rocket's runtime (or a separate one) and the [`Pool`] blocking work is
/// offloaded to.
///
/// [`CrochetFairing`] builds it at ignite and puts it in managed state;
/// routes take it as a request guard (`&Crochet`, or `&State<Crochet>`)
/// or through [`Offload`](crate::Offload). Launching fails, with an error
/// naming the fairing, if a route asks for it and the fairing is missing.
///
/// A cheap handle: clone it freely. It does not keep Rocket's runtime
/// alive; the fairing stops the reactor when Rocket shuts down, after which
/// every call fails with [`Error::ReactorStopped`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_rocket::{Crochet, RouteError};
///
/// /// A synchronous route calling async code.
/// #[rocket::get("/sum")]
/// fn sum(crochet: &Crochet) -> Result<String, RouteError> {
///     let total = crochet.wait_for(Duration::from_secs(5), async {
///         tokio::task::yield_now().await; // an async client, say
///         40 + 2
///     })?;
///     Ok(total.to_string())
/// }
///
/// let rocket = rocket::build()
///     .attach(Crochet::fairing())
///     .mount("/", rocket::routes![sum]);
/// ```
#[derive(Debug, Clone)]
pub struct Crochet {
    reactor: Reactor,
    pool: Pool,
    /// Other pools on the reactor, drained with `pool` at shutdown.
    others: Pools,
}

impl Crochet {
    /// The fairing that sets Crochet up at ignite and stops it at shutdown,
    /// with the defaults in [`CrochetFairing`]'s table.
    ///
    /// # Examples
    ///
    /// ```
    /// let rocket = rocket::build().attach(crochet_rocket::Crochet::fairing());
    /// ```
    pub fn fairing() -> CrochetFairing {
        CrochetFairing::default()
    }

    pub(crate) fn new(reactor: Reactor, pool: Pool) -> Self {
        Crochet {
            reactor,
            pool,
            others: Pools::default(),
        }
    }

    /// The pools besides [`pool`](Crochet::pool) that the fairing lets
    /// drain at shutdown.
    pub(crate) fn other_pools(&self) -> &Pools {
        &self.others
    }

    /// The reactor: Rocket's own runtime, unless the fairing was told to
    /// start a separate one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// #[rocket::get("/ids")]
    /// fn ids(crochet: &crochet_rocket::Crochet) -> String {
    ///     crochet.reactor().handle().id().to_string()
    /// }
    /// ```
    pub fn reactor(&self) -> &Reactor {
        &self.reactor
    }

    /// The worker pool blocking work is offloaded to (see
    /// [`Offload`](crate::Offload)).
    ///
    /// # Examples
    ///
    /// ```
    /// #[rocket::get("/busy")]
    /// fn busy(crochet: &crochet_rocket::Crochet) -> String {
    ///     format!("{} workers busy", crochet.pool().stats().busy)
    /// }
    /// ```
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs `fut` in the reactor and blocks until it finishes or `timeout`
    /// passes: [`Reactor::wait_for`] on this reactor.
    ///
    /// Meant for synchronous routes (which Rocket runs on one of its async
    /// worker threads): the worker's other tasks are handed to another
    /// thread while this one waits (`tokio::task::block_in_place`), so the
    /// wait stalls no other request. See the crate docs for when blocking a
    /// Rocket worker is fine and when to [offload](crate::Offload) instead.
    ///
    /// # Errors
    ///
    /// As [`Reactor::wait_for`]: [`Error::Timeout`] (the future was
    /// dropped), [`Error::Panicked`], [`Error::ReactorStopped`] (Rocket is
    /// shutting down), [`Error::InAsyncContext`] (Rocket runs on a
    /// current-thread runtime). `?` turns each into a
    /// [`RouteError`](crate::RouteError) with the right status.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use crochet_rocket::{Crochet, RouteError};
    ///
    /// #[rocket::get("/slow")]
    /// fn slow(crochet: &Crochet) -> Result<&'static str, RouteError> {
    ///     crochet.wait_for(Duration::from_secs(2), async {
    ///         tokio::time::sleep(Duration::from_millis(10)).await;
    ///     })?;
    ///     Ok("done")
    /// }
    /// ```
    #[track_caller]
    pub fn wait_for<F: IntoFuture>(&self, timeout: Duration, fut: F) -> Result<F::Output, Error> {
        self.reactor.wait_for(timeout, fut)
    }

    /// Runs the blocking `job` on the pool: [`Pool::run`] on this pool.
    ///
    /// # Errors
    ///
    /// As [`Pool::run`]: [`Error::Overloaded`], [`Error::Panicked`],
    /// [`Error::ReactorStopped`].
    ///
    /// # Examples
    ///
    /// ```
    /// #[rocket::get("/checksum")]
    /// async fn checksum(crochet: &crochet_rocket::Crochet) -> Result<String, crochet_rocket::RouteError> {
    ///     let sum = crochet.run(|| (1..=1000_u64).sum::<u64>()).await?;
    ///     Ok(sum.to_string())
    /// }
    /// ```
    pub fn run<F, R>(&self, job: F) -> impl Future<Output = Result<R, Error>> + Send + 'static
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.pool.run(job)
    }
}

/// The managed `Crochet`, or the error that names the missing fairing.
pub(crate) fn managed<'r>(request: &'r Request<'_>) -> Outcome<&'r Crochet, MissingFairing> {
    match request.rocket().state::<Crochet>() {
        Some(crochet) => Outcome::Success(crochet),
        None => {
            tracing::error!(
                target: "crochet",
                "a route asked for Crochet but crochet_rocket::Crochet::fairing() is not attached"
            );
            Outcome::Error((Status::InternalServerError, MissingFairing))
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for &'r Crochet {
    type Error = MissingFairing;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, MissingFairing> {
        managed(request)
    }
}

impl Sentinel for &Crochet {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        rocket.state::<Crochet>().is_none()
    }
}

/// The request-guard error when [`Crochet::fairing`] is not attached (the
/// route answers `500`). Launching normally fails before any request can
/// see it, as the guards are Rocket sentinels.
///
/// # Examples
///
/// ```
/// let err = crochet_rocket::MissingFairing;
/// assert_eq!(err.to_string(), "crochet_rocket::Crochet::fairing() is not attached to this Rocket");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingFairing;

impl std::fmt::Display for MissingFairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("crochet_rocket::Crochet::fairing() is not attached to this Rocket")
    }
}

impl std::error::Error for MissingFairing {}
