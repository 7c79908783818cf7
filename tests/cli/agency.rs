//! Agency exports: other headers and encodings decide like the default feeds.

use crate::support::*;

#[test]
fn agency_exports_decide_like_the_default_feeds() {
    let out_default = tempdir();
    let out_agency = tempdir();
    let d = run_ok(&default_pipeline(), None, out_default.path(), &[]);
    let a = run_ok(&agency_pipeline(), None, out_agency.path(), &[]);

    for name in ["eligibility.parquet", "spells.parquet"] {
        let x = read_parquet(&d.join(name));
        let y = read_parquet(&a.join(name));
        assert_eq!(x.schema(), y.schema(), "{name} schema");
        assert!(x.equals_missing(&y), "{name} differs:\n{x}\n{y}");
    }
    // evidence: identical except perhaps input_file.
    let x = read_parquet(&d.join("evidence.parquet"))
        .drop("input_file")
        .expect("drop");
    let y = read_parquet(&a.join("evidence.parquet"))
        .drop("input_file")
        .expect("drop");
    assert!(x.equals_missing(&y), "evidence.parquet differs:\n{x}\n{y}");

    // Rejects: the default's 16 plus the bad GB18030 row at 2026-h2.csv line 139.
    let cols = ["source", "input_file", "line", "reason"];
    let mut want = rows_of(&read_parquet(&d.join("rejects.parquet")), &cols);
    let extra = vec![
        "social_insurance".to_owned(),
        "social_insurance/2026-h2.csv".to_owned(),
        "139".to_owned(),
        "malformed_row".to_owned(),
    ];
    want.push(extra.clone());
    want.sort_by_key(|r| (r[0].clone(), r[1].clone(), r[2].parse::<u64>().unwrap_or(0)));
    let got = rows_of(&read_parquet(&a.join("rejects.parquet")), &cols);
    assert!(got.contains(&extra), "{got:?}");
    assert_eq!(got, want);

    // README: social_insurance 371 rows, 6 rejected; 2026-h2.csv 138 rows.
    let m = read_manifest(&a);
    let si = &m["sources"]["social_insurance"];
    assert_eq!(si["rows"], 371);
    assert_eq!(json_counts(&si["rejected"]).values().sum::<u64>(), 6);
    let files = manifest_files(&m);
    let h2 = &files["social_insurance/2026-h2.csv"];
    assert_eq!(h2.rows, 138);
    assert_eq!(h2.rejected.get("malformed_row"), Some(&1));
    assert!(h2.balanced());
}
