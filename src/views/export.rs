//! `residence export`: the analyst copy of a published run (SPEC §9), after
//! PIPL art. 51 and GB/T 37964.
//!
//! - `person_id` becomes `HMAC-SHA256(key, "person:" + id)`, 32 hex characters;
//! - dates become months (their first day); record ids, raw text, file names
//!   and lines are not copied; eligibility, spells and `aggregates.parquet`;
//! - quasi-identifiers — city, county, and the dates of each person's
//!   eligibility row and spells — are counted per person across the two
//!   files ([`super::anonymity`]): a person whose combination fewer than k
//!   persons share is generalised (county → city, month → quarter → year)
//!   and suppressed (null) only where that is not enough. Every class of
//!   the files as written has at least k persons; each row's `precision`
//!   says how far it was coarsened, and DIR/report.json describes the files
//!   as written.
//!
//! Rows are ordered by pseudonym, so the copy's order says nothing about the
//! ID numbers. The copy goes to a new or empty folder outside `OUT`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use polars::prelude::*;
use serde::Serialize;
use sha2::Sha256;

use super::anonymity::{self, Level, Quasi};
use super::{Run, ViewError, refuse_inside};
use crate::digest::hex;
use crate::output::parquet::{FileMeta, Output, ParquetSink};
use crate::rules::date::{from_epoch_days, to_epoch_days};

/// The copy's files: ordered by pseudonym (the city may be suppressed).
const COPY_ELIGIBILITY: Output = Output {
    file: "eligibility.parquet",
    sorted_by: &["person_id"],
    required: &["person_id", "precision", "status", "basis", "sources"],
};
const COPY_SPELLS: Output = Output {
    file: "spells.parquet",
    sorted_by: &["person_id"],
    required: &["person_id", "precision", "spell_no", "sources"],
};
const COPY_AGGREGATES: Output = Output {
    file: "aggregates.parquet",
    sorted_by: &["city", "county", "status", "basis"],
    required: &["city", "status", "basis", "below_k"],
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

/// One file of the copy, as written.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Rows written.
    pub rows: usize,
    /// The quasi-identifier columns.
    pub quasi_identifiers: Vec<&'static str>,
    /// Cells written coarser than a month or a county (not null).
    pub generalised_cells: usize,
    /// Cells written null that held a value.
    pub suppressed_cells: usize,
}

/// DIR/report.json: the files as written.
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
    /// Persons in the copy.
    pub persons: usize,
    /// Classes of persons by their combination of quasi-identifiers across
    /// both files, as written.
    pub classes: usize,
    /// The smallest of those classes (at least k, or 0 without persons).
    pub smallest_class: usize,
    /// Persons per precision (`county_month`, `city_month`, `city_quarter`,
    /// `city_year`, `suppressed`).
    pub persons_by_precision: std::collections::BTreeMap<&'static str, usize>,
    /// Persons left out: fewer than k of their kind exist even suppressed.
    pub persons_left_out: usize,
    /// `eligibility.parquet` as written.
    pub eligibility: FileReport,
    /// `spells.parquet` as written.
    pub spells: FileReport,
    /// `aggregates.parquet`: cells, and cells under k (null).
    pub aggregates_cells: usize,
    /// Cells of `aggregates.parquet` under k, written null with `below_k`.
    pub aggregates_below_k: usize,
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

fn date_series(name: &str, values: Vec<Option<i32>>) -> Column {
    let c: Int32Chunked = values.into_iter().collect();
    c.with_name(name.into()).into_date().into_column()
}

fn text_series(name: &str, values: Vec<Option<String>>) -> Column {
    let c: StringChunked = values.iter().map(|v| v.as_deref()).collect();
    c.with_name(name.into()).into_column()
}

/// Each row's person as an index into `names`, which gains the persons not
/// seen before.
fn persons_of<'a>(
    ids: &'a StringChunked,
    index: &mut HashMap<&'a str, usize>,
    names: &mut Vec<&'a str>,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(ids.len());
    for p in ids.iter() {
        let p = p.unwrap_or_default();
        let next = names.len();
        let i = *index.entry(p).or_insert(next);
        if i == next {
            names.push(p);
        }
        out.push(i);
    }
    out
}

/// The `person_id` column: each row's person's pseudonym.
fn pseudonym_series(pseudonyms: &[String], person: &[usize]) -> Column {
    let c: StringChunked = person
        .iter()
        .map(|&p| Some(pseudonyms[p].as_str()))
        .collect();
    c.with_name("person_id".into()).into_column()
}

/// A column of six-digit codes as numbers, parsed in place (no text per row).
fn codes(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<Option<u32>>, ViewError> {
    let c = df.column(name).map_err(ViewError::parquet(path))?;
    let c = c.str().map_err(ViewError::parquet(path))?;
    Ok(c.iter().map(|v| v.and_then(|s| s.parse().ok())).collect())
}

fn code_text(v: Option<u32>) -> Option<String> {
    v.map(|c| format!("{c:06}"))
}

/// Counts, for one written cell, whether it was coarsened or nulled.
#[derive(Default)]
struct Cells {
    generalised: usize,
    suppressed: usize,
}

impl Cells {
    fn date(&mut self, read: Option<i32>, level: Level) -> Option<i32> {
        let written = level.date(read);
        match (read, written) {
            (Some(_), None) => self.suppressed += 1,
            (Some(d), Some(w)) if w != month(d) => self.generalised += 1,
            _ => {}
        }
        written
    }

    fn county(&mut self, read: Option<u32>, level: Level) -> Option<u32> {
        let written = level.county(read);
        if read.is_some() && written.is_none() {
            if level == Level::Suppressed {
                self.suppressed += 1;
            } else {
                self.generalised += 1;
            }
        }
        written
    }

    fn city(&mut self, read: Option<u32>, level: Level) -> Option<u32> {
        let written = level.city(read);
        if read.is_some() && written.is_none() {
            self.suppressed += 1;
        }
        written
    }
}

/// The date columns of the eligibility copy, quasi-identifiers all.
const ELIGIBILITY_DATES: [&str; 5] = [
    "spell_start",
    "spell_end",
    "eligible_since",
    "eligible_on",
    "pledge_since",
];

/// Writes the analyst copy into `opts.to`; returns its report.
pub fn export(opts: &ExportOptions) -> Result<Report, ViewError> {
    if opts.k < 2 {
        return Err(ViewError::Usage("--k must be at least 2".to_owned()));
    }
    refuse_inside(&opts.out, &opts.to, "--to")?;
    refuse_nonempty(&opts.to)?;
    let key = read_key(&opts.key_file)?;
    let run = Run::open(&opts.out, opts.run.as_deref())?;

    // Both files, and each row's person.
    let e_path = run.path("eligibility.parquet");
    let e = run.read("eligibility.parquet", None)?;
    let s_path = run.path("spells.parquet");
    let s = run.read("spells.parquet", None)?;
    let ids = |df: &DataFrame, path: &Path| -> Result<StringChunked, ViewError> {
        let c = df.column("person_id").map_err(ViewError::parquet(path))?;
        Ok(c.str().map_err(ViewError::parquet(path))?.clone())
    };
    let (e_ids, s_ids) = (ids(&e, &e_path)?, ids(&s, &s_path)?);
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let e_person = persons_of(&e_ids, &mut index, &mut names);
    let s_person = persons_of(&s_ids, &mut index, &mut names);

    // Each person's quasi-identifiers, across both files.
    let (e_city, e_county) = (codes(&e, "city", &e_path)?, codes(&e, "county", &e_path)?);
    let e_dates: Vec<Vec<Option<i32>>> = ELIGIBILITY_DATES
        .iter()
        .map(|c| days(&e, c, &e_path))
        .collect::<Result<_, _>>()?;
    let s_city = codes(&s, "city", &s_path)?;
    let s_dates = [days(&s, "start", &s_path)?, days(&s, "end", &s_path)?];
    let mut people: Vec<Vec<Quasi>> = vec![Vec::new(); names.len()];
    for (i, &p) in e_person.iter().enumerate() {
        people[p].push(Quasi {
            file: 0,
            city: e_city[i],
            county: e_county[i],
            dates: std::array::from_fn(|k| e_dates[k][i]),
        });
    }
    for (i, &p) in s_person.iter().enumerate() {
        people[p].push(Quasi {
            file: 1,
            city: s_city[i],
            county: None,
            dates: [s_dates[0][i], s_dates[1][i], None, None, None],
        });
    }
    let levels = anonymity::levels(&people, opts.k);
    let (classes, smallest_class) = anonymity::written_classes(&people, &levels);
    drop(people);
    let pseudonyms: Vec<String> = names.iter().map(|p| pseudonym(&key, p)).collect();

    // eligibility.parquet as written.
    let keep: Vec<usize> = (0..e.height())
        .filter(|&i| levels[e_person[i]].is_some())
        .collect();
    let level_of = |p: usize| levels[p].unwrap_or(Level::Suppressed);
    let mut cells = Cells::default();
    let mut city_w = Vec::with_capacity(keep.len());
    let mut county_w = Vec::with_capacity(keep.len());
    let mut dates_w: Vec<Vec<Option<i32>>> = vec![Vec::new(); 5];
    for &i in &keep {
        let l = level_of(e_person[i]);
        city_w.push(code_text(cells.city(e_city[i], l)));
        county_w.push(code_text(cells.county(e_county[i], l)));
        for (k, d) in e_dates.iter().enumerate() {
            dates_w[k].push(cells.date(d[i], l));
        }
    }
    let idx = IdxCa::from_vec("rows".into(), keep.iter().map(|&i| i as IdxSize).collect());
    let kept = e.take(&idx).map_err(ViewError::parquet(&e_path))?;
    let col = |name: &str| {
        kept.column(name)
            .cloned()
            .map_err(ViewError::parquet(&e_path))
    };
    let e_kept_person: Vec<usize> = keep.iter().map(|&i| e_person[i]).collect();
    let precision: Vec<Option<String>> = keep
        .iter()
        .map(|&i| Some(level_of(e_person[i]).name().to_owned()))
        .collect();
    let mut dates_w = dates_w.into_iter();
    let mut next_dates = || dates_w.next().unwrap_or_default();
    let (start_w, end_w, since_w, on_w, pledge_w) = (
        next_dates(),
        next_dates(),
        next_dates(),
        next_dates(),
        next_dates(),
    );
    let eligibility = DataFrame::new(
        keep.len(),
        vec![
            pseudonym_series(&pseudonyms, &e_kept_person),
            text_series("city", city_w),
            text_series("county", county_w),
            text_series("precision", precision),
            col("status")?,
            col("basis")?,
            date_series("spell_start", start_w),
            date_series("spell_end", end_w),
            col("months_of_evidence")?,
            col("covered_days")?,
            col("strong_days")?,
            col("evidence_count")?,
            col("sources")?,
            date_series("eligible_since", since_w),
            date_series("eligible_on", on_w),
            date_series("pledge_since", pledge_w),
        ],
    )
    .map_err(ViewError::parquet(&e_path))?;
    let eligibility_report = FileReport {
        rows: keep.len(),
        quasi_identifiers: vec![
            "city",
            "county",
            "spell_start",
            "spell_end",
            "eligible_since",
            "eligible_on",
            "pledge_since",
        ],
        generalised_cells: cells.generalised,
        suppressed_cells: cells.suppressed,
    };
    let eligibility = by_pseudonym(eligibility, &pseudonyms, &e_kept_person, &e_path)?;

    // spells.parquet as written.
    let keep: Vec<usize> = (0..s.height())
        .filter(|&i| levels[s_person[i]].is_some())
        .collect();
    let mut cells = Cells::default();
    let (mut city_w, mut start_w, mut end_w) = (Vec::new(), Vec::new(), Vec::new());
    for &i in &keep {
        let l = level_of(s_person[i]);
        city_w.push(code_text(cells.city(s_city[i], l)));
        start_w.push(cells.date(s_dates[0][i], l));
        end_w.push(cells.date(s_dates[1][i], l));
    }
    let idx = IdxCa::from_vec("rows".into(), keep.iter().map(|&i| i as IdxSize).collect());
    let kept = s.take(&idx).map_err(ViewError::parquet(&s_path))?;
    let col = |name: &str| {
        kept.column(name)
            .cloned()
            .map_err(ViewError::parquet(&s_path))
    };
    let s_kept_person: Vec<usize> = keep.iter().map(|&i| s_person[i]).collect();
    let precision: Vec<Option<String>> = keep
        .iter()
        .map(|&i| Some(level_of(s_person[i]).name().to_owned()))
        .collect();
    let spells = DataFrame::new(
        keep.len(),
        vec![
            pseudonym_series(&pseudonyms, &s_kept_person),
            text_series("city", city_w),
            text_series("precision", precision),
            col("spell_no")?,
            date_series("start", start_w),
            date_series("end", end_w),
            col("months")?,
            col("covered_days")?,
            col("evidence_count")?,
            col("sources")?,
        ],
    )
    .map_err(ViewError::parquet(&s_path))?;
    let spells_report = FileReport {
        rows: keep.len(),
        quasi_identifiers: vec!["city", "start", "end"],
        generalised_cells: cells.generalised,
        suppressed_cells: cells.suppressed,
    };
    let spells = by_pseudonym(spells, &pseudonyms, &s_kept_person, &s_path)?;

    // aggregates.parquet: persons by city, county, status, basis, from the
    // run's manifest; cells under k null, flagged.
    let cells_in = &run.manifest.aggregates.decisions;
    let below: Vec<bool> = cells_in
        .iter()
        .map(|c| (c.persons as usize) < opts.k)
        .collect();
    let aggregates = DataFrame::new(
        cells_in.len(),
        vec![
            text_series(
                "city",
                cells_in.iter().map(|c| Some(c.city.clone())).collect(),
            ),
            text_series(
                "county",
                cells_in.iter().map(|c| c.county.clone()).collect(),
            ),
            text_series(
                "status",
                cells_in.iter().map(|c| Some(c.status.clone())).collect(),
            ),
            text_series(
                "basis",
                cells_in.iter().map(|c| Some(c.basis.clone())).collect(),
            ),
            Int64Chunked::from_iter_options(
                "persons".into(),
                cells_in
                    .iter()
                    .zip(&below)
                    .map(|(c, &b)| (!b).then_some(c.persons as i64)),
            )
            .into_column(),
            BooleanChunked::from_iter_values("below_k".into(), below.iter().copied()).into_column(),
        ],
    )
    .map_err(ViewError::parquet(&run.path("manifest.json")))?;

    // The copy, then its report.
    crate::output::create_private_dir(&opts.to)?;
    let meta = FileMeta {
        run_id: run.run_id.clone(),
        as_of: run.as_of.to_string(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    for (output, df) in [
        (&COPY_ELIGIBILITY, &eligibility),
        (&COPY_SPELLS, &spells),
        (&COPY_AGGREGATES, &aggregates),
    ] {
        let mut sink = ParquetSink::create(&opts.to.join(output.file), df.schema(), output)?;
        if df.height() > 0 {
            sink.write(df)?;
        }
        sink.finish(&meta)?;
    }
    let mut persons_by_precision = std::collections::BTreeMap::new();
    for l in Level::ALL {
        persons_by_precision.insert(l.name(), levels.iter().filter(|x| **x == Some(l)).count());
    }
    let report = Report {
        run_id: run.run_id.clone(),
        as_of: run.as_of.to_string(),
        k: opts.k,
        key_id: hex(&hmac(&key, b"key-id")[..4]),
        persons: levels.iter().filter(|l| l.is_some()).count(),
        classes,
        smallest_class,
        persons_by_precision,
        persons_left_out: levels.iter().filter(|l| l.is_none()).count(),
        eligibility: eligibility_report,
        spells: spells_report,
        aggregates_cells: below.len(),
        aggregates_below_k: below.iter().filter(|&&b| b).count(),
        notes: vec![
            "person_id is HMAC-SHA256(key, \"person:\" + id), first 16 bytes as hex",
            "every date is its month's first day, or its quarter's or year's where precision says so",
            "record ids, raw text, input files and lines are not copied; evidence, rejects and filtered rows are not copied",
            "quasi-identifiers (city, county, every date) are counted per person across eligibility and spells: every class of the files as written has at least k persons; a person in a smaller class is generalised (county to city, month to quarter to year) and suppressed (null) only where that is not enough",
            "aggregates.parquet: persons by city, county, status and basis from the run; a cell under k persons is null with below_k true",
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

/// `df`'s rows ordered by their person's pseudonym (`person[i]` indexes
/// `pseudonyms`), then their order in the run's file — (city, person,
/// spell_no) — so the order is total and says nothing about ID numbers.
fn by_pseudonym(
    df: DataFrame,
    pseudonyms: &[String],
    person: &[usize],
    path: &Path,
) -> Result<DataFrame, ViewError> {
    let mut order: Vec<IdxSize> = (0..df.height() as IdxSize).collect();
    order.sort_by(|&a, &b| {
        (&pseudonyms[person[a as usize]], a).cmp(&(&pseudonyms[person[b as usize]], b))
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
