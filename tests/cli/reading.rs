//! Reading feeds as agencies send them: bare-CR line ends, entries that are
//! not files, headers after blank lines, one column of a pair.

use crate::support::*;

#[test]
fn bare_cr_lines_read_like_lf() {
    let out = tempdir();
    let dir = run_ok(
        &fixture("bare-cr").join("pipeline.toml"),
        None,
        out.path(),
        &[],
    );
    let md = fixture("bare-cr").join("EXPECTED.md");
    let m = read_manifest(&dir);
    check_file_counts(&m, &md);
    let rows = &markdown_tables(&md, &["file", "line", "outcome", "reason", "note"])[0];
    let want: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r[2] == "rejected")
        .map(|r| vec![feed_path(&r[0]), r[1].clone(), r[3].clone()])
        .collect();
    let rejects = read_parquet(&dir.join("rejects.parquet"));
    assert_same_rows(
        "bare-cr rejects",
        &rows_of(&rejects, &["input_file", "line", "reason"]),
        &want,
    );
    let evidence = read_parquet(&dir.join("evidence.parquet"));
    let lines: Vec<String> = rows_of(&evidence, &["line"])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(lines, ["2", "4", "5", "9"]);
    let eligibility = read_parquet(&dir.join("eligibility.parquet"));
    assert_eq!(
        rows_of(
            &eligibility,
            &[
                "status",
                "spell_start",
                "spell_end",
                "months_of_evidence",
                "covered_days"
            ]
        ),
        [["inactive", "2026-01-01", "2026-05-31", "5", "121"]]
    );
}

#[test]
fn csv_entries_that_are_not_files_are_skipped_with_a_warning() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    sample_copy(&data);
    std::fs::create_dir(data.join("lease/old.csv")).expect("a folder named .csv");
    std::os::unix::fs::symlink(data.join("nowhere.csv"), data.join("utility/gone.csv"))
        .expect("a dangling link");
    let fifo = data.join("telecom/pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());

    let plain = run_ok(&default_pipeline(), None, &tmp.path().join("a"), &[]);
    let o = run(&default_pipeline(), Some(&data), &tmp.path().join("b"), &[]);
    assert_eq!(o.code, 0, "{}", o.show());
    // Each names the entry as outputs name files, and carries it as a field.
    for name in ["lease/old.csv", "utility/gone.csv", "telecom/pipe.csv"] {
        let named = format!("{name}: not a regular file; skipped");
        assert!(o.stderr.contains(&named), "{named}\n{}", o.show());
    }
    let latest = tmp.path().join("b/latest");
    let m = read_manifest(&latest);
    let warnings = m["warnings"].as_array().expect("warnings");
    assert_eq!(
        warnings
            .iter()
            .filter(|w| w.as_str().is_some_and(|w| w.contains("not a regular file")))
            .count(),
        3
    );
    // The same rows as without them.
    assert_eq!(
        manifest_files(&m).keys().collect::<Vec<_>>(),
        manifest_files(&read_manifest(&plain))
            .keys()
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_header_error_names_the_header_line() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    sample_copy(&data);
    std::fs::write(
        data.join("lease/2026.csv"),
        "\n\nrecord_id,tenant_name,address,division,start_date\nL1,x,,350503,2026-01-01\n",
    )
    .expect("write");
    let out = tmp.path().join("out");
    let o = run(&default_pipeline(), Some(&data), &out, &[]);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(
        o.stderr
            .contains("lease/2026.csv: line 3: missing required column \"tenant_id_number\""),
        "{}",
        o.show()
    );
    assert_nothing_published(&out);
}

#[test]
fn one_column_of_a_pair_is_enough() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    sample_copy(&data);
    // A lease file with a division column and no address column runs; its
    // rows' addresses read as empty.
    std::fs::write(
        data.join("lease/2026.csv"),
        "record_id,tenant_id_number,division,start_date,filed_date\n\
         LP1,430102198504120116,350582,2026-01-01,2026-01-02\n\
         LP2,430102198504120116,,2026-02-01,2026-02-02\n",
    )
    .expect("write");
    let dir = run_ok(
        &default_pipeline(),
        Some(&data),
        &tmp.path().join("out"),
        &["--max-reject-rate", "1"],
    );
    let files = manifest_files(&read_manifest(&dir));
    let lease = &files["lease/2026.csv"];
    assert_eq!((lease.rows, lease.accepted), (2, 1));
    assert_eq!(lease.rejected.get("missing_field"), Some(&1));
    // Both columns of the pair absent: a header error.
    std::fs::write(
        data.join("lease/2026.csv"),
        "record_id,tenant_id_number,start_date\nLP1,430102198504120116,2026-01-01\n",
    )
    .expect("write");
    let o = run(
        &default_pipeline(),
        Some(&data),
        &tmp.path().join("out2"),
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("\"division\""), "{}", o.show());
}
