//! The log bridge: `tracing` events from async code (tokio, hyper, your
//! futures) forwarded to the `log` facade on a dedicated `crochet-log`
//! thread, so that a blocking logger never stalls the reactor.
//!
//! Python Crochet hooks Twisted's logging up to the standard library's
//! `logging` on a thread of its own, for the same reason. See
//! [`LogBridge`].

mod layer;
mod queue;
mod record;
mod worker;

use std::io;
use std::sync::Arc;
use std::time::Duration;

pub use self::layer::LogLayer;
use self::queue::Queue;
use crate::stats::Counter;

/// What the bridge does with an event when its queue is full.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::{LogBridge, Overflow};
///
/// let lossless = LogBridge::builder()
///     .overflow(Overflow::Wait(Duration::from_millis(50)))
///     .build()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overflow {
    /// Drop the event and count it (the default): the emitting thread, a
    /// reactor thread perhaps, never waits for the logger. The count is in
    /// [`LogBridge::dropped`] and [`Stats::log_records_dropped`](crate::Stats),
    /// and the bridge logs a warning about it at most every 10 seconds.
    Drop,
    /// Make the emitting thread wait for room, at most this long, then drop
    /// and count. Loses fewer records, at the price of stalling whatever
    /// thread logs, reactor threads included.
    Wait(Duration),
}

#[derive(Debug)]
struct Shared {
    queue: Queue,
    overflow: Overflow,
    logger_panics: Counter,
}

/// Forwards `tracing` events to the `log` facade on a dedicated
/// `crochet-log` thread, through a bounded queue.
///
/// Build one, then either let Crochet install it
/// ([`install_global`](LogBridge::install_global), or
/// [`Builder::install_log_bridge`](crate::Builder::install_log_bridge)), or
/// add its [`layer`](LogBridge::layer) to a subscriber of your own. Attach
/// it to a reactor ([`Builder::log_bridge`](crate::Builder::log_bridge)) so
/// that the reactor's shutdown flushes it within the grace period.
///
/// Each record carries the event's level, target, module, file and line;
/// its text is `span{fields}:...: message field=value ...`. Events below
/// `log::max_level()` are not even formatted. A logger that panics loses
/// that one record; the bridge thread carries on.
///
/// The other direction (`log` records from blocking code into a `tracing`
/// subscriber) is the `tracing-log` crate's `LogTracer`; events it
/// re-emits on the bridge's own thread are ignored, so the two never loop.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let bridge = crochet_core::LogBridge::builder().capacity(1024).build()?;
/// let reactor = crochet_core::Reactor::builder()
///     .worker_threads(1)
///     .log_bridge(bridge.clone())
///     .build()?;
/// // ... install bridge.layer() in your subscriber, or bridge.install_global() ...
/// assert!(bridge.flush(Duration::from_secs(1)));
/// assert_eq!(reactor.stats().log_records_dropped, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogBridge {
    shared: Arc<Shared>,
}

/// Configures a [`LogBridge`].
///
/// | setting | default |
/// |---|---|
/// | [`capacity`](LogBridgeBuilder::capacity) | 4096 records |
/// | [`overflow`](LogBridgeBuilder::overflow) | [`Overflow::Drop`] |
///
/// # Examples
///
/// ```
/// let bridge = crochet_core::LogBridge::builder().capacity(100).build()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a LogBridgeBuilder does nothing until build()"]
pub struct LogBridgeBuilder {
    capacity: usize,
    overflow: Overflow,
}

impl LogBridgeBuilder {
    /// Most records waiting for the logger at once (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder().capacity(16).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// What happens to an event when the queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder()
    ///     .overflow(crochet_core::Overflow::Drop)
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Starts the `crochet-log` thread.
    ///
    /// # Errors
    ///
    /// The operating system's reason if the thread cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(self) -> io::Result<LogBridge> {
        let shared = Arc::new(Shared {
            queue: Queue::new(self.capacity),
            overflow: self.overflow,
            logger_panics: Counter::default(),
        });
        let worker = shared.clone();
        std::thread::Builder::new()
            .name("crochet-log".to_owned())
            .spawn(move || worker::run(worker))?;
        Ok(LogBridge { shared })
    }
}

impl LogBridge {
    /// A builder with the defaults in [`LogBridgeBuilder`]'s table.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> LogBridgeBuilder {
        LogBridgeBuilder {
            capacity: 4096,
            overflow: Overflow::Drop,
        }
    }

    /// The `tracing` layer that feeds this bridge.
    ///
    /// # Examples
    ///
    /// ```
    /// use tracing_subscriber::prelude::*;
    ///
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// let subscriber = tracing_subscriber::registry().with(bridge.layer());
    /// tracing::subscriber::with_default(subscriber, || tracing::info!("to log"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn layer(&self) -> LogLayer {
        LogLayer {
            shared: self.shared.clone(),
        }
    }

    /// Installs `registry().with(self.layer())` as the process's global
    /// `tracing` subscriber.
    ///
    /// # Errors
    ///
    /// When a global subscriber is already installed, it is left in place
    /// and this returns an error; add [`layer`](LogBridge::layer) to that
    /// subscriber instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// bridge.install_global()?;
    /// assert!(bridge.install_global().is_err()); // only one global subscriber
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn install_global(&self) -> Result<(), tracing::subscriber::SetGlobalDefaultError> {
        use tracing_subscriber::layer::SubscriberExt;
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(self.layer()))
    }

    /// Waits until every record queued so far has been handed to the
    /// logger (and `log::logger().flush()` has run), at most `timeout`.
    /// True when everything made it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// assert!(bridge.flush(Duration::from_secs(1)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn flush(&self, timeout: Duration) -> bool {
        let drained = self.shared.queue.flush(timeout);
        if drained {
            let _ = crate::failure::catch(|| log::logger().flush());
        }
        drained
    }

    /// Records dropped because the queue was full (or the bridge closed).
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// assert_eq!(bridge.dropped(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn dropped(&self) -> u64 {
        self.shared.queue.dropped()
    }

    /// Records waiting for the logger now.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// assert_eq!(bridge.queued(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn queued(&self) -> usize {
        self.shared.queue.len()
    }

    /// Records lost because the logger panicked on them.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = crochet_core::LogBridge::builder().build()?;
    /// assert_eq!(bridge.logger_panics(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn logger_panics(&self) -> u64 {
        self.shared.logger_panics.get()
    }
}
