//! Loom models of the small concurrent state machines: the one-shot
//! outcome [`Slot`](crate::eventual::slot::Slot), the reactor's
//! [`StopSignal`](crate::stop::StopSignal), and the stash
//! [`Store`](crate::store::Store).
//!
//! Built only with `--cfg loom` (see `.ci/loom`), when `crate::sync` hands
//! out loom's `Mutex`, `Condvar` and atomics, so every interleaving of the
//! locks and atomics below is explored. A lost wake-up shows up as loom
//! reporting a deadlock: every waiter here blocks on a loom condition
//! variable with no timeout.

mod loom_slot;
mod loom_stop;
mod loom_store;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::task::{Wake, Waker};

use loom::sync::{Condvar, Mutex};

/// Wake counts of a few wakers, behind one loom lock so that a thread can
/// block (visibly to loom) until one of them is woken.
pub(super) struct Wakes {
    counts: Mutex<Vec<usize>>,
    changed: Condvar,
}

impl Wakes {
    /// `n` wakers' worth of counters, all zero.
    pub(super) fn new(n: usize) -> Arc<Self> {
        Arc::new(Wakes {
            counts: Mutex::new(vec![0; n]),
            changed: Condvar::new(),
        })
    }

    /// A waker that bumps counter `id` when woken.
    pub(super) fn waker(self: &Arc<Self>, id: usize) -> Waker {
        Waker::from(Arc::new(Counted {
            wakes: self.clone(),
            id,
        }))
    }

    /// How often each waker has been woken.
    pub(super) fn counts(&self) -> Vec<usize> {
        self.counts.lock().unwrap().clone()
    }

    /// Blocks until some waker has been woken, then resets every count.
    /// Returns the counts seen.
    pub(super) fn wait_and_reset(&self) -> Vec<usize> {
        let mut counts = self.counts.lock().unwrap();
        while counts.iter().all(|&c| c == 0) {
            counts = self.changed.wait(counts).unwrap();
        }
        let zeros = vec![0; counts.len()];
        std::mem::replace(&mut *counts, zeros)
    }
}

struct Counted {
    wakes: Arc<Wakes>,
    id: usize,
}

impl Wake for Counted {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.counts.lock().unwrap()[self.id] += 1;
        self.wakes.changed.notify_all();
    }
}

/// Which branches of a model's assertions some explored interleaving took,
/// so a model that (through a mistake in it) only ever explores one
/// outcome of a race fails instead of passing vacuously. Kept outside loom
/// (a `std` lock), across the model's iterations.
#[derive(Default)]
pub(super) struct Branches(std::sync::Mutex<BTreeSet<&'static str>>);

impl Branches {
    pub(super) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Records that the current interleaving took `branch`.
    pub(super) fn hit(&self, branch: &'static str) {
        self.0.lock().unwrap().insert(branch);
    }

    /// Asserts that the explored interleavings took exactly `expected`.
    pub(super) fn assert_explored(&self, expected: &[&'static str]) {
        let explored = self.0.lock().unwrap();
        let expected: BTreeSet<_> = expected.iter().copied().collect();
        assert_eq!(*explored, expected, "branches explored by the model");
    }
}
