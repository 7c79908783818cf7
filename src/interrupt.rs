//! Stopping a run on SIGTERM or SIGINT (SPEC §2): a process-wide request
//! that the run's long loops check, and the paths to remove if the run does
//! not stop by itself in time.
//!
//! The signal handler itself lives in the binary; this module is what the
//! stages see. A loop calls [`check`] every few thousand rows or once per
//! partition; the error it returns travels up like any other, and the run's
//! guards remove its incomplete folder and spill on the way out.
//!
//! Once the run passes the point of no return ([`point_of_no_return`]: its
//! folder is complete and is about to appear under `runs/`), a signal no
//! longer stops it: it finishes as it would have (SPEC §2).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The signal that asked the run to stop (> 0), none yet (0), or
/// [`NO_RETURN`]: the run passed the point of no return first.
static REQUESTED: AtomicI32 = AtomicI32::new(0);

/// [`REQUESTED`] once the run is past the point of no return.
const NO_RETURN: i32 = -1;

/// Signals received so far (the step hook wakes on a new one).
static RECEIVED: AtomicU32 = AtomicU32::new(0);

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

/// What a signal did, as [`request`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// The first signal: the run will stop.
    Stopping,
    /// A signal after an earlier one asked the run to stop.
    Again,
    /// The run is past the point of no return: it finishes as it would have.
    AlreadyPublishing,
}

/// Asks the run to stop (from the signal handler's thread). The first signal
/// wins; after [`point_of_no_return`] nothing is asked.
pub fn request(signal: i32) -> Request {
    RECEIVED.fetch_add(1, Ordering::AcqRel);
    match REQUESTED.compare_exchange(0, signal, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Request::Stopping,
        Err(NO_RETURN) => Request::AlreadyPublishing,
        Err(_) => Request::Again,
    }
}

/// `Err` once a stop was requested.
pub fn check() -> Result<(), Interrupted> {
    match REQUESTED.load(Ordering::Acquire) {
        0 | NO_RETURN => Ok(()),
        signal => Err(Interrupted { signal }),
    }
}

/// Passes the point of no return: `Err` if a stop was requested before it
/// (the run stops), else from now on signals no longer stop the run.
pub fn point_of_no_return() -> Result<(), Interrupted> {
    match REQUESTED.compare_exchange(0, NO_RETURN, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) | Err(NO_RETURN) => Ok(()),
        Err(signal) => Err(Interrupted { signal }),
    }
}

/// The test hook: when the environment variable `RESIDENCE_PAUSE_AT` names
/// `name`, logs `paused at step <name>` and waits until a signal arrives
/// (or 30 s pass), so a test can aim a signal at a named step of the run.
/// Does nothing otherwise.
pub fn step(name: &'static str) {
    static PAUSE_AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let pause = PAUSE_AT.get_or_init(|| std::env::var("RESIDENCE_PAUSE_AT").ok());
    if pause.as_deref() != Some(name) {
        return;
    }
    let seen = RECEIVED.load(Ordering::Acquire);
    tracing::warn!(step = name, "paused at step {name} (RESIDENCE_PAUSE_AT)");
    let until = Instant::now() + Duration::from_secs(30);
    while RECEIVED.load(Ordering::Acquire) == seen && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
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
