//! A `tracing` event turned into owned data, ready to cross to the
//! `crochet-log` thread and become a `log::Record` there.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};

/// Everything `log::Record` needs, owned.
#[derive(Debug)]
pub(super) struct OwnedRecord {
    pub(super) level: log::Level,
    pub(super) target: String,
    pub(super) module_path: Option<&'static str>,
    pub(super) file: Option<&'static str>,
    pub(super) line: Option<u32>,
    /// `span{fields}:span{fields}: message key=value ...`
    pub(super) text: String,
}

impl OwnedRecord {
    #[cfg(test)]
    pub(super) fn for_test(text: &str) -> Self {
        OwnedRecord {
            level: log::Level::Info,
            target: "test".to_owned(),
            module_path: None,
            file: None,
            line: None,
            text: text.to_owned(),
        }
    }
}

pub(super) fn level(level: &tracing::Level) -> log::Level {
    match *level {
        tracing::Level::ERROR => log::Level::Error,
        tracing::Level::WARN => log::Level::Warn,
        tracing::Level::INFO => log::Level::Info,
        tracing::Level::DEBUG => log::Level::Debug,
        _ => log::Level::Trace,
    }
}

/// Writes an event's or span's fields: the `message` field first and bare,
/// the others as `name=value`.
#[derive(Default)]
pub(super) struct FieldWriter {
    pub(super) message: String,
    pub(super) fields: String,
}

impl FieldWriter {
    fn field(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if field.name() == "message" {
            let _ = self.message.write_fmt(value);
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={}", field.name(), value);
        }
    }

    /// `message key=value ...`
    pub(super) fn into_text(self) -> String {
        match (self.message.is_empty(), self.fields.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.fields,
            (false, false) => format!("{} {}", self.message, self.fields),
        }
    }
}

impl Visit for FieldWriter {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, format_args!("{value:?}"));
    }
}
