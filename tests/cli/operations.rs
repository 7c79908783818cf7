//! The nightly job: completeness and drift gates, publishing modes,
//! retention, metrics, logs and a closed stdout.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::support::*;

/// `OUT/latest`'s target, if any.
fn latest(out: &Path) -> Option<PathBuf> {
    std::fs::read_link(out.join("latest")).ok()
}

/// Run ids under `OUT/runs`, hidden entries included, sorted.
fn runs(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out.join("runs"))
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The gate's failures in a manifest as (check, subject).
fn failures(m: &Value) -> Vec<(String, String)> {
    m["gate"]["failures"]
        .as_array()
        .expect("gate failures")
        .iter()
        .map(|f| {
            (
                f["check"].as_str().expect("check").to_owned(),
                f["subject"].as_str().expect("subject").to_owned(),
            )
        })
        .collect()
}

/// The one run folder of a run that exited without publishing.
fn only_unpublished(out: &Path) -> PathBuf {
    let kept: Vec<String> = runs(out)
        .into_iter()
        .filter(|r| latest(out).is_none_or(|l| !l.ends_with(r)))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    out.join("runs").join(&kept[0])
}

#[test]
fn an_empty_feed_root_fails_completeness() {
    let tmp = tempdir();
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    std::fs::create_dir(&data).expect("mkdir");
    let o = run(&default_pipeline(), Some(&data), &out, &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    assert!(latest(&out).is_none(), "nothing published");
    let m = read_manifest(&only_unpublished(&out));
    assert_eq!(m["status"], "quality_gate_failed");
    assert_eq!(m["published"], false);
    let required = [
        "business_license",
        "employment_school",
        "labor_contract",
        "lease",
        "shopping",
        "social_insurance",
        "telecom",
        "utility",
    ];
    let want: Vec<(String, String)> = required
        .iter()
        .map(|s| ("completeness".to_owned(), (*s).to_owned()))
        .collect();
    assert_eq!(failures(&m), want);
    for s in required {
        let named = format!("completeness {s}: required source has no folder");
        assert!(o.stderr.contains(&named), "{named}\n{}", o.show());
    }
    // pledge and hukou are optional: absent, warned about, not failing.
    assert_eq!(m["sources"]["pledge"]["required"], false);
    assert_eq!(m["sources"]["pledge"]["present"], false);
    assert!(
        o.stderr.contains("source hukou: folder")
            && o.stderr
                .contains("the source is optional: skipped, and left out of the row drift check"),
        "{}",
        o.show()
    );
}

#[test]
fn a_night_without_its_lease_folder_keeps_latest() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    run_ok(&default_pipeline(), None, &out, &[]);
    let before = latest(&out);
    let data = tmp.path().join("data");
    sample_copy(&data);
    std::fs::remove_dir_all(data.join("lease")).expect("rm lease");
    let o = run(&default_pipeline(), Some(&data), &out, &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    assert!(
        o.stderr
            .contains("completeness lease: required source has no folder"),
        "{}",
        o.show()
    );
    assert_eq!(latest(&out), before, "latest untouched");
    // A lease folder without rows fails the same check.
    std::fs::create_dir(data.join("lease")).expect("mkdir");
    std::fs::write(data.join("lease/empty.csv"), "").expect("0-byte file");
    let o = run(&default_pipeline(), Some(&data), &out, &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    assert!(
        o.stderr
            .contains("completeness lease: required source has no rows"),
        "{}",
        o.show()
    );
    assert_eq!(latest(&out), before, "latest untouched");
}

/// The default pipeline with `min_months` raised: a misconfiguration that
/// turns eligible people pending overnight.
fn stricter_pipeline(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(default_pipeline())
        .expect("pipeline")
        .replace("min_months = 6", "min_months = 12")
        .replace(
            "data_dir = \"../sample-data\"",
            &format!("data_dir = \"{}\"", root().join("sample-data").display()),
        )
        .replace(
            "gazetteer = \"../sample-data/divisions.csv\"",
            &format!(
                "gazetteer = \"{}\"",
                root().join("sample-data/divisions.csv").display()
            ),
        );
    let path = dir.join("stricter.toml");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn drift_against_the_published_night_fails_unless_allowed() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let first = run_ok(&default_pipeline(), None, &out, &[]);
    let first_id = first
        .file_name()
        .expect("id")
        .to_string_lossy()
        .into_owned();

    // Rows: utility without electricity.csv falls from 120 rows to 49.
    let data = tmp.path().join("data");
    sample_copy(&data);
    std::fs::remove_file(data.join("utility/electricity.csv")).expect("rm");
    let o = run(&default_pipeline(), Some(&data), &out, &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    assert_eq!(latest(&out), Some(Path::new("runs").join(&first_id)));
    let failed = only_unpublished(&out);
    let m = read_manifest(&failed);
    assert_eq!(
        failures(&m),
        [("row_drift".to_owned(), "utility".to_owned())]
    );
    // Both nights' figures are in the manifest.
    assert_eq!(m["previous_run"]["run_id"], first_id.as_str());
    assert_eq!(m["sources"]["utility"]["rows"], 49);
    assert_eq!(m["sources"]["utility"]["previous_rows"], 120);
    assert_eq!(m["sources"]["utility"]["gate_passed"], false);
    assert_eq!(m["sources"]["lease"]["previous_rows"], 33);
    assert!(
        o.stderr.contains("row_drift utility: 49 rows against 120"),
        "{}",
        o.show()
    );
    std::fs::remove_dir_all(&failed).expect("rm the failed run");

    // Eligible persons: 32 eligible become 17 with min_months 12.
    let stricter = stricter_pipeline(tmp.path());
    let o = run(&stricter, None, &out, &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    let m = read_manifest(&only_unpublished(&out));
    assert_eq!(
        failures(&m),
        [("eligible_drift".to_owned(), "350500".to_owned())]
    );
    let city = &m["cities"]["350500"];
    assert_eq!(city["previous_eligible"], 32);
    assert!(city["eligible"].as_u64().expect("eligible") < 26, "{city}");
    assert!(o.stderr.contains("eligible_drift 350500: "), "{}", o.show());

    // --allow-drift accepts the same night and says so.
    let o = run(&stricter, None, &out, &["--allow-drift"]);
    assert_eq!(o.code, 0, "{}", o.show());
    let m = read_manifest(&out.join("latest"));
    assert_eq!(m["status"], "succeeded");
    assert_eq!(m["gate"]["allow_drift"], true);
    let accepted = m["gate"]["accepted_drift"].as_array().expect("accepted");
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["check"], "eligible_drift");
    assert!(o.stderr.contains("drift accepted"), "{}", o.show());
}

#[test]
fn publish_modes_and_retention() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let pipeline = default_pipeline();
    let at = |as_of: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--pipeline",
            pipeline.to_str().expect("utf-8"),
            "--as-of",
            as_of,
            "--out",
            out.to_str().expect("utf-8"),
            // The sample is made for 2026-11-27; a month earlier its
            // shopping rows reject more than the default gate allows.
            "--max-reject-rate",
            "1",
        ];
        args.extend(extra);
        let o = residence(&args);
        assert_eq!(o.code, 0, "{}", o.show());
        o
    };
    at("2026-11-27", &[]);
    let newest = latest(&out).expect("published");
    // A backfill of an older night is kept, not published.
    let o = at("2026-10-31", &[]);
    assert_eq!(latest(&out), Some(newest.clone()));
    let backfill = only_unpublished(&out);
    let m = read_manifest(&backfill);
    assert_eq!(m["status"], "not_published");
    assert_eq!(m["published"], false);
    assert!(
        m["publication"]
            .as_str()
            .expect("publication")
            .contains("2026-10-31 is earlier than 2026-11-27"),
        "{m}"
    );
    assert!(o.stderr.contains("not published"), "{}", o.show());
    // --publish always moves latest back; --publish never leaves it.
    at("2026-10-31", &["--publish", "always"]);
    let corrected = latest(&out).expect("published");
    assert_ne!(corrected, newest);
    at("2026-11-27", &["--publish", "never"]);
    assert_eq!(latest(&out), Some(corrected.clone()));
    assert_eq!(runs(&out).len(), 4);
    // --keep-runs 2: the two newest stay, and the published one however old.
    at("2026-11-27", &["--publish", "never", "--keep-runs", "2"]);
    let left = runs(&out);
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(corrected.ends_with(&left[0]), "{left:?} {corrected:?}");
    // Every kept run is complete.
    for r in &left {
        assert!(out.join("runs").join(r).join("manifest.json").is_file());
    }
}

#[test]
fn metrics_file_after_success_and_failure() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let metrics = tmp.path().join("residence.prom");
    let m = metrics.to_str().expect("utf-8");
    run_ok(&default_pipeline(), None, &out, &["--metrics-file", m]);
    let text = std::fs::read_to_string(&metrics).expect("metrics");
    for name in [
        "residence_last_run_timestamp_seconds ",
        "residence_last_success_timestamp_seconds ",
        "residence_run_duration_seconds ",
        "residence_last_exit_code 0\n",
        "residence_rows{source=\"lease\",outcome=\"accepted\"} ",
        "residence_persons{city=\"350500\",status=\"eligible\",basis=\"evidence\"} 27\n",
    ] {
        assert!(text.contains(name), "{name} in\n{text}");
    }
    assert!(id_numbers_in(&text).is_empty());
    assert_eq!(mode(&metrics), 0o644);
    let success = |t: &str| -> String {
        t.lines()
            .find(|l| l.starts_with("residence_last_success_timestamp_seconds "))
            .expect("last success")
            .to_owned()
    };
    let first_success = success(&text);

    // A failed run records its exit code and carries the last success over.
    let o = run(
        &fixture("gate").join("pipeline.toml"),
        None,
        &out,
        &["--metrics-file", m],
    );
    assert_eq!(o.code, 3, "{}", o.show());
    let text = std::fs::read_to_string(&metrics).expect("metrics");
    assert!(text.contains("residence_last_exit_code 3\n"), "{text}");
    assert_eq!(success(&text), first_success);
    assert!(
        text.contains("residence_gate_check{check=\"rejects\",source=\"social_insurance\"} 1"),
        "{text}"
    );
    // And so does a run that fails before judging anything (exit 2).
    let o = run(
        &fixture("missing-required").join("pipeline.toml"),
        None,
        &out,
        &["--metrics-file", m],
    );
    assert_eq!(o.code, 2, "{}", o.show());
    let text = std::fs::read_to_string(&metrics).expect("metrics");
    assert!(text.contains("residence_last_exit_code 2\n"), "{text}");
    assert_eq!(success(&text), first_success);
}

#[test]
fn json_logs_one_object_per_line() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let o = run(
        &default_pipeline(),
        None,
        &out,
        &["--log-format", "json", "--quiet"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let mut lines = Vec::new();
    for line in o.stderr.lines() {
        let mut v: Value = serde_json::from_str(line).expect("a JSON object");
        let ts = v["ts"].as_str().expect("ts");
        assert!(
            chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.ends_with('Z'),
            "{ts}"
        );
        v["ts"] = "[TS]".into();
        if v.get("duration_s").is_some() {
            v["duration_s"] = "[S]".into();
        }
        lines.push(redact_run_ids(&v.to_string()));
    }
    insta::assert_snapshot!("json_log_lines_quiet", lines.join("\n"));
    // Without --quiet, the run's info lines come too, each an object.
    let o = run(&default_pipeline(), None, &out, &["--log-format", "json"]);
    assert_eq!(o.code, 0, "{}", o.show());
    let levels: Vec<String> = o
        .stderr
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON object");
            v["level"].as_str().expect("level").to_owned()
        })
        .collect();
    assert!(levels.iter().any(|l| l == "INFO"), "{levels:?}");
}

#[test]
fn a_closed_stdout_does_not_crash_a_published_run() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_residence"))
        .args(["run", "--pipeline"])
        .arg(default_pipeline())
        .args(["--as-of", AS_OF, "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // `| head -0`: the reader is gone before the summary is printed.
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(latest(&out).is_some());
}

#[test]
fn a_missing_gazetteer_is_a_usage_error() {
    let tmp = tempdir();
    let text = std::fs::read_to_string(default_pipeline())
        .expect("pipeline")
        .replace(
            "gazetteer = \"../sample-data/divisions.csv\"",
            "gazetteer = \"../sample-data/nowhere.csv\"",
        )
        .replace(
            "data_dir = \"../sample-data\"",
            &format!("data_dir = \"{}\"", root().join("sample-data").display()),
        );
    let pipelines = tmp.path().join("pipelines");
    std::fs::create_dir(&pipelines).expect("mkdir");
    let pipeline = pipelines.join("p.toml");
    std::fs::write(&pipeline, text).expect("write");
    let out = tmp.path().join("out");
    let o = run(&pipeline, None, &out, &[]);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(
        o.stderr
            .contains("nowhere.csv: cannot read it: No such file or directory"),
        "{}",
        o.show()
    );
    assert!(!o.stderr.contains("os error"), "{}", o.show());
    assert!(!out.exists(), "nothing written");
}
