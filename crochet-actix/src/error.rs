//! [`OffloadError`]: why blocking work could not run (or finish) on the pool.

use std::fmt;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use crochet_core::{Error, Failure};

/// Seconds a client told `503` should wait before retrying (as the
/// crochet-sync-http hosts say).
const RETRY_AFTER_SECS: u32 = 1;

/// Why blocking work given to the pool did not produce a value: the pool
/// was full, the work panicked, or the reactor stopped.
///
/// It says what happened to the *offloading*, never to your code: a
/// handler's own `Result<T, E>` comes back inside the value, with `E`'s
/// type intact (unlike `actix_web::web::block`, whose `BlockingError` says
/// nothing). As an actix [`ResponseError`] it answers like every Crochet
/// host:
///
/// | cause | response |
/// |---|---|
/// | [`is_overloaded`](OffloadError::is_overloaded): workers and queue full, or the queue-wait deadline passed | `503` with `Retry-After: 1` |
/// | [`is_reactor_stopped`](OffloadError::is_reactor_stopped): the reactor is shutting down | `503` with `Retry-After: 1` |
/// | [`is_panic`](OffloadError::is_panic): the work panicked (logged with its [`Failure`]) | `500` |
/// | anything else | `500` |
///
/// The response body is a short plain-text sentence; a panic's message is
/// logged, never sent to the client.
///
/// # Examples
///
/// ```
/// use actix_web::ResponseError;
///
/// let err = crochet_actix::OffloadError::from(crochet_core::Error::Overloaded);
/// assert!(err.is_overloaded());
/// assert_eq!(err.status_code(), 503);
/// let response = err.error_response();
/// assert_eq!(response.headers().get("retry-after").unwrap(), "1");
/// ```
#[derive(Debug, Clone)]
pub struct OffloadError {
    error: Error,
}

impl OffloadError {
    /// True when the pool refused the work (full, or it waited too long in
    /// the queue): nothing ran.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = crochet_actix::OffloadError::from(crochet_core::Error::Overloaded);
    /// assert!(err.is_overloaded());
    /// ```
    pub fn is_overloaded(&self) -> bool {
        matches!(self.error, Error::Overloaded)
    }

    /// True when the work panicked; [`failure`](OffloadError::failure) has
    /// the message, the location and the backtrace.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = crochet_actix::OffloadError::from(crochet_core::Error::Overloaded);
    /// assert!(!err.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        self.error.is_panic()
    }

    /// True when the reactor (and so the pool) is shutting down.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = crochet_actix::OffloadError::from(crochet_core::Error::ReactorStopped);
    /// assert!(err.is_reactor_stopped());
    /// ```
    pub fn is_reactor_stopped(&self) -> bool {
        self.error.is_reactor_stopped()
    }

    /// The panic, if the work panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = crochet_actix::OffloadError::from(crochet_core::Error::Overloaded);
    /// assert!(err.failure().is_none());
    /// ```
    pub fn failure(&self) -> Option<&Failure> {
        self.error.failure()
    }

    /// The Crochet error underneath.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = crochet_actix::OffloadError::from(crochet_core::Error::Overloaded);
    /// assert!(matches!(err.into_inner(), crochet_core::Error::Overloaded));
    /// ```
    pub fn into_inner(self) -> Error {
        self.error
    }

    fn unavailable(&self) -> bool {
        matches!(self.error, Error::Overloaded | Error::ReactorStopped)
    }
}

impl From<Error> for OffloadError {
    fn from(error: Error) -> Self {
        OffloadError { error }
    }
}

impl fmt::Display for OffloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error {
            Error::Overloaded => f.write_str(
                "the blocking work was refused: every worker is busy and the queue is full",
            ),
            Error::Panicked(failure) => write!(f, "the blocking work panicked: {failure}"),
            Error::ReactorStopped => {
                f.write_str("the blocking work was refused: the crochet reactor is shutting down")
            }
            other => write!(f, "the blocking work could not run: {other}"),
        }
    }
}

impl std::error::Error for OffloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl ResponseError for OffloadError {
    fn status_code(&self) -> StatusCode {
        if self.unavailable() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("text/plain; charset=utf-8");
        if self.unavailable() {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
            return response.body("the server is at capacity; retry shortly\n");
        }
        match &self.error {
            Error::Panicked(failure) => tracing::error!(
                target: "crochet",
                failure = %failure,
                "a blocking actix handler panicked; answered 500"
            ),
            other => tracing::error!(
                target: "crochet",
                error = %other,
                "a blocking actix handler could not run; answered 500"
            ),
        }
        response.body("the request handler failed\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_cause() {
        let overloaded = OffloadError::from(Error::Overloaded);
        assert_eq!(overloaded.status_code(), 503);
        let stopped = OffloadError::from(Error::ReactorStopped);
        assert_eq!(stopped.status_code(), 503);
        assert!(
            stopped
                .error_response()
                .headers()
                .contains_key("retry-after")
        );
        let timeout = OffloadError::from(Error::Timeout);
        assert_eq!(timeout.status_code(), 500);
        assert!(
            !timeout
                .error_response()
                .headers()
                .contains_key("retry-after")
        );
    }

    #[test]
    fn messages_are_lowercase_and_keep_the_source() {
        let err = OffloadError::from(Error::Overloaded);
        let text = err.to_string();
        assert!(text.starts_with("the blocking work was refused"));
        assert!(!text.ends_with('.'));
        assert!(std::error::Error::source(&err).is_some());
    }
}
