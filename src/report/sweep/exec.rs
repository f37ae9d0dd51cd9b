//! Running a sweep: each (cell, seed) task simulated (or resumed from its `record.json`)
//! and its record written, then the sweep's tables rewritten from every record.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::spec::{value_text, SweepSpec, Task};
use super::tables::{meta_of, write_tables, Row};
use super::{SweepOptions, SweepOutcome};
use crate::config::Settings;
use crate::error::Result;
use crate::io::hash::settings_hash;
use crate::io::lock::lock_dir;
use crate::io::{self, write_atomic};
use crate::parallel;
use crate::report::progress::{Progress, ProgressEvent};
use crate::sim::summary::{Metric, Summary};
use crate::sim::train::executor::{self, LogRow, RunOutput, Silent};

/// Alignment threshold of the `steps_to_align` metric.
pub const ALIGN_THRESHOLD: f64 = 0.5;

/// A finished run, `runs/<hash>/record.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// The settings hash (also the folder name).
    pub hash: String,
    /// Seed.
    pub seed: u64,
    /// Metric name, value as text (Rust's shortest round-trip form; `NaN` allowed).
    pub metrics: Vec<(String, String)>,
    /// Wall time of the run (not in `sweep.csv`, which must not depend on the machine).
    pub wall_seconds: f64,
    /// The resolved settings.
    pub settings: serde_json::Value,
}

/// First logged step at which the median alignment exceeds `threshold` (NaN if never).
pub fn steps_to_align(log: &[LogRow], threshold: f64) -> f64 {
    log.iter()
        .find(|r| r.features.align_median > threshold)
        .map_or(f64::NAN, |r| r.step as f64)
}

/// The metrics a sweep records for a run: [`RunOutput::summary`] plus
/// `one_minus_noise_cos` and `steps_to_align` (first logged step with median alignment
/// above [`ALIGN_THRESHOLD`]).
pub fn run_metrics(out: &RunOutput) -> Summary {
    let mut rows = out.summary();
    let cos = out.final_features.summary.noise_cos_mean;
    rows.push(Metric::OneMinusNoiseCos, 1.0 - cos);
    rows.push(Metric::StepsToAlign, steps_to_align(&out.log, ALIGN_THRESHOLD));
    rows
}

/// What was found at `runs/<hash>/record.json`.
pub(super) enum Found {
    /// A record of this run.
    Record(RunRecord),
    /// No record: the run has not finished.
    Missing,
    /// A file that is not a record of this run (truncated, corrupt, another run's): why.
    Corrupt(String),
}

fn record_path(dir: &Path, hash: &str) -> PathBuf {
    dir.join("runs").join(hash).join("record.json")
}

pub(super) fn load_record(dir: &Path, hash: &str) -> Found {
    let text = match std::fs::read(record_path(dir, hash)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Missing,
        Err(e) => return Found::Corrupt(format!("cannot read it: {e}")),
    };
    match serde_json::from_slice::<RunRecord>(&text) {
        Ok(r) if r.hash == hash => Found::Record(r),
        Ok(r) => Found::Corrupt(format!("it is the record of run {}", r.hash)),
        Err(e) => Found::Corrupt(format!("not a run record ({e})")),
    }
}

fn run_task(dir: &Path, task: &Task) -> Result<RunRecord> {
    let out = executor::run(&task.settings, &mut Silent)?;
    let run_dir = dir.join("runs").join(&task.hash);
    io::write_run(&run_dir, &out, None)?;
    let rec = RunRecord {
        hash: task.hash.clone(),
        seed: task.seed,
        metrics: run_metrics(&out)
            .rows()
            .iter()
            .map(|(k, v)| (k.name().to_string(), v.to_string()))
            .collect(),
        wall_seconds: out.wall_seconds,
        settings: serde_json::to_value(&task.settings)?,
    };
    write_atomic(&run_dir.join("record.json"), &serde_json::to_vec_pretty(&rec)?)?;
    Ok(rec)
}

/// What [`resume`] found and did.
struct Resumed {
    /// One record per task, in task order.
    records: Vec<RunRecord>,
    /// Tasks simulated now.
    ran: usize,
    /// Records found corrupt (reported, then recomputed).
    corrupt: usize,
}

/// How one task is simulated and recorded ([`run_task`]; a test swaps in a faulty one).
type Runner<'a> = &'a (dyn Fn(&Path, &Task) -> Result<RunRecord> + Sync);

/// The resume mechanism shared by sweeps and the report's ablations: read the record of
/// every task that has one under `dir/runs/<hash>/`, simulate the others on `jobs`
/// threads, and tell `progress` of each corrupt record (then recomputed), of each
/// finished or failed run (labelled by `label`) and of the count of finished
/// simulations. A run that fails or panics is reported with its label and seed while the
/// others run on and are saved; the first failure is then returned.
fn resume(
    dir: &Path,
    tasks: &[&Task],
    jobs: usize,
    progress: Progress<'_>,
    label: impl Fn(&Task) -> String + Sync,
    run: Runner<'_>,
) -> Result<Resumed> {
    let mut corrupt = 0;
    let mut records: Vec<Option<RunRecord>> = Vec::with_capacity(tasks.len());
    for t in tasks {
        records.push(match load_record(dir, &t.hash) {
            Found::Record(r) => Some(r),
            Found::Missing => None,
            Found::Corrupt(reason) => {
                corrupt += 1;
                progress(ProgressEvent::RecordCorrupt {
                    path: &record_path(dir, &t.hash),
                    reason: &reason,
                });
                None
            }
        });
    }
    let pending: Vec<usize> = (0..tasks.len()).filter(|&k| records[k].is_none()).collect();
    let total = pending.len();
    let results = parallel::map(
        &pending,
        jobs,
        |&k| {
            let t = tasks[k];
            let label = label(t);
            let r = parallel::caught(|| label.clone(), t.seed, || run(dir, t));
            match &r {
                Ok(rec) => progress(ProgressEvent::RunFinished {
                    label: &label,
                    seed: t.seed,
                    wall_seconds: rec.wall_seconds,
                }),
                Err(error) => progress(ProgressEvent::RunFailed {
                    label: &label,
                    seed: t.seed,
                    error,
                }),
            }
            r
        },
        |done| progress(ProgressEvent::Advanced { done, total }),
    );
    let mut first_error = None;
    for (&k, r) in pending.iter().zip(results) {
        match r {
            Ok(rec) => records[k] = Some(rec),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(Resumed {
        records: records
            .into_iter()
            .map(|r| r.expect("every task resumed or ran"))
            .collect(),
        ran: total,
        corrupt,
    })
}

/// Run (or resume) a sweep, or one shard of it, into `<out>/<name>/`. `progress` hears of
/// each finished or failed run ([`ProgressEvent::RunFinished`], [`ProgressEvent::RunFailed`],
/// labelled with the cell) and of the count of finished simulations
/// ([`ProgressEvent::Advanced`], out of those not resumed).
pub fn run_sweep(spec: &SweepSpec, out: &Path, opts: &SweepOptions, progress: Progress<'_>) -> Result<SweepOutcome> {
    let dir = out.join(&spec.name);
    let tasks = spec.tasks()?;
    let selected: Vec<&Task> = tasks
        .iter()
        .filter(|t| opts.shard.is_none_or(|s| s.selects(t.index)))
        .collect();
    let cells = spec.cells();
    let lock = lock_dir(&dir)?;
    // What the sweep is, written first: a merge can read an unfinished shard's runs.
    let meta = meta_of(spec, &tasks, opts.shard)?;
    write_atomic(&dir.join("sweep.json"), &serde_json::to_vec_pretty(&meta)?)?;
    let resumed = resume(
        &dir,
        &selected,
        opts.jobs,
        progress,
        |t| cells[t.cell].label(),
        &run_task,
    )?;
    let rows: Vec<Row> = selected
        .iter()
        .zip(&resumed.records)
        .map(|(t, rec)| Row {
            cell: t.cell,
            cell_values: cells[t.cell].values.iter().map(|(_, v)| value_text(v)).collect(),
            seed: t.seed,
            metrics: rec.metrics.clone(),
            hash: t.hash.clone(),
        })
        .collect();
    let n = rows.len();
    write_tables(&dir, &meta, &rows)?;
    Ok(SweepOutcome {
        dir,
        ran: resumed.ran,
        skipped: n - resumed.ran,
        rows: n,
        corrupt: resumed.corrupt,
        replaced_lock: lock.replaced.clone(),
    })
}

/// Run (or resume) a list of fully resolved settings into `dir/runs/<hash>/` (the same
/// records as a sweep's): for the report's ablations. Returns the records in order.
/// `progress` hears of each finished or failed run (labelled with the experiment's name)
/// and of the count of finished simulations.
pub fn run_or_resume(dir: &Path, runs: &[Settings], jobs: usize, progress: Progress<'_>) -> Result<Vec<RunRecord>> {
    let tasks = runs
        .iter()
        .enumerate()
        .map(|(index, s)| {
            Ok(Task {
                index,
                cell: index,
                seed: s.seed,
                settings: s.clone(),
                hash: settings_hash(s)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&Task> = tasks.iter().collect();
    Ok(resume(dir, &refs, jobs, progress, |t| t.settings.name.clone(), &run_task)?.records)
}

impl RunRecord {
    /// A metric by name (NaN if absent).
    pub fn metric(&self, metric: Metric) -> f64 {
        self.metrics
            .iter()
            .find(|(k, _)| k == metric.name())
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    /// A panic in one simulation of a parallel batch: reported with its cell and seed,
    /// the others finish and are saved, and a rerun does only the failed one.
    #[test]
    fn a_panicking_run_is_reported_and_the_others_are_saved() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = SweepSpec::from_toml_str(SWEEP, Path::new("faulty.toml")).unwrap();
        let tasks = spec.tasks().unwrap();
        let refs: Vec<&Task> = tasks.iter().collect();
        let cells = spec.cells();
        let failed = Mutex::new(Vec::new());
        let observe = |e: ProgressEvent<'_>| {
            if let ProgressEvent::RunFailed { label, seed, error } = e {
                failed.lock().unwrap().push(format!("{label} {seed}: {error}"));
            }
        };
        let faulty = |dir: &Path, t: &Task| -> Result<RunRecord> {
            assert!(t.index != 4, "injected fault in task {}", t.index);
            run_task(dir, t)
        };
        let err = resume(tmp.path(), &refs, 2, &observe, |t| cells[t.cell].label(), &faulty)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("augmentation.kind=random_mask seed 8 panicked: injected fault in task 4"),
            "{err}"
        );
        assert_eq!(failed.lock().unwrap().len(), 1, "{:?}", failed.lock().unwrap());
        for t in &tasks {
            let saved = matches!(load_record(tmp.path(), &t.hash), Found::Record(_));
            assert_eq!(saved, t.index != 4, "task {}", t.index);
        }
        let again = resume(
            tmp.path(),
            &refs,
            2,
            &silent_events,
            |t| cells[t.cell].label(),
            &run_task,
        )
        .unwrap();
        assert_eq!((again.ran, again.records.len()), (1, 6));
    }

    fn silent_events(_: ProgressEvent<'_>) {}
}
