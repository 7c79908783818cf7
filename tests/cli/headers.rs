//! Headers: renamed, optional columns missing, required columns missing.

use crate::support::*;

#[test]
fn renamed_headers_fixture() {
    let out = tempdir();
    let dir = run_fixture("renamed-headers", out.path(), true);
    assert_eq!(read_parquet(&dir.join("rejects.parquet")).height(), 0);
}

#[test]
fn missing_optional_columns_read_as_empty() {
    let out = tempdir();
    run_fixture("missing-optional", out.path(), false);
}

#[test]
fn missing_required_column_is_a_header_error() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    copy_dir(&fixture("missing-required").join("data"), &data);
    let out = tmp.path().join("out");
    let o = run(
        &fixture("missing-required").join("pipeline.toml"),
        Some(&data),
        &out,
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("lease/l.csv"), "{}", o.show());
    assert!(o.stderr.contains("tenant_id_number"), "{}", o.show());
    assert_nothing_published(&out);

    insta::assert_snapshot!(
        "missing_required_header_error",
        console(&o.stderr, tmp.path())
    );
}
