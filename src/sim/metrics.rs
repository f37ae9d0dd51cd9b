//! Metrics of the learned features (docs/THEORY.md §2.1, §2.2; §4.2, §3).
//!
//! * α = W·M (m×d), α_ij = ⟨w_i, M_j⟩: the coefficients of the decomposition of docs/THEORY.md §1.2.
//! * alignment_i = max_j |α_ij| / ‖w_i‖ (= the best |cos(w_i, M_j)|, as M_j is a unit vector).
//! * sparse share_i = ‖Mᵀw_i‖² / ‖w_i‖², the fraction of ‖w_i‖² on span(M); the rest lies on
//!   M⊥, which is never formed (‖P⊥w‖² = ‖w‖² − ‖Mᵀw‖²).
//! * |N_i| = #{j : |α_ij| ≥ support_share · max_k |α_ik|}.
//! * coverage: atom j is covered when it is the best atom of some neuron whose alignment
//!   exceeds `coverage_alignment`; neurons per atom count such neurons.
//! * noise dominance: cos(f(x), f(ξ)) over fresh test samples (docs/THEORY.md §2.1), undefined where
//!   either representation is zero (counted as the zero fraction, left out of the mean).
//! * per-atom best |cos(w_i, M_j)| over neurons: the metric a peer simulation reports.

use crate::sim::linalg::gemm;
use crate::stats::{mean, median, quantile_sorted};
use faer::{Accum, Mat};
use serde::Serialize;

use crate::config::MetricsConfig;
use crate::sim::data::{Batch, Dictionary};
use crate::sim::network::Network;

/// Per-neuron view of the learned features.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NeuronRow {
    /// Neuron index i.
    pub neuron: usize,
    /// argmax_j |α_ij|.
    pub best_atom: usize,
    /// α_i,best (signed).
    pub best_coef: f64,
    /// max_j |α_ij| / ‖w_i‖.
    pub alignment: f64,
    /// ‖Mᵀw_i‖² / ‖w_i‖².
    pub sparse_share: f64,
    /// |N_i|.
    pub support_size: usize,
    /// ‖w_i‖.
    pub norm: f64,
    /// b_i.
    pub bias: f64,
}

/// Summary of the features at one step (one row of `metrics.csv`).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct FeatureSummary {
    /// Median over neurons of the alignment.
    pub align_median: f64,
    /// Mean over neurons of the alignment.
    pub align_mean: f64,
    /// Fraction of neurons with alignment > coverage_alignment.
    pub frac_aligned: f64,
    /// Atoms covered (see module doc).
    pub atoms_covered: usize,
    /// Smallest number of aligned neurons whose best atom is a given atom, over atoms.
    pub neurons_per_atom_min: usize,
    /// Median of the same count over atoms.
    pub neurons_per_atom_median: f64,
    /// Largest count.
    pub neurons_per_atom_max: usize,
    /// Median over neurons of the sparse share.
    pub sparse_share_median: f64,
    /// Median over neurons of |N_i|.
    pub support_median: f64,
    /// Mean over neurons of |N_i|.
    pub support_mean: f64,
    /// Mean of cos(f(x), f(ξ)) over test samples where both are nonzero.
    pub noise_cos_mean: f64,
    /// 10% quantile of that cosine.
    pub noise_cos_q10: f64,
    /// Median of that cosine.
    pub noise_cos_q50: f64,
    /// 90% quantile of that cosine.
    pub noise_cos_q90: f64,
    /// Fraction of test samples where f(x) = 0 or f(ξ) = 0.
    pub zero_repr_frac: f64,
    /// Per atom, the best |cos(w_i, M_j)| over neurons: the minimum over atoms.
    pub atom_best_cos_min: f64,
    /// The median over atoms.
    pub atom_best_cos_median: f64,
    /// The maximum over atoms.
    pub atom_best_cos_max: f64,
    /// Mean ‖w_i‖.
    pub norm_mean: f64,
    /// Mean b_i.
    pub bias_mean: f64,
}

/// Everything measured on one network.
#[derive(Debug, Clone)]
pub struct FeatureReport {
    /// The summary.
    pub summary: FeatureSummary,
    /// Per neuron.
    pub neurons: Vec<NeuronRow>,
    /// α = W M (m×d).
    pub alpha: Mat<f64>,
    /// cos(f(x), f(ξ)) per test sample (NaN where undefined).
    pub noise_cos: Vec<f64>,
}

/// cos(f(x_s), f(ξ_s)) per sample for the network with biases `bias` (NaN if either is 0).
pub fn noise_cosines(net: &Network, bias: &[f64], batch: &Batch) -> Vec<f64> {
    let fx = net.features(batch.x.as_ref(), bias);
    let fxi = net.features(batch.xi.as_ref(), bias);
    (0..fx.ncols())
        .map(|s| {
            let a = fx.col_as_slice(s);
            let b = fxi.col_as_slice(s);
            let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
            for (&u, &v) in a.iter().zip(b) {
                ab += u * v;
                aa += u * u;
                bb += v * v;
            }
            if aa == 0.0 || bb == 0.0 {
                f64::NAN
            } else {
                ab / (aa.sqrt() * bb.sqrt())
            }
        })
        .collect()
}

/// Per neuron: its row of the neurons table, from α = W M and the norms; also, per atom,
/// the number of aligned neurons whose best atom it is and the best |cos(w_i, M_j)|.
fn neurons_and_atoms(
    alpha: &Mat<f64>,
    norms: &[f64],
    bias: &[f64],
    cfg: &MetricsConfig,
) -> (Vec<NeuronRow>, Vec<usize>, Vec<f64>) {
    let (m, d) = (alpha.nrows(), alpha.ncols());
    let mut neurons = Vec::with_capacity(m);
    let mut per_atom = vec![0usize; d];
    let mut atom_best = vec![0.0f64; d];
    for i in 0..m {
        let (mut best, mut best_abs, mut ss) = (0usize, -1.0f64, 0.0f64);
        for j in 0..d {
            let a = alpha[(i, j)];
            ss += a * a;
            if a.abs() > best_abs {
                best_abs = a.abs();
                best = j;
            }
        }
        let norm = norms[i];
        let alignment = if norm > 0.0 { best_abs / norm } else { 0.0 };
        let sparse_share = if norm > 0.0 { ss / (norm * norm) } else { 0.0 };
        let support_size = (0..d)
            .filter(|&j| best_abs > 0.0 && alpha[(i, j)].abs() >= cfg.support_share * best_abs)
            .count();
        if alignment > cfg.coverage_alignment {
            per_atom[best] += 1;
        }
        if norm > 0.0 {
            for (j, ab) in atom_best.iter_mut().enumerate() {
                *ab = ab.max(alpha[(i, j)].abs() / norm);
            }
        }
        neurons.push(NeuronRow {
            neuron: i,
            best_atom: best,
            best_coef: alpha[(i, best)],
            alignment,
            sparse_share,
            support_size,
            norm,
            bias: bias[i],
        });
    }
    (neurons, per_atom, atom_best)
}

/// Measure the features of `net` (with biases `bias`) against the dictionary, on the
/// fresh test samples `eval`.
pub fn measure(net: &Network, bias: &[f64], dict: &Dictionary, eval: &Batch, cfg: &MetricsConfig) -> FeatureReport {
    let m = net.m();
    let mut alpha = Mat::<f64>::zeros(m, dict.d());
    gemm(alpha.as_mut(), Accum::Replace, net.w.as_ref(), dict.matrix(), 1.0);
    let norms = net.row_norms();
    let (neurons, per_atom, atom_best) = neurons_and_atoms(&alpha, &norms, bias, cfg);

    let noise_cos = noise_cosines(net, bias, eval);
    let mut defined: Vec<f64> = noise_cos.iter().copied().filter(|c| !c.is_nan()).collect();
    defined.sort_by(f64::total_cmp);
    let zero_repr_frac = 1.0 - defined.len() as f64 / noise_cos.len().max(1) as f64;

    let aligns: Vec<f64> = neurons.iter().map(|n| n.alignment).collect();
    let shares: Vec<f64> = neurons.iter().map(|n| n.sparse_share).collect();
    let supports: Vec<f64> = neurons.iter().map(|n| n.support_size as f64).collect();
    let per_atom_f: Vec<f64> = per_atom.iter().map(|&c| c as f64).collect();
    let summary = FeatureSummary {
        align_median: median(&aligns),
        align_mean: mean(&aligns),
        frac_aligned: aligns.iter().filter(|&&a| a > cfg.coverage_alignment).count() as f64 / m as f64,
        atoms_covered: per_atom.iter().filter(|&&c| c > 0).count(),
        neurons_per_atom_min: per_atom.iter().copied().min().unwrap_or(0),
        neurons_per_atom_median: median(&per_atom_f),
        neurons_per_atom_max: per_atom.iter().copied().max().unwrap_or(0),
        sparse_share_median: median(&shares),
        support_median: median(&supports),
        support_mean: mean(&supports),
        noise_cos_mean: mean(&defined),
        noise_cos_q10: quantile_sorted(&defined, 0.1),
        noise_cos_q50: quantile_sorted(&defined, 0.5),
        noise_cos_q90: quantile_sorted(&defined, 0.9),
        zero_repr_frac,
        atom_best_cos_min: atom_best.iter().copied().fold(f64::INFINITY, f64::min),
        atom_best_cos_median: median(&atom_best),
        atom_best_cos_max: atom_best.iter().copied().fold(0.0, f64::max),
        norm_mean: mean(&norms),
        bias_mean: mean(bias),
    };
    FeatureReport {
        summary,
        neurons,
        alpha,
        noise_cos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        assert!((quantile_sorted(&v, 0.5) - 2.5).abs() < 1e-15);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn a_network_of_atoms_is_perfectly_aligned_and_covers_everything() {
        let dict = Dictionary::identity(6, 3);
        // neurons 0..3 = atoms 0..3, neuron 3 = -atom 1 scaled.
        let mut w = Mat::<f64>::zeros(4, 6);
        for j in 0..3 {
            w[(j, j)] = 1.0;
        }
        w[(3, 1)] = -2.0;
        let net = Network { w };
        let model = crate::sim::data::SparseCoding::new(dict.clone(), 0.5, 0.1);
        let eval = model.sample(50, &mut crate::sim::rng::stream(1, crate::sim::rng::Purpose::Eval));
        let r = measure(&net, &[0.0; 4], &dict, &eval, &MetricsConfig::default());
        assert_eq!(r.summary.align_median, 1.0);
        assert_eq!(r.summary.atoms_covered, 3);
        assert_eq!(r.summary.neurons_per_atom_max, 2);
        assert_eq!(r.summary.sparse_share_median, 1.0);
        assert_eq!(r.neurons[3].best_coef, -2.0);
        assert_eq!(r.summary.support_median, 1.0);
    }
}
