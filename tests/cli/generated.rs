//! Generated nights: judged as the generator predicts, and deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;

use serde_json::Value;

use crate::support::*;

pub(crate) fn generate(dir: &Path, persons: &str, seed: &str, dirty: &str) -> Value {
    generate_profile(dir, persons, seed, dirty, "default")
}

/// `residence generate` with `--profile`; returns the summary.
pub(crate) fn generate_profile(
    dir: &Path,
    persons: &str,
    seed: &str,
    dirty: &str,
    profile: &str,
) -> Value {
    let o = residence(&[
        OsStr::new("generate"),
        OsStr::new("--persons"),
        OsStr::new(persons),
        OsStr::new("--seed"),
        OsStr::new(seed),
        OsStr::new("--as-of"),
        OsStr::new(AS_OF),
        OsStr::new("--out"),
        dir.as_os_str(),
        OsStr::new("--dirty-rate"),
        OsStr::new(dirty),
        OsStr::new("--profile"),
        OsStr::new(profile),
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let text = std::fs::read_to_string(dir.join("generate-summary.json")).expect("summary");
    serde_json::from_str(&text).expect("summary JSON")
}

#[test]
fn generated_feeds_are_judged_as_the_summary_predicts() {
    let tmp = tempdir();
    let data = tmp.path().join("feeds");
    let summary = generate(&data, "1000", "7", "0.01");
    let dir = run_ok(
        &default_pipeline(),
        Some(&data),
        &tmp.path().join("out"),
        &[],
    );
    assert_judged_as_predicted(&summary, &read_manifest(&dir));
}

/// The agency profile: judged as predicted too, and shaped as agencies
/// send feeds (issue 14).
#[test]
fn agency_feeds_are_judged_as_the_summary_predicts_and_look_like_agency_extracts() {
    let tmp = tempdir();
    let data = tmp.path().join("feeds");
    let summary = generate_profile(&data, "3000", "5", "0.015", "agency");
    assert_eq!(summary["profile"], "agency");
    let dir = run_ok(
        &default_pipeline(),
        Some(&data),
        &tmp.path().join("out"),
        &["--max-reject-rate", "1.0"],
    );
    assert_judged_as_predicted(&summary, &read_manifest(&dir));

    let rows = |s: &str| summary["sources"][s]["rows"].as_u64().expect("rows");
    let largest = ["social_insurance", "utility", "lease", "telecom"];
    assert!(
        largest.iter().all(|s| rows("shopping") > rows(s)),
        "{summary}"
    );
    let share = |kind: &str| -> f64 {
        let n: u64 = summary["sources"]
            .as_object()
            .expect("sources")
            .values()
            .flat_map(|c| json_counts(&c[kind]).into_values())
            .sum();
        n as f64 / summary["rows"].as_f64().expect("rows")
    };
    assert!(
        (0.25..0.40).contains(&share("filtered")),
        "filtered {}",
        share("filtered")
    );
    assert!(
        (0.005..0.03).contains(&share("rejected")),
        "rejected {}",
        share("rejected")
    );

    let files = |s: &str| -> Vec<Vec<u8>> {
        let mut paths: Vec<_> = std::fs::read_dir(data.join(s))
            .expect("source folder")
            .map(|e| e.expect("entry").path())
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read(p).expect("read"))
            .collect()
    };
    for s in ALL_SOURCES {
        let with_rows = files(s).iter().filter(|b| b.len() > 200).count();
        assert!(with_rows >= 2, "{s}: {with_rows} files with rows");
    }
    assert!(files("pledge").iter().any(Vec::is_empty), "a 0-byte file");
    let utility = files("utility");
    assert!(
        utility[0].starts_with("\u{feff}record_id".as_bytes()),
        "a BOM"
    );
    assert!(utility[1].windows(2).any(|w| w == b"\r\n"), "CRLF");
    let telecom = String::from_utf8_lossy(&files("telecom")[0]).into_owned();
    let second = telecom.lines().nth(1).expect("a record");
    assert!(second.starts_with('"') && second.ends_with('"'), "{second}");
    assert!(
        telecom.contains(" 10:") || telecom.contains(" 11:"),
        "time stamps"
    );
    let shopping = String::from_utf8_lossy(&files("shopping").concat()).into_owned();
    for form in ["年", "\n\n", "+86", "T0", "Z\n"] {
        assert!(shopping.contains(form), "shopping has {form:?}");
    }
}

fn assert_judged_as_predicted(summary: &Value, m: &Value) {
    let predicted: BTreeMap<String, FileCounts> = summary["sources"]
        .as_object()
        .expect("sources")
        .iter()
        .map(|(k, v)| (k.clone(), FileCounts::from_json(v)))
        .collect();
    let judged: BTreeMap<String, FileCounts> = m["sources"]
        .as_object()
        .expect("sources")
        .iter()
        .map(|(k, v)| (k.clone(), FileCounts::from_json(v)))
        .collect();
    assert_eq!(predicted.len(), 10, "all ten sources predicted");
    assert_eq!(judged, predicted, "manifest vs generate-summary.json");
    let total: u64 = judged.values().map(|c| c.rows).sum();
    assert_eq!(Some(total), summary["rows"].as_u64());
}

const ALL_SOURCES: [&str; 10] = [
    "business_license",
    "employment_school",
    "hukou",
    "labor_contract",
    "lease",
    "pledge",
    "shopping",
    "social_insurance",
    "telecom",
    "utility",
];

#[test]
fn generated_dirty_feeds_produce_every_reason() {
    let tmp = tempdir();
    let data = tmp.path().join("feeds");
    generate(&data, "2000", "7", "0.02");
    let dir = run_ok(
        &default_pipeline(),
        Some(&data),
        &tmp.path().join("out"),
        &["--max-reject-rate", "1.0"],
    );
    let m = read_manifest(&dir);
    let mut seen = BTreeSet::new();
    for s in m["sources"].as_object().expect("sources").values() {
        seen.extend(json_counts(&s["filtered"]).into_keys());
        seen.extend(json_counts(&s["rejected"]).into_keys());
    }
    let all: BTreeSet<String> = ALL_REASONS.iter().map(|s| s.to_string()).collect();
    let missing: Vec<&String> = all.difference(&seen).collect();
    assert!(missing.is_empty(), "reasons never produced: {missing:?}");
    let unknown: Vec<&String> = seen.difference(&all).collect();
    assert!(unknown.is_empty(), "reasons not in SPEC §5: {unknown:?}");
}

#[test]
fn two_runs_write_identical_parquet() {
    let a = tempdir();
    let b = tempdir();
    let x = run_ok(&default_pipeline(), None, a.path(), &[]);
    let y = run_ok(&default_pipeline(), None, b.path(), &[]);
    let (mx, my) = (read_manifest(&x), read_manifest(&y));
    assert_ne!(mx["run_id"], my["run_id"]);
    for name in [
        "eligibility.parquet",
        "spells.parquet",
        "evidence.parquet",
        "rejects.parquet",
        "filtered.parquet",
        "changes.parquet",
        "declarations.parquet",
    ] {
        let (bx, by) = (read_bytes(&x.join(name)), read_bytes(&y.join(name)));
        // Everything before the footer is the same bytes...
        assert!(
            data_part(&bx) == data_part(&by),
            "{name}: the row groups differ between two runs of the same inputs"
        );
        // ...and the footers differ only in the run id they carry.
        let (fx, fy) = (footer(&x.join(name)), footer(&y.join(name)));
        assert_eq!(fx.0, fy.0, "{name}: row groups");
        assert_eq!(
            fx.1["residence.run_id"],
            mx["run_id"].as_str().expect("run id")
        );
        assert_eq!(
            fy.1["residence.run_id"],
            my["run_id"].as_str().expect("run id")
        );
        let without_run = |kv: &BTreeMap<String, String>| {
            let mut kv = kv.clone();
            kv.remove("residence.run_id");
            kv
        };
        assert_eq!(without_run(&fx.1), without_run(&fy.1), "{name}: metadata");
    }
    assert_eq!(mx["files"], my["files"]);
    assert_eq!(mx["sources"], my["sources"]);
    assert_eq!(mx["outputs"], my["outputs"]);
}

fn read_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

/// A Parquet file's bytes before its footer (the footer's length is in the
/// 4 bytes before the closing `PAR1`).
fn data_part(bytes: &[u8]) -> &[u8] {
    let n = bytes.len();
    let footer = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().expect("4 bytes")) as usize;
    &bytes[..n - 8 - footer]
}

/// Per row group: rows, compressed bytes, sort columns.
type RowGroups = Vec<(usize, i64, String)>;

/// Row groups and key-value metadata.
fn footer(path: &Path) -> (RowGroups, BTreeMap<String, String>) {
    let md = polars_parquet::read::read_metadata(&mut File::open(path).expect("open"))
        .expect("metadata");
    let groups = md
        .row_groups
        .iter()
        .map(|rg| {
            (
                rg.num_rows(),
                rg.compressed_size() as i64,
                format!("{:?}", rg.sorting_columns()),
            )
        })
        .collect();
    let kv = md
        .key_value_metadata
        .unwrap_or_default()
        .into_iter()
        .map(|kv| (kv.key, kv.value.unwrap_or_default()))
        .collect();
    (groups, kv)
}
