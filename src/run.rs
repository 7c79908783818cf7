//! `residence run`: pipeline file → ingest → timelines → outputs → publish, with
//! SPEC §2's exit codes and §8's quality gate.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;

use crate::engine::{self, Decisions, EngineError};
use crate::ingest::{self, IngestError, gazetteer::load_gazetteer};
use crate::output::manifest::{EngineEntry, Manifest, ParamsEntry, PipelineEntry};
use crate::output::{OutputError, publish};
use crate::pipeline::{Pipeline, PipelineError};
use crate::spill::{Budget, SpillDir};

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
    /// Input bytes per evidence partition; `None` sizes them for the night
    /// (tests make them tiny to exercise many partitions on small data).
    pub partition_bytes: Option<u64>,
    /// Rows per row group of the per-person outputs (tests make it tiny so
    /// row groups are written while the partition workers run).
    pub row_group_rows: usize,
}

/// The default of [`RunOptions::memory_budget`]: 256 MiB. With spilled rows
/// encoded compactly, a 100k-person night nearly fits in it, and a larger
/// budget made a 1M-person night no faster, only larger (docs/BENCHMARKS.md).
pub const DEFAULT_MEMORY_BUDGET: usize = 256 << 20;

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
    #[error(transparent)]
    Engine(#[from] EngineError),
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
            partitioning: opts
                .partition_bytes
                .map(ingest::Partitioning::with_evidence_bytes),
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
        let rejects = s.spawn(|| engine::write_rejects(&ingested, &dir.join("rejects.parquet")));
        let partitions = engine::write_partitions(
            &ingested,
            &pipeline,
            opts.as_of,
            &dir,
            opts.row_group_rows.max(1),
            &mut outputs,
            &mut decisions,
        );
        let rejects = rejects.join().unwrap_or_else(|_| {
            Err(EngineError::Internal(
                "the rejects writer thread panicked".to_owned(),
            ))
        });
        partitions.and(rejects)
    })?;
    outputs.insert("rejects.parquet".to_owned(), rejects);
    timings.insert("outputs".to_owned(), ms(t));
    let engine_entry = EngineEntry {
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
        engine: engine_entry,
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
