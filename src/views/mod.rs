//! Views of a published run for case officers and analysts (SPEC §9): they
//! read a run's outputs, never the feeds.
//!
//! - [`explain`]: one person, for a case officer (its `text` module prints it).
//! - [`export`]: the pseudonymised analyst copy ([`anonymity`]: its k-anonymity).
//! - [`report`]: the HTML run report ([`svg`] draws its charts).
//! - [`lookup`]: reading one person's rows without reading whole outputs.

pub mod anonymity;
pub mod explain;
pub mod export;
pub mod lookup;
pub mod report;
mod svg;

use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;

use crate::output::manifest::Manifest;

/// Why a view could not be made; [`ViewError::exit_code`] maps it.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// Bad arguments (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The run or the person asked for is not there (exit 1).
    #[error("{0}")]
    NotFound(String),
    /// A file of the run cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// A Parquet file of the run cannot be read.
    #[error("cannot read {path}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// Why polars failed.
        source: polars::prelude::PolarsError,
    },
    /// A file of the run disagrees with the others or with its format
    /// (exit 1); the message names the file.
    #[error("damaged run: {0}")]
    Damaged(String),
    /// Writing the view's own output failed.
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
}

impl ViewError {
    /// 2 for usage errors, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            ViewError::Usage(_) => 2,
            _ => 1,
        }
    }

    fn parquet(path: &Path) -> impl FnOnce(polars::prelude::PolarsError) -> ViewError + '_ {
        move |source| ViewError::Parquet {
            path: path.to_owned(),
            source,
        }
    }
}

/// The folder of a complete run: the one `OUT/latest` points at, resolved
/// once (so a publish meanwhile cannot mix two runs), or `OUT/runs/<run_id>`.
pub fn run_dir(out: &Path, run: Option<&str>) -> Result<PathBuf, ViewError> {
    let dir = match run {
        Some(id) => {
            if id.is_empty() || id.starts_with('.') || id.contains('/') {
                return Err(ViewError::Usage(format!("--run {id:?} is not a run id")));
            }
            out.join("runs").join(id)
        }
        None => {
            let latest = out.join("latest");
            match std::fs::read_link(&latest) {
                Ok(target) => out.join(target),
                Err(_) if latest.is_dir() => latest,
                Err(_) => {
                    return Err(ViewError::NotFound(format!(
                        "{} does not exist: no run is published under {} (name one with --run)",
                        latest.display(),
                        out.display()
                    )));
                }
            }
        }
    };
    if !dir.join("manifest.json").is_file() {
        return Err(ViewError::NotFound(format!(
            "{} is not a complete run (no manifest.json)",
            dir.display()
        )));
    }
    Ok(dir)
}

/// Refuses a view's own output at or under the output root (SPEC §9: no
/// view writes inside `OUT`), exit 2.
pub fn refuse_inside(out: &Path, target: &Path, flag: &str) -> Result<(), ViewError> {
    let Ok(root) = std::fs::canonicalize(out) else {
        return Ok(());
    };
    // The target may not exist yet: resolve its nearest existing ancestor.
    let absolute = std::path::absolute(target).unwrap_or_else(|_| target.to_owned());
    let mut probe = absolute.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    let resolved = loop {
        if let Ok(real) = std::fs::canonicalize(probe) {
            break rest.iter().rev().fold(real, |p, part| p.join(part));
        }
        match (probe.parent(), probe.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                probe = parent;
            }
            _ => return Ok(()),
        }
    };
    if resolved.starts_with(&root) {
        return Err(ViewError::Usage(format!(
            "{flag} {}: is inside the output root {}; views never write there (choose a path outside it)",
            target.display(),
            out.display()
        )));
    }
    Ok(())
}

/// A run's outputs and its manifest.
pub struct Run {
    /// The run's folder (`OUT/runs/<run_id>`), resolved once.
    pub dir: PathBuf,
    /// The run's id, from its manifest.
    pub run_id: String,
    /// Its decision date, from its manifest.
    pub as_of: chrono::NaiveDate,
    /// Its manifest, read once.
    pub manifest: Manifest,
}

impl Run {
    /// Opens the run `OUT/latest` (or `--run`) points at; a manifest that
    /// cannot be read, or names another run than its folder, is an error.
    pub fn open(out: &Path, run: Option<&str>) -> Result<Run, ViewError> {
        let dir = run_dir(out, run)?;
        let path = dir.join("manifest.json");
        let manifest = Manifest::read(&path).map_err(ViewError::Damaged)?;
        let as_of = manifest.as_of_date().ok_or_else(|| {
            ViewError::Damaged(format!("{}: as_of is not a date", path.display()))
        })?;
        if let Some(name) = dir.file_name().and_then(|n| n.to_str())
            && name != "latest"
            && name != manifest.run_id
        {
            return Err(ViewError::Damaged(format!(
                "{}: belongs to run {}, not to its folder's run {name}",
                path.display(),
                manifest.run_id
            )));
        }
        Ok(Run {
            dir,
            run_id: manifest.run_id.clone(),
            as_of,
            manifest,
        })
    }

    /// The path of output `file` in the run.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Reads `columns` of output `file` (all when `None`), after checking
    /// that its footer names this run.
    pub fn read(&self, file: &str, columns: Option<&[&str]>) -> Result<DataFrame, ViewError> {
        use polars::prelude::{ParquetReader, SerReader};
        let path = self.dir.join(file);
        let md = lookup::metadata(&path)?;
        lookup::check_run(&path, &md, &self.run_id)?;
        let f = std::fs::File::open(&path).map_err(|source| ViewError::Read {
            path: path.clone(),
            source,
        })?;
        let mut reader = ParquetReader::new(f)
            .with_columns(columns.map(|c| c.iter().map(|s| (*s).to_owned()).collect()));
        reader.set_metadata(std::sync::Arc::new(md));
        reader.finish().map_err(ViewError::parquet(&path))
    }
}
