//! Stage 3, outputs: the Parquet files, the manifest, and publishing a run
//! (run folder, lock, atomic `latest` link).

pub mod aggregates;
pub mod manifest;
pub mod metrics;
pub mod parquet;
pub mod person_index;
pub mod previous;
pub mod publish;

use std::fs::File;
use std::path::{Path, PathBuf};

/// Why writing an output failed; names the path, the cause follows.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file or folder could not be written.
    #[error("cannot write {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why writing failed.
        source: std::io::Error,
    },
    /// Polars could not encode or write a Parquet file.
    #[error("cannot write {path}")]
    Polars {
        /// The Parquet file.
        path: PathBuf,
        /// Why polars failed.
        source: polars::prelude::PolarsError,
    },
    /// Another run holds the output folder's lock.
    #[error(
        "{path}: another residence run is using this output folder (lock held); \
         wait for it to finish or use another --out"
    )]
    Busy {
        /// The lock file (`OUT/.lock`).
        path: PathBuf,
    },
}

impl OutputError {
    /// Maps an I/O error on `path` to [`OutputError::Io`].
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
        move |source| OutputError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Creates (truncating) a file readable and writable by its owner only.
pub fn create_private(path: &Path) -> Result<File, OutputError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(OutputError::io(path))
}

/// Creates a folder (and its parents) readable by its owner only.
pub fn create_private_dir(path: &Path) -> Result<(), OutputError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(OutputError::io(path))
}
