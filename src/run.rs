//! `residence run`: pipeline file → ingest → timelines → outputs → gate →
//! publish, with SPEC §2's exit codes, §8's quality gate and a run folder
//! that only appears under `runs/` once it is complete.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;

use crate::engine::partitions::Target;
use crate::engine::{self, Decisions, EngineError};
use crate::ingest::{self, IngestError, Partitioning, gazetteer::load_gazetteer};
use crate::interrupt::{self, Interrupted};
use crate::output::manifest::{
    CityEntry, EngineEntry, GateEntry, Manifest, ParamsEntry, PipelineEntry, PreviousEntry,
    SourceEntry, Status,
};
use crate::output::parquet::FileMeta;
use crate::output::previous::{self, PreviousRun};
use crate::output::{OutputError, publish};
use crate::pipeline::{Pipeline, PipelineError};
use crate::progress::Progress;
use crate::rules::address::Gazetteer;
use crate::rules::gate::{self, CityFigures, GateInput, SourceFigures, Verdict};
use crate::spill::{Budget, SpillDir};
use crate::warning::Warning;

/// When a run that passes the gate repoints `latest` (`--publish`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PublishMode {
    /// Unless its as-of is earlier than the published run's (a backfill).
    #[default]
    Auto,
    /// Always (a corrected rerun of an old night).
    Always,
    /// Never: the run stays under `runs/` only.
    Never,
}

/// `residence run`'s options as given.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `--pipeline`: the pipeline file.
    pub pipeline: PathBuf,
    /// Feed root; default: the pipeline's `data_dir`.
    pub data: Option<PathBuf>,
    /// `--as-of`: the decision date; nothing after it counts.
    pub as_of: NaiveDate,
    /// `--out`: the output root (`runs/`, `latest`, the lock).
    pub out: PathBuf,
    /// Overrides every source's reject gate.
    pub max_reject_rate: Option<f64>,
    /// Accept a night that fails only the drift checks.
    pub allow_drift: bool,
    /// `--publish`: whether `latest` is repointed at the run.
    pub publish: PublishMode,
    /// Complete runs to keep after the run (the published one is always kept).
    pub keep_runs: usize,
    /// Bytes of spilled intermediate rows kept in memory; beyond it they go
    /// to disk under `OUT` ([`crate::spill`]).
    pub memory_budget: usize,
    /// Input bytes per evidence partition; `None` sizes them for the night
    /// (tests make them tiny to exercise many partitions on small data).
    pub partition_bytes: Option<u64>,
    /// Rows per row group of the per-person outputs (tests make it tiny so
    /// row groups are written while the partition workers run).
    pub row_group_rows: usize,
    /// The run's id; `None` makes one ([`publish::new_run_id`]).
    pub run_id: Option<String>,
}

/// The default of [`RunOptions::memory_budget`]: 256 MiB. With spilled rows
/// encoded compactly, a 100k-person night nearly fits in it, and a larger
/// budget made a 1M-person night no faster, only larger (docs/BENCHMARKS.md).
pub const DEFAULT_MEMORY_BUDGET: usize = 256 << 20;

/// The default of [`RunOptions::keep_runs`] (SPEC §2).
pub const DEFAULT_KEEP_RUNS: usize = 30;

/// Why a run stopped, mapped to SPEC §2's exit codes by [`RunError::exit_code`].
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad options (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The pipeline file cannot be used (exit 2).
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// Ingest failed: exit 2 for a feed header or the gazetteer, else 1 (130/143 if interrupted).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// Writing, locking or publishing the run folder failed (exit 1).
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Building or writing the outputs failed: exit 1 (130/143 if interrupted).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A signal arrived before the point of no return (130/143).
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

impl RunError {
    /// The signal that stopped the run, if one did.
    pub fn interrupted(&self) -> Option<Interrupted> {
        match self {
            RunError::Ingest(IngestError::Interrupted(i))
            | RunError::Engine(EngineError::Interrupted(i))
            | RunError::Interrupted(i) => Some(*i),
            _ => None,
        }
    }

    /// 2: usage, pipeline, gazetteer or feed-header error (nothing
    /// published); 130/143: interrupted; 1: anything else.
    pub fn exit_code(&self) -> i32 {
        if let Some(i) = self.interrupted() {
            return i.exit_code();
        }
        match self {
            RunError::Usage(_)
            | RunError::Pipeline(_)
            | RunError::Ingest(IngestError::Header { .. })
            | RunError::Ingest(IngestError::Gazetteer { .. }) => 2,
            _ => 1,
        }
    }
}

/// Options resolved once, before anything is locked or written: the
/// pipeline with its overrides applied, the feed root, the gazetteer.
pub struct RunPlan {
    /// The pipeline, `--max-reject-rate` applied to every source.
    pub pipeline: Pipeline,
    /// The feed root: `--data`, else the pipeline's `data_dir`.
    pub data_dir: PathBuf,
    /// The pipeline's gazetteer, loaded.
    pub gazetteer: Gazetteer,
    /// The decision date.
    pub as_of: NaiveDate,
    /// The output root.
    pub out: PathBuf,
    /// Accept a night that fails only the drift checks.
    pub allow_drift: bool,
    /// Whether `latest` is repointed at the run.
    pub publish: PublishMode,
    /// Complete runs to keep after the run (at least 1).
    pub keep_runs: usize,
    /// Bytes of spilled intermediate rows kept in memory.
    pub memory_budget: usize,
    /// From [`RunOptions::partition_bytes`]; `None` sizes the partitions for the night.
    pub partitioning: Option<Partitioning>,
    /// Rows per row group of the per-person outputs (at least 1).
    pub row_group_rows: usize,
    /// The run's id, also its folder's name.
    pub run_id: String,
}

impl RunPlan {
    /// Loads the pipeline and gazetteer and checks the options (exit 2 on failure).
    pub fn resolve(opts: &RunOptions) -> Result<RunPlan, RunError> {
        let mut pipeline = crate::pipeline::load(&opts.pipeline)?;
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
        if opts.keep_runs == 0 {
            return Err(RunError::Usage(
                "--keep-runs must keep at least 1 run".to_owned(),
            ));
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
            let what = if data_dir.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            return Err(RunError::Usage(format!(
                "the data folder {} {what}",
                data_dir.display()
            )));
        }
        let gazetteer = load_gazetteer(&pipeline.gazetteer)?;
        Ok(RunPlan {
            pipeline,
            data_dir,
            gazetteer,
            as_of: opts.as_of,
            out: opts.out.clone(),
            allow_drift: opts.allow_drift,
            publish: opts.publish,
            keep_runs: opts.keep_runs,
            memory_budget: opts.memory_budget,
            partitioning: opts.partition_bytes.map(Partitioning::with_evidence_bytes),
            row_group_rows: opts.row_group_rows.max(1),
            run_id: opts.run_id.clone().unwrap_or_else(publish::new_run_id),
        })
    }
}

/// What a finished run reports.
#[derive(Debug)]
pub struct RunReport {
    /// The run's id, also its folder's name.
    pub run_id: String,
    /// `OUT/runs/<run_id>`.
    pub dir: PathBuf,
    /// The manifest as written to the run folder.
    pub manifest: Manifest,
    /// What the quality gate decided.
    pub verdict: Verdict,
    /// (city, status, basis) → persons.
    pub decisions: Decisions,
    /// Old runs `--keep-runs` removed.
    pub removed_runs: Vec<String>,
    /// The manifest's warnings with their source and file, repeats summarised.
    pub warnings: Vec<Warning>,
}

impl RunReport {
    /// 0, or 3 when the gate failed.
    pub fn exit_code(&self) -> i32 {
        if self.verdict.passed() { 0 } else { 3 }
    }
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// Removes the run's incomplete folder unless the run completed it: on an
/// error, an interruption or a panic, nothing half-written stays under `runs/`.
struct IncompleteDir {
    path: PathBuf,
    armed: bool,
}

impl IncompleteDir {
    fn new(path: PathBuf) -> Self {
        interrupt::LEFTOVERS.register(path.clone());
        IncompleteDir { path, armed: true }
    }
}

impl Drop for IncompleteDir {
    fn drop(&mut self) {
        if self.armed {
            interrupt::LEFTOVERS.settle(&self.path, || {
                let _ = std::fs::remove_dir_all(&self.path);
            });
        }
    }
}

/// Runs the pipeline once.
pub fn run(plan: &RunPlan, progress: &dyn Progress) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let out = &plan.out;
    let _lock = publish::lock(out)?;
    for path in publish::remove_leftovers(out) {
        tracing::info!(path = %path.display(), "removed what an interrupted run left");
    }
    if let Some(id) = publish::confirm_latest(out) {
        tracing::info!(
            published_run = %id,
            "recorded in its manifest that latest points at the run an interrupted run published"
        );
    }
    // An unreadable published manifest is judged with the gate (SPEC §8).
    let (previous, unreadable) = match previous::read(out) {
        Ok(p) => (p, None),
        Err(why) => (None, Some(why)),
    };
    let run_id = plan.run_id.clone();
    tracing::info!(run_id = %run_id, as_of = %plan.as_of, "run started");
    let spill_path = publish::spill_dir(out, &run_id);
    interrupt::LEFTOVERS.register(spill_path.clone());
    let spill = SpillDir::new(spill_path.clone());
    let baseline = Baseline {
        previous,
        unreadable,
    };
    let result = run_in(plan, &run_id, &spill, baseline, started, progress);
    interrupt::LEFTOVERS.settle(&spill_path, || drop(spill));
    result
}

/// The published run as the run found it when it started.
struct Baseline {
    /// The run `latest` points at, if any and readable.
    previous: Option<PreviousRun>,
    /// Why `latest`'s manifest cannot be read, when it cannot.
    unreadable: Option<String>,
}

fn run_in(
    plan: &RunPlan,
    run_id: &str,
    spill: &SpillDir,
    baseline: Baseline,
    started: Instant,
    progress: &dyn Progress,
) -> Result<RunReport, RunError> {
    let (pipeline, out) = (&plan.pipeline, &plan.out);
    let previous = baseline.previous;
    let mut warnings = Vec::new();
    let budget = Budget::new(plan.memory_budget);
    let mut timings = BTreeMap::new();

    interrupt::step("ingest");
    let t = Instant::now();
    let ingested = ingest::ingest(
        pipeline,
        &plan.data_dir,
        plan.as_of,
        &plan.gazetteer,
        ingest::Workspace {
            spill,
            budget: &budget,
            partitioning: plan.partitioning,
        },
        progress,
    )?;
    timings.insert("ingest".to_owned(), ms(t));
    for (step, ms) in &ingested.timings_ms {
        timings.insert(format!("ingest.{step}"), *ms);
    }
    let listing_warnings = ingested.warnings.clone();

    // Only now, with every header known good, does the run get a folder.
    let mut incomplete = IncompleteDir::new(publish::create_incomplete(out, run_id)?);
    interrupt::step("outputs");
    let t = Instant::now();
    let meta = FileMeta {
        run_id: run_id.to_owned(),
        as_of: plan.as_of.to_string(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let published = match &previous {
        None => None,
        Some(p) => match previous::decisions(p) {
            Ok(d) => Some((p.as_of, d)),
            Err(why) => {
                warnings.push(format!(
                    "the published run's decisions cannot be read ({why}); changes.parquet is empty"
                ));
                None
            }
        },
    };
    let target = Target {
        dir: &incomplete.path,
        row_group: plan.row_group_rows,
        meta: &meta,
    };
    crate::progress::begin(
        progress,
        "writing outputs",
        ingested.partitioner.count() as u64,
    );
    let (mut outputs, decisions, aggregates) = engine::write_partitions(
        &ingested, pipeline, plan.as_of, &target, published, progress,
    )?;
    timings.insert("outputs.partitions".to_owned(), ms(t));
    let t_rows = Instant::now();
    outputs.extend(engine::write_rows(
        &ingested,
        &incomplete.path,
        &meta,
        progress,
    )?);
    timings.insert("outputs.rows".to_owned(), ms(t_rows));
    timings.insert("outputs".to_owned(), ms(t));

    let (files, mut sources) = Manifest::inputs(pipeline, &ingested.files, &ingested.absent);
    let cities = city_entries(pipeline, &decisions, previous.as_ref());
    let mut verdict = judge(plan, &mut sources, &cities, previous.as_ref());
    if let Some(why) = &baseline.unreadable {
        unreadable_baseline(plan, why, &mut verdict, &mut warnings);
    }
    warnings.extend(freshness(plan, &mut sources));

    let publish_now = verdict.passed()
        && match plan.publish {
            PublishMode::Always => true,
            PublishMode::Never => false,
            PublishMode::Auto => previous.as_ref().is_none_or(|p| plan.as_of >= p.as_of),
        };
    let (status, publication) = publication(plan, &verdict, publish_now, previous.as_ref());
    // The listing's warnings come first, as the listing came first.
    let mut noted: Vec<Warning> = listing_warnings
        .into_iter()
        .chain(warnings.into_iter().map(Warning::run))
        .collect();
    for f in &files {
        noted.extend(
            f.warnings
                .iter()
                .map(|w| Warning::file(&f.source, &f.path, w)),
        );
    }
    let noted = crate::warning::summarise(&noted);
    timings.insert("total".to_owned(), ms(started));
    let mut manifest = Manifest {
        run_id: run_id.to_owned(),
        tool: env!("CARGO_PKG_NAME").to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        status,
        published: publish_now,
        publication,
        as_of: plan.as_of.to_string(),
        pipeline: PipelineEntry {
            name: pipeline.name.clone(),
            path: pipeline.path.display().to_string(),
            sha256: pipeline.sha256.clone(),
        },
        data_dir: plan.data_dir.display().to_string(),
        parameters: ParamsEntry::from(&pipeline.params),
        previous_run: previous.as_ref().map(|p| PreviousEntry {
            run_id: p.run_id.clone(),
            as_of: p.as_of.to_string(),
        }),
        gate: GateEntry::new(&verdict, plan.allow_drift),
        sources,
        cities,
        files,
        outputs,
        timings_ms: timings,
        engine: EngineEntry {
            evidence_partitions: ingested.partitioner.count(),
            key_partitions: ingested.key_partitions,
            memory_budget_bytes: plan.memory_budget as u64,
            spilled_bytes: spill.bytes_written(),
        },
        warnings: noted.iter().map(Warning::text).collect(),
        aggregates,
    };
    // Until `latest` points at the run, its manifest claims no publication:
    // a run killed between its rename and the publish says why it is not
    // `latest`. The publication is recorded once it happened (or by the next
    // run, [`publish::confirm_latest`], if this one is killed first).
    let recorded = manifest.clone();
    if publish_now {
        manifest.status = Status::NotPublished;
        manifest.published = false;
        manifest.publication = format!(
            "not published: the run stopped before repointing latest; {}",
            match &previous {
                Some(p) => format!("latest still points at {}", p.run_id),
                None => "nothing is published".to_owned(),
            }
        );
    }
    interrupt::step("manifest");
    manifest.write(&incomplete.path.join("manifest.json"))?;

    // The point of no return: a signal before it stops the run, one after it
    // is logged and the run finishes as it would have.
    interrupt::step("commit");
    interrupt::point_of_no_return()?;
    interrupt::step("complete");
    // Complete: the folder appears under runs/ whole, or not at all.
    let dir = interrupt::LEFTOVERS.settle(&incomplete.path, || publish::complete(out, run_id))?;
    incomplete.armed = false;
    if publish_now {
        interrupt::step("publish");
        if let Err(e) = publish::publish(out, run_id) {
            manifest.status = Status::PublishFailed;
            manifest.publication = format!(
                "not published: repointing latest failed ({})",
                crate::errors::chain(&e)
            );
            let _ = manifest.write(&dir.join("manifest.json"));
            return Err(e.into());
        }
        interrupt::step("record");
        manifest = recorded;
        let mut json = serde_json::to_vec_pretty(&manifest).map_err(|e| OutputError::Io {
            path: dir.join("manifest.json"),
            source: e.into(),
        })?;
        json.push(b'\n');
        publish::replace_file(&dir.join("manifest.json"), &json)?;
    }
    let removed_runs = publish::retain(out, plan.keep_runs)?;
    for id in &removed_runs {
        tracing::info!(run_id = %id, "removed an old run (--keep-runs {})", plan.keep_runs);
    }
    Ok(RunReport {
        run_id: run_id.to_owned(),
        dir,
        manifest,
        verdict,
        decisions,
        removed_runs,
        warnings: noted,
    })
}

/// Per city in scope: persons by status and basis, eligible persons now
/// and in the published night.
fn city_entries(
    pipeline: &Pipeline,
    decisions: &Decisions,
    previous: Option<&PreviousRun>,
) -> BTreeMap<String, CityEntry> {
    let mut cities: BTreeMap<String, CityEntry> = pipeline
        .params
        .jurisdictions
        .iter()
        .map(|c| (c.to_string(), CityEntry::default()))
        .collect();
    for ((city, status, basis), n) in decisions {
        let entry = cities.entry(city.clone()).or_default();
        entry.persons.insert(format!("{status}/{basis}"), *n);
        if *status == "eligible" {
            entry.eligible += n;
        }
    }
    // Every city of the published night counts: one that vanished tonight
    // (a changed `jurisdictions`) has 0 eligible persons and fails the drift check.
    if let Some(eligible) = previous.and_then(|p| p.eligible.as_ref()) {
        for city in eligible.keys() {
            cities.entry(city.clone()).or_default();
        }
    }
    for (city, entry) in &mut cities {
        entry.previous_eligible = previous
            .and_then(|p| p.eligible.as_ref())
            .and_then(|e| e.get(city).copied());
    }
    cities
}

/// A published run whose manifest cannot be read (SPEC §8): fails the night
/// under `--publish auto` as drift would, unless `--allow-drift`; accepted
/// with a warning under `--publish always` or `never`.
fn unreadable_baseline(
    plan: &RunPlan,
    why: &str,
    verdict: &mut Verdict,
    warnings: &mut Vec<String>,
) {
    let finding = gate::Finding {
        check: gate::Check::RowDrift,
        subject: "latest".to_owned(),
        message: format!("cannot compare with the published run: {why}"),
    };
    if plan.publish != PublishMode::Auto {
        warnings.push(format!(
            "{} (accepted: not --publish auto)",
            finding.message
        ));
    } else if plan.allow_drift {
        verdict.accepted.push(finding);
    } else {
        verdict.failures.push(finding);
    }
}

/// Runs the gate (SPEC §8) over the night's figures and marks each source's entry.
fn judge(
    plan: &RunPlan,
    sources: &mut BTreeMap<String, SourceEntry>,
    cities: &BTreeMap<String, CityEntry>,
    previous: Option<&PreviousRun>,
) -> Verdict {
    for (name, s) in sources.iter_mut() {
        // An optional source absent tonight is left out of the row check.
        s.previous_rows = previous
            .filter(|_| s.required || s.present)
            .and_then(|p| p.source_rows.get(name).copied());
    }
    let input = GateInput {
        sources: sources
            .iter()
            .map(|(name, s)| SourceFigures {
                name: name.clone(),
                required: s.required,
                present: s.present,
                rows: s.counts.rows,
                rejected: s.counts.rejected_total(),
                max_reject_rate: s.max_reject_rate,
                max_row_drop: s.max_row_drop,
                previous_rows: s.previous_rows,
            })
            .collect(),
        cities: cities
            .iter()
            .map(|(city, c)| CityFigures {
                city: city.clone(),
                eligible: c.eligible,
                previous_eligible: c.previous_eligible,
            })
            .collect(),
        max_eligible_drop: plan.pipeline.params.max_eligible_drop,
        allow_drift: plan.allow_drift,
    };
    let verdict = gate::judge(&input);
    for f in &verdict.failures {
        if let Some(s) = sources.get_mut(&f.subject) {
            s.gate_passed = false;
        }
    }
    verdict
}

/// Freshness (SPEC §8): marks each source whose latest evidence is older
/// than `max_staleness_days` before the as-of date, with a warning each.
fn freshness(plan: &RunPlan, sources: &mut BTreeMap<String, SourceEntry>) -> Vec<String> {
    let days = plan.pipeline.params.max_staleness_days;
    let oldest_fresh = plan.as_of - chrono::Days::new(u64::from(days));
    let mut warnings = Vec::new();
    for (name, s) in sources.iter_mut() {
        let latest = s
            .latest_evidence
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if let Some(latest) = latest
            && latest < oldest_fresh
        {
            s.stale = true;
            warnings.push(format!(
                "source {name}: its latest evidence starts {latest}, {} days before the as-of date (max_staleness_days {days})",
                (plan.as_of - latest).num_days()
            ));
        }
    }
    warnings
}

/// The run's status and, in words, why `latest` was or was not repointed.
fn publication(
    plan: &RunPlan,
    verdict: &Verdict,
    publish_now: bool,
    previous: Option<&PreviousRun>,
) -> (Status, String) {
    let kept = match previous {
        Some(p) => format!("latest still points at {}", p.run_id),
        None => "nothing is published".to_owned(),
    };
    if !verdict.passed() {
        return (
            Status::QualityGateFailed,
            format!("not published: the quality gate failed; {kept}"),
        );
    }
    if publish_now {
        let how = match plan.publish {
            PublishMode::Always => "--publish always",
            _ => "--publish auto",
        };
        return (Status::Succeeded, format!("latest points here ({how})"));
    }
    let why = match (plan.publish, previous) {
        (PublishMode::Never, _) => "--publish never".to_owned(),
        (_, Some(p)) => format!(
            "its as-of {} is earlier than {} of the published run (--publish auto)",
            plan.as_of, p.as_of
        ),
        (_, None) => "--publish".to_owned(),
    };
    (
        Status::NotPublished,
        format!("not published: {why}; {kept}"),
    )
}
