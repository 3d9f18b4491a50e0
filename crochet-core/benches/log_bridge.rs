//! Reactor-side cost of one `tracing` event: through Crochet's log bridge
//! (format + enqueue; a `log` logger writing to a file runs on the
//! `crochet-log` thread) vs tracing-subscriber's `fmt` layer writing to the
//! same kind of file on the emitting thread.
//!
//! `cargo bench -p crochet-core --bench log_bridge`
#![allow(clippy::print_stdout)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Mutex;

use criterion::{Criterion, criterion_group, criterion_main};
use crochet_core::LogBridge;
use tracing_subscriber::layer::SubscriberExt;

/// A `log` logger appending to a file, the way a blocking app's logger
/// would.
struct FileLogger(Mutex<BufWriter<File>>);

impl log::Log for FileLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut file) = self.0.lock() {
            let _ = writeln!(
                file,
                "{} {} {}",
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {
        if let Ok(mut file) = self.0.lock() {
            let _ = file.flush();
        }
    }
}

fn temp_file(name: &str) -> File {
    let path =
        std::env::temp_dir().join(format!("crochet-bench-{name}-{}.log", std::process::id()));
    File::create(path).expect("temp file")
}

fn emit(i: u64) {
    tracing::info!(user = "ada", request = i, "request handled");
}

fn bench(c: &mut Criterion) {
    let logger: &'static FileLogger = Box::leak(Box::new(FileLogger(Mutex::new(BufWriter::new(
        temp_file("log"),
    )))));
    log::set_logger(logger).expect("first logger");
    log::set_max_level(log::LevelFilter::Info);

    let mut group = c.benchmark_group("log_event");

    let bridge = LogBridge::builder()
        .capacity(1 << 16)
        .build()
        .expect("bridge thread");
    let with_bridge = tracing_subscriber::registry().with(bridge.layer());
    tracing::subscriber::with_default(with_bridge, || {
        let mut i = 0;
        group.bench_function("crochet_bridge", |b| {
            b.iter(|| {
                i += 1;
                emit(i);
            });
        });
    });
    let _ = bridge.flush(std::time::Duration::from_secs(30));
    println!(
        "bridge: {} records dropped (queue full) during the run",
        bridge.dropped()
    );

    let file = Mutex::new(temp_file("fmt"));
    let with_fmt = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(file),
    );
    tracing::subscriber::with_default(with_fmt, || {
        let mut i = 0;
        group.bench_function("fmt_layer_to_file", |b| {
            b.iter(|| {
                i += 1;
                emit(i);
            });
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
