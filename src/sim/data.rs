//! The sparse coding model x = Mz + ξ (docs/THEORY.md §1.1, docs/THEORY.md §4.1).
//!
//! Samples are stored as the *columns* of a d1×n matrix, so one sample is contiguous
//! in memory. The sparse codes z are kept sparsely (about p·d nonzeros a sample) and Mz
//! is formed by adding ± dictionary columns: a dense Z is never multiplied by M.

use faer::{Mat, MatRef};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::config::{CodeKind, DictionaryKind, Settings};
use crate::sim::rng::{self, Purpose};

/// The dictionary M ∈ R^{d1×d}, column-orthonormal.
#[derive(Debug, Clone)]
pub struct Dictionary {
    m: Mat<f64>,
}

impl Dictionary {
    /// The first d columns of Q from faer's QR of a d1×d standard Gaussian matrix, filled
    /// column by column from `rng` (docs/THEORY.md §4.1). Delocalised: ‖M_j‖_∞ ≈ √(2 ln d1 / d1).
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

    /// The first d columns of the d1×d1 identity (coordinate-aligned; §4.4 ablation).
    pub fn identity(d1: usize, d: usize) -> Self {
        Self {
            m: Mat::from_fn(d1, d, |i, j| if i == j { 1.0 } else { 0.0 }),
        }
    }

    /// The dictionary of a run: built from the run's `Dictionary` stream.
    pub fn for_settings(s: &Settings) -> Self {
        match s.model.dictionary {
            DictionaryKind::GaussianQr => {
                Self::gaussian_qr(s.model.d1, s.model.d, &mut rng::stream(s.seed, Purpose::Dictionary))
            }
            DictionaryKind::Identity => Self::identity(s.model.d1, s.model.d),
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
/// `index[offsets[s]..offsets[s+1]]` with values `value[..]` (±1 in the paper's model).
#[derive(Debug, Clone, Default)]
pub struct SparseCodes {
    /// Row offsets, length n + 1.
    pub offsets: Vec<usize>,
    /// Atom indices of the nonzeros.
    pub index: Vec<u32>,
    /// Their values.
    pub value: Vec<f64>,
}

impl SparseCodes {
    /// Empty codes with room for `n` samples of up to `d` nonzeros each, so that filling
    /// them never allocates.
    pub fn with_capacity(n: usize, d: usize) -> Self {
        let mut z = Self {
            offsets: Vec::with_capacity(n + 1),
            index: Vec::with_capacity(n * d),
            value: Vec::with_capacity(n * d),
        };
        z.clear();
        z
    }

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
            .zip(&self.value[r])
            .map(|(&j, &v)| (j as usize, v))
    }

    /// ⟨w, z_s⟩ for a dense w ∈ R^d.
    pub fn dot(&self, s: usize, w: &[f64]) -> f64 {
        self.sample(s).map(|(j, v)| v * w[j]).sum()
    }

    /// Empty the codes, keeping their memory (call before a batch of [`SparseCoding::sample_one`]).
    pub fn clear(&mut self) {
        self.offsets.clear();
        self.offsets.push(0);
        self.index.clear();
        self.value.clear();
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

/// The data distribution 𝒟_x of docs/THEORY.md §1.1: the dictionary, p and σ_ξ.
#[derive(Debug, Clone)]
pub struct SparseCoding {
    /// The dictionary M.
    pub dict: Dictionary,
    /// Pr(z_j ≠ 0).
    pub p: f64,
    /// Noise std σ_ξ.
    pub sigma_xi: f64,
    /// Values of the nonzero codes.
    pub code: CodeKind,
    /// Exactly this many nonzeros per z (uniform support), if set; else Bernoulli(p).
    pub exact_k: Option<usize>,
}

impl SparseCoding {
    /// The model of a run (dictionary from its seed; p and σ_ξ resolved by `check`).
    pub fn for_settings(s: &Settings) -> Self {
        Self {
            dict: Dictionary::for_settings(s),
            p: s.model.p,
            sigma_xi: s.model.sigma_xi,
            code: s.model.code,
            exact_k: s.model.exact_k,
        }
    }

    /// The paper's model (±1 codes, Bernoulli(p) support) with a given dictionary.
    pub fn new(dict: Dictionary, p: f64, sigma_xi: f64) -> Self {
        Self {
            dict,
            p,
            sigma_xi,
            code: CodeKind::Sign,
            exact_k: None,
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
    /// support of z (by geometric skipping, exactly Bernoulli(p) per coordinate; or, with
    /// `exact_k`, k distinct atoms by Floyd's algorithm, sorted), one value per nonzero (a
    /// sign bit, or a standard normal), then d1 standard normals for ξ.
    pub fn sample_into<R: Rng>(
        &self,
        rng: &mut R,
        x: &mut Mat<f64>,
        mut xi: Option<&mut Mat<f64>>,
        z: &mut SparseCodes,
    ) {
        let d1 = self.dict.d1();
        let n = x.ncols();
        assert_eq!(x.nrows(), d1, "x must have d1 rows");
        z.clear();
        for s in 0..n {
            let xi_col = xi.as_deref_mut().map(|xi| xi.col_as_slice_mut(s));
            self.sample_one(rng, x.col_as_slice_mut(s), xi_col, z);
        }
    }

    /// Draw one sample into `col` (length d1) and append its code to `z` (see
    /// [`Self::sample_into`], which is this called once per column after `z.clear()`).
    /// `xi`, if given, receives the noise. The trainer calls it directly to make the views
    /// of each sample while the sample is still in cache.
    #[inline]
    pub fn sample_one<R: Rng>(&self, rng: &mut R, col: &mut [f64], xi: Option<&mut [f64]>, z: &mut SparseCodes) {
        let first = z.index.len();
        match self.exact_k {
            None => self.bernoulli_support(rng, &mut z.index),
            Some(k) => self.exact_support(rng, k, &mut z.index),
        }
        let k = z.index.len() - first;
        let mut negatives = k.div_ceil(2);
        for i in 0..k {
            let v = match self.code {
                CodeKind::Sign => {
                    if rng.random::<bool>() {
                        1.0
                    } else {
                        -1.0
                    }
                }
                CodeKind::Gaussian => StandardNormal.sample(rng),
                CodeKind::Balanced => {
                    // ⌈k/2⌉ of the k nonzeros are −1, at uniformly random places among them:
                    // each is −1 with probability (negatives left) / (places left).
                    let left = k - i;
                    if rng.random_range(0..left) < negatives {
                        negatives -= 1;
                        -1.0
                    } else {
                        1.0
                    }
                }
            };
            z.value.push(v);
        }
        z.offsets.push(z.index.len());

        for v in col.iter_mut() {
            let e: f64 = StandardNormal.sample(rng);
            *v = self.sigma_xi * e;
        }
        if let Some(xi) = xi {
            xi.copy_from_slice(col);
        }
        for k in first..z.index.len() {
            let atom = self.dict.atom(z.index[k] as usize);
            let zv = z.value[k];
            for (v, &a) in col.iter_mut().zip(atom) {
                *v += zv * a;
            }
        }
    }

    /// Append the support of one z with independent Bernoulli(p) coordinates, by
    /// geometric skipping: gaps floor(ln(1−u)/ln(1−p)) ~ Geometric(p).
    fn bernoulli_support<R: Rng>(&self, rng: &mut R, out: &mut Vec<u32>) {
        let d = self.dict.d();
        if self.p >= 1.0 {
            out.extend(0..d as u32);
            return;
        }
        let log_q = (-self.p).ln_1p();
        let mut j = 0usize;
        loop {
            let u: f64 = rng.random();
            // 1 − u ∈ (0, 1]: the log is finite.
            let g = ((1.0 - u).ln() / log_q).floor();
            if g >= (d - j) as f64 {
                return;
            }
            j += g as usize;
            out.push(j as u32);
            j += 1;
            if j >= d {
                return;
            }
        }
    }

    /// Append k distinct atoms chosen uniformly (Floyd's algorithm), in increasing order.
    fn exact_support<R: Rng>(&self, rng: &mut R, k: usize, out: &mut Vec<u32>) {
        let d = self.dict.d();
        let start = out.len();
        for top in (d - k)..d {
            let t = rng.random_range(0..=top) as u32;
            if out[start..].contains(&t) {
                out.push(top as u32);
            } else {
                out.push(t);
            }
        }
        out[start..].sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::linalg::gemm;
    use faer::Accum;

    #[test]
    fn dictionary_is_orthonormal_and_delocalised() {
        let dict = Dictionary::gaussian_qr(200, 20, &mut rng::stream(1, Purpose::Dictionary));
        let mut g = Mat::<f64>::zeros(20, 20);
        gemm(
            g.as_mut(),
            Accum::Replace,
            dict.matrix().transpose(),
            dict.matrix(),
            1.0,
        );
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
        let model = SparseCoding::new(dict, 0.2, 0.3);
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
        let model = SparseCoding::new(dict, 0.3, 0.5);
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
        let model = SparseCoding::new(dict, 1.0, 0.1);
        let b = model.sample(5, &mut rng::stream(4, Purpose::Data));
        assert_eq!(b.z.index.len(), 20);
    }

    #[test]
    fn balanced_codes_have_one_minus_one_and_one_plus_one_anywhere() {
        let mut model = SparseCoding::new(
            Dictionary::gaussian_qr(20, 10, &mut rng::stream(3, Purpose::Dictionary)),
            0.2,
            0.1,
        );
        model.exact_k = Some(2);
        model.code = CodeKind::Balanced;
        let b = model.sample(4000, &mut rng::stream(3, Purpose::Data));
        let mut first_negative = 0;
        for s in 0..4000 {
            let v: Vec<(usize, f64)> = b.z.sample(s).collect();
            assert_eq!(v.len(), 2);
            assert_eq!(v.iter().map(|(_, x)| x).sum::<f64>(), 0.0, "{v:?}");
            first_negative += usize::from(v[0].1 < 0.0);
        }
        // The −1 is at the smaller index about half the time (not always).
        assert!((1800..2200).contains(&first_negative), "{first_negative}");
    }

    #[test]
    fn exact_k_gives_k_distinct_atoms_and_gaussian_codes_vary() {
        let dict = Dictionary::gaussian_qr(30, 10, &mut rng::stream(5, Purpose::Dictionary));
        let mut model = SparseCoding::new(dict, 0.1, 0.1);
        model.exact_k = Some(3);
        model.code = CodeKind::Gaussian;
        let b = model.sample(200, &mut rng::stream(5, Purpose::Data));
        for s in 0..200 {
            let idx: Vec<usize> = b.z.sample(s).map(|(j, _)| j).collect();
            assert_eq!(idx.len(), 3);
            assert!(idx.windows(2).all(|w| w[0] < w[1]));
        }
        assert!(b.z.value.iter().any(|v| v.abs() != 1.0));
    }
}
