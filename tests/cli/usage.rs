//! Usage errors: exit 2, nothing published.

use crate::support::*;

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = tempdir();
    let o = run(&default_pipeline(), None, out.path(), &["--no-such-flag"]);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("--no-such-flag"), "{}", o.show());
    assert_nothing_published(out.path());
}

#[test]
fn unknown_column_field_names_file_line_and_column() {
    let tmp = tempdir();
    let gazetteer = root().join("sample-data/divisions.csv");
    let data = fixture("missing-optional").join("data");
    let good = format!(
        "name = \"t\"\ngazetteer = \"{}\"\n\n[sources.social_insurance]\nencoding = \"utf-8\"\n[sources.social_insurance.columns]\nrecord_id = \"record_id\"\n",
        gazetteer.display()
    );
    let good_path = tmp.path().join("good.toml");
    std::fs::write(&good_path, &good).expect("write");
    // The same file is usable without the unknown field...
    run_ok(&good_path, Some(&data), &tmp.path().join("out-good"), &[]);

    // ...and refused with it, at its line and column 1.
    let bad = format!("{good}not_a_field = \"x\"\n");
    let line = bad
        .lines()
        .position(|l| l.starts_with("not_a_field"))
        .expect("line")
        + 1;
    let bad_path = tmp.path().join("bad.toml");
    std::fs::write(&bad_path, &bad).expect("write");
    let out = tmp.path().join("out-bad");
    let o = run(&bad_path, Some(&data), &out, &[]);
    assert_eq!(o.code, 2, "{}", o.show());
    let at = format!("{}:{line}:1", bad_path.display());
    assert!(o.stderr.contains(&at), "expected {at} in:\n{}", o.show());
    assert!(o.stderr.contains("not_a_field"), "{}", o.show());
    assert_nothing_published(&out);
}

#[test]
fn missing_data_folder_is_a_usage_error() {
    let tmp = tempdir();
    let missing = tmp.path().join("no-such-folder");
    let out = tmp.path().join("out");
    let o = run(&default_pipeline(), Some(&missing), &out, &[]);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("no-such-folder"), "{}", o.show());
    assert_nothing_published(&out);
}
