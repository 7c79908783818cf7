//! What an operator meets (SPEC §2, §8): gates over every city of the
//! published night, an unreadable published manifest, an absent optional
//! source, parameter ranges, file names as bytes, repeated warnings, the
//! run's final line and its fields, and the metrics.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

/// The default pipeline with absolute paths and `edits` (from, to) applied.
pub(crate) fn edited_pipeline(dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(default_pipeline())
        .expect("pipeline")
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
    for (from, to) in edits {
        assert!(text.contains(from), "the pipeline has no {from:?}");
        text = text.replace(from, to);
    }
    let path = dir.join("edited.toml");
    std::fs::write(&path, text).expect("write");
    path
}

/// `residence run` at another as-of than [`AS_OF`].
fn run_as_of(pipeline: &Path, out: &Path, as_of: &str, extra: &[&str]) -> Outcome {
    let mut args: Vec<&OsStr> = vec!["run".as_ref(), "--pipeline".as_ref(), pipeline.as_os_str()];
    args.extend([
        OsStr::new("--as-of"),
        OsStr::new(as_of),
        OsStr::new("--out"),
    ]);
    args.push(out.as_os_str());
    args.extend(extra.iter().map(OsStr::new));
    residence(&args)
}

fn gate_failures(m: &Value) -> Vec<(String, String)> {
    m["gate"]["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap_or_default().to_owned(),
                f["subject"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The newest run under `runs/` (run ids start with their time).
fn newest_run(out: &Path) -> PathBuf {
    let mut ids: Vec<String> = std::fs::read_dir(out.join("runs"))
        .expect("runs")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    ids.sort();
    out.join("runs").join(ids.last().expect("a run"))
}

#[test]
fn a_city_that_vanishes_from_jurisdictions_fails_the_drift_check_naming_it() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let published = run_ok(&default_pipeline(), None, &out, &[]);
    let other_city = edited_pipeline(
        tmp.path(),
        &[(
            "jurisdictions = [\"350500\"]",
            "jurisdictions = [\"350200\"]",
        )],
    );
    let o = run(&other_city, None, &out, &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    let m = read_manifest(&newest_run(&out));
    assert!(
        gate_failures(&m).contains(&("eligible_drift".to_owned(), "350500".to_owned())),
        "{:?}",
        gate_failures(&m)
    );
    assert_eq!(m["cities"]["350500"]["eligible"], 0);
    assert!(o.stderr.contains("eligible_drift 350500"), "{}", o.show());
    assert_eq!(
        out.join("latest").canonicalize().ok(),
        published.canonicalize().ok()
    );
}

#[test]
fn an_unreadable_published_manifest_fails_publish_auto_unless_always() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let published = run_ok(&default_pipeline(), None, &out, &[]);
    std::fs::write(published.join("manifest.json"), b"{").expect("break it");
    // A month earlier: without a baseline, auto would have moved latest back.
    let earlier = ["--max-reject-rate", "1"];
    let o = run_as_of(&default_pipeline(), &out, "2026-10-27", &earlier);
    assert_eq!(o.code, 3, "{}", o.show());
    assert!(
        o.stderr.contains("cannot compare with the published run"),
        "{}",
        o.show()
    );
    assert_eq!(
        std::fs::read_link(out.join("latest")).expect("latest"),
        Path::new("runs").join(published.file_name().expect("id"))
    );
    let mut always = earlier.to_vec();
    always.extend(["--publish", "always"]);
    let o = run_as_of(&default_pipeline(), &out, "2026-10-27", &always);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_ne!(
        std::fs::read_link(out.join("latest")).expect("latest"),
        Path::new("runs").join(published.file_name().expect("id"))
    );
}

#[test]
fn an_absent_optional_source_is_left_out_of_row_drift_with_one_warning() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let data = tmp.path().join("data");
    sample_copy(&data);
    let optional = edited_pipeline(
        tmp.path(),
        &[("[sources.lease]\n", "[sources.lease]\nrequired = false\n")],
    );
    run_ok(&optional, Some(&data), &out, &[]);
    std::fs::remove_dir_all(data.join("lease")).expect("rm lease");
    let o = run(&optional, Some(&data), &out, &["--max-reject-rate", "1"]);
    let said = o
        .stderr
        .lines()
        .filter(|l| l.contains("left out of the row drift check"))
        .count();
    assert_eq!(said, 1, "{}", o.show());
    let m = read_manifest(&newest_run(&out));
    assert!(
        !gate_failures(&m).contains(&("row_drift".to_owned(), "lease".to_owned())),
        "{:?}",
        gate_failures(&m)
    );
}

#[test]
fn a_backfill_says_not_published_as_a_warning_even_under_quiet() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    run_ok(&default_pipeline(), None, &out, &[]);
    let o = run_as_of(
        &default_pipeline(),
        &out,
        "2026-11-20",
        &["--quiet", "--max-reject-rate", "1", "--allow-drift"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let line = o
        .stderr
        .lines()
        .find(|l| l.contains("not published: its as-of 2026-11-20 is earlier"))
        .unwrap_or_else(|| panic!("{}", o.show()));
    assert!(line.contains(" WARN "), "{line}");
}

#[test]
fn a_parameter_out_of_range_exits_2_naming_the_key_and_its_range_on_one_line() {
    let tmp = tempdir();
    for (from, to, want) in [
        (
            "min_months = 6",
            "min_months = 4294967295",
            "min_months 4294967295 is outside 1..120",
        ),
        (
            "min_months = 6",
            "min_months = 0",
            "min_months 0 is outside 1..120",
        ),
        (
            "jurisdictions = [\"350500\"]",
            "jurisdictions = []",
            "jurisdictions is empty",
        ),
        (
            "[parameters]\n",
            "[parameters]\nmax_staleness_days = 4294967295\n",
            "max_staleness_days 4294967295 is outside 1..3660",
        ),
    ] {
        let p = edited_pipeline(tmp.path(), &[(from, to)]);
        let o = run(&p, None, &tmp.path().join("out"), &[]);
        assert_eq!(o.code, 2, "{to}: {}", o.show());
        let error: Vec<&str> = o.stderr.lines().filter(|l| l.contains(" ERROR ")).collect();
        assert!(error.iter().any(|l| l.contains(want)), "{to}: {}", o.show());
        assert!(!o.stderr.contains("expected u32"), "{}", o.show());
    }
}

/// A header and one malformed row of the lease feed.
fn bad_lease_file() -> Vec<u8> {
    let text = std::fs::read_to_string(root().join("sample-data/lease/2025.csv")).expect("lease");
    let header = text.lines().next().expect("header");
    format!("{header}\nonly,three,fields\n").into_bytes()
}

#[test]
fn file_names_that_are_not_utf8_stay_distinct_and_control_characters_are_escaped() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    sample_copy(&data);
    let lease = data.join("lease");
    for name in [&b"a\xff.csv"[..], b"a\xfe.csv"] {
        std::fs::write(lease.join(OsStr::from_bytes(name)), bad_lease_file()).expect("write");
    }
    std::fs::write(lease.join("x\n2026-01-01T00:00:00Z ERROR forged.csv"), b"").expect("write");
    let out = tmp.path().join("out");
    let o = run(
        &default_pipeline(),
        Some(&data),
        &out,
        &["--max-reject-rate", "1"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let m = read_manifest(&out.join("latest"));
    let paths: Vec<&str> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for want in ["lease/a\\xff.csv", "lease/a\\xfe.csv"] {
        assert!(paths.contains(&want), "{want} in {paths:?}");
    }
    let rejects = read_parquet(&out.join("latest/rejects.parquet"));
    let files: Vec<String> = rejects
        .column("input_file")
        .expect("input_file")
        .str()
        .expect("text")
        .iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    for want in ["lease/a\\xff.csv", "lease/a\\xfe.csv"] {
        assert!(files.iter().any(|f| f == want), "{want} in {files:?}");
    }
    // The line break in the name cannot forge a log line.
    assert!(
        !o.stderr
            .lines()
            .any(|l| l.starts_with("2026-01-01T00:00:00Z ERROR")),
        "{}",
        o.show()
    );
    assert!(
        o.stderr
            .contains("x\\n2026-01-01T00:00:00Z ERROR forged.csv"),
        "{}",
        o.show()
    );
}

#[test]
fn repeated_warnings_are_summarised_after_the_first_ten() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    sample_copy(&data);
    for i in 0..25 {
        std::fs::write(data.join(format!("lease/empty-{i:02}.csv")), b"").expect("write");
    }
    let out = tmp.path().join("out");
    let o = run(
        &default_pipeline(),
        Some(&data),
        &out,
        &["--log-format", "json"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let lines: Vec<Value> = o
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let empty: Vec<&Value> = lines
        .iter()
        .filter(|l| l["msg"].as_str().is_some_and(|m| m.contains("0-byte file")))
        .collect();
    assert_eq!(empty.len(), 11, "10 shown and one count: {}", o.show());
    assert_eq!(empty[0]["source"], "lease");
    assert_eq!(empty[0]["file"], "lease/empty-00.csv");
    assert!(
        empty[10]["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("15 more files with the same warning")),
        "{}",
        empty[10]
    );
    let m = read_manifest(&out.join("latest"));
    let warned = m["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w.as_str().is_some_and(|w| w.contains("0-byte file")))
        .count();
    assert_eq!(warned, 11);
}

#[test]
fn every_line_carries_the_run_id_and_a_quiet_good_night_ends_with_one_line() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let o = run(
        &default_pipeline(),
        None,
        &out,
        &["--quiet", "--log-format", "json"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let lines: Vec<Value> = o
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let id = std::fs::read_link(out.join("latest")).expect("latest");
    let id = id.file_name().expect("id").to_string_lossy().into_owned();
    assert!(!lines.is_empty(), "a final line under --quiet");
    for l in &lines {
        assert_eq!(l["run_id"], id.as_str(), "{l}");
    }
    let last = lines.last().expect("a line");
    assert_eq!(last["exit_code"], 0, "{last}");
    assert!(last["duration_s"].as_f64().is_some(), "{last}");
    let msg = last["msg"].as_str().expect("msg");
    assert!(msg.contains("status=succeeded published=true"), "{msg}");

    // A failed night ends with one too, naming its exit code.
    let o = run(
        &fixture("gate").join("pipeline.toml"),
        None,
        &out,
        &["--quiet"],
    );
    assert_eq!(o.code, 3, "{}", o.show());
    let last = o.stderr.lines().last().expect("a line");
    assert!(
        last.contains("run finished: status=quality_gate_failed published=false"),
        "{last}"
    );
    assert!(last.contains("exit_code=3"), "{last}");
}

#[test]
fn metrics_report_every_gate_check_the_build_and_staleness() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let metrics = tmp.path().join("residence.prom");
    let m = metrics.to_str().expect("utf-8");
    run_ok(&default_pipeline(), None, &out, &["--metrics-file", m]);
    let text = std::fs::read_to_string(&metrics).expect("metrics");
    assert!(
        text.contains("residence_gate_check{check=\"rejects\",source=\"lease\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains("residence_gate_check{check=\"eligible_drift\",source=\"350500\"} 0\n"),
        "{text}"
    );
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        text.contains(&format!(
            "residence_build_info{{version=\"{version}\"}} 1\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("residence_source_staleness_days{source=\"lease\"} "),
        "{text}"
    );

    // No earlier metrics file and a failing night: the last success comes
    // from the published run's manifest.
    std::fs::remove_file(&metrics).expect("rm");
    let o = run(
        &fixture("gate").join("pipeline.toml"),
        None,
        &out,
        &["--metrics-file", m],
    );
    assert_eq!(o.code, 3, "{}", o.show());
    let text = std::fs::read_to_string(&metrics).expect("metrics");
    assert!(
        text.contains("residence_last_success_timestamp_seconds "),
        "{text}"
    );
    assert!(
        text.contains("residence_gate_check{check=\"rejects\",source=\"social_insurance\"} 1\n"),
        "{text}"
    );
}

#[test]
fn the_metrics_error_names_one_path_without_an_os_code() {
    let tmp = tempdir();
    let metrics = tmp.path().join("no/such/folder/residence.prom");
    let o = run(
        &default_pipeline(),
        None,
        &tmp.path().join("out"),
        &["--metrics-file", metrics.to_str().expect("utf-8")],
    );
    let line = o
        .stderr
        .lines()
        .find(|l| l.contains("cannot write the metrics file"))
        .unwrap_or_else(|| panic!("{}", o.show()));
    assert!(!line.contains("os error"), "{line}");
    assert!(!line.contains(".residence-metrics-"), "{line}");
}

#[test]
fn data_that_is_a_file_is_not_a_folder() {
    let tmp = tempdir();
    let file = tmp.path().join("feeds.csv");
    std::fs::write(&file, b"").expect("write");
    let o = run(
        &default_pipeline(),
        Some(&file),
        &tmp.path().join("out"),
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("is not a folder"), "{}", o.show());
}

#[test]
fn the_sample_backfill_at_2026_10_31_passes_the_gate_and_says_not_published() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let published = run_ok(&default_pipeline(), None, &out, &[]);
    let o = run_as_of(&default_pipeline(), &out, "2026-10-31", &["--quiet"]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(
        o.stderr.lines().any(|l| l.contains(" WARN ")
            && l.contains("not published: its as-of 2026-10-31 is earlier than 2026-11-27")),
        "{}",
        o.show()
    );
    assert_eq!(
        out.join("latest").canonicalize().ok(),
        published.canonicalize().ok()
    );
}
