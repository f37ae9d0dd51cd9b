//! The audit file: which experiments the runs start from, the seeds, the sweeps over d,
//! the Monte Carlo sizes and, per claim, the expected verdict and the thresholds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::audit::check::Verdict;
use crate::config::{set_path, Config, Override, Precision, SizeRule};
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
    /// The family of d1 the main runs belong to, d1 = round(d1_factor · d^d1_power): both
    /// experiment files must have that d1 at their d (checked), and the regime's
    /// hypotheses are judged by it (docs/THEORY.md §3.1).
    pub d1_factor: f64,
    /// See `d1_factor`.
    pub d1_power: f64,
    /// Seeds of the RandomMask arm (default: the audit's `seeds`, which the
    /// no-augmentation arm uses; the paired checks use the seeds both arms have). More
    /// seeds where a check needs them to reach its confidence at all (its power).
    #[serde(default)]
    pub aug_seeds: Option<Vec<u64>>,
}

impl MainSpec {
    /// The family of d1 of the main runs.
    pub fn d1_rule(&self) -> SizeRule {
        SizeRule::new(self.d1_factor, self.d1_power)
    }
}

/// The preconditions a run must meet to enter a check (docs/THEORY.md §3.1).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PreconditionSpec {
    /// The decomposition has formed in a run when, at its last logged step, the median
    /// alignment exceeds this, ...
    pub formed_align_min: f64,
    /// ... the median share of ‖w_i‖² on span(M) is at least this, and every atom is
    /// covered. Only formed runs enter a trend, sweep or window check; the others are
    /// reported beside the fit.
    pub formed_share_min: f64,
    /// The data model's hypothesis d1 = poly(d) ≫ d holds for a family d1 = c·d^γ when
    /// γ exceeds this (1: linear growth keeps ‖ξ‖² ≈ c·√(ln d), not poly(d)).
    pub d1_power_min: f64,
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
    /// Or SGD steps scaled with the formation time, ∝ d/η: round(steps_per_d · d / η)
    /// (docs/THEORY.md §4.11; exclusive with `steps`).
    #[serde(default)]
    pub steps_per_d: Option<f64>,
    /// Seeds (default: the audit's).
    pub seeds: Option<Vec<u64>>,
}

impl SweepSpec {
    /// d1 = round(d1_factor · d^d1_power).
    pub fn d1_rule(&self) -> SizeRule {
        SizeRule::new(self.d1_factor, self.d1_power)
    }

    /// The SGD steps at `d` with learning rate `lr` (None: the main experiment's).
    pub fn steps_at(&self, d: usize, lr: f64) -> Option<usize> {
        self.steps
            .or_else(|| self.steps_per_d.map(|k| (k * d as f64 / lr).round().max(1.0) as usize))
    }
}

/// RandomMask at one d over the temperature τ, in the main experiment's bias rule and
/// weight decay and in variants of them: α ∝ τ and whether α/τ moves with κ and λ
/// (docs/THEORY.md §4.11).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TauSweepSpec {
    /// The one d.
    pub d: usize,
    /// d1 = round(d1_factor · d^d1_power).
    pub d1_factor: f64,
    /// See `d1_factor`.
    pub d1_power: f64,
    /// m = m_per_d · d.
    pub m_per_d: usize,
    /// The temperatures (at least three: the claim fits a slope).
    pub tau: Vec<f64>,
    /// Settings of (κ, λ) run beside the main experiment's, at the middle τ of `tau`
    /// (they report α/τ; the slope over τ is the main experiment's).
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// SGD steps: round(steps_per_d · d / η).
    pub steps_per_d: f64,
    /// Scale the initialisation σ0 with √(τ/τ_main): under the homogeneous bias rule the
    /// runs are then exact transforms of each other (docs/THEORY.md §4.11), and α ∝ √τ
    /// is an integrity test.
    #[serde(default)]
    pub sigma0_with_sqrt_tau: bool,
    /// Seeds (default: the audit's).
    pub seeds: Option<Vec<u64>>,
}

/// One variant of the bias rule and weight decay.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// κ of the bias rule b_i = κ·s·‖w_i‖.
    pub kappa: f64,
    /// λ, the weight decay.
    pub weight_decay: f64,
}

/// The probes' sample sizes in every run of the audit, as the corollary states them:
/// n_train = ⌈c · d · ln d⌉ and a fixed, large n_test (docs/THEORY.md §4.11).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProbeSizes {
    /// c in n_train = ⌈c · d · ln d⌉.
    pub n_train_per_d_ln_d: f64,
    /// Test samples of every probe.
    pub n_test: usize,
}

impl ProbeSizes {
    /// n_train at `d`.
    pub fn n_train(&self, d: usize) -> usize {
        (self.n_train_per_d_ln_d * d as f64 * (d as f64).ln()).ceil() as usize
    }
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

/// The top-level keys of an audit file: a `--set` whose key starts with one of them changes
/// the audit file; any other changes the experiment files its runs start from.
pub const AUDIT_KEYS: [&str; 16] = [
    "name",
    "alpha",
    "seeds",
    "main",
    "preconditions",
    "aug_sweep",
    "na_sweep",
    "poly_sweep",
    "time_window",
    "time_window_lr",
    "tau_sweep",
    "probes",
    "m_sweep",
    "data",
    "decoupling",
    "claims",
];

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
    /// What a run must meet to enter a check.
    pub preconditions: PreconditionSpec,
    /// RandomMask at more values of d.
    pub aug_sweep: SweepSpec,
    /// No augmentation at more values of d.
    pub na_sweep: SweepSpec,
    /// RandomMask in the theorem's d1 = poly(d) regime (d1 = d^1.5), beside the sweep's
    /// d1 = 8d: the probes' trend over d in both.
    pub poly_sweep: SweepSpec,
    /// RandomMask runs long enough for the scaled time window (one d).
    pub time_window: SweepSpec,
    /// The learning rates η of the time-window runs (default: the main experiment's);
    /// each runs `time_window.steps` × (main η / η) steps, so every η covers the same η·t.
    #[serde(default)]
    pub time_window_lr: Vec<f64>,
    /// RandomMask at one d over τ (and variants of κ, λ): the α scale.
    pub tau_sweep: TauSweepSpec,
    /// The probes' sample sizes in every run.
    pub probes: ProbeSizes,
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
    /// `--set` overrides of the experiment files the runs start from (applied to both
    /// `main` files, hence to every series derived from them).
    #[serde(skip)]
    pub experiment_sets: Vec<Override>,
}

impl AuditFile {
    /// Read an audit file and validate its sizes (the claims' entries are checked by
    /// [`AuditFile::from_file`], which the audit module adds on top of this).
    pub(crate) fn parse_file(path: &Path, sets: &[Override]) -> Result<Self> {
        let text = crate::config::read_text(path)?;
        let parse_err = |e: toml::de::Error| Error::ConfigParse {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut t: toml::Table = toml::from_str(&text).map_err(parse_err)?;
        let (own, experiment): (Vec<Override>, Vec<Override>) = sets
            .iter()
            .cloned()
            .partition(|o| AUDIT_KEYS.contains(&o.key.split('.').next().unwrap_or("")));
        for o in &own {
            set_path(&mut t, &o.key, o.value.clone()).map_err(|m| Error::Override {
                text: o.to_string(),
                message: m,
            })?;
        }
        let mut a: AuditFile = t.try_into().map_err(|e: toml::de::Error| match own.last() {
            Some(o) => Error::Override {
                text: o.to_string(),
                message: format!("not a valid audit file {} then: {e}", path.display()),
            },
            None => parse_err(e),
        })?;
        a.origin = path.to_path_buf();
        a.experiment_sets = experiment;
        a.validate()?;
        Ok(a)
    }

    /// Every value the types do not bound, in file order; the first bad one is the error.
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
        self.validate_sweeps()?;
        self.validate_tau_sweep()?;
        self.validate_rest()
    }

    /// The sweeps over d, the time window and its learning rates.
    fn validate_sweeps(&self) -> Result<()> {
        for (key, s) in [
            ("aug_sweep", &self.aug_sweep),
            ("na_sweep", &self.na_sweep),
            ("poly_sweep", &self.poly_sweep),
            ("time_window", &self.time_window),
        ] {
            if s.d.is_empty() || s.seeds.as_ref().is_some_and(|v| v.len() < 2) {
                return Err(invalid(key, "[]", "needs values of d and at least two seeds"));
            }
            if s.steps.is_some() && s.steps_per_d.is_some() {
                return Err(invalid(key, "steps and steps_per_d", "give one of them"));
            }
            if s.steps_per_d.is_some_and(|k| !(k > 0.0 && k.is_finite())) {
                return Err(invalid(key, "steps_per_d", "must be positive"));
            }
        }
        if self.poly_sweep.d.len() < 3 {
            return Err(invalid(
                "poly_sweep.d",
                self.poly_sweep.d.len(),
                "a slope needs at least three values of d",
            ));
        }
        if self.time_window_lr.iter().any(|&l| !(l > 0.0 && l.is_finite())) {
            return Err(invalid("time_window_lr", "[..]", "learning rates must be positive"));
        }
        Ok(())
    }

    /// The sweep over τ and its variants.
    fn validate_tau_sweep(&self) -> Result<()> {
        let t = &self.tau_sweep;
        if t.tau.len() < 3 || t.tau.iter().any(|&v| !(v > 0.0 && v.is_finite())) {
            return Err(invalid(
                "tau_sweep.tau",
                t.tau.len(),
                "a slope needs at least three positive temperatures",
            ));
        }
        if !(t.steps_per_d > 0.0 && t.steps_per_d.is_finite()) || t.seeds.as_ref().is_some_and(|v| v.len() < 2) {
            return Err(invalid(
                "tau_sweep",
                t.steps_per_d,
                "needs steps_per_d > 0 and at least two seeds",
            ));
        }
        if t.variants.iter().any(|v| !(v.kappa >= 0.0 && v.weight_decay >= 0.0)) {
            return Err(invalid(
                "tau_sweep.variants",
                "[..]",
                "kappa and weight_decay must be >= 0",
            ));
        }
        Ok(())
    }

    /// The probes' sizes, the sweep over m and the data model's sizes.
    fn validate_rest(&self) -> Result<()> {
        if !(self.probes.n_train_per_d_ln_d > 0.0 && self.probes.n_train_per_d_ln_d.is_finite())
            || self.probes.n_test == 0
        {
            return Err(invalid(
                "probes",
                self.probes.n_test,
                "needs n_train_per_d_ln_d > 0 and n_test > 0",
            ));
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
        if let Some(extra) = &self.main.aug_seeds {
            if let Some(missing) = self.seeds.iter().find(|s| !extra.contains(s)) {
                return Err(invalid(
                    "main.aug_seeds",
                    missing,
                    "must include every seed of `seeds` (the paired checks pair them)",
                ));
            }
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

    /// The seeds with `--seeds K` applied, if given: K consecutive seeds from the file's
    /// first (the seed policy, [`crate::config::Seeds`]).
    pub fn with_seed_count(mut self, k: Option<usize>) -> Result<Self> {
        if let Some(k) = k {
            if k < 2 {
                return Err(invalid("--seeds", k, "at least two seeds are needed for a t test"));
            }
            let first = self.seeds.first().copied().unwrap_or(1);
            self.seeds = crate::config::Seeds::consecutive(first, k, "--seeds")?.to_vec();
        }
        Ok(self)
    }

    /// Every simulation's step in `precision` (None: as the experiment files say).
    pub fn with_precision(mut self, precision: Option<Precision>) -> Self {
        self.precision = precision;
        self
    }

    /// The experiment file `rel` (relative to the audit file), read and parsed, with the
    /// audit's experiment overrides applied.
    pub(crate) fn experiment(&self, rel: &Path) -> Result<Config> {
        let base = self.origin.parent().unwrap_or(Path::new("."));
        Config::from_file_with(&base.join(rel), &self.experiment_sets)
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
