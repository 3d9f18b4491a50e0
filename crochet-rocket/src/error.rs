//! [`RouteError`]: what a route that blocks or offloads can fail with, as
//! an HTTP response.

use std::fmt;

use rocket::http::{Header, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};

/// An error a Rocket route can return when it calls into Crochet: a Crochet
/// failure, answered with the right HTTP status, or the route's own error
/// `E`, passed through untouched (typed, and answered by its own
/// [`Responder`]).
///
/// `?` converts a [`crochet_core::Error`] into it, so a synchronous route
/// can write `crochet.wait_for(timeout, fut)?`; [`Offload::run`] and
/// [`Offload::try_run`] return it.
///
/// | error | response |
/// |---|---|
/// | [`Overloaded`](crochet_core::Error::Overloaded) (pool full) | `503` with `Retry-After: 1` |
/// | [`ReactorStopped`](crochet_core::Error::ReactorStopped) (shutting down) | `503` with `Retry-After: 1` |
/// | [`Timeout`](crochet_core::Error::Timeout) | `504` |
/// | [`Panicked`](crochet_core::Error::Panicked) (logged with its failure) and anything else | `500` |
/// | [`RouteError::Route`] | whatever `E` responds |
///
/// The default `E`, [`Never`], is for work that cannot fail by itself.
///
/// [`Offload::run`]: crate::Offload::run
/// [`Offload::try_run`]: crate::Offload::try_run
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_rocket::{Crochet, RouteError};
///
/// /// A synchronous route: it runs on a Rocket worker and may block.
/// #[rocket::get("/answer")]
/// fn answer(crochet: &Crochet) -> Result<String, RouteError> {
///     let answer = crochet.wait_for(Duration::from_secs(5), async { 42 })?;
///     Ok(answer.to_string())
/// }
///
/// let stopped: RouteError = crochet_core::Error::ReactorStopped.into();
/// assert!(stopped.is_crochet());
/// ```
#[derive(Debug)]
pub enum RouteError<E = Never> {
    /// Crochet could not do the work: the pool was full, the reactor had
    /// stopped, the work timed out or panicked.
    Crochet(crochet_core::Error),
    /// The route's own error, from a closure run with
    /// [`Offload::try_run`](crate::Offload::try_run).
    Route(E),
}

impl<E> RouteError<E> {
    /// True for a Crochet failure (as opposed to the route's own error).
    ///
    /// # Examples
    ///
    /// ```
    /// let err: crochet_rocket::RouteError<&str> = crochet_rocket::RouteError::Route("no such user");
    /// assert!(!err.is_crochet());
    /// ```
    pub fn is_crochet(&self) -> bool {
        matches!(self, RouteError::Crochet(_))
    }

    /// True when the pool refused the work because it was full (a `503`).
    ///
    /// # Examples
    ///
    /// ```
    /// let err: crochet_rocket::RouteError = crochet_core::Error::Overloaded.into();
    /// assert!(err.is_overloaded());
    /// ```
    pub fn is_overloaded(&self) -> bool {
        matches!(self, RouteError::Crochet(crochet_core::Error::Overloaded))
    }

    /// The status this error is answered with; `None` for the route's own
    /// error, which answers for itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use rocket::http::Status;
    ///
    /// let err: crochet_rocket::RouteError = crochet_core::Error::Timeout.into();
    /// assert_eq!(err.status(), Some(Status::GatewayTimeout));
    /// ```
    pub fn status(&self) -> Option<Status> {
        match self {
            RouteError::Crochet(err) => Some(status_of(err)),
            RouteError::Route(_) => None,
        }
    }
}

fn status_of(err: &crochet_core::Error) -> Status {
    match err {
        crochet_core::Error::Overloaded | crochet_core::Error::ReactorStopped => {
            Status::ServiceUnavailable
        }
        crochet_core::Error::Timeout => Status::GatewayTimeout,
        _ => Status::InternalServerError,
    }
}

impl<E> From<crochet_core::Error> for RouteError<E> {
    fn from(err: crochet_core::Error) -> Self {
        RouteError::Crochet(err)
    }
}

impl<E: fmt::Display> fmt::Display for RouteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::Crochet(err) => err.fmt(f),
            RouteError::Route(err) => err.fmt(f),
        }
    }
}

impl<E> std::error::Error for RouteError<E>
where
    E: std::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RouteError::Crochet(err) => Some(err),
            RouteError::Route(err) => Some(err),
        }
    }
}

impl<'r, 'o: 'r, E: Responder<'r, 'o>> Responder<'r, 'o> for RouteError<E> {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'o> {
        let err = match self {
            RouteError::Route(err) => return err.respond_to(request),
            RouteError::Crochet(err) => err,
        };
        let status = status_of(&err);
        if let crochet_core::Error::Panicked(failure) = &err {
            tracing::error!(
                target: "crochet",
                failure = %failure,
                uri = %request.uri(),
                "a route's blocking work panicked; answered 500"
            );
        }
        let body = format!("{}\n", status.reason_lossy());
        let mut response = Response::build();
        response
            .status(status)
            .header(Header::new("Content-Type", "text/plain; charset=utf-8"))
            .sized_body(body.len(), std::io::Cursor::new(body));
        if status == Status::ServiceUnavailable {
            response.header(Header::new("Retry-After", "1"));
        }
        Ok(response.finalize())
    }
}

/// The route error of work that cannot fail by itself: an uninhabited
/// type, the default of [`RouteError`]'s parameter (it stands in for `!`,
/// which stable Rust does not offer there).
///
/// # Examples
///
/// ```
/// use crochet_rocket::{Never, RouteError};
///
/// fn only_crochet(err: RouteError<Never>) -> crochet_core::Error {
///     match err {
///         RouteError::Crochet(err) => err,
///         RouteError::Route(never) => match never {},
///     }
/// }
/// assert!(only_crochet(crochet_core::Error::Timeout.into()).is_timeout());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Never {}

impl fmt::Display for Never {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl std::error::Error for Never {}

impl<'r> Responder<'r, 'static> for Never {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        match self {}
    }
}
