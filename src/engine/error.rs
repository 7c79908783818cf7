//! Why writing the outputs failed.

use std::path::PathBuf;

/// Why writing the outputs failed (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Writing an output file failed.
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    /// A polars operation failed.
    #[error("{0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// Reading spilled rows back failed: the spill disk, not an output.
    #[error("cannot use the spill folder {path}")]
    Spill {
        /// The spill folder.
        path: PathBuf,
        /// Why reading it failed.
        source: std::io::Error,
    },
    /// A thread of the stage stopped without finishing.
    #[error("{0}")]
    Internal(String),
    /// The run was asked to stop (SIGTERM or SIGINT).
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
}

impl EngineError {
    /// A spill failure of `store`.
    pub(super) fn spill<'s>(
        store: &'s crate::spill::Store<'_>,
    ) -> impl FnOnce(std::io::Error) -> EngineError + 's {
        move |source| EngineError::Spill {
            path: store.spill_path().to_owned(),
            source,
        }
    }
}
