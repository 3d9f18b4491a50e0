//! Noticing that the process forked, without a system call per check.
//!
//! A reactor's threads exist only in the process that built it. glibc does
//! not cache the pid, so comparing `std::process::id()` on every call costs a
//! system call (about half of a `wait_for` that yields once). Instead, a
//! `pthread_atfork` child handler bumps a generation counter; a reactor
//! records the generation it was built in, and is unusable once it differs.
//! A reactor built in the child after the fork records the new generation
//! and works normally.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

extern "C" fn in_child_after_fork() {
    // An atomic add is async-signal-safe: fine between fork and exec.
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The current fork generation; registers the handler on first use.
pub(super) fn generation() -> u64 {
    REGISTER.call_once(|| {
        // SAFETY: `pthread_atfork` only records the function pointers; the
        // child handler is a plain `extern "C" fn()` doing one atomic add,
        // which cannot unwind and is async-signal-safe. If registration
        // fails (ENOMEM), fork detection falls back to comparing pids, done
        // by the caller.
        #[allow(unsafe_code)]
        let failed = unsafe { libc::pthread_atfork(None, None, Some(in_child_after_fork)) } != 0;
        if failed {
            GENERATION.store(u64::MAX, Ordering::Relaxed);
        }
    });
    GENERATION.load(Ordering::Relaxed)
}

/// Whether the registration failed and pids must be compared instead.
pub(super) fn unreliable(generation: u64) -> bool {
    generation == u64::MAX
}
