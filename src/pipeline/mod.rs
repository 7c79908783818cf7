//! What a run is configured with: the pipeline file and the feeds it declares.

pub mod config;
pub mod encoding;
pub mod source;

pub use config::{Params, Pipeline, PipelineError, SourceConfig};
pub use encoding::Encoding;
pub use source::{Column, Field, SourceKind};
