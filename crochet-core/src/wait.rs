//! Parking the calling thread until a future is ready, a deadline passes or
//! the reactor stops: the heart of `wait_for`.
//!
//! The future is polled on the caller's own thread (so it may borrow from the
//! caller's stack and need not be `Send`), inside the reactor's runtime
//! context (so the tokio resources it creates are driven by the reactor's
//! threads). The waker unparks the caller.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::failure;
use crate::stop::StopSignal;

struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    static WAKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
}

/// Runs `f` with a waker that unparks the current thread.
pub(crate) fn with_thread_waker<R>(f: impl FnOnce(&Waker) -> R) -> R {
    let mut f = Some(f);
    let mut out = None;
    let _ = WAKER.try_with(|waker| {
        if let Some(f) = f.take() {
            out = Some(f(waker));
        }
    });
    match (out, f) {
        (Some(out), _) => out,
        // Thread-local storage is being torn down (a call from a TLS
        // destructor): build a one-off waker instead.
        (None, Some(f)) => f(&Waker::from(Arc::new(Unparker(thread::current())))),
        (None, None) => unreachable!("the closure ran but produced nothing"),
    }
}

/// The instant `timeout` after `from`; `None` when that is beyond what
/// `Instant` can represent (an effectively unbounded wait).
pub(crate) fn deadline_after(from: Instant, timeout: Duration) -> Option<Instant> {
    from.checked_add(timeout)
}

/// The instant `timeout` from now; see [`deadline_after`].
pub(crate) fn deadline(timeout: Duration) -> Option<Instant> {
    deadline_after(Instant::now(), timeout)
}

/// tokio's panic message when a timer or I/O resource is polled after its
/// runtime began shutting down (`tokio::util::error::RUNTIME_SHUTTING_DOWN_ERROR`,
/// unchanged throughout tokio 1.x).
const RUNTIME_SHUTTING_DOWN: &str = "A Tokio 1.x context was found, but it is being shutdown.";

/// Polls `fut` once, turning a panic into a [`Failure`](crate::Failure).
///
/// One panic is not the future's own: tokio's refusal to serve a runtime
/// that is shutting down (an attached reactor whose runtime is dropped,
/// such as a server's). The caller gets [`Error::ReactorStopped`] for it,
/// the same as for a reactor Crochet stopped itself.
pub(crate) fn poll_caught<F: Future + ?Sized>(
    fut: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Result<Poll<F::Output>, Error> {
    failure::catch(|| fut.poll(cx)).map_err(|failure| {
        if failure.message() == RUNTIME_SHUTTING_DOWN {
            Error::ReactorStopped
        } else {
            Error::Panicked(failure)
        }
    })
}

/// Parks until `fut` is ready, `deadline` passes, or `stop` fires. The
/// caller has already polled once (and registered `waker` with `stop`);
/// `started` is when it computed `deadline`, saving a clock read.
pub(crate) fn park_until_ready<F: Future + ?Sized>(
    mut fut: Pin<&mut F>,
    waker: &Waker,
    started: Instant,
    deadline: Option<Instant>,
    stop: &StopSignal,
) -> Result<F::Output, Error> {
    let mut cx = Context::from_waker(waker);
    let mut now = Some(started);
    loop {
        if stop.is_stopped() {
            return Err(Error::ReactorStopped);
        }
        match deadline {
            Some(deadline) => {
                let now = now.take().unwrap_or_else(Instant::now);
                if now >= deadline {
                    return Err(Error::Timeout);
                }
                thread::park_timeout(deadline - now);
            }
            None => thread::park(),
        }
        if stop.is_stopped() {
            return Err(Error::ReactorStopped);
        }
        if let Poll::Ready(out) = poll_caught(fut.as_mut(), &mut cx)? {
            return Ok(out);
        }
    }
}
