//! The dirty fixture: every reason, on the line it happened.

use std::collections::BTreeMap;

use crate::support::*;

#[test]
fn dirty_fixture_rows_reasons_and_lines() {
    let out = tempdir();
    let pipeline = fixture("dirty").join("pipeline.toml");
    let o = run(&pipeline, None, out.path(), &[]);
    assert_eq!(o.code, 0, "{}", o.show());
    let dir = out.path().join("latest");
    let md = fixture("dirty").join("EXPECTED.md");

    // Every rejected row of "Every row", with its line, in rejects.parquet.
    let rows = &markdown_tables(&md, &["file", "line", "outcome", "reason", "note"])[0];
    let mut want: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r[2] == "rejected")
        .map(|r| vec![feed_path(&r[0]), r[1].clone(), r[3].clone()])
        .collect();
    want.sort_by(|a, b| {
        (a[0].as_str(), a[1].parse::<u64>().unwrap_or(0))
            .cmp(&(b[0].as_str(), b[1].parse::<u64>().unwrap_or(0)))
    });
    let rejects = read_parquet(&dir.join("rejects.parquet"));
    let got = rows_of(&rejects, &["input_file", "line", "reason"]);
    assert_same_rows("dirty rejects.parquet", &got, &want);

    // Filtered and accepted rows by reason per file add up with the manifest
    // (the per-row table and the per-file table agree with the run).
    let m = read_manifest(&dir);
    check_file_counts(&m, &md);
    let mut by_file: BTreeMap<String, FileCounts> = BTreeMap::new();
    for r in rows {
        let c = by_file.entry(feed_path(&r[0])).or_insert(FileCounts {
            rows: 0,
            accepted: 0,
            filtered: BTreeMap::new(),
            rejected: BTreeMap::new(),
        });
        c.rows += 1;
        match r[2].as_str() {
            "accepted" => c.accepted += 1,
            "filtered" => *c.filtered.entry(r[3].clone()).or_default() += 1,
            "rejected" => *c.rejected.entry(r[3].clone()).or_default() += 1,
            other => panic!("outcome {other}"),
        }
    }
    let files = manifest_files(&m);
    for (path, c) in &by_file {
        assert_eq!(&files[path], c, "{path}: manifest vs the per-row table");
    }

    // The quoted field still open at the end of lease/l.csv: one malformed
    // record starting on line 17 whose raw text spans the embedded line break.
    let raw = rows_of(&rejects, &["input_file", "line", "reason", "raw"]);
    let open = raw
        .iter()
        .find(|r| r[0] == "lease/l.csv" && r[1] == "17")
        .expect("lease/l.csv line 17 rejected");
    assert_eq!(open[2], "malformed_row");
    assert!(open[3].starts_with("L-13,"), "{open:?}");
    assert!(
        open[3].contains('\n'),
        "raw keeps the embedded line break: {open:?}"
    );
    assert!(
        !open[3].ends_with('\n'),
        "raw drops the final line break: {open:?}"
    );

    // The 0-byte file: listed, 0 rows, a warning. notes.txt: not read.
    let listed: Vec<&str> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(
        !listed.iter().any(|p| p.ends_with("notes.txt")),
        "{listed:?}"
    );
    let b = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == "social_insurance/b.csv")
        .expect("b.csv is listed");
    assert_eq!(b["rows"], 0);
    assert_eq!(b["bytes"], 0);
    let warnings = m["warnings"].to_string();
    assert!(warnings.contains("b.csv"), "{warnings}");
    // The absent source: a manifest entry and a warning, not a failure.
    let es = &m["sources"]["employment_school"];
    assert_eq!(es["rows"], 0, "{es}");
    assert!(warnings.contains("employment_school"), "{warnings}");
    assert!(o.stderr.contains("employment_school"), "{}", o.show());
}

#[test]
fn dirty_fixture_people() {
    let out = tempdir();
    let dir = run_ok(
        &fixture("dirty").join("pipeline.toml"),
        None,
        out.path(),
        &[],
    );
    check_people(&dir, &fixture("dirty").join("EXPECTED.md"), true);
}
