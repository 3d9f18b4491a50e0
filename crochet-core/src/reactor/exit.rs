//! The automatic shutdown of the global reactor when the process exits.
//!
//! Rust runs no destructors for statics, and `std::process::exit` skips even
//! the main thread's locals, so Crochet registers a C `atexit` handler: both
//! a returning `main` and `std::process::exit` end in libc's `exit`, which
//! runs it. The handler shuts the global reactor down with its grace period
//! on a fresh thread (the exiting thread's thread-locals may already be torn
//! down) and waits for that thread at most the grace period plus a margin,
//! so exit is never held up longer.

use std::sync::Once;
use std::sync::mpsc;
use std::time::Duration;

use super::global;

static REGISTER: Once = Once::new();

/// Extra time allowed past the grace period for the shutdown thread itself.
const MARGIN: Duration = Duration::from_millis(250);

pub(super) fn shut_down_at_exit() {
    REGISTER.call_once(|| {
        // SAFETY: `atexit` only records the function pointer. `at_exit` is a
        // plain `extern "C" fn()` that catches every panic, so no unwinding
        // crosses the FFI boundary. A non-zero return (no room for more
        // handlers) only loses the automatic shutdown, which is logged.
        #[allow(unsafe_code)]
        let refused = unsafe { libc::atexit(at_exit) } != 0;
        if refused {
            tracing::warn!(
                target: "crochet",
                "could not register the process-exit hook; call crochet_core::shutdown before exiting"
            );
        }
    });
}

extern "C" fn at_exit() {
    let _ = std::panic::catch_unwind(shut_down_global);
}

fn shut_down_global() {
    let Some(reactor) = global::get() else {
        return;
    };
    let grace = reactor.shutdown_grace();
    let (done_tx, done_rx) = mpsc::channel();
    let worker = reactor.clone();
    let spawned = std::thread::Builder::new()
        .name("crochet-exit".to_owned())
        .spawn(move || {
            worker.shutdown(grace);
            let _ = done_tx.send(());
        });
    match spawned {
        Ok(_) => {
            let _ = done_rx.recv_timeout(grace.saturating_add(MARGIN));
        }
        Err(_) => reactor.shutdown(grace),
    }
}
