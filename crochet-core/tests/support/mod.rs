//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crochet_core::Reactor;

/// Upper bound for anything a test waits on: a hang guard, not a timing
/// assertion.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A fresh independent reactor with two threads.
pub fn reactor() -> Reactor {
    Reactor::builder()
        .worker_threads(2)
        .build()
        .expect("reactor threads start")
}

/// Counts drops: the proof that a cancelled or timed-out future ran its
/// destructor.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Sends `()` when dropped: lets a test wait for a drop on another thread.
pub struct SignalOnDrop(pub mpsc::Sender<()>);

impl Drop for SignalOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// A future that never finishes, and reports its first poll.
pub struct PendingForever {
    polled: Option<mpsc::Sender<()>>,
}

pub fn pending_forever() -> (PendingForever, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    (PendingForever { polled: Some(tx) }, rx)
}

impl Future for PendingForever {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if let Some(tx) = self.polled.take() {
            let _ = tx.send(());
        }
        Poll::Pending
    }
}

/// Polls `check` (a cheap state query, not a timing) until it holds, for at
/// most [`PATIENCE`]. For state that settles asynchronously, such as tokio
/// dropping an aborted task on a worker thread.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let give_up = Instant::now() + PATIENCE;
    while !check() {
        assert!(Instant::now() < give_up, "gave up waiting for: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `f` on another thread, failing the test if it does not finish
/// within [`PATIENCE`] (instead of hanging the suite).
pub fn within_patience<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(PATIENCE)
        .expect("the operation hung (or panicked)")
}

/// Records every `tracing` event: its message, fields and the names of the
/// spans it happened in (innermost last).
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<Event>>>);

#[derive(Debug, Clone)]
pub struct Event {
    pub level: tracing::Level,
    pub target: String,
    pub text: String,
    pub spans: Vec<String>,
}

impl Captured {
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }

    pub fn matching(&self, needle: &str) -> Vec<Event> {
        self.events()
            .into_iter()
            .filter(|e| e.text.contains(needle))
            .collect()
    }
}

struct Text<'a>(&'a mut String);

impl tracing::field::Visit for Text<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl<S> tracing_subscriber::Layer<S> for Captured
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        let mut text = String::new();
        event.record(&mut Text(&mut text));
        let spans = ctx
            .event_scope(event)
            .map(|scope| scope.from_root().map(|s| s.name().to_owned()).collect())
            .unwrap_or_default();
        self.0.lock().unwrap().push(Event {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            text,
            spans,
        });
    }
}

/// Installs a [`Captured`] layer as the process-wide subscriber (once per
/// test binary) and returns it.
pub fn capture_logs() -> Captured {
    use std::sync::OnceLock;
    use tracing_subscriber::layer::SubscriberExt;
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let subscriber = tracing_subscriber::registry().with(captured.clone());
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this test binary");
            captured
        })
        .clone()
}
