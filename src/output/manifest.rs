//! `manifest.json`: what a run read, what it decided with, what it wrote, and how long it took.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::OutputError;
use super::aggregates::Aggregates;
use crate::ingest::FileReport;
use crate::pipeline::{Params, Pipeline, SourceKind};
use crate::rules::gate::{Finding, Verdict};
use crate::rules::reason::Reason;

/// Row counts of a file or a source, as the manifest writes them.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Records read.
    pub rows: u64,
    /// Rows that count (evidence, pledges, hukou).
    pub accepted: u64,
    /// Filtered rows by reason code; reasons with no rows are absent.
    pub filtered: BTreeMap<String, u64>,
    /// Rejected rows by reason code; reasons with no rows are absent.
    pub rejected: BTreeMap<String, u64>,
}

impl Counts {
    /// Adds a file's counts.
    pub fn add(&mut self, f: &FileReport) {
        self.rows += f.rows;
        self.accepted += f.accepted;
        let add = |into: &mut BTreeMap<String, u64>, from: &BTreeMap<Reason, u64>| {
            for (r, n) in from {
                *into.entry(r.code().to_owned()).or_default() += n;
            }
        };
        add(&mut self.filtered, &f.filtered);
        add(&mut self.rejected, &f.rejected);
    }

    /// All rejected rows, whatever the reason.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// Rejected rows ÷ all rows (0 for a source without rows).
    pub fn reject_rate(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.rejected_total() as f64 / self.rows as f64
        }
    }
}

/// One input file in the manifest's `files`.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct FileEntry {
    /// The feed's name.
    pub source: String,
    /// Path relative to the data root.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Rows, accepted, filtered and rejected, written inline.
    #[serde(flatten)]
    pub counts: Counts,
    /// Warnings about the file (empty, 0 bytes); left out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One declared source in the manifest's `sources`.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct SourceEntry {
    /// Input files read.
    pub files: usize,
    /// Its files' counts added up, written inline.
    #[serde(flatten)]
    pub counts: Counts,
    /// Without a folder or rows the night fails the completeness gate.
    pub required: bool,
    /// Its folder exists under the feed root.
    pub present: bool,
    /// Rejected rows ÷ all its rows (0 without rows).
    pub reject_rate: f64,
    /// The rejects gate's limit for it (its own, else the pipeline's).
    pub max_reject_rate: f64,
    /// The row-drift limit for it (its own, else the pipeline's).
    pub max_row_drop: f64,
    /// Its rows in the run `latest` pointed at when this run started.
    pub previous_rows: Option<u64>,
    /// Freshness: the latest start among its accepted evidence (pledges:
    /// signing day), and whether that is older than `max_staleness_days`.
    pub latest_evidence: Option<String>,
    /// `latest_evidence` is over `max_staleness_days` before as-of (warned about, not gated).
    pub stale: bool,
    /// No check of the gate failed on this source.
    pub gate_passed: bool,
}

/// One city's decisions, tonight and in the published night.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct CityEntry {
    /// Persons per `status/basis`.
    pub persons: BTreeMap<String, u64>,
    /// Its `eligible` persons tonight.
    pub eligible: u64,
    /// Its eligible persons in the previous run; `None` without one or without that figure.
    pub previous_eligible: Option<u64>,
}

/// The pipeline file a run used.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct PipelineEntry {
    /// The pipeline's name.
    pub name: String,
    /// The file's path as given.
    pub path: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

/// The rule and gate parameters a run used (SPEC §6, §8).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct ParamsEntry {
    /// Whole months a spell needs for `eligible`.
    pub min_months: u32,
    /// Largest gap in days between intervals of one spell.
    pub max_gap_days: u32,
    /// Days before as-of within which a spell must end to be active.
    pub recency_days: u32,
    /// Days after its signing that a pledge counts.
    pub pledge_valid_days: u32,
    /// City codes in scope.
    pub jurisdictions: Vec<String>,
    /// The pipeline's rejects-gate limit.
    pub max_reject_rate: f64,
    /// The pipeline's row-drift limit.
    pub max_row_drop: f64,
    /// The largest fall in a city's eligible persons that passes.
    pub max_eligible_drop: f64,
    /// A source whose latest evidence is older than this many days before as-of is stale.
    pub max_staleness_days: u32,
}

impl From<&Params> for ParamsEntry {
    fn from(p: &Params) -> Self {
        ParamsEntry {
            min_months: p.min_months,
            max_gap_days: p.max_gap_days,
            recency_days: p.recency_days,
            pledge_valid_days: p.pledge_valid_days,
            jurisdictions: p.jurisdictions.iter().map(|d| d.to_string()).collect(),
            max_reject_rate: p.max_reject_rate,
            max_row_drop: p.max_row_drop,
            max_eligible_drop: p.max_eligible_drop,
            max_staleness_days: p.max_staleness_days,
        }
    }
}

/// The run `latest` pointed at when this run started: the drift baseline.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PreviousEntry {
    /// The previous run's id (its folder name).
    pub run_id: String,
    /// Its as-of date, `YYYY-MM-DD`.
    pub as_of: String,
}

/// One check of the gate that did not hold.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FindingEntry {
    /// `completeness`, `rejects`, `row_drift` or `eligible_drift`.
    pub check: String,
    /// The source or city checked.
    pub subject: String,
    /// What was measured against what was allowed.
    pub message: String,
}

impl From<&Finding> for FindingEntry {
    fn from(f: &Finding) -> Self {
        FindingEntry {
            check: f.check.code().to_owned(),
            subject: f.subject.clone(),
            message: f.message.clone(),
        }
    }
}

/// What the quality gate decided (SPEC §8).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct GateEntry {
    /// No check failed (accepted drift does not count).
    pub passed: bool,
    /// `--allow-drift` was given.
    pub allow_drift: bool,
    /// The checks that failed the night.
    pub failures: Vec<FindingEntry>,
    /// Drift that `--allow-drift` accepted.
    pub accepted_drift: Vec<FindingEntry>,
}

impl GateEntry {
    /// The entry for what the gate decided.
    pub fn new(verdict: &Verdict, allow_drift: bool) -> Self {
        GateEntry {
            passed: verdict.passed(),
            allow_drift,
            failures: verdict.failures.iter().map(FindingEntry::from).collect(),
            accepted_drift: verdict.accepted.iter().map(FindingEntry::from).collect(),
        }
    }
}

/// What became of a finished run.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The gate passed and `latest` points at the run.
    Succeeded,
    /// The gate passed; `latest` was left where it was ([`Manifest::publication`] says why).
    NotPublished,
    /// A check of the gate failed: kept for diagnosis, `latest` untouched.
    QualityGateFailed,
    /// The gate passed but repointing `latest` failed.
    PublishFailed,
}

impl Status {
    /// The status as the manifest writes it (`quality_gate_failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::NotPublished => "not_published",
            Status::QualityGateFailed => "quality_gate_failed",
            Status::PublishFailed => "publish_failed",
        }
    }
}

/// `manifest.json` (SPEC §7; keys described in docs/OUTPUTS.md).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Manifest {
    /// `<UTC time to the ms>Z-<pid>`, also the run folder's name.
    pub run_id: String,
    /// The tool's name, `residence`.
    pub tool: String,
    /// The tool's version.
    pub version: String,
    /// What became of the run.
    pub status: Status,
    /// `latest` points at this run.
    pub published: bool,
    /// Why `latest` was or was not repointed, in words.
    pub publication: String,
    /// The decision date, `YYYY-MM-DD`.
    pub as_of: String,
    /// The pipeline file.
    pub pipeline: PipelineEntry,
    /// The feed root read.
    pub data_dir: String,
    /// The rule and gate parameters.
    pub parameters: ParamsEntry,
    /// The run `latest` pointed at when this run started; `None` on a first night.
    pub previous_run: Option<PreviousEntry>,
    /// What the quality gate decided.
    pub gate: GateEntry,
    /// Per declared source, by name.
    pub sources: BTreeMap<String, SourceEntry>,
    /// Per city in scope, by code.
    pub cities: BTreeMap<String, CityEntry>,
    /// Per input file, sources in name order, files in path order.
    pub files: Vec<FileEntry>,
    /// Rows per output file, by file name.
    pub outputs: BTreeMap<String, u64>,
    /// Wall-clock milliseconds per step (`ingest`, `ingest.read`, …, `total`).
    pub timings_ms: BTreeMap<String, u64>,
    /// How the run divided its work and memory.
    pub engine: EngineEntry,
    /// Run-level warnings (absent optional sources, stale ones, …); gate failures are in `gate`.
    pub warnings: Vec<String>,
    /// The figures the report draws (absent from manifests written before them).
    #[serde(default)]
    pub aggregates: Aggregates,
}

/// How the run divided its work and memory (for operators sizing a night).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct EngineEntry {
    /// Ranges of (city, person) processed one at a time.
    pub evidence_partitions: usize,
    /// Hash partitions of the supersession step.
    pub key_partitions: usize,
    /// `--memory-budget` in bytes.
    pub memory_budget_bytes: u64,
    /// Bytes of intermediate rows written to disk beyond the budget (0: none).
    pub spilled_bytes: u64,
}

impl Manifest {
    /// Per-file entries and per-source totals; the run fills in the gate's
    /// fields once it has judged.
    pub fn inputs(
        pipeline: &Pipeline,
        files: &[FileReport],
        absent: &[SourceKind],
    ) -> (Vec<FileEntry>, BTreeMap<String, SourceEntry>) {
        let mut entries = Vec::with_capacity(files.len());
        let mut sources: BTreeMap<String, SourceEntry> = BTreeMap::new();
        let mut latest: BTreeMap<String, Option<chrono::NaiveDate>> = BTreeMap::new();
        for s in &pipeline.sources {
            sources.insert(
                s.kind.name().to_owned(),
                SourceEntry {
                    files: 0,
                    counts: Counts::default(),
                    required: s.required,
                    present: !absent.contains(&s.kind),
                    reject_rate: 0.0,
                    max_reject_rate: pipeline.max_reject_rate(s),
                    max_row_drop: pipeline.max_row_drop(s),
                    previous_rows: None,
                    latest_evidence: None,
                    stale: false,
                    gate_passed: true,
                },
            );
        }
        for f in files {
            let mut counts = Counts::default();
            counts.add(f);
            let source = f.source.map(|s| s.name()).unwrap_or_default().to_owned();
            if let Some(entry) = sources.get_mut(&source) {
                entry.files += 1;
                entry.counts.add(f);
                let l = latest.entry(source.clone()).or_default();
                *l = (*l).max(f.latest);
            }
            entries.push(FileEntry {
                source,
                path: f.path.clone(),
                bytes: f.bytes,
                sha256: f.sha256.clone(),
                counts,
                warnings: f.warnings.clone(),
            });
        }
        for (name, entry) in &mut sources {
            entry.reject_rate = entry.counts.reject_rate();
            entry.latest_evidence = latest.get(name).copied().flatten().map(|d| d.to_string());
        }
        (entries, sources)
    }

    /// Reads the manifest at `path`; a file that is not a whole manifest of
    /// this tool is an error saying why, never defaults.
    pub fn read(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {}", path.display(), crate::errors::io_words(&e)))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: not a manifest: {e}", path.display()))
    }

    /// The as-of date, parsed.
    pub fn as_of_date(&self) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::parse_from_str(&self.as_of, "%Y-%m-%d").ok()
    }

    /// Writes the manifest to `path` as pretty-printed JSON, owner-only, synced.
    pub fn write(&self, path: &Path) -> Result<(), OutputError> {
        let mut file = super::create_private(path)?;
        let json = serde_json::to_vec_pretty(self).map_err(|e| OutputError::Io {
            path: path.to_owned(),
            source: e.into(),
        })?;
        use std::io::Write;
        file.write_all(&json)
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(OutputError::io(path))
    }
}
