//! Files on disk: atomic writes (every file goes to a temporary name and is renamed, so an
//! interrupted run never leaves a truncated file that looks complete), the one CSV style of
//! the crate ([`csv_bytes`], [`finish_csv`]), a run's tables (`metrics.csv`, `neurons.csv`,
//! `alpha.csv`, `probes.csv`, `summary.csv`), its `manifest.json`, and the content hash that
//! names a run by its settings ([`hash`]); the `.npy` weight arrays of
//! `[metrics] save_weights` ([`npy`]) and the partial output of a run that diverged
//! ([`write_diverged`]).

pub mod hash;
pub mod lock;
pub mod npy;
pub mod provenance;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use self::provenance::ExperimentSource;
use crate::error::{Error, Result};
use crate::sim::summary::{Metric, Summary};
use crate::sim::train::executor::{DivergedRun, RunOutput};

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

/// What was run, for `manifest.json`. The first seven fields are those of the first
/// manifests (in that order); the provenance fields follow.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// The fully resolved settings.
    pub settings: crate::config::Settings,
    /// The master seed.
    pub seed: u64,
    /// Crate version.
    pub crate_version: &'static str,
    /// The build-time commit of the source tree, with `-dirty` if it had changes; null if
    /// unknown ([`provenance::commit_text`]).
    pub git_commit: Option<String>,
    /// Threads each simulation used (always 1: runs are single-threaded for determinism).
    pub threads_per_simulation: usize,
    /// Wall time of the run in seconds.
    pub wall_seconds: f64,
    /// The command line, if given.
    pub command: Option<String>,
    /// The build and the machine.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The experiment files the run was read from (path, FNV-1a of the bytes).
    pub experiment_files: Vec<ExperimentSource>,
    /// A peer run's `[peer]` parameters (absent for the paper's trainer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<crate::sim::train::peer::PeerParams>,
}

/// The build and the machine behind an output (the fields every manifest carries after
/// `command`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// `git rev-parse HEAD` at build time, or `unknown`.
    pub build_commit: &'static str,
    /// Whether tracked files had changes at build time (null if unknown).
    pub build_dirty: Option<bool>,
    /// Build profile (`release`, `debug`).
    pub build_profile: &'static str,
    /// `rustc -V` of the compiler.
    pub rustc: &'static str,
    /// The CPU's model name (`unknown` without `/proc/cpuinfo`).
    pub cpu_model: String,
    /// Which of avx512f, avx2, fma, neon the CPU has.
    pub cpu_vector_extensions: Vec<String>,
    /// The host name.
    pub host: String,
    /// When the command started (RFC 3339, UTC).
    pub started_utc: &'static str,
}

impl Provenance {
    /// This build on this machine, now.
    pub fn here() -> Self {
        let (cpu_model, cpu_vector_extensions) = provenance::cpu();
        Provenance {
            build_commit: provenance::BUILD_COMMIT,
            build_dirty: provenance::build_dirty(),
            build_profile: provenance::BUILD_PROFILE,
            rustc: provenance::RUSTC_VERSION,
            cpu_model,
            cpu_vector_extensions,
            host: lock::host_name(),
            started_utc: provenance::started_utc(),
        }
    }
}

impl Manifest {
    /// The manifest of a run with `settings` (the provenance of this build and machine).
    pub fn new(
        settings: &crate::config::Settings,
        wall_seconds: f64,
        command: Option<String>,
        sources: &[ExperimentSource],
    ) -> Self {
        Manifest {
            settings: settings.clone(),
            seed: settings.seed,
            crate_version: provenance::CRATE_VERSION,
            git_commit: provenance::commit_text(),
            threads_per_simulation: 1,
            wall_seconds,
            command,
            provenance: Provenance::here(),
            experiment_files: sources.to_vec(),
            peer: None,
        }
    }
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

/// The marker file of a run that diverged ([`write_diverged`]).
pub const DIVERGED_FILE: &str = "DIVERGED";

/// The `.npy` files of a run's weight arrays (`[metrics] save_weights`), name and bytes:
/// none without arrays; `W.npy`, `b.npy`, `M.npy`, `W0.npy`; and `W_step<k>.npy`,
/// `b_step<k>.npy` per kept snapshot.
pub fn array_files(out: &RunOutput) -> Vec<(String, Vec<u8>)> {
    let Some(a) = out.arrays.as_deref() else {
        return Vec::new();
    };
    let mut files = vec![
        ("W.npy".to_string(), npy::matrix_bytes(out.network.w.as_ref())),
        ("b.npy".to_string(), npy::vector_bytes(&out.bias)),
        ("M.npy".to_string(), npy::matrix_bytes(a.dictionary.as_ref())),
        ("W0.npy".to_string(), npy::matrix_bytes(a.init_network.w.as_ref())),
    ];
    for snap in &a.snapshots {
        files.push((
            format!("W_step{}.npy", snap.step),
            npy::matrix_bytes(snap.network.w.as_ref()),
        ));
        files.push((format!("b_step{}.npy", snap.step), npy::vector_bytes(&snap.bias)));
    }
    files
}

/// The manifest of a run of `settings`.
fn manifest_bytes(
    settings: &crate::config::Settings,
    wall_seconds: f64,
    command: Option<String>,
    sources: &[ExperimentSource],
) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec_pretty(&Manifest::new(
        settings,
        wall_seconds,
        command,
        sources,
    ))?)
}

/// Remove `path` if it is there.
fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Write {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Write every table of a run into `dir` (created if needed), and its `.npy` arrays when
/// it kept some ([`array_files`]). `summary.csv` gets the wall time appended; all other
/// files are deterministic in the settings. A `DIVERGED` marker of an earlier run in `dir`
/// is removed. `sources` are the experiment files the run was read from (for the manifest).
pub fn write_run(dir: &Path, out: &RunOutput, command: Option<String>, sources: &[ExperimentSource]) -> Result<()> {
    // Everything is serialised before the first file is written: an error leaves no files.
    let metrics = log_bytes(&out.log)?;
    let neurons = csv_bytes(&out.final_features.neurons)?;
    let alpha = alpha_bytes(out)?;
    let probes = csv_bytes(&out.probes)?;
    let mut summary = out.summary();
    summary.push(Metric::WallSeconds, out.wall_seconds);
    let summary = summary_bytes(&summary)?;
    let manifest = manifest_bytes(&out.settings, out.wall_seconds, command, sources)?;
    let arrays = array_files(out);
    for (name, bytes) in RUN_FILES
        .iter()
        .zip([metrics, neurons, alpha, probes, summary, manifest])
    {
        write_atomic(&dir.join(name), &bytes)?;
    }
    for (name, bytes) in &arrays {
        write_atomic(&dir.join(name), bytes)?;
    }
    remove_if_present(&dir.join(DIVERGED_FILE))
}

/// The text of the `DIVERGED` marker: the step, what was not finite, the rows kept, the
/// suggestion of a smaller `train.lr`.
pub fn diverged_text(d: &DivergedRun) -> String {
    let last = d.log.last().map_or(0, |r| r.step);
    format!(
        "training diverged at step {}: {} is not finite\n\
         metrics.csv holds the {} rows logged before it (steps 0 to {last})\n\
         try a smaller train.lr (this run had train.lr = {})\n",
        d.step,
        d.what,
        d.log.len(),
        d.settings.train.lr
    )
}

/// Write what a run that diverged had measured into `dir`: `metrics.csv` (the rows logged
/// before the divergence), `manifest.json` and the `DIVERGED` marker ([`diverged_text`]).
/// The other tables and arrays of an earlier run in `dir` are removed, so that the folder
/// holds this run only.
pub fn write_diverged(dir: &Path, d: &DivergedRun, command: Option<String>) -> Result<()> {
    let metrics = log_bytes(&d.log)?;
    let manifest = manifest_bytes(&d.settings, d.wall_seconds, command, &[])?;
    for name in RUN_FILES
        .iter()
        .filter(|n| !matches!(**n, "metrics.csv" | "manifest.json"))
    {
        remove_if_present(&dir.join(name))?;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let ours = ["W", "b", "M", "W0"].iter().any(|s| name == format!("{s}.npy"))
                || ((name.starts_with("W_step") || name.starts_with("b_step")) && name.ends_with(".npy"));
            if ours {
                remove_if_present(&e.path())?;
            }
        }
    }
    write_atomic(&dir.join("metrics.csv"), &metrics)?;
    write_atomic(&dir.join("manifest.json"), &manifest)?;
    write_atomic(&dir.join(DIVERGED_FILE), diverged_text(d).as_bytes())
}

/// Write a peer run's `summary.csv` (its metrics, then the wall time) and `manifest.json`
/// (with its `[peer]` parameters) into `dir`.
pub fn write_peer_run(
    dir: &Path,
    out: &crate::sim::train::peer::PeerOutput,
    command: Option<String>,
    sources: &[ExperimentSource],
) -> Result<()> {
    let mut rows = out.summary();
    rows.push(Metric::WallSeconds, out.wall_seconds);
    let summary = summary_bytes(&rows)?;
    let mut manifest = Manifest::new(&out.settings, out.wall_seconds, command, sources);
    manifest.peer = Some(out.params.clone());
    let manifest = serde_json::to_vec_pretty(&manifest)?;
    write_atomic(&dir.join("summary.csv"), &summary)?;
    write_atomic(&dir.join("manifest.json"), &manifest)
}
