//! `manifest.json`: what a run read, what it decided with, what it wrote, and how long it took.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::OutputError;
use crate::ingest::FileReport;
use crate::pipeline::{Params, Pipeline};
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
    pub reject_rate: f64,
    pub max_reject_rate: f64,
    pub gate_passed: bool,
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
        }
    }
}

#[derive(Serialize, Debug, Clone)]
pub struct Manifest {
    pub run_id: String,
    pub tool: &'static str,
    pub version: &'static str,
    /// `succeeded` or `quality_gate_failed`.
    pub status: String,
    pub as_of: String,
    pub pipeline: PipelineEntry,
    pub data_dir: String,
    pub parameters: ParamsEntry,
    pub sources: BTreeMap<String, SourceEntry>,
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
    /// Per-file entries and per-source totals with their gate verdicts.
    pub fn inputs(
        pipeline: &Pipeline,
        files: &[FileReport],
    ) -> (Vec<FileEntry>, BTreeMap<String, SourceEntry>) {
        let mut entries = Vec::with_capacity(files.len());
        let mut sources: BTreeMap<String, SourceEntry> = BTreeMap::new();
        for s in &pipeline.sources {
            let max = s.max_reject_rate.unwrap_or(pipeline.params.max_reject_rate);
            sources.insert(
                s.kind.name().to_owned(),
                SourceEntry {
                    files: 0,
                    counts: Counts::default(),
                    reject_rate: 0.0,
                    max_reject_rate: max,
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
        for entry in sources.values_mut() {
            entry.reject_rate = entry.counts.reject_rate();
            // Strictly greater fails (SPEC §8).
            entry.gate_passed = entry.reject_rate <= entry.max_reject_rate;
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
