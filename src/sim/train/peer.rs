//! The peer simulation's variant (Pokle et al., AISTATS 2022), for the ablation table.
//!
//! What differs from this crate's trainer (src/trainer.rs):
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

use faer::{Accum, Mat, MatRef};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::config::{Config, Settings};
use crate::error::{Error, Result};
use crate::sim::augment;
use crate::sim::data::SparseCoding;
use crate::sim::linalg::gemm;
use crate::sim::metrics::{self, FeatureReport};
use crate::sim::network::{soft_threshold, Network};
use crate::sim::rng::{self, Purpose};
use crate::sim::summary::{Metric, Summary};

/// The `[peer]` table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PeerParams {
    /// Size of the fixed training set.
    pub n_samples: usize,
    /// Passes over it.
    pub epochs: usize,
    /// Initial value of every bias.
    #[serde(default)]
    pub bias_init: f64,
}

/// Read a peer experiment file: the settings and the `[peer]` parameters.
pub fn from_file(path: &Path) -> Result<(Settings, PeerParams)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    })?;
    let parse_err = |m: String| Error::ConfigParse {
        path: path.to_path_buf(),
        message: m,
    };
    let mut t: toml::Table = toml::from_str(&text).map_err(|e| parse_err(e.to_string()))?;
    let peer = t
        .remove("peer")
        .ok_or_else(|| parse_err("a peer experiment needs a [peer] table (n_samples, epochs)".into()))?;
    let params: PeerParams = peer.try_into().map_err(|e| parse_err(format!("[peer]: {e}")))?;
    let cfg: Config = t.try_into().map_err(|e| parse_err(e.to_string()))?;
    let s = cfg.check()?;
    check(&s, &params)?;
    Ok((s, params))
}

/// Steps of one epoch.
pub fn steps_per_epoch(s: &Settings, p: &PeerParams) -> usize {
    p.n_samples.div_ceil(s.train.batch)
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
    if s.train.steps != p.epochs * steps_per_epoch(s, p) {
        return bad(
            "train.steps",
            s.train.steps.to_string(),
            "must equal peer.epochs * ceil(peer.n_samples / train.batch)",
        );
    }
    Ok(())
}

/// Loss and gradients of one batch.
#[derive(Debug, Clone)]
pub struct PeerGrad {
    /// The NT-Xent loss.
    pub loss: f64,
    /// ∂L/∂W (m×d1).
    pub dw: Mat<f64>,
    /// ∂L/∂b (m).
    pub db: Vec<f64>,
}

const NORM_EPS: f64 = 1e-8;

/// The symmetric NT-Xent loss of views `v1`, `v2` (d1×B, column p of each is sample p) and
/// its exact gradient in W and b, through both views.
pub fn nt_xent_loss_and_grad(
    w: &Mat<f64>,
    bias: &[f64],
    v1: MatRef<'_, f64>,
    v2: MatRef<'_, f64>,
    tau: f64,
) -> PeerGrad {
    let (m, b) = (w.nrows(), v1.ncols());
    let n2 = 2 * b;
    let mut v = Mat::<f64>::zeros(w.ncols(), n2);
    v.as_mut().subcols_mut(0, b).copy_from(v1);
    v.as_mut().subcols_mut(b, b).copy_from(v2);
    let mut u = Mat::<f64>::zeros(m, n2);
    gemm(u.as_mut(), Accum::Replace, w.as_ref(), v.as_ref(), 1.0);
    let mut z = Mat::<f64>::zeros(m, n2);
    let mut r = vec![0.0; n2];
    for k in 0..n2 {
        let mut ss = 0.0;
        for i in 0..m {
            let f = soft_threshold(u[(i, k)], bias[i]);
            z[(i, k)] = f;
            ss += f * f;
        }
        r[k] = ss.sqrt().max(NORM_EPS);
        for i in 0..m {
            z[(i, k)] /= r[k];
        }
    }
    let mut s = Mat::<f64>::zeros(n2, n2);
    gemm(s.as_mut(), Accum::Replace, z.transpose(), z.as_ref(), 1.0);
    // G = dL/dS (row a: anchor a), then dZ = Z (G + Gᵀ).
    let mut g = Mat::<f64>::zeros(n2, n2);
    let mut loss = 0.0;
    let scale = 1.0 / (n2 as f64 * tau);
    for a in 0..n2 {
        let pos = (a + b) % n2;
        let mx = (0..n2)
            .filter(|&k| k != a)
            .map(|k| s[(a, k)])
            .fold(f64::NEG_INFINITY, f64::max);
        let mut zsum = 0.0;
        for k in 0..n2 {
            if k != a {
                let e = ((s[(a, k)] - mx) / tau).exp();
                g[(a, k)] = e;
                zsum += e;
            }
        }
        loss += -(s[(a, pos)] - mx) / tau + zsum.ln();
        for k in 0..n2 {
            g[(a, k)] *= scale / zsum;
        }
        g[(a, pos)] -= scale;
    }
    loss /= n2 as f64;
    let mut gs = Mat::<f64>::zeros(n2, n2);
    for a in 0..n2 {
        for k in 0..n2 {
            gs[(a, k)] = g[(a, k)] + g[(k, a)];
        }
    }
    let mut dz = Mat::<f64>::zeros(m, n2);
    gemm(dz.as_mut(), Accum::Replace, z.as_ref(), gs.as_ref(), 1.0);
    // Through the normalisation and the threshold: dU = dF ∘ 1[|u| > b], db = −Σ dF sign(u) 1[..].
    let mut du = Mat::<f64>::zeros(m, n2);
    let mut db = vec![0.0; m];
    for k in 0..n2 {
        let proj: f64 = if r[k] > NORM_EPS {
            (0..m).map(|i| z[(i, k)] * dz[(i, k)]).sum()
        } else {
            0.0
        };
        for i in 0..m {
            let df = (dz[(i, k)] - z[(i, k)] * proj) / r[k];
            let uk = u[(i, k)];
            if uk.abs() > bias[i] {
                du[(i, k)] = df;
                db[i] -= df * uk.signum();
            }
        }
    }
    let mut dw = Mat::<f64>::zeros(m, w.ncols());
    gemm(dw.as_mut(), Accum::Replace, du.as_ref(), v.transpose(), 1.0);
    PeerGrad { loss, dw, db }
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

/// Train the peer variant: deterministic in the settings.
pub fn run(s: &Settings, p: &PeerParams) -> Result<PeerOutput> {
    check(s, p)?;
    let start = Instant::now();
    let model = SparseCoding::for_settings(s);
    let mut net = Network::init(
        s.network.m,
        s.model.d1,
        s.network.sigma0,
        &mut rng::stream(s.seed, Purpose::Init),
    );
    let mut bias = vec![p.bias_init; s.network.m];
    let mut data_rng = rng::stream(s.seed, Purpose::Data);
    let data = model.sample(p.n_samples, &mut data_rng);
    let aug = augment::from_config(&s.augmentation, s.model.sigma_xi);
    let mut mask_rng = rng::stream(s.seed, Purpose::Masks);
    let mut order: Vec<usize> = (0..p.n_samples).collect();
    let mut epoch_loss = Vec::with_capacity(p.epochs);
    let mut step = 0usize;
    for _ in 0..p.epochs {
        // Fisher-Yates with the data stream.
        for i in (1..order.len()).rev() {
            let j = data_rng.random_range(0..=i);
            order.swap(i, j);
        }
        let (mut total, mut count) = (0.0, 0usize);
        for chunk in order.chunks(s.train.batch) {
            step += 1;
            let mut x = Mat::<f64>::zeros(s.model.d1, chunk.len());
            for (c, &idx) in chunk.iter().enumerate() {
                x.col_mut(c).copy_from(data.x.col(idx));
            }
            let (mut v1, mut v2) = (Mat::zeros(s.model.d1, chunk.len()), Mat::zeros(s.model.d1, chunk.len()));
            if aug.identity_views() {
                v1.copy_from(&x);
                v2.copy_from(&x);
            } else {
                aug.views(&x, &mut v1, &mut v2, &mut mask_rng);
            }
            let g = nt_xent_loss_and_grad(&net.w, &bias, v1.as_ref(), v2.as_ref(), s.train.tau);
            if !g.loss.is_finite() {
                return Err(Error::Diverged { step, what: "loss" });
            }
            let shrink = 1.0 - s.train.lr * s.train.weight_decay;
            for j in 0..s.model.d1 {
                for i in 0..s.network.m {
                    net.w[(i, j)] = shrink * net.w[(i, j)] - s.train.lr * g.dw[(i, j)];
                }
            }
            for (bi, dbi) in bias.iter_mut().zip(&g.db) {
                *bi -= s.train.lr * dbi;
            }
            total += g.loss;
            count += 1;
        }
        epoch_loss.push(total / count as f64);
    }
    let eval = model.sample(s.metrics.eval_samples, &mut rng::stream(s.seed, Purpose::Eval));
    let features = metrics::measure(&net, &bias, &model.dict, &eval, &s.metrics);
    Ok(PeerOutput {
        settings: s.clone(),
        params: p.clone(),
        epoch_loss,
        features,
        network: net,
        bias,
        wall_seconds: start.elapsed().as_secs_f64(),
    })
}
