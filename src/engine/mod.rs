//! Stages 2 and 3: the night's outputs from what ingest left.
//!
//! - [`partitions`]: one evidence partition at a time, workers load, sort
//!   and decide each (city, person) range and encode its evidence rows; a
//!   writer appends them in order to the per-person outputs and compares
//!   the decisions with the published run's (`changes.parquet`).
//! - [`rows`]: then, input file by input file, the rows that did not become
//!   evidence: `rejects.parquet` and `filtered.parquet`.
//! - [`ordered`]: the parallel-in, ordered-out loop both use.

mod ordered;
pub mod partitions;
pub mod rows;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use partitions::write_partitions;
pub use rows::write_rows;

/// Why writing the outputs failed (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
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

impl EngineError {
    /// A spill failure of `store`.
    fn spill<'s>(
        store: &'s crate::spill::Store<'_>,
    ) -> impl FnOnce(std::io::Error) -> EngineError + 's {
        move |source| EngineError::Spill {
            path: store.spill_path().to_owned(),
            source,
        }
    }
}

/// (city, status, basis) → persons.
pub type Decisions = BTreeMap<(String, &'static str, &'static str), u64>;

/// Output file name → rows written.
pub type Outputs = BTreeMap<String, u64>;
