//! What a finished job leaves on disk, under `DIR/runs/<hash>/` (`<hash>` the FNV-1a hash of
//! the run's fully resolved settings, [`crate::io::hash::settings_hash`]):
//!
//! * [`RunRecord`], `record.json`: the run's summary metrics as text beside its tables
//!   (`metrics.csv`, `alpha.csv`, … as `decouple run` writes them). Sweeps and the report's
//!   ablations keep this much.
//! * [`FullRecord`], `output.bin`: the whole [`RunOutput`] but its settings, every f64 bit
//!   kept (postcard), so that a resumed audit judges exactly what a fresh one would.
//!
//! Each is written last and atomically: its presence marks the run finished. A record
//! that cannot be read (truncated, corrupt, another run's, another [`RESULTS_VERSION`]) is
//! reported and the run simulated again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::io::{self, write_atomic, ExperimentSource};
use crate::sim::floor::LossEval;
use crate::sim::metrics::FeatureReport;
use crate::sim::network::Network;
use crate::sim::probes::{ProbeFeatures, ProbeRow, ProbeTask};
use crate::sim::summary::{Metric, Summary};
use crate::sim::train::executor::{LogRow, RunArrays, RunOutput, Snapshot};

/// Alignment threshold of the `steps_to_align` metric.
pub const ALIGN_THRESHOLD: f64 = 0.5;

/// The version of what a run computes and records. Raise it whenever a change alters what
/// a run computes (a number of any metric, table or record) or what a record stores:
/// records are keyed by the settings alone, and a record written under another version
/// (or none) is reported and recomputed, never reused silently. Both `record.json`
/// ([`RunRecord::results_version`]) and `output.bin` carry it.
pub const RESULTS_VERSION: u32 = 3;

/// The version `output.bin` carries: [`RESULTS_VERSION`] (one constant for both records).
pub const FULL_RECORD_VERSION: u32 = RESULTS_VERSION;

/// The build that computes: the FNV-1a hash of the running executable's bytes, so that a
/// record written by another build (a code change, another machine's binary) is never
/// resumed as if this code had computed it. `unknown` where the executable cannot be read
/// (then only [`FULL_RECORD_VERSION`] guards).
pub fn code_identity() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        std::env::current_exe().and_then(std::fs::read).map_or_else(
            |_| "unknown".into(),
            |b| format!("{:016x}", crate::io::hash::fnv1a64(&b)),
        )
    })
}

/// The first bytes of `output.bin`.
const MAGIC: &[u8; 12] = b"decouple-run";

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
    /// The [`RESULTS_VERSION`] of the code that wrote it (absent in records older than it).
    #[serde(default)]
    pub results_version: Option<u32>,
}

impl RunRecord {
    /// The record of a finished run.
    pub fn of(hash: &str, out: &RunOutput) -> Result<Self> {
        Ok(RunRecord {
            hash: hash.to_string(),
            seed: out.settings.seed,
            metrics: run_metrics(out)
                .rows()
                .iter()
                .map(|(k, v)| (k.name().to_string(), v.to_string()))
                .collect(),
            wall_seconds: out.wall_seconds,
            settings: serde_json::to_value(&out.settings)?,
            results_version: Some(RESULTS_VERSION),
        })
    }

    /// A metric by name (NaN if absent).
    pub fn metric(&self, metric: Metric) -> f64 {
        self.metrics
            .iter()
            .find(|(k, _)| k == metric.name())
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

/// First logged step at which the median alignment exceeds `threshold` (NaN if never).
pub fn steps_to_align(log: &[LogRow], threshold: f64) -> f64 {
    log.iter()
        .find(|r| r.features.align_median > threshold)
        .map_or(f64::NAN, |r| r.step as f64)
}

/// The metrics a record keeps of a run: [`RunOutput::summary`] plus
/// `one_minus_noise_cos` and `steps_to_align` (first logged step with median alignment
/// above [`ALIGN_THRESHOLD`]).
pub fn run_metrics(out: &RunOutput) -> Summary {
    let mut rows = out.summary();
    let cos = out.final_features.summary.noise_cos_mean;
    rows.push(Metric::OneMinusNoiseCos, 1.0 - cos);
    rows.push(Metric::StepsToAlign, steps_to_align(&out.log, ALIGN_THRESHOLD));
    rows
}

/// What was found where a record should be.
pub enum Found<R> {
    /// A record of this run.
    Record(R),
    /// No record: the run has not finished.
    Missing,
    /// A file that is not a record of this run (truncated, corrupt, another run's): why.
    Corrupt(String),
}

/// `dir/runs/<hash>`.
pub fn run_dir(dir: &Path, hash: &str) -> PathBuf {
    dir.join("runs").join(hash)
}

/// `dir/runs/<hash>/record.json`.
pub fn record_path(dir: &Path, hash: &str) -> PathBuf {
    run_dir(dir, hash).join("record.json")
}

/// `dir/runs/<hash>/output.bin`.
pub fn full_path(dir: &Path, hash: &str) -> PathBuf {
    run_dir(dir, hash).join("output.bin")
}

fn read(path: &Path) -> std::result::Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read it: {e}")),
    }
}

/// The record of run `hash` under `dir`, if there is a sound one.
pub fn load_record(dir: &Path, hash: &str) -> Found<RunRecord> {
    let bytes = match read(&record_path(dir, hash)) {
        Ok(Some(b)) => b,
        Ok(None) => return Found::Missing,
        Err(why) => return Found::Corrupt(why),
    };
    match serde_json::from_slice::<RunRecord>(&bytes) {
        Ok(r) if r.hash != hash => Found::Corrupt(format!("it is the record of run {}", r.hash)),
        Ok(r) if r.results_version != Some(RESULTS_VERSION) => Found::Corrupt(format!(
            "written by results version {}, this code is {RESULTS_VERSION}",
            r.results_version
                .map_or("none (older than results versions)".into(), |v| v.to_string())
        )),
        Ok(r) => Found::Record(r),
        Err(e) => Found::Corrupt(format!("not a run record ({e})")),
    }
}

/// Write a finished run's tables and its [`RunRecord`] under `dir/runs/<hash>/` (the
/// record last: its presence marks the run finished); the manifest names `sources` and the
/// process's command line.
pub fn store_record(dir: &Path, hash: &str, out: &RunOutput, sources: &[ExperimentSource]) -> Result<RunRecord> {
    let rd = run_dir(dir, hash);
    io::write_run(&rd, out, Some(io::provenance::command_line()), sources)?;
    let rec = RunRecord::of(hash, out)?;
    write_atomic(&rd.join("record.json"), &serde_json::to_vec_pretty(&rec)?)?;
    Ok(rec)
}

/// One probe's result as stored (its `metric` follows from the task).
#[derive(Serialize, Deserialize)]
struct StoredProbe {
    features: ProbeFeatures,
    task: ProbeTask,
    value: f64,
    n_train: usize,
    n_test: usize,
    reg: f64,
    converged: bool,
    note: String,
}

/// Everything of a [`RunOutput`] but its settings (which the job that loads it has).
#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    code: String,
    hash: String,
    log: Vec<LogRow>,
    final_features: FeatureReport,
    init_features: FeatureReport,
    probes: Vec<StoredProbe>,
    final_loss: f64,
    loss_eval: LossEval,
    #[serde(with = "crate::sim::linalg::mat_serde")]
    network: faer::Mat<f64>,
    bias: Vec<f64>,
    wall_seconds: f64,
    step_seconds: f64,
    arrays: Option<StoredArrays>,
    controls: crate::sim::controls::Controls,
}

/// The arrays `[metrics] save_weights` keeps ([`RunArrays`]), every bit.
#[derive(Serialize, Deserialize)]
struct StoredArrays {
    #[serde(with = "crate::sim::linalg::mat_serde")]
    dictionary: faer::Mat<f64>,
    #[serde(with = "crate::sim::linalg::mat_serde")]
    init_network: faer::Mat<f64>,
    snapshots: Vec<StoredSnapshot>,
}

/// One [`Snapshot`] as stored.
#[derive(Serialize, Deserialize)]
struct StoredSnapshot {
    step: usize,
    #[serde(with = "crate::sim::linalg::mat_serde")]
    network: faer::Mat<f64>,
    bias: Vec<f64>,
}

impl StoredArrays {
    fn of(a: &RunArrays) -> Self {
        StoredArrays {
            dictionary: a.dictionary.clone(),
            init_network: a.init_network.w.clone(),
            snapshots: a
                .snapshots
                .iter()
                .map(|s| StoredSnapshot {
                    step: s.step,
                    network: s.network.w.clone(),
                    bias: s.bias.clone(),
                })
                .collect(),
        }
    }

    fn into_arrays(self) -> RunArrays {
        RunArrays {
            dictionary: self.dictionary,
            init_network: Network { w: self.init_network },
            snapshots: self
                .snapshots
                .into_iter()
                .map(|s| Snapshot {
                    step: s.step,
                    network: Network { w: s.network },
                    bias: s.bias,
                })
                .collect(),
        }
    }
}

/// The whole output of a run, as `output.bin` keeps it.
pub struct FullRecord;

impl FullRecord {
    /// The bytes of `output.bin` for run `hash`.
    pub fn bytes(hash: &str, out: &RunOutput) -> Result<Vec<u8>> {
        let stored = Stored {
            version: FULL_RECORD_VERSION,
            code: code_identity().to_string(),
            hash: hash.to_string(),
            log: out.log.clone(),
            final_features: out.final_features.clone(),
            init_features: out.init_features.clone(),
            probes: out
                .probes
                .iter()
                .map(|p| StoredProbe {
                    features: p.features,
                    task: p.task,
                    value: p.value,
                    n_train: p.n_train,
                    n_test: p.n_test,
                    reg: p.reg,
                    converged: p.converged,
                    note: p.note.clone(),
                })
                .collect(),
            final_loss: out.final_loss,
            loss_eval: out.loss_eval,
            network: out.network.w.clone(),
            bias: out.bias.clone(),
            wall_seconds: out.wall_seconds,
            step_seconds: out.step_seconds,
            arrays: out.arrays.as_deref().map(StoredArrays::of),
            controls: out.controls.clone(),
        };
        let mut bytes = MAGIC.to_vec();
        bytes.extend(postcard::to_allocvec(&stored).map_err(|e| Error::Record(e.to_string()))?);
        Ok(bytes)
    }

    /// Write `output.bin` of run `hash` under `dir` (atomically).
    pub fn store(dir: &Path, hash: &str, out: &RunOutput) -> Result<()> {
        write_atomic(&full_path(dir, hash), &Self::bytes(hash, out)?)
    }

    /// The output of run `hash` under `dir` with `settings` put back, if its record is sound.
    pub fn load(dir: &Path, hash: &str, settings: &Settings) -> Found<RunOutput> {
        match read(&full_path(dir, hash)) {
            Ok(Some(bytes)) => match Self::decode(&bytes, hash, settings) {
                Ok(out) => Found::Record(out),
                Err(why) => Found::Corrupt(why),
            },
            Ok(None) => Found::Missing,
            Err(why) => Found::Corrupt(why),
        }
    }

    fn decode(bytes: &[u8], hash: &str, settings: &Settings) -> std::result::Result<RunOutput, String> {
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or("not a run record (no `decouple-run` header)")?;
        let s: Stored = postcard::from_bytes(body).map_err(|e| format!("not a run record ({e})"))?;
        if s.version != FULL_RECORD_VERSION {
            return Err(format!(
                "written by results version {}, this code is {FULL_RECORD_VERSION}",
                s.version
            ));
        }
        if s.hash != hash {
            return Err(format!("it is the record of run {}", s.hash));
        }
        if s.code != code_identity() {
            return Err(format!(
                "written by another build of decouple (executable {}, this one {})",
                s.code,
                code_identity()
            ));
        }
        Ok(RunOutput {
            settings: settings.clone(),
            log: s.log,
            final_features: s.final_features,
            init_features: s.init_features,
            probes: s
                .probes
                .into_iter()
                .map(|p| ProbeRow {
                    features: p.features,
                    task: p.task,
                    metric: p.task.statistic(),
                    value: p.value,
                    n_train: p.n_train,
                    n_test: p.n_test,
                    reg: p.reg,
                    converged: p.converged,
                    note: p.note,
                })
                .collect(),
            final_loss: s.final_loss,
            loss_eval: s.loss_eval,
            network: Network { w: s.network },
            bias: s.bias,
            wall_seconds: s.wall_seconds,
            step_seconds: s.step_seconds,
            arrays: s.arrays.map(|a| Box::new(a.into_arrays())),
            controls: s.controls,
        })
    }
}
