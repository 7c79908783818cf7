//! `residence run`: pipeline file → ingest → timelines → outputs → publish, with
//! SPEC §2's exit codes and §8's quality gate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::time::Instant;

use chrono::NaiveDate;

use crate::evidence::PartitionRows;
use crate::ingest::file::decode_reject;
use crate::ingest::{self, IngestError, Ingested, RejectRecord, gazetteer::load_gazetteer};
use crate::output::manifest::{EngineEntry, Manifest, ParamsEntry, PipelineEntry};
use crate::output::parquet::{Encoded, OutFile, ParquetEncoder, ParquetSink};
use crate::output::{OutputError, parquet, publish};
use crate::pipeline::{Pipeline, PipelineError};
use crate::spill::{Budget, Cursor, SpillDir};
use crate::timeline::{self, EligibilityRow, SpellRow, Timelines};

/// (city, status, basis) → persons.
type Decisions = BTreeMap<(String, &'static str, &'static str), u64>;

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub pipeline: PathBuf,
    /// Feed root; default: the pipeline's `data_dir`.
    pub data: Option<PathBuf>,
    pub as_of: NaiveDate,
    pub out: PathBuf,
    /// Overrides every source's gate.
    pub max_reject_rate: Option<f64>,
    /// Bytes of spilled intermediate rows kept in memory; beyond it they go
    /// to disk under `OUT` ([`crate::spill`]).
    pub memory_budget: usize,
    /// Input bytes per evidence partition (tests make it tiny to exercise
    /// many partitions on small data).
    pub partition_bytes: u64,
}

/// The default of [`RunOptions::memory_budget`]: 1 GiB.
pub const DEFAULT_MEMORY_BUDGET: usize = 1 << 30;

/// Why a run stopped, mapped to SPEC §2's exit codes by [`RunError::exit_code`].
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{0}")]
    Engine(#[from] polars::prelude::PolarsError),
}

impl RunError {
    /// 2: usage, pipeline or feed-header error (nothing published); 1: anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Usage(_)
            | RunError::Pipeline(_)
            | RunError::Ingest(IngestError::Header { .. })
            | RunError::Ingest(IngestError::Gazetteer { .. }) => 2,
            _ => 1,
        }
    }
}

/// What a finished run reports.
#[derive(Debug)]
pub struct RunReport {
    pub run_id: String,
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Sources whose reject rate tripped the gate (exit 3 when non-empty).
    pub gate_failures: Vec<String>,
    /// (city, status, basis) → persons.
    pub decisions: Decisions,
}

impl RunReport {
    pub fn exit_code(&self) -> i32 {
        if self.gate_failures.is_empty() { 0 } else { 3 }
    }
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// Runs the pipeline once. `progress` receives bytes read as files stream in.
pub fn run(opts: &RunOptions, progress: &(dyn Fn(u64) + Sync)) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let mut pipeline = Pipeline::load(&opts.pipeline)?;
    if let Some(rate) = opts.max_reject_rate {
        if !(0.0..=1.0).contains(&rate) {
            return Err(RunError::Usage(format!(
                "--max-reject-rate {rate} is not between 0 and 1"
            )));
        }
        pipeline.params.max_reject_rate = rate;
        for s in &mut pipeline.sources {
            s.max_reject_rate = None;
        }
    }
    let data_dir = opts
        .data
        .clone()
        .or_else(|| pipeline.data_dir.clone())
        .ok_or_else(|| {
            RunError::Usage(format!(
                "no --data given and {} sets no data_dir",
                opts.pipeline.display()
            ))
        })?;
    if !data_dir.is_dir() {
        return Err(RunError::Usage(format!(
            "data folder {} does not exist",
            data_dir.display()
        )));
    }
    let gazetteer = load_gazetteer(&pipeline.gazetteer)?;

    let _lock = publish::lock(&opts.out)?;
    publish::remove_stale_spills(&opts.out);
    let run_id = publish::new_run_id();
    let spill = SpillDir::new(publish::spill_dir(&opts.out, &run_id));
    let budget = Budget::new(opts.memory_budget);
    let mut timings = BTreeMap::new();

    let t = Instant::now();
    let ingested = ingest::ingest(
        &pipeline,
        &data_dir,
        opts.as_of,
        &gazetteer,
        ingest::Workspace {
            spill: &spill,
            budget: &budget,
            partitioning: ingest::Partitioning {
                evidence_bytes: opts.partition_bytes,
                key_bytes: opts.partition_bytes / 2,
            },
        },
        progress,
    )?;
    timings.insert("ingest".to_owned(), ms(t));
    for (step, ms) in &ingested.timings_ms {
        timings.insert(format!("ingest.{step}"), *ms);
    }

    // Only now, with every header known good, does the run get a folder.
    let dir = publish::create_run_dir(&opts.out, &run_id)?;
    let t = Instant::now();
    let mut outputs = BTreeMap::new();
    let mut decisions = BTreeMap::new();
    // Rejects are independent of the evidence: write them alongside.
    let rejects = std::thread::scope(|s| {
        let rejects = s.spawn(|| write_rejects(&ingested, &dir.join("rejects.parquet")));
        let partitions = write_partitions(
            &ingested,
            &pipeline,
            opts.as_of,
            &dir,
            &mut outputs,
            &mut decisions,
        );
        let rejects = rejects.join().unwrap_or_else(|_| {
            Err(RunError::Usage(
                "the rejects writer thread panicked".to_owned(),
            ))
        });
        partitions.and(rejects)
    })?;
    outputs.insert("rejects.parquet".to_owned(), rejects);
    timings.insert("outputs".to_owned(), ms(t));
    let engine = EngineEntry {
        evidence_partitions: ingested.partitioner.count(),
        key_partitions: ingested.key_partitions,
        memory_budget_bytes: opts.memory_budget as u64,
        spilled_bytes: spill.bytes_written(),
    };

    let (files, sources) = Manifest::inputs(&pipeline, &ingested.files);
    let gate_failures: Vec<String> = sources
        .iter()
        .filter(|(_, s)| !s.gate_passed)
        .map(|(name, _)| name.clone())
        .collect();
    let mut warnings = ingested.warnings.clone();
    for f in &files {
        for w in &f.warnings {
            warnings.push(format!("{}: {w}", f.path));
        }
    }
    for name in &gate_failures {
        let s = &sources[name];
        warnings.push(format!(
            "source {name}: reject rate {:.4} exceeds max_reject_rate {} ({} of {} rows rejected)",
            s.reject_rate,
            s.max_reject_rate,
            s.counts.rejected_total(),
            s.counts.rows
        ));
    }
    timings.insert("total".to_owned(), ms(started));
    let manifest = Manifest {
        run_id: run_id.clone(),
        tool: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        status: if gate_failures.is_empty() {
            "succeeded"
        } else {
            "quality_gate_failed"
        }
        .to_owned(),
        as_of: opts.as_of.to_string(),
        pipeline: PipelineEntry {
            name: pipeline.name.clone(),
            path: pipeline.path.display().to_string(),
            sha256: pipeline.sha256.clone(),
        },
        data_dir: data_dir.display().to_string(),
        parameters: ParamsEntry::from(&pipeline.params),
        sources,
        files,
        outputs,
        timings_ms: timings,
        engine,
        warnings,
    };
    manifest.write(&dir.join("manifest.json"))?;

    if gate_failures.is_empty() {
        publish::publish(&opts.out, &run_id)?;
    }
    Ok(RunReport {
        run_id,
        dir,
        manifest,
        gate_failures,
        decisions,
    })
}

/// One partition's share of the outputs.
type PartitionOutput = (Encoded, Timelines);

/// Each evidence partition in (city, person) order: load and sort it, build
/// its spells and decisions, encode its evidence rows; a writer thread
/// appends each partition's rows to the three per-person outputs in partition
/// order. Workers take the next partition as they free up, at most
/// [`LOOKAHEAD`] ahead of the writer, so memory holds a few partitions, not
/// the night.
fn write_partitions(
    ingested: &Ingested<'_>,
    pipeline: &Pipeline,
    as_of: NaiveDate,
    dir: &Path,
    outputs: &mut BTreeMap<String, u64>,
    decisions: &mut Decisions,
) -> Result<(), RunError> {
    let pool = &polars_core::runtime::THREAD_POOL;
    let pledges = timeline::pledges_by_partition(&ingested.pledges, &ingested.partitioner);
    let sources = ingested.file_sources();
    let files = &ingested.files;
    let schema = parquet::evidence_frame(&PartitionRows::default(), files)?
        .schema()
        .clone();
    let encoder = ParquetEncoder::new(&schema)?;
    let count = ingested.partitioner.count();

    let process = |p: usize| -> Result<PartitionOutput, RunError> {
        let chunks = ingested.evidence.take(p).map_err(|e| {
            RunError::Ingest(IngestError::Io {
                path: dir.to_owned(),
                source: e,
            })
        })?;
        let rows = PartitionRows::load(&chunks, &sources, |file, line| {
            !ingested.superseded.contains(file, line)
        });
        drop(chunks);
        let timelines =
            timeline::build(&rows, &pledges[p], &ingested.hukou, &pipeline.params, as_of);
        let df = parquet::evidence_frame(&rows, files)?;
        drop(rows);
        Ok((encoder.encode(&df)?, timelines))
    };

    let next = AtomicUsize::new(0);
    let written = (Mutex::new(0usize), Condvar::new());
    let failed = AtomicBool::new(false);
    let lookahead = LOOKAHEAD * pool.current_num_threads().max(1);
    let (tx, rx) = mpsc::channel::<(usize, Result<PartitionOutput, RunError>)>();
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let result = write_in_order(rx, count, &written, dir, outputs, decisions);
            if result.is_err() {
                failed.store(true, Ordering::Release);
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
            Err(RunError::Usage(
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
    rx: mpsc::Receiver<(usize, Result<PartitionOutput, RunError>)>,
    count: usize,
    written: &(Mutex<usize>, Condvar),
    dir: &Path,
    outputs: &mut BTreeMap<String, u64>,
    decisions: &mut Decisions,
) -> Result<(), RunError> {
    let mut evidence_file = OutFile::create(&dir.join("evidence.parquet"))?;
    let mut eligibility_file = OutFile::create(&dir.join("eligibility.parquet"))?;
    let mut spells_file = OutFile::create(&dir.join("spells.parquet"))?;
    let schema = parquet::evidence_frame(&PartitionRows::default(), &[])?
        .schema()
        .clone();
    let mut evidence = ParquetSink::new(&mut evidence_file, &schema)?;
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
            return Err(RunError::Usage(
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
            if eligibility_rows.len() >= parquet::ROW_GROUP {
                eligibility.write(&parquet::eligibility_frame(&eligibility_rows)?)?;
                eligibility_rows.clear();
            }
            if spell_rows.len() >= parquet::ROW_GROUP {
                spells.write(&parquet::spells_frame(&spell_rows)?)?;
                spell_rows.clear();
            }
            next += 1;
            *written.0.lock().unwrap_or_else(|e| e.into_inner()) = next;
            written.1.notify_all();
        }
    }
    if !eligibility_rows.is_empty() {
        eligibility.write(&parquet::eligibility_frame(&eligibility_rows)?)?;
    }
    if !spell_rows.is_empty() {
        spells.write(&parquet::spells_frame(&spell_rows)?)?;
    }
    outputs.insert("evidence.parquet".to_owned(), evidence.finish()?);
    outputs.insert("eligibility.parquet".to_owned(), eligibility.finish()?);
    outputs.insert("spells.parquet".to_owned(), spells.finish()?);
    evidence_file.close()?;
    eligibility_file.close()?;
    spells_file.close()?;
    Ok(())
}

/// Rejects per file in file order (sources, then paths), each file's sorted by
/// line, without the rows a later version superseded.
fn write_rejects(ingested: &Ingested<'_>, path: &Path) -> Result<u64, RunError> {
    const BATCH: usize = 1 << 16;
    let mut file = OutFile::create(path)?;
    let schema = parquet::rejects_frame(&[], &ingested.files)?
        .schema()
        .clone();
    let mut sink = ParquetSink::new(&mut file, &schema)?;
    let mut batch: Vec<RejectRecord> = Vec::new();
    let sources = ingested.file_sources();
    for (fi, source) in sources.iter().enumerate() {
        let chunks = ingested.rejects.take(fi).map_err(|e| {
            RunError::Ingest(IngestError::Io {
                path: path.to_owned(),
                source: e,
            })
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
