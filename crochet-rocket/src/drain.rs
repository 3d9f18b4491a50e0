//! Letting the requests in flight finish before the fairing stops the
//! reactor at shutdown.
//!
//! Rocket runs shutdown fairings the moment shutdown is triggered, and only
//! once they have returned does it close its listener and drain its
//! connections within its own grace period (`config.shutdown.grace`).
//! Stopping the reactor there would refuse the requests still queued for a
//! worker and fail every `wait_for` a request in flight has yet to make;
//! waiting there would leave new clients hanging on the still-open
//! listener. So when work is in flight the fairing hands the stop to a
//! thread of its own, which waits for the pools it knows of to empty and
//! for no call to be running in the reactor, within Rocket's grace (less
//! the time the reactor's own shutdown and its `503`s need: [`window`]).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crochet_core::Pool;

use crate::state::Crochet;

/// How often [`drain`] looks at the pools and the reactor.
const POLL: Duration = Duration::from_millis(5);

/// The pools on the fairing's reactor besides its own: those of
/// [`SyncApp`](crate::SyncApp)s that keep a pool of their own. Shared by
/// every clone of the [`Crochet`](crate::Crochet) state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pools(Arc<Mutex<Vec<Pool>>>);

impl Pools {
    /// Adds `pool` to those drained at shutdown.
    pub(crate) fn track(&self, pool: Pool) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(pool);
    }

    fn idle(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .all(pool_idle)
    }
}

fn pool_idle(pool: &Pool) -> bool {
    let stats = pool.stats();
    stats.busy == 0 && stats.queued == 0
}

/// How long the fairing waits for work in flight, out of Rocket's grace
/// period: what is still blocked afterwards must get its `ReactorStopped`
/// (a `503`) written while Rocket still lets connections finish, so the
/// reactor's own shutdown grace and a margin (a quarter of Rocket's grace,
/// at least 250 ms) come off it.
pub(crate) fn window(rocket_grace: Duration, reactor_grace: Duration) -> Duration {
    let margin = (rocket_grace / 4).max(Duration::from_millis(250));
    rocket_grace
        .saturating_sub(reactor_grace)
        .saturating_sub(margin)
}

/// True when `crochet`'s pool and the other pools on its reactor run and
/// queue no job, and its reactor runs no call.
pub(crate) fn idle(crochet: &Crochet) -> bool {
    pool_idle(crochet.pool())
        && crochet.other_pools().idle()
        && crochet.reactor().stats().calls_in_flight == 0
}

/// Blocks, at most `within`, until `crochet` is [`idle`]; true if it
/// became idle in time.
pub(crate) fn drain(crochet: &Crochet, within: Duration) -> bool {
    let deadline = Instant::now().checked_add(within);
    loop {
        if idle(crochet) {
            return true;
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENCE: Duration = Duration::from_secs(30);
    const SHORT: Duration = Duration::from_millis(20);

    #[test]
    fn the_window_leaves_the_reactors_grace_and_a_margin_inside_rockets() {
        let secs = Duration::from_secs;
        let millis = Duration::from_millis;
        // Rocket's default grace (2 s), the reactor's default (1 s).
        assert_eq!(window(secs(2), secs(1)), millis(500));
        assert_eq!(window(secs(2), millis(100)), millis(1400));
        assert_eq!(window(secs(10), secs(1)), millis(6500));
        // No time to spare: stop at once.
        assert_eq!(window(secs(1), secs(1)), Duration::ZERO);
        assert_eq!(window(Duration::ZERO, secs(1)), Duration::ZERO);
    }

    #[test]
    fn drains_at_once_when_idle_and_runs_out_the_time_while_work_is_in_flight() {
        let reactor = crochet_core::Reactor::builder()
            .worker_threads(1)
            .build()
            .expect("a reactor");
        let crochet = Crochet::new(reactor.clone(), Pool::builder().workers(1).build(&reactor));
        let other = Pool::builder().workers(1).build(&reactor);
        crochet.other_pools().track(other.clone());
        assert!(idle(&crochet));
        assert!(drain(&crochet, PATIENCE), "idle");

        // A job running on a tracked pool.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let job = reactor.run_in_reactor(other.run(move || {
            let _ = released.recv_timeout(PATIENCE);
        }));
        let started = Instant::now();
        while other.stats().busy == 0 {
            assert!(started.elapsed() < PATIENCE, "the job never started");
            std::thread::sleep(POLL);
        }
        assert!(!drain(&crochet, SHORT), "a job still running");
        release.send(()).expect("the job is waiting");
        assert!(job.wait(PATIENCE).is_ok());
        assert!(drain(&crochet, PATIENCE), "the job finished");

        // A call in flight in the reactor.
        let call = reactor.run_in_reactor(std::future::pending::<()>());
        assert!(!drain(&crochet, SHORT), "a call still running");
        call.cancel();
        assert!(drain(&crochet, PATIENCE), "idle again");
    }
}
