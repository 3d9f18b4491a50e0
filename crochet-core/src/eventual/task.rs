//! The task `run_in_reactor` spawns: polls the user's future (catching
//! panics, watching the stop signal) and writes the outcome into the slot.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;
use tracing::Instrument;

use super::EventualResult;
use super::slot::{Completed, Slot};
use crate::error::Error;
use crate::reactor::Shared;
use crate::stats::Ending;
use crate::stop::Key;
use crate::wait::poll_caught;

/// Starts `fut` in the reactor and returns its `EventualResult`.
pub(crate) fn spawn<F>(shared: &Arc<Shared>, fut: F) -> EventualResult<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if let Err(err) = shared.check_usable() {
        return EventualResult::finished(shared.clone(), Err(err));
    }
    let slot = Arc::new(Slot::new());
    let guard = TaskGuard::new(shared.clone(), slot.clone());
    // The caller's span becomes the parent of everything the future logs.
    let fut = fut.instrument(tracing::Span::current());
    let join = shared.handle.spawn(run(guard, fut));
    EventualResult::pending(shared.clone(), slot, join.abort_handle())
}

pin_project! {
    /// The spawned future: the user's future beside its guard. A struct
    /// rather than an `async fn`, which would store the user's future twice
    /// (as its argument and as the pinned local; rust-lang/rust#62958),
    /// doubling the task's allocation.
    struct Run<F: Future> {
        guard: TaskGuard<F::Output>,
        #[pin]
        fut: F,
    }
}

fn run<F: Future>(guard: TaskGuard<F::Output>, fut: F) -> Run<F> {
    Run { guard, fut }
}

impl<F: Future> Future for Run<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if this.guard.finished {
            return Poll::Ready(());
        }
        let outcome = std::task::ready!(this.guard.poll_step(this.fut, cx));
        this.guard.finish(outcome);
        Poll::Ready(())
    }
}

/// Owns the task's side of the bookkeeping; if the task is dropped before
/// it finishes (cancel, runtime shutdown) its `Drop` settles the slot.
struct TaskGuard<T> {
    shared: Arc<Shared>,
    slot: Arc<Slot<T>>,
    registration: Option<(Key, Waker)>,
    finished: bool,
}

impl<T> TaskGuard<T> {
    fn new(shared: Arc<Shared>, slot: Arc<Slot<T>>) -> Self {
        shared.begin_task();
        TaskGuard {
            shared,
            slot,
            registration: None,
            finished: false,
        }
    }

    fn poll_step<F: Future<Output = T>>(
        &mut self,
        fut: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, Error>> {
        if self.shared.stop.is_stopped() {
            return Poll::Ready(Err(Error::ReactorStopped));
        }
        match poll_caught(fut, cx) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(err) => Poll::Ready(Err(err)),
            Ok(Poll::Pending) => match &mut self.registration {
                Some((key, waker)) => {
                    if !waker.will_wake(cx.waker()) {
                        *waker = cx.waker().clone();
                        self.shared.stop.update(*key, waker);
                    }
                    Poll::Pending
                }
                None => match self.shared.stop.register(cx.waker()) {
                    Some(key) => {
                        self.registration = Some((key, cx.waker().clone()));
                        Poll::Pending
                    }
                    None => Poll::Ready(Err(Error::ReactorStopped)),
                },
            },
        }
    }

    fn finish(&mut self, outcome: Result<T, Error>) {
        self.finished = true;
        if let Some((key, _)) = self.registration.take() {
            self.shared.stop.unregister(key);
        }
        let ending = Ending::of(&outcome);
        let shared = &self.shared;
        let completed = self.slot.complete_and(outcome, || {
            if let Some(ending) = ending {
                shared.counters.record(ending);
            }
            shared.end_task();
        });
        match completed {
            Completed::Set { unseen_failure } => {
                if let Some(failure) = unseen_failure {
                    crate::eventual::log_unseen_failure(&failure);
                }
            }
            // Cancelled first: `cancel` counted it; only the gauges remain.
            Completed::AlreadyDone => shared.end_task(),
        }
    }
}

impl<T> Drop for TaskGuard<T> {
    fn drop(&mut self) {
        if !self.finished {
            // Dropped unfinished: aborted by `cancel` (the slot already says
            // Cancelled, so this changes nothing) or its runtime shut down.
            self.finish(Err(Error::ReactorStopped));
        }
    }
}
