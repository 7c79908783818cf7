//! `residence export`: the analyst copy of a published run (SPEC §9), after
//! PIPL art. 51 and GB/T 37964.
//!
//! - `person_id` becomes `HMAC-SHA256(key, "person:" + id)`, 32 hex characters;
//! - dates become months (their first day); record ids, raw text, file names
//!   and lines are not copied; eligibility and spells only;
//! - quasi-identifiers — city, the division of the latest evidence, the
//!   spell's start and end month — are suppressed (null) for every row of a
//!   class of fewer than k persons, and DIR/report.json says how many.
//!
//! Two choices beyond the spec's words, both so a suppressed value cannot be
//! read back from a neighbour: a suppressed eligibility row also loses
//! `eligible_since` and `eligible_on` (each is the spell start plus six
//! months), and the last spell of a suppressed person is suppressed in
//! spells.parquet too (it is the same spell). Rows are ordered by
//! pseudonym, so the copy's order says nothing about the ID numbers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use polars::prelude::*;
use serde::Serialize;
use sha2::Sha256;

use super::{Run, ViewError, refuse_inside, texts};
use crate::digest::hex;
use crate::output::parquet::{FileMeta, Output, ParquetSink};
use crate::rules::date::{from_epoch_days, to_epoch_days};

/// The copy's files: ordered by pseudonym (the city may be suppressed).
const COPY_ELIGIBILITY: Output = Output {
    file: "eligibility.parquet",
    sorted_by: &["person_id"],
    required: &["person_id", "status", "basis", "sources"],
};
const COPY_SPELLS: Output = Output {
    file: "spells.parquet",
    sorted_by: &["person_id"],
    required: &["person_id", "spell_no", "sources"],
};

/// `--k`'s default.
pub const DEFAULT_K: usize = 5;

/// The shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// What `residence export` is asked for.
pub struct ExportOptions {
    /// The output root (`--out`).
    pub out: PathBuf,
    /// `--run`: a run id; `None` for the run `latest` points at.
    pub run: Option<String>,
    /// `--key-file`: the HMAC key for the pseudonyms.
    pub key_file: PathBuf,
    /// `--to`: the folder the copy is written to.
    pub to: PathBuf,
    /// `--k`: the smallest class of quasi-identifiers left unsuppressed.
    pub k: usize,
}

/// What the copy suppressed, per file (DIR/report.json).
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Rows of the file.
    pub rows: usize,
    /// The columns that together could single a person out.
    pub quasi_identifiers: Vec<&'static str>,
    /// Distinct combinations of the quasi-identifiers.
    pub classes: usize,
    /// Classes of fewer than k rows.
    pub classes_below_k: usize,
    /// Rows in those classes, whose quasi-identifiers are nulled.
    pub suppressed_rows: usize,
    /// Values set to null (a null stays null and is not counted).
    pub suppressed_cells: usize,
}

/// DIR/report.json.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The run copied.
    pub run_id: String,
    /// Its decision date, `YYYY-MM-DD`.
    pub as_of: String,
    /// The k the copy was made with.
    pub k: usize,
    /// Tells which key made the pseudonyms, without revealing it:
    /// `HMAC-SHA256(key, "key-id")`, 8 hex characters.
    pub key_id: String,
    /// What `eligibility.parquet` suppressed.
    pub eligibility: Suppression,
    /// What `spells.parquet` suppressed.
    pub spells: Suppression,
    /// What the copy leaves out or coarsens.
    pub notes: Vec<&'static str>,
}

/// Reads and checks the key: a regular file only its owner can read, of at
/// least [`MIN_KEY_BYTES`] bytes.
pub fn read_key(path: &Path) -> Result<Vec<u8>, ViewError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        ViewError::Usage(format!(
            "key file {}: {}",
            path.display(),
            crate::errors::io_words(&e)
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(ViewError::Usage(format!(
                "key file {} is readable by others (mode {mode:o}): chmod 600 it",
                path.display()
            )));
        }
    }
    if !meta.is_file() {
        return Err(ViewError::Usage(format!(
            "key file {} is not a file",
            path.display()
        )));
    }
    let key = std::fs::read(path).map_err(|e| {
        ViewError::Usage(format!(
            "key file {}: {}",
            path.display(),
            crate::errors::io_words(&e)
        ))
    })?;
    if key.len() < MIN_KEY_BYTES {
        return Err(ViewError::Usage(format!(
            "key file {} holds {} bytes; at least {MIN_KEY_BYTES} are needed",
            path.display(),
            key.len()
        )));
    }
    Ok(key)
}

/// `--to` must not exist or be an empty folder (a copy never mixes with
/// stale files), exit 2.
fn refuse_nonempty(to: &Path) -> Result<(), ViewError> {
    match std::fs::read_dir(to) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(ViewError::Usage(format!(
                "--to {}: the folder is not empty; give a new or empty folder",
                to.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ViewError::Usage(format!(
            "--to {}: {}",
            to.display(),
            crate::errors::io_words(&e)
        ))),
    }
}

/// `HMAC-SHA256(key, message)`.
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A person's pseudonym: `HMAC-SHA256(key, "person:" + id)`, first 16 bytes as 32 hex.
pub fn pseudonym(key: &[u8], person_id: &str) -> String {
    hex(&hmac(key, format!("person:{person_id}").as_bytes())[..16])
}

/// A date's month, as its first day (epoch days).
fn month(days: i32) -> i32 {
    let d = from_epoch_days(days);
    to_epoch_days(NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d))
}

fn days(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<Option<i32>>, ViewError> {
    let c = df.column(name).map_err(ViewError::parquet(path))?;
    let c = c.cast(&DataType::Int32).map_err(ViewError::parquet(path))?;
    Ok(c.i32().map_err(ViewError::parquet(path))?.iter().collect())
}

/// Groups rows by their quasi-identifiers; the rows whose class has fewer
/// than `k` rows are returned `true`.
fn below_k<K: std::hash::Hash + Eq + Clone>(keys: &[K], k: usize) -> (Vec<bool>, usize, usize) {
    let mut sizes: HashMap<K, usize> = HashMap::new();
    for key in keys {
        *sizes.entry(key.clone()).or_default() += 1;
    }
    let small = sizes.values().filter(|&&n| n < k).count();
    let classes = sizes.len();
    (
        keys.iter().map(|key| sizes[key] < k).collect(),
        classes,
        small,
    )
}

/// Nulls `values[i]` where `suppress[i]`; returns how many values it nulled.
fn suppress<T>(values: &mut [Option<T>], rows: &[bool]) -> usize {
    let mut n = 0;
    for (v, &s) in values.iter_mut().zip(rows) {
        if s && v.take().is_some() {
            n += 1;
        }
    }
    n
}

fn date_series(name: &str, values: Vec<Option<i32>>) -> Column {
    let c: Int32Chunked = values.into_iter().collect();
    c.with_name(name.into()).into_date().into_column()
}

fn text_series(name: &str, values: Vec<Option<String>>) -> Column {
    let c: StringChunked = values.iter().map(|v| v.as_deref()).collect();
    c.with_name(name.into()).into_column()
}

/// Writes the analyst copy into `opts.to`; returns its report.
pub fn export(opts: &ExportOptions) -> Result<Report, ViewError> {
    if opts.k < 2 {
        return Err(ViewError::Usage("--k must be at least 2".to_owned()));
    }
    refuse_inside(&opts.out, &opts.to, "--to")?;
    refuse_nonempty(&opts.to)?;
    let key = read_key(&opts.key_file)?;
    let run = Run::open(&opts.out, opts.run.as_deref())?;
    let month_of =
        |v: Vec<Option<i32>>| -> Vec<Option<i32>> { v.into_iter().map(|d| d.map(month)).collect() };

    // eligibility.parquet
    let path = run.dir.join("eligibility.parquet");
    let e = run.read("eligibility.parquet", None)?;
    let people = texts(&e, "person_id", &path)?;
    let mut cities = texts(&e, "city", &path)?;
    let keys: Vec<(Option<String>, Option<String>)> =
        cities.iter().cloned().zip(people.iter().cloned()).collect();
    let mut divisions = texts(&e, "county", &path)?;
    let mut starts = month_of(days(&e, "spell_start", &path)?);
    let mut ends = month_of(days(&e, "spell_end", &path)?);
    let mut since = month_of(days(&e, "eligible_since", &path)?);
    let mut on = month_of(days(&e, "eligible_on", &path)?);
    let pledge = month_of(days(&e, "pledge_since", &path)?);
    let qi: Vec<_> = (0..e.height())
        .map(|i| (cities[i].clone(), divisions[i].clone(), starts[i], ends[i]))
        .collect();
    let (rows, classes, small) = below_k(&qi, opts.k);
    let cells = suppress(&mut cities, &rows)
        + suppress(&mut divisions, &rows)
        + suppress(&mut starts, &rows)
        + suppress(&mut ends, &rows)
        + suppress(&mut since, &rows)
        + suppress(&mut on, &rows);
    let eligibility_report = Suppression {
        rows: e.height(),
        quasi_identifiers: vec!["city", "division", "spell_start", "spell_end"],
        classes,
        classes_below_k: small,
        suppressed_rows: rows.iter().filter(|&&s| s).count(),
        suppressed_cells: cells,
    };
    let suppressed_people: std::collections::HashSet<(Option<String>, Option<String>)> = keys
        .iter()
        .zip(&rows)
        .filter(|&(_, &s)| s)
        .map(|(k, _)| k.clone())
        .collect();
    let pseudonyms: Vec<Option<String>> = people
        .iter()
        .map(|p| p.as_deref().map(|p| pseudonym(&key, p)))
        .collect();
    let col = |name: &str| e.column(name).cloned().map_err(ViewError::parquet(&path));
    let eligibility = DataFrame::new(
        e.height(),
        vec![
            text_series("person_id", pseudonyms.clone()),
            text_series("city", cities),
            text_series("division", divisions),
            col("status")?,
            col("basis")?,
            date_series("spell_start", starts),
            date_series("spell_end", ends),
            col("months_of_evidence")?,
            col("covered_days")?,
            col("strong_days")?,
            col("evidence_count")?,
            col("sources")?,
            date_series("eligible_since", since),
            date_series("eligible_on", on),
            date_series("pledge_since", pledge),
        ],
    )
    .map_err(ViewError::parquet(&path))?;
    let eligibility = by_pseudonym(eligibility, &pseudonyms, &keys, None, &path)?;

    // spells.parquet
    let path = run.dir.join("spells.parquet");
    let s = run.read("spells.parquet", None)?;
    let spell_people = texts(&s, "person_id", &path)?;
    let mut spell_cities = texts(&s, "city", &path)?;
    let mut spell_starts = month_of(days(&s, "start", &path)?);
    let mut spell_ends = month_of(days(&s, "end", &path)?);
    let numbers = days(&s, "spell_no", &path)?;
    let spell_keys: Vec<(Option<String>, Option<String>)> = spell_cities
        .iter()
        .cloned()
        .zip(spell_people.iter().cloned())
        .collect();
    let qi: Vec<_> = (0..s.height())
        .map(|i| (spell_cities[i].clone(), spell_starts[i], spell_ends[i]))
        .collect();
    let (mut spell_rows, classes, small) = below_k(&qi, opts.k);
    // A suppressed person's last spell is their eligibility row's S.
    for i in 0..s.height() {
        let last = i + 1 == s.height() || spell_keys[i + 1] != spell_keys[i];
        if last && suppressed_people.contains(&spell_keys[i]) {
            spell_rows[i] = true;
        }
    }
    let cells = suppress(&mut spell_cities, &spell_rows)
        + suppress(&mut spell_starts, &spell_rows)
        + suppress(&mut spell_ends, &spell_rows);
    let spells_report = Suppression {
        rows: s.height(),
        quasi_identifiers: vec!["city", "start", "end"],
        classes,
        classes_below_k: small,
        suppressed_rows: spell_rows.iter().filter(|&&x| x).count(),
        suppressed_cells: cells,
    };
    let spell_pseudonyms: Vec<Option<String>> = spell_people
        .iter()
        .map(|p| p.as_deref().map(|p| pseudonym(&key, p)))
        .collect();
    let col = |name: &str| s.column(name).cloned().map_err(ViewError::parquet(&path));
    let spells = DataFrame::new(
        s.height(),
        vec![
            text_series("person_id", spell_pseudonyms.clone()),
            text_series("city", spell_cities),
            col("spell_no")?,
            date_series("start", spell_starts),
            date_series("end", spell_ends),
            col("months")?,
            col("covered_days")?,
            col("evidence_count")?,
            col("sources")?,
        ],
    )
    .map_err(ViewError::parquet(&path))?;
    let spells = by_pseudonym(
        spells,
        &spell_pseudonyms,
        &spell_keys,
        Some(&numbers),
        &path,
    )?;

    // The copy, then its report.
    crate::output::create_private_dir(&opts.to)?;
    let meta = FileMeta {
        run_id: run.run_id.clone(),
        as_of: run.as_of.to_string(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    for (output, df) in [(&COPY_ELIGIBILITY, &eligibility), (&COPY_SPELLS, &spells)] {
        let mut sink = ParquetSink::create(&opts.to.join(output.file), df.schema(), output)?;
        sink.write(df)?;
        sink.finish(&meta)?;
    }
    let report = Report {
        run_id: run.run_id,
        as_of: run.as_of.to_string(),
        k: opts.k,
        key_id: hex(&hmac(&key, b"key-id")[..4]),
        eligibility: eligibility_report,
        spells: spells_report,
        notes: vec![
            "person_id is HMAC-SHA256(key, \"person:\" + id), first 16 bytes as hex",
            "every date is its month's first day",
            "record ids, raw text, input files and lines are not copied; evidence, rejects and filtered rows are not copied",
            "a class of quasi-identifiers with fewer than k rows has them set to null; such an eligibility row also loses eligible_since and eligible_on, and its person's last spell is suppressed too",
            "rows are ordered by pseudonym",
        ],
    };
    let path = opts.to.join("report.json");
    let mut file = crate::output::create_private(&path)?;
    let json = serde_json::to_vec_pretty(&report).map_err(|e| crate::output::OutputError::Io {
        path: path.clone(),
        source: e.into(),
    })?;
    use std::io::Write;
    file.write_all(&json)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(crate::output::OutputError::io(&path))?;
    Ok(report)
}

/// `df`'s rows ordered by pseudonym, then the original (city, person) and
/// spell number, so the order is total and says nothing about ID numbers.
fn by_pseudonym(
    df: DataFrame,
    pseudonyms: &[Option<String>],
    keys: &[(Option<String>, Option<String>)],
    numbers: Option<&[Option<i32>]>,
    path: &Path,
) -> Result<DataFrame, ViewError> {
    let mut order: Vec<IdxSize> = (0..df.height() as IdxSize).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        (&pseudonyms[a], &keys[a], numbers.map(|n| n[a])).cmp(&(
            &pseudonyms[b],
            &keys[b],
            numbers.map(|n| n[b]),
        ))
    });
    let idx = IdxCa::from_vec("idx".into(), order);
    df.take(&idx).map_err(ViewError::parquet(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_hmacs() {
        let key = [7u8; 32];
        let p = pseudonym(&key, "430102198504120116");
        assert_eq!(p.len(), 32);
        assert!(p.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(p, pseudonym(&key, "430102198504120116"));
        assert_ne!(p, pseudonym(&[8u8; 32], "430102198504120116"));
        assert_ne!(p, pseudonym(&key, "430102198504120117"));
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        assert_eq!(
            hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn classes_below_k_and_suppression() {
        let keys = ["a", "a", "b", "c", "c", "c"];
        let (rows, classes, small) = below_k(&keys, 3);
        assert_eq!(rows, [true, true, true, false, false, false]);
        assert_eq!((classes, small), (3, 2));
        let mut v = vec![Some(1), None, Some(3), Some(4), Some(5), Some(6)];
        assert_eq!(suppress(&mut v, &rows), 2);
        assert_eq!(v, [None, None, None, Some(4), Some(5), Some(6)]);
    }

    #[test]
    fn months_are_first_days() {
        let d = |s: &str| to_epoch_days(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        assert_eq!(month(d("2026-02-28")), d("2026-02-01"));
        assert_eq!(month(d("2026-03-01")), d("2026-03-01"));
    }

    #[test]
    fn keys_must_be_private_and_long() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, [1u8; 32]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            read_key(&path)
                .unwrap_err()
                .to_string()
                .contains("readable by others")
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_key(&path).unwrap().len(), 32);
        std::fs::write(&path, [1u8; 31]).unwrap();
        let err = read_key(&path).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("31 bytes"), "{err}");
        assert!(read_key(&dir.path().join("none")).is_err());
    }
}
