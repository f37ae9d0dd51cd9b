//! The loss the augmentation allows (docs/THEORY.md §4.8).
//!
//! "The loss gets small" needs a reference for "small". With identical views a network can
//! match every anchor with itself, so the loss can approach 0; with RandomMask the two views
//! share only the sparse part of x, so anchors with z = 0 cannot be matched at all and an
//! anchor carrying one atom ties with the other batch members that carry the same atom.
//! The reference is therefore the loss of the representation the theorem describes: the
//! **oracle network** whose neurons are the atoms, each once (W = c·Mᵀ, m = d neurons),
//! with the run's bias rule (b_i = κ·s·‖w_i‖ at the end of training) and the common scale
//! c that minimises the loss — on the same evaluation batches and masks as the trained
//! network. Its loss is the *floor*.
//!
//! Every network is evaluated on [`EVAL_BATCHES`] batches of the run's batch size B, drawn
//! once per run from their own streams (samples: [`Purpose::LossEval`], masks:
//! [`Purpose::LossEvalMasks`]), so the trained network, the untrained one and the oracle
//! are compared on the same inputs, and the two arms of a seed on the same samples.
//!
//! With the bias rule, scaling W by c scales every feature by c (the soft threshold is
//! positively homogeneous in (u, b)), so the oracle's similarities are t·S̃ with t = c² and
//! S̃ those of c = 1. The loss is convex in t (a log-sum-exp of linear functions minus a
//! linear function), so a log grid followed by a golden-section search finds its minimum.

use faer::{Accum, Mat, MatRef};

use crate::config::Settings;
use crate::sim::augment::Augmentation;
use crate::sim::data::{Dictionary, SparseCoding};
use crate::sim::linalg::gemm;
use crate::sim::network::{soft_threshold, Network};
use crate::sim::rng::{self, Purpose};

/// Evaluation batches per run (each of the run's batch size B).
pub const EVAL_BATCHES: usize = 4;

/// A loss averaged over all anchors and split by whether the anchor's code z is zero.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossSplit {
    /// Mean over every anchor.
    pub all: f64,
    /// Mean over anchors with z = 0 (NaN if there are none).
    pub z_zero: f64,
    /// Mean over anchors with z ≠ 0 (NaN if there are none).
    pub z_nonzero: f64,
}

/// The loss of one run's networks on its evaluation batches.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossEval {
    /// The trained network.
    pub trained: LossSplit,
    /// The untrained network (step 0, its own biases).
    pub untrained: LossSplit,
    /// The oracle network at its best scale: the floor.
    pub floor: LossSplit,
    /// The oracle's best common scale c = ‖w_i‖.
    pub floor_scale: f64,
    /// Fraction of anchors with z = 0.
    pub frac_z_zero: f64,
}

/// The evaluation batches of one run: the two views of every sample (the second `None`
/// when the views are x itself) and whether its z is 0.
pub struct EvalBatches {
    views: Vec<(Mat<f64>, Option<Mat<f64>>)>,
    z_zero: Vec<Vec<bool>>,
}

impl EvalBatches {
    /// [`EVAL_BATCHES`] batches of B samples of `model` with their views under `aug`
    /// (identical views when the augmentation's views are x itself).
    pub fn draw(model: &SparseCoding, aug: &dyn Augmentation, s: &Settings) -> Self {
        let mut data = rng::stream(s.seed, Purpose::LossEval);
        let mut masks = rng::stream(s.seed, Purpose::LossEvalMasks);
        let b = s.train.batch;
        let mut views = Vec::with_capacity(EVAL_BATCHES);
        let mut z_zero = Vec::with_capacity(EVAL_BATCHES);
        for _ in 0..EVAL_BATCHES {
            let batch = model.sample(b, &mut data);
            z_zero.push((0..b).map(|p| batch.z.sample(p).next().is_none()).collect());
            if aug.identity_views() {
                views.push((batch.x, None));
            } else {
                let mut v1 = Mat::zeros(batch.x.nrows(), b);
                let mut v2 = Mat::zeros(batch.x.nrows(), b);
                aug.views(&batch.x, &mut v1, &mut v2, &mut masks);
                views.push((v1, Some(v2)));
            }
        }
        Self { views, z_zero }
    }

    /// Fraction of anchors with z = 0.
    pub fn frac_z_zero(&self) -> f64 {
        let (k, n) = self
            .z_zero
            .iter()
            .flatten()
            .fold((0usize, 0usize), |(k, n), &z| (k + z as usize, n + 1));
        k as f64 / n.max(1) as f64
    }

    /// The loss of `net` with biases `bias` on these batches.
    pub fn loss(&self, net: &Network, bias: &[f64], tau: f64) -> LossSplit {
        let per_anchor: Vec<Vec<f64>> = self
            .views
            .iter()
            .map(|(v1, v2)| {
                let f1 = net.features(v1.as_ref(), bias);
                let f2 = v2.as_ref().map(|v2| net.features(v2.as_ref(), bias));
                let s = similarities(f1.as_ref(), f2.as_ref().unwrap_or(&f1).as_ref());
                per_anchor_losses(s.as_ref(), 1.0, tau)
            })
            .collect();
        self.split(&per_anchor)
    }

    /// The oracle network's floor for the dictionary `dict` and bias scale `bias_scale`
    /// (κ·s of the bias rule): the loss at the best common scale, and that scale.
    pub fn floor(&self, dict: &Dictionary, bias_scale: f64, tau: f64) -> (LossSplit, f64) {
        // S̃ of each batch at c = 1: features h(⟨M_j, v⟩; κ·s), d×B.
        let s_unit: Vec<Mat<f64>> = self
            .views
            .iter()
            .map(|(v1, v2)| {
                let f = |v: &Mat<f64>| {
                    let mut u = Mat::<f64>::zeros(dict.d(), v.ncols());
                    gemm(u.as_mut(), Accum::Replace, dict.matrix().transpose(), v.as_ref(), 1.0);
                    for c in 0..u.ncols() {
                        for x in u.col_as_slice_mut(c) {
                            *x = soft_threshold(*x, bias_scale);
                        }
                    }
                    u
                };
                let f1 = f(v1);
                let f2 = v2.as_ref().map(f);
                similarities(f1.as_ref(), f2.as_ref().unwrap_or(&f1).as_ref())
            })
            .collect();
        let mean_at = |t: f64| -> f64 {
            let total: f64 = s_unit
                .iter()
                .map(|s| per_anchor_losses(s.as_ref(), t, tau).iter().sum::<f64>())
                .sum();
            total / self.z_zero.iter().map(Vec::len).sum::<usize>().max(1) as f64
        };
        let t = minimise_convex(mean_at);
        let per_anchor: Vec<Vec<f64>> = s_unit.iter().map(|s| per_anchor_losses(s.as_ref(), t, tau)).collect();
        (self.split(&per_anchor), t.sqrt())
    }

    fn split(&self, per_anchor: &[Vec<f64>]) -> LossSplit {
        let (mut all, mut zs, mut nzs, mut n, mut nz) = (0.0, 0.0, 0.0, 0usize, 0usize);
        for (losses, zero) in per_anchor.iter().zip(&self.z_zero) {
            for (&l, &z) in losses.iter().zip(zero) {
                all += l;
                n += 1;
                if z {
                    zs += l;
                    nz += 1;
                } else {
                    nzs += l;
                }
            }
        }
        let mean = |s: f64, k: usize| if k == 0 { f64::NAN } else { s / k as f64 };
        LossSplit {
            all: mean(all, n),
            z_zero: mean(zs, nz),
            z_nonzero: mean(nzs, n - nz),
        }
    }
}

/// S = F1ᵀF2 (B×B): S[p, q] = ⟨f(x_p⁺), f(x_q⁺⁺)⟩.
fn similarities(f1: MatRef<'_, f64>, f2: MatRef<'_, f64>) -> Mat<f64> {
    let mut s = Mat::<f64>::zeros(f1.ncols(), f2.ncols());
    gemm(s.as_mut(), Accum::Replace, f1.transpose(), f2, 1.0);
    s
}

/// The loss of every anchor p with similarities t·S: τ·logsumexp_q(t·S[p, q]/τ) − t·S[p, p]
/// (docs/THEORY.md §1.3), computed stably.
///
/// This is the evaluation's implementation of the training loss: per anchor (so the mean
/// can be split by z = 0, [`LossSplit`]), in f64 whatever the run's precision, with the
/// scale t that the oracle's floor minimises over, and no gradient. Training's is
/// [`crate::sim::loss::stopgrad`]'s `loss_and_grad` (the batch mean in the run's precision,
/// with ∂L/∂F1, in reused buffers); at t = 1 on the same features both give the same mean
/// (held by a test of this module).
pub fn per_anchor_losses(s: MatRef<'_, f64>, t: f64, tau: f64) -> Vec<f64> {
    (0..s.nrows())
        .map(|p| {
            let row = |q: usize| t * s[(p, q)];
            let mx = (0..s.ncols()).map(row).fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = (0..s.ncols()).map(|q| ((row(q) - mx) / tau).exp()).sum();
            mx + tau * z.ln() - row(p)
        })
        .collect()
}

/// The minimiser over t ≥ 0 of a convex function: the best of t = 0 and a log grid
/// 10^(k/4), k = −24..=40, then a golden-section search between the grid neighbours.
fn minimise_convex(f: impl Fn(f64) -> f64) -> f64 {
    let grid: Vec<f64> = std::iter::once(0.0)
        .chain((-24..=40).map(|k| 10f64.powf(k as f64 / 4.0)))
        .collect();
    let values: Vec<f64> = grid.iter().map(|&t| f(t)).collect();
    let best = (0..grid.len())
        .min_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)))
        .expect("the grid is not empty");
    let (mut lo, mut hi) = (grid[best.saturating_sub(1)], grid[(best + 1).min(grid.len() - 1)]);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut fa, mut fb) = (f(a), f(b));
    for _ in 0..60 {
        if fa < fb {
            hi = b;
            b = a;
            fb = fa;
            a = hi - g * (hi - lo);
            fa = f(a);
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + g * (hi - lo);
            fb = f(b);
        }
    }
    let mid = (lo + hi) / 2.0;
    if f(mid) <= values[best] {
        mid
    } else {
        grid[best]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_anchor_loss_is_chance_at_zero_and_zero_for_separated_anchors() {
        let s = Mat::<f64>::from_fn(4, 4, |p, q| if p == q { 1.0 } else { 0.0 });
        let tau = 0.1;
        for l in per_anchor_losses(s.as_ref(), 0.0, tau) {
            assert!((l - tau * 4f64.ln()).abs() < 1e-12);
        }
        for l in per_anchor_losses(s.as_ref(), 100.0, tau) {
            assert!(l.abs() < 1e-12, "{l}");
        }
    }

    #[test]
    fn the_evaluation_loss_is_the_training_loss_on_the_same_batch() {
        use crate::sim::augment::{Augmentation, RandomMask};
        use crate::sim::loss::{loss_and_feature_grad, LossWorkspace};
        let (d, d1, m, b) = (8, 32, 24, 16);
        let mut rng = rng::stream(11, Purpose::Sampling);
        let ln_d = (d as f64).ln();
        let model = SparseCoding::new(
            Dictionary::gaussian_qr(d1, d, &mut rng),
            ln_d.ln() / d as f64,
            (ln_d.sqrt() / d as f64).sqrt(),
        );
        let batch = model.sample(b, &mut rng);
        let (mut v1, mut v2) = (Mat::zeros(d1, b), Mat::zeros(d1, b));
        RandomMask::default().views(&batch.x, &mut v1, &mut v2, &mut rng);
        // Scaled (with its biases: the features scale alike) so that the largest
        // similarity is 1: neither chance nor a loss that underflows to 0.
        let mut net = Network::init(m, d1, 1.0, &mut rng);
        let mut bias = vec![0.0; m];
        Network::biases_from_norms(&net.row_norms(), 0.5, 0.2, &mut bias);
        let s = similarities(
            net.features(v1.as_ref(), &bias).as_ref(),
            net.features(v2.as_ref(), &bias).as_ref(),
        );
        let largest = (0..b)
            .flat_map(|p| (0..b).map(move |q| (p, q)))
            .map(|(p, q)| s[(p, q)].abs())
            .fold(0.0, f64::max);
        assert!(largest > 0.0, "every feature is cut by the bias");
        let c = largest.sqrt().recip();
        net.scale(c);
        bias.iter_mut().for_each(|v| *v *= c);
        let f1 = net.features(v1.as_ref(), &bias);
        let f2 = net.features(v2.as_ref(), &bias);
        let mut checked = 0;
        for (second, tau) in [(&f2, 0.1), (&f2, 0.5), (&f2, 2.0), (&f1, 0.3)] {
            let mut ws = LossWorkspace::<f64>::new(m, b);
            let train = loss_and_feature_grad(f1.as_ref(), second.as_ref(), tau, &mut ws);
            let per_anchor = per_anchor_losses(similarities(f1.as_ref(), second.as_ref()).as_ref(), 1.0, tau);
            let eval = per_anchor.iter().sum::<f64>() / b as f64;
            assert!(
                (train - eval).abs() <= 1e-12 * eval.abs().max(1e-300),
                "tau {tau}: training {train} vs evaluation {eval}"
            );
            // Not a trivial agreement: the loss is neither 0 nor chance.
            assert!(eval > 1e-6 && (eval - tau * (b as f64).ln()).abs() > 1e-6, "{eval}");
            checked += 1;
        }
        assert_eq!(checked, 4);
    }

    #[test]
    fn the_convex_minimiser_finds_an_interior_minimum() {
        let t = minimise_convex(|t| (t - 3.7).powi(2));
        assert!((t - 3.7).abs() < 1e-6, "{t}");
        assert_eq!(minimise_convex(|t| t), 0.0);
    }
}
