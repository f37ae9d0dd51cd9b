//! The contrastive loss with StopGrad and its analytic gradient (docs/THEORY.md §1.3, docs/THEORY.md §4.3).
//!
//! With F1 = f(X⁺), F2 = f(X⁺⁺) (m×B, one sample a column) and S = F1ᵀF2,
//! L = (1/B) Σ_p [ τ·logsumexp_q(S_pq/τ) − S_pp ]: the positives are the pairs
//! (x_p⁺, x_p⁺⁺), the negatives of anchor p the other samples' second views. StopGrad
//! holds F2 fixed, so ∂L/∂F1 = (F2 Pᵀ − F2)/B with P the row-softmax of S/τ (τ cancels),
//! and ∇_W L = (∂L/∂F1 ∘ 1[|U1| > b]) X⁺ᵀ with b held fixed (it is set by a rule).

use crate::sim::linalg::{gemm, Real};
use faer::{Accum, Mat, MatMut, MatRef};

/// Scratch memory of one loss evaluation, reused across steps; in the step's type `T`
/// (the normalisers and the loss are f64 whatever `T` is).
#[derive(Debug, Clone)]
pub struct LossWorkspace<T: Real = f64> {
    /// B×B: first Sᵀ (column p = row p of S), then overwritten with the unnormalised
    /// softmax weights E (column p: exp((S[p, ·] − max)/τ)).
    pub pt: Mat<T>,
    /// m×B: ∂L/∂F1 (gated by the threshold's derivative when asked).
    pub g: Mat<T>,
    /// 1/Z_p, the softmax normalisers of the B anchors.
    pub inv_z: Vec<f64>,
}

impl<T: Real> LossWorkspace<T> {
    /// Buffers for m neurons and batch B.
    pub fn new(m: usize, batch: usize) -> Self {
        Self {
            pt: Mat::zeros(batch, batch),
            g: Mat::zeros(m, batch),
            inv_z: vec![0.0; batch],
        }
    }
}

/// Compute the loss and leave ∂L/∂F1 in `ws.g` (m×B). `f1`, `f2` are m×B.
pub fn loss_and_feature_grad<T: Real>(
    f1: MatRef<'_, T>,
    f2: MatRef<'_, T>,
    tau: f64,
    ws: &mut LossWorkspace<T>,
) -> f64 {
    loss_and_grad(f1, f2, tau, false, ws)
}

/// As [`loss_and_feature_grad`], with ∂L/∂F1 multiplied by the threshold's derivative
/// 1[|U1| > b] in the same pass. The gate is read from `f1` itself: the soft threshold is
/// nonzero exactly where |u| > b (see [`crate::sim::network::soft_threshold`]), so the result
/// equals `loss_and_feature_grad` followed by [`gate_by_threshold`].
pub fn loss_and_gated_grad<T: Real>(f1: MatRef<'_, T>, f2: MatRef<'_, T>, tau: f64, ws: &mut LossWorkspace<T>) -> f64 {
    loss_and_grad(f1, f2, tau, true, ws)
}

/// Training's implementation of the loss (docs/THEORY.md §1.3): the batch mean the SGD
/// step descends, in the run's precision `T`, with ∂L/∂F1 in reused buffers. Evaluation
/// has its own, [`crate::sim::floor::per_anchor_losses`] (per anchor, in f64, at a scale t
/// of the similarities, no gradient); a test in `sim::floor` holds the two equal on the
/// same features.
///
/// The loss; ∂L/∂F1 = (F2·Pᵀ − F2)/B into `ws.g`, computed as G = F2·E then, column p,
/// g ← g·(1/(B·Z_p)) − f2/B (the softmax's normalisation and the −F2 term in one pass
/// over G, gated by f1 ≠ 0 when `gate`). The exponentials, Z_p and the loss are computed
/// in f64 from the scores in `T`.
fn loss_and_grad<T: Real>(
    f1: MatRef<'_, T>,
    f2: MatRef<'_, T>,
    tau: f64,
    gate: bool,
    ws: &mut LossWorkspace<T>,
) -> f64 {
    let b = f1.ncols();
    // Sᵀ = F2ᵀ F1: column p holds S[p, ·] = ⟨f(x_p⁺), f(x_q⁺⁺)⟩ over q.
    gemm(ws.pt.as_mut(), Accum::Replace, f2.transpose(), f1, T::of(1.0));
    let inv_tau = 1.0 / tau;
    let mut total = 0.0;
    for p in 0..b {
        let col = ws.pt.col_as_slice_mut(p);
        let s_pp = col[p].wide();
        let mx = max_of(col);
        let z = exp_shifted_in_place_and_sum(col, mx, inv_tau);
        ws.inv_z[p] = 1.0 / z;
        total += mx.wide() + tau * z.ln() - s_pp;
    }
    let inv_b = 1.0 / b as f64;
    gemm(ws.g.as_mut(), Accum::Replace, f2, ws.pt.as_ref(), T::of(1.0));
    let inv_b_t = T::of(inv_b);
    for p in 0..b {
        let c = T::of(ws.inv_z[p] * inv_b);
        let gcol = ws.g.col_as_slice_mut(p);
        let fcol = col(f2, p);
        if gate {
            for ((g, &f), &a) in gcol.iter_mut().zip(fcol).zip(col(f1, p)) {
                let v = *g * c - f * inv_b_t;
                *g = if a != T::ZERO { v } else { T::ZERO };
            }
        } else {
            for (g, &f) in gcol.iter_mut().zip(fcol) {
                *g = *g * c - f * inv_b_t;
            }
        }
    }
    total * inv_b
}

/// The largest entry (NaN entries are skipped, as by `f64::max`), in four lanes.
fn max_of<T: Real>(v: &[T]) -> T {
    let mut acc = [T::of(f64::NEG_INFINITY); 4];
    let mut chunks = v.chunks_exact(4);
    for c in &mut chunks {
        for l in 0..4 {
            acc[l] = acc[l].maximum(c[l]);
        }
    }
    for (l, &x) in chunks.remainder().iter().enumerate() {
        acc[l] = acc[l].maximum(x);
    }
    acc[0].maximum(acc[1]).maximum(acc[2].maximum(acc[3]))
}

/// v ← exp((v − mx)·inv_tau) elementwise (the difference in `T`, the rest in f64); returns
/// the f64 sum of the new values (in four lanes, a fixed order). Uses AVX2+FMA when the
/// CPU has them; the portable path computes the same bits (the kernel's only fused
/// operations are explicit `mul_add`s).
fn exp_shifted_in_place_and_sum<T: Real>(v: &mut [T], mx: T, inv_tau: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the function is compiled for, checked above.
        return unsafe { exp_sum_avx2(v, mx, inv_tau) };
    }
    exp_sum_body(v, mx, inv_tau)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn exp_sum_avx2<T: Real>(v: &mut [T], mx: T, inv_tau: f64) -> f64 {
    exp_sum_body(v, mx, inv_tau)
}

#[inline(always)]
fn exp_sum_body<T: Real>(v: &mut [T], mx: T, inv_tau: f64) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = v.chunks_exact_mut(4);
    for c in &mut chunks {
        for l in 0..4 {
            let e = exp_nonpositive((c[l] - mx).wide() * inv_tau);
            c[l] = T::of(e);
            acc[l] += e;
        }
    }
    for (l, x) in chunks.into_remainder().iter_mut().enumerate() {
        let e = exp_nonpositive((*x - mx).wide() * inv_tau);
        *x = T::of(e);
        acc[l] += e;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// e^a for a ≤ 0 (the softmax's shifted scores), branch-free so that it vectorises: a =
/// k·ln2 + r with k = round(a/ln2), |r| ≤ ln2/2 (Cody–Waite, ln2 split in two), e^r by its
/// degree-13 Taylor polynomial (truncation < 5e-18 relative), times 2^k built in the
/// exponent bits. Within 2 ulp of e^a. Flushed to 0 for a < −708.39, where e^a would be
/// subnormal (< 2.3e-308, nothing next to the softmax's largest term 1); NaN stays NaN.
#[inline(always)]
pub fn exp_nonpositive(a: f64) -> f64 {
    const SHIFT: f64 = 6755399441055744.0; // 1.5·2^52: adding it rounds to an integer
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // fdlibm's ln2_hi, 6.93147180369123816490e-01
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // ln2_lo, 1.90821492927058770002e-10
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362880.0,
        1.0 / 3628800.0,
        1.0 / 39916800.0,
        1.0 / 479001600.0,
        1.0 / 6227020800.0,
    ];
    let t = a.mul_add(std::f64::consts::LOG2_E, SHIFT);
    let k = t - SHIFT;
    let r = k.mul_add(-LN2_HI, a);
    let r = k.mul_add(-LN2_LO, r);
    let mut p = C[13];
    for &c in C[..13].iter().rev() {
        p = p.mul_add(r, c);
    }
    // t's low mantissa bits hold k (two's complement); 2^k has exponent field k + 1023,
    // in [1, 1023] for a ∈ [−708.39, 0].
    let two_k = f64::from_bits((t.to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(1023)) << 52);
    if a < -708.39 {
        0.0
    } else {
        p * two_k
    }
}

/// Multiply ∂L/∂F1 (in `g`, m×B) by the threshold's derivative 1[|U1| > b_i] (the
/// trainer uses the fused [`loss_and_gated_grad`] instead).
pub fn gate_by_threshold(g: &mut Mat<f64>, u1: &Mat<f64>, bias: &[f64]) {
    for p in 0..g.ncols() {
        for ((gv, &uv), &bv) in g.col_as_slice_mut(p).iter_mut().zip(u1.col_as_slice(p)).zip(bias) {
            if uv.abs() <= bv {
                *gv = 0.0;
            }
        }
    }
}

/// dst ← beta·dst + alpha · G X⁺ᵀ (m×d1): the loss gradient in W when alpha = 1 and
/// `Accum::Replace`; the SGD step's update when alpha = −η and `Accum::Add`.
///
/// When the output has at least [`UPDATE_SPLIT_ENTRIES`] entries the product runs as
/// chunks of [`UPDATE_K_CHUNK`] samples (G X⁺ᵀ = Σ_chunks G_c X⁺_cᵀ): measured on an AMD
/// EPYC (AVX-512) with `cargo run --release --example products -- large`, faer's kernel
/// for a 1024×4096 output with k = 512 ran at 40–42 GFLOP/s and as two k = 256 halves at
/// 48 (f64; 94 → 98 in f32); at the medium size (512×1024) the gain was 2–5% and at small
/// none, so smaller outputs keep the single product (and their bits).
pub fn accumulate_weight_grad<T: Real>(
    mut dst: MatMut<'_, T>,
    accum: Accum,
    g: MatRef<'_, T>,
    x1: MatRef<'_, T>,
    alpha: f64,
) {
    let b = g.ncols();
    if dst.nrows() * dst.ncols() < UPDATE_SPLIT_ENTRIES || b <= UPDATE_K_CHUNK {
        gemm(dst, accum, g, x1.transpose(), T::of(alpha));
        return;
    }
    let mut accum = accum;
    let mut k = 0;
    while k < b {
        let w = UPDATE_K_CHUNK.min(b - k);
        gemm(
            dst.as_mut(),
            accum,
            g.subcols(k, w),
            x1.subcols(k, w).transpose(),
            T::of(alpha),
        );
        accum = Accum::Add;
        k += w;
    }
}

/// Outputs of the weight update with at least this many entries are computed in chunks of
/// samples ([`accumulate_weight_grad`]).
pub const UPDATE_SPLIT_ENTRIES: usize = 1 << 21;
/// Samples per chunk of a split weight update.
pub const UPDATE_K_CHUNK: usize = 256;

/// Column `p` of a column-major view as a slice (views of a `Mat` are contiguous).
fn col<T: Real>(m: MatRef<'_, T>, p: usize) -> &[T] {
    m.col(p)
        .try_as_col_major()
        .expect("feature matrices are column-major")
        .as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_nonpositive_is_within_two_ulp_of_exp() {
        let mut worst = 0.0f64;
        let mut a = 0.0f64;
        while a > -708.0 {
            for x in [a, a - 0.123_456_789, a - 1e-9] {
                let (got, want) = (exp_nonpositive(x), x.exp());
                worst = worst.max(((got - want) / want).abs() / f64::EPSILON);
            }
            a -= 0.0371;
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-709.0), 0.0);
        assert_eq!(exp_nonpositive(f64::NEG_INFINITY), 0.0);
        assert!(exp_nonpositive(f64::NAN).is_nan());
    }

    #[test]
    fn vector_and_portable_exp_sums_agree_bit_for_bit() {
        let mut v: Vec<f64> = (0..203).map(|i| -((i * 37 % 101) as f64) * 0.77).collect();
        let mut w = v.clone();
        let a = exp_shifted_in_place_and_sum(&mut v, 0.5, 10.0);
        let b = exp_sum_body(&mut w, 0.5, 10.0);
        assert_eq!(a.to_bits(), b.to_bits());
        assert!(v.iter().zip(&w).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
}
