//! The `tracing` layer: turns each event into an [`OwnedRecord`] on the
//! emitting thread (cheap, never blocks under the default policy) and queues
//! it for the `crochet-log` thread.

use std::cell::Cell;
use std::sync::Arc;

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::Shared;
use super::record::{FieldWriter, OwnedRecord, level};

thread_local! {
    /// Set on the `crochet-log` thread while it calls the logger: a logger
    /// that itself emits `tracing` events (say, through `tracing-log`) must
    /// not feed the bridge again.
    pub(super) static FORWARDING: Cell<bool> = const { Cell::new(false) };
}

/// The `tracing_subscriber::Layer` half of a [`LogBridge`](super::LogBridge):
/// add it to your subscriber, filter it as you like. Obtained from
/// [`LogBridge::layer`](super::LogBridge::layer).
///
/// # Examples
///
/// ```
/// use tracing_subscriber::prelude::*;
/// use tracing_subscriber::filter::{LevelFilter, Targets};
///
/// let bridge = crochet_core::LogBridge::builder().build()?;
/// // Quiet noisy async crates, keep everything else at INFO.
/// let filter = Targets::new()
///     .with_target("hyper", LevelFilter::WARN)
///     .with_default(LevelFilter::INFO);
/// let subscriber = tracing_subscriber::registry().with(bridge.layer().with_filter(filter));
/// # drop(subscriber);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogLayer {
    pub(super) shared: Arc<Shared>,
}

/// A span's fields, formatted once when the span is created.
struct SpanFields(String);

impl<S> tracing_subscriber::Layer<S> for LogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        // Everything `log` would throw away anyway is not even formatted.
        level(metadata.level()) <= log::max_level()
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut writer = FieldWriter::default();
        attrs.record(&mut writer);
        span.extensions_mut().insert(SpanFields(writer.into_text()));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut writer = FieldWriter::default();
        values.record(&mut writer);
        let more = writer.into_text();
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(SpanFields(fields)) if !fields.is_empty() => {
                fields.push(' ');
                fields.push_str(&more);
            }
            Some(SpanFields(fields)) => *fields = more,
            None => extensions.insert(SpanFields(more)),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if FORWARDING.try_with(Cell::get).unwrap_or(true) {
            return;
        }
        let mut text = String::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                text.push_str(span.name());
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>()
                    && !fields.is_empty()
                {
                    text.push('{');
                    text.push_str(fields);
                    text.push('}');
                }
                text.push(':');
            }
            if !text.is_empty() {
                text.push(' ');
            }
        }
        let mut writer = FieldWriter::default();
        event.record(&mut writer);
        text.push_str(&writer.into_text());
        let metadata = event.metadata();
        self.shared.queue.push(
            OwnedRecord {
                level: level(metadata.level()),
                target: metadata.target().to_owned(),
                module_path: metadata.module_path(),
                file: metadata.file(),
                line: metadata.line(),
                text,
            },
            self.shared.overflow,
        );
    }
}
