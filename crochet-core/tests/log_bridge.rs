//! The log bridge: async-side `tracing` events reach a `log` logger on the
//! `crochet-log` thread, and a blocked or panicking logger never holds up
//! the reactor.
//!
//! `log` and `tracing` each have one global logger/subscriber per process,
//! so this binary installs them once and its tests take turns (`serial`).
#![cfg(feature = "log-bridge")]

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crochet_core::{LogBridge, Reactor};

const PATIENCE: Duration = Duration::from_secs(30);
const CAPACITY: usize = 64;

/// A logger that records what it gets, can be held shut (blocking in
/// `log()` like a stalled pipe), can be slow, and panics on `panic-me`.
#[derive(Default)]
struct TestLogger {
    records: Mutex<Vec<(log::Level, String, String)>>,
    gate: Mutex<Gate>,
    opened: Condvar,
}

#[derive(Default)]
struct Gate {
    shut: bool,
    /// Threads blocked at the gate.
    waiting: usize,
    delay: Duration,
}

impl log::Log for TestLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let text = record.args().to_string();
        let delay = {
            let mut gate = self.gate.lock().unwrap();
            gate.waiting += 1;
            self.opened.notify_all();
            while gate.shut {
                gate = self.opened.wait(gate).unwrap();
            }
            gate.waiting -= 1;
            gate.delay
        };
        std::thread::sleep(delay);
        if text.contains("panic-me") {
            panic!("the logger fell over");
        }
        self.records
            .lock()
            .unwrap()
            .push((record.level(), record.target().to_owned(), text));
    }

    fn flush(&self) {}
}

impl TestLogger {
    fn matching(&self, marker: &str) -> Vec<(log::Level, String, String)> {
        self.records
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, _, text)| text.contains(marker))
            .cloned()
            .collect()
    }

    fn shut(&self) {
        self.gate.lock().unwrap().shut = true;
    }

    fn open(&self) {
        self.gate.lock().unwrap().shut = false;
        self.opened.notify_all();
    }

    /// Blocks until the bridge thread is stuck at the shut gate.
    fn wait_until_blocked(&self) {
        let mut gate = self.gate.lock().unwrap();
        while gate.waiting == 0 {
            gate = self.opened.wait_timeout(gate, PATIENCE).unwrap().0;
        }
    }

    fn set_delay(&self, delay: Duration) {
        self.gate.lock().unwrap().delay = delay;
    }
}

struct World {
    logger: &'static TestLogger,
    bridge: LogBridge,
}

/// Installs the logger and the bridge once; the guard serialises tests.
fn world() -> (&'static World, MutexGuard<'static, ()>) {
    static WORLD: OnceLock<World> = OnceLock::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    let world = WORLD.get_or_init(|| {
        let logger: &'static TestLogger = Box::leak(Box::default());
        log::set_logger(logger).unwrap();
        log::set_max_level(log::LevelFilter::Info);
        let bridge = LogBridge::builder().capacity(CAPACITY).build().unwrap();
        bridge.install_global().unwrap();
        World { logger, bridge }
    });
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    world.logger.open();
    world.logger.set_delay(Duration::ZERO);
    assert!(world.bridge.flush(PATIENCE));
    (world, serial)
}

fn reactor(bridge: &LogBridge) -> Reactor {
    Reactor::builder()
        .worker_threads(2)
        .log_bridge(bridge.clone())
        .build()
        .unwrap()
}

#[test]
fn events_carry_level_target_fields_and_span_context() {
    let (world, _serial) = world();
    let reactor = reactor(&world.bridge);
    let span = tracing::info_span!("request", id = 7);
    let _entered = span.enter();
    reactor
        .wait_for(PATIENCE, async {
            tracing::warn!(target: "db", user = "ada", rows = 3, "context-marker slow query");
        })
        .unwrap();
    assert!(world.bridge.flush(PATIENCE));
    let got = world.logger.matching("context-marker");
    assert_eq!(got.len(), 1, "{got:?}");
    let (level, target, text) = &got[0];
    assert_eq!(*level, log::Level::Warn);
    assert_eq!(target, "db");
    assert_eq!(
        text,
        "request{id=7}: context-marker slow query user=ada rows=3"
    );
}

#[test]
fn events_below_the_log_level_are_not_even_queued() {
    let (world, _serial) = world();
    world.logger.shut();
    tracing::debug!("level-marker too detailed");
    assert_eq!(world.bridge.queued(), 0);
    world.logger.open();
    assert!(world.bridge.flush(PATIENCE));
    assert!(world.logger.matching("level-marker").is_empty());
}

/// The design's hazard: a logger that blocks (here: until released, which
/// is a stronger version of "sleeps 200 ms") must not stall the reactor.
/// Everything is asserted on ordering and on the queue, not on time.
#[test]
fn a_blocked_logger_never_holds_up_the_reactor() {
    let (world, _serial) = world();
    let reactor = reactor(&world.bridge);
    let dropped_before = world.bridge.dropped();
    world.logger.shut();
    tracing::info!("blocked-marker first");
    world.logger.wait_until_blocked();

    // The logger is now stuck inside log(). The reactor logs far more than
    // the queue holds, and finishes anyway.
    let events = 3 * CAPACITY;
    let emitted = reactor.run_in_reactor(async move {
        for i in 0..events {
            tracing::info!(i, "blocked-marker burst");
        }
        "all emitted"
    });
    assert_eq!(*emitted.wait(PATIENCE).unwrap(), "all emitted");
    // A ready-future wait_for is not held up either.
    assert_eq!(reactor.wait_for(PATIENCE, async { 5 }).unwrap(), 5);

    // Ordering: all of that happened while the logger was still blocked
    // on the very first record.
    assert!(world.logger.matching("blocked-marker").is_empty());
    assert_eq!(world.bridge.queued(), CAPACITY);
    let dropped = world.bridge.dropped() - dropped_before;
    assert_eq!(dropped as usize, events - CAPACITY);
    assert_eq!(reactor.stats().log_records_dropped, world.bridge.dropped());

    world.logger.open();
    assert!(world.bridge.flush(PATIENCE));
    // Every record arrived or was counted as dropped.
    let arrived = world.logger.matching("blocked-marker").len();
    assert_eq!(arrived + dropped as usize, events + 1);
    // And the drop was reported through the logger.
    let warned = world
        .logger
        .matching("records dropped because the queue was full");
    assert!(!warned.is_empty());
    assert_eq!(warned[0].0, log::Level::Warn);
}

#[test]
fn every_record_from_many_threads_arrives_or_is_counted() {
    let (world, _serial) = world();
    let dropped_before = world.bridge.dropped();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..250 {
                    tracing::info!(t, i, "count-marker");
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert!(world.bridge.flush(PATIENCE));
    let arrived = world.logger.matching("count-marker").len() as u64;
    let dropped = world.bridge.dropped() - dropped_before;
    assert_eq!(arrived + dropped, 1000);
}

#[test]
fn records_are_flushed_at_shutdown() {
    let (world, _serial) = world();
    let reactor = reactor(&world.bridge);
    world.logger.shut();
    world.logger.set_delay(Duration::from_millis(2));
    reactor
        .wait_for(PATIENCE, async {
            for i in 0..20 {
                tracing::info!(i, "shutdown-marker");
            }
        })
        .unwrap();
    world.logger.wait_until_blocked();
    assert_eq!(
        world.bridge.queued(),
        19,
        "one at the logger, the rest queued"
    );
    // The logger comes back only once shutdown has begun.
    let logger = world.logger;
    reactor.on_shutdown(move || logger.open());
    reactor.shutdown(PATIENCE);
    // Shutdown returned only after everything reached the logger.
    assert_eq!(world.bridge.queued(), 0);
    assert_eq!(world.logger.matching("shutdown-marker").len(), 20);
}

#[test]
fn a_panicking_logger_does_not_take_the_bridge_down() {
    let (world, _serial) = world();
    let panics_before = world.bridge.logger_panics();
    tracing::info!("panic-me please");
    tracing::info!("survivor-marker after the panic");
    assert!(world.bridge.flush(PATIENCE));
    assert_eq!(world.bridge.logger_panics(), panics_before + 1);
    assert_eq!(world.logger.matching("survivor-marker").len(), 1);
}
