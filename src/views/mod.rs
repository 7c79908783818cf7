//! Views of a published run for case officers and analysts (SPEC §9): they
//! read a run's outputs, never the feeds.
//!
//! - [`explain`]: one person, for a case officer (its `text` module prints it).
//! - [`export`]: the pseudonymised analyst copy.
//! - [`report`]: the HTML run report ([`svg`] draws its charts).
//! - [`lookup`]: reading one person's rows without reading whole outputs.

pub mod explain;
pub mod export;
pub mod lookup;
pub mod report;
mod svg;

use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;

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

/// The folder of a complete run: `OUT/latest`, or `OUT/runs/<run_id>`.
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
            if std::fs::symlink_metadata(&latest).is_err() {
                return Err(ViewError::NotFound(format!(
                    "{} does not exist: no run is published under {} (name one with --run)",
                    latest.display(),
                    out.display()
                )));
            }
            latest
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

/// A run's outputs and its manifest's identity.
pub struct Run {
    /// The run's folder (`OUT/runs/<run_id>`, or `OUT/latest`).
    pub dir: PathBuf,
    /// The run's id, from its manifest.
    pub run_id: String,
    /// Its decision date, from its manifest.
    pub as_of: chrono::NaiveDate,
}

impl Run {
    /// Opens the run `OUT/latest` (or `--run`) points at.
    pub fn open(out: &Path, run: Option<&str>) -> Result<Run, ViewError> {
        let dir = run_dir(out, run)?;
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|source| ViewError::Read {
            path: path.clone(),
            source,
        })?;
        let m: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| ViewError::NotFound(format!("{}: not a manifest: {e}", path.display())))?;
        let field = |k: &str| {
            m.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let as_of = chrono::NaiveDate::parse_from_str(&field("as_of"), "%Y-%m-%d")
            .map_err(|_| ViewError::NotFound(format!("{}: no as_of", path.display())))?;
        Ok(Run {
            dir,
            run_id: field("run_id"),
            as_of,
        })
    }

    /// Reads `columns` of output `file` (all when `None`).
    pub fn read(&self, file: &str, columns: Option<&[&str]>) -> Result<DataFrame, ViewError> {
        use polars::prelude::{ParquetReader, SerReader};
        let path = self.dir.join(file);
        let f = std::fs::File::open(&path).map_err(|source| ViewError::Read {
            path: path.clone(),
            source,
        })?;
        ParquetReader::new(f)
            .with_columns(columns.map(|c| c.iter().map(|s| (*s).to_owned()).collect()))
            .finish()
            .map_err(ViewError::parquet(&path))
    }
}

/// A text column of `df`, read from `path`.
pub(super) fn texts(
    df: &DataFrame,
    name: &str,
    path: &Path,
) -> Result<Vec<Option<String>>, ViewError> {
    let c = df.column(name).map_err(ViewError::parquet(path))?;
    let c = c.str().map_err(ViewError::parquet(path))?;
    Ok(c.iter().map(|v| v.map(str::to_owned)).collect())
}

/// The division of each eligibility row's latest evidence: evidence is
/// sorted by (city, person_id, start, end) like eligibility by (city,
/// person_id), so one merge pass finds it (the last row of each key).
pub(super) fn latest_divisions(
    run: &Run,
    keys: &[(Option<String>, Option<String>)],
) -> Result<Vec<Option<String>>, ViewError> {
    let path = run.dir.join("evidence.parquet");
    let df = run.read("evidence.parquet", Some(&["city", "person_id", "division"]))?;
    let (cities, people, divisions) = (
        texts(&df, "city", &path)?,
        texts(&df, "person_id", &path)?,
        texts(&df, "division", &path)?,
    );
    let mut out = vec![None; keys.len()];
    let mut i = 0;
    for ((city, person), division) in cities.into_iter().zip(people).zip(divisions) {
        let key = (city, person);
        while i < keys.len() && keys[i] < key {
            i += 1;
        }
        if i < keys.len() && keys[i] == key {
            out[i] = division;
        }
    }
    Ok(out)
}
