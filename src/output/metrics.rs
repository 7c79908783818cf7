//! `--metrics-file`: Prometheus text-format metrics of the last run (SPEC §8),
//! for node_exporter's textfile collector. Written atomically (a temp file
//! renamed over the old one), world-readable, with no ID numbers.

use std::fmt::Write as _;
use std::path::Path;

/// What one run reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunMetrics {
    /// When the run ended, in Unix seconds.
    pub ended: f64,
    /// How long the run took, in seconds.
    pub duration_seconds: f64,
    /// The process's exit code (SPEC §2).
    pub exit_code: i32,
    /// The run published (or kept, with `--publish never`) a complete night.
    pub succeeded: bool,
    /// (source, outcome, rows): outcome is accepted, filtered or rejected.
    pub rows: Vec<(String, &'static str, u64)>,
    /// (city, status, basis, persons).
    pub persons: Vec<(String, String, String, u64)>,
    /// Every gate check of the night: (check, subject, failed). The subject
    /// is a source, or a city's code for `eligible_drift`.
    pub gate_checks: Vec<(String, String, bool)>,
    /// Per source, days from its latest evidence to the as-of date.
    pub staleness_days: Vec<(String, i64)>,
    /// When the published run ended (its manifest's time), the last success
    /// to report when there is no earlier metrics file to carry it over from.
    pub published_success: Option<f64>,
}

const LAST_SUCCESS: &str = "residence_last_success_timestamp_seconds";

/// The last success recorded in an earlier metrics file, to carry over
/// (0, written when none was known, is none).
pub fn last_success(previous: &str) -> Option<f64> {
    previous.lines().find_map(|line| {
        let value = line.strip_prefix(LAST_SUCCESS)?.strip_prefix(' ')?;
        value.trim().parse().ok().filter(|t: &f64| *t > 0.0)
    })
}

/// Escapes a label value (backslash, quote, line feed).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The metrics text. `last_success` is this run's end when it succeeded,
/// else the one carried over from the previous file (absent: not written).
pub fn render(m: &RunMetrics, last_success: Option<f64>) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let one = |v: f64| vec![(String::new(), v)];
    gauge(
        "residence_last_run_timestamp_seconds",
        "Unix time the last run ended, whatever its outcome.",
        &one(m.ended),
    );
    // 0 when no run is known to have succeeded: the "no success for 26
    // hours" alert then fires on a first night that fails, too.
    gauge(
        LAST_SUCCESS,
        "Unix time the last successful run ended (0: none known).",
        &one(last_success.unwrap_or(0.0)),
    );
    gauge(
        "residence_run_duration_seconds",
        "Wall time of the last run.",
        &one(m.duration_seconds),
    );
    gauge(
        "residence_last_exit_code",
        "Exit code of the last run (0 success, 1 failure, 2 usage or input error, 3 quality gate, 130/143 interrupted).",
        &one(f64::from(m.exit_code)),
    );
    let rows: Vec<(String, f64)> = m
        .rows
        .iter()
        .map(|(source, outcome, n)| {
            (
                format!("{{source=\"{}\",outcome=\"{outcome}\"}}", label(source)),
                *n as f64,
            )
        })
        .collect();
    gauge(
        "residence_rows",
        "Input rows of the last run by source and outcome.",
        &rows,
    );
    let persons: Vec<(String, f64)> = m
        .persons
        .iter()
        .map(|(city, status, basis, n)| {
            (
                format!(
                    "{{city=\"{}\",status=\"{}\",basis=\"{}\"}}",
                    label(city),
                    label(status),
                    label(basis)
                ),
                *n as f64,
            )
        })
        .collect();
    gauge(
        "residence_persons",
        "Decisions of the last run by city, status and basis.",
        &persons,
    );
    let checks: Vec<(String, f64)> = m
        .gate_checks
        .iter()
        .map(|(check, subject, failed)| {
            (
                format!(
                    "{{check=\"{}\",source=\"{}\"}}",
                    label(check),
                    label(subject)
                ),
                if *failed { 1.0 } else { 0.0 },
            )
        })
        .collect();
    gauge(
        "residence_gate_check",
        "Quality-gate checks of the last run: 1 failed, 0 passed (source: a source, or a city for eligible_drift).",
        &checks,
    );
    let stale: Vec<(String, f64)> = m
        .staleness_days
        .iter()
        .map(|(source, days)| (format!("{{source=\"{}\"}}", label(source)), *days as f64))
        .collect();
    gauge(
        "residence_source_staleness_days",
        "Days from a source's latest evidence to the as-of date of the last run.",
        &stale,
    );
    gauge(
        "residence_build_info",
        "The residence build that wrote these metrics (always 1).",
        &[(
            format!("{{version=\"{}\"}}", env!("CARGO_PKG_VERSION")),
            1.0,
        )],
    );
    out
}

/// Writes the metrics to `path` atomically (temp file in the same folder,
/// then rename), mode 0644, carrying the last success over from the file
/// being replaced when this run did not succeed.
pub fn write(path: &Path, m: &RunMetrics) -> std::io::Result<()> {
    let last = if m.succeeded {
        Some(m.ended)
    } else {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| last_success(&t))
            .or(m.published_success)
    };
    let text = render(m, last);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // In the same folder, so the rename cannot cross file systems; removed
    // if anything fails before it.
    let mut tmp = tempfile::Builder::new()
        .prefix(".residence-metrics-")
        .tempfile_in(dir)?;
    use std::io::Write;
    tmp.write_all(text.as_bytes())?;
    // Metrics are for a collector, whatever the umask (SPEC §2: 0644).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(succeeded: bool, ended: f64) -> RunMetrics {
        RunMetrics {
            ended,
            duration_seconds: 2.5,
            exit_code: if succeeded { 0 } else { 3 },
            succeeded,
            rows: vec![("lease".into(), "accepted", 10)],
            persons: vec![("350500".into(), "eligible".into(), "evidence".into(), 7)],
            gate_checks: vec![
                ("rejects".into(), "lease".into(), !succeeded),
                ("completeness".into(), "lease".into(), false),
            ],
            staleness_days: vec![("lease".into(), 12)],
            published_success: None,
        }
    }

    #[test]
    fn renders_prometheus_text() {
        let text = render(&sample(true, 100.0), Some(100.0));
        assert!(text.contains("residence_last_run_timestamp_seconds 100\n"));
        assert!(text.contains("residence_last_success_timestamp_seconds 100\n"));
        assert!(text.contains("residence_rows{source=\"lease\",outcome=\"accepted\"} 10\n"));
        assert!(text.contains(
            "residence_persons{city=\"350500\",status=\"eligible\",basis=\"evidence\"} 7\n"
        ));
        assert!(text.contains("# TYPE residence_last_exit_code gauge\n"));
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
    }

    #[test]
    fn a_failed_run_carries_the_last_success_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("residence.prom");
        write(&path, &sample(true, 100.0)).unwrap();
        write(&path, &sample(false, 200.0)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(last_success(&text), Some(100.0));
        assert!(text.contains("residence_last_run_timestamp_seconds 200\n"));
        assert!(text.contains("residence_last_exit_code 3\n"));
        assert!(text.contains("residence_gate_check{check=\"rejects\",source=\"lease\"} 1\n"));
        assert!(text.contains("residence_gate_check{check=\"completeness\",source=\"lease\"} 0\n"));
        assert!(text.contains("residence_source_staleness_days{source=\"lease\"} 12\n"));
        assert!(text.contains("residence_build_info{version=\""));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        // Only the metrics file is left: the temp file was renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_first_failing_night_takes_the_last_success_from_the_published_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("residence.prom");
        let mut m = sample(false, 200.0);
        write(&path, &m).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("residence_last_success_timestamp_seconds 0\n"),
            "{text}"
        );
        assert_eq!(last_success(&text), None, "0 is no success to carry over");
        std::fs::remove_file(&path).unwrap();
        m.published_success = Some(150.0);
        write(&path, &m).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(last_success(&text), Some(150.0));
    }
}
