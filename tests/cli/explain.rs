//! `residence explain`: one person for a case officer, in text and JSON,
//! for the ID in any form, and nothing about anyone else.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// Every person the tests look up, in canonical form: explain may show
/// the one asked for.
const ASKED: [&str; 8] = [
    "11010519491231002X",
    "360102199507190116",
    "420106199902020119",
    "360103198312310116",
    "530102199108080122",
    "44010419940217012X",
    "360102196803120119",
    "430102198504120116",
];

fn explain(out: &Path, person: &str, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "explain",
        "--out",
        out.to_str().expect("utf-8"),
        "--person",
        person,
    ];
    args.extend(extra);
    residence_showing(&args, &ASKED)
}

/// The sample night, published once for all the explain tests of a process.
fn sample_out() -> &'static Path {
    static OUT: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    OUT.get_or_init(|| {
        let tmp = tempdir();
        run_ok(&default_pipeline(), None, tmp.path(), &[]);
        tmp
    })
    .path()
}

/// The output with its run id replaced, for a snapshot.
fn stable(text: &str) -> String {
    redact_run_ids(text)
}

/// P05 刘洋 (pending: a 32-day gap in May splits his evidence), P29 曾凡
/// (pending: her lease was filed after the as-of date), P13 胡志强
/// (eligible on a pledge, exactly on the as-of date).
const PEOPLE: [(&str, &str); 3] = [
    ("p05", "360102199507190116"),
    ("p29", "420106199902020119"),
    ("p13", "360103198312310116"),
];

#[test]
fn explain_text_and_json_for_sample_people() {
    for (name, id) in PEOPLE {
        let o = explain(sample_out(), id, &[]);
        assert_eq!(o.code, 0, "{}", o.show());
        insta::assert_snapshot!(format!("explain_{name}_text"), stable(&o.stdout));
        let o = explain(sample_out(), id, &["--format", "json"]);
        assert_eq!(o.code, 0, "{}", o.show());
        let v: Value = serde_json::from_str(&o.stdout).expect("json");
        for key in [
            "person_id",
            "city",
            "as_of",
            "status",
            "basis",
            "eligible_since",
            "eligible_on",
            "pledge_since",
            "months_of_evidence",
            "months_needed",
            "spells",
            "evidence",
            "months",
            "filtered",
            "rejected",
        ] {
            assert!(v.get(key).is_some(), "{name}: no {key}");
        }
        assert_eq!(v["months"].as_array().expect("months").len(), 24);
        insta::assert_snapshot!(format!("explain_{name}_json"), stable(&o.stdout));
    }
}

#[test]
fn explain_names_what_is_missing() {
    // P05: one month short, and May 2026 uncovered.
    let o = explain(sample_out(), "360102199507190116", &["--format", "json"]);
    let v: Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["months_needed"], 1);
    assert_eq!(v["eligible_on"], "2026-12-01");
    assert_eq!(
        v["missing"]["uncovered_months"],
        serde_json::json!(["2026-05"])
    );
    let may = v["months"]
        .as_array()
        .expect("months")
        .iter()
        .find(|m| m["month"] == "2026-05")
        .expect("May");
    assert_eq!(may["covered"], false);
    // P29: the lease filed after the as-of date is listed with its reason.
    let o = explain(sample_out(), "420106199902020119", &["--format", "json"]);
    let v: Value = serde_json::from_str(&o.stdout).expect("json");
    let lease = v["filtered"]
        .as_array()
        .expect("filtered")
        .iter()
        .find(|r| r["source"] == "lease")
        .expect("the lease");
    assert_eq!(lease["reason"], "after_as_of");
    assert_eq!(lease["input_file"], "lease/2026.csv");
    assert_eq!(lease["line"], 25);
    assert!(
        lease["reason_words"]
            .as_str()
            .expect("words")
            .contains("filed")
    );
    // P18: inactive, with the day evidence ended.
    let o = explain(sample_out(), "530102199108080122", &["--format", "json"]);
    let v: Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(v["status"], "inactive");
    assert_eq!(v["missing"]["evidence_ended"], "2026-06-30");
    assert_eq!(v["missing"]["continues_spell_until"], "2026-08-01");
}

#[test]
fn the_id_in_any_form() {
    let canonical = |o: &Outcome| -> String {
        let v: Value = serde_json::from_str(&o.stdout).expect("json");
        v["person_id"].as_str().expect("person_id").to_owned()
    };
    // P27's id ends in X; typed with a lower-case x.
    let o = explain(sample_out(), "44010419940217012x", &["--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(canonical(&o), "44010419940217012X");
    // P26 by the legacy 15-digit number.
    let o = explain(sample_out(), "360102680312011", &["--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(canonical(&o), "360102196803120119");
    // P01 in full-width digits.
    let o = explain(
        sample_out(),
        "４３０１０２１９８５０４１２０１１６",
        &["--format", "json"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(canonical(&o), "430102198504120116");
}

#[test]
fn nothing_about_anyone_else() {
    let (h, rows) = expected("eligibility.csv");
    let ids: Vec<String> = project(&h, &rows, &["person_id"])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    for (_, id) in PEOPLE {
        for format in ["text", "json"] {
            let o = explain(sample_out(), id, &["--format", format]);
            for other in ids.iter().filter(|other| other.as_str() != id) {
                assert!(!o.stdout.contains(other.as_str()), "{id} shows {other}");
            }
            let shown: Vec<String> = id_numbers_in(&o.stdout)
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            assert_eq!(shown, vec![id.to_owned()]);
        }
    }
}

#[test]
fn unknown_and_invalid_people() {
    let o = explain(sample_out(), "11010519491231002X", &[]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr
            .contains("no decision, evidence, filtered or rejected row for 11010519491231002X"),
        "{}",
        o.show()
    );
    assert!(o.stdout.is_empty());
    let o = explain(sample_out(), "110105194912310021", &[]);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("not a valid ID number"), "{}", o.show());
    let o = explain(&tempdir().path().join("none"), "430102198504120116", &[]);
    assert_eq!(o.code, 1, "{}", o.show());
}
