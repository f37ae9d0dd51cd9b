//! Running a sweep: each (cell, seed) task simulated (or resumed from its `record.json`)
//! and its record written, then the sweep's tables rewritten from every record.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::spec::{value_text, SweepSpec, Task};
use super::tables::{meta_of, write_tables, Row};
use super::{SweepOptions, SweepOutcome};
use crate::config::Settings;
use crate::error::Result;
use crate::io::hash::settings_hash;
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

fn load_record(dir: &Path, hash: &str) -> Option<RunRecord> {
    let text = std::fs::read_to_string(dir.join("runs").join(hash).join("record.json")).ok()?;
    let r: RunRecord = serde_json::from_str(&text).ok()?;
    (r.hash == hash).then_some(r)
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
}

/// The resume mechanism shared by sweeps and the report's ablations: read the record of
/// every task that has one under `dir/runs/<hash>/`, simulate the others on `jobs`
/// threads, and tell `progress` of each finished or failed run (labelled by `label`) and
/// of the count of finished simulations.
fn resume(
    dir: &Path,
    tasks: &[&Task],
    jobs: usize,
    progress: Progress<'_>,
    label: impl Fn(&Task) -> String + Sync,
) -> Result<Resumed> {
    let mut records: Vec<Option<RunRecord>> = tasks.iter().map(|t| load_record(dir, &t.hash)).collect();
    let pending: Vec<usize> = (0..tasks.len()).filter(|&k| records[k].is_none()).collect();
    let total = pending.len();
    let results = parallel::map(
        &pending,
        jobs,
        |&k| {
            let t = tasks[k];
            let r = run_task(dir, t);
            let label = label(t);
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
    for (&k, r) in pending.iter().zip(results) {
        records[k] = Some(r?);
    }
    Ok(Resumed {
        records: records
            .into_iter()
            .map(|r| r.expect("every task resumed or ran"))
            .collect(),
        ran: total,
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
    let resumed = resume(&dir, &selected, opts.jobs, progress, |t| cells[t.cell].label())?;
    let meta = meta_of(spec, &tasks, opts.shard)?;
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
    Ok(resume(dir, &refs, jobs, progress, |t| t.settings.name.clone())?.records)
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
