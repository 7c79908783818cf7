//! What a run reports while it works: the phase it is in and how far along
//! it is, for a progress bar on a terminal (the stages only count).

/// Receives a run's phases and progress. Called from many threads.
pub trait Progress: Sync {
    /// A phase begins, with `total` units of work (input bytes, partitions).
    fn phase(&self, name: &'static str, total: u64);
    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64);
}

/// Starts a phase: logged for operators (and for tests that act at a
/// given phase), then shown by `progress`.
pub fn begin(progress: &dyn Progress, name: &'static str, total: u64) {
    tracing::info!(phase = name, "phase started");
    progress.phase(name, total);
}

/// Reports nothing (tests, `--quiet`, no terminal).
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &'static str, _: u64) {}
    fn advance(&self, _: u64) {}
}
