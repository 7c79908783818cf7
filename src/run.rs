//! `residence run`: pipeline file → ingest → timelines → outputs → publish, with
//! SPEC §2's exit codes and §8's quality gate.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;

use crate::ingest::{self, IngestError, gazetteer::load_gazetteer};
use crate::output::manifest::{Manifest, ParamsEntry, PipelineEntry};
use crate::output::{OutputError, parquet, publish};
use crate::pipeline::{Pipeline, PipelineError};
use crate::timeline;

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub pipeline: PathBuf,
    /// Feed root; default: the pipeline's `data_dir`.
    pub data: Option<PathBuf>,
    pub as_of: NaiveDate,
    pub out: PathBuf,
    /// Overrides every source's gate.
    pub max_reject_rate: Option<f64>,
}

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
    pub decisions: BTreeMap<(String, &'static str, &'static str), u64>,
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
    let mut timings = BTreeMap::new();

    let t = Instant::now();
    let ingested = ingest::ingest(&pipeline, &data_dir, opts.as_of, &gazetteer, progress)?;
    timings.insert("ingest".to_owned(), ms(t));
    for (step, ms) in &ingested.timings_ms {
        timings.insert(format!("ingest.{step}"), *ms);
    }

    let evidence = ingested.evidence;
    let t = Instant::now();
    let timelines = timeline::build(
        &evidence,
        &ingested.pledges,
        &ingested.hukou,
        &pipeline.params,
        opts.as_of,
    )?;
    timings.insert("timelines".to_owned(), ms(t));

    // Only now, with every header known good, does the run get a folder.
    let t = Instant::now();
    let run_id = publish::new_run_id();
    let dir = publish::create_run_dir(&opts.out, &run_id)?;
    let write = |name: &'static str,
                 df: polars::prelude::PolarsResult<polars::prelude::DataFrame>| {
        let mut df = df?;
        let rows = parquet::write_parquet(&mut df, &dir.join(name))?;
        Ok::<_, RunError>((name.to_owned(), rows))
    };
    // The evidence file dwarfs the others: write it alongside them.
    let (big, small) = polars_core::runtime::THREAD_POOL.join(
        || -> Result<_, RunError> {
            let name = "evidence.parquet";
            let rows = parquet::write_evidence(&evidence, &ingested.files, &dir.join(name))?;
            Ok((name.to_owned(), rows))
        },
        || -> Result<Vec<_>, RunError> {
            Ok(vec![
                write(
                    "rejects.parquet",
                    parquet::rejects_frame(&ingested.rejects, &ingested.files),
                )?,
                write(
                    "eligibility.parquet",
                    parquet::eligibility_frame(&timelines.eligibility),
                )?,
                write("spells.parquet", parquet::spells_frame(&timelines.spells))?,
            ])
        },
    );
    let mut outputs: BTreeMap<String, u64> = small?.into_iter().collect();
    let (name, rows) = big?;
    outputs.insert(name, rows);
    drop(evidence);
    timings.insert("outputs".to_owned(), ms(t));

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
        warnings,
    };
    manifest.write(&dir.join("manifest.json"))?;

    if gate_failures.is_empty() {
        publish::publish(&opts.out, &run_id)?;
    }
    let mut decisions = BTreeMap::new();
    for r in &timelines.eligibility {
        *decisions
            .entry((
                r.city.to_string(),
                r.decision.status.as_str(),
                r.decision.basis.as_str(),
            ))
            .or_default() += 1;
    }
    Ok(RunReport {
        run_id,
        dir,
        manifest,
        gate_failures,
        decisions,
    })
}
