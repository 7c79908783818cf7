//! `residence`: a nightly batch pipeline that turns agencies' CSV extracts into
//! per-person residence timelines and residence-permit eligibility (Quanzhou
//! measure 13). See docs/DESIGN.md for the stages and data flow.
//!
//! - [`rules`], [`timeline`], [`digest`]: the core crate's ([`residence_core`]):
//!   ID numbers, divisions, dates, spells, decisions; timelines over sorted evidence.
//! - [`pipeline`]: the pipeline file and the feeds it declares.
//! - [`ingest`]: CSV → judged rows, spilled by where they go next, and per-file counts.
//! - [`evidence`]: evidence intervals between the two stages, and their partitions.
//! - [`spill`]: per-row intermediates kept in memory up to a budget, on disk beyond.
//! - [`engine`]: timelines and outputs one evidence partition at a time.
//! - [`output`]: Parquet, manifest, publishing.
//! - [`run`]: the `residence run` command end to end.
//! - [`check`]: `residence check`, the preflight after installing.
//! - [`views`]: views of a published run (explain, report, export).
//! - [`generate`]: synthetic feeds for benchmarks.

pub mod check;
pub mod engine;
pub mod errors;
pub mod evidence;
pub mod generate;
pub mod ingest;
pub mod interrupt;
pub mod log;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod run;
pub mod spill;
pub mod views;
pub mod warning;

// The core (rules, feed table, reader, row rules, timelines) under the
// paths the stages have always used.
pub use residence_core::{digest, rules, timeline};
