//! Progress of the launcher and of the operations built on it (the audit, sweeps, the
//! report), reported to an observer instead of printed: the library never prints, the
//! binary decides what to show.

use std::path::Path;

use crate::error::Error;

/// Something that happened while a sweep, an ablation set or the report ran.
#[derive(Debug, Clone, Copy)]
pub enum ProgressEvent<'a> {
    /// A part of a larger operation has planned its simulations (the report's sections,
    /// before their one launch).
    Planned {
        /// Its name: `audit`, `scaling sweep <sweep name>`, `ablations`, `peer`.
        name: &'a str,
        /// Simulations it plans (finished ones are resumed, not rerun).
        runs: usize,
    },
    /// A launch starts: how many simulations it runs now and how many it resumed.
    Launching {
        /// Simulations to run now.
        pending: usize,
        /// Simulations resumed from their records.
        resumed: usize,
    },
    /// One more simulation of the current batch is finished (`done` of `total`).
    Advanced {
        /// Finished so far.
        done: usize,
        /// In the batch.
        total: usize,
    },
    /// One run finished and its record was written.
    RunFinished {
        /// The run: a sweep cell's label, or an experiment's name.
        label: &'a str,
        /// Its seed.
        seed: u64,
        /// Its wall time.
        wall_seconds: f64,
    },
    /// A run's record on disk is corrupt or truncated: it is ignored and the run is
    /// simulated again.
    RecordCorrupt {
        /// The record file.
        path: &'a Path,
        /// What is wrong with it.
        reason: &'a str,
    },
    /// One run failed (the error is also returned by the operation).
    RunFailed {
        /// As in [`ProgressEvent::RunFinished`].
        label: &'a str,
        /// Its seed.
        seed: u64,
        /// What went wrong.
        error: &'a Error,
    },
}

/// The observer: called from the worker threads, hence `Sync`.
pub type Progress<'a> = &'a (dyn Fn(ProgressEvent<'_>) + Sync);

/// The observer that ignores everything.
pub fn silent(_: ProgressEvent<'_>) {}
