//! The reactor's stop signal: a flag plus the wakers of everything that must
//! notice the stop promptly (blocked `wait_for` callers and pending
//! `run_in_reactor` tasks).
//!
//! Registration is sharded so that many caller threads do not contend on
//! one lock; a waiter registers only once its future is pending, so ready
//! futures never touch it.

use std::cell::Cell;
use std::task::Waker;

use crate::sync::{AtomicBool, Mutex, Ordering, lock};

const SHARDS: usize = 16;

/// Where a registration lives, to update or remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    shard: usize,
    index: usize,
}

#[derive(Debug, Default)]
struct Slab {
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
}

/// Keeps each shard on its own cache line.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Shard(Mutex<Slab>);

#[derive(Debug)]
pub(crate) struct StopSignal {
    stopped: AtomicBool,
    shards: Box<[Shard]>,
}

thread_local! {
    static HOME_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn home_shard() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    HOME_SHARD
        .try_with(|home| {
            if home.get() == usize::MAX {
                home.set(NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS);
            }
            home.get()
        })
        .unwrap_or(0)
}

impl StopSignal {
    pub(crate) fn new() -> Self {
        StopSignal {
            stopped: AtomicBool::new(false),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Registers `waker` to be woken at the stop; `None` if already stopped.
    pub(crate) fn register(&self, waker: &Waker) -> Option<Key> {
        let shard = home_shard();
        let mut slab = lock(&self.shards[shard].0);
        // Checked under the shard lock: `stop` sets the flag before it
        // drains the shards, so either we see the flag or it sees us.
        if self.is_stopped() {
            return None;
        }
        let index = match slab.free.pop() {
            Some(index) => {
                slab.wakers[index] = Some(waker.clone());
                index
            }
            None => {
                slab.wakers.push(Some(waker.clone()));
                slab.wakers.len() - 1
            }
        };
        Some(Key { shard, index })
    }

    /// Replaces the waker of a registration (a task moved between wakers).
    pub(crate) fn update(&self, key: Key, waker: &Waker) {
        let mut slab = lock(&self.shards[key.shard].0);
        if let Some(Some(old)) = slab.wakers.get_mut(key.index)
            && !old.will_wake(waker)
        {
            *old = waker.clone();
        }
    }

    pub(crate) fn unregister(&self, key: Key) {
        let mut slab = lock(&self.shards[key.shard].0);
        if let Some(entry) = slab.wakers.get_mut(key.index)
            && entry.take().is_some()
        {
            slab.free.push(key.index);
        }
    }

    /// Sets the flag and wakes every registered waiter. True for the call
    /// that actually stopped it.
    pub(crate) fn stop(&self) -> bool {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return false;
        }
        for shard in self.shards.iter() {
            let wakers: Vec<Waker> = {
                let mut slab = lock(&shard.0);
                slab.free.clear();
                slab.wakers.drain(..).flatten().collect()
            };
            wakers.into_iter().for_each(Waker::wake);
        }
        true
    }

    /// Registrations currently held (for tests and stats).
    #[cfg(test)]
    pub(crate) fn registered(&self) -> usize {
        self.shards
            .iter()
            .map(|s| lock(&s.0).wakers.iter().flatten().count())
            .sum()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn stop_wakes_registered_and_refuses_new() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let signal = StopSignal::new();
        let a = signal.register(&waker).unwrap();
        let b = signal.register(&waker).unwrap();
        signal.unregister(a);
        assert_eq!(signal.registered(), 1);
        let c = signal.register(&waker).unwrap();
        assert_eq!(c, a, "freed slots are reused");
        assert!(signal.stop());
        assert!(!signal.stop(), "only the first stop reports true");
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert!(signal.register(&waker).is_none());
        signal.unregister(b); // after stop: harmless
        assert_eq!(signal.registered(), 0);
    }
}
