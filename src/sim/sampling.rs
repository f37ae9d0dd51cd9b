//! Sampling experiments that need no training: the data model's properties
//! (docs/THEORY.md §1.1) and the RandomMask identity behind feature decoupling
//! (docs/THEORY.md §1.4, §4.4).

use faer::Mat;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::config::SizeRule;
use crate::sim::data::{Dictionary, SparseCoding};
use crate::sim::linalg::gemm;
use crate::sim::rng::{self, Purpose};

/// Sizes of the data-model samples (no training).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataModelSizes {
    /// The values of d.
    pub d: Vec<usize>,
    /// d1 = round(d1_factor · d^d1_power).
    pub d1_factor: f64,
    /// See `d1_factor`.
    pub d1_power: f64,
    /// Samples per d.
    pub samples: usize,
}

impl DataModelSizes {
    /// d1 = round(d1_factor · d^d1_power).
    pub fn d1_rule(&self) -> SizeRule {
        SizeRule::new(self.d1_factor, self.d1_power)
    }
}

/// Monte Carlo sizes of the RandomMask identity (docs/THEORY.md §1.4, §4.4).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DecouplingSizes {
    /// d of the dictionary.
    pub d: usize,
    /// d1 of the Monte Carlo checks.
    pub d1: usize,
    /// Masks (or mask-and-noise draws) per estimate.
    pub draws: usize,
    /// Random (u, v, x) triples checked against the closed form.
    pub triples: usize,
    /// d1 of the exact check over all 2^d1 masks.
    pub exact_d1: usize,
}

/// What one value of d showed about the data model.
#[derive(Debug, Clone)]
pub struct DataPoint {
    /// d.
    pub d: usize,
    /// d1.
    pub d1: usize,
    /// ‖ξ‖² / ‖Mz‖² per sample (+∞ where z = 0).
    pub ratio: Vec<f64>,
    /// min over samples and j with z_j ≠ 0 of |⟨Mz, M_j⟩|.
    pub min_signal_corr: f64,
    /// |⟨ξ, M_j⟩| over all (sample, atom) pairs.
    pub noise_proj: Vec<f64>,
}

/// Sample the data model at every d of `spec` (defaults p, σ_ξ of docs/THEORY.md §4.1),
/// seed `seed`.
pub fn data_points(spec: &DataModelSizes, seed: u64) -> Vec<DataPoint> {
    spec.d
        .iter()
        .map(|&d| {
            let d1 = spec.d1_rule().at(d);
            let ln_d = (d as f64).ln();
            let p = ln_d.ln() / d as f64;
            let sigma_xi = (ln_d.sqrt() / d as f64).sqrt();
            let mut rng = rng::stream(seed ^ (d as u64) << 32, Purpose::Sampling);
            let dict = Dictionary::gaussian_qr(d1, d, &mut rng);
            let model = SparseCoding::new(dict, p, sigma_xi);
            let b = model.sample(spec.samples, &mut rng);
            let mut ratio = Vec::with_capacity(spec.samples);
            let mut min_signal_corr = f64::INFINITY;
            // ⟨Mz, M_j⟩ = (MᵀMz)_j and ⟨ξ, M_j⟩ = (Mᵀξ)_j, as products (d×n each).
            let mut mz = b.x.clone();
            for s in 0..spec.samples {
                for (v, &e) in mz.col_as_slice_mut(s).iter_mut().zip(b.xi.col_as_slice(s)) {
                    *v -= e;
                }
            }
            let mut proj_signal = Mat::<f64>::zeros(d, spec.samples);
            gemm(
                proj_signal.as_mut(),
                faer::Accum::Replace,
                model.dict.matrix().transpose(),
                mz.as_ref(),
                1.0,
            );
            let mut proj_noise = Mat::<f64>::zeros(d, spec.samples);
            gemm(
                proj_noise.as_mut(),
                faer::Accum::Replace,
                model.dict.matrix().transpose(),
                b.xi.as_ref(),
                1.0,
            );
            let mut noise_proj = Vec::with_capacity(d * spec.samples);
            for s in 0..spec.samples {
                let xi2: f64 = b.xi.col_as_slice(s).iter().map(|v| v * v).sum();
                let mz2: f64 = mz.col_as_slice(s).iter().map(|v| v * v).sum();
                ratio.push(if mz2 > 0.0 { xi2 / mz2 } else { f64::INFINITY });
                for (j, _) in b.z.sample(s) {
                    min_signal_corr = min_signal_corr.min(proj_signal[(j, s)].abs());
                }
                noise_proj.extend(proj_noise.col_as_slice(s).iter().map(|v| v.abs()));
            }
            DataPoint {
                d,
                d1,
                ratio,
                min_signal_corr,
                noise_proj,
            }
        })
        .collect()
}

/// Draws of one Monte Carlo estimate and the closed form it should match.
#[derive(Debug, Clone)]
pub struct McEstimate {
    /// What is estimated.
    pub name: String,
    /// The draws.
    pub draws: Vec<f64>,
    /// The closed form (docs/THEORY.md §4.4).
    pub closed_form: f64,
    /// The size of the quantities the identity relates (e.g. the correlation without
    /// augmentation): the Monte Carlo interval must be small against it to show anything.
    pub scale: f64,
}

/// Everything the RandomMask identity check measured.
#[derive(Debug, Clone)]
pub struct DecouplingEvidence {
    /// |exact average over all 2^d1 masks − closed form| / max(1, |closed form|), worst triple.
    pub exact_rel_error: f64,
    /// Random (u, v, x): E_D[⟨u,2Dx⟩⟨v,2(I−D)x⟩] vs ⟨u,x⟩⟨v,x⟩ − Σ u_k v_k x_k².
    pub triples: Vec<McEstimate>,
    /// Dense noise: E_{ξ,D}[⟨u,2Dξ⟩⟨u,2(I−D)ξ⟩] vs 0.
    pub noise: McEstimate,
    /// The same correlation without augmentation, E⟨u,ξ⟩² = σ_ξ²‖u‖² (for contrast).
    pub noise_no_aug: McEstimate,
    /// Sparse feature: u = v = x = M_j, closed form 1 − ‖M_j‖₄⁴.
    pub sparse: McEstimate,
    /// Coordinate-aligned M = I, x = e_j: the largest |product| over draws (exactly 0).
    pub identity_max_abs: f64,
}

fn mask_product<R: Rng>(u: &[f64], v: &[f64], x: &[f64], rng: &mut R) -> f64 {
    let (mut a, mut b) = (0.0, 0.0);
    for k in 0..x.len() {
        if rng.random::<bool>() {
            a += u[k] * 2.0 * x[k];
        } else {
            b += v[k] * 2.0 * x[k];
        }
    }
    a * b
}

fn closed_form(u: &[f64], v: &[f64], x: &[f64]) -> f64 {
    let ux: f64 = u.iter().zip(x).map(|(a, b)| a * b).sum();
    let vx: f64 = v.iter().zip(x).map(|(a, b)| a * b).sum();
    let diag: f64 = (0..x.len()).map(|k| u[k] * v[k] * x[k] * x[k]).sum();
    ux * vx - diag
}

fn gaussian_vec<R: Rng>(n: usize, scale: f64, rng: &mut R) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let e: f64 = StandardNormal.sample(rng);
            scale * e
        })
        .collect()
}

/// The worst relative error, over `triples` random (u, v, x) in R^n, of the exact average
/// over all 2^n masks against the closed form.
fn exact_rel_error<R: Rng>(n: usize, triples: usize, rng: &mut R) -> f64 {
    let mut worst: f64 = 0.0;
    for _ in 0..triples {
        let (u, v, x) = (
            gaussian_vec(n, 1.0, rng),
            gaussian_vec(n, 1.0, rng),
            gaussian_vec(n, 1.0, rng),
        );
        let mut total = 0.0;
        for mask in 0u64..(1 << n) {
            let (mut a, mut b) = (0.0, 0.0);
            for k in 0..n {
                if (mask >> k) & 1 == 1 {
                    a += u[k] * 2.0 * x[k];
                } else {
                    b += v[k] * 2.0 * x[k];
                }
            }
            total += a * b;
        }
        let avg = total / (1u64 << n) as f64;
        let cf = closed_form(&u, &v, &x);
        worst = worst.max((avg - cf).abs() / cf.abs().max(1.0));
    }
    worst
}

/// Monte Carlo estimates of the identity at random (u, v, x), x a sample of `model`.
fn random_triples<R: Rng>(model: &SparseCoding, spec: &DecouplingSizes, rng: &mut R) -> Vec<McEstimate> {
    let d1 = spec.d1;
    let unit = 1.0 / (d1 as f64).sqrt();
    let mut triples = Vec::new();
    for t in 0..spec.triples {
        let u = gaussian_vec(d1, unit, rng);
        let v = gaussian_vec(d1, unit, rng);
        let b = model.sample(1, rng);
        let x = b.x.col_as_slice(0).to_vec();
        let draws = (0..spec.draws).map(|_| mask_product(&u, &v, &x, rng)).collect();
        let ux: f64 = u.iter().zip(&x).map(|(a, b)| a * b).sum();
        let vx: f64 = v.iter().zip(&x).map(|(a, b)| a * b).sum();
        let cf = closed_form(&u, &v, &x);
        triples.push(McEstimate {
            name: format!("random triple {t}"),
            draws,
            closed_form: cf,
            scale: (ux * vx).abs() + (ux * vx - cf).abs(),
        });
    }
    triples
}

/// The dense noise's correlation across the two views, with RandomMask and with
/// identical views.
fn noise_estimates<R: Rng>(spec: &DecouplingSizes, sigma_xi: f64, rng: &mut R) -> (McEstimate, McEstimate) {
    let d1 = spec.d1;
    let u = gaussian_vec(d1, 1.0 / (d1 as f64).sqrt(), rng);
    let u_norm2: f64 = u.iter().map(|a| a * a).sum();
    let mut noise_draws = Vec::with_capacity(spec.draws);
    let mut na_draws = Vec::with_capacity(spec.draws);
    for _ in 0..spec.draws {
        let xi = gaussian_vec(d1, sigma_xi, rng);
        noise_draws.push(mask_product(&u, &u, &xi, rng));
        let p: f64 = u.iter().zip(&xi).map(|(a, b)| a * b).sum();
        na_draws.push(p * p);
    }
    let energy = sigma_xi * sigma_xi * u_norm2;
    (
        McEstimate {
            name: "dense noise, RandomMask".into(),
            draws: noise_draws,
            closed_form: 0.0,
            scale: energy,
        },
        McEstimate {
            name: "dense noise, identical views".into(),
            draws: na_draws,
            closed_form: energy,
            scale: energy,
        },
    )
}

/// Run the identity checks of docs/THEORY.md §4.4 with seed `seed`.
pub fn decoupling(spec: &DecouplingSizes, seed: u64) -> DecouplingEvidence {
    let mut rng = rng::stream(seed, Purpose::Sampling);
    let exact_rel_error = exact_rel_error(spec.exact_d1, spec.triples, &mut rng);
    let d1 = spec.d1;
    let ln_d = (spec.d as f64).ln();
    let sigma_xi = (ln_d.sqrt() / spec.d as f64).sqrt();
    let dict = Dictionary::gaussian_qr(d1, spec.d, &mut rng);
    let model = SparseCoding::new(dict, ln_d.ln() / spec.d as f64, sigma_xi);
    let triples = random_triples(&model, spec, &mut rng);
    let (noise, noise_no_aug) = noise_estimates(spec, sigma_xi, &mut rng);
    let atom = model.dict.atom(0).to_vec();
    let l4: f64 = atom.iter().map(|a| a.powi(4)).sum();
    let sparse_draws = (0..spec.draws)
        .map(|_| mask_product(&atom, &atom, &atom, &mut rng))
        .collect();
    let mut e0 = vec![0.0; d1];
    e0[0] = 1.0;
    let identity_max_abs = (0..spec.draws)
        .map(|_| mask_product(&e0, &e0, &e0, &mut rng).abs())
        .fold(0.0, f64::max);
    DecouplingEvidence {
        exact_rel_error,
        triples,
        noise,
        noise_no_aug,
        sparse: McEstimate {
            name: "sparse atom M_0".into(),
            draws: sparse_draws,
            closed_form: 1.0 - l4,
            scale: 1.0,
        },
        identity_max_abs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_matches_exact_enumeration() {
        let spec = DecouplingSizes {
            d: 10,
            d1: 40,
            draws: 200,
            triples: 3,
            exact_d1: 8,
        };
        let e = decoupling(&spec, 1);
        assert!(e.exact_rel_error < 1e-12, "{}", e.exact_rel_error);
        assert_eq!(e.identity_max_abs, 0.0);
    }
}
