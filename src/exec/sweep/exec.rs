//! Running a sweep: its (cell, seed) tasks as jobs of the launcher (each resumed from its
//! `record.json` or simulated and recorded), then the sweep's tables rewritten from every
//! record.

use std::path::{Path, PathBuf};

use super::shard::Shard;
use super::spec::{value_text, Cell, SweepSpec, Task};
use super::tables::{meta_of, write_tables, Row, SweepMeta};
use super::{SweepOptions, SweepOutcome};
use crate::error::Result;
use crate::exec::job::{Job, Keep, Outcome, Work};
use crate::exec::launch::Launcher;
use crate::exec::progress::Progress;
use crate::io::lock::{lock_dir, DirLock};
use crate::io::write_atomic;

/// The jobs of a sweep's tasks, recorded under `dir` and labelled with their cell.
pub fn sweep_jobs(spec: &SweepSpec, tasks: &[Task], dir: &Path) -> Vec<Job> {
    let cells = spec.cells();
    tasks
        .iter()
        .map(|t| Job {
            label: cells[t.cell].label(),
            settings: t.settings.clone(),
            work: Work::Train {
                keep: Keep::Record(dir.to_path_buf()),
            },
            hash: t.hash.clone(),
        })
        .collect()
}

/// A sweep ready to launch: its folder locked, `sweep.json` written (so that a merge can
/// read an unfinished shard's runs), its jobs made.
#[derive(Debug)]
pub struct PreparedSweep {
    /// `<out>/<name>`.
    pub dir: PathBuf,
    /// Every (cell, seed) task, in canonical order.
    pub tasks: Vec<Task>,
    /// One job per task (same order), recorded under `dir`.
    pub jobs: Vec<Job>,
    cells: Vec<Cell>,
    meta: SweepMeta,
    lock: DirLock,
}

/// Lock `<out>/<name>/`, write its `sweep.json` and make the jobs of `spec` (or of one shard).
pub fn prepare(spec: &SweepSpec, out: &Path, shard: Option<Shard>) -> Result<PreparedSweep> {
    let dir = out.join(&spec.name);
    let tasks = spec.tasks()?;
    let lock = lock_dir(&dir)?;
    let meta = meta_of(spec, &tasks, shard)?;
    write_atomic(&dir.join("sweep.json"), &serde_json::to_vec_pretty(&meta)?)?;
    let jobs = sweep_jobs(spec, &tasks, &dir);
    Ok(PreparedSweep {
        dir,
        tasks,
        jobs,
        cells: spec.cells(),
        meta,
        lock,
    })
}

impl PreparedSweep {
    /// The folders whose lock this holds (for [`Launcher::holding`]).
    pub fn held(&self) -> Vec<PathBuf> {
        vec![self.dir.clone()]
    }

    /// Write the sweep's tables from the launcher's outcomes of [`Self::jobs`] (`None` for a
    /// task outside the shard) and say what was done (`fresh`: simulated now; `corrupt`:
    /// records found corrupt and rerun).
    pub fn finish(self, outcomes: &[Option<Outcome>], fresh: &[bool], corrupt: usize) -> Result<SweepOutcome> {
        let rows: Vec<Row> = self
            .tasks
            .iter()
            .zip(outcomes)
            .filter_map(|(t, o)| o.as_ref().map(|o| (t, o)))
            .map(|(t, o)| Row {
                cell: t.cell,
                cell_values: self.cells[t.cell].values.iter().map(|(_, v)| value_text(v)).collect(),
                seed: t.seed,
                metrics: o.record().expect("a sweep job keeps its record").metrics.clone(),
                hash: t.hash.clone(),
            })
            .collect();
        let n = rows.len();
        let ran = fresh.iter().filter(|&&f| f).count();
        write_tables(&self.dir, &self.meta, &rows)?;
        Ok(SweepOutcome {
            dir: self.dir,
            ran,
            skipped: n - ran,
            rows: n,
            corrupt,
            replaced_lock: self.lock.replaced.clone(),
        })
    }
}

/// Run (or resume) a sweep, or one shard of it, into `<out>/<name>/`. `progress` hears of
/// each finished or failed run ([`crate::exec::progress::ProgressEvent::RunFinished`],
/// `RunFailed`, labelled with the cell) and of the count of finished simulations
/// (`Advanced`, out of those not resumed).
pub fn run_sweep(spec: &SweepSpec, out: &Path, opts: &SweepOptions, progress: Progress<'_>) -> Result<SweepOutcome> {
    let prepared = prepare(spec, out, opts.shard)?;
    let held = prepared.held();
    let launched = Launcher::new(opts.jobs)
        .shard(opts.shard)
        .observe(progress)
        .holding(&held)
        .launch(&prepared.jobs)?;
    prepared.finish(&launched.outcomes, &launched.fresh, launched.corrupt)
}
