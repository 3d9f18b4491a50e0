//! The state every handle on a reactor shares: its runtime handle, run
//! state, stop signal, counters and stash store. Tasks and results hold an
//! `Arc<Shared>`; only `Reactor` handles own the runtime itself.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use crate::error::Error;
use crate::stats::{Counters, Stats};
use crate::stop::StopSignal;
use crate::store::Store;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::sync::lock_std as lock;

const RUNNING: u8 = 0;
const STOPPING: u8 = 1;
const STOPPED: u8 = 2;

type Hook = Box<dyn FnOnce() + Send>;

pub(crate) struct Shared {
    pub(crate) handle: Handle,
    state: AtomicU8,
    pub(crate) stop: StopSignal,
    pub(crate) counters: Counters,
    pub(crate) store: Store,
    /// Blocked `wait_for` calls plus unfinished `run_in_reactor` tasks.
    in_flight: AtomicUsize,
    idle_lock: Mutex<()>,
    idle: Condvar,
    hooks: Mutex<Vec<Hook>>,
    pub(crate) grace: Duration,
    pid: u32,
    fork_generation: u64,
    #[cfg(feature = "log-bridge")]
    pub(crate) log_bridge: Option<crate::LogBridge>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("state", &self.state.load(Ordering::Relaxed))
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(handle: Handle, grace: Duration, store: Store) -> Self {
        Shared {
            handle,
            state: AtomicU8::new(RUNNING),
            stop: StopSignal::new(),
            counters: Counters::default(),
            store,
            in_flight: AtomicUsize::new(0),
            idle_lock: Mutex::new(()),
            idle: Condvar::new(),
            hooks: Mutex::new(Vec::new()),
            grace,
            pid: std::process::id(),
            fork_generation: super::fork::generation(),
            #[cfg(feature = "log-bridge")]
            log_bridge: None,
        }
    }

    pub(crate) fn is_running(&self) -> bool {
        self.state.load(Ordering::SeqCst) == RUNNING
    }

    /// New work is refused once shutdown has begun.
    pub(crate) fn check_running(&self) -> Result<(), Error> {
        if self.is_running() {
            Ok(())
        } else {
            Err(Error::ReactorStopped)
        }
    }

    /// The reactor's threads exist only in the process that built it.
    pub(crate) fn check_process(&self) -> Result<(), Error> {
        if self.is_forked() {
            Err(Error::Forked)
        } else {
            Ok(())
        }
    }

    pub(crate) fn is_forked(&self) -> bool {
        let now = super::fork::generation();
        if super::fork::unreliable(now) {
            std::process::id() != self.pid
        } else {
            now != self.fork_generation
        }
    }

    pub(crate) fn check_usable(&self) -> Result<(), Error> {
        self.check_running()?;
        self.check_process()
    }

    pub(crate) fn begin_call(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self)
    }

    pub(crate) fn begin_task(&self) {
        self.counters
            .results_pending
            .fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn end_task(&self) {
        self.counters
            .results_pending
            .fetch_sub(1, Ordering::Relaxed);
        self.end_call();
    }

    fn end_call(&self) {
        if self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 && !self.is_running() {
            // Taking the lock orders this notify after the shutdown thread's
            // check-then-wait, so the wake-up cannot be missed.
            let _idle = lock(&self.idle_lock);
            self.idle.notify_all();
        }
    }

    /// Shutdown, step 1: refuse new work. False if already begun.
    pub(crate) fn begin_stopping(&self) -> bool {
        self.state
            .compare_exchange(RUNNING, STOPPING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Shutdown, step 2: let in-flight work finish, until `deadline`.
    pub(crate) fn wait_idle(&self, deadline: Instant) {
        let mut idle = lock(&self.idle_lock);
        while self.in_flight.load(Ordering::SeqCst) > 0 {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            idle = self
                .idle
                .wait_timeout(idle, deadline - now)
                .unwrap_or_else(|poison| poison.into_inner())
                .0;
        }
    }

    /// Shutdown, step 3: wake and release everything still waiting.
    pub(crate) fn stop_now(&self) {
        self.state.store(STOPPED, Ordering::SeqCst);
        self.stop.stop();
    }

    pub(crate) fn add_hook(&self, hook: Hook) -> Result<(), Hook> {
        let mut hooks = lock(&self.hooks);
        if self.is_running() {
            hooks.push(hook);
            Ok(())
        } else {
            Err(hook)
        }
    }

    pub(crate) fn take_hooks(&self) -> Vec<Hook> {
        std::mem::take(&mut *lock(&self.hooks))
    }

    pub(crate) fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            results_pending: c.results_pending.load(Ordering::Relaxed),
            stashed: self.store.len(),
            calls_in_flight: self.in_flight.load(Ordering::SeqCst),
            completed: c.completed.get(),
            timed_out: c.timed_out.get(),
            cancelled: c.cancelled.get(),
            panicked: c.panicked.get(),
            stopped: c.stopped.get(),
            #[cfg(feature = "log-bridge")]
            log_records_dropped: self
                .log_bridge
                .as_ref()
                .map_or(0, crate::LogBridge::dropped),
            #[cfg(not(feature = "log-bridge"))]
            log_records_dropped: 0,
        }
    }
}

/// A blocked `wait_for` call, counted for graceful shutdown.
pub(crate) struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.end_call();
    }
}
