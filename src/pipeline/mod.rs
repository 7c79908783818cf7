//! What a run is configured with: the pipeline file and the feeds it declares.
//! The feed table and the file's parsing are the core's
//! ([`residence_core::pipeline`]); reading the file from disk is this crate's.

pub use residence_core::pipeline::{
    Column, Encoding, Field, Params, Pipeline, PipelineError, SourceConfig, SourceKind,
};
pub use residence_core::pipeline::{config, encoding, source};

use std::path::Path;

/// Reads and checks a pipeline file (SPEC §2 `--pipeline`).
pub fn load(path: &Path) -> Result<Pipeline, PipelineError> {
    let bytes = std::fs::read(path).map_err(|source| PipelineError::Io {
        path: path.to_owned(),
        source,
    })?;
    Pipeline::parse(path, &bytes)
}
