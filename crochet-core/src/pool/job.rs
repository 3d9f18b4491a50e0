//! A job as the pool's waiting line holds it: the user's closure with its
//! reply channel, its span and its place, behind one object-safe trait.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::oneshot;

use super::{Admitted, Inner};
use crate::error::Error;
use crate::failure;

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const ABANDONED: u8 = 2;

/// Who a job belongs to once it has waited: the worker that starts it, or
/// the caller that gives up on it (queue-wait deadline, or its future
/// dropped). Exactly one of them wins.
#[derive(Debug, Default)]
pub(super) struct Ticket(AtomicU8);

impl Ticket {
    /// Claims the job for a worker (or for refusal at shutdown).
    pub(super) fn start(&self) -> bool {
        self.claim(STARTED)
    }

    /// Claims the job for its caller, which will not wait for it any more.
    pub(super) fn abandon(&self) -> bool {
        self.claim(ABANDONED)
    }

    fn claim(&self, to: u8) -> bool {
        self.0
            .compare_exchange(QUEUED, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// A job the pool can run or refuse without knowing its types.
pub(super) trait Job: Send {
    /// Its ticket, to find it in the line.
    fn ticket(&self) -> &Arc<Ticket>;

    /// Runs it with the pool's reactor entered and the caller's span,
    /// counts it, and sends the outcome.
    fn run(self: Box<Self>, pool: &Inner);

    /// Sends `error` instead of running it.
    fn refuse(self: Box<Self>, error: Error);
}

/// The one implementation of [`Job`].
pub(super) struct Task<F, R> {
    pub(super) job: F,
    pub(super) reply: oneshot::Sender<Result<R, Error>>,
    pub(super) span: tracing::Span,
    pub(super) ticket: Arc<Ticket>,
    /// Its place among the admitted jobs, given back when it is dropped:
    /// after it ran, when it was refused, or when its caller gave up.
    pub(super) admitted: Admitted,
}

impl<F, R> Job for Task<F, R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    fn ticket(&self) -> &Arc<Ticket> {
        &self.ticket
    }

    fn run(self: Box<Self>, pool: &Inner) {
        let Task {
            job,
            reply,
            span,
            ticket: _,
            admitted,
        } = *self;
        pool.busy.fetch_add(1, Ordering::AcqRel);
        let outcome = {
            let _current = pool.reactor.enter();
            let _span = span.enter();
            failure::catch(job)
        };
        // Counted, and the place freed, before the caller hears back: a
        // caller then sees its job in `stats()`, and finds the place free
        // if it submits again at once.
        pool.counters.finished(outcome.is_ok());
        pool.busy.fetch_sub(1, Ordering::AcqRel);
        drop(admitted);
        let _ = reply.send(outcome.map_err(Error::Panicked));
    }

    fn refuse(self: Box<Self>, error: Error) {
        let _ = self.reply.send(Err(error));
    }
}
