//! The one-shot slot a `run_in_reactor` task writes its outcome into, and
//! that blocking waiters (condition variable) and async waiters (waker)
//! read it from.

use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::error::Error;
use crate::failure::Failure;
use crate::sync::{Condvar, Mutex, lock};

#[derive(Debug)]
enum Outcome<T> {
    Pending,
    Done(Result<T, Error>),
    /// Moved out to the owning `EventualResult`'s cache.
    Taken,
}

#[derive(Debug)]
struct State<T> {
    outcome: Outcome<T>,
    /// Threads blocked in [`Slot::wait`]; notify only when there are some.
    waiters: usize,
    waker: Option<Waker>,
    /// The `EventualResult` is gone: nobody will ever look at the outcome.
    orphaned: bool,
}

#[derive(Debug)]
pub(crate) struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

/// What [`Slot::complete`] did.
#[derive(Debug)]
pub(crate) enum Completed {
    /// The outcome is in. Carries the failure when nobody will ever see it.
    Set { unseen_failure: Option<Failure> },
    /// It already had an outcome (cancelled first): nothing changed.
    AlreadyDone,
}

/// What a wait saw.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// The outcome was handed to the `store` closure.
    Stored,
    /// An earlier wait already moved the outcome to the owner's cache.
    AlreadyTaken,
    TimedOut,
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Self {
        Self::with(Outcome::Pending)
    }

    pub(crate) fn finished(outcome: Result<T, Error>) -> Self {
        Self::with(Outcome::Done(outcome))
    }

    fn with(outcome: Outcome<T>) -> Self {
        Slot {
            state: Mutex::new(State {
                outcome,
                waiters: 0,
                waker: None,
                orphaned: false,
            }),
            ready: Condvar::new(),
        }
    }

    /// Sets the outcome unless there is one already, waking every waiter.
    #[cfg(any(test, loom))]
    pub(crate) fn complete(&self, outcome: Result<T, Error>) -> Completed {
        self.complete_and(outcome, || ())
    }

    /// [`complete`](Self::complete), running `on_set` (bookkeeping such as
    /// counters) once the outcome is in, still under the slot's lock, so a
    /// waiter that sees the outcome also sees the bookkeeping: not only one
    /// woken by this call, but also one that takes the lock just after it
    /// (a new `wait`, `try_take` or poll, or a timed wait expiring then).
    /// `on_set` must not use this slot.
    pub(crate) fn complete_and(
        &self,
        outcome: Result<T, Error>,
        on_set: impl FnOnce(),
    ) -> Completed {
        let (waker, notify, unseen_failure) = {
            let mut state = lock(&self.state);
            if !matches!(state.outcome, Outcome::Pending) {
                return Completed::AlreadyDone;
            }
            let unseen_failure = match (&outcome, state.orphaned) {
                (Err(Error::Panicked(failure)), true) => Some(failure.clone()),
                _ => None,
            };
            state.outcome = Outcome::Done(outcome);
            on_set();
            (state.waker.take(), state.waiters > 0, unseen_failure)
        };
        if notify {
            self.ready.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        Completed::Set { unseen_failure }
    }

    pub(crate) fn is_pending(&self) -> bool {
        matches!(lock(&self.state).outcome, Outcome::Pending)
    }

    /// Moves the outcome into `store` if it is in; never blocks.
    pub(crate) fn try_take(&self, store: impl FnOnce(Result<T, Error>)) -> Option<Waited> {
        let mut state = lock(&self.state);
        Self::take_locked(&mut state, store)
    }

    fn take_locked(state: &mut State<T>, store: impl FnOnce(Result<T, Error>)) -> Option<Waited> {
        match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Done(outcome) => {
                // Called under the lock, so a concurrent waiter that finds
                // `Taken` also finds the owner's cache filled.
                store(outcome);
                Some(Waited::Stored)
            }
            Outcome::Taken => Some(Waited::AlreadyTaken),
            Outcome::Pending => {
                state.outcome = Outcome::Pending;
                None
            }
        }
    }

    /// Blocks until the outcome is in (moving it into `store`) or `deadline`.
    pub(crate) fn wait(
        &self,
        deadline: Option<Instant>,
        store: impl FnOnce(Result<T, Error>),
    ) -> Waited {
        let mut store = Some(store);
        let mut state = lock(&self.state);
        loop {
            if let Some(waited) = Self::take_locked(&mut state, |outcome| {
                if let Some(store) = store.take() {
                    store(outcome);
                }
            }) {
                return waited;
            }
            state.waiters += 1;
            state = match deadline {
                None => self
                    .ready
                    .wait(state)
                    .unwrap_or_else(|poison| poison.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        state.waiters -= 1;
                        return Waited::TimedOut;
                    }
                    self.ready
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|poison| poison.into_inner())
                        .0
                }
            };
            state.waiters -= 1;
        }
    }

    /// Async flavour of [`wait`](Self::wait): `Ready(None)` when an earlier
    /// wait already moved the outcome out.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Option<Result<T, Error>>> {
        let mut state = lock(&self.state);
        match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Done(outcome) => Poll::Ready(Some(outcome)),
            Outcome::Taken => Poll::Ready(None),
            Outcome::Pending => {
                state.outcome = Outcome::Pending;
                match &mut state.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    waker => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Cancels a pending slot: waiters get [`Error::Cancelled`], after
    /// `on_cancel` ran. False when the outcome was already in.
    pub(crate) fn cancel(&self, on_cancel: impl FnOnce()) -> bool {
        matches!(
            self.complete_and(Err(Error::Cancelled), on_cancel),
            Completed::Set { .. }
        )
    }

    /// Marks the slot as abandoned by its owner. Returns the failure sitting
    /// in it, if any, so the owner can report it.
    pub(crate) fn orphan(&self) -> Option<Failure> {
        let mut state = lock(&self.state);
        state.orphaned = true;
        match &state.outcome {
            Outcome::Done(Err(Error::Panicked(failure))) => Some(failure.clone()),
            _ => None,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn second_completion_changes_nothing() {
        let slot = Slot::new();
        assert!(matches!(slot.complete(Ok(1)), Completed::Set { .. }));
        assert!(matches!(slot.complete(Ok(2)), Completed::AlreadyDone));
        assert!(!slot.cancel(|| ()));
        let mut got = None;
        assert_eq!(slot.try_take(|o| got = Some(o)), Some(Waited::Stored));
        assert_eq!(got.unwrap().unwrap(), 1);
        assert_eq!(slot.try_take(|_| ()), Some(Waited::AlreadyTaken));
    }

    #[test]
    fn waiter_times_out_then_sees_the_outcome() {
        let slot = Arc::new(Slot::new());
        let deadline = Some(Instant::now() + Duration::from_millis(5));
        assert_eq!(slot.wait(deadline, |_| ()), Waited::TimedOut);
        let writer = {
            let slot = slot.clone();
            std::thread::spawn(move || slot.complete(Ok("done")))
        };
        let mut got = None;
        assert_eq!(slot.wait(None, |o| got = Some(o)), Waited::Stored);
        assert_eq!(got.unwrap().unwrap(), "done");
        writer.join().unwrap();
    }

    #[test]
    fn orphaned_failure_is_reported_by_the_completion() {
        crate::failure::install_hook();
        let slot = Slot::<()>::new();
        assert!(slot.orphan().is_none());
        let failure = crate::failure::catch(|| panic!("lost")).unwrap_err();
        match slot.complete(Err(Error::Panicked(failure))) {
            Completed::Set { unseen_failure } => {
                assert_eq!(unseen_failure.unwrap().message(), "lost")
            }
            Completed::AlreadyDone => panic!("was pending"),
        }
    }
}
