//! Stages 2 and 3: the night's outputs from what ingest left.
//!
//! - [`partitions`]: one evidence partition at a time, workers load, sort
//!   and decide each (city, person) range and encode its evidence rows; a
//!   writer appends them in order to the per-person outputs and compares
//!   the decisions with the published run's (`changes.parquet`).
//! - [`rows`]: then, input file by input file, the rows that did not become
//!   evidence: `rejects.parquet` and `filtered.parquet`.
//! - [`declarations`]: the accepted pledge and hukou rows, `declarations.parquet`.
//! - [`ordered`]: the parallel-in, ordered-out loop both use.
//! - [`counts`] and [`error`]: what the stages return.

pub mod counts;
pub mod declarations;
pub mod error;
mod ordered;
pub mod partitions;
pub mod rows;

pub use counts::{Decisions, Outputs};
pub use error::EngineError;
pub use partitions::write_partitions;
pub use rows::write_rows;
