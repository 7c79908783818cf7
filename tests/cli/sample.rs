//! The sample data against its hand-written oracle (`sample-data/expected/`, README).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use polars::prelude::*;

use crate::support::*;

/// Reads `OUT/.../<name>.parquet` and checks it equals `expected/<name>.csv`
/// (columns in SPEC §7's order, rows in output order), that `dates` are Date
/// and that `sources`, where present, is List(String).
pub(crate) fn check_output(dir: &Path, name: &str, cols: &[&str], dates: &[&str]) -> DataFrame {
    let file = format!("{name}.parquet");
    let df = read_parquet(&dir.join(&file));
    assert_eq!(column_names(&df), cols, "{name} columns (SPEC §7)");
    let (h, rows) = expected(&format!("{name}.csv"));
    // The oracle's columns (strong_days is checked on its own).
    let compared: Vec<&str> = cols
        .iter()
        .copied()
        .filter(|c| h.iter().any(|name| name == c))
        .collect();
    assert_same_rows(
        &file,
        &rows_of(&df, &compared),
        &project(&h, &rows, &compared),
    );
    for c in dates {
        assert_eq!(dtype(&df, c), DataType::Date, "{name}.{c}");
    }
    if cols.contains(&"sources") {
        assert_eq!(
            dtype(&df, "sources"),
            DataType::List(Box::new(DataType::String)),
            "{name}.sources"
        );
    }
    df
}

#[test]
fn sample_data_outputs_equal_the_expected_tables() {
    let out = tempdir();
    let dir = run_ok(&default_pipeline(), None, out.path(), &[]);

    let elig = check_output(
        &dir,
        "eligibility",
        &ELIGIBILITY_COLUMNS,
        &[
            "spell_start",
            "spell_end",
            "eligible_since",
            "eligible_on",
            "pledge_since",
        ],
    );
    let spells = check_output(&dir, "spells", &SPELL_COLUMNS, &["start", "end"]);
    let evidence = check_output(
        &dir,
        "evidence",
        &[
            "person_id",
            "city",
            "division",
            "source",
            "record_id",
            "start",
            "end",
            "input_file",
            "line",
        ],
        &["start", "end"],
    );
    // README: 46 eligibility rows, 40 spells, 596 evidence rows.
    assert_eq!(
        (elig.height(), spells.height(), evidence.height()),
        (46, 40, 596)
    );
}

#[test]
fn sample_data_manifest_and_rejects_account_for_every_row() {
    let out = tempdir();
    let dir = run_ok(&default_pipeline(), None, out.path(), &[]);
    let m = read_manifest(&dir);
    assert_eq!(m["status"], "succeeded");
    assert_eq!(m["as_of"], AS_OF);

    let files = manifest_files(&m);
    let (h, rows) = expected("file_counts.csv");
    let want: BTreeMap<String, FileCounts> = project(
        &h,
        &rows,
        &[
            "input_file",
            "rows",
            "accepted",
            "filtered",
            "rejected",
            "by_reason",
        ],
    )
    .into_iter()
    .map(|r| {
        let mut filtered = BTreeMap::new();
        let mut rejected = BTreeMap::new();
        for pair in r[5].split(';').filter(|s| !s.is_empty()) {
            let (reason, n) = pair.split_once('=').expect("reason=n");
            let n: u64 = n.parse().expect("count");
            if FILTER_REASONS.contains(&reason) {
                filtered.insert(reason.to_owned(), n);
            } else {
                rejected.insert(reason.to_owned(), n);
            }
        }
        let c = FileCounts {
            rows: r[1].parse().expect("rows"),
            accepted: r[2].parse().expect("accepted"),
            filtered,
            rejected,
        };
        assert_eq!(c.filtered.values().sum::<u64>().to_string(), r[3]);
        assert_eq!(c.rejected.values().sum::<u64>().to_string(), r[4]);
        (r[0].clone(), c)
    })
    .collect();
    assert_eq!(
        files, want,
        "manifest per-file counts vs expected/file_counts.csv"
    );
    for (path, c) in &files {
        assert!(
            c.balanced(),
            "{path}: rows != accepted + filtered + rejected: {c:?}"
        );
    }

    let rejects = read_parquet(&dir.join("rejects.parquet"));
    assert_eq!(
        column_names(&rejects),
        [
            "source",
            "input_file",
            "line",
            "reason",
            "detail",
            "raw",
            "person_id"
        ],
        "rejects columns (SPEC §7)"
    );
    let cols = ["source", "input_file", "line", "reason"];
    let (h, rows) = expected("rows.csv");
    let rejected: Vec<Vec<String>> = rows
        .into_iter()
        .filter(|r| r[h.iter().position(|c| c == "outcome").expect("outcome")] == "rejected")
        .collect();
    assert_eq!(rejected.len(), 16, "README: 16 rejected rows");
    assert_same_rows(
        "rejects.parquet",
        &rows_of(&rejects, &cols),
        &project(&h, &rejected, &cols),
    );
    // `raw` is the record's text without its final line break (CRLF too):
    // it holds the record id the oracle names.
    let raws = rows_of(&rejects, &["input_file", "line", "raw"]);
    let ids = project(&h, &rejected, &["record_id"]);
    for (r, id) in raws.iter().zip(&ids) {
        assert!(r[2].contains(&id[0]), "{r:?} lacks {}", id[0]);
        assert!(
            !r[2].ends_with('\n') && !r[2].ends_with('\r'),
            "raw keeps a line break: {r:?}"
        );
    }
    let m_out = &m["outputs"];
    assert_eq!(m_out["rejects.parquet"], 16);
    assert_eq!(m_out["evidence.parquet"], 596);
}

/// From sample-data/README.md's eligibility table and worked arithmetic:
/// label, person_id, then status, basis, spell_start, spell_end, months,
/// covered, count, eligible_since, eligible_on, pledge_since.
#[rustfmt::skip]
const NAMED_PEOPLE: [[&str; 12]; 16] = [
    ["P04 gap of exactly 31 days joins", "510104198802290116", "eligible", "evidence", "2026-01-01", "2026-11-27", "10", "300", "10", "2026-06-30", "", ""],
    ["P05 gap of 32 days splits", "360102199507190116", "pending", "evidence", "2026-06-02", "2026-11-27", "5", "179", "1", "", "2026-12-01", ""],
    ["P06 evidence wins the eligible_on tie", "450102199305300120", "pending", "evidence", "2026-05-30", "2026-11-27", "5", "182", "1", "", "2026-11-29", "2026-05-31"],
    ["P08 eligible_on before as-of", "520102199712080127", "pending", "evidence", "2026-04-10", "2026-10-05", "5", "179", "6", "", "2026-10-09", ""],
    ["P11 superseded pledge", "620102198909090117", "eligible", "pledge", "", "", "0", "0", "0", "2026-09-14", "", "2026-03-15"],
    ["P12 inactive 7-month spell, then pledge", "410105198601250129", "eligible", "pledge", "2025-08-01", "2026-02-28", "7", "212", "7", "2026-08-31", "", "2026-03-01"],
    ["P13 pledge eligible on as-of", "360103198312310116", "eligible", "pledge", "", "", "0", "0", "0", "2026-11-27", "", "2026-05-28"],
    ["P14 pledge signed 365 days before", "430104199202140127", "eligible", "pledge", "", "", "0", "0", "0", "2025-11-29", "", "2025-05-31"],
    ["P16 same signed day, later row", "610102199603080146", "eligible", "pledge", "", "", "0", "0", "0", "2026-07-31", "", "2026-02-01"],
    ["P20 one day short of active", "370102199804040124", "inactive", "none", "2026-03-26", "2026-09-25", "6", "184", "1", "", "", ""],
    ["P21 on the recency boundary", "130102199001200118", "eligible", "evidence", "2026-03-20", "2026-09-26", "6", "191", "1", "2026-09-19", "", ""],
    ["P22 shopper known by phone", "330102199509270122", "eligible", "evidence", "2026-04-03", "2026-11-20", "7", "11", "11", "2026-10-02", "", ""],
    ["P26 legacy 15-digit id", "360102196803120119", "eligible", "evidence", "2025-03-01", "2026-11-27", "20", "637", "10", "2025-08-31", "", ""],
    ["P27 id with lowercase x", "44010419940217012X", "eligible", "evidence", "2025-11-01", "2026-11-27", "12", "392", "15", "2026-04-30", "", ""],
    ["P02 not_applicable keeps its spell", "350583199008230126", "not_applicable", "none", "2026-01-01", "2026-11-27", "10", "331", "21", "", "", ""],
    ["P35 hukou superseded by normalised id", "35050319861003069X", "eligible", "evidence", "2026-01-01", "2026-11-27", "10", "331", "13", "2026-06-30", "", ""],
];

/// Named people of sample-data/README.md, with the values written out so a
/// failure reads as a case.
#[test]
fn sample_data_named_people_match_the_readme() {
    let out = tempdir();
    let dir = run_ok(&default_pipeline(), None, out.path(), &[]);
    let elig = read_parquet(&dir.join("eligibility.parquet"));
    let spells = read_parquet(&dir.join("spells.parquet"));

    // Every eligibility column but the id (the lookup key) and the sources
    // (checked below), in file order.
    let cols: Vec<&str> = ELIGIBILITY_COLUMNS
        .into_iter()
        .filter(|c| {
            !matches!(
                *c,
                "person_id" | "sources" | "strong_days" | "county" | "as_of"
            )
        })
        .collect();
    for [label, id, want @ ..] in NAMED_PEOPLE {
        let r = person_row(&elig, id).unwrap_or_else(|| panic!("{label}: no eligibility row"));
        let got: Vec<&str> = cols.iter().map(|c| r[*c].as_str()).collect();
        let mut expect = vec!["350500"];
        expect.extend(want);
        assert_eq!(got, expect, "{label} ({id}): {cols:?}");
    }

    // P22's spell comes from shopping only; P40's from eight sources.
    let p22 = person_row(&elig, "330102199509270122").expect("P22");
    assert_eq!(p22["sources"], "shopping");
    let p40 = person_row(&elig, "430521198705160115").expect("P40");
    assert_eq!(
        p40["sources"],
        "business_license;employment_school;labor_contract;lease;shopping;social_insurance;telecom;utility"
    );

    // P05 has two spells: 2026-01-01..04-30 (4 months, 120 days, 4 rows) and the last one.
    let p05: Vec<Vec<String>> = rows_of(
        &spells,
        &[
            "person_id",
            "spell_no",
            "start",
            "end",
            "months",
            "covered_days",
            "evidence_count",
            "sources",
        ],
    )
    .into_iter()
    .filter(|r| r[0] == "360102199507190116")
    .map(|r| r[1..].to_vec())
    .collect();
    assert_eq!(
        p05,
        vec![
            vec![
                "1",
                "2026-01-01",
                "2026-04-30",
                "4",
                "120",
                "4",
                "social_insurance"
            ],
            vec![
                "2",
                "2026-06-02",
                "2026-11-27",
                "5",
                "179",
                "1",
                "labor_contract"
            ],
        ]
    );

    // No row: all evidence out of scope (P31), expired pledge only (P36), pledge
    // in Xiamen (P37), hukou only (P51).
    for (label, id) in [
        ("P31", "410104198704300110"),
        ("P36", "650102199201110119"),
        ("P37", "460102199506060129"),
        ("P51", "350502196503010129"),
    ] {
        assert!(
            person_row(&elig, id).is_none(),
            "{label} ({id}) must have no row"
        );
    }

    // The record after lease/2025.csv's two-line quoted address (lines 6-7)
    // starts on line 8 (README layout notes).
    let evidence = read_parquet(&dir.join("evidence.parquet"));
    let lease_2025: Vec<Vec<String>> = rows_of(&evidence, &["input_file", "line", "record_id"])
        .into_iter()
        .filter(|r| r[0] == "lease/2025.csv" && (r[1] == "6" || r[1] == "7" || r[1] == "8"))
        .collect();
    assert_eq!(
        lease_2025.len(),
        2,
        "lease/2025.csv: records on lines 6 and 8, none on 7: {lease_2025:?}"
    );
    assert!(lease_2025.iter().any(|r| r[1] == "6"), "{lease_2025:?}");
    assert!(lease_2025.iter().any(|r| r[1] == "8"), "{lease_2025:?}");
    // lease/2026.csv has CRLF and blank lines 4, 11, 12, 24: its unresolved
    // address is on line 6, and the 7-field insurance row on line 70.
    let rejects = read_parquet(&dir.join("rejects.parquet"));
    let r = rows_of(&rejects, &["input_file", "line", "reason"]);
    assert!(
        r.contains(&vec![
            "lease/2026.csv".into(),
            "6".into(),
            "unresolved_address".into()
        ]),
        "{r:?}"
    );
    assert!(
        r.contains(&vec![
            "social_insurance/2026-h1.csv".into(),
            "70".into(),
            "malformed_row".into()
        ]),
        "{r:?}"
    );
}

#[test]
fn sample_data_covers_every_reason_and_every_status_basis() {
    let out = tempdir();
    let dir = run_ok(&default_pipeline(), None, out.path(), &[]);

    // Every reason code of SPEC §5 (ALL_REASONS, listed above) is counted in
    // some source of the manifest, and nothing else is.
    let m = read_manifest(&dir);
    let mut seen = BTreeSet::new();
    for s in m["sources"].as_object().expect("sources").values() {
        seen.extend(json_counts(&s["filtered"]).into_keys());
        seen.extend(json_counts(&s["rejected"]).into_keys());
    }
    let all: BTreeSet<String> = ALL_REASONS.iter().map(|s| s.to_string()).collect();
    assert_eq!(all.len(), 19);
    assert_eq!(seen, all, "reasons in the sample run vs SPEC §5");

    // Every status × basis combination of SPEC §6, and only those.
    let elig = read_parquet(&dir.join("eligibility.parquet"));
    let got: BTreeSet<(String, String)> = rows_of(&elig, &["status", "basis"])
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("eligible", "evidence"),
        ("eligible", "pledge"),
        ("pending", "evidence"),
        ("pending", "pledge"),
        ("inactive", "none"),
        ("not_applicable", "none"),
    ]
    .into_iter()
    .map(|(s, b)| (s.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(got, want, "status × basis in eligibility.parquet");
}

/// strong_days against the oracle's evidence: the days of the last spell
/// (every interval starting on or after its start) covered by a strong
/// source, counted day by day.
#[test]
fn strong_days_count_the_days_strong_sources_cover() {
    let out = tempdir();
    let dir = run_ok(&default_pipeline(), None, out.path(), &[]);
    let elig = read_parquet(&dir.join("eligibility.parquet"));
    let (h, evidence) = expected("evidence.csv");
    let rows = project(
        &h,
        &evidence,
        &["person_id", "city", "source", "start", "end"],
    );
    let strong = [
        "social_insurance",
        "lease",
        "employment_school",
        "labor_contract",
        "business_license",
    ];
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let mut some_strong = 0;
    let mut some_weak_only = 0;
    for r in rows_of(&elig, &["person_id", "city", "spell_start", "strong_days"]) {
        let want = if r[2].is_empty() {
            0
        } else {
            let from = day(&r[2]);
            let mut days = BTreeSet::new();
            for e in &rows {
                if e[0] == r[0]
                    && e[1] == r[1]
                    && strong.contains(&e[2].as_str())
                    && day(&e[3]) >= from
                {
                    let mut d = day(&e[3]);
                    while d <= day(&e[4]) {
                        days.insert(d);
                        d = d.succ_opt().expect("next day");
                    }
                }
            }
            days.len()
        };
        assert_eq!(r[3], want.to_string(), "strong_days of {}", r[0]);
        if want > 0 {
            some_strong += 1;
        } else if !r[2].is_empty() {
            some_weak_only += 1;
        }
    }
    // The sample has both kinds: people resting on strong sources, and
    // people (P08 on bills, P22 on shopping, P21 on broadband) without.
    assert!(
        some_strong > 20 && some_weak_only >= 3,
        "{some_strong} {some_weak_only}"
    );
}
