//! `Builder::install_log_bridge(true)` in a process with no `tracing`
//! subscriber: async-side events reach the application's `log` logger.
#![cfg(feature = "log-bridge")]

use std::sync::Mutex;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

struct Recorder(Mutex<Vec<String>>);

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push(record.args().to_string());
    }
    fn flush(&self) {}
}

static RECORDER: Recorder = Recorder(Mutex::new(Vec::new()));

#[test]
fn installing_the_bridge_forwards_reactor_events_to_log() {
    log::set_logger(&RECORDER).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    let reactor = crochet_core::Reactor::builder()
        .worker_threads(1)
        .install_log_bridge(true)
        .build()
        .unwrap();
    let bridge = reactor.log_bridge().expect("a bridge is attached").clone();
    reactor
        .run_in_reactor(async { tracing::info!("installed-marker from the reactor") })
        .wait(PATIENCE)
        .unwrap();
    assert!(bridge.flush(PATIENCE));
    let records = RECORDER.0.lock().unwrap().clone();
    assert!(
        records
            .iter()
            .any(|r| r == "installed-marker from the reactor"),
        "{records:?}"
    );
}
