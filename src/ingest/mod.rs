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

use crate::evidence::EvidenceBuilder;
use crate::pipeline::{Pipeline, SourceKind};
use crate::rules::address::Gazetteer;
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

/// Runs the whole ingest stage.
pub fn ingest(
    pipeline: &Pipeline,
    data_dir: &Path,
    as_of: NaiveDate,
    gazetteer: &Gazetteer,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Ingested, IngestError> {
    let mut warnings = Vec::new();
    let mut inputs: Vec<FileInput> = Vec::new();
    for source in &pipeline.sources {
        let dir = data_dir.join(&source.folder);
        let listed = list_csv_files(&dir).map_err(|e| IngestError::Io {
            path: dir.clone(),
            source: e,
        })?;
        match listed {
            None => warnings.push(format!(
                "source {}: folder {} is absent; source skipped",
                source.kind,
                dir.display()
            )),
            Some(files) => {
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
                        path,
                        rel,
                    });
                }
            }
        }
    }

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
        identity::resolve_buyers(&mut results[r], &owners, &ctx);
    }
    drop(owners);

    Ok(assemble(results, warnings))
}

/// Folds the judged files into the evidence table, declarations, rejects and reports.
fn assemble(results: Vec<FileResult>, warnings: Vec<String>) -> Ingested {
    let evidence_rows: usize = results
        .iter()
        .flat_map(|f| &f.rows)
        .filter(|r| matches!(r.verdict, Ok(Outcome::Evidence(_))))
        .count();
    let mut evidence = EvidenceBuilder::with_capacity(evidence_rows);
    let mut pledges = Vec::new();
    let mut hukou = HashMap::new();
    let mut files = Vec::with_capacity(results.len());
    let mut rejects = Vec::new();

    for (fi, file) in results.into_iter().enumerate() {
        let fi = fi as u32;
        let source = file.input.source;
        let mut report = FileReport {
            source: Some(source),
            path: file.input.rel.clone(),
            bytes: file.bytes,
            sha256: file.sha256.clone(),
            rows: file.rows.len() as u64,
            warnings: file.warnings.clone(),
            ..FileReport::default()
        };
        for (ri, row) in file.rows.iter().enumerate() {
            match row.verdict {
                Ok(Outcome::Evidence(e)) => {
                    report.accepted += 1;
                    evidence.push(&e, source, file.ids.get(ri), fi, row.line);
                }
                Ok(Outcome::Pledge(p)) => {
                    report.accepted += 1;
                    pledges.push(PledgeRecord {
                        pledge: p,
                        order: (fi, ri as u32),
                    });
                }
                Ok(Outcome::Hukou { person, city }) => {
                    report.accepted += 1;
                    // Supersession left one current row per ID number.
                    hukou.insert(person, city);
                }
                Ok(Outcome::Filtered(reason)) => {
                    *report.filtered.entry(reason).or_default() += 1;
                }
                Ok(Outcome::AwaitIdentity(_)) => {
                    unreachable!("identity step decides every awaiting row")
                }
                Err(reason) => *report.rejected.entry(reason).or_default() += 1,
            }
        }
        for text in file.rejects {
            let row = &file.rows[text.row as usize];
            // A rejected row that a later version superseded is no longer rejected.
            if let Err(reason) = row.verdict {
                rejects.push(RejectRecord {
                    source,
                    file: fi,
                    line: row.line,
                    reason,
                    detail: text.detail,
                    raw: text.raw,
                });
            }
        }
        files.push(report);
    }
    Ingested {
        evidence: evidence.finish(),
        pledges,
        hukou,
        files,
        rejects,
        warnings,
    }
}
