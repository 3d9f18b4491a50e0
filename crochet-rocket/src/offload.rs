//! [`Offload`]: a request guard that runs blocking closures on Crochet's
//! worker pool from async routes.

use rocket::request::{FromRequest, Outcome};
use rocket::{Ignite, Request, Rocket, Sentinel};

use crate::error::RouteError;
use crate::state::{Crochet, MissingFairing, managed};

/// A request guard for async routes with blocking work to do: it runs
/// closures on Crochet's bounded worker pool, so that Rocket's few async
/// workers stay free to serve other requests.
///
/// The closures run with the reactor entered, so they may call
/// [`crochet_core::wait_for`](fn@crochet_core::wait_for) (and `#[wait_for]`
/// functions) to reach async code on Rocket's runtime. Failures come back
/// as a [`RouteError`], which answers `503` with `Retry-After` when the
/// pool is full, `500` when the closure panicked, and passes the closure's
/// own error through, typed.
///
/// Needs [`Crochet::fairing`]: without it, launching fails (the guard is a
/// Rocket sentinel).
///
/// # Examples
///
/// ```
/// use crochet_rocket::{Crochet, Offload, RouteError};
/// use rocket::http::Status;
///
/// fn read_legacy_report(id: u32) -> Result<String, Status> {
///     // Blocking: a synchronous database driver, say.
///     if id == 0 { Err(Status::NotFound) } else { Ok(format!("report {id}")) }
/// }
///
/// #[rocket::get("/report/<id>")]
/// async fn report(id: u32, offload: Offload) -> Result<String, RouteError<Status>> {
///     offload.try_run(move || read_legacy_report(id)).await
/// }
///
/// let rocket = rocket::build()
///     .attach(Crochet::fairing())
///     .mount("/", rocket::routes![report]);
/// ```
#[derive(Debug, Clone)]
pub struct Offload {
    crochet: Crochet,
}

impl Offload {
    /// Runs the blocking `job` on the pool and resolves to its value.
    ///
    /// Dropping the future before the job starts (the client went away)
    /// gives its queue place back; once started, the job runs to
    /// completion.
    ///
    /// # Errors
    ///
    /// [`RouteError::Crochet`] with [`Overloaded`](crochet_core::Error::Overloaded)
    /// (`503`: the workers and the queue are full, or the job waited past
    /// the queue-wait deadline), [`Panicked`](crochet_core::Error::Panicked)
    /// (`500`) or [`ReactorStopped`](crochet_core::Error::ReactorStopped)
    /// (`503`: Rocket is shutting down).
    ///
    /// # Examples
    ///
    /// ```
    /// #[rocket::get("/hash")]
    /// async fn hash(offload: crochet_rocket::Offload) -> Result<String, crochet_rocket::RouteError> {
    ///     let digest = offload.run(|| {
    ///         // CPU-heavy or blocking work.
    ///         (0..100_000_u64).fold(0_u64, |h, i| h.rotate_left(5) ^ i)
    ///     }).await?;
    ///     Ok(format!("{digest:x}"))
    /// }
    /// ```
    pub async fn run<F, R>(&self, job: F) -> Result<R, RouteError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Ok(self.crochet.run(job).await?)
    }

    /// Runs the blocking, fallible `job` on the pool; its own error comes
    /// back as [`RouteError::Route`], answered by its own responder.
    ///
    /// # Errors
    ///
    /// As [`run`](Offload::run), plus [`RouteError::Route`] with the job's
    /// error.
    ///
    /// # Examples
    ///
    /// ```
    /// use rocket::http::Status;
    ///
    /// #[rocket::get("/file")]
    /// async fn file(offload: crochet_rocket::Offload) -> Result<String, crochet_rocket::RouteError<Status>> {
    ///     offload
    ///         .try_run(|| std::fs::read_to_string("/etc/hostname").map_err(|_| Status::NotFound))
    ///         .await
    /// }
    /// ```
    pub async fn try_run<F, T, E>(&self, job: F) -> Result<T, RouteError<E>>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        match self.crochet.run(job).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(RouteError::Route(err)),
            Err(err) => Err(RouteError::Crochet(err)),
        }
    }

    /// The [`Crochet`] the work runs on (its reactor and pool).
    ///
    /// # Examples
    ///
    /// ```
    /// #[rocket::get("/queued")]
    /// async fn queued(offload: crochet_rocket::Offload) -> String {
    ///     offload.crochet().pool().stats().queued.to_string()
    /// }
    /// ```
    pub fn crochet(&self) -> &Crochet {
        &self.crochet
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Offload {
    type Error = MissingFairing;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, MissingFairing> {
        managed(request).map(|crochet| Offload {
            crochet: crochet.clone(),
        })
    }
}

impl Sentinel for Offload {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        rocket.state::<Crochet>().is_none()
    }
}
