//! The synchronisation primitives the small state machines use, swapped for
//! loom's under `--cfg loom` so the models in `tests/loom_*.rs` can explore
//! every interleaving.

#[cfg(loom)]
pub(crate) use loom::sync::{
    Condvar, Mutex, MutexGuard,
    atomic::{AtomicBool, Ordering},
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Condvar, Mutex, MutexGuard,
    atomic::{AtomicBool, Ordering},
};

/// Locks `mutex`, recovering the data from a poisoned lock: every critical
/// section in Crochet leaves its state consistent before anything in it can
/// panic, so poison carries no information here.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// [`lock`] for the modules that always use `std`'s mutex (they hold no
/// state machine worth a loom model).
pub(crate) fn lock_std<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}
