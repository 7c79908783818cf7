//! End-to-end tests of the `residence` command line: the real binary, run on
//! the sample data and the fixtures, with every output read back.
//!
//! Expected values come from the hand-written oracles only:
//! `sample-data/expected/*.csv`, `sample-data/README.md`,
//! `tests/fixtures/*/EXPECTED.md` and the generator's `generate-summary.json`.
//! Fixtures are read in place (the program never writes to its data folder);
//! every run writes to its own temporary `OUT`.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use polars::prelude::*;
use serde_json::Value;

/// spells.parquet's columns in SPEC §7's order.
const SPELL_COLUMNS: [&str; 9] = [
    "person_id",
    "city",
    "spell_no",
    "start",
    "end",
    "months",
    "covered_days",
    "evidence_count",
    "sources",
];

/// eligibility.parquet's columns in SPEC §7's order.
const ELIGIBILITY_COLUMNS: [&str; 13] = [
    "person_id",
    "city",
    "status",
    "basis",
    "spell_start",
    "spell_end",
    "months_of_evidence",
    "covered_days",
    "evidence_count",
    "sources",
    "eligible_since",
    "eligible_on",
    "pledge_since",
];

const AS_OF: &str = "2026-11-27";

/// The 19 reason codes of SPEC §5.
const ALL_REASONS: [&str; 19] = [
    "malformed_row",
    "superseded",
    "missing_field",
    "invalid_id_number",
    "invalid_date",
    "invalid_division",
    "invalid_phone",
    "invalid_number",
    "invalid_value",
    "end_before_start",
    "unresolved_address",
    "ambiguous_address",
    "unresolved_identity",
    "ambiguous_identity",
    "not_filed",
    "zero_usage",
    "no_location",
    "after_as_of",
    "out_of_scope",
];

/// The reasons that filter a row (SPEC §5 steps 2 and 7); the others reject it.
const FILTER_REASONS: [&str; 6] = [
    "superseded",
    "not_filed",
    "zero_usage",
    "no_location",
    "after_as_of",
    "out_of_scope",
];

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn default_pipeline() -> PathBuf {
    root().join("pipelines/quanzhou-measure13.toml")
}

fn agency_pipeline() -> PathBuf {
    root().join("pipelines/quanzhou-agency-exports.toml")
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary with `args`. Every run's console output is checked for a
/// whole ID number (SPEC §8: logs never print one).
fn residence<S: AsRef<OsStr>>(args: &[S]) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_residence"))
        .args(args)
        .output()
        .expect("run the residence binary");
    let outcome = Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for text in [&outcome.stdout, &outcome.stderr] {
        let leaks = id_numbers_in(text);
        assert!(
            leaks.is_empty(),
            "console output prints whole ID numbers {leaks:?}:\n{}",
            outcome.show()
        );
    }
    outcome
}

/// `residence run --pipeline P [--data D] --as-of 2026-11-27 --out O [extra]`.
fn run(pipeline: &Path, data: Option<&Path>, out: &Path, extra: &[&str]) -> Outcome {
    let mut args: Vec<&OsStr> = vec!["run".as_ref(), "--pipeline".as_ref(), pipeline.as_os_str()];
    if let Some(d) = data {
        args.push("--data".as_ref());
        args.push(d.as_os_str());
    }
    args.extend([
        OsStr::new("--as-of"),
        OsStr::new(AS_OF),
        OsStr::new("--out"),
    ]);
    args.push(out.as_os_str());
    args.extend(extra.iter().map(|s| OsStr::new(*s)));
    residence(&args)
}

/// A run that must exit 0; returns its run folder (`OUT/latest`, resolved).
fn run_ok(pipeline: &Path, data: Option<&Path>, out: &Path, extra: &[&str]) -> PathBuf {
    let o = run(pipeline, data, out, extra);
    assert_eq!(o.code, 0, "{}", o.show());
    let target = std::fs::read_link(out.join("latest")).expect("OUT/latest is a symlink");
    out.join(target)
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// ISO 7064 MOD 11-2 check character of GB 11643.
fn check_char(first17: &[u8]) -> u8 {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize]
}

/// Every maximal run of 17 ASCII digits followed by a digit or X/x whose check
/// character is right: what a leaked ID number looks like.
fn id_numbers_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let mut end = i;
        if end - start == 17 && end < b.len() && (b[end] == b'X' || b[end] == b'x') {
            end += 1;
        }
        let run = &b[start..end];
        let next_is_word = end < b.len() && b[end].is_ascii_alphanumeric();
        if run.len() == 18 && !next_is_word {
            let last = run[17].to_ascii_uppercase();
            if check_char(&run[..17]) == last {
                found.push(String::from_utf8_lossy(run).into_owned());
            }
        }
        i = end.max(i);
    }
    found
}

// ---------------------------------------------------------------------------
// Reading outputs
// ---------------------------------------------------------------------------

fn read_parquet(path: &Path) -> DataFrame {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file)
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_manifest(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

/// A cell as text: dates ISO, lists joined with `;`, null empty.
fn cell(v: AnyValue<'_>) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_owned(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Int32(x) => x.to_string(),
        AnyValue::Int64(x) => x.to_string(),
        AnyValue::UInt32(x) => x.to_string(),
        AnyValue::UInt64(x) => x.to_string(),
        AnyValue::Date(days) => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
            (epoch + chrono::Duration::days(i64::from(days))).to_string()
        }
        AnyValue::List(s) => {
            let ca = s.str().expect("a list of text");
            ca.iter()
                .map(|x| x.unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
                .join(";")
        }
        other => panic!("unexpected cell {other:?}"),
    }
}

fn column_names(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The rows of `df`, restricted to `cols`, as text.
fn rows_of(df: &DataFrame, cols: &[&str]) -> Vec<Vec<String>> {
    let columns: Vec<&Column> = cols
        .iter()
        .map(|c| df.column(c).unwrap_or_else(|e| panic!("column {c}: {e}")))
        .collect();
    (0..df.height())
        .map(|i| {
            columns
                .iter()
                .map(|c| cell(c.get(i).expect("cell")))
                .collect()
        })
        .collect()
}

/// One record of `df` (by `person_id`) as column name → text.
fn person_row(df: &DataFrame, person: &str) -> Option<BTreeMap<String, String>> {
    let names = column_names(df);
    let cols: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let idx = cols.iter().position(|c| *c == "person_id")?;
    rows_of(df, &cols)
        .into_iter()
        .find(|r| r[idx] == person)
        .map(|r| names.iter().cloned().zip(r).collect())
}

/// A simple CSV (no quoting: the expected files have none): header and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!text.contains('"'), "{} uses quoting", path.display());
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
        .inspect(|r| assert_eq!(r.len(), header.len(), "{}: {r:?}", path.display()))
        .collect();
    (header, rows)
}

fn expected(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    read_csv(&root().join("sample-data/expected").join(name))
}

/// Projects CSV rows onto `cols`.
fn project(header: &[String], rows: &[Vec<String>], cols: &[&str]) -> Vec<Vec<String>> {
    let idx: Vec<usize> = cols
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .unwrap_or_else(|| panic!("expected CSV has no column {c}"))
        })
        .collect();
    rows.iter()
        .map(|r| idx.iter().map(|&i| r[i].clone()).collect())
        .collect()
}

/// Asserts two tables are equal, reporting the first differing row.
fn assert_same_rows(what: &str, got: &[Vec<String>], want: &[Vec<String>]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{what}: row {i} differs");
    }
    assert_eq!(got.len(), want.len(), "{what}: row count");
}

/// All tables in a Markdown file whose header row starts with `header`; each
/// table is its rows as trimmed cells with backticks removed.
fn markdown_tables(path: &Path, header: &[&str]) -> Vec<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let split = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().replace('`', ""))
            .collect()
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_start().starts_with('|')
            && split(line).starts_with(&header.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        {
            let mut rows = Vec::new();
            i += 2; // header and |---| rule
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                rows.push(split(lines[i]));
                i += 1;
            }
            tables.push(rows);
        } else {
            i += 1;
        }
    }
    assert!(
        !tables.is_empty(),
        "{}: no table with header {header:?}",
        path.display()
    );
    tables
}

/// `superseded 1, not_filed 1` → {superseded: 1, not_filed: 1}; `—` → {}.
fn reason_counts(text: &str) -> BTreeMap<String, u64> {
    let text = text.trim();
    if text == "—" || text.is_empty() {
        return BTreeMap::new();
    }
    text.split(',')
        .map(|part| {
            let mut it = part.split_whitespace();
            let reason = it.next().expect("reason").to_owned();
            let n = it.next().expect("count").parse().expect("count number");
            (reason, n)
        })
        .collect()
}

/// A manifest map of reason → count, zero entries dropped.
fn json_counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .expect("an object of counts")
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().expect("a count")))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[derive(Debug, PartialEq)]
struct FileCounts {
    rows: u64,
    accepted: u64,
    filtered: BTreeMap<String, u64>,
    rejected: BTreeMap<String, u64>,
}

impl FileCounts {
    fn from_json(v: &Value) -> FileCounts {
        FileCounts {
            rows: v["rows"].as_u64().expect("rows"),
            accepted: v["accepted"].as_u64().expect("accepted"),
            filtered: json_counts(&v["filtered"]),
            rejected: json_counts(&v["rejected"]),
        }
    }

    fn balanced(&self) -> bool {
        self.rows
            == self.accepted
                + self.filtered.values().sum::<u64>()
                + self.rejected.values().sum::<u64>()
    }
}

/// The manifest's per-file counts, by path.
fn manifest_files(m: &Value) -> BTreeMap<String, FileCounts> {
    m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                FileCounts::from_json(f),
            )
        })
        .collect()
}

fn dtype(df: &DataFrame, col: &str) -> DataType {
    df.column(col).expect("column").dtype().clone()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

// ---------------------------------------------------------------------------
// a. sample data against expected/*.csv
// ---------------------------------------------------------------------------

/// Reads `OUT/.../<name>.parquet` and checks it equals `expected/<name>.csv`
/// (columns in SPEC §7's order, rows in output order), that `dates` are Date
/// and that `sources`, where present, is List(String).
fn check_output(dir: &Path, name: &str, cols: &[&str], dates: &[&str]) -> DataFrame {
    let file = format!("{name}.parquet");
    let df = read_parquet(&dir.join(&file));
    assert_eq!(column_names(&df), cols, "{name} columns (SPEC §7)");
    let (h, rows) = expected(&format!("{name}.csv"));
    assert_same_rows(&file, &rows_of(&df, cols), &project(&h, &rows, cols));
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
        ["source", "input_file", "line", "reason", "detail", "raw"],
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
        .filter(|c| !matches!(*c, "person_id" | "sources"))
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

// ---------------------------------------------------------------------------
// b. publishing: latest, permissions
// ---------------------------------------------------------------------------

#[test]
fn latest_points_at_the_run_and_outputs_are_private() {
    let out = tempdir();
    let o = run(&default_pipeline(), None, out.path(), &[]);
    assert_eq!(o.code, 0, "{}", o.show());
    let runs: Vec<PathBuf> = std::fs::read_dir(out.path().join("runs"))
        .expect("OUT/runs")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run_id = runs[0].file_name().expect("run id").to_owned();
    let link = std::fs::read_link(out.path().join("latest")).expect("latest is a symlink");
    assert_eq!(link, Path::new("runs").join(&run_id));
    let m = read_manifest(&out.path().join("latest"));
    assert_eq!(m["run_id"].as_str(), run_id.to_str());

    assert_eq!(mode(&runs[0]), 0o700, "run folder mode");
    for name in [
        "eligibility.parquet",
        "spells.parquet",
        "evidence.parquet",
        "rejects.parquet",
        "manifest.json",
    ] {
        assert_eq!(mode(&runs[0].join(name)), 0o600, "{name} mode");
    }

    // A second run repoints latest at itself.
    let second = run_ok(&default_pipeline(), None, out.path(), &["--quiet"]);
    assert_ne!(second.file_name(), Some(run_id.as_os_str()));
    assert!(
        runs[0].join("manifest.json").is_file(),
        "the first run is kept"
    );
}

// ---------------------------------------------------------------------------
// c. agency exports
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// d. the dirty fixture
// ---------------------------------------------------------------------------

/// `data/x/y.csv` (EXPECTED.md) → `x/y.csv` (manifest and Parquet paths).
fn feed_path(expected_path: &str) -> String {
    expected_path
        .strip_prefix("data/")
        .unwrap_or(expected_path)
        .to_owned()
}

/// Per-file counts of an EXPECTED.md ("file | bytes | rows | accepted | filtered | rejected").
fn expected_file_counts(md: &Path) -> BTreeMap<String, (u64, FileCounts)> {
    let tables = markdown_tables(
        md,
        &["file", "bytes", "rows", "accepted", "filtered", "rejected"],
    );
    tables[0]
        .iter()
        .map(|r| {
            (
                feed_path(&r[0]),
                (
                    r[1].parse().expect("bytes"),
                    FileCounts {
                        rows: r[2].parse().expect("rows"),
                        accepted: r[3].parse().expect("accepted"),
                        filtered: reason_counts(&r[4]),
                        rejected: reason_counts(&r[5]),
                    },
                ),
            )
        })
        .collect()
}

fn check_file_counts(m: &Value, md: &Path) {
    let want = expected_file_counts(md);
    let got: BTreeMap<String, (u64, FileCounts)> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                (
                    f["bytes"].as_u64().expect("bytes"),
                    FileCounts::from_json(f),
                ),
            )
        })
        .collect();
    assert_eq!(got, want, "per-file counts vs {}", md.display());
    for (path, (_, c)) in &got {
        assert!(c.balanced(), "{path}: {c:?}");
    }
}

/// The eligibility and spells tables of an EXPECTED.md against the Parquet outputs.
/// `with_spells`: the file also has a spells table.
fn check_people(dir: &Path, md: &Path, with_spells: bool) {
    let table = &markdown_tables(md, &["name", "person_id", "status", "basis", "spell_start"])[0];
    let mut id_of = BTreeMap::new();
    let mut want: Vec<Vec<String>> = table
        .iter()
        .map(|r| {
            id_of.insert(r[0].clone(), r[1].clone());
            let mut row = vec![r[1].clone(), "350500".to_owned()];
            row.extend(r[2..].iter().cloned());
            row[9] = row[9].replace(", ", ";");
            row
        })
        .collect();
    want.sort(); // sorted by city, person_id (one city)
    let elig = read_parquet(&dir.join("eligibility.parquet"));
    let cols = ELIGIBILITY_COLUMNS;
    assert_same_rows(
        &format!("eligibility vs {}", md.display()),
        &rows_of(&elig, &cols),
        &want,
    );

    if !with_spells {
        return;
    }
    let table = &markdown_tables(md, &["name", "spell_no", "start", "end"])[0];
    let mut want: Vec<Vec<String>> = table
        .iter()
        .map(|r| {
            let mut row = vec![id_of[&r[0]].clone(), "350500".to_owned()];
            row.extend(r[1..].iter().cloned());
            row[8] = row[8].replace(", ", ";");
            row
        })
        .collect();
    want.sort();
    let spells = read_parquet(&dir.join("spells.parquet"));
    let cols = SPELL_COLUMNS;
    assert_same_rows(
        &format!("spells vs {}", md.display()),
        &rows_of(&spells, &cols),
        &want,
    );
}

#[test]
fn dirty_fixture_rows_reasons_and_lines() {
    let out = tempdir();
    let pipeline = fixture("dirty").join("pipeline.toml");
    let o = run(&pipeline, None, out.path(), &[]);
    assert_eq!(o.code, 0, "{}", o.show());
    let dir = out.path().join("latest");
    let md = fixture("dirty").join("EXPECTED.md");

    // Every rejected row of "Every row", with its line, in rejects.parquet.
    let rows = &markdown_tables(&md, &["file", "line", "outcome", "reason", "note"])[0];
    let mut want: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r[2] == "rejected")
        .map(|r| vec![feed_path(&r[0]), r[1].clone(), r[3].clone()])
        .collect();
    want.sort_by(|a, b| {
        (a[0].as_str(), a[1].parse::<u64>().unwrap_or(0))
            .cmp(&(b[0].as_str(), b[1].parse::<u64>().unwrap_or(0)))
    });
    let rejects = read_parquet(&dir.join("rejects.parquet"));
    let got = rows_of(&rejects, &["input_file", "line", "reason"]);
    assert_same_rows("dirty rejects.parquet", &got, &want);

    // Filtered and accepted rows by reason per file add up with the manifest
    // (the per-row table and the per-file table agree with the run).
    let m = read_manifest(&dir);
    check_file_counts(&m, &md);
    let mut by_file: BTreeMap<String, FileCounts> = BTreeMap::new();
    for r in rows {
        let c = by_file.entry(feed_path(&r[0])).or_insert(FileCounts {
            rows: 0,
            accepted: 0,
            filtered: BTreeMap::new(),
            rejected: BTreeMap::new(),
        });
        c.rows += 1;
        match r[2].as_str() {
            "accepted" => c.accepted += 1,
            "filtered" => *c.filtered.entry(r[3].clone()).or_default() += 1,
            "rejected" => *c.rejected.entry(r[3].clone()).or_default() += 1,
            other => panic!("outcome {other}"),
        }
    }
    let files = manifest_files(&m);
    for (path, c) in &by_file {
        assert_eq!(&files[path], c, "{path}: manifest vs the per-row table");
    }

    // The quoted field still open at the end of lease/l.csv: one malformed
    // record starting on line 17 whose raw text spans the embedded line break.
    let raw = rows_of(&rejects, &["input_file", "line", "reason", "raw"]);
    let open = raw
        .iter()
        .find(|r| r[0] == "lease/l.csv" && r[1] == "17")
        .expect("lease/l.csv line 17 rejected");
    assert_eq!(open[2], "malformed_row");
    assert!(open[3].starts_with("L-13,"), "{open:?}");
    assert!(
        open[3].contains('\n'),
        "raw keeps the embedded line break: {open:?}"
    );
    assert!(
        !open[3].ends_with('\n'),
        "raw drops the final line break: {open:?}"
    );

    // The 0-byte file: listed, 0 rows, a warning. notes.txt: not read.
    let listed: Vec<&str> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(
        !listed.iter().any(|p| p.ends_with("notes.txt")),
        "{listed:?}"
    );
    let b = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == "social_insurance/b.csv")
        .expect("b.csv is listed");
    assert_eq!(b["rows"], 0);
    assert_eq!(b["bytes"], 0);
    let warnings = m["warnings"].to_string();
    assert!(warnings.contains("b.csv"), "{warnings}");
    // The absent source: a manifest entry and a warning, not a failure.
    let es = &m["sources"]["employment_school"];
    assert_eq!(es["rows"], 0, "{es}");
    assert!(warnings.contains("employment_school"), "{warnings}");
    assert!(o.stderr.contains("employment_school"), "{}", o.show());
}

#[test]
fn dirty_fixture_people() {
    let out = tempdir();
    let dir = run_ok(
        &fixture("dirty").join("pipeline.toml"),
        None,
        out.path(),
        &[],
    );
    check_people(&dir, &fixture("dirty").join("EXPECTED.md"), true);
}

// ---------------------------------------------------------------------------
// e. headers: renamed, optional missing, required missing
// ---------------------------------------------------------------------------

/// Runs a fixture's own pipeline and checks its people and per-file counts
/// against its EXPECTED.md; returns the run folder.
fn run_fixture(name: &str, out: &Path, all_people: bool) -> PathBuf {
    let dir = run_ok(&fixture(name).join("pipeline.toml"), None, out, &[]);
    let md = fixture(name).join("EXPECTED.md");
    check_people(&dir, &md, all_people);
    check_file_counts(&read_manifest(&dir), &md);
    dir
}

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

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// Nothing published under OUT: no `latest`, no run folder.
fn assert_nothing_published(out: &Path) {
    assert!(
        std::fs::symlink_metadata(out.join("latest")).is_err(),
        "OUT/latest must not exist"
    );
    let runs = out.join("runs");
    if runs.exists() {
        let n = std::fs::read_dir(&runs).expect("runs").count();
        assert_eq!(n, 0, "OUT/runs must be empty");
    }
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

    let message = o.stderr.replace(&tmp.path().display().to_string(), "[TMP]");
    insta::assert_snapshot!("missing_required_header_error", message);
}

// ---------------------------------------------------------------------------
// f. quality gate
// ---------------------------------------------------------------------------

#[test]
fn gate_failure_keeps_outputs_and_leaves_latest() {
    let out = tempdir();
    let pipeline = fixture("gate").join("pipeline.toml");

    // A fresh OUT: the failing run creates no latest.
    let fresh = tempdir();
    let o = run(&pipeline, None, fresh.path(), &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    assert!(std::fs::symlink_metadata(fresh.path().join("latest")).is_err());

    // A good run first, then the failing one on the same OUT.
    let first = run_ok(&pipeline, None, out.path(), &["--max-reject-rate", "1.0"]);
    let before = std::fs::read_link(out.path().join("latest")).expect("latest");
    let o = run(&pipeline, None, out.path(), &[]);
    assert_eq!(o.code, 3, "{}", o.show());
    assert_eq!(
        std::fs::read_link(out.path().join("latest")).expect("latest"),
        before,
        "latest untouched by the failed run"
    );
    assert!(first.join("manifest.json").is_file());

    // The failed run's outputs are kept under runs/.
    let failed: Vec<PathBuf> = std::fs::read_dir(out.path().join("runs"))
        .expect("runs")
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.ends_with(&before))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let dir = &failed[0];
    let m = read_manifest(dir);
    assert_eq!(m["status"], "quality_gate_failed");
    let si = &m["sources"]["social_insurance"];
    assert_eq!(si["rows"], 20);
    assert_eq!(si["accepted"], 17);
    assert_eq!(json_counts(&si["rejected"]).values().sum::<u64>(), 3);
    let md = fixture("gate").join("EXPECTED.md");
    check_file_counts(&m, &md);
    let rows = &markdown_tables(&md, &["file", "line", "outcome", "reason", "note"])[0];
    let want: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r[2] == "rejected")
        .map(|r| vec![feed_path(&r[0]), r[1].clone(), r[3].clone()])
        .collect();
    assert_eq!(want.len(), 3);
    let rejects = read_parquet(&dir.join("rejects.parquet"));
    assert_same_rows(
        "gate rejects.parquet",
        &rows_of(&rejects, &["input_file", "line", "reason"]),
        &want,
    );
    assert!(o.stderr.contains("social_insurance"), "{}", o.show());

    // --max-reject-rate 0.2 lets the same feeds pass and repoints latest.
    let passed = run_ok(&pipeline, None, out.path(), &["--max-reject-rate", "0.2"]);
    assert_eq!(read_manifest(&passed)["status"], "succeeded");
    assert_ne!(
        std::fs::read_link(out.path().join("latest")).expect("latest"),
        before
    );
}

// ---------------------------------------------------------------------------
// g. one run at a time
// ---------------------------------------------------------------------------

#[test]
fn a_second_run_on_the_same_out_is_refused() {
    let out = tempdir();
    let pipeline = fixture("missing-optional").join("pipeline.toml");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.path().join(".lock"))
        .expect("open OUT/.lock");
    lock.try_lock().expect("take the lock");

    let o = run(&pipeline, None, out.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("another"), "{}", o.show());
    assert!(o.stderr.contains("run"), "{}", o.show());
    assert_nothing_published(out.path());

    drop(lock);
    run_ok(&pipeline, None, out.path(), &[]);
}

// ---------------------------------------------------------------------------
// h. usage errors
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// i. generator round trip
// ---------------------------------------------------------------------------

fn generate(dir: &Path, persons: &str, seed: &str, dirty: &str) -> Value {
    let o = residence(&[
        OsStr::new("generate"),
        OsStr::new("--persons"),
        OsStr::new(persons),
        OsStr::new("--seed"),
        OsStr::new(seed),
        OsStr::new("--as-of"),
        OsStr::new(AS_OF),
        OsStr::new("--out"),
        dir.as_os_str(),
        OsStr::new("--dirty-rate"),
        OsStr::new(dirty),
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let text = std::fs::read_to_string(dir.join("generate-summary.json")).expect("summary");
    serde_json::from_str(&text).expect("summary JSON")
}

#[test]
fn generated_feeds_are_judged_as_the_summary_predicts() {
    let tmp = tempdir();
    let data = tmp.path().join("feeds");
    let summary = generate(&data, "1000", "7", "0.01");
    let dir = run_ok(
        &default_pipeline(),
        Some(&data),
        &tmp.path().join("out"),
        &[],
    );
    let m = read_manifest(&dir);

    let predicted: BTreeMap<String, FileCounts> = summary["sources"]
        .as_object()
        .expect("sources")
        .iter()
        .map(|(k, v)| (k.clone(), FileCounts::from_json(v)))
        .collect();
    let judged: BTreeMap<String, FileCounts> = m["sources"]
        .as_object()
        .expect("sources")
        .iter()
        .map(|(k, v)| (k.clone(), FileCounts::from_json(v)))
        .collect();
    assert_eq!(predicted.len(), 10, "all ten sources predicted");
    assert_eq!(judged, predicted, "manifest vs generate-summary.json");
    let total: u64 = judged.values().map(|c| c.rows).sum();
    assert_eq!(Some(total), summary["rows"].as_u64());
}

#[test]
fn generated_dirty_feeds_produce_every_reason() {
    let tmp = tempdir();
    let data = tmp.path().join("feeds");
    generate(&data, "2000", "7", "0.02");
    let dir = run_ok(
        &default_pipeline(),
        Some(&data),
        &tmp.path().join("out"),
        &["--max-reject-rate", "1.0"],
    );
    let m = read_manifest(&dir);
    let mut seen = BTreeSet::new();
    for s in m["sources"].as_object().expect("sources").values() {
        seen.extend(json_counts(&s["filtered"]).into_keys());
        seen.extend(json_counts(&s["rejected"]).into_keys());
    }
    let all: BTreeSet<String> = ALL_REASONS.iter().map(|s| s.to_string()).collect();
    let missing: Vec<&String> = all.difference(&seen).collect();
    assert!(missing.is_empty(), "reasons never produced: {missing:?}");
    let unknown: Vec<&String> = seen.difference(&all).collect();
    assert!(unknown.is_empty(), "reasons not in SPEC §5: {unknown:?}");
}

// ---------------------------------------------------------------------------
// j. determinism
// ---------------------------------------------------------------------------

#[test]
fn two_runs_write_identical_parquet() {
    let a = tempdir();
    let b = tempdir();
    let x = run_ok(&default_pipeline(), None, a.path(), &[]);
    let y = run_ok(&default_pipeline(), None, b.path(), &[]);
    for name in [
        "eligibility.parquet",
        "spells.parquet",
        "evidence.parquet",
        "rejects.parquet",
    ] {
        let bx = std::fs::read(x.join(name)).expect("read");
        let by = std::fs::read(y.join(name)).expect("read");
        assert!(
            bx == by,
            "{name} differs between two runs of the same inputs"
        );
    }
    let (mx, my) = (read_manifest(&x), read_manifest(&y));
    assert_ne!(mx["run_id"], my["run_id"]);
    assert_eq!(mx["files"], my["files"]);
    assert_eq!(mx["sources"], my["sources"]);
    assert_eq!(mx["outputs"], my["outputs"]);
}

// ---------------------------------------------------------------------------
// k. no whole ID number on the console
// ---------------------------------------------------------------------------

#[test]
fn console_output_never_shows_an_id_number() {
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

// ---------------------------------------------------------------------------
// l. a second city in scope
// ---------------------------------------------------------------------------

/// Whether the record on physical line `line` of `sample-data/<input_file>` is
/// located in Xiamen (厦门, 3502xx): its division column when filled, else its
/// address (SPEC §3). Only for simple rows (no quoting), which the
/// out-of-scope rows of the sample are.
fn sample_row_in_xiamen(input_file: &str, line: usize) -> bool {
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
fn filtered_by_file(m: &Value, reason: &str) -> BTreeMap<String, u64> {
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
    let cols = ELIGIBILITY_COLUMNS;
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

// ---------------------------------------------------------------------------
// m. coverage of the sample
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// l. partitions and the memory budget change no output
// ---------------------------------------------------------------------------

/// Every output of a run folder, all columns, as text rows.
fn all_output_rows(dir: &Path) -> BTreeMap<&'static str, Vec<Vec<String>>> {
    [
        "eligibility.parquet",
        "spells.parquet",
        "evidence.parquet",
        "rejects.parquet",
    ]
    .into_iter()
    .map(|name| {
        let df = read_parquet(&dir.join(name));
        let names = column_names(&df);
        let cols: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        (name, rows_of(&df, &cols))
    })
    .collect()
}

fn spill_folders(out: &Path) -> Vec<String> {
    std::fs::read_dir(out)
        .expect("OUT")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".spill-"))
        .collect()
}

#[test]
fn many_partitions_and_a_zero_memory_budget_change_no_output() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    let g = residence(&[
        OsStr::new("generate"),
        OsStr::new("--persons"),
        OsStr::new("1500"),
        OsStr::new("--seed"),
        OsStr::new("11"),
        OsStr::new("--as-of"),
        OsStr::new(AS_OF),
        OsStr::new("--dirty-rate"),
        OsStr::new("0.02"),
        OsStr::new("--out"),
        data.as_os_str(),
    ]);
    assert_eq!(g.code, 0, "{}", g.show());
    let (out_a, out_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let gate = ["--max-reject-rate", "1"];
    let a = run_ok(&default_pipeline(), Some(&data), &out_a, &gate);
    // Everything spills to disk, the night is cut into many small ranges,
    // and row groups are small enough to be written while the workers run
    // (and wait on the writer).
    let b = run_ok(
        &default_pipeline(),
        Some(&data),
        &out_b,
        &[
            "--max-reject-rate",
            "1",
            "--memory-budget",
            "0",
            "--partition-bytes",
            "40000",
            "--row-group-rows",
            "64",
        ],
    );
    let (ma, mb) = (read_manifest(&a), read_manifest(&b));
    assert_eq!(ma["engine"]["evidence_partitions"], 1);
    assert_eq!(ma["engine"]["spilled_bytes"], 0);
    let parts = mb["engine"]["evidence_partitions"].as_u64().expect("count");
    assert!(parts >= 50, "only {parts} partitions");
    assert!(mb["engine"]["key_partitions"].as_u64().expect("count") >= 50);
    assert!(mb["engine"]["spilled_bytes"].as_u64().expect("bytes") > 1_000_000);

    assert_eq!(ma["files"], mb["files"]);
    assert_eq!(ma["sources"], mb["sources"]);
    assert_eq!(ma["outputs"], mb["outputs"]);
    let (rows_a, rows_b) = (all_output_rows(&a), all_output_rows(&b));
    for (name, rows) in &rows_a {
        assert!(rows.len() > 100, "{name} has only {} rows", rows.len());
        assert!(rows == &rows_b[name], "{name} differs between the two runs");
    }
    // Spill folders are removed when a run ends.
    assert!(spill_folders(&out_a).is_empty());
    assert!(spill_folders(&out_b).is_empty());
}

#[test]
fn a_spill_folder_left_by_a_killed_run_is_removed() {
    let tmp = tempdir();
    let stale = tmp.path().join(".spill-20260101T000000000Z-1");
    std::fs::create_dir_all(&stale).expect("mkdir");
    std::fs::write(stale.join("evidence-0"), b"left over").expect("write");
    run_ok(&default_pipeline(), None, tmp.path(), &[]);
    assert!(spill_folders(tmp.path()).is_empty());
}
