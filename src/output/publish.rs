//! Run folders, the single-writer lock on `OUT`, and the atomic `latest` link.
//!
//! Each run writes `OUT/runs/<run_id>/`; only a run that succeeds repoints
//! `OUT/latest`, by renaming a fresh symlink over it (rename is atomic), so a
//! run killed at any moment leaves `latest` at the last complete run.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::OutputError;

/// Holds `OUT/.lock` for the life of a run; the OS releases it if the process dies.
#[derive(Debug)]
pub struct OutLock {
    _file: File,
}

fn create_private_dir(path: &Path) -> Result<(), OutputError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(OutputError::io(path))
}

/// Takes the lock on `out` (creating `out` if needed), or says who has it.
pub fn lock(out: &Path) -> Result<OutLock, OutputError> {
    create_private_dir(out)?;
    let path = out.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(OutputError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(OutLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(OutputError::Busy { path }),
        Err(std::fs::TryLockError::Error(e)) => Err(OutputError::Io { path, source: e }),
    }
}

/// Removes spill folders (`OUT/.spill-*`) that a killed run left behind.
/// Only call it holding the lock: then no other run is using one.
pub fn remove_stale_spills(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(".spill-") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The spill folder of run `run_id` (created only if the run spills to disk).
pub fn spill_dir(out: &Path, run_id: &str) -> PathBuf {
    out.join(format!(".spill-{run_id}"))
}

/// A new run id: UTC time to the millisecond and the process id.
pub fn new_run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ"),
        std::process::id()
    )
}

/// Creates `OUT/runs/<run_id>/` (owner-only).
pub fn create_run_dir(out: &Path, run_id: &str) -> Result<PathBuf, OutputError> {
    let runs = out.join("runs");
    create_private_dir(&runs)?;
    let dir = runs.join(run_id);
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(&dir).map_err(OutputError::io(&dir))?;
    Ok(dir)
}

/// Points `OUT/latest` at `runs/<run_id>` atomically.
pub fn publish(out: &Path, run_id: &str) -> Result<(), OutputError> {
    let target = Path::new("runs").join(run_id);
    let tmp = out.join(format!(".latest.{run_id}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &tmp).map_err(OutputError::io(&tmp))?;
    let latest = out.join("latest");
    std::fs::rename(&tmp, &latest).map_err(OutputError::io(&latest))?;
    // Make the rename durable before reporting success.
    File::open(out)
        .and_then(|d| d.sync_all())
        .map_err(OutputError::io(out))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err();
        assert!(matches!(err, OutputError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("another residence run"));
        drop(first);
        lock(dir.path()).unwrap();
    }

    #[test]
    fn publish_repoints_latest() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["a", "b"] {
            create_run_dir(dir.path(), id).unwrap();
            publish(dir.path(), id).unwrap();
            let link = std::fs::read_link(dir.path().join("latest")).unwrap();
            assert_eq!(link, Path::new("runs").join(id));
        }
    }
}
