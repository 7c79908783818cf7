//! `manifest.json`: what a run read, what it decided with, what it wrote, and how long it took.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::OutputError;
use crate::ingest::FileReport;
use crate::pipeline::{Params, Pipeline, SourceKind};
use crate::rules::gate::{Finding, Verdict};
use crate::rules::reason::Reason;

#[derive(Serialize, Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub rows: u64,
    pub accepted: u64,
    pub filtered: BTreeMap<String, u64>,
    pub rejected: BTreeMap<String, u64>,
}

impl Counts {
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

#[derive(Serialize, Debug, Clone)]
pub struct FileEntry {
    pub source: String,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Serialize, Debug, Clone)]
pub struct SourceEntry {
    pub files: usize,
    #[serde(flatten)]
    pub counts: Counts,
    /// Without a folder or rows the night fails the completeness gate.
    pub required: bool,
    /// Its folder exists under the feed root.
    pub present: bool,
    pub reject_rate: f64,
    pub max_reject_rate: f64,
    pub max_row_drop: f64,
    /// Its rows in the run `latest` pointed at when this run started.
    pub previous_rows: Option<u64>,
    /// Freshness: the latest start among its accepted evidence (pledges:
    /// signing day), and whether that is older than `max_staleness_days`.
    pub latest_evidence: Option<String>,
    pub stale: bool,
    /// No check of the gate failed on this source.
    pub gate_passed: bool,
}

/// One city's decisions, tonight and in the published night.
#[derive(Serialize, Debug, Clone, Default, PartialEq)]
pub struct CityEntry {
    /// Persons per `status/basis`.
    pub persons: BTreeMap<String, u64>,
    pub eligible: u64,
    pub previous_eligible: Option<u64>,
}

#[derive(Serialize, Debug, Clone)]
pub struct PipelineEntry {
    pub name: String,
    pub path: String,
    pub sha256: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct ParamsEntry {
    pub min_months: u32,
    pub max_gap_days: u32,
    pub recency_days: u32,
    pub pledge_valid_days: u32,
    pub jurisdictions: Vec<String>,
    pub max_reject_rate: f64,
    pub max_row_drop: f64,
    pub max_eligible_drop: f64,
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
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct PreviousEntry {
    pub run_id: String,
    pub as_of: String,
}

/// One check of the gate that did not hold.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct FindingEntry {
    pub check: &'static str,
    /// The source or city checked.
    pub subject: String,
    pub message: String,
}

impl From<&Finding> for FindingEntry {
    fn from(f: &Finding) -> Self {
        FindingEntry {
            check: f.check.code(),
            subject: f.subject.clone(),
            message: f.message.clone(),
        }
    }
}

/// What the quality gate decided (SPEC §8).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct GateEntry {
    pub passed: bool,
    pub allow_drift: bool,
    pub failures: Vec<FindingEntry>,
    /// Drift that `--allow-drift` accepted.
    pub accepted_drift: Vec<FindingEntry>,
}

impl GateEntry {
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
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
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
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::NotPublished => "not_published",
            Status::QualityGateFailed => "quality_gate_failed",
            Status::PublishFailed => "publish_failed",
        }
    }
}

#[derive(Serialize, Debug, Clone)]
pub struct Manifest {
    pub run_id: String,
    pub tool: &'static str,
    pub version: &'static str,
    pub status: Status,
    /// `latest` points at this run.
    pub published: bool,
    /// Why `latest` was or was not repointed, in words.
    pub publication: String,
    pub as_of: String,
    pub pipeline: PipelineEntry,
    pub data_dir: String,
    pub parameters: ParamsEntry,
    pub previous_run: Option<PreviousEntry>,
    pub gate: GateEntry,
    pub sources: BTreeMap<String, SourceEntry>,
    pub cities: BTreeMap<String, CityEntry>,
    pub files: Vec<FileEntry>,
    pub outputs: BTreeMap<String, u64>,
    pub timings_ms: BTreeMap<String, u64>,
    pub engine: EngineEntry,
    pub warnings: Vec<String>,
}

/// How the run divided its work and memory (for operators sizing a night).
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
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
