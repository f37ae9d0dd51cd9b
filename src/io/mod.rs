//! Files on disk: atomic writes (every file goes to a temporary name and is renamed, so an
//! interrupted run never leaves a truncated file that looks complete), the one CSV style of
//! the crate ([`csv_bytes`], [`finish_csv`]), a run's tables (`metrics.csv`, `neurons.csv`,
//! `alpha.csv`, `probes.csv`, `summary.csv`), its `manifest.json`, and the content hash that
//! names a run by its settings ([`hash`]).

pub mod hash;
pub mod lock;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::sim::summary::{Metric, Summary};
use crate::sim::train::executor::RunOutput;

/// Write `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(wrap)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp).map_err(wrap)?;
        f.write_all(bytes).map_err(wrap)?;
        f.sync_all().map_err(wrap)?;
    }
    std::fs::rename(&tmp, path).map_err(wrap)
}

/// The bytes of a CSV writer that wrote into memory: the one way every table of the
/// crate is finished (the `csv` crate's default style: comma, `\n`, quotes only when needed).
pub fn finish_csv(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    w.into_inner().map_err(|e| Error::Write {
        path: PathBuf::from("<csv buffer>"),
        source: e.into_error(),
    })
}

/// Serialise rows as CSV (header from the first row's field names).
pub fn csv_bytes<T: Serialize>(rows: &[T]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    finish_csv(w)
}

/// `metrics.csv`: `step,loss` then the fields of [`crate::sim::metrics::FeatureSummary`].
pub fn log_bytes(rows: &[crate::sim::train::executor::LogRow]) -> Result<Vec<u8>> {
    let summaries: Vec<_> = rows.iter().map(|r| r.features.clone()).collect();
    let inner = String::from_utf8(csv_bytes(&summaries)?).expect("CSV of numbers is UTF-8");
    let mut out = String::new();
    for (k, line) in inner.lines().enumerate() {
        if k == 0 {
            out.push_str("step,loss,");
        } else {
            let r = &rows[k - 1];
            out.push_str(&format!("{},{},", r.step, r.loss));
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// `metric,value` CSV.
pub fn summary_bytes(summary: &Summary) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["metric", "value"])?;
    for (k, v) in summary.rows() {
        w.write_record([k.name(), &v.to_string()])?;
    }
    finish_csv(w)
}

/// The α = W M matrix as CSV: one row per neuron, columns `neuron,atom_0..atom_{d-1}`.
pub fn alpha_bytes(out: &RunOutput) -> Result<Vec<u8>> {
    let a = &out.final_features.alpha;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["neuron".to_string()];
    header.extend((0..a.ncols()).map(|j| format!("atom_{j}")));
    w.write_record(&header)?;
    for i in 0..a.nrows() {
        let mut rec = vec![i.to_string()];
        rec.extend((0..a.ncols()).map(|j| a[(i, j)].to_string()));
        w.write_record(&rec)?;
    }
    finish_csv(w)
}

/// What was run, for `manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// The fully resolved settings.
    pub settings: crate::config::Settings,
    /// The master seed.
    pub seed: u64,
    /// Crate version.
    pub crate_version: &'static str,
    /// `git rev-parse HEAD` of the source tree, with `-dirty` if it has changes; null if unknown.
    pub git_commit: Option<String>,
    /// Threads each simulation used (always 1: runs are single-threaded for determinism).
    pub threads_per_simulation: usize,
    /// Wall time of the run in seconds.
    pub wall_seconds: f64,
    /// The command line, if given.
    pub command: Option<String>,
}

/// The source tree's git commit, if it can be asked.
pub fn git_commit() -> Option<String> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let head = std::process::Command::new("git")
        .args(["-C", dir, "rev-parse", "HEAD"])
        .output()
        .ok()?;
    if !head.status.success() {
        return None;
    }
    let mut commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let dirty = std::process::Command::new("git")
        .args(["-C", dir, "status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    if dirty {
        commit.push_str("-dirty");
    }
    Some(commit)
}

/// The names of the files [`write_run`] writes.
pub const RUN_FILES: [&str; 6] = [
    "metrics.csv",
    "neurons.csv",
    "alpha.csv",
    "probes.csv",
    "summary.csv",
    "manifest.json",
];

/// Write every table of a run into `dir` (created if needed). `summary.csv` gets the wall
/// time appended; all other files are deterministic in the settings.
pub fn write_run(dir: &Path, out: &RunOutput, command: Option<String>) -> Result<()> {
    // Everything is serialised before the first file is written: an error leaves no files.
    let metrics = log_bytes(&out.log)?;
    let neurons = csv_bytes(&out.final_features.neurons)?;
    let alpha = alpha_bytes(out)?;
    let probes = csv_bytes(&out.probes)?;
    let mut summary = out.summary();
    summary.push(Metric::WallSeconds, out.wall_seconds);
    let summary = summary_bytes(&summary)?;
    let manifest = Manifest {
        settings: out.settings.clone(),
        seed: out.settings.seed,
        crate_version: env!("CARGO_PKG_VERSION"),
        git_commit: git_commit(),
        threads_per_simulation: 1,
        wall_seconds: out.wall_seconds,
        command,
    };
    let manifest = serde_json::to_vec_pretty(&manifest)?;
    for (name, bytes) in RUN_FILES
        .iter()
        .zip([metrics, neurons, alpha, probes, summary, manifest])
    {
        write_atomic(&dir.join(name), &bytes)?;
    }
    Ok(())
}
