//! Stage 1, ingest: every feed file → typed rows with verdicts → the evidence
//! table, declarations, rejects and per-file counts.
//!
//! Files are read in parallel on polars' rayon pool, each streamed record by
//! record. Supersession (per source, across its files) and the phone identity
//! step need whole sources, so they run after reading on the compact verdicts.

pub mod fields;
pub mod file;
pub mod gazetteer;
pub mod hashing;
pub mod header;
pub mod identity;
pub mod reader;
pub mod supersede;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::evidence::{EvidenceTable, SortKey, pack};
use crate::pipeline::{Pipeline, SourceKind};
use crate::rules::address::Gazetteer;
use crate::rules::date::to_epoch_days;
use crate::rules::division::Division;
use crate::rules::id::PersonId;
use crate::rules::reason::Reason;
use file::{FileInput, FileResult, read_file};
use validate::{Ctx, Outcome, Pledge};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A feed's header cannot be used (exit 2).
    #[error("{path}: {message}")]
    Header { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Gazetteer { path: PathBuf, message: String },
}

/// Counts for one input file (SPEC §7 manifest): rows = accepted + filtered + rejected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileReport {
    pub source: Option<SourceKind>,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    pub rows: u64,
    pub accepted: u64,
    pub filtered: BTreeMap<Reason, u64>,
    pub rejected: BTreeMap<Reason, u64>,
    pub warnings: Vec<String>,
}

/// One rejected row for `rejects.parquet`.
#[derive(Clone, Debug, PartialEq)]
pub struct RejectRecord {
    pub source: SourceKind,
    /// Index into [`Ingested::files`].
    pub file: u32,
    pub line: u32,
    pub reason: Reason,
    pub detail: String,
    pub raw: String,
}

/// A counting-or-not pledge with its position, for "the latest signed; on a tie the later row".
#[derive(Clone, Copy, Debug)]
pub struct PledgeRecord {
    pub pledge: Pledge,
    /// (file index, row) — later rows compare greater.
    pub order: (u32, u32),
}

/// What ingest hands the timeline stage.
pub struct Ingested {
    /// Sorted by city, person, start, end, source, record_id.
    pub evidence: crate::evidence::EvidenceTable,
    pub pledges: Vec<PledgeRecord>,
    /// City of each person's household registration.
    pub hukou: HashMap<PersonId, Division>,
    /// Every input file, sources in name order, files in path order.
    pub files: Vec<FileReport>,
    /// Rejected rows, sorted by source, file, line.
    pub rejects: Vec<RejectRecord>,
    /// Run-level warnings (absent source folders).
    pub warnings: Vec<String>,
    /// Milliseconds per step: read, supersede, identity, assemble.
    pub timings_ms: Vec<(&'static str, u64)>,
}

/// The `*.csv` regular files directly in `dir`, sorted by path; `None` if `dir` is absent.
pub fn list_csv_files(dir: &Path) -> std::io::Result<Option<Vec<PathBuf>>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let is_csv = path.extension().is_some_and(|e| e == "csv");
        // file_type() does not follow links; metadata() does, so a link to a file counts.
        if is_csv && std::fs::metadata(&path)?.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(Some(files))
}

/// Every file the pipeline reads, sources in name order and files in path
/// order, and a warning per declared source whose folder is absent.
pub fn input_files(
    pipeline: &Pipeline,
    data_dir: &Path,
) -> Result<(Vec<FileInput>, Vec<String>), IngestError> {
    let mut warnings = Vec::new();
    let mut inputs: Vec<FileInput> = Vec::new();
    for source in &pipeline.sources {
        let dir = data_dir.join(&source.folder);
        let listed = list_csv_files(&dir).map_err(|e| IngestError::Io {
            path: dir.clone(),
            source: e,
        })?;
        let Some(files) = listed else {
            warnings.push(format!(
                "source {}: folder {} is absent; source skipped",
                source.kind,
                dir.display()
            ));
            continue;
        };
        for path in files {
            let rel = path
                .strip_prefix(data_dir)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            inputs.push(FileInput {
                source: source.kind,
                encoding: source.encoding,
                path,
                rel,
            });
        }
    }
    Ok((inputs, warnings))
}

/// Runs the whole ingest stage.
pub fn ingest(
    pipeline: &Pipeline,
    data_dir: &Path,
    as_of: NaiveDate,
    gazetteer: &Gazetteer,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Ingested, IngestError> {
    let (inputs, warnings) = input_files(pipeline, data_dir)?;
    let mut timings_ms = Vec::new();
    let mut step = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        timings_ms.push((name, step.elapsed().as_millis() as u64));
        step = std::time::Instant::now();
    };
    let ctx = Ctx {
        as_of,
        gazetteer,
        jurisdictions: &pipeline.params.jurisdictions,
    };
    let results: Vec<Result<FileResult, IngestError>> =
        polars_core::runtime::THREAD_POOL.install(|| {
            inputs
                .into_par_iter()
                .map(|input| {
                    let source = pipeline
                        .source(input.source)
                        .expect("inputs come from declared sources");
                    read_file(input, source, &ctx, progress)
                })
                .collect()
        });
    let mut results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    lap("read");

    // Group each source's files (already in source order, then path order).
    let mut by_source: Vec<(SourceKind, std::ops::Range<usize>)> = Vec::new();
    for (i, r) in results.iter().enumerate() {
        match by_source.last_mut() {
            Some((k, range)) if *k == r.input.source => range.end = i + 1,
            _ => by_source.push((r.input.source, i..i + 1)),
        }
    }
    polars_core::runtime::THREAD_POOL.install(|| {
        let mut slices: Vec<&mut [FileResult]> = Vec::new();
        let mut rest = results.as_mut_slice();
        let mut offset = 0;
        for (_, range) in &by_source {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(range.end - offset);
            offset = range.end;
            slices.push(head);
            rest = tail;
        }
        slices.into_par_iter().for_each(|files| {
            supersede::supersede(files);
        });
    });
    lap("supersede");

    let range_of = |kind| {
        by_source
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, r)| r.clone())
    };
    let owners = range_of(SourceKind::Telecom)
        .map(|r| identity::PhoneOwners::from_telecom(&results[r]))
        .unwrap_or_default();
    if let Some(r) = range_of(SourceKind::Shopping) {
        identity::resolve_buyers(&mut results[r], &owners, &ctx)?;
    }
    drop(owners);
    lap("identity");

    let mut ingested = assemble(results, warnings);
    lap("assemble");
    ingested.timings_ms = timings_ms;
    Ok(ingested)
}

/// One file's share of the stage's results.
#[derive(Default)]
struct FilePart {
    report: FileReport,
    keys: Vec<SortKey>,
    pledges: Vec<PledgeRecord>,
    hukou: Vec<(PersonId, Division)>,
    rejects: Vec<RejectRecord>,
}

/// Counts one file's verdicts and collects its evidence keys, declarations and rejects.
fn file_part(fi: u32, file: &mut FileResult) -> FilePart {
    let source = file.input.source;
    let mut part = FilePart {
        report: FileReport {
            source: Some(source),
            path: file.input.rel.clone(),
            bytes: file.bytes,
            sha256: file.sha256.clone(),
            rows: file.rows.len() as u64,
            warnings: file.warnings.clone(),
            ..FileReport::default()
        },
        ..FilePart::default()
    };
    let report = &mut part.report;
    for (ri, row) in file.rows.iter().enumerate() {
        match row.verdict {
            Ok(Outcome::Evidence(e)) => {
                report.accepted += 1;
                part.keys.push(SortKey {
                    key: pack(
                        e.division.city().code(),
                        e.person.as_u64(),
                        to_epoch_days(e.start),
                        to_epoch_days(e.end),
                        source,
                    ),
                    file: fi,
                    row: ri as u32,
                    division: e.division.code(),
                    line: row.line,
                });
            }
            Ok(Outcome::Pledge(p)) => {
                report.accepted += 1;
                part.pledges.push(PledgeRecord {
                    pledge: p,
                    order: (fi, ri as u32),
                });
            }
            Ok(Outcome::Hukou { person, city }) => {
                report.accepted += 1;
                part.hukou.push((person, city));
            }
            Ok(Outcome::Filtered(reason)) => *report.filtered.entry(reason).or_default() += 1,
            Ok(Outcome::AwaitIdentity(_)) => {
                unreachable!("identity step decides every awaiting row")
            }
            Err(reason) => *report.rejected.entry(reason).or_default() += 1,
        }
    }
    for text in std::mem::take(&mut file.rejects) {
        let row = &file.rows[text.row as usize];
        // A rejected row that a later version superseded is no longer rejected.
        if let Err(reason) = row.verdict {
            part.rejects.push(RejectRecord {
                source,
                file: fi,
                line: row.line,
                reason,
                detail: text.detail,
                raw: text.raw,
            });
        }
    }
    // Everything the later steps need is in the part now; only record ids stay.
    file.rows = Vec::new();
    part
}

/// Folds the judged files into the evidence table (built directly in its sorted
/// order), declarations, rejects and reports.
fn assemble(mut results: Vec<FileResult>, warnings: Vec<String>) -> Ingested {
    let pool = &polars_core::runtime::THREAD_POOL;
    let parts: Vec<FilePart> = pool.install(|| {
        results
            .par_iter_mut()
            .enumerate()
            .map(|(fi, file)| file_part(fi as u32, file))
            .collect()
    });

    let mut keys = Vec::with_capacity(parts.iter().map(|p| p.keys.len()).sum());
    let mut pledges = Vec::new();
    let mut hukou = HashMap::new();
    let mut files = Vec::with_capacity(parts.len());
    let mut rejects = Vec::new();
    for part in parts {
        keys.extend_from_slice(&part.keys);
        pledges.extend(part.pledges);
        // Supersession left one current row per ID number.
        hukou.extend(part.hukou);
        rejects.extend(part.rejects);
        files.push(part.report);
    }

    // The record id breaks ties of the packed key: (source, record_id) is unique
    // among accepted rows after supersession, so the order is total.
    let record_id = |k: &SortKey| results[k.file as usize].ids.get(k.row as usize);
    // Integers first; then only the short runs of equal keys (two insurance
    // records of one month, say) look up their record ids.
    pool.install(|| {
        keys.par_sort_unstable_by_key(|k| k.key);
        keys.par_chunk_by_mut(|a, b| a.key == b.key)
            .filter(|run| run.len() > 1)
            .for_each(|run| run.sort_unstable_by(|a, b| record_id(a).cmp(record_id(b))));
    });

    // The table keeps the record ids where they are.
    let ids = results.into_iter().map(|f| f.ids).collect();
    Ingested {
        evidence: EvidenceTable::from_sorted_keys(keys, ids, pool),
        pledges,
        hukou,
        files,
        rejects,
        warnings,
        timings_ms: Vec::new(),
    }
}

/// What [`scan`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanTotals {
    pub files: u64,
    pub records: u64,
    pub bytes: u64,
}

/// The raw-parse baseline for benchmarks: reads every record of every declared
/// source's files (decoding every field, on the same pool and reader as
/// [`ingest`]) and does nothing else. The practical speed limit of a run.
pub fn scan(pipeline: &Pipeline, data_dir: &Path) -> Result<ScanTotals, IngestError> {
    let (files, _) = input_files(pipeline, data_dir)?;
    let inputs: Vec<(PathBuf, reader::Encoding)> =
        files.into_iter().map(|f| (f.path, f.encoding)).collect();
    let per_file = |(path, encoding): (PathBuf, reader::Encoding)| {
        let io = |e| IngestError::Io {
            path: path.clone(),
            source: e,
        };
        let file = std::fs::File::open(&path).map_err(io)?;
        let mut r = reader::RecordReader::new(file, encoding);
        let _ = r.read_header();
        let mut totals = ScanTotals {
            files: 1,
            ..ScanTotals::default()
        };
        while let Some(rec) = r.next_record().map_err(io)? {
            totals.records += 1;
            for i in 0..rec.len() {
                totals.bytes += rec.field(i).len() as u64;
            }
        }
        Ok::<_, IngestError>(totals)
    };
    polars_core::runtime::THREAD_POOL.install(|| {
        inputs
            .into_par_iter()
            .map(per_file)
            .try_reduce(ScanTotals::default, |a, b| {
                Ok(ScanTotals {
                    files: a.files + b.files,
                    records: a.records + b.records,
                    bytes: a.bytes + b.bytes,
                })
            })
    })
}
