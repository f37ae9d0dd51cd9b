//! Metrics of the learned features (docs/THEORY.md §2.1, §2.2; §4.2, §3).
//!
//! * α = W·M (m×d), α_ij = ⟨w_i, M_j⟩: the coefficients of the decomposition of docs/THEORY.md §1.2.
//! * alignment_i = max_j |α_ij| / ‖w_i‖ (= the best |cos(w_i, M_j)|, as M_j is a unit vector).
//! * sparse share_i = ‖Mᵀw_i‖² / ‖w_i‖², the fraction of ‖w_i‖² on span(M); the rest lies on
//!   M⊥, which is never formed (‖P⊥w‖² = ‖w‖² − ‖Mᵀw‖²).
//! * |N_i| = #{j : |α_ij| ≥ support_share · max_k |α_ik|} (relative: never empty), and by
//!   the absolute rule the audit reads the theorem with, #{j : |α_ij| ≥ c·√(2 ln d / d1)·‖w_i‖}
//!   (c = `support_floor`: a multiple of the largest coefficient a random direction has on
//!   d atoms; may be empty).
//! * off the support, per coordinate: max_{j ∉ N_i} |α′_ij| (absolute rule) and
//!   max_k |β_ik|, β the coordinates of the part of w_i off span(M), P⊥w_i = w_i − M Mᵀw_i,
//!   in the standard basis of R^{d1} (the frame {P⊥e_k} of M⊥; M⊥ is never formed).
//! * coverage: atom j is covered when it is the best atom of some neuron whose alignment
//!   exceeds `coverage_alignment`; neurons per atom count such neurons.
//! * noise dominance: cos(f(x), f(ξ)) over fresh test samples (docs/THEORY.md §2.1), undefined where
//!   either representation is zero (counted as the zero fraction, left out of the mean).
//! * per-atom best |cos(w_i, M_j)| over neurons: the metric a peer simulation reports.

use crate::sim::linalg::gemm;
use crate::stats::{mean, median, quantile_sorted};
use faer::{Accum, Mat};
use serde::{Deserialize, Serialize};

use crate::config::MetricsConfig;
use crate::sim::data::{Batch, Dictionary};
use crate::sim::network::Network;

/// Per-neuron view of the learned features.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
    /// |N_i| (relative rule).
    pub support_size: usize,
    /// |N_i| by the absolute rule (may be 0).
    pub support_abs: usize,
    /// max_{j ∉ N_i} |α_ij| (absolute rule; over every j when N_i is empty).
    pub off_support_max: f64,
    /// max_k |(P⊥ w_i)_k|, the largest coefficient off span(M).
    pub beta_max: f64,
    /// ‖w_i‖.
    pub norm: f64,
    /// b_i.
    pub bias: f64,
}

/// Summary of the features at one step (one row of `metrics.csv`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureReport {
    /// The summary.
    pub summary: FeatureSummary,
    /// Per neuron.
    pub neurons: Vec<NeuronRow>,
    /// α = W M (m×d).
    #[serde(with = "crate::sim::linalg::mat_serde")]
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
    beta_max: &[f64],
    bias: &[f64],
    floor: f64,
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
        let cut = floor * norm;
        let in_support = |j: usize| norm > 0.0 && alpha[(i, j)].abs() >= cut;
        let support_abs = (0..d).filter(|&j| in_support(j)).count();
        let off_support_max = (0..d)
            .filter(|&j| !in_support(j))
            .fold(0.0f64, |a, j| a.max(alpha[(i, j)].abs()));
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
            support_abs,
            off_support_max,
            beta_max: beta_max[i],
            norm,
            bias: bias[i],
        });
    }
    (neurons, per_atom, atom_best)
}

/// Per neuron, max_k |(P⊥ w_i)_k| with P⊥w_i = w_i − M α_iᵀ (α = W M).
fn off_span_maxima(net: &Network, alpha: &Mat<f64>, dict: &Dictionary) -> Vec<f64> {
    let mut resid = net.w.clone();
    gemm(
        resid.as_mut(),
        Accum::Add,
        alpha.as_ref(),
        dict.matrix().transpose(),
        -1.0,
    );
    let mut out = vec![0.0f64; net.m()];
    for k in 0..resid.ncols() {
        for (o, &v) in out.iter_mut().zip(resid.col_as_slice(k)) {
            *o = o.max(v.abs());
        }
    }
    out
}

/// Measure the features of `net` (with biases `bias`) against the dictionary, on the
/// fresh test samples `eval`.
pub fn measure(net: &Network, bias: &[f64], dict: &Dictionary, eval: &Batch, cfg: &MetricsConfig) -> FeatureReport {
    let m = net.m();
    let mut alpha = Mat::<f64>::zeros(m, dict.d());
    gemm(alpha.as_mut(), Accum::Replace, net.w.as_ref(), dict.matrix(), 1.0);
    let norms = net.row_norms();
    let beta_max = off_span_maxima(net, &alpha, dict);
    let floor = cfg.support_floor * (2.0 * (dict.d() as f64).ln() / dict.d1() as f64).sqrt();
    let (neurons, per_atom, atom_best) = neurons_and_atoms(&alpha, &norms, &beta_max, bias, floor, cfg);

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
        // d1 = 6 is too small for the default floor (3·√(2 ln 3 / 6) > 1): use c = 1.
        let cfg = MetricsConfig {
            support_floor: 1.0,
            ..MetricsConfig::default()
        };
        let r = measure(&net, &[0.0; 4], &dict, &eval, &cfg);
        assert_eq!(r.summary.align_median, 1.0);
        assert_eq!(r.summary.atoms_covered, 3);
        assert_eq!(r.summary.neurons_per_atom_max, 2);
        assert_eq!(r.summary.sparse_share_median, 1.0);
        assert_eq!(r.neurons[3].best_coef, -2.0);
        assert_eq!(r.summary.support_median, 1.0);
        // Atoms are on span(M): nothing off it, nothing off the support.
        for n in &r.neurons {
            assert_eq!(n.support_abs, 1);
            assert!(n.beta_max < 1e-12 && n.off_support_max < 1e-12, "{n:?}");
        }
    }

    #[test]
    fn the_absolute_rule_leaves_a_random_direction_without_support() {
        let d1 = 400;
        let dict = Dictionary::gaussian_qr(
            d1,
            50,
            &mut crate::sim::rng::stream(1, crate::sim::rng::Purpose::Dictionary),
        );
        let net = Network::init(
            20,
            d1,
            1.0,
            &mut crate::sim::rng::stream(1, crate::sim::rng::Purpose::Init),
        );
        let model = crate::sim::data::SparseCoding::new(dict.clone(), 0.05, 0.1);
        let eval = model.sample(20, &mut crate::sim::rng::stream(1, crate::sim::rng::Purpose::Eval));
        let r = measure(&net, &[0.0; 20], &dict, &eval, &MetricsConfig::default());
        let empty = r.neurons.iter().filter(|n| n.support_abs == 0).count();
        assert_eq!(empty, 20, "random directions have no coefficient 3x the noise floor");
        for n in &r.neurons {
            assert!(n.beta_max > 0.0 && n.off_support_max > 0.0);
        }
    }
}
