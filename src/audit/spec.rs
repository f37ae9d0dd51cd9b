//! The audit file: which experiments the runs start from, the seeds, the sweeps over d,
//! the Monte Carlo sizes and, per claim, the expected verdict and the thresholds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::audit::check::Verdict;
use crate::config::{Config, Precision};
use crate::error::{Error, Result};
use crate::sim::sampling::{DataModelSizes, DecouplingSizes};

/// Expected verdict and thresholds of one claim.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClaimSpec {
    /// What the audit is expected to conclude (a changed verdict fails `cargo test`).
    pub expect: Verdict,
    /// Why, when the expectation is not `reproduced` (required then).
    #[serde(default)]
    pub reason: Option<String>,
    /// Named thresholds (numbers); each claim reads them into its own typed struct,
    /// which rejects missing and unknown keys.
    #[serde(flatten)]
    pub thresholds: BTreeMap<String, f64>,
}

/// The paired main runs (both arms, same seeds).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MainSpec {
    /// Experiment file of the RandomMask arm (relative to the audit file).
    pub aug: PathBuf,
    /// Experiment file of the no-augmentation arm.
    pub no_aug: PathBuf,
}

/// A sweep over d of one arm, derived from that arm's main experiment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The values of d (the main experiment's d is added for the RandomMask sweep).
    pub d: Vec<usize>,
    /// d1 = round(d1_factor · d^d1_power).
    pub d1_factor: f64,
    /// See `d1_factor`.
    pub d1_power: f64,
    /// m = m_per_d · d.
    pub m_per_d: usize,
    /// SGD steps (default: the main experiment's).
    pub steps: Option<usize>,
    /// Seeds (default: the audit's).
    pub seeds: Option<Vec<u64>>,
}

/// RandomMask at one d with several widths m = k·d: the o(m/d) half of the coverage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MSweepSpec {
    /// The one d.
    pub d: usize,
    /// d1 = round(d1_factor · d^d1_power).
    pub d1_factor: f64,
    /// See `d1_factor`.
    pub d1_power: f64,
    /// The values of k in m = k·d (at least three: the claim fits a slope).
    pub m_per_d: Vec<usize>,
    /// SGD steps (default: the main experiment's).
    pub steps: Option<usize>,
    /// Seeds (default: the audit's).
    pub seeds: Option<Vec<u64>>,
}

/// One regime of d1 for the data-model claims: d1 = round(d1_factor · d^d1_power).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataRegimeSpec {
    /// Its name in the tables (e.g. `d1 = d^2`).
    pub name: String,
    /// See the type.
    pub d1_factor: f64,
    /// See the type.
    pub d1_power: f64,
}

/// The data model alone: the values of d, the samples per d, and the regimes of d1 each
/// data-model claim is checked in (the theory's d1 = poly(d), and the trained runs' d1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// The values of d (at least three: the claims fit slopes).
    pub d: Vec<usize>,
    /// Samples per d and regime.
    pub samples: usize,
    /// The regimes of d1.
    pub regimes: Vec<DataRegimeSpec>,
}

impl DataSpec {
    /// The sampling sizes of each regime, with its name.
    pub fn regimes(&self) -> Vec<(String, DataModelSizes)> {
        self.regimes
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    DataModelSizes {
                        d: self.d.clone(),
                        d1_factor: r.d1_factor,
                        d1_power: r.d1_power,
                        samples: self.samples,
                    },
                )
            })
            .collect()
    }
}

/// A whole audit file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditFile {
    /// Name (output folder).
    pub name: String,
    /// Family-wise error rate, split evenly over all statistical checks (Bonferroni).
    pub alpha: f64,
    /// Seeds of the trained-network claims.
    pub seeds: Vec<u64>,
    /// The paired main runs.
    pub main: MainSpec,
    /// RandomMask at more values of d.
    pub aug_sweep: SweepSpec,
    /// No augmentation at more values of d.
    pub na_sweep: SweepSpec,
    /// RandomMask runs long enough for the scaled time window (one d).
    pub time_window: SweepSpec,
    /// RandomMask at one d over m (the o(m/d) bound of the coverage).
    pub m_sweep: MSweepSpec,
    /// The data model alone.
    pub data: DataSpec,
    /// The RandomMask identity.
    pub decoupling: DecouplingSizes,
    /// Per claim id: expectation and thresholds.
    pub claims: BTreeMap<String, ClaimSpec>,
    /// The SGD step's precision for every simulation, overriding the experiment files'
    /// (`decouple audit --precision f32`; docs/THEORY.md §4.9). Not read from the file.
    #[serde(skip)]
    pub precision: Option<Precision>,
    /// Where the file was read from (for resolving experiment paths).
    #[serde(skip)]
    pub origin: PathBuf,
}

impl AuditFile {
    /// Read an audit file and validate its sizes (the claims' entries are checked by
    /// [`AuditFile::from_file`], which the audit module adds on top of this).
    pub(crate) fn parse_file(path: &Path) -> Result<Self> {
        let text = crate::config::read_text(path)?;
        let mut a: AuditFile = toml::from_str(&text).map_err(|e| Error::ConfigParse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        a.origin = path.to_path_buf();
        a.validate()?;
        Ok(a)
    }

    fn validate(&self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(invalid("alpha", self.alpha, "must be in (0, 1)"));
        }
        if self.seeds.len() < 2 {
            return Err(invalid(
                "seeds",
                self.seeds.len(),
                "at least two seeds are needed for a t test",
            ));
        }
        if self.time_window.d.len() != 1 {
            return Err(invalid(
                "time_window.d",
                self.time_window.d.len(),
                "must name exactly one d",
            ));
        }
        for (key, s) in [
            ("aug_sweep", &self.aug_sweep),
            ("na_sweep", &self.na_sweep),
            ("time_window", &self.time_window),
        ] {
            if s.d.is_empty() || s.seeds.as_ref().is_some_and(|v| v.len() < 2) {
                return Err(invalid(key, "[]", "needs values of d and at least two seeds"));
            }
        }
        if self.m_sweep.m_per_d.len() < 3 || self.m_sweep.m_per_d.contains(&0) {
            return Err(invalid(
                "m_sweep.m_per_d",
                self.m_sweep.m_per_d.len(),
                "a slope needs at least three positive values of m/d",
            ));
        }
        if self.m_sweep.seeds.as_ref().is_some_and(|v| v.len() < 2) {
            return Err(invalid("m_sweep.seeds", "[]", "needs at least two seeds"));
        }
        if self.data.regimes.is_empty() {
            return Err(invalid("data.regimes", "[]", "name at least one regime of d1"));
        }
        if self.data.d.len() < 3 {
            return Err(invalid(
                "data.d",
                self.data.d.len(),
                "a slope needs at least three values of d",
            ));
        }
        Ok(())
    }

    /// The seeds with `--seeds K` applied (1..=K), if given.
    pub fn with_seed_count(mut self, k: Option<usize>) -> Result<Self> {
        if let Some(k) = k {
            if k < 2 {
                return Err(invalid("--seeds", k, "at least two seeds are needed for a t test"));
            }
            self.seeds = (1..=k as u64).collect();
        }
        Ok(self)
    }

    /// Every simulation's step in `precision` (None: as the experiment files say).
    pub fn with_precision(mut self, precision: Option<Precision>) -> Self {
        self.precision = precision;
        self
    }

    /// The experiment file `rel` (relative to the audit file), read and parsed.
    pub(crate) fn experiment(&self, rel: &Path) -> Result<Config> {
        let base = self.origin.parent().unwrap_or(Path::new("."));
        Config::from_file(&base.join(rel))
    }
}

/// An [`Error::InvalidParam`] for the audit file's `key`.
pub(crate) fn invalid(key: &'static str, value: impl std::fmt::Display, reason: &'static str) -> Error {
    Error::InvalidParam {
        key,
        value: value.to_string(),
        reason,
    }
}
