//! Run folders, the single-writer lock on `OUT`, and the atomic `latest` link.
//!
//! Each run writes `OUT/runs/<run_id>/`; only a run that succeeds repoints
//! `OUT/latest`, by renaming a fresh symlink over it (rename is atomic), so a
//! run killed at any moment leaves `latest` at the last complete run.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::{OutputError, create_private_dir};

/// Holds `OUT/.lock` for the life of a run; the OS releases it if the process dies.
#[derive(Debug)]
pub struct OutLock {
    _file: File,
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

/// Removes what a killed or failed run left behind: incomplete run folders
/// (`OUT/runs/.incomplete-*`), runs half-deleted by `--keep-runs`
/// (`OUT/runs/.deleting-*`), spill folders (`OUT/.spill-*`) and half-made
/// `latest` links. Only call it holding the lock: then no other run is
/// using them. Returns what it removed.
pub fn remove_leftovers(out: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let mut sweep = |dir: &Path, prefixes: &[&str]| {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !prefixes.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            let path = entry.path();
            let gone = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            if gone.is_ok() {
                removed.push(path);
            }
        }
    };
    sweep(out, &[".spill-", ".latest."]);
    sweep(&out.join("runs"), &[INCOMPLETE, DELETING]);
    removed
}

/// Prefix of a run folder being written.
const INCOMPLETE: &str = ".incomplete-";

/// Prefix of a run folder being deleted (`--keep-runs`).
const DELETING: &str = ".deleting-";

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

/// The folder a run writes into, `OUT/runs/.incomplete-<run_id>/`
/// (owner-only), created: hidden from `runs/*/` until [`complete`].
pub fn create_incomplete(out: &Path, run_id: &str) -> Result<PathBuf, OutputError> {
    let runs = out.join("runs");
    create_private_dir(&runs)?;
    let dir = runs.join(format!("{INCOMPLETE}{run_id}"));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(&dir).map_err(OutputError::io(&dir))?;
    Ok(dir)
}

/// Renames a finished run's folder to `OUT/runs/<run_id>/` and makes the
/// rename durable; returns the new path.
pub fn complete(out: &Path, run_id: &str) -> Result<PathBuf, OutputError> {
    let runs = out.join("runs");
    let from = runs.join(format!("{INCOMPLETE}{run_id}"));
    let to = runs.join(run_id);
    std::fs::rename(&from, &to).map_err(OutputError::io(&to))?;
    sync_dir(&runs)?;
    Ok(to)
}

fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(OutputError::io(dir))
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
    sync_dir(out)
}

/// Records the publication in the manifest of the run `latest` points at
/// when a killed run published but did not get to record it (its manifest
/// still says `published: false`). Only call it holding the lock. Returns
/// the run id it corrected.
pub fn confirm_latest(out: &Path) -> Option<String> {
    let id = latest_run_id(out)?;
    let path = out.join("runs").join(&id).join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    if m.get("published")? != &serde_json::Value::Bool(false) {
        return None;
    }
    m["published"] = true.into();
    m["status"] = "succeeded".into();
    m["publication"] =
        "latest points here (the run was stopped before recording it; the next run did)".into();
    let json = serde_json::to_vec_pretty(&m).ok()?;
    replace_file(&path, &json).ok()?;
    Some(id)
}

/// Replaces `path` by `bytes` atomically (a temp file renamed over it),
/// owner-only and durable.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = super::create_private(&tmp)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(OutputError::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(OutputError::io(path))?;
    match path.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

/// The run `OUT/latest` points at, if any.
pub fn latest_run_id(out: &Path) -> Option<String> {
    let target = std::fs::read_link(out.join("latest")).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Complete runs in `OUT/runs`, oldest first (run ids start with their UTC time).
pub fn complete_runs(out: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out.join("runs")) else {
        return Vec::new();
    };
    let mut runs: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    runs.sort();
    runs
}

/// Keeps the newest `keep` complete runs and the one `latest` points at,
/// removing the others (`--keep-runs`). Returns the run ids removed.
pub fn retain(out: &Path, keep: usize) -> Result<Vec<String>, OutputError> {
    let latest = latest_run_id(out);
    let runs = complete_runs(out);
    let old = runs.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for id in &runs[..old] {
        if latest.as_deref() == Some(id.as_str()) {
            continue;
        }
        // Out of `runs/*/` first, in one rename; the next run sweeps what a
        // kill leaves of it.
        let runs = out.join("runs");
        let dir = runs.join(format!("{DELETING}{id}"));
        std::fs::rename(runs.join(id), &dir).map_err(OutputError::io(&dir))?;
        sync_dir(&runs)?;
        crate::interrupt::step("prune");
        std::fs::remove_dir_all(&dir).map_err(OutputError::io(&dir))?;
        removed.push(id.clone());
    }
    Ok(removed)
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
            create_incomplete(dir.path(), id).unwrap();
            complete(dir.path(), id).unwrap();
            publish(dir.path(), id).unwrap();
            let link = std::fs::read_link(dir.path().join("latest")).unwrap();
            assert_eq!(link, Path::new("runs").join(id));
            assert_eq!(latest_run_id(dir.path()).as_deref(), Some(id));
        }
    }

    #[test]
    fn incomplete_runs_are_hidden_and_swept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let incomplete = create_incomplete(out, "r1").unwrap();
        std::fs::write(incomplete.join("evidence.parquet"), b"half").unwrap();
        std::fs::create_dir(spill_dir(out, "r1")).unwrap();
        std::fs::write(out.join(".latest.r1.tmp"), b"").unwrap();
        std::fs::create_dir_all(out.join("runs/.deleting-r9")).unwrap();
        create_incomplete(out, "r0").unwrap();
        complete(out, "r0").unwrap();
        assert_eq!(complete_runs(out), ["r0"]);
        let mut removed = remove_leftovers(out);
        removed.sort();
        assert_eq!(
            removed,
            [
                out.join(".latest.r1.tmp"),
                out.join(".spill-r1"),
                out.join("runs/.deleting-r9"),
                out.join("runs/.incomplete-r1"),
            ]
        );
        assert!(out.join("runs/r0").is_dir());
    }

    #[test]
    fn retention_keeps_the_newest_and_latest() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for id in ["r1", "r2", "r3", "r4", "r5"] {
            create_incomplete(out, id).unwrap();
            complete(out, id).unwrap();
        }
        publish(out, "r2").unwrap();
        assert_eq!(retain(out, 2).unwrap(), ["r1", "r3"]);
        assert!(!out.join("runs/.deleting-r1").exists());
        assert_eq!(complete_runs(out), ["r2", "r4", "r5"]);
        assert!(retain(out, 5).unwrap().is_empty());
    }

    #[test]
    fn a_publication_left_unrecorded_is_recorded_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for id in ["r1", "r2"] {
            create_incomplete(out, id).unwrap();
            std::fs::write(
                out.join("runs")
                    .join(format!(".incomplete-{id}/manifest.json")),
                br#"{"status":"not_published","published":false,"publication":"x"}"#,
            )
            .unwrap();
            complete(out, id).unwrap();
        }
        assert_eq!(confirm_latest(out), None, "nothing published");
        publish(out, "r2").unwrap();
        assert_eq!(confirm_latest(out).as_deref(), Some("r2"));
        assert_eq!(confirm_latest(out), None, "already recorded");
        let read = |id: &str| -> serde_json::Value {
            let p = out.join("runs").join(id).join("manifest.json");
            serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
        };
        assert_eq!(read("r2")["published"], true);
        assert_eq!(read("r2")["status"], "succeeded");
        assert_eq!(read("r1")["published"], false);
    }
}
