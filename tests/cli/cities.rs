//! A second city in scope: a person with evidence in two cities gets a row per city.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::*;

/// Whether the record on physical line `line` of `sample-data/<input_file>` is
/// located in Xiamen (厦门, 3502xx): its division column when filled, else its
/// address (SPEC §3). Only for simple rows (no quoting), which the
/// out-of-scope rows of the sample are.
pub(crate) fn sample_row_in_xiamen(input_file: &str, line: usize) -> bool {
    let path = root().join("sample-data").join(input_file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0]
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(str::trim)
        .collect();
    let record = lines[line - 1];
    assert!(!record.contains('"'), "{input_file}:{line} is quoted");
    let fields: Vec<&str> = record.split(',').map(str::trim).collect();
    assert_eq!(fields.len(), header.len(), "{input_file}:{line}");
    let field = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .map(|i| fields[i])
            .unwrap_or("")
    };
    let division = field("division");
    if division.is_empty() {
        field("address").contains("厦门市")
    } else {
        division.starts_with("3502")
    }
}

/// Sum of one filtered reason over the manifest's files, and per file.
pub(crate) fn filtered_by_file(m: &Value, reason: &str) -> BTreeMap<String, u64> {
    manifest_files(m)
        .into_iter()
        .map(|(path, c)| (path, c.filtered.get(reason).copied().unwrap_or(0)))
        .collect()
}

#[test]
fn a_person_with_evidence_in_two_cities_gets_a_row_per_city() {
    let tmp = tempdir();
    // The default pipeline with Xiamen (350200) in scope besides Quanzhou, and
    // absolute paths (relative ones resolve against the pipeline's folder).
    let text = std::fs::read_to_string(default_pipeline()).expect("default pipeline");
    let sample = root().join("sample-data");
    let edited = text
        .replace(
            "jurisdictions = [\"350500\"]",
            "jurisdictions = [\"350500\", \"350200\"]",
        )
        .replace("\"../sample-data", &format!("\"{}", sample.display()));
    assert!(edited.contains("\"350200\"]"), "jurisdictions replaced");
    assert!(!edited.contains("../sample-data"), "paths made absolute");
    let pipeline = tmp.path().join("two-cities.toml");
    std::fs::write(&pipeline, edited).expect("write pipeline");

    let base = run_ok(&default_pipeline(), None, &tmp.path().join("out-one"), &[]);
    let dir = run_ok(&pipeline, None, &tmp.path().join("out-two"), &[]);
    let elig = read_parquet(&dir.join("eligibility.parquet"));
    let cols = oracle_eligibility_columns();
    let rows = rows_of(&elig, &cols);

    // P03 王磊 (README: moved from Xiamen to Quanzhou in 2026-04). Its Xiamen
    // rows (README: filtered out_of_scope in the default run), all 350206:
    //   social_insurance 2025-09 .. 2026-03, 7 months (SB2025{09,10,11,12}031,
    //     SB2026{01,02,03}031): 2025-09-01 .. 2026-03-31 month by month;
    //   lease ZL2025-0835: 2025-09-01 .. 2026-03-31 (filed 2025-09-02);
    //   telecom KD3002 broadband (0592-5561-203 → 05925561203, a valid fixed
    //     line): 2025-09-05 .. 2026-03-30.
    // Sorted by start, end, every interval starts within the running spell end
    // + 32 days, so one spell 2025-09-01 .. 2026-03-31 with 9 intervals.
    // months: 2025-09-01 + 7 months = 2026-04-01 <= 03-31 + 1 day; + 8 = 05-01 >
    //   → 7. covered: the union is the whole span, 30+31+30+31+31+28+31 = 212.
    // Active needs end >= 2026-11-27 − 62 days = 2026-09-26: 03-31 is not. No
    // pledge or hukou row for P03 → inactive, basis none, no dates.
    let p03 = "410102199211050119";
    let p03_rows: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == p03).collect();
    assert_eq!(
        p03_rows,
        [
            &[
                p03,
                "350200",
                "inactive",
                "none",
                "2025-09-01",
                "2026-03-31",
                "7",
                "212",
                "9",
                "lease;social_insurance;telecom",
                "",
                "",
                "",
            ]
            .map(String::from)
            .to_vec(),
            // Unchanged from the README's eligibility table.
            &[
                p03,
                "350500",
                "eligible",
                "evidence",
                "2026-04-01",
                "2026-11-27",
                "7",
                "241",
                "11",
                "employment_school;labor_contract;lease;social_insurance",
                "2026-09-30",
                "",
                "",
            ]
            .map(String::from)
            .to_vec(),
        ],
        "P03: one row per city, {cols:?}"
    );

    // Sorted by city, then person_id: the 350200 rows first.
    let keys: Vec<(String, String)> = rows.iter().map(|r| (r[1].clone(), r[0].clone())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "eligibility sorted by city, person_id");
    assert_eq!(keys[0].0, "350200", "Xiamen rows come first");
    // The Xiamen people are those of the README's Xiamen rows: P03, P31 (all
    // evidence in Xiamen) and P37 (pledge in Xiamen).
    let xiamen: BTreeSet<&str> = keys
        .iter()
        .filter(|k| k.0 == "350200")
        .map(|k| k.1.as_str())
        .collect();
    assert_eq!(
        xiamen,
        BTreeSet::from([p03, "410104198704300110", "460102199506060129"])
    );
    // Adding a city changes nothing in Quanzhou.
    let (h, want) = expected("eligibility.csv");
    let quanzhou: Vec<Vec<String>> = rows.iter().filter(|r| r[1] == "350500").cloned().collect();
    assert_same_rows(
        "350500 rows with Xiamen in scope",
        &quanzhou,
        &project(&h, &want, &cols),
    );

    // out_of_scope drops, per file, by the oracle's out_of_scope rows located
    // in Xiamen (division 3502xx, else an address naming 厦门市); those rows are
    // now accepted.
    let (h, all) = expected("rows.csv");
    let at = |c: &str| h.iter().position(|x| x == c).expect("rows.csv column");
    let mut now_in_scope: BTreeMap<String, u64> = BTreeMap::new();
    for r in &all {
        if r[at("reason")] == "out_of_scope"
            && sample_row_in_xiamen(&r[at("input_file")], r[at("line")].parse().expect("line"))
        {
            *now_in_scope.entry(r[at("input_file")].clone()).or_default() += 1;
        }
    }
    let moved: u64 = now_in_scope.values().sum();
    assert!(moved > 0, "the oracle has Xiamen rows");
    let before = filtered_by_file(&read_manifest(&base), "out_of_scope");
    let after = filtered_by_file(&read_manifest(&dir), "out_of_scope");
    assert_eq!(
        before.values().sum::<u64>() - after.values().sum::<u64>(),
        moved,
        "out_of_scope total drop"
    );
    let (files_before, files_after) = (
        manifest_files(&read_manifest(&base)),
        manifest_files(&read_manifest(&dir)),
    );
    for (path, b) in &before {
        let n = now_in_scope.get(path).copied().unwrap_or(0);
        assert_eq!(after[path] + n, *b, "{path}: out_of_scope");
        assert_eq!(
            files_after[path].accepted,
            files_before[path].accepted + n,
            "{path}: accepted"
        );
        assert!(files_after[path].balanced(), "{path}");
    }
}
