//! Resident memory and threads of this process during a load run, for the
//! loopback load benches (`http_load`, `actix_load`, `rocket_load`), which
//! run each server in turn in one process.
//!
//! The peak is measured per server: a [`Window`] notes the resident set
//! (`VmRSS`) before the run, resets the kernel's high-water mark (`VmHWM`,
//! through `/proc/self/clear_refs`, Linux 4.0 and later; see
//! [`reset_peak`]) and starts a [`Sampler`] that polls `VmRSS`, the thread
//! count and an optional gauge every 10 ms. When the run is over,
//! [`Window::finish`] reads `VmHWM` back: the peak of this run alone, not of
//! the servers measured before it. Where the reset is not allowed the peak
//! is the sampled one ([`Peak::exact`] is false).
//!
//! Everything reads `/proc/self/status`; elsewhere than on Linux the
//! figures are 0. Nothing here prints.
//!
//! # Examples
//!
//! ```
//! use crochet_tests::memory::{self, Window};
//!
//! let window = Window::start();
//! let buffer = vec![1_u8; 8 << 20]; // the run: touches 8 MiB
//! let peak = window.finish();
//! drop(buffer);
//! if memory::status_field("VmRSS").is_some() {
//!     // On Linux: the peak includes the 8 MiB touched during the run.
//!     assert!(peak.peak_kib >= peak.before_kib);
//!     assert!(peak.threads >= 1);
//! }
//! println!("peak RSS {} ({} threads)", peak.peak_text(), peak.threads);
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often the [`Sampler`] polls.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// The longest a [`Sampler`] runs if never finished.
pub const SAMPLE_AT_MOST: Duration = Duration::from_secs(60);

/// The number in the field `name` of `/proc/self/status` (`"VmRSS"`,
/// `"VmHWM"` in KiB, `"Threads"`); `None` if there is no such field or
/// file.
///
/// # Examples
///
/// ```
/// if let Some(threads) = crochet_tests::memory::status_field("Threads") {
///     assert!(threads >= 1);
/// }
/// ```
pub fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// The text of the field `name` of `/proc/self/status`, trimmed (e.g.
/// `"Cpus_allowed_list"`, `"0-1"`); `"?"` if there is no such field.
pub fn status_text(name: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                Some(
                    line.strip_prefix(name)?
                        .strip_prefix(':')?
                        .trim()
                        .to_string(),
                )
            })
        })
        .unwrap_or_else(|| "?".to_string())
}

/// Resets this process's `VmHWM` to its current `VmRSS` (writes `5` to
/// `/proc/self/clear_refs`, Linux 4.0 and later); false if the kernel
/// refused or there is no such file.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `kib` KiB as MiB with one decimal, for a table: `"27.8 MiB"`.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// What a [`Sampler`] saw.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sampled {
    /// The largest `VmRSS` sampled, KiB.
    pub rss_kib: u64,
    /// The largest thread count sampled.
    pub threads: u64,
    /// The mean of the gauge over the samples (0 without a gauge).
    pub gauge_mean: f64,
    /// The largest value of the gauge sampled (0 without a gauge).
    pub gauge_max: usize,
}

/// Samples `VmRSS`, the thread count and an optional gauge every
/// [`SAMPLE_EVERY`] on a thread of its own, until [`finish`](Sampler::finish)ed
/// (at most [`SAMPLE_AT_MOST`]).
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Sampled>,
}

impl Sampler {
    /// Starts sampling `VmRSS` and the thread count.
    pub fn start() -> Self {
        Self::spawn(None)
    }

    /// Starts sampling `VmRSS`, the thread count and `gauge` (e.g. how many
    /// handler bodies are running: its mean and peak over the run).
    pub fn with_gauge(gauge: impl Fn() -> usize + Send + 'static) -> Self {
        Self::spawn(Some(Box::new(gauge)))
    }

    fn spawn(gauge: Option<Box<dyn Fn() -> usize + Send>>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let mut sampled = Sampled::default();
            let (mut sum, mut samples) = (0usize, 0usize);
            let until = Instant::now() + SAMPLE_AT_MOST;
            while !flag.load(Ordering::SeqCst) && Instant::now() < until {
                sampled.rss_kib = sampled.rss_kib.max(status_field("VmRSS").unwrap_or(0));
                sampled.threads = sampled.threads.max(status_field("Threads").unwrap_or(0));
                if let Some(gauge) = &gauge {
                    let value = gauge();
                    sampled.gauge_max = sampled.gauge_max.max(value);
                    sum += value;
                }
                samples += 1;
                thread::sleep(SAMPLE_EVERY);
            }
            sampled.gauge_mean = sum as f64 / samples.max(1) as f64;
            sampled
        });
        Sampler { stop, thread }
    }

    /// Stops sampling; what was seen.
    pub fn finish(self) -> Sampled {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap_or_default()
    }
}

/// The memory and threads of one measured run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Peak {
    /// `VmRSS` just before the run, KiB.
    pub before_kib: u64,
    /// The peak resident set during the run, KiB: `VmHWM` after the reset
    /// (or the sampled `VmRSS`, if larger), or only the sampled peak when
    /// the reset failed.
    pub peak_kib: u64,
    /// Whether `VmHWM` was reset before the run (the peak is the kernel's,
    /// not only sampled every 10 ms).
    pub exact: bool,
    /// The largest thread count sampled.
    pub threads: u64,
    /// The sampler's gauge (see [`Sampler::with_gauge`]).
    pub gauge_mean: f64,
    /// The sampler's gauge, its largest value.
    pub gauge_max: usize,
}

impl Peak {
    /// How much the resident set grew during the run, KiB: the peak less
    /// the resident set before it. Memory earlier runs in this process
    /// freed but the allocator kept is counted in
    /// [`before_kib`](Peak::before_kib), and a run that reuses it does not
    /// grow: the growth is a lower bound of the run's own footprint, the
    /// peak an upper bound.
    pub fn growth_kib(&self) -> u64 {
        self.peak_kib.saturating_sub(self.before_kib)
    }

    /// The peak for a table: `"27.8 MiB"`, with `" (sampled)"` when it is
    /// not [`exact`](Peak::exact).
    pub fn peak_text(&self) -> String {
        if self.exact {
            mib(self.peak_kib)
        } else {
            format!("{} (sampled)", mib(self.peak_kib))
        }
    }
}

/// One measured run: started just before it (notes `VmRSS`, resets
/// `VmHWM`, starts a [`Sampler`]), [`finish`](Window::finish)ed just after.
#[derive(Debug)]
pub struct Window {
    before_kib: u64,
    exact: bool,
    sampler: Sampler,
}

impl Window {
    /// Opens a window sampling `VmRSS` and the thread count.
    pub fn start() -> Self {
        Self::open(Sampler::start)
    }

    /// Opens a window that also samples `gauge` (see
    /// [`Sampler::with_gauge`]).
    pub fn with_gauge(gauge: impl Fn() -> usize + Send + 'static) -> Self {
        Self::open(move || Sampler::with_gauge(gauge))
    }

    fn open(sampler: impl FnOnce() -> Sampler) -> Self {
        let before_kib = status_field("VmRSS").unwrap_or(0);
        let exact = reset_peak();
        Window {
            before_kib,
            exact,
            sampler: sampler(),
        }
    }

    /// Closes the window: the run's peak.
    pub fn finish(self) -> Peak {
        let sampled = self.sampler.finish();
        let peak_kib = if self.exact {
            status_field("VmHWM").unwrap_or(0).max(sampled.rss_kib)
        } else {
            sampled.rss_kib
        };
        Peak {
            before_kib: self.before_kib,
            peak_kib,
            exact: self.exact,
            threads: sampled.threads,
            gauge_mean: sampled.gauge_mean,
            gauge_max: sampled.gauge_max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_mib() {
        assert_eq!(mib(0), "0.0 MiB");
        assert_eq!(mib(28467), "27.8 MiB");
        let peak = Peak {
            peak_kib: 1024,
            exact: false,
            ..Peak::default()
        };
        assert_eq!(peak.peak_text(), "1.0 MiB (sampled)");
        let grew = Peak {
            before_kib: 1024,
            peak_kib: 3072,
            ..Peak::default()
        };
        assert_eq!(grew.growth_kib(), 2048);
        assert_eq!(Peak::default().growth_kib(), 0);
    }

    #[test]
    fn samples_a_gauge() {
        let window = Window::with_gauge(|| 3);
        thread::sleep(Duration::from_millis(30));
        let peak = window.finish();
        assert_eq!(peak.gauge_max, 3);
        assert!((peak.gauge_mean - 3.0).abs() < 1e-9);
        if status_field("VmRSS").is_some() {
            assert!(peak.peak_kib > 0);
            assert!(peak.threads >= 2, "the sampler's own thread counts");
        }
    }
}
