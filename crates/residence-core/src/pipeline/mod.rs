//! The feeds of SPEC §4 (`source.rs`, written once), their declared
//! encodings, and the pipeline file's contents once parsed (`config.rs`).

pub mod config;
pub mod encoding;
pub mod source;

pub use config::{Params, Pipeline, PipelineError, SourceConfig};
pub use encoding::Encoding;
pub use source::{Column, Field, SourceKind};
