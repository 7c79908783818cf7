//! Stages 2 and 3, one evidence partition at a time: workers load, sort and
//! decide each (city, person) range and encode its evidence rows; a writer
//! thread appends the partitions in order to the per-person outputs; rejects
//! are written file by file beside them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use chrono::NaiveDate;

use crate::evidence::PartitionRows;
use crate::ingest::file::decode_reject;
use crate::ingest::{Ingested, RejectRecord};
use crate::output::OutputError;
use crate::output::parquet::{self, Encoded, OutFile, ParquetEncoder, ParquetSink};
use crate::pipeline::Pipeline;
use crate::progress::Progress;
use crate::spill::Cursor;
use crate::timeline::{self, EligibilityRow, SpellRow, Timelines};

/// Why writing the partitions' outputs failed (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// Reading spilled rows back failed: the spill disk, not an output.
    #[error("cannot use the spill folder {path}")]
    Spill {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A thread of the stage stopped without finishing.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
}

/// (city, status, basis) → persons.
pub type Decisions = BTreeMap<(String, &'static str, &'static str), u64>;

/// Output file name → rows written.
pub type Outputs = BTreeMap<String, u64>;

/// One partition's share of the outputs.
type PartitionOutput = (Encoded, Timelines);

/// Each evidence partition in (city, person) order: load and sort it, build
/// its spells and decisions, encode its evidence rows; a writer thread
/// appends each partition's rows to the three per-person outputs in partition
/// order. Workers take the next partition as they free up, at most
/// [`LOOKAHEAD`] ahead of the writer, so memory holds a few partitions, not
/// the night.
pub fn write_partitions(
    ingested: &Ingested<'_>,
    pipeline: &Pipeline,
    as_of: NaiveDate,
    dir: &Path,
    row_group: usize,
    progress: &dyn Progress,
) -> Result<(Outputs, Decisions), EngineError> {
    let pool = &polars_core::runtime::THREAD_POOL;
    let pledges = timeline::pledges_by_partition(&ingested.pledges, &ingested.partitioner);
    let sources = ingested.file_sources();
    let files = &ingested.files;
    let encoder = ParquetEncoder::new(&parquet::evidence_schema())?;
    let count = ingested.partitioner.count();

    let process = |p: usize| -> Result<PartitionOutput, EngineError> {
        crate::interrupt::check()?;
        let chunks = ingested.evidence.take(p).map_err(|e| EngineError::Spill {
            path: ingested.evidence.spill_path().to_owned(),
            source: e,
        })?;
        let rows = PartitionRows::load(&chunks, &sources, |file, line| {
            !ingested.superseded.contains(file, line)
        });
        drop(chunks);
        let timelines =
            timeline::build(&rows, &pledges[p], &ingested.hukou, &pipeline.params, as_of);
        let mut encoded = Encoded::default();
        for start in (0..rows.len()).step_by(row_group) {
            let end = rows.len().min(start + row_group);
            encoder.encode_group(
                &parquet::evidence_columns(&rows, start..end, files)?,
                &mut encoded,
            )?;
        }
        Ok((encoded, timelines))
    };

    let next = AtomicUsize::new(0);
    let written = (Mutex::new(0usize), Condvar::new());
    let failed = AtomicBool::new(false);
    let lookahead = LOOKAHEAD * pool.current_num_threads().max(1);
    let (tx, rx) = mpsc::channel::<(usize, Result<PartitionOutput, EngineError>)>();
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let result = write_in_order(rx, count, &written, dir, row_group, progress);
            if result.is_err() {
                // Under the lock, so a worker cannot miss it between its
                // check and its wait.
                let guard = written.0.lock().unwrap_or_else(|e| e.into_inner());
                failed.store(true, Ordering::Release);
                drop(guard);
                written.1.notify_all();
            }
            result
        });
        pool.install(|| {
            rayon::scope(|scope| {
                for _ in 0..pool.current_num_threads().max(1) {
                    let tx = tx.clone();
                    let (next, written, failed, process) = (&next, &written, &failed, &process);
                    scope.spawn(move |_| {
                        loop {
                            let p = next.fetch_add(1, Ordering::AcqRel);
                            if p >= count {
                                break;
                            }
                            // Wait until the writer is close enough behind.
                            let (lock, cvar) = written;
                            let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
                            while p >= *done + lookahead && !failed.load(Ordering::Acquire) {
                                done = cvar.wait(done).unwrap_or_else(|e| e.into_inner());
                            }
                            drop(done);
                            if failed.load(Ordering::Acquire) {
                                break;
                            }
                            let result = process(p);
                            let stop = result.is_err();
                            if tx.send((p, result)).is_err() || stop {
                                break;
                            }
                        }
                    });
                }
            });
        });
        drop(tx);
        writer.join().unwrap_or_else(|_| {
            Err(EngineError::Internal(
                "the output writer thread panicked".to_owned(),
            ))
        })
    })
}

/// Partitions ahead of the writer, per thread.
const LOOKAHEAD: usize = 2;

/// The writer side of [`write_partitions`]: receives partitions in any order
/// and writes them in partition order.
fn write_in_order(
    rx: mpsc::Receiver<(usize, Result<PartitionOutput, EngineError>)>,
    count: usize,
    written: &(Mutex<usize>, Condvar),
    dir: &Path,
    row_group: usize,
    progress: &dyn Progress,
) -> Result<(Outputs, Decisions), EngineError> {
    let mut outputs = Outputs::new();
    let mut decisions = Decisions::new();
    let mut evidence_file = OutFile::create(&dir.join("evidence.parquet"))?;
    let mut eligibility_file = OutFile::create(&dir.join("eligibility.parquet"))?;
    let mut spells_file = OutFile::create(&dir.join("spells.parquet"))?;
    let mut evidence = ParquetSink::new(&mut evidence_file, &parquet::evidence_schema())?;
    let schema = parquet::eligibility_frame(&[])?.schema().clone();
    let mut eligibility = ParquetSink::new(&mut eligibility_file, &schema)?;
    let schema = parquet::spells_frame(&[])?.schema().clone();
    let mut spells = ParquetSink::new(&mut spells_file, &schema)?;

    let mut eligibility_rows: Vec<EligibilityRow> = Vec::new();
    let mut spell_rows: Vec<SpellRow> = Vec::new();
    let mut pending: BTreeMap<usize, PartitionOutput> = BTreeMap::new();
    let mut next = 0;
    while next < count {
        let Ok((p, result)) = rx.recv() else {
            return Err(EngineError::Internal(
                "partition workers stopped before the last partition".to_owned(),
            ));
        };
        pending.insert(p, result?);
        while let Some((encoded, timelines)) = pending.remove(&next) {
            evidence.write_encoded(encoded)?;
            for r in &timelines.eligibility {
                *decisions
                    .entry((
                        r.city.to_string(),
                        r.decision.status.as_str(),
                        r.decision.basis.as_str(),
                    ))
                    .or_default() += 1;
            }
            eligibility_rows.extend(timelines.eligibility);
            spell_rows.extend(timelines.spells);
            // Whole row groups as they fill; the rest at the end.
            if eligibility_rows.len() >= row_group {
                eligibility.write(&parquet::eligibility_frame(&eligibility_rows)?)?;
                eligibility_rows.clear();
            }
            if spell_rows.len() >= row_group {
                spells.write(&parquet::spells_frame(&spell_rows)?)?;
                spell_rows.clear();
            }
            next += 1;
            *written.0.lock().unwrap_or_else(|e| e.into_inner()) = next;
            written.1.notify_all();
            progress.advance(1);
        }
    }
    // The last row groups of both files at once, on the pool: on a small
    // night these are all the rows. Safe only here: the writer has every
    // partition, so no worker is left waiting on it (mid-run, the workers
    // can all be blocked on the writer, and the pool must not be needed).
    let (last_eligibility, last_spells) = polars_core::runtime::THREAD_POOL.join(
        || {
            eligibility
                .encoder()
                .encode(&parquet::eligibility_frame(&eligibility_rows)?)
        },
        || {
            spells
                .encoder()
                .encode(&parquet::spells_frame(&spell_rows)?)
        },
    );
    eligibility.write_encoded(last_eligibility?)?;
    spells.write_encoded(last_spells?)?;
    outputs.insert("evidence.parquet".to_owned(), evidence.finish()?);
    outputs.insert("eligibility.parquet".to_owned(), eligibility.finish()?);
    outputs.insert("spells.parquet".to_owned(), spells.finish()?);
    evidence_file.close()?;
    eligibility_file.close()?;
    spells_file.close()?;
    Ok((outputs, decisions))
}

/// Rejects per file in file order (sources, then paths), each file's sorted by
/// line, without the rows a later version superseded.
pub fn write_rejects(ingested: &Ingested<'_>, path: &Path) -> Result<u64, EngineError> {
    const BATCH: usize = 1 << 16;
    let mut file = OutFile::create(path)?;
    let schema = parquet::rejects_frame(&[], &ingested.files)?
        .schema()
        .clone();
    let mut sink = ParquetSink::new(&mut file, &schema)?;
    let mut batch: Vec<RejectRecord> = Vec::new();
    let sources = ingested.file_sources();
    for (fi, source) in sources.iter().enumerate() {
        crate::interrupt::check()?;
        let chunks = ingested.rejects.take(fi).map_err(|e| EngineError::Spill {
            path: ingested.rejects.spill_path().to_owned(),
            source: e,
        })?;
        let from = batch.len();
        for chunk in &chunks {
            let mut c = Cursor::new(chunk);
            while !c.is_empty() {
                let (line, reason, detail, raw) = decode_reject(&mut c);
                if !ingested.superseded.contains(fi as u32, line) {
                    batch.push(RejectRecord {
                        source: *source,
                        file: fi as u32,
                        line,
                        reason,
                        detail: String::from_utf8_lossy(detail).into_owned(),
                        raw: String::from_utf8_lossy(raw).into_owned(),
                    });
                }
            }
        }
        batch[from..].sort_by_key(|r| r.line);
        if batch.len() >= BATCH {
            sink.write(&parquet::rejects_frame(&batch, &ingested.files)?)?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        sink.write(&parquet::rejects_frame(&batch, &ingested.files)?)?;
    }
    let rows = sink.finish()?;
    file.close()?;
    Ok(rows)
}
