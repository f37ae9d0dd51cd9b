//! The peer simulation's variant (Pokle et al., AISTATS 2022), for the ablation table.
//!
//! What differs from this crate's trainer (src/sim/train/solver.rs):
//! * a fixed dataset of `n_samples` draws (exactly `model.exact_k` nonzeros per z), visited
//!   in reshuffled mini-batches for `epochs` epochs (plain SGD, no weight decay in the peer
//!   files);
//! * the bias b_i is a parameter trained by SGD (initialised to `bias_init`), not set by a rule;
//! * SimCLR's symmetric NT-Xent on cosine similarity: with the 2B normalised features
//!   z_k = f(v_k)/‖f(v_k)‖ of both views of a batch, S = ZᵀZ and
//!   L = (1/2B) Σ_a [ −S_{a,π(a)}/τ + log Σ_{k≠a} exp(S_ak/τ) ], π(a) the other view of a's
//!   sample; the gradient flows through both views (no StopGrad).
//!
//! The data model, augmentations and feature metrics are the crate's own.
//!
//! A peer experiment file is an ordinary experiment file plus a `[peer]` table
//! (`n_samples`, `epochs`, optional `bias_init`); its `train.steps` must equal
//! epochs · ⌈n_samples / batch⌉ (so the file states the number of SGD steps it takes).

use std::path::Path;
use std::time::Instant;

use faer::Mat;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::overrides::{self, set_path, Override};
use crate::config::{Config, Settings};
use crate::error::{Error, Result};
use crate::sim::augment::{self, Augmentation};
use crate::sim::data::{Batch, SparseCoding};
pub use crate::sim::loss::nt_xent::{nt_xent_loss_and_grad, PeerGrad};
use crate::sim::metrics::{self, FeatureReport};
use crate::sim::network::Network;
use crate::sim::rng::{self, Purpose};
use crate::sim::summary::{Metric, Summary};
use crate::sim::train::executor::{drive, eval_samples, Silent, Solver};

/// The `[peer]` table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PeerParams {
    /// Size of the fixed training set.
    pub n_samples: usize,
    /// Passes over it.
    pub epochs: usize,
    /// Initial value of every bias (when `bias_init_uniform` is not set).
    #[serde(default)]
    pub bias_init: f64,
    /// If set, every bias starts uniform in [−h, h] with this h, drawn from the Init
    /// stream after W (PyTorch's default for a linear layer's bias is h = 1/√d1).
    #[serde(default)]
    pub bias_init_uniform: Option<f64>,
    /// Drop the last mini-batch of an epoch when it is smaller than `train.batch`
    /// (PyTorch's `DataLoader(drop_last=True)`): ⌊n_samples / batch⌋ steps an epoch.
    #[serde(default)]
    pub drop_last: bool,
}

/// Read a peer experiment file: the settings and the `[peer]` parameters.
pub fn from_file(path: &Path) -> Result<(Settings, PeerParams)> {
    from_file_with(path, &[])
}

/// [`from_file`] with `--set` overrides: `peer.*` keys go to the `[peer]` table, the others
/// to the experiment (checked as [`crate::config::Config::from_file_with`] checks them).
pub fn from_file_with(path: &Path, sets: &[Override]) -> Result<(Settings, PeerParams)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    })?;
    let parse_err = |m: String| Error::ConfigParse {
        path: path.to_path_buf(),
        message: m,
    };
    let mut t: toml::Table = toml::from_str(&text).map_err(|e| parse_err(e.to_string()))?;
    let mut peer = t
        .remove("peer")
        .ok_or_else(|| parse_err("a peer experiment needs a [peer] table (n_samples, epochs)".into()))?;
    let (to_peer, to_experiment): (Vec<Override>, Vec<Override>) =
        sets.iter().cloned().partition(|o| o.key.starts_with("peer."));
    overrides::apply(&mut t, &to_experiment, path)?;
    for o in to_peer {
        if let toml::Value::Table(p) = &mut peer {
            set_path(p, &o.key["peer.".len()..], o.value.clone()).map_err(|m| Error::Override {
                text: o.to_string(),
                message: m,
            })?;
        }
    }
    let params: PeerParams = peer.try_into().map_err(|e| parse_err(format!("[peer]: {e}")))?;
    let cfg: Config = t.try_into().map_err(|e| parse_err(e.to_string()))?;
    let s = cfg.check()?;
    check(&s, &params)?;
    Ok((s, params))
}

/// Steps of one epoch.
pub fn steps_per_epoch(s: &Settings, p: &PeerParams) -> usize {
    if p.drop_last {
        p.n_samples / s.train.batch
    } else {
        p.n_samples.div_ceil(s.train.batch)
    }
}

fn check(s: &Settings, p: &PeerParams) -> Result<()> {
    let bad = |key, value: String, reason| Err(Error::InvalidParam { key, value, reason });
    if p.n_samples < s.train.batch {
        return bad(
            "peer.n_samples",
            p.n_samples.to_string(),
            "must be at least train.batch",
        );
    }
    if p.epochs == 0 {
        return bad("peer.epochs", "0".into(), "must be at least 1");
    }
    if s.train.steps != p.epochs.saturating_mul(steps_per_epoch(s, p)) {
        return bad(
            "train.steps",
            s.train.steps.to_string(),
            "must equal peer.epochs * ceil(peer.n_samples / train.batch) (floor with peer.drop_last)",
        );
    }
    if let Some(h) = p.bias_init_uniform {
        if !(h >= 0.0 && h.is_finite()) {
            return bad("peer.bias_init_uniform", h.to_string(), "must be a finite number ≥ 0");
        }
    }
    Ok(())
}

/// What a peer run measured.
#[derive(Debug, Clone)]
pub struct PeerOutput {
    /// The settings.
    pub settings: Settings,
    /// The `[peer]` parameters.
    pub params: PeerParams,
    /// Mean loss per epoch.
    pub epoch_loss: Vec<f64>,
    /// Final features (metrics on fresh test samples).
    pub features: FeatureReport,
    /// Trained weights.
    pub network: Network,
    /// Trained biases.
    pub bias: Vec<f64>,
    /// Wall time in seconds.
    pub wall_seconds: f64,
}

impl PeerOutput {
    /// The `metric,value` rows of the run (the feature metrics; no probes).
    pub fn summary(&self) -> Summary {
        let f = &self.features.summary;
        Summary::new(vec![
            (Metric::AtomBestCosMax, f.atom_best_cos_max),
            (Metric::AtomBestCosMedian, f.atom_best_cos_median),
            (Metric::AtomBestCosMin, f.atom_best_cos_min),
            (Metric::AlignMedian, f.align_median),
            (Metric::AtomsCovered, f.atoms_covered as f64),
            (Metric::AtomsTotal, self.settings.model.d as f64),
            (Metric::NoiseCosMean, f.noise_cos_mean),
            (Metric::BiasMean, f.bias_mean),
            (Metric::FinalLoss, self.epoch_loss.last().copied().unwrap_or(f64::NAN)),
        ])
    }
}

/// The peer variant's solver: a fixed dataset visited in reshuffled mini-batches, NT-Xent
/// through both views, weights and biases both trained by SGD.
struct PeerSolver<'a> {
    s: &'a Settings,
    net: Network,
    bias: Vec<f64>,
    data: Batch,
    data_rng: ChaCha8Rng,
    mask_rng: ChaCha8Rng,
    aug: Box<dyn Augmentation>,
    order: Vec<usize>,
    /// Index of the next mini-batch within the epoch.
    next: usize,
    /// Mini-batches per epoch.
    per_epoch: usize,
}

impl PeerSolver<'_> {
    /// The views of one mini-batch: the samples `order[range]` of the dataset.
    fn views(&mut self, range: std::ops::Range<usize>) -> (Mat<f64>, Mat<f64>) {
        let d1 = self.s.model.d1;
        let chunk = &self.order[range];
        let mut x = Mat::<f64>::zeros(d1, chunk.len());
        for (c, &idx) in chunk.iter().enumerate() {
            x.col_mut(c).copy_from(self.data.x.col(idx));
        }
        let (mut v1, mut v2) = (Mat::zeros(d1, chunk.len()), Mat::zeros(d1, chunk.len()));
        if self.aug.identity_views() {
            v1.copy_from(&x);
            v2.copy_from(&x);
        } else {
            self.aug.views(&x, &mut v1, &mut v2, &mut self.mask_rng);
        }
        (v1, v2)
    }
}

impl Solver for PeerSolver<'_> {
    fn step(&mut self) -> Result<f64> {
        let batch = self.s.train.batch;
        if self.next == 0 {
            // A new epoch: Fisher-Yates with the data stream.
            for i in (1..self.order.len()).rev() {
                let j = self.data_rng.random_range(0..=i);
                self.order.swap(i, j);
            }
        }
        let start = self.next * batch;
        let end = (start + batch).min(self.order.len());
        self.next = if self.next + 1 == self.per_epoch {
            0
        } else {
            self.next + 1
        };
        let (v1, v2) = self.views(start..end);
        let g = nt_xent_loss_and_grad(&self.net.w, &self.bias, v1.as_ref(), v2.as_ref(), self.s.train.tau);
        if !g.loss.is_finite() {
            // The executor names the step; the weights must not take a NaN update first.
            return Ok(g.loss);
        }
        self.net.decay(self.s.train.lr, self.s.train.weight_decay);
        self.net.add_scaled(-self.s.train.lr, &g.dw);
        for (bi, dbi) in self.bias.iter_mut().zip(&g.db) {
            *bi -= self.s.train.lr * dbi;
        }
        Ok(g.loss)
    }
}

/// Train the peer variant on the shared executor ([`drive`], one logging window per
/// epoch): deterministic in the settings.
pub fn run(s: &Settings, p: &PeerParams) -> Result<PeerOutput> {
    check(s, p)?;
    let start = Instant::now();
    let model = SparseCoding::for_settings(s);
    // W first, then (if uniform) the biases, from the Init stream: W is that of
    // `Network::for_settings`.
    let mut init_rng = rng::stream(s.seed, Purpose::Init);
    let net = Network::init(s.network.m, s.model.d1, s.network.sigma0, &mut init_rng);
    let bias = match p.bias_init_uniform {
        Some(h) if h > 0.0 => (0..s.network.m).map(|_| init_rng.random_range(-h..=h)).collect(),
        _ => vec![p.bias_init; s.network.m],
    };
    let mut data_rng = rng::stream(s.seed, Purpose::Data);
    let data = model.sample(p.n_samples, &mut data_rng);
    let mut solver = PeerSolver {
        s,
        net,
        bias,
        data,
        data_rng,
        mask_rng: rng::stream(s.seed, Purpose::Masks),
        aug: augment::from_config(&s.augmentation, s.model.sigma_xi),
        order: (0..p.n_samples).collect(),
        next: 0,
        per_epoch: steps_per_epoch(s, p),
    };
    let mut epoch_loss = Vec::with_capacity(p.epochs);
    drive(
        &mut solver,
        s.train.steps,
        steps_per_epoch(s, p),
        &mut Silent,
        |_, _, mean, _| {
            epoch_loss.push(mean);
            Ok(())
        },
    )?;
    let eval = eval_samples(&model, s);
    let features = metrics::measure(&solver.net, &solver.bias, &model.dict, &eval, &s.metrics);
    Ok(PeerOutput {
        settings: s.clone(),
        params: p.clone(),
        epoch_loss,
        features,
        network: solver.net,
        bias: solver.bias,
        wall_seconds: start.elapsed().as_secs_f64(),
    })
}
