//! No whole ID number on the console.

use crate::support::*;

#[test]
fn no_run_prints_a_whole_id_number_on_stdout_or_stderr() {
    // The scanner finds IDs (so a leak would be caught)...
    assert_eq!(
        id_numbers_in("a 44010419940217012x b 350502********123X 430102198504120116."),
        vec!["44010419940217012x", "430102198504120116"]
    );
    assert!(id_numbers_in("430102198504120117 2026020252323687").is_empty());

    // ...and `residence` (checks every run's output) stays silent about them on
    // the noisiest runs: full summary, warnings, gate failure, header error.
    let tmp = tempdir();
    let outs = [
        run(&default_pipeline(), None, &tmp.path().join("a"), &[]),
        run(&agency_pipeline(), None, &tmp.path().join("b"), &[]),
        run(
            &fixture("dirty").join("pipeline.toml"),
            None,
            &tmp.path().join("c"),
            &[],
        ),
        run(
            &fixture("gate").join("pipeline.toml"),
            None,
            &tmp.path().join("d"),
            &[],
        ),
        run(
            &fixture("missing-required").join("pipeline.toml"),
            None,
            &tmp.path().join("e"),
            &[],
        ),
    ];
    assert_eq!(
        outs.iter().map(|o| o.code).collect::<Vec<_>>(),
        [0, 0, 0, 3, 2]
    );
    // Nor any person id of the oracle, in any spelling.
    let (h, rows) = expected("eligibility.csv");
    let ids = project(&h, &rows, &["person_id"]);
    for o in &outs {
        for id in &ids {
            let lower = id[0].to_ascii_lowercase();
            assert!(
                !o.stdout.contains(&id[0])
                    && !o.stderr.contains(&id[0])
                    && !o.stderr.contains(&lower),
                "{} printed:\n{}",
                id[0],
                o.show()
            );
        }
    }
    assert!(!outs[0].stdout.is_empty(), "the summary is printed");
}
