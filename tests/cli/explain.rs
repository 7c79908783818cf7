//! `residence explain`: one person for a case officer, in text and JSON,
//! for the ID in any form, and nothing about anyone else.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// Every person the tests look up, in canonical form: explain may show
/// the one asked for.
const ASKED: [&str; 13] = [
    "11010519491231002X",
    "520102199712080127",
    "340102199103030112",
    "500103199406180122",
    "650102199201110119",
    "350502196503010129",
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

/// SPEC §9's JSON keys, in its order (top level of the object).
const SPEC_KEYS: [&str; 19] = [
    "person_id",
    "city",
    "as_of",
    "status",
    "basis",
    "eligible_since",
    "eligible_on",
    "pledge",
    "hukou",
    "months_of_evidence",
    "spells",
    "evidence",
    "evidence_total",
    "months",
    "routes",
    "filtered",
    "filtered_total",
    "rejected",
    "rejected_total",
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
        let keys: std::collections::BTreeSet<&str> = v
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            SPEC_KEYS.into_iter().collect(),
            "{name}: exactly the keys of SPEC §9"
        );
        // In SPEC §9's order, as printed.
        let at: Vec<usize> = SPEC_KEYS
            .iter()
            .map(|k| o.stdout.find(&format!("\n  \"{k}\":")).expect("printed"))
            .collect();
        assert!(at.is_sorted(), "{name}: keys out of SPEC §9's order");
        assert_eq!(v["months"].as_array().expect("months").len(), 24);
        insta::assert_snapshot!(format!("explain_{name}_json"), stable(&o.stdout));
    }
}

fn json(person: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    let o = explain(sample_out(), person, &args);
    assert_eq!(o.code, 0, "{}", o.show());
    serde_json::from_str(&o.stdout).expect("json")
}

/// `[kind, eligible, [start, end]…]` of each route.
fn routes_of(v: &Value) -> Vec<Vec<String>> {
    v["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|r| {
            let mut row = vec![
                r["kind"].as_str().expect("kind").to_owned(),
                r["eligible"].as_str().expect("eligible").to_owned(),
            ];
            for m in r["missing"].as_array().expect("missing") {
                row.push(format!(
                    "{}..{}",
                    m["start"].as_str().expect("start"),
                    m["end"].as_str().expect("end")
                ));
            }
            row
        })
        .collect()
}

fn route(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

/// As of 2026-11-27, min_months 6, max_gap_days 31, recency_days 62
/// (active from 2026-09-26); worked out by hand from sample-data/README.md.
#[test]
fn routes_to_eligibility_of_sample_people_worked_by_hand() {
    // P05: 2026-01-01..04-30 and 06-02..11-27 (a 32-day gap). Evidence for
    // 05-01..06-01 joins them: eligible from 01-01 + 6 months - 1 day =
    // 06-30, at once. Or the last spell reaches 06-02 + 6 months - 1 day.
    let v = json("360102199507190116", &[]);
    assert_eq!(v["status"], "pending");
    assert_eq!(
        routes_of(&v),
        [
            route(&["join", "2026-06-30", "2026-05-01..2026-06-01"]),
            route(&["extend", "2026-12-01", "2026-11-28..2026-12-01"]),
        ]
    );
    // P08: utility 2026-04-10..10-05, still active: four more days reach
    // 04-10 + 6 months - 1 day = 10-09, before the as-of.
    let v = json("520102199712080127", &[]);
    assert_eq!(
        routes_of(&v),
        [route(&["extend", "2026-10-09", "2026-10-06..2026-10-09"])]
    );
    // P09: a pledge declared since 2026-09-01, no evidence: 2027-02-28.
    let v = json("340102199103030112", &[]);
    assert_eq!(v["status"], "pending");
    assert_eq!(routes_of(&v), [route(&["pledge", "2027-02-28"])]);
    assert_eq!(v["pledge"][0]["used"], true);
    assert_eq!(v["pledge"][0]["declared_since"], "2026-09-01");
    // P10: the same pledge, and a lease since 2026-10-20 that would need
    // to reach 2027-04-19.
    let v = json("500103199406180122", &[]);
    assert_eq!(
        routes_of(&v),
        [
            route(&["pledge", "2027-02-28"]),
            route(&["extend", "2027-04-19", "2026-11-28..2027-04-19"]),
        ]
    );
    // P18: insurance 2025-09-01..2026-06-30, inactive: evidence reaching
    // the recency window (09-26) makes the ten months count, since 02-28.
    let v = json("530102199108080122", &[]);
    assert_eq!(v["status"], "inactive");
    assert_eq!(
        routes_of(&v),
        [route(&["extend", "2026-02-28", "2026-07-01..2026-09-26"])]
    );
    // Eligible people have no route.
    let v = json("430102198504120116", &[]);
    assert_eq!(v["status"], "eligible");
    assert_eq!(v["routes"], serde_json::json!([]));
}

#[test]
fn a_person_known_only_by_a_pledge_or_a_hukou_row_has_an_answer() {
    // P36: only an expired pledge (signed 2025-08-01).
    let v = json("650102199201110119", &[]);
    assert_eq!(v["status"], Value::Null);
    assert_eq!(v["city"], "350500");
    let pledge = &v["pledge"][0];
    assert_eq!(pledge["signed_date"], "2025-08-01");
    assert_eq!(pledge["counts"], false);
    assert_eq!(pledge["input_file"], "pledge/pledges.csv");
    // P51: a Quanzhou hukou row, nothing else.
    let v = json("350502196503010129", &[]);
    assert_eq!(v["hukou"]["city"], "350500");
    assert!(v["hukou"]["line"].as_i64().expect("line") > 1);
    let o = explain(sample_out(), "350502196503010129", &[]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("户籍 hukou"), "{}", o.stdout);
}

#[test]
fn long_lists_are_paged_with_their_totals() {
    // P01 has 40 evidence rows in the spell.
    let v = json("430102198504120116", &["--limit", "3"]);
    assert_eq!(v["evidence"].as_array().expect("evidence").len(), 3);
    let total = v["evidence_total"].as_u64().expect("total");
    assert!(total >= 40, "{total}");
    let all = json("430102198504120116", &["--limit", "1000"]);
    assert_eq!(
        all["evidence"].as_array().expect("evidence").len() as u64,
        total
    );
    assert_eq!(all["evidence"][0], v["evidence"][0]);
    let o = explain(sample_out(), "430102198504120116", &["--limit", "3"]);
    assert!(
        o.stdout.contains(&format!("… {} more", total - 3)),
        "{}",
        o.stdout
    );
    // The grid still sees every row.
    assert_eq!(all["months"], v["months"]);
}

#[test]
fn p29_lease_filed_after_the_as_of_is_listed_with_its_reason() {
    let v = json("420106199902020119", &[]);
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
    assert!(v["filtered_total"].as_u64().expect("total") >= 1);
    // P05's uncovered May is in the grid.
    let v = json("360102199507190116", &[]);
    let may = v["months"]
        .as_array()
        .expect("months")
        .iter()
        .find(|m| m["month"] == "2026-05")
        .expect("May");
    assert_eq!(may["covered"], false);
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
fn unknown_and_invalid_people_are_named_masked() {
    let o = explain(sample_out(), "11010519491231002X", &[]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains(
            "no decision, evidence, declaration, filtered or rejected row for 110105********002X"
        ),
        "{}",
        o.show()
    );
    assert!(o.stdout.is_empty());
    // A bad check character, and a city the person has nothing in: the
    // message names the ID masked, in text and in JSON logs.
    for (id, extra, code) in [
        ("110105194912310021", &[][..], 2),
        ("430102198504120116", &["--city", "350200"][..], 1),
    ] {
        for log in ["text", "json"] {
            let mut args = vec!["--log-format", log];
            args.extend(extra);
            let o = explain(sample_out(), id, &args);
            assert_eq!(o.code, code, "{}", o.show());
            assert!(!o.stderr.contains(id), "whole ID in the log: {}", o.show());
            assert!(o.stderr.contains(&id[..6]), "{}", o.show());
            assert!(o.stderr.contains("********"), "{}", o.show());
        }
    }
    let o = explain(&tempdir().path().join("none"), "430102198504120116", &[]);
    assert_eq!(o.code, 1, "{}", o.show());
}
