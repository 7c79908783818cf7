//! Why ingest stops: each error names the one path that failed.

use std::path::PathBuf;

/// Why ingest stopped. Each names the one path that failed, once; the
/// cause follows as the error's source.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A feed file or folder could not be read.
    #[error("cannot read {}", super::name::escape_path(path))]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// Writing or reading back spilled rows failed: the spill disk, not an input.
    #[error("cannot use the spill folder {path}")]
    Spill {
        /// The spill folder.
        path: PathBuf,
        /// Why writing or reading it failed.
        source: std::io::Error,
    },
    /// A feed's header cannot be used (exit 2).
    #[error("{}: line {line}: {message}", super::name::escape_path(path))]
    Header {
        /// The feed file.
        path: PathBuf,
        /// 1-based line of the header record.
        line: u64,
        /// What is wrong: the column it lacks, or why the header cannot be read.
        message: String,
    },
    /// The gazetteer cannot be read or used (exit 2).
    #[error("gazetteer {path}: {message}")]
    Gazetteer {
        /// The gazetteer CSV.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// More input files than a `u16` file index can number.
    #[error(
        "{path}: {count} input files; at most {} are supported (merge some)",
        u16::MAX
    )]
    TooManyFiles {
        /// The data root.
        path: PathBuf,
        /// Input files found under it.
        count: usize,
    },
    /// The run was asked to stop (SIGTERM or SIGINT).
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
}
