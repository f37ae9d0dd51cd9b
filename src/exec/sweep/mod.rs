//! Sweeps: one base experiment, a grid of config values, K seeds per cell (issue #4).
//!
//! # The sweep file
//!
//! ```toml
//! name = "scaling_d_quick"        # output folder: <out>/<name>/
//! seeds = 3                       # seeds base.seed, base.seed+1, ..., base.seed+K-1 per cell
//! base = "../theorem_aug.toml"    # the base experiment: a file (relative to this file) ...
//! # [base]                        # ... or an inline table with the schema of experiments/*.toml
//!
//! [axes]                          # any config key as a dotted path -> list of values
//! "model.d" = [16, 24, 32, 48]
//! "augmentation.kind" = ["none", "random_mask"]
//!
//! [derived]                       # keys computed from d, per cell
//! "model.d1" = "8*d"
//! "network.m" = "4*d"
//! ```
//!
//! Axis keys are dotted paths into the experiment schema (`model.d`, `train.steps`,
//! `augmentation.keep_prob`, ...); quoting them is optional (`model.d = [..]` inside
//! `[axes]` is a nested table and is read the same way). Cells are the Cartesian product of
//! the axes, axes in sorted key order, the first one outermost. `name` and `seed` cannot be
//! axes (the sweep's name and `seeds` set them).
//!
//! Derived keys are sizes computed from the cell's `model.d` by the grammar
//!
//! ```text
//! expr := NUMBER | [NUMBER "*"] "d" ["^" NUMBER]       (spaces ignored)
//! ```
//!
//! e.g. `"8*d"`, `"d"`, `"d^1.5"`, `"0.5*d^2"`, `"1500"`; the value is rounded to the
//! nearest integer (derived keys are for sizes: d1, m, steps, batch, exact_k, ...). Anything
//! else is rejected with the grammar in the message.
//!
//! # Outputs (in `<out>/<name>/`)
//!
//! * `runs/<hash>/`: the tables of one (cell, seed) run as `decouple run` writes them, plus
//!   `record.json` (written last: its presence marks the run finished). `<hash>` is the
//!   FNV-1a 64-bit hash of the canonical JSON of the run's fully resolved
//!   [`Settings`](crate::config::Settings) ([`crate::io::hash::settings_hash`]); a rerun skips every run whose record exists (resume).
//! * `sweep.csv`: one row per (cell, seed), in canonical order (cell index, then seed):
//!   `cell`, the axis values, `seed`, the run's summary metrics, `config_hash`.
//! * `sweep_summary.csv`: per cell and metric, the number of seeds with a finite value, the
//!   mean and a 95% Student-t interval over seeds.
//! * `sweep.json`: what the sweep is (axes, seeds, spec hash, shard), for `merge`.
//!
//! `--shard k/n` runs the tasks whose canonical index i has i mod n = k − 1; `merge`
//! unions shards' rows and records and rewrites the tables, byte-identical to an unsharded
//! run.
//!
//! # Files
//!
//! `expr.rs` (the derived-key grammar), `spec.rs` (the parsed file, its cells
//! and tasks), `exec.rs` (running and resuming), `tables.rs` (the CSV and JSON outputs and
//! the reader), `merge.rs` (combining shards). Progress goes to an observer
//! ([`crate::exec::progress`]); nothing here prints.

mod exec;
mod expr;
mod merge;
mod spec;
mod tables;

use std::path::PathBuf;

use crate::io::lock::LockHolder;

pub use self::exec::{prepare, run_sweep, sweep_jobs, PreparedSweep};
pub use self::expr::Expr;
pub use self::merge::{merge, Merged};
pub use self::spec::{value_text, Cell, SweepSpec, Task};
pub use self::tables::{SweepMeta, SweepTable};
pub use crate::exec::record::{run_metrics, steps_to_align, RunRecord, ALIGN_THRESHOLD};
pub use crate::exec::shard::Shard;

/// Options of [`run_sweep`].
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions {
    /// Simulations side by side.
    pub jobs: usize,
    /// Run only this slice.
    pub shard: Option<Shard>,
    /// Replace the tables of another sweep of the same name in the folder (otherwise
    /// refused; `decouple sweep --force`).
    pub replace: bool,
}

/// What [`run_sweep`] did.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// `<out>/<name>`.
    pub dir: PathBuf,
    /// Runs simulated now.
    pub ran: usize,
    /// Runs found finished and skipped.
    pub skipped: usize,
    /// Rows written to `sweep.csv`.
    pub rows: usize,
    /// Run records found corrupt or truncated (reported to the observer, then recomputed).
    pub corrupt: usize,
    /// The stale lock (of a dead process on this host) removed to take the folder's lock.
    pub replaced_lock: Option<LockHolder>,
}
