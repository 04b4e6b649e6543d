//! What an operator sees of a running instance: logs and metrics.
//!
//! - [`init`]: logs through `tracing`; `RUST_LOG` filters them, `LOG_FORMAT` picks human-readable
//!   lines (`text`, the default) or one JSON object per line (`json`) for a log collector.
//! - [`metrics`]: the process's metrics recorder, the name of every metric, and
//!   `GET /metrics` (Prometheus text format) with who may read it.
//! - [`http`]: requests by route and status, and their latency.

pub mod http;
pub mod metrics;

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use super::config::LogFormat;

/// Installs the process's log subscriber, writing to stdout.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,marquee=debug,tower_http=info,sqlx=warn"));
    // `try_init`: tests start several applications in one process; only the first installs.
    let _ = subscriber(format, filter, std::io::stdout).try_init();
}

/// The log subscriber for `format`, writing through `writer`.
fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(logs.finish()),
        // An event's fields at the top level (`"message"`, `"showtime"`, …) next to
        // `timestamp`, `level`, `target`, and the spans it happened in.
        LogFormat::Json => Box::new(logs.json().flatten_event(true).finish()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log output collected in memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn log_one(format: LogFormat) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let logs = subscriber(format, EnvFilter::new("info"), move || writer.clone());
        tracing::subscriber::with_default(logs, || {
            let span = tracing::info_span!("purchase", showtime = 17);
            let _entered = span.enter();
            tracing::warn!(seats = 2, "payment processor did not answer in time");
        });
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn json_logs_are_one_object_per_line_with_the_fields_at_the_top() {
        let output = log_one(LogFormat::Json);
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 1, "{output}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "payment processor did not answer in time");
        assert_eq!(line["seats"], 2);
        assert_eq!(line["span"]["showtime"], 17);
        assert!(line["timestamp"].is_string());
    }

    #[test]
    fn text_logs_stay_the_default_format() {
        let output = log_one(LogFormat::Text);
        assert!(serde_json::from_str::<serde_json::Value>(output.trim()).is_err());
        assert!(output.contains("WARN"), "{output}");
        assert!(output.contains("payment processor did not answer in time"));
    }
}
