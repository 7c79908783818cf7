//! Log lines on stderr (SPEC §2): each with a UTC timestamp, as text or as
//! one JSON object per line (`ts`, `level`, `msg`, then the event's fields).
//!
//! A small `tracing` layer rather than tracing-subscriber's `fmt`: the JSON
//! keys are the spec's, and a closed stderr must never stop a run (write
//! errors are ignored here; `fmt` would do the same, but its JSON nests the
//! message under `fields`).
//!
//! Every line carries the run's id once [`set_run_id`] named it; the run's
//! final line ([`FINAL`]) is written at any verbosity; text lines escape
//! control characters, so a name with a line break cannot forge a line.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `<ts> <LEVEL> <msg> key=value …`.
    #[default]
    Text,
    /// One JSON object per line: `ts`, `level`, `msg`, then the event's fields.
    Json,
}

/// Formats events as lines and writes them to stderr.
pub struct StderrLayer {
    /// Text or JSON.
    pub format: LogFormat,
    /// The most verbose level written (INFO, or WARN with `--quiet`).
    pub max_level: Level,
}

/// The target of the run's final line, written even under `--quiet`.
pub const FINAL: &str = "residence::final";

static RUN_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the process's run: from now on every line carries `run_id`.
pub fn set_run_id(run_id: &str) {
    let _ = RUN_ID.set(run_id.to_owned());
}

/// Control characters as escapes (`\n`, `\u{1b}`), the rest as it is.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.into()
}

/// Installs the layer for the process.
pub fn init(format: LogFormat, max_level: Level) {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(StderrLayer { format, max_level });
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// An event's message and fields, as text.
#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(&'static str, serde_json::Value)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        self.record_text(field, text);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields.push((field.name(), value.into()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields.push((field.name(), value.into()));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.fields.push((field.name(), value.into()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields.push((field.name(), value.into()));
    }
}

impl Fields {
    fn record_text(&mut self, field: &Field, text: String) {
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.push((field.name(), text.into()));
        }
    }
}

/// One log line, with its line break.
pub fn format_line(
    format: LogFormat,
    ts: chrono::DateTime<chrono::Utc>,
    level: Level,
    message: &str,
    fields: &[(&str, serde_json::Value)],
) -> String {
    let ts = ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match format {
        LogFormat::Json => {
            let mut object = serde_json::Map::new();
            object.insert("ts".into(), ts.into());
            object.insert("level".into(), level.as_str().into());
            object.insert("msg".into(), message.into());
            for (k, v) in fields {
                object.insert((*k).to_owned(), v.clone());
            }
            let mut line = serde_json::Value::Object(object).to_string();
            line.push('\n');
            line
        }
        LogFormat::Text => {
            let message = escape_controls(message);
            let mut line = format!("{ts} {:<5} {message}", level.as_str());
            for (k, v) in fields {
                match v {
                    serde_json::Value::String(s) if !s.contains([' ', '"']) && !s.is_empty() => {
                        let _ = write!(line, " {k}={}", escape_controls(s));
                    }
                    v => {
                        let _ = write!(line, " {k}={v}");
                    }
                }
            }
            line.push('\n');
            line
        }
    }
}

impl<S: Subscriber> Layer<S> for StderrLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *metadata.level() <= self.max_level || metadata.target() == FINAL
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(id) = RUN_ID.get()
            && !fields.fields.iter().any(|(k, _)| *k == "run_id")
        {
            fields.fields.insert(0, ("run_id", id.as_str().into()));
        }
        let line = format_line(
            self.format,
            chrono::Utc::now(),
            *event.metadata().level(),
            &fields.message,
            &fields.fields,
        );
        // A closed stderr must not turn a run into a crash.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-28T02:30:00.5Z")
            .unwrap()
            .into()
    }

    #[test]
    fn text_lines() {
        let line = format_line(
            LogFormat::Text,
            ts(),
            Level::WARN,
            "source lease: folder absent",
            &[
                ("run_id", "r1".into()),
                ("note", "two words".into()),
                ("n", 3.into()),
            ],
        );
        assert_eq!(
            line,
            "2026-11-28T02:30:00.500Z WARN  source lease: folder absent run_id=r1 note=\"two words\" n=3\n"
        );
    }

    #[test]
    fn json_lines() {
        let line = format_line(
            LogFormat::Json,
            ts(),
            Level::INFO,
            "run \"x\"",
            &[("rows", 7.into())],
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ts"], "2026-11-28T02:30:00.500Z");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["msg"], "run \"x\"");
        assert_eq!(v["rows"], 7);
        assert!(line.ends_with("}\n"));
    }

    #[test]
    fn text_lines_escape_control_characters() {
        let line = format_line(
            LogFormat::Text,
            ts(),
            Level::WARN,
            "lease/a\n2026-11-28T02:30:00Z ERROR forged.csv: empty",
            &[("file", "a\u{1b}[31m.csv".into())],
        );
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert!(line.contains("lease/a\\n2026"), "{line}");
        assert!(line.contains("file=a\\u{1b}[31m.csv"), "{line}");
    }
}
