//! Stopping a run on SIGTERM or SIGINT (SPEC §2): a process-wide request
//! that the run's long loops check, and the paths to remove if the run does
//! not stop by itself in time.
//!
//! The signal handler itself lives in the binary; this module is what the
//! stages see. A loop calls [`check`] every few thousand rows or once per
//! partition; the error it returns travels up like any other, and the run's
//! guards remove its incomplete folder and spill on the way out.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The signal that asked the run to stop (0: none).
static REQUESTED: AtomicI32 = AtomicI32::new(0);

/// SIGINT's number (Ctrl-C): exit 130.
pub const SIGINT: i32 = 2;
/// SIGTERM's number (systemd, `kill`): exit 143.
pub const SIGTERM: i32 = 15;

/// The run stopped because a signal asked it to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {}", signal_name(*.signal))]
pub struct Interrupted {
    /// The signal's number ([`SIGINT`] or [`SIGTERM`]).
    pub signal: i32,
}

impl Interrupted {
    /// 128 + the signal's number, as shells report a process a signal stopped.
    pub fn exit_code(self) -> i32 {
        128 + self.signal
    }
}

/// SIGTERM, SIGINT or the number.
pub fn signal_name(signal: i32) -> String {
    match signal {
        SIGINT => "SIGINT".to_owned(),
        SIGTERM => "SIGTERM".to_owned(),
        n => format!("signal {n}"),
    }
}

/// Asks the run to stop (from the signal handler's thread). The first signal wins.
pub fn request(signal: i32) {
    let _ = REQUESTED.compare_exchange(0, signal, Ordering::AcqRel, Ordering::Acquire);
}

/// `Err` once a stop was requested.
pub fn check() -> Result<(), Interrupted> {
    match REQUESTED.load(Ordering::Acquire) {
        0 => Ok(()),
        signal => Err(Interrupted { signal }),
    }
}

/// Folders to remove if the process must exit before the run cleans up
/// itself: the incomplete run folder and the spill folder while they exist.
pub struct Leftovers(Mutex<Vec<PathBuf>>);

impl Leftovers {
    /// An empty registry.
    pub const fn new() -> Self {
        Leftovers(Mutex::new(Vec::new()))
    }

    fn lock(&self) -> MutexGuard<'_, Vec<PathBuf>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a folder the run is writing and will remove or rename itself.
    pub fn register(&self, path: PathBuf) {
        self.lock().push(path);
    }

    /// Runs `f` (a rename or removal of a registered folder) with the
    /// registry locked, then forgets `path`: an emergency exit either happens
    /// before `f` and removes the folder, or after, and leaves `f`'s result alone.
    pub fn settle<T>(&self, path: &Path, f: impl FnOnce() -> T) -> T {
        let mut leftovers = self.lock();
        let result = f();
        leftovers.retain(|p| p != path);
        result
    }

    /// The emergency exit: removes every registered folder and returns with
    /// the registry locked, so no rename can start after it; the caller exits.
    pub fn remove_all(&self) -> MutexGuard<'_, Vec<PathBuf>> {
        let mut leftovers = self.lock();
        for path in leftovers.drain(..) {
            let _ = std::fs::remove_dir_all(path);
        }
        leftovers
    }
}

impl Default for Leftovers {
    fn default() -> Self {
        Self::new()
    }
}

/// The process's registry: a run registers here, the signal handler empties it.
pub static LEFTOVERS: Leftovers = Leftovers::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_names() {
        assert_eq!(Interrupted { signal: SIGTERM }.exit_code(), 143);
        assert_eq!(Interrupted { signal: SIGINT }.exit_code(), 130);
        assert_eq!(
            Interrupted { signal: SIGTERM }.to_string(),
            "interrupted by SIGTERM"
        );
        assert_eq!(signal_name(9), "signal 9");
    }

    #[test]
    fn settled_folders_are_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (kept, removed) = (dir.path().join("kept"), dir.path().join("removed"));
        let leftovers = Leftovers::new();
        for p in [&kept, &removed] {
            std::fs::create_dir(p).unwrap();
            leftovers.register(p.clone());
        }
        leftovers.settle(&kept, || ());
        drop(leftovers.remove_all());
        assert!(kept.exists());
        assert!(!removed.exists());
    }
}
