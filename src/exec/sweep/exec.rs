//! Running a sweep: its (cell, seed) tasks as jobs of the launcher (each resumed from its
//! `record.json` or simulated and recorded), then the sweep's tables rewritten from every
//! record.

use std::path::{Path, PathBuf};

use super::spec::{value_text, Cell, SweepSpec, Task};
use super::tables::{meta_of, read_meta, write_tables, Row, SweepMeta};
use super::{SweepOptions, SweepOutcome};
use crate::error::{Error, Result};
use crate::exec::job::{Job, Keep, Outcome, Work};
use crate::exec::launch::Launcher;
use crate::exec::progress::Progress;
use crate::exec::shard::Shard;
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
            sources: spec.sources.clone(),
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
///
/// A folder that holds the tables of another sweep (another spec hash: other axes, seeds or
/// base settings under the same name) is refused, naming both, unless `replace`: then its
/// tables are replaced by this sweep's. Run records are kept either way: they are keyed by
/// their fully resolved settings, so any sweep may reuse them.
pub fn prepare(spec: &SweepSpec, out: &Path, shard: Option<Shard>, replace: bool) -> Result<PreparedSweep> {
    let dir = out.join(&spec.name);
    let tasks = spec.tasks()?;
    let lock = lock_dir(&dir)?;
    let meta = meta_of(spec, &tasks, shard)?;
    if dir.join("sweep.json").exists() && !replace {
        let old = read_meta(&dir)?;
        if old.spec_hash != meta.spec_hash {
            return Err(Error::Sweep(format!(
                "{} holds the tables of another sweep named {} (spec hash {}, {} runs, axes {:?}); \
                 this one has spec hash {} ({} runs, axes {:?}). Write it elsewhere (--out, or \
                 --set name=…), or pass --force to replace those tables (the run records under \
                 runs/ are kept: they are keyed by their settings)",
                dir.display(),
                old.name,
                old.spec_hash,
                old.tasks_total,
                old.axes,
                meta.spec_hash,
                meta.tasks_total,
                meta.axes
            )));
        }
    }
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
    let prepared = prepare(spec, out, opts.shard, opts.replace)?;
    let held = prepared.held();
    let launched = Launcher::new(opts.jobs)
        .shard(opts.shard)
        .observe(progress)
        .holding(&held)
        .launch(&prepared.jobs)?;
    prepared.finish(&launched.outcomes, &launched.fresh, launched.corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::exec::launch::{run_job, Launcher};
    use crate::exec::progress::ProgressEvent;
    use crate::exec::record::{self, Found, FullRecord};
    use crate::exec::shard::Shard;
    use crate::exec::Job;
    use std::sync::Mutex;

    const SWEEP: &str = r#"
name = "faulty"
seeds = 3
[base]
name = "b"
seed = 7
[base.model]
d = 6
d1 = 24
[base.network]
m = 12
[base.augmentation]
kind = "random_mask"
[base.train]
steps = 4
batch = 16
lr = 1.0
weight_decay = 1e-4
tau = 0.1
log_every = 2
[base.metrics]
eval_samples = 40
[base.probe]
n_train = 40
n_test = 40
[axes]
"augmentation.kind" = ["none", "random_mask"]
"#;

    fn spec() -> SweepSpec {
        SweepSpec::from_toml_str(SWEEP, Path::new("faulty.toml")).unwrap()
    }

    /// A panic in one simulation of a parallel batch: reported with its label and seed,
    /// the others finish and are saved, and a rerun does only the failed one.
    #[test]
    fn a_panicking_run_is_reported_and_the_others_are_saved() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = spec();
        let jobs = sweep_jobs(&spec, &spec.tasks().unwrap(), tmp.path());
        let failed = Mutex::new(Vec::new());
        let observe = |e: ProgressEvent<'_>| {
            if let ProgressEvent::RunFailed { label, seed, error } = e {
                failed.lock().unwrap().push(format!("{label} {seed}: {error}"));
            }
        };
        let bad = jobs[4].hash.clone();
        let faulty = |j: &Job| -> Result<Outcome> {
            assert!(j.hash != bad, "injected fault in job {}", j.label);
            run_job(j)
        };
        let err = Launcher::new(2)
            .observe(&observe)
            .launch_with(&jobs, &faulty)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("augmentation.kind=random_mask seed 8 panicked: injected fault"),
            "{err}"
        );
        assert_eq!(failed.lock().unwrap().len(), 1, "{:?}", failed.lock().unwrap());
        for j in &jobs {
            let saved = matches!(record::load_record(tmp.path(), &j.hash), Found::Record(_));
            assert_eq!(saved, j.hash != bad, "job {}", j.label);
        }
        let again = Launcher::new(2).launch(&jobs).unwrap();
        assert_eq!((again.ran, again.resumed, again.outcomes.len()), (1, 5, 6));
        assert_eq!(again.fresh.iter().filter(|&&f| f).count(), 1);
    }

    /// Through the launcher: kept whole, a run comes back bit for bit from its `output.bin`; a twin in the same
    /// folder runs once; a corrupt record is reported and rerun; the shard keeps its slice.
    #[test]
    fn full_records_resume_bit_for_bit_and_twins_run_once() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = spec();
        let tasks = spec.tasks().unwrap();
        let keep = Keep::Full(tmp.path().to_path_buf());
        let mut jobs: Vec<Job> = tasks[..2]
            .iter()
            .map(|t| Job::train(t.settings.clone(), keep.clone()).unwrap())
            .collect();
        jobs.push(jobs[0].clone());
        let first = Launcher::new(2).launch(&jobs).unwrap();
        assert_eq!((first.ran, first.resumed), (2, 0));
        let again = Launcher::new(1).launch(&jobs).unwrap();
        assert_eq!((again.ran, again.resumed), (0, 2));
        for (a, b) in first.outcomes.iter().zip(&again.outcomes) {
            let (a, b) = (a.as_ref().unwrap().run().unwrap(), b.as_ref().unwrap().run().unwrap());
            // Every bit (NaN included: the log's first loss is NaN, so no `==` on values).
            assert_eq!(a.network, b.network);
            assert_eq!(a.final_features.alpha, b.final_features.alpha);
            assert_eq!(a.bias, b.bias);
            let (x, y) = (
                FullRecord::bytes(&jobs[0].hash, a).unwrap(),
                FullRecord::bytes(&jobs[0].hash, b).unwrap(),
            );
            let first_difference = x.iter().zip(&y).position(|(p, q)| p != q);
            assert!(
                x.len() == y.len() && first_difference.is_none(),
                "records differ: lengths {} and {}, first at byte {first_difference:?}",
                x.len(),
                y.len()
            );
        }
        // Truncate one record: reported, rerun, the same result.
        let p = record::full_path(tmp.path(), &jobs[1].hash);
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let seen = Mutex::new(Vec::new());
        let observe = |e: ProgressEvent<'_>| {
            if let ProgressEvent::RecordCorrupt { reason, .. } = e {
                seen.lock().unwrap().push(reason.to_string());
            }
        };
        let third = Launcher::new(1).observe(&observe).launch(&jobs).unwrap();
        assert_eq!((third.ran, third.corrupt), (1, 1));
        assert!(
            seen.lock().unwrap()[0].contains("not a run record"),
            "{:?}",
            seen.lock().unwrap()
        );
        // The rerun wrote a sound record again (its wall time is the rerun's).
        assert!(matches!(
            FullRecord::load(tmp.path(), &jobs[1].hash, &jobs[1].settings),
            Found::Record(_)
        ));
        // A shard keeps its slice only.
        let shard = Launcher::new(1)
            .shard(Some(Shard { k: 2, n: 3 }))
            .launch(&jobs)
            .unwrap();
        assert_eq!(
            shard.outcomes.iter().map(Option::is_some).collect::<Vec<_>>(),
            [false, true, false]
        );
    }
}
