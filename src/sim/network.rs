//! The two-layer network of symmetric-threshold ReLU neurons (docs/THEORY.md §1.2, docs/THEORY.md §4.2).
//!
//! h_i(x) = ReLU(⟨w_i,x⟩ − b_i) − ReLU(−⟨w_i,x⟩ − b_i) = sign(u)·max(|u| − b_i, 0) with
//! u = ⟨w_i,x⟩: a soft threshold whose derivative in u is 1[|u| > b_i]. The bias is not
//! trained; it is set by the rule b_i = κ·s·‖w_i‖ (this project's documented reading of
//! docs/THEORY.md §1.5's "manually updated using w").

use std::borrow::Cow;

use crate::config::Settings;
use crate::sim::linalg::{gemm, Real};
use crate::sim::rng::{self, Purpose};
use faer::{Accum, Mat, MatMut, MatRef};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The weights W ∈ R^{m×d1}; row i is neuron w_i. Held in f64 everywhere but inside an
/// f32 trainer ([`Real`]); metrics, probes and outputs read the f64 network
/// ([`Network::to_f64`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Network<T: Real = f64> {
    /// W, m×d1.
    pub w: Mat<T>,
}

/// The soft threshold sign(u)·max(|u| − b, 0) for b ≥ 0, computed branch-free as
/// u − clamp(u, −b, b): exactly u − b above b, u + b below −b and +0 in between (the same
/// bits as the three-way branch, without its mispredictions on random signs). Nonzero
/// exactly where |u| > b (IEEE subtraction of unequal numbers is never 0), which is how
/// the gradient's gate 1[|u| > b] is read back from the features.
#[inline]
pub fn soft_threshold(u: f64, b: f64) -> f64 {
    u - u.max(-b).min(b)
}

/// relu(u − b) − relu(−u − b) for a bias of either sign: the soft threshold for b ≥ 0
/// (the same bits as [`soft_threshold`]); for b < 0 no dead zone but a slope 2 on
/// |u| < −b. The peer variant's neuron, whose trained bias may turn negative (the peer
/// writes it relu(⟨w,x⟩ + β) − relu(−⟨w,x⟩ + β) with β = −b; docs/THEORY.md §4.6).
#[inline]
pub fn two_relu(u: f64, b: f64) -> f64 {
    if b >= 0.0 {
        soft_threshold(u, b)
    } else {
        (u - b).max(0.0) - (-u - b).max(0.0)
    }
}

impl<T: Real> Network<T> {
    /// w_i ~ N(0, σ0² I), filled column by column (coordinate k of every neuron, then k+1).
    /// Drawn in f64 and rounded to `T`, so an f32 run starts from the f64 run's network.
    pub fn draw<R: Rng>(m: usize, d1: usize, sigma0: f64, rng: &mut R) -> Self {
        let mut w = Mat::<T>::zeros(m, d1);
        for k in 0..d1 {
            for v in w.col_as_slice_mut(k) {
                let e: f64 = StandardNormal.sample(rng);
                *v = T::of(sigma0 * e);
            }
        }
        Self { w }
    }

    /// W⁽⁰⁾ of a run: m×d1 with N(0, σ0²) entries from the run's Init stream.
    pub fn for_settings_in(s: &Settings) -> Self {
        Self::draw(
            s.network.m,
            s.model.d1,
            s.network.sigma0,
            &mut rng::stream(s.seed, Purpose::Init),
        )
    }

    /// Number of neurons m.
    pub fn m(&self) -> usize {
        self.w.nrows()
    }

    /// Input dimension d1.
    pub fn d1(&self) -> usize {
        self.w.ncols()
    }

    /// ‖w_i‖ of every neuron into `out` (length m), accumulated in f64.
    pub fn row_norms_into(&self, out: &mut [f64]) {
        out.fill(0.0);
        for k in 0..self.d1() {
            for (o, &v) in out.iter_mut().zip(self.w.col_as_slice(k)) {
                let v = v.wide();
                *o += v * v;
            }
        }
        for o in out.iter_mut() {
            *o = o.sqrt();
        }
    }

    /// W ← scale·W.
    pub fn scale(&mut self, scale: f64) {
        let scale = T::of(scale);
        for k in 0..self.d1() {
            for v in self.w.col_as_slice_mut(k) {
                *v *= scale;
            }
        }
    }

    /// Weight decay of one SGD step: W ← (1 − ηλ)·W (nothing to do when ηλ = 0).
    pub fn decay(&mut self, lr: f64, weight_decay: f64) {
        let shrink = 1.0 - lr * weight_decay;
        if shrink != 1.0 {
            self.scale(shrink);
        }
    }

    /// Pre-activations U = W X (m×n) for inputs X (d1×n, one sample a column).
    pub fn preactivations_into(&self, x: MatRef<'_, T>, u: MatMut<'_, T>) {
        gemm(u, Accum::Replace, self.w.as_ref(), x, T::of(1.0));
    }

    /// F = h(U) in place: `u` (m×n, column-major) holds the pre-activations on entry and
    /// the features on return.
    pub fn activate_in_place(mut u: MatMut<'_, T>, b: &[T]) {
        for s in 0..u.ncols() {
            let col = u
                .as_mut()
                .col_mut(s)
                .try_as_col_major_mut()
                .expect("column-major features")
                .as_slice_mut();
            for (v, &bv) in col.iter_mut().zip(b) {
                *v = T::soft_threshold(*v, bv);
            }
        }
    }

    /// ‖w_i‖ of every neuron.
    pub fn row_norms(&self) -> Vec<f64> {
        let mut n = vec![0.0; self.m()];
        self.row_norms_into(&mut n);
        n
    }

    /// The same network in f64: borrowed when `T` is f64, converted (exactly) when f32.
    pub fn to_f64(&self) -> Cow<'_, Network> {
        if let Some(net) = (self as &dyn std::any::Any).downcast_ref::<Network>() {
            return Cow::Borrowed(net);
        }
        let (m, d1) = (self.m(), self.d1());
        Cow::Owned(Network {
            w: Mat::from_fn(m, d1, |i, k| self.w[(i, k)].wide()),
        })
    }
}

impl Network {
    /// w_i ~ N(0, σ0² I) in f64 ([`Network::draw`] in any precision).
    pub fn init<R: Rng>(m: usize, d1: usize, sigma0: f64, rng: &mut R) -> Self {
        Self::draw(m, d1, sigma0, rng)
    }

    /// W⁽⁰⁾ of a run in f64 ([`Network::for_settings_in`] in any precision).
    pub fn for_settings(s: &Settings) -> Self {
        Self::for_settings_in(s)
    }

    /// W ← W + alpha·G elementwise (G m×d1): an SGD step with a gradient formed apart.
    pub fn add_scaled(&mut self, alpha: f64, g: &Mat<f64>) {
        for k in 0..self.d1() {
            for (v, &gv) in self.w.col_as_slice_mut(k).iter_mut().zip(g.col_as_slice(k)) {
                *v += alpha * gv;
            }
        }
    }

    /// The bias rule b_i = κ·s·‖w_i‖ from precomputed norms (docs/THEORY.md §4.2).
    pub fn biases_from_norms(norms: &[f64], kappa: f64, s: f64, out: &mut [f64]) {
        for (b, &n) in out.iter_mut().zip(norms) {
            *b = kappa * s * n;
        }
    }

    /// F = h(U) elementwise with per-neuron bias `b` (column-major m×n buffers).
    pub fn activate_into(u: &Mat<f64>, b: &[f64], f: &mut Mat<f64>) {
        for s in 0..u.ncols() {
            for ((fv, &uv), &bv) in f.col_as_slice_mut(s).iter_mut().zip(u.col_as_slice(s)).zip(b) {
                *fv = soft_threshold(uv, bv);
            }
        }
    }

    /// f(X) (m×n) with biases `b`, allocating (for evaluation, not the training loop).
    /// A negative bias (the peer variant's) acts by [`two_relu`].
    pub fn features(&self, x: MatRef<'_, f64>, b: &[f64]) -> Mat<f64> {
        let mut u = Mat::<f64>::zeros(self.m(), x.ncols());
        self.preactivations_into(x, u.as_mut());
        let mut f = Mat::<f64>::zeros(self.m(), x.ncols());
        if b.iter().all(|&bv| bv >= 0.0) {
            Self::activate_into(&u, b, &mut f);
        } else {
            for s in 0..u.ncols() {
                for ((fv, &uv), &bv) in f.col_as_slice_mut(s).iter_mut().zip(u.col_as_slice(s)).zip(b) {
                    *fv = two_relu(uv, bv);
                }
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_threshold_is_the_difference_of_two_relus() {
        let relu = |v: f64| v.max(0.0);
        for &u in &[-3.0, -1.0, -0.5, 0.0, 0.2, 1.0, 2.5] {
            for &b in &[0.0, 0.5, 1.0] {
                let want = relu(u - b) - relu(-u - b);
                assert_eq!(soft_threshold(u, b), want);
                assert_eq!(two_relu(u, b).to_bits(), soft_threshold(u, b).to_bits());
            }
            for &b in &[-0.5, -1.0] {
                assert_eq!(two_relu(u, b), relu(u - b) - relu(-u - b), "u {u} b {b}");
            }
        }
        // No dead zone for b < 0: slope 2 around 0.
        assert_eq!(two_relu(0.25, -0.5), 0.5);
    }

    #[test]
    fn init_norms_are_near_one_at_default_sigma0() {
        let d1 = 400;
        let net = Network::init(
            50,
            d1,
            1.0 / (d1 as f64).sqrt(),
            &mut crate::sim::rng::stream(1, crate::sim::rng::Purpose::Init),
        );
        for n in net.row_norms() {
            assert!((n - 1.0).abs() < 0.25, "{n}");
        }
    }
}
