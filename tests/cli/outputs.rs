//! The outputs beside the decisions: filtered rows and rejects account for
//! the manifest's counts, and `changes.parquet` is the difference between
//! two nights' decisions.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// (input_file, reason) → rows of an output.
fn rows_by_file_and_reason(dir: &Path, file: &str) -> BTreeMap<(String, String), u64> {
    let df = read_parquet(&dir.join(file));
    let mut counts = BTreeMap::new();
    for r in rows_of(&df, &["input_file", "reason"]) {
        *counts.entry((r[0].clone(), r[1].clone())).or_default() += 1;
    }
    counts
}

/// (input_file, reason) → rows the manifest counts as `kind` (filtered or rejected).
fn manifest_counts(m: &Value, kind: &str) -> BTreeMap<(String, String), u64> {
    let mut counts = BTreeMap::new();
    for f in m["files"].as_array().expect("files") {
        let path = f["path"].as_str().expect("path");
        for (reason, n) in json_counts(&f[kind]) {
            counts.insert((path.to_owned(), reason), n);
        }
    }
    counts
}

fn check_rows_match_the_manifest(dir: &Path) {
    let m = read_manifest(dir);
    let filtered = rows_by_file_and_reason(dir, "filtered.parquet");
    assert_eq!(
        filtered,
        manifest_counts(&m, "filtered"),
        "filtered.parquet"
    );
    assert_eq!(
        rows_by_file_and_reason(dir, "rejects.parquet"),
        manifest_counts(&m, "rejected"),
        "rejects.parquet"
    );
    // Sorted by source, input_file, line.
    let df = read_parquet(&dir.join("filtered.parquet"));
    let keys: Vec<(String, String, i64)> = rows_of(&df, &["source", "input_file", "line"])
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].parse().expect("line")))
        .collect();
    assert!(
        keys.is_sorted(),
        "filtered.parquet is not in (source, input_file, line) order"
    );
}

#[test]
fn filtered_rows_and_rejects_account_for_the_manifest() {
    let tmp = tempdir();
    let sample = run_ok(&default_pipeline(), None, &tmp.path().join("a"), &[]);
    check_rows_match_the_manifest(&sample);
    let dirty = run_ok(
        &fixture("dirty").join("pipeline.toml"),
        None,
        &tmp.path().join("b"),
        &[],
    );
    check_rows_match_the_manifest(&dirty);
    // A generated night with every reason, replaced versions across files
    // and rows spilled to disk.
    let data = tmp.path().join("gen");
    let o = residence(&[
        "generate",
        "--persons",
        "3000",
        "--seed",
        "7",
        "--as-of",
        AS_OF,
        "--out",
        data.to_str().expect("utf-8"),
        "--dirty-rate",
        "0.02",
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let generated = run_ok(
        &default_pipeline(),
        Some(&data),
        &tmp.path().join("c"),
        &["--max-reject-rate", "1", "--memory-budget", "0"],
    );
    check_rows_match_the_manifest(&generated);
    let reasons: Vec<String> = rows_by_file_and_reason(&generated, "filtered.parquet")
        .keys()
        .map(|(_, r)| r.clone())
        .collect();
    for r in FILTER_REASONS {
        assert!(reasons.iter().any(|x| x == r), "no filtered row for {r}");
    }
}

#[test]
fn filtered_rows_say_who_and_what() {
    let tmp = tempdir();
    let dir = run_ok(&default_pipeline(), None, tmp.path(), &[]);
    let df = read_parquet(&dir.join("filtered.parquet"));
    let rows = rows_of(
        &df,
        &[
            "input_file",
            "line",
            "reason",
            "person_id",
            "city",
            "record_id",
            "start",
            "end",
        ],
    );
    let find = |file: &str, line: &str| {
        rows.iter()
            .find(|r| r[0] == file && r[1] == line)
            .unwrap_or_else(|| panic!("no filtered row {file}:{line}"))
            .clone()
    };
    // P29's lease, filed after the as-of date (sample-data/README.md).
    assert_eq!(
        find("lease/2026.csv", "25"),
        [
            "lease/2026.csv",
            "25",
            "after_as_of",
            "420106199902020119",
            "350500",
            "ZL2026-1101",
            "2026-11-01",
            "2027-10-31"
        ]
    );
    // P30's lease, never filed.
    assert_eq!(
        find("lease/2026.csv", "2")[2..4],
        ["not_filed", "340104199012120115"]
    );
    // A superseded social insurance row (replaced in a later file) keeps its
    // person and record id.
    let superseded: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[2] == "superseded" && r[5] == "SB202606401")
        .collect();
    assert_eq!(superseded.len(), 1, "{superseded:?}");
    assert_eq!(superseded[0][0], "social_insurance/2026-h1.csv");
    assert!(!superseded[0][3].is_empty());
    // Hukou rows have no record id.
    assert!(
        rows.iter()
            .filter(|r| r[0].starts_with("hukou/"))
            .all(|r| r[5].is_empty())
    );

    // rejects carry the person when its column held a valid ID, never else.
    let rejects = read_parquet(&dir.join("rejects.parquet"));
    let mut with_person = 0;
    for r in rows_of(&rejects, &["reason", "person_id", "raw"]) {
        if r[0] == "invalid_id_number" || r[0] == "malformed_row" {
            assert_eq!(r[1], "", "{r:?}");
        }
        if !r[1].is_empty() {
            with_person += 1;
            assert_eq!(id_numbers_in(&r[1]), [r[1].clone()], "{r:?}");
        }
    }
    assert!(with_person >= 5, "{with_person}");
}

/// (city, person) → (status, basis) of a run's eligibility.
fn decisions(dir: &Path) -> BTreeMap<(String, String), (String, String)> {
    rows_of(
        &read_parquet(&dir.join("eligibility.parquet")),
        &["city", "person_id", "status", "basis"],
    )
    .into_iter()
    .map(|r| ((r[0].clone(), r[1].clone()), (r[2].clone(), r[3].clone())))
    .collect()
}

#[test]
fn changes_are_the_difference_between_two_nights() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let first = run_ok(&default_pipeline(), None, &out, &[]);
    let df = read_parquet(&first.join("changes.parquet"));
    assert_eq!(df.height(), 0, "no changes on a first night");
    assert_eq!(
        column_names(&df),
        [
            "person_id",
            "city",
            "previous_as_of",
            "previous_status",
            "previous_basis",
            "status",
            "basis",
            "as_of"
        ]
    );

    // A month later: pending people become eligible, some lapse.
    let pipeline = default_pipeline();
    let o = residence(&[
        "run",
        "--pipeline",
        pipeline.to_str().expect("utf-8"),
        "--as-of",
        "2026-12-31",
        "--out",
        out.to_str().expect("utf-8"),
        "--max-reject-rate",
        "1",
        "--allow-drift",
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let second = out.join(std::fs::read_link(out.join("latest")).expect("latest"));
    let (before, after) = (decisions(&first), decisions(&second));
    let mut want = Vec::new();
    let keys: std::collections::BTreeSet<_> = before.keys().chain(after.keys()).collect();
    for k in keys {
        let (b, a) = (before.get(k), after.get(k));
        if b != a {
            let (ps, pb) = b.cloned().unwrap_or_default();
            let (s, ba) = a.cloned().unwrap_or_default();
            let prev_as_of = if b.is_some() { AS_OF } else { "" };
            want.push(vec![
                k.1.clone(),
                k.0.clone(),
                prev_as_of.to_owned(),
                ps,
                pb,
                s,
                ba,
                "2026-12-31".to_owned(),
            ]);
        }
    }
    assert!(
        want.len() >= 5,
        "the month changes some decisions: {want:?}"
    );
    let got = rows_of(
        &read_parquet(&second.join("changes.parquet")),
        &[
            "person_id",
            "city",
            "previous_as_of",
            "previous_status",
            "previous_basis",
            "status",
            "basis",
            "as_of",
        ],
    );
    // Sorted by city, person_id, like the expectation built from the maps.
    want.sort_by(|a, b| (&a[1], &a[0]).cmp(&(&b[1], &b[0])));
    assert_same_rows("changes.parquet", &got, &want);
}

#[test]
fn eligibility_county_is_the_division_of_the_last_evidence_row_and_as_of_is_the_run_date() {
    let out = tempdir();
    let dir = run_ok(&default_pipeline(), None, out.path(), &[]);
    let e = read_parquet(&dir.join("eligibility.parquet"));
    let v = read_parquet(&dir.join("evidence.parquet"));
    // The last evidence row of each (city, person), in the file's order.
    let mut last: BTreeMap<(String, String), String> = Default::default();
    for r in rows_of(&v, &["city", "person_id", "division"]) {
        last.insert((r[0].clone(), r[1].clone()), r[2].clone());
    }
    let rows = rows_of(&e, &["city", "person_id", "county", "as_of", "spell_start"]);
    let mut pledge_only = 0;
    for r in &rows {
        let want = last.get(&(r[0].clone(), r[1].clone()));
        assert_eq!(want.map(String::as_str).unwrap_or(""), r[2], "{r:?}");
        assert_eq!(r[3], AS_OF);
        pledge_only += usize::from(r[4].is_empty());
    }
    // Some rows rest on a pledge alone: their county is null.
    assert!(pledge_only > 0 && pledge_only < rows.len());
    // More than one county in the sample.
    let counties: std::collections::BTreeSet<&String> = rows.iter().map(|r| &r[2]).collect();
    assert!(counties.len() > 3, "{counties:?}");
}

#[test]
fn declarations_hold_every_accepted_pledge_and_hukou_row() {
    let out = tempdir();
    let dir = run_ok(&default_pipeline(), None, out.path(), &[]);
    let d = read_parquet(&dir.join("declarations.parquet"));
    let m = read_manifest(&dir);
    for source in ["pledge", "hukou"] {
        let accepted: u64 = manifest_files(&m)
            .iter()
            .filter(|(path, _)| path.starts_with(&format!("{source}/")))
            .map(|(_, c)| c.accepted)
            .sum();
        let rows = rows_of(&d, &["source"])
            .iter()
            .filter(|r| r[0] == source)
            .count() as u64;
        assert!(accepted > 0, "{source}");
        assert_eq!(rows, accepted, "{source}: accepted rows of the manifest");
    }
    assert_eq!(
        m["outputs"]["declarations.parquet"].as_u64(),
        Some(d.height() as u64)
    );
    // Sorted by city, person_id, source, input_file, line.
    let keys = rows_of(&d, &["city", "person_id", "source", "input_file", "line"]);
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| {
        (&a[0], &a[1], &a[2], &a[3], a[4].parse::<u64>().ok()).cmp(&(
            &b[0],
            &b[1],
            &b[2],
            &b[3],
            b[4].parse::<u64>().ok(),
        ))
    });
    assert_eq!(keys, sorted);
    // P36's expired pledge is there and does not count; P09's counts;
    // P51's hukou row counts.
    let row = |id: &str, source: &str| -> Vec<String> {
        rows_of(
            &d,
            &[
                "person_id",
                "source",
                "counts",
                "declared_since",
                "signed_date",
            ],
        )
        .into_iter()
        .find(|r| r[0] == id && r[1] == source)
        .unwrap_or_else(|| panic!("{id} {source}"))
    };
    assert_eq!(row("650102199201110119", "pledge")[2], "false");
    assert_eq!(
        row("340102199103030112", "pledge")[2..4],
        ["true", "2026-09-01"]
    );
    let hukou = row("350502196503010129", "hukou");
    assert_eq!(hukou[2..], ["true", "", ""]);
}
