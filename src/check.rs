//! `residence check`: the operator's preflight after installing (SPEC §2).
//! The pipeline and its gazetteer load, each source folder is present (or
//! optional), the data is readable, `OUT` is writable (or can be created)
//! and its lock free, the metrics folder writable. One line per check.

use std::path::{Path, PathBuf};

use crate::errors::io_words;
use crate::ingest::gazetteer::load_gazetteer;
use crate::ingest::list_csv_files;
use crate::ingest::name::escape_path;
use crate::pipeline::Pipeline;

/// `residence check`'s options.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// `--pipeline`.
    pub pipeline: PathBuf,
    /// `--data`; default: the pipeline's `data_dir`.
    pub data: Option<PathBuf>,
    /// `--out`, when given.
    pub out: Option<PathBuf>,
    /// `--metrics-file`, when given.
    pub metrics_file: Option<PathBuf>,
}

/// One check's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    /// What was checked (`pipeline`, `source lease`, `out`).
    pub name: String,
    /// It holds.
    pub ok: bool,
    /// What was found, in words.
    pub detail: String,
}

impl std::fmt::Display for CheckLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "{mark} {}: {}", self.name, self.detail)
    }
}

fn line(name: impl Into<String>, ok: bool, detail: impl Into<String>) -> CheckLine {
    CheckLine {
        name: name.into(),
        ok,
        detail: detail.into(),
    }
}

/// Runs every check; the run would start when all hold.
pub fn check(opts: &CheckOptions) -> Vec<CheckLine> {
    let mut lines = Vec::new();
    let pipeline = match crate::pipeline::load(&opts.pipeline) {
        Ok(p) => {
            lines.push(line(
                "pipeline",
                true,
                format!(
                    "{} loads ({}, {} sources)",
                    opts.pipeline.display(),
                    p.name,
                    p.sources.len()
                ),
            ));
            Some(p)
        }
        Err(e) => {
            lines.push(line("pipeline", false, crate::errors::chain(&e)));
            None
        }
    };
    if let Some(p) = &pipeline {
        lines.push(match load_gazetteer(&p.gazetteer) {
            Ok(_) => line(
                "gazetteer",
                true,
                format!("{} loads", p.gazetteer.display()),
            ),
            Err(e) => line("gazetteer", false, crate::errors::chain(&e)),
        });
        check_data(p, opts.data.as_deref(), &mut lines);
    }
    if let Some(out) = &opts.out {
        lines.push(check_out(out));
        lines.push(check_lock(out));
    }
    if let Some(metrics) = &opts.metrics_file {
        let dir = match metrics.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        lines.push(match writable(dir) {
            Ok(()) => line("metrics", true, format!("{} is writable", dir.display())),
            Err(why) => line("metrics", false, format!("{}: {why}", dir.display())),
        });
    }
    lines
}

/// The feed root exists; each source folder is present or optional; every
/// `*.csv` in them opens for reading.
fn check_data(p: &Pipeline, data: Option<&Path>, lines: &mut Vec<CheckLine>) {
    let Some(root) = data.map(Path::to_owned).or_else(|| p.data_dir.clone()) else {
        lines.push(line(
            "data",
            false,
            "no --data given and the pipeline sets no data_dir",
        ));
        return;
    };
    if !root.is_dir() {
        let what = if root.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        lines.push(line("data", false, format!("{} {what}", root.display())));
        return;
    }
    lines.push(line(
        "data",
        true,
        format!("{} is a folder", root.display()),
    ));
    for s in &p.sources {
        let dir = root.join(&s.folder);
        let name = format!("source {}", s.kind);
        let listing = match list_csv_files(&dir) {
            Ok(Some(l)) => l,
            Ok(None) if s.required => {
                lines.push(line(
                    name,
                    false,
                    format!("{} is absent (required)", dir.display()),
                ));
                continue;
            }
            Ok(None) => {
                lines.push(line(
                    name,
                    true,
                    format!("{} is absent (optional)", dir.display()),
                ));
                continue;
            }
            Err(e) => {
                lines.push(line(
                    name,
                    false,
                    format!("{}: {}", dir.display(), io_words(&e)),
                ));
                continue;
            }
        };
        let unreadable: Vec<String> = listing
            .files
            .iter()
            .filter_map(|f| {
                std::fs::File::open(f)
                    .err()
                    .map(|e| format!("{}: {}", escape_path(f), io_words(&e)))
            })
            .collect();
        lines.push(match unreadable.first() {
            None => line(
                name,
                true,
                format!(
                    "{} files readable in {}",
                    listing.files.len(),
                    dir.display()
                ),
            ),
            Some(first) => line(
                name,
                false,
                format!(
                    "{} of {} files unreadable, first {first}",
                    unreadable.len(),
                    listing.files.len()
                ),
            ),
        });
    }
}

/// Creates and removes a temp file in `dir`.
fn writable(dir: &Path) -> Result<(), String> {
    tempfile::Builder::new()
        .prefix(".residence-check-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| format!("not writable ({})", io_words(&e)))
}

/// OUT is writable, or its nearest existing parent is (a run creates it).
fn check_out(out: &Path) -> CheckLine {
    if out.is_dir() {
        return match writable(out) {
            Ok(()) => line("out", true, format!("{} is writable", out.display())),
            Err(why) => line("out", false, format!("{}: {why}", out.display())),
        };
    }
    if out.exists() {
        return line("out", false, format!("{} is not a folder", out.display()));
    }
    let parent = out
        .ancestors()
        .skip(1)
        .find(|a| a.is_dir())
        .unwrap_or(Path::new("."));
    match writable(parent) {
        Ok(()) => line(
            "out",
            true,
            format!("{} can be created in {}", out.display(), parent.display()),
        ),
        Err(why) => line(
            "out",
            false,
            format!(
                "{} cannot be created: {}: {why}",
                out.display(),
                parent.display()
            ),
        ),
    }
}

/// No run holds `OUT/.lock` now.
fn check_lock(out: &Path) -> CheckLine {
    let path = out.join(".lock");
    let file = match std::fs::OpenOptions::new().write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return line(
                "lock",
                true,
                format!("{} is free (no lock file yet)", path.display()),
            );
        }
        Err(e) => {
            return line(
                "lock",
                false,
                format!("{}: {}", path.display(), io_words(&e)),
            );
        }
    };
    match file.try_lock() {
        Ok(()) => line("lock", true, format!("{} is free", path.display())),
        Err(std::fs::TryLockError::WouldBlock) => line(
            "lock",
            false,
            format!(
                "{} is held: a residence run is using this output folder",
                path.display()
            ),
        ),
        Err(std::fs::TryLockError::Error(e)) => line(
            "lock",
            false,
            format!("{}: {}", path.display(), io_words(&e)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_ok_or_fail_with_the_check() {
        assert_eq!(
            line("out", true, "x is writable").to_string(),
            "ok   out: x is writable"
        );
        assert_eq!(line("lock", false, "held").to_string(), "FAIL lock: held");
    }

    #[test]
    fn a_held_lock_fails_and_a_free_one_passes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_lock(dir.path()).ok, "no lock file");
        let held = crate::output::publish::lock(dir.path()).unwrap();
        assert!(!check_lock(dir.path()).ok);
        drop(held);
        assert!(check_lock(dir.path()).ok);
    }

    #[test]
    fn an_absent_out_passes_when_its_parent_is_writable() {
        let dir = tempfile::tempdir().unwrap();
        let c = check_out(&dir.path().join("a/b"));
        assert!(c.ok, "{c}");
        std::fs::write(dir.path().join("file"), b"").unwrap();
        assert!(!check_out(&dir.path().join("file")).ok);
    }
}
