//! Running the binary and reading its outputs back: what every topic's tests share.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use polars::prelude::*;
use serde_json::Value;

/// spells.parquet's columns in SPEC §7's order.
pub(crate) const SPELL_COLUMNS: [&str; 9] = [
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

/// eligibility.parquet's columns the hand-written oracles give (all but
/// strong_days, which `sample::strong_days_count_the_days_strong_sources_cover`
/// checks against the oracle's evidence).
pub(crate) fn oracle_eligibility_columns() -> Vec<&'static str> {
    ELIGIBILITY_COLUMNS
        .into_iter()
        .filter(|c| *c != "strong_days")
        .collect()
}

/// eligibility.parquet's columns in SPEC §7's order.
pub(crate) const ELIGIBILITY_COLUMNS: [&str; 14] = [
    "person_id",
    "city",
    "status",
    "basis",
    "spell_start",
    "spell_end",
    "months_of_evidence",
    "covered_days",
    "strong_days",
    "evidence_count",
    "sources",
    "eligible_since",
    "eligible_on",
    "pledge_since",
];

pub(crate) const AS_OF: &str = "2026-11-27";

/// The 19 reason codes of SPEC §5.
pub(crate) const ALL_REASONS: [&str; 19] = [
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
pub(crate) const FILTER_REASONS: [&str; 6] = [
    "superseded",
    "not_filed",
    "zero_usage",
    "no_location",
    "after_as_of",
    "out_of_scope",
];

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn default_pipeline() -> PathBuf {
    root().join("pipelines/quanzhou-measure13.toml")
}

pub(crate) fn agency_pipeline() -> PathBuf {
    root().join("pipelines/quanzhou-agency-exports.toml")
}

pub(crate) fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

pub(crate) struct Outcome {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Outcome {
    pub(crate) fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary with `args`. Every run's console output is checked for a
/// whole ID number (SPEC §8: logs never print one).
pub(crate) fn residence<S: AsRef<OsStr>>(args: &[S]) -> Outcome {
    residence_showing(args, &[])
}

/// [`residence`] for a command that shows one person's ID number (`explain`):
/// `shown` (the canonical forms) may appear, no other.
pub(crate) fn residence_showing<S: AsRef<OsStr>>(args: &[S], shown: &[&str]) -> Outcome {
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
        let leaks: Vec<String> = id_numbers_in(text)
            .into_iter()
            .filter(|id| !shown.contains(&id.to_ascii_uppercase().as_str()))
            .collect();
        assert!(
            leaks.is_empty(),
            "console output prints whole ID numbers {leaks:?}:\n{}",
            outcome.show()
        );
    }
    outcome
}

/// `residence run --pipeline P [--data D] --as-of 2026-11-27 --out O [extra]`.
pub(crate) fn run(pipeline: &Path, data: Option<&Path>, out: &Path, extra: &[&str]) -> Outcome {
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
pub(crate) fn run_ok(pipeline: &Path, data: Option<&Path>, out: &Path, extra: &[&str]) -> PathBuf {
    let o = run(pipeline, data, out, extra);
    assert_eq!(o.code, 0, "{}", o.show());
    let target = std::fs::read_link(out.join("latest")).expect("OUT/latest is a symlink");
    out.join(target)
}

pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// ISO 7064 MOD 11-2 check character of GB 11643.
pub(crate) fn check_char(first17: &[u8]) -> u8 {
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
pub(crate) fn id_numbers_in(text: &str) -> Vec<String> {
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

pub(crate) fn read_parquet(path: &Path) -> DataFrame {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file)
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn read_manifest(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

/// A cell as text: dates ISO, lists joined with `;`, null empty.
pub(crate) fn cell(v: AnyValue<'_>) -> String {
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

pub(crate) fn column_names(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The rows of `df`, restricted to `cols`, as text.
pub(crate) fn rows_of(df: &DataFrame, cols: &[&str]) -> Vec<Vec<String>> {
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
pub(crate) fn person_row(df: &DataFrame, person: &str) -> Option<BTreeMap<String, String>> {
    let names = column_names(df);
    let cols: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let idx = cols.iter().position(|c| *c == "person_id")?;
    rows_of(df, &cols)
        .into_iter()
        .find(|r| r[idx] == person)
        .map(|r| names.iter().cloned().zip(r).collect())
}

/// A simple CSV (no quoting: the expected files have none): header and rows.
pub(crate) fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
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

pub(crate) fn expected(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    read_csv(&root().join("sample-data/expected").join(name))
}

/// Projects CSV rows onto `cols`.
pub(crate) fn project(header: &[String], rows: &[Vec<String>], cols: &[&str]) -> Vec<Vec<String>> {
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
pub(crate) fn assert_same_rows(what: &str, got: &[Vec<String>], want: &[Vec<String>]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{what}: row {i} differs");
    }
    assert_eq!(got.len(), want.len(), "{what}: row count");
}

/// All tables in a Markdown file whose header row starts with `header`; each
/// table is its rows as trimmed cells with backticks removed.
pub(crate) fn markdown_tables(path: &Path, header: &[&str]) -> Vec<Vec<Vec<String>>> {
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
pub(crate) fn reason_counts(text: &str) -> BTreeMap<String, u64> {
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
pub(crate) fn json_counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .expect("an object of counts")
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().expect("a count")))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[derive(Debug, PartialEq)]
pub(crate) struct FileCounts {
    pub(crate) rows: u64,
    pub(crate) accepted: u64,
    pub(crate) filtered: BTreeMap<String, u64>,
    pub(crate) rejected: BTreeMap<String, u64>,
}

impl FileCounts {
    pub(crate) fn from_json(v: &Value) -> FileCounts {
        FileCounts {
            rows: v["rows"].as_u64().expect("rows"),
            accepted: v["accepted"].as_u64().expect("accepted"),
            filtered: json_counts(&v["filtered"]),
            rejected: json_counts(&v["rejected"]),
        }
    }

    pub(crate) fn balanced(&self) -> bool {
        self.rows
            == self.accepted
                + self.filtered.values().sum::<u64>()
                + self.rejected.values().sum::<u64>()
    }
}

/// The manifest's per-file counts, by path.
pub(crate) fn manifest_files(m: &Value) -> BTreeMap<String, FileCounts> {
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

pub(crate) fn dtype(df: &DataFrame, col: &str) -> DataType {
    df.column(col).expect("column").dtype().clone()
}

pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// `data/x/y.csv` (EXPECTED.md) → `x/y.csv` (manifest and Parquet paths).
pub(crate) fn feed_path(expected_path: &str) -> String {
    expected_path
        .strip_prefix("data/")
        .unwrap_or(expected_path)
        .to_owned()
}

/// Per-file counts of an EXPECTED.md ("file | bytes | rows | accepted | filtered | rejected").
pub(crate) fn expected_file_counts(md: &Path) -> BTreeMap<String, (u64, FileCounts)> {
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

pub(crate) fn check_file_counts(m: &Value, md: &Path) {
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
pub(crate) fn check_people(dir: &Path, md: &Path, with_spells: bool) {
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
    let cols = oracle_eligibility_columns();
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

pub(crate) fn copy_dir(from: &Path, to: &Path) {
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
pub(crate) fn assert_nothing_published(out: &Path) {
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

/// Runs a fixture's own pipeline and checks its people and per-file counts
/// against its EXPECTED.md; returns the run folder.
pub(crate) fn run_fixture(name: &str, out: &Path, all_people: bool) -> PathBuf {
    let dir = run_ok(&fixture(name).join("pipeline.toml"), None, out, &[]);
    let md = fixture(name).join("EXPECTED.md");
    check_people(&dir, &md, all_people);
    check_file_counts(&read_manifest(&dir), &md);
    dir
}

/// Console text as a snapshot sees it: the temporary folder as `[TMP]`,
/// each line's leading UTC timestamp as `[TS]` (checked to be one), run
/// ids as `[RUN]` and the final line's `duration_s=…` as `duration_s=[S]`.
pub(crate) fn console(text: &str, tmp: &Path) -> String {
    let text = text.replace(&tmp.display().to_string(), "[TMP]");
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = match line.split_once(' ') {
            Some((ts, rest)) if chrono::DateTime::parse_from_rfc3339(ts).is_ok() => {
                assert!(ts.ends_with('Z'), "a UTC timestamp: {line}");
                format!("[TS] {rest}")
            }
            _ => line.to_owned(),
        };
        let line = match line.split_once(" duration_s=") {
            Some((head, tail)) => {
                let rest = tail.split_once(' ').map_or("", |(_, r)| r);
                format!("{head} duration_s=[S] {rest}")
                    .trim_end()
                    .to_owned()
            }
            None => line,
        };
        lines.push(redact_run_ids(&line));
    }
    lines.join("\n")
}

/// Replaces run ids (`20261203T171906378Z-12143`) with `[RUN]`.
pub(crate) fn redact_run_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        let is_id = bytes.len() >= i + 20
            && bytes[i..i + 8].iter().all(u8::is_ascii_digit)
            && bytes[i + 8] == b'T'
            && bytes[i + 9..i + 18].iter().all(u8::is_ascii_digit)
            && &bytes[i + 18..i + 20] == b"Z-";
        if is_id {
            let mut j = i + 20;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            out.push_str("[RUN]");
            i = j;
        } else {
            let c = text[i..].chars().next().expect("in range");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// A copy of the sample feeds to change.
pub(crate) fn sample_copy(to: &Path) {
    for e in std::fs::read_dir(root().join("sample-data")).expect("sample-data") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_dir() {
            let name = e.file_name();
            if name != "expected" && name != "agency-exports" {
                copy_dir(&e.path(), &to.join(name));
            }
        }
    }
}
