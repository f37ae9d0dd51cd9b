//! The sections of an experiment file, each with its defaults and its own `check()`.

use serde::{Deserialize, Serialize};

use super::{ensure, ModelSettings, NetworkSettings, TrainSettings};
use crate::error::Result;

/// Which dictionary M to use.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum DictionaryKind {
    /// First d columns of Q from the QR of a d1×d standard Gaussian matrix (docs/THEORY.md §4.1).
    #[default]
    GaussianQr,
    /// The first d columns of the identity: a coordinate-aligned dictionary, under which
    /// RandomMask destroys the sparse correlation (docs/THEORY.md §4.4). For ablations.
    Identity,
}

/// The data model x = Mz + ξ (docs/THEORY.md §1.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Latent dimension d (number of dictionary atoms).
    pub d: usize,
    /// Ambient dimension d1 ≥ d.
    pub d1: usize,
    /// Pr(z_j ≠ 0); default ln(ln d)/d.
    pub p: Option<f64>,
    /// Noise standard deviation σ_ξ; default √(√(ln d)/d) (i.e. σ_ξ² = √(ln d)/d).
    pub sigma_xi: Option<f64>,
    /// Dictionary kind; default `gaussian_qr`.
    #[serde(default)]
    pub dictionary: DictionaryKind,
    /// Values of the nonzero z_j: `sign` (±1, the paper's), `gaussian` (N(0,1)) or
    /// `balanced` (half −1, half +1).
    #[serde(default)]
    pub code: CodeKind,
    /// If set, every z has exactly this many nonzeros (uniform support) instead of
    /// independent Bernoulli(p) coordinates: the peer simulation's model (docs/THEORY.md §4.6).
    pub exact_k: Option<usize>,
}

/// Values of the nonzero coordinates of z.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// ±1 with equal probability (docs/THEORY.md §1.1).
    #[default]
    Sign,
    /// Standard normal (an ablation: a data model other than ±1 sparse coding).
    Gaussian,
    /// ±1 with exactly ⌈k/2⌉ of the k nonzeros −1, at random places among them: with
    /// `exact_k = 2`, one +1 and one −1 (the peer simulation's z, docs/THEORY.md §4.6).
    Balanced,
}

/// The two-layer network of symmetric-threshold neurons (docs/THEORY.md §1.2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Number of neurons m.
    pub m: usize,
    /// Init std σ0 of each weight; default 1/√d1 (so ‖w_i‖ ≈ 1).
    pub sigma0: Option<f64>,
    /// Bias rule b_i = κ · s · ‖w_i‖ (docs/THEORY.md §4.2); κ = 0 gives a linear network.
    #[serde(default = "default_kappa")]
    pub kappa: f64,
    /// Steps at the start with b = 0 (the paper's linear first stage); default 0.
    #[serde(default)]
    pub warmup_steps: usize,
}

fn default_kappa() -> f64 {
    1.0
}

/// Which augmentation produces the two views.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AugmentationKind {
    /// Identical views (x, x): the paper's "no augmentation" arm.
    None,
    /// Complementary RandomMask x⁺ = Dx/q, x⁺⁺ = (I−D)x/(1−q); q = 1/2 is docs/THEORY.md §1.4.
    RandomMask,
    /// Two independent masks x⁺ = D₁x/q, x⁺⁺ = D₂x/q (ablation, docs/THEORY.md §2.5).
    IndependentMask,
    /// Additive Gaussian noise x + ε per view, ε ~ N(0, noise_std² I) (ablation).
    GaussianNoise,
    /// A contiguous cyclic block of q·d1 coordinates vs the rest, crop-like (ablation).
    BlockMask,
}

/// The augmentation section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AugmentationConfig {
    /// `none`, `random_mask`, `independent_mask`, `gaussian_noise` or `block_mask`.
    pub kind: AugmentationKind,
    /// Keep probability q of the masks (default 1/2, the paper's).
    #[serde(default = "default_keep_prob")]
    pub keep_prob: f64,
    /// Std of the additive noise of `gaussian_noise` (default: σ_ξ, set by `check`).
    #[serde(default)]
    pub noise_std: Option<f64>,
}

fn default_keep_prob() -> f64 {
    0.5
}

/// The checked augmentation: every parameter resolved.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AugmentationSettings {
    /// Kind.
    pub kind: AugmentationKind,
    /// Keep probability of the masks.
    pub keep_prob: f64,
    /// Std of the additive noise (`gaussian_noise` only; σ_ξ when not given).
    pub noise_std: f64,
}

/// Online SGD on the contrastive loss (docs/THEORY.md §1.3, §1.5).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Number of SGD steps T.
    pub steps: usize,
    /// Batch size B (fresh samples each step; B − 1 in-batch negatives per anchor).
    pub batch: usize,
    /// Learning rate η.
    pub lr: f64,
    /// Weight decay λ (objective adds λ/2 Σ‖w_i‖²).
    pub weight_decay: f64,
    /// Temperature τ.
    pub tau: f64,
    /// Log the metrics every this many steps (and at the end).
    #[serde(default = "default_log_every")]
    pub log_every: usize,
    /// The type the SGD step's matrices are held in: "f64" (default) or "f32"
    /// (docs/THEORY.md §4.9). Left out of the settings' JSON (and so of their hash) when
    /// f64, so results stored before the setting existed keep their names.
    #[serde(default, skip_serializing_if = "Precision::is_f64")]
    pub precision: Precision,
}

/// The floating-point type of the SGD step (docs/THEORY.md §4.9).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Double precision (the default).
    #[default]
    F64,
    /// Single precision for W, the views, the features and their products; norms, loss
    /// sums, softmax normalisers, metrics and probes stay f64.
    F32,
}

impl Precision {
    /// True for the default, f64.
    pub fn is_f64(&self) -> bool {
        *self == Precision::F64
    }
}

fn default_log_every() -> usize {
    100
}

/// How the learned features are measured (docs/THEORY.md §2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Fresh test samples for the noise-dominance cosine cos(f(x), f(ξ)).
    #[serde(default = "default_eval_samples")]
    pub eval_samples: usize,
    /// Atom j is in N_i when |α_ij| ≥ support_share · max_k |α_ik| (the relative rule: N_i
    /// is never empty; reported as `support_size`).
    #[serde(default = "default_support_share")]
    pub support_share: f64,
    /// The absolute rule of N_i the audit reads the theorem with (docs/THEORY.md §2.2): atom
    /// j is in N_i when |α_ij| ≥ support_floor · √(2 ln d / d1) · ‖w_i‖, a multiple of the
    /// largest coefficient a random direction has on d atoms; N_i may be empty. Left out
    /// of the settings' JSON (and hash) at its default.
    #[serde(default = "default_support_floor", skip_serializing_if = "is_default_support_floor")]
    pub support_floor: f64,
    /// An atom is covered when it is some neuron's best atom with alignment above this.
    #[serde(default = "default_coverage_alignment")]
    pub coverage_alignment: f64,
    /// Which weight arrays a run writes as `.npy` files beside its tables. Left out of the
    /// settings' JSON (and hash) at its default, `none`.
    #[serde(default, skip_serializing_if = "SaveWeights::is_none")]
    pub save_weights: SaveWeights,
}

/// Which weight arrays a run keeps and writes as `.npy` files (`[metrics] save_weights`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SaveWeights {
    /// No arrays (the default): the run's folder holds its tables only.
    #[default]
    None,
    /// The trained W (`W.npy`, m×d1), its biases (`b.npy`, m), the dictionary M (`M.npy`,
    /// d1×d) and the initial weights (`W0.npy`, m×d1).
    Final,
    /// As `final`, and W and b at every logged step (`W_step<k>.npy`, `b_step<k>.npy`).
    Logged,
}

impl SaveWeights {
    /// Is it the default, `none`?
    pub fn is_none(&self) -> bool {
        *self == SaveWeights::None
    }
}

fn default_eval_samples() -> usize {
    1000
}
fn default_support_floor() -> f64 {
    3.0
}
fn is_default_support_floor(v: &f64) -> bool {
    *v == default_support_floor()
}
fn default_support_share() -> f64 {
    0.5
}
fn default_coverage_alignment() -> f64 {
    0.5
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            eval_samples: default_eval_samples(),
            support_share: default_support_share(),
            support_floor: default_support_floor(),
            coverage_alignment: default_coverage_alignment(),
            save_weights: SaveWeights::None,
        }
    }
}

/// The downstream linear probes (docs/THEORY.md §1.6).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// Training samples of each probe.
    #[serde(default = "default_probe_train")]
    pub n_train: usize,
    /// Test samples of each probe.
    #[serde(default = "default_probe_test")]
    pub n_test: usize,
    /// Ridge strengths tried (relative to the mean feature variance); the best on a
    /// 20% hold-out of the training set is refitted on all of it.
    #[serde(default = "default_ridge_grid")]
    pub ridge_grid: Vec<f64>,
    /// L2 strength of the logistic probe (relative, as for ridge).
    #[serde(default = "default_logistic_l2")]
    pub logistic_l2: f64,
}

fn default_probe_train() -> usize {
    1000
}
fn default_probe_test() -> usize {
    2000
}
fn default_ridge_grid() -> Vec<f64> {
    vec![1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
}
fn default_logistic_l2() -> f64 {
    1e-3
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            n_train: default_probe_train(),
            n_test: default_probe_test(),
            ridge_grid: default_ridge_grid(),
            logistic_l2: default_logistic_l2(),
        }
    }
}

impl ModelConfig {
    /// Check d, d1, p, σ_ξ and k; resolve the defaults p = ln(ln d)/d, σ_ξ² = √(ln d)/d.
    pub fn check(&self) -> Result<ModelSettings> {
        let m = self;
        ensure(m.d >= 2, "model.d", m.d, "must be at least 2 (defaults use ln ln d)")?;
        ensure(
            m.d1 >= m.d,
            "model.d1",
            m.d1,
            "must be at least model.d (M is d1×d column-orthonormal)",
        )?;
        let ln_d = (m.d as f64).ln();
        let p = match m.p {
            Some(p) => p,
            None => {
                let lnln = ln_d.ln();
                ensure(
                    lnln > 0.0,
                    "model.p",
                    "default",
                    "default ln(ln d)/d needs d ≥ 3; set model.p",
                )?;
                lnln / m.d as f64
            }
        };
        ensure(p > 0.0 && p <= 1.0, "model.p", p, "must be in (0, 1]")?;
        let sigma_xi = m.sigma_xi.unwrap_or_else(|| (ln_d.sqrt() / m.d as f64).sqrt());
        ensure(
            sigma_xi > 0.0 && sigma_xi.is_finite(),
            "model.sigma_xi",
            sigma_xi,
            "must be > 0",
        )?;
        if let Some(k) = m.exact_k {
            ensure(k >= 1 && k <= m.d, "model.exact_k", k, "must be in 1..=d")?;
        }
        Ok(ModelSettings {
            d: m.d,
            d1: m.d1,
            p,
            sigma_xi,
            dictionary: m.dictionary,
            code: m.code,
            exact_k: m.exact_k,
        })
    }
}

impl AugmentationConfig {
    /// Check the keep probability and noise std (default: the data's σ_ξ).
    pub fn check(&self, sigma_xi: f64) -> Result<AugmentationSettings> {
        let a = self;
        ensure(
            a.keep_prob > 0.0 && a.keep_prob < 1.0,
            "augmentation.keep_prob",
            a.keep_prob,
            "must be in (0, 1)",
        )?;
        let noise_std = a.noise_std.unwrap_or(sigma_xi);
        ensure(
            noise_std > 0.0 && noise_std.is_finite(),
            "augmentation.noise_std",
            noise_std,
            "must be > 0",
        )?;
        Ok(AugmentationSettings {
            kind: a.kind,
            keep_prob: a.keep_prob,
            noise_std,
        })
    }
}

impl NetworkConfig {
    /// Check m, σ0 (default 1/√d1) and κ.
    pub fn check(&self, d1: usize) -> Result<NetworkSettings> {
        let n = self;
        ensure(n.m >= 1, "network.m", n.m, "must be at least 1")?;
        let sigma0 = n.sigma0.unwrap_or(1.0 / (d1 as f64).sqrt());
        ensure(
            sigma0 > 0.0 && sigma0.is_finite(),
            "network.sigma0",
            sigma0,
            "must be > 0",
        )?;
        ensure(
            n.kappa >= 0.0 && n.kappa.is_finite(),
            "network.kappa",
            n.kappa,
            "must be ≥ 0",
        )?;
        Ok(NetworkSettings {
            m: n.m,
            sigma0,
            kappa: n.kappa,
            warmup_steps: n.warmup_steps,
        })
    }
}

impl TrainConfig {
    /// Check T, B, η, λ, τ and the logging interval.
    pub fn check(&self) -> Result<TrainSettings> {
        let t = self;
        ensure(t.steps >= 1, "train.steps", t.steps, "must be at least 1")?;
        ensure(
            t.batch >= 2,
            "train.batch",
            t.batch,
            "must be at least 2 (in-batch negatives)",
        )?;
        ensure(t.lr > 0.0 && t.lr.is_finite(), "train.lr", t.lr, "must be > 0")?;
        ensure(
            t.weight_decay >= 0.0 && t.weight_decay.is_finite(),
            "train.weight_decay",
            t.weight_decay,
            "must be ≥ 0",
        )?;
        ensure(t.tau > 0.0 && t.tau.is_finite(), "train.tau", t.tau, "must be > 0")?;
        ensure(t.log_every >= 1, "train.log_every", t.log_every, "must be at least 1")?;
        Ok(TrainSettings {
            steps: t.steps,
            batch: t.batch,
            lr: t.lr,
            weight_decay: t.weight_decay,
            tau: t.tau,
            log_every: t.log_every,
            precision: t.precision,
        })
    }
}

impl MetricsConfig {
    /// Check the sample count and the two shares.
    pub fn check(&self) -> Result<MetricsConfig> {
        let me = self;
        ensure(
            me.eval_samples >= 1,
            "metrics.eval_samples",
            me.eval_samples,
            "must be at least 1",
        )?;
        ensure(
            me.support_share > 0.0 && me.support_share <= 1.0,
            "metrics.support_share",
            me.support_share,
            "must be in (0, 1]",
        )?;
        ensure(
            me.support_floor > 0.0 && me.support_floor.is_finite(),
            "metrics.support_floor",
            me.support_floor,
            "must be positive",
        )?;
        ensure(
            me.coverage_alignment >= 0.0 && me.coverage_alignment < 1.0,
            "metrics.coverage_alignment",
            me.coverage_alignment,
            "must be in [0, 1)",
        )?;
        Ok(me.clone())
    }
}

impl ProbeConfig {
    /// Check the sample counts and the regularisation strengths.
    pub fn check(&self) -> Result<ProbeConfig> {
        let pr = self;
        ensure(pr.n_train >= 10, "probe.n_train", pr.n_train, "must be at least 10")?;
        ensure(pr.n_test >= 1, "probe.n_test", pr.n_test, "must be at least 1")?;
        ensure(!pr.ridge_grid.is_empty(), "probe.ridge_grid", "[]", "must not be empty")?;
        for &r in &pr.ridge_grid {
            ensure(r > 0.0 && r.is_finite(), "probe.ridge_grid", r, "entries must be > 0")?;
        }
        ensure(
            pr.logistic_l2 > 0.0 && pr.logistic_l2.is_finite(),
            "probe.logistic_l2",
            pr.logistic_l2,
            "must be > 0",
        )?;
        Ok(pr.clone())
    }
}
