//! `Builder::install_log_bridge(true)` when the application already
//! installed a global `tracing` subscriber: Crochet leaves it in place and
//! says so through it.
#![cfg(feature = "log-bridge")]

mod support;

use std::time::Duration;

use support::{PATIENCE, capture_logs};

#[test]
fn an_existing_global_subscriber_is_left_in_place_with_a_warning() {
    let logs = capture_logs(); // the application's own subscriber
    let reactor = crochet_core::Reactor::builder()
        .worker_threads(1)
        .install_log_bridge(true)
        .build()
        .unwrap();

    let warnings: Vec<_> = logs
        .events()
        .into_iter()
        .filter(|e| e.target == "crochet" && e.level == tracing::Level::WARN)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].text.contains("LogBridge::layer()"),
        "{warnings:?}"
    );

    // The application's subscriber still gets everything.
    reactor
        .wait_for(PATIENCE, async { tracing::info!("still-mine-marker") })
        .unwrap();
    assert_eq!(logs.matching("still-mine-marker").len(), 1);
    // The bridge is attached anyway (flushed at shutdown), just not fed.
    let bridge = reactor.log_bridge().expect("attached");
    assert_eq!(bridge.queued(), 0);
    reactor.shutdown(Duration::from_secs(1));
}
