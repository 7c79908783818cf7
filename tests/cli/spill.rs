//! Partitions and the memory budget change no output; spill folders are cleaned.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

use crate::support::*;

/// Every output of a run folder, all columns, as text rows.
pub(crate) fn all_output_rows(dir: &Path) -> BTreeMap<&'static str, Vec<Vec<String>>> {
    [
        "eligibility.parquet",
        "spells.parquet",
        "evidence.parquet",
        "rejects.parquet",
    ]
    .into_iter()
    .map(|name| {
        let df = read_parquet(&dir.join(name));
        let names = column_names(&df);
        let cols: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        (name, rows_of(&df, &cols))
    })
    .collect()
}

pub(crate) fn spill_folders(out: &Path) -> Vec<String> {
    std::fs::read_dir(out)
        .expect("OUT")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".spill-"))
        .collect()
}

#[test]
fn many_partitions_and_a_zero_memory_budget_change_no_output() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    let g = residence(&[
        OsStr::new("generate"),
        OsStr::new("--persons"),
        OsStr::new("1500"),
        OsStr::new("--seed"),
        OsStr::new("11"),
        OsStr::new("--as-of"),
        OsStr::new(AS_OF),
        OsStr::new("--dirty-rate"),
        OsStr::new("0.02"),
        OsStr::new("--out"),
        data.as_os_str(),
    ]);
    assert_eq!(g.code, 0, "{}", g.show());
    let (out_a, out_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let gate = ["--max-reject-rate", "1"];
    let a = run_ok(&default_pipeline(), Some(&data), &out_a, &gate);
    // Everything spills to disk, the night is cut into many small ranges,
    // and row groups are small enough to be written while the workers run
    // (and wait on the writer).
    let b = run_ok(
        &default_pipeline(),
        Some(&data),
        &out_b,
        &[
            "--max-reject-rate",
            "1",
            "--memory-budget",
            "0",
            "--partition-bytes",
            "40000",
            "--row-group-rows",
            "64",
        ],
    );
    let (ma, mb) = (read_manifest(&a), read_manifest(&b));
    assert_eq!(ma["engine"]["evidence_partitions"], 1);
    assert_eq!(ma["engine"]["spilled_bytes"], 0);
    let parts = mb["engine"]["evidence_partitions"].as_u64().expect("count");
    assert!(parts >= 50, "only {parts} partitions");
    assert!(mb["engine"]["key_partitions"].as_u64().expect("count") >= 50);
    assert!(mb["engine"]["spilled_bytes"].as_u64().expect("bytes") > 1_000_000);

    assert_eq!(ma["files"], mb["files"]);
    assert_eq!(ma["sources"], mb["sources"]);
    assert_eq!(ma["outputs"], mb["outputs"]);
    let (rows_a, rows_b) = (all_output_rows(&a), all_output_rows(&b));
    for (name, rows) in &rows_a {
        assert!(rows.len() > 100, "{name} has only {} rows", rows.len());
        assert!(rows == &rows_b[name], "{name} differs between the two runs");
    }
    // Spill folders are removed when a run ends.
    assert!(spill_folders(&out_a).is_empty());
    assert!(spill_folders(&out_b).is_empty());
}

#[test]
fn a_spill_folder_left_by_a_killed_run_is_removed() {
    let tmp = tempdir();
    let stale = tmp.path().join(".spill-20260101T000000000Z-1");
    std::fs::create_dir_all(&stale).expect("mkdir");
    std::fs::write(stale.join("evidence-0"), b"left over").expect("write");
    run_ok(&default_pipeline(), None, tmp.path(), &[]);
    assert!(spill_folders(tmp.path()).is_empty());
}
