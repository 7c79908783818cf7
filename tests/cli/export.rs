//! `residence export`: the pseudonymised analyst copy holds no ID or phone
//! number, names people by keyed pseudonyms, and refuses a weak key.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::support::*;

const KEY: [u8; 40] = *b"an analyst-copy key of forty bytes, 2026";

fn key_file(dir: &Path, bytes: &[u8], mode: u32) -> std::path::PathBuf {
    let path = dir.join("key");
    std::fs::write(&path, bytes).expect("write key");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    path
}

fn export(out: &Path, key: &Path, to: &Path, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "export",
        "--out",
        out.to_str().expect("utf-8"),
        "--key-file",
        key.to_str().expect("utf-8"),
        "--to",
        to.to_str().expect("utf-8"),
    ];
    args.extend(extra);
    residence(&args)
}

/// Every ID number and phone number the sample feeds hold, normalised
/// (digits only, `X` upper case): what the copy must not contain.
fn identifiers_in_the_feeds() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut walk = vec![root().join("sample-data")];
    while let Some(dir) = walk.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir") {
            let path = e.expect("entry").path();
            if path.is_dir() {
                walk.push(path);
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            // Full-width digits as ASCII, then runs of digits (and X) with
            // the usual phone separators removed.
            let folded: String = text
                .chars()
                .map(|c| match c {
                    '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                    'x' | 'Ｘ' => 'X',
                    ' ' | '-' | '(' | ')' | '+' => '\u{0}',
                    c => c,
                })
                .filter(|&c| c != '\u{0}')
                .collect();
            let mut run = String::new();
            for c in folded.chars().chain(std::iter::once(',')) {
                if c.is_ascii_digit() || c == 'X' {
                    run.push(c);
                } else {
                    let digits = run.trim_start_matches("86");
                    let is_phone = (digits.len() == 11 && digits.starts_with('1'))
                        || (digits.starts_with('0') && (10..=12).contains(&digits.len()));
                    if run.len() == 18 || run.len() == 15 || is_phone {
                        found.insert(if is_phone {
                            digits.to_owned()
                        } else {
                            run.clone()
                        });
                    }
                    run.clear();
                }
            }
        }
    }
    found
}

/// Every cell of a Parquet file as text.
fn cells(path: &Path) -> Vec<(String, String)> {
    let df = read_parquet(path);
    let mut out = Vec::new();
    for c in df.columns() {
        for i in 0..df.height() {
            out.push((c.name().to_string(), cell(c.get(i).expect("cell"))));
        }
    }
    out
}

#[test]
fn the_analyst_copy_holds_pseudonyms_and_no_identifiers() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    run_ok(&default_pipeline(), None, &out, &[]);
    let key = key_file(tmp.path(), &KEY, 0o600);
    let to = tmp.path().join("copy");
    let o = export(&out, &key, &to, &["--k", "3"]);
    assert_eq!(o.code, 0, "{}", o.show());

    // The known person's pseudonym, computed here from the spec's formula.
    let person = "430102198504120116";
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&KEY).expect("key");
    mac.update(format!("person:{person}").as_bytes());
    let want: String = mac.finalize().into_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let e = read_parquet(&to.join("eligibility.parquet"));
    let row = person_row(&e, &want).expect("the known person under their pseudonym");
    assert_eq!(row["status"], "eligible");
    assert_eq!(row["basis"], "evidence");
    assert_eq!(row["months_of_evidence"], "17");
    assert_eq!(e.height(), 46);

    // No ID or phone number of the feeds, in any column or the report.
    let secrets = identifiers_in_the_feeds();
    assert!(secrets.len() > 60, "{} identifiers found", secrets.len());
    assert!(secrets.contains(person) && secrets.contains("13805951201"));
    let mut texts: Vec<(String, String)> = Vec::new();
    for name in ["eligibility.parquet", "spells.parquet"] {
        texts.extend(cells(&to.join(name)));
    }
    let report = std::fs::read_to_string(to.join("report.json")).expect("report");
    texts.push(("report.json".to_owned(), report.clone()));
    for (column, text) in &texts {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{column} holds {s}");
        }
        // Nor any other valid ID number outside the hex pseudonyms.
        if column != "person_id" {
            assert!(id_numbers_in(text).is_empty(), "{column}: {text}");
        }
        // Dates are months.
        if text.len() == 10 && text.as_bytes()[4] == b'-' {
            assert!(text.ends_with("-01"), "{column}: {text} is not a month");
        }
    }
    // What the copy leaves out.
    let columns = column_names(&e);
    for gone in ["record_id", "raw", "input_file", "line"] {
        assert!(!columns.iter().any(|c| c == gone), "{gone} copied");
    }
    assert!(!to.join("evidence.parquet").exists());

    // k-anonymity, counted here from the files as written: each person's
    // quasi-identifiers across eligibility and spells form one class.
    let r: serde_json::Value = serde_json::from_str(&report).expect("json");
    assert_eq!(r["k"], 3);
    let spells = read_parquet(&to.join("spells.parquet"));
    let (sizes, persons) = written_classes(&e, &spells);
    for (combination, n) in &sizes {
        assert!(*n >= 3, "a class of {n} persons left: {combination:?}");
    }
    assert_eq!(r["classes"], sizes.len());
    assert_eq!(r["persons"], persons);
    assert_eq!(r["smallest_class"], *sizes.values().min().expect("classes"));
    // Suppressed persons have no city in either file; the report counts them.
    let suppressed = rows_of(&e, &["precision", "city"])
        .into_iter()
        .filter(|r| r[0] == "suppressed")
        .inspect(|r| assert_eq!(r[1], ""))
        .count();
    assert_eq!(r["persons_by_precision"]["suppressed"], suppressed);
    // aggregates.parquet: the run's cells; those under k null and flagged.
    let a = read_parquet(&to.join("aggregates.parquet"));
    let cells = rows_of(&a, &["persons", "below_k"]);
    assert!(!cells.is_empty());
    for c in &cells {
        match c[1].as_str() {
            "true" => assert_eq!(c[0], ""),
            _ => assert!(c[0].parse::<u64>().expect("persons") >= 3, "{c:?}"),
        }
    }
    assert_eq!(mode(&to.join("eligibility.parquet")), 0o600);
}

#[test]
fn a_weak_key_is_refused() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    run_ok(&default_pipeline(), None, &out, &[]);
    let to = tmp.path().join("copy");
    let shared = key_file(tmp.path(), &KEY, 0o640);
    let o = export(&out, &shared, &to, &[]);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("readable by others"), "{}", o.show());
    let short = key_file(tmp.path(), &KEY[..31], 0o600);
    let o = export(&out, &short, &to, &[]);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("at least 32 are needed"), "{}", o.show());
    assert!(!to.exists(), "nothing written");
    // No published run: exit 1.
    let good = key_file(tmp.path(), &KEY, 0o600);
    let o = export(&tmp.path().join("nowhere"), &good, &to, &[]);
    assert_eq!(o.code, 1, "{}", o.show());
}

/// Each person's combination of quasi-identifiers across both files as
/// written (precision, city, county and every date), and the persons in the copy.
fn written_classes(
    e: &polars::prelude::DataFrame,
    spells: &polars::prelude::DataFrame,
) -> (std::collections::BTreeMap<Vec<String>, usize>, usize) {
    let mut per_person: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    let qi_e = [
        "person_id",
        "precision",
        "city",
        "county",
        "spell_start",
        "spell_end",
        "eligible_since",
        "eligible_on",
        "pledge_since",
    ];
    for row in rows_of(e, &qi_e) {
        per_person
            .entry(row[0].clone())
            .or_default()
            .insert(format!("e:{}", row[1..].join("|")));
    }
    for row in rows_of(spells, &["person_id", "precision", "city", "start", "end"]) {
        per_person
            .entry(row[0].clone())
            .or_default()
            .insert(format!("s:{}", row[1..].join("|")));
    }
    let mut sizes = std::collections::BTreeMap::new();
    for set in per_person.values() {
        *sizes
            .entry(set.iter().cloned().collect::<Vec<_>>())
            .or_insert(0) += 1;
    }
    (sizes, per_person.len())
}

#[test]
fn a_one_city_night_keeps_its_city_for_most_persons() {
    let tmp = tempdir();
    let data = tmp.path().join("feeds");
    let o = residence(&[
        "generate",
        "--persons",
        "3000",
        "--as-of",
        AS_OF,
        "--out",
        data.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let out = tmp.path().join("out");
    run_ok(&default_pipeline(), Some(&data), &out, &[]);
    let key = key_file(tmp.path(), &KEY, 0o600);
    let to = tmp.path().join("copy");
    let o = export(&out, &key, &to, &[]);
    assert_eq!(o.code, 0, "{}", o.show());
    let e = read_parquet(&to.join("eligibility.parquet"));
    let spells = read_parquet(&to.join("spells.parquet"));
    let (sizes, persons) = written_classes(&e, &spells);
    assert!(sizes.values().all(|&n| n >= 5), "every class of k = 5");
    let without_city = rows_of(&e, &["city"])
        .iter()
        .filter(|r| r[0].is_empty())
        .count();
    assert!(
        without_city * 10 < e.height(),
        "{without_city} of {} rows lose their city",
        e.height()
    );
    assert!(persons > 2000);
}
