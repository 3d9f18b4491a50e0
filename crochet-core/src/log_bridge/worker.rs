//! The `crochet-log` thread: hands queued records to the `log` facade, where
//! a slow or blocking logger only ever slows this thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Shared;
use super::layer::FORWARDING;
use super::record::OwnedRecord;
use crate::failure;

/// How often the worker looks at the drop count to report it.
const TICK: Duration = Duration::from_millis(500);
/// Drops are reported at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(10);

pub(super) fn run(shared: Arc<Shared>) {
    let _ = FORWARDING.try_with(|f| f.set(true));
    let mut reported = 0_u64;
    let mut last_report: Option<Instant> = None;
    loop {
        match shared.queue.pop(TICK) {
            Some(record) => forward(&shared, &record),
            // Nothing queued and no `LogBridge` or `LogLayer` left to queue
            // more: the thread's work is done.
            None if Arc::strong_count(&shared) == 1 => return,
            None => {}
        }
        let dropped = shared.queue.dropped();
        let due = last_report.is_none_or(|at| at.elapsed() >= REPORT_EVERY);
        if dropped > reported && due {
            let message = format!(
                "crochet log bridge: {} records dropped because the queue was full \
                 ({} in all); raise LogBridge capacity, lower the log level, or use a faster logger",
                dropped - reported,
                dropped
            );
            forward(
                &shared,
                &OwnedRecord {
                    level: log::Level::Warn,
                    target: "crochet::log_bridge".to_owned(),
                    module_path: Some(module_path!()),
                    file: Some(file!()),
                    line: Some(line!()),
                    text: message,
                },
            );
            reported = dropped;
            last_report = Some(Instant::now());
        }
    }
}

fn forward(shared: &Shared, record: &OwnedRecord) {
    let logged = failure::catch(|| {
        log::logger().log(
            &log::Record::builder()
                .level(record.level)
                .target(&record.target)
                .module_path_static(record.module_path)
                .file_static(record.file)
                .line(record.line)
                .args(format_args!("{}", record.text))
                .build(),
        );
    });
    if logged.is_err() {
        // The logger panicked: this record is lost, the bridge lives on.
        shared.logger_panics.inc();
    }
}
