//! Why ingest stops: each error names the one path that failed.

use std::path::PathBuf;

/// Why ingest stopped. Each names the one path that failed, once; the
/// cause follows as the error's source.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A feed file or folder could not be read.
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Writing or reading back spilled rows failed: the spill disk, not an input.
    #[error("cannot use the spill folder {path}")]
    Spill {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A feed's header cannot be used (exit 2).
    #[error("{path}: line {line}: {message}")]
    Header {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// The gazetteer cannot be read or used (exit 2).
    #[error("gazetteer {path}: {message}")]
    Gazetteer { path: PathBuf, message: String },
    #[error(
        "{path}: {count} input files; at most {} are supported (merge some)",
        u16::MAX
    )]
    TooManyFiles { path: PathBuf, count: usize },
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
}
