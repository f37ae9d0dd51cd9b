//! Progress of the report layer's long operations (sweeps, ablations, the report's
//! sections), reported to an observer instead of printed: the library never prints, the
//! binary decides what to show.

use std::path::Path;

use crate::error::Error;

/// The sections of the report that run simulations, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// The claim-by-claim audit.
    Claims,
    /// The scaling sweep.
    Scaling,
    /// The ablations (and the paired run's figures).
    Ablations,
    /// The peer simulation's variant.
    Peer,
}

/// Something that happened while a sweep, an ablation set or the report ran.
#[derive(Debug, Clone, Copy)]
pub enum ProgressEvent<'a> {
    /// A section of the report starts: which, its name and how many simulations it plans.
    SectionStarted {
        /// Which section.
        section: SectionKind,
        /// Its name: `audit`, `scaling sweep <sweep name>`, `ablations`, `peer`.
        name: &'a str,
        /// Simulations it plans (finished ones are resumed, not rerun).
        runs: usize,
    },
    /// A section of the report is finished.
    SectionFinished {
        /// Which section.
        section: SectionKind,
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
