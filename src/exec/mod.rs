//! The execution layer: every simulation of the crate is a [`job::Job`] run by one
//! launcher, between the simulation (`sim`) and the layers that ask for runs (the audit,
//! the report, the binary).
//!
//! * [`job`]: a job (settings, what to keep) and what it gives;
//! * [`launch`]: the one launcher (shards, locks, resume, longest first, panics, progress);
//! * [`record`]: what a finished job leaves on disk, and reading it back;
//! * [`pool`]: independent simulations side by side on the cores, a panic caught per run;
//! * [`shard`]: `--shard k/n`, a slice of the jobs;
//! * [`progress`]: what the launcher tells its observer (the library never prints);
//! * [`sweep`]: sweep files, their cells and tasks, their tables, shards and merging.
pub mod job;
pub mod launch;
pub mod pool;
pub mod progress;
pub mod record;
pub mod shard;
pub mod sweep;

pub use self::job::{Job, Keep, Outcome, Work};
pub use self::launch::{Launched, Launcher};
