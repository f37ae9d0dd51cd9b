//! The sparse coding model x = Mz + ξ (seed §2.1, SPEC §1).
//!
//! Samples are stored as the *columns* of a d1×n matrix, so one sample is contiguous
//! in memory. The sparse codes z are kept sparsely (about p·d nonzeros a sample) and Mz
//! is formed by adding ± dictionary columns: a dense Z is never multiplied by M.

use faer::{Mat, MatRef};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::config::{DictionaryKind, Settings};
use crate::rng::{self, Purpose};

/// The dictionary M ∈ R^{d1×d}, column-orthonormal.
#[derive(Debug, Clone)]
pub struct Dictionary {
    m: Mat<f64>,
}

impl Dictionary {
    /// The first d columns of Q from faer's QR of a d1×d standard Gaussian matrix, filled
    /// column by column from `rng` (SPEC §1). Delocalised: ‖M_j‖_∞ ≈ √(2 ln d1 / d1).
    pub fn gaussian_qr<R: Rng>(d1: usize, d: usize, rng: &mut R) -> Self {
        let mut g = Mat::<f64>::zeros(d1, d);
        for j in 0..d {
            for v in g.col_as_slice_mut(j) {
                *v = StandardNormal.sample(rng);
            }
        }
        let q = g.qr().compute_thin_Q();
        Self { m: q }
    }

    /// The first d columns of the d1×d1 identity (coordinate-aligned; SPEC §4 ablation).
    pub fn identity(d1: usize, d: usize) -> Self {
        Self {
            m: Mat::from_fn(d1, d, |i, j| if i == j { 1.0 } else { 0.0 }),
        }
    }

    /// The dictionary of a run: built from the run's `Dictionary` stream.
    pub fn for_settings(s: &Settings) -> Self {
        match s.dictionary {
            DictionaryKind::GaussianQr => {
                Self::gaussian_qr(s.d1, s.d, &mut rng::stream(s.seed, Purpose::Dictionary))
            }
            DictionaryKind::Identity => Self::identity(s.d1, s.d),
        }
    }

    /// M as a matrix view (d1×d).
    pub fn matrix(&self) -> MatRef<'_, f64> {
        self.m.as_ref()
    }

    /// Atom M_j (a column, length d1).
    pub fn atom(&self, j: usize) -> &[f64] {
        self.m.col_as_slice(j)
    }

    /// Ambient dimension d1.
    pub fn d1(&self) -> usize {
        self.m.nrows()
    }

    /// Number of atoms d.
    pub fn d(&self) -> usize {
        self.m.ncols()
    }
}

/// Sparse codes of n samples: for sample `s`, the nonzero coordinates are
/// `index[offsets[s]..offsets[s+1]]` with values `sign[..]` ∈ {−1, +1}.
#[derive(Debug, Clone, Default)]
pub struct SparseCodes {
    /// Row offsets, length n + 1.
    pub offsets: Vec<usize>,
    /// Atom indices of the nonzeros.
    pub index: Vec<u32>,
    /// Their values ±1.
    pub sign: Vec<f64>,
}

impl SparseCodes {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The nonzeros (index, sign) of sample `s`.
    pub fn sample(&self, s: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.offsets[s]..self.offsets[s + 1];
        self.index[r.clone()]
            .iter()
            .zip(&self.sign[r])
            .map(|(&j, &v)| (j as usize, v))
    }

    /// ⟨w, z_s⟩ for a dense w ∈ R^d.
    pub fn dot(&self, s: usize, w: &[f64]) -> f64 {
        self.sample(s).map(|(j, v)| v * w[j]).sum()
    }

    fn clear(&mut self) {
        self.offsets.clear();
        self.offsets.push(0);
        self.index.clear();
        self.sign.clear();
    }
}

/// A batch that keeps the parts of x = Mz + ξ apart so metrics can reuse ξ.
#[derive(Debug, Clone)]
pub struct Batch {
    /// x, d1×n (one sample a column).
    pub x: Mat<f64>,
    /// ξ, d1×n.
    pub xi: Mat<f64>,
    /// z, sparse.
    pub z: SparseCodes,
}

/// The data distribution 𝒟_x of seed §2.1: the dictionary, p and σ_ξ.
#[derive(Debug, Clone)]
pub struct SparseCoding {
    /// The dictionary M.
    pub dict: Dictionary,
    /// Pr(z_j ≠ 0).
    pub p: f64,
    /// Noise std σ_ξ.
    pub sigma_xi: f64,
}

impl SparseCoding {
    /// The model of a run (dictionary from its seed; p and σ_ξ resolved by `check`).
    pub fn for_settings(s: &Settings) -> Self {
        Self {
            dict: Dictionary::for_settings(s),
            p: s.p,
            sigma_xi: s.sigma_xi,
        }
    }

    /// Draw `n` samples, keeping x, ξ and z.
    pub fn sample<R: Rng>(&self, n: usize, rng: &mut R) -> Batch {
        let d1 = self.dict.d1();
        let mut x = Mat::<f64>::zeros(d1, n);
        let mut xi = Mat::<f64>::zeros(d1, n);
        let mut z = SparseCodes::default();
        self.sample_into(rng, &mut x, Some(&mut xi), &mut z);
        Batch { x, xi, z }
    }

    /// Fill `x` (d1×n) with fresh samples and `z` with their codes, reusing their memory
    /// (no allocation once `z` has grown to its working size). If `xi` is given it receives
    /// the noise. The random stream is consumed identically either way: per sample, the
    /// support of z by geometric skipping (exactly Bernoulli(p) per coordinate), one sign
    /// bit per nonzero, then d1 standard normals.
    pub fn sample_into<R: Rng>(
        &self,
        rng: &mut R,
        x: &mut Mat<f64>,
        mut xi: Option<&mut Mat<f64>>,
        z: &mut SparseCodes,
    ) {
        let d = self.dict.d();
        let d1 = self.dict.d1();
        let n = x.ncols();
        assert_eq!(x.nrows(), d1, "x must have d1 rows");
        z.clear();
        // ln(1 − p); with p = 1 every coordinate is nonzero.
        let log_q = (-self.p).ln_1p();
        for s in 0..n {
            let mut j: usize = 0;
            loop {
                let skip = if self.p >= 1.0 {
                    0
                } else {
                    let u: f64 = rng.random();
                    // 1 − u ∈ (0, 1]: the log is finite; floor(ln(1−u)/ln(1−p)) ~ Geometric(p).
                    let g = ((1.0 - u).ln() / log_q).floor();
                    if g >= (d - j) as f64 {
                        break;
                    }
                    g as usize
                };
                j += skip;
                if j >= d {
                    break;
                }
                z.index.push(j as u32);
                z.sign.push(if rng.random::<bool>() { 1.0 } else { -1.0 });
                j += 1;
                if j >= d {
                    break;
                }
            }
            z.offsets.push(z.index.len());

            let col = x.col_as_slice_mut(s);
            for v in col.iter_mut() {
                let e: f64 = StandardNormal.sample(rng);
                *v = self.sigma_xi * e;
            }
            if let Some(xi) = xi.as_deref_mut() {
                xi.col_as_slice_mut(s).copy_from_slice(col);
            }
            for k in z.offsets[s]..z.offsets[s + 1] {
                let atom = self.dict.atom(z.index[k] as usize);
                let sg = z.sign[k];
                for (v, &a) in col.iter_mut().zip(atom) {
                    *v += sg * a;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::gemm;
    use faer::{Accum, Par};

    #[test]
    fn dictionary_is_orthonormal_and_delocalised() {
        let dict = Dictionary::gaussian_qr(200, 20, &mut rng::stream(1, Purpose::Dictionary));
        let mut g = Mat::<f64>::zeros(20, 20);
        gemm(g.as_mut(), Accum::Replace, dict.matrix().transpose(), dict.matrix(), 1.0);
        for i in 0..20 {
            for j in 0..20 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((g[(i, j)] - want).abs() < 1e-12);
            }
        }
        let max_entry = (0..20)
            .flat_map(|j| dict.atom(j).iter().map(|v| v.abs()).collect::<Vec<_>>())
            .fold(0.0, f64::max);
        assert!(max_entry < 0.4, "not delocalised: {max_entry}");
    }

    #[test]
    fn sparsity_matches_p_and_x_is_mz_plus_xi() {
        let dict = Dictionary::gaussian_qr(64, 16, &mut rng::stream(2, Purpose::Dictionary));
        let model = SparseCoding { dict, p: 0.2, sigma_xi: 0.3 };
        let b = model.sample(4000, &mut rng::stream(2, Purpose::Data));
        let nnz = b.z.index.len() as f64 / (4000.0 * 16.0);
        // Binomial(64000, 0.2): sd of the fraction ≈ 0.0016; 5 sd.
        assert!((nnz - 0.2).abs() < 0.008, "nnz fraction {nnz}");
        for s in [0, 17, 3999] {
            for r in 0..64 {
                let mz: f64 = b.z.sample(s).map(|(j, v)| v * model.dict.atom(j)[r]).sum();
                assert!((b.x[(r, s)] - mz - b.xi[(r, s)]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn keeping_xi_does_not_change_the_stream() {
        let dict = Dictionary::gaussian_qr(32, 8, &mut rng::stream(3, Purpose::Dictionary));
        let model = SparseCoding { dict, p: 0.3, sigma_xi: 0.5 };
        let a = model.sample(10, &mut rng::stream(3, Purpose::Data));
        let mut x = Mat::<f64>::zeros(32, 10);
        let mut z = SparseCodes::default();
        model.sample_into(&mut rng::stream(3, Purpose::Data), &mut x, None, &mut z);
        assert_eq!(a.x, x);
        assert_eq!(a.z.index, z.index);
    }

    #[test]
    fn p_one_gives_dense_codes() {
        let dict = Dictionary::identity(8, 4);
        let model = SparseCoding { dict, p: 1.0, sigma_xi: 0.1 };
        let b = model.sample(5, &mut rng::stream(4, Purpose::Data));
        assert_eq!(b.z.index.len(), 20);
    }
}
