//! The quality gate: failing checks keep the run and leave `latest` alone.

use std::path::PathBuf;

use crate::support::*;

#[test]
fn gate_failure_keeps_outputs_and_leaves_latest() {
    let out = tempdir();
    let pipeline = fixture("gate").join("pipeline.toml");

    // A fresh OUT: the failing run creates no latest.
    let fresh = tempdir();
    let o = run(&pipeline, None, fresh.path(), &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    assert!(std::fs::symlink_metadata(fresh.path().join("latest")).is_err());

    // A good run first, then the failing one on the same OUT.
    let first = run_ok(&pipeline, None, out.path(), &["--max-reject-rate", "1.0"]);
    let before = std::fs::read_link(out.path().join("latest")).expect("latest");
    let o = run(&pipeline, None, out.path(), &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    assert_eq!(
        std::fs::read_link(out.path().join("latest")).expect("latest"),
        before,
        "latest untouched by the failed run"
    );
    assert!(first.join("manifest.json").is_file());

    // The failed run's outputs are kept under runs/.
    let failed: Vec<PathBuf> = std::fs::read_dir(out.path().join("runs"))
        .expect("runs")
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.ends_with(&before))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let dir = &failed[0];
    let m = read_manifest(dir);
    assert_eq!(m["status"], "quality_gate_failed");
    let si = &m["sources"]["social_insurance"];
    assert_eq!(si["rows"], 20);
    assert_eq!(si["accepted"], 17);
    assert_eq!(json_counts(&si["rejected"]).values().sum::<u64>(), 3);
    let md = fixture("gate").join("EXPECTED.md");
    check_file_counts(&m, &md);
    let rows = &markdown_tables(&md, &["file", "line", "outcome", "reason", "note"])[0];
    let want: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r[2] == "rejected")
        .map(|r| vec![feed_path(&r[0]), r[1].clone(), r[3].clone()])
        .collect();
    assert_eq!(want.len(), 3);
    let rejects = read_parquet(&dir.join("rejects.parquet"));
    assert_same_rows(
        "gate rejects.parquet",
        &rows_of(&rejects, &["input_file", "line", "reason"]),
        &want,
    );
    assert!(o.stderr.contains("social_insurance"), "{}", o.show());

    // --max-reject-rate 0.2 lets the same feeds pass and repoints latest.
    let passed = run_ok(&pipeline, None, out.path(), &["--max-reject-rate", "0.2"]);
    assert_eq!(read_manifest(&passed)["status"], "succeeded");
    assert_ne!(
        std::fs::read_link(out.path().join("latest")).expect("latest"),
        before
    );
}
