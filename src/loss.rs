//! The contrastive loss with StopGrad and its analytic gradient (seed §2.3, SPEC §3).
//!
//! With F1 = f(X⁺), F2 = f(X⁺⁺) (m×B, one sample a column) and S = F1ᵀF2,
//! L = (1/B) Σ_p [ τ·logsumexp_q(S_pq/τ) − S_pp ]: the positives are the pairs
//! (x_p⁺, x_p⁺⁺), the negatives of anchor p the other samples' second views. StopGrad
//! holds F2 fixed, so ∂L/∂F1 = (F2 Pᵀ − F2)/B with P the row-softmax of S/τ (τ cancels),
//! and ∇_W L = (∂L/∂F1 ∘ 1[|U1| > b]) X⁺ᵀ with b held fixed (it is set by a rule).

use crate::linalg::gemm;
use faer::{Accum, Mat, MatRef};

/// Scratch memory of one loss evaluation, reused across steps.
#[derive(Debug, Clone)]
pub struct LossWorkspace {
    /// B×B: first Sᵀ (column p = row p of S), then overwritten with Pᵀ.
    pub pt: Mat<f64>,
    /// m×B: ∂L/∂F1, then gated by the threshold's derivative.
    pub g: Mat<f64>,
}

impl LossWorkspace {
    /// Buffers for m neurons and batch B.
    pub fn new(m: usize, batch: usize) -> Self {
        Self {
            pt: Mat::zeros(batch, batch),
            g: Mat::zeros(m, batch),
        }
    }
}

/// Compute the loss and leave ∂L/∂F1 in `ws.g` (m×B). `f1`, `f2` are m×B.
pub fn loss_and_feature_grad(f1: MatRef<'_, f64>, f2: MatRef<'_, f64>, tau: f64, ws: &mut LossWorkspace) -> f64 {
    let b = f1.ncols();
    // Sᵀ = F2ᵀ F1: column p holds S[p, ·] = ⟨f(x_p⁺), f(x_q⁺⁺)⟩ over q.
    gemm(ws.pt.as_mut(), Accum::Replace, f2.transpose(), f1, 1.0);
    let mut total = 0.0;
    for p in 0..b {
        let col = ws.pt.col_as_slice_mut(p);
        let s_pp = col[p];
        let mx = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut z = 0.0;
        for v in col.iter_mut() {
            *v = exp_or_zero((*v - mx) / tau);
            z += *v;
        }
        let inv = 1.0 / z;
        for v in col.iter_mut() {
            *v *= inv;
        }
        total += mx + tau * z.ln() - s_pp;
    }
    // G = (F2 Pᵀ − F2) / B.
    let inv_b = 1.0 / b as f64;
    gemm(ws.g.as_mut(), Accum::Replace, f2, ws.pt.as_ref(), inv_b);
    for p in 0..b {
        for (g, &f) in ws.g.col_as_slice_mut(p).iter_mut().zip(col(f2, p)) {
            *g -= f * inv_b;
        }
    }
    total * inv_b
}

/// e^a, flushed to 0 where the result would be subnormal (a < −708.39). The flushed terms
/// are < 2.3e-308 next to the softmax's largest term 1, so no sum or product changes;
/// glibc's `exp` takes a slow path for those arguments (measured: over half the step time
/// when τ is small and most negatives are far below the positive).
#[inline]
pub fn exp_or_zero(a: f64) -> f64 {
    if a < -708.39 {
        0.0
    } else {
        a.exp()
    }
}

/// Multiply ∂L/∂F1 (in `g`, m×B) by the threshold's derivative 1[|U1| > b_i].
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
pub fn accumulate_weight_grad(dst: &mut Mat<f64>, accum: Accum, g: &Mat<f64>, x1: MatRef<'_, f64>, alpha: f64) {
    gemm(dst.as_mut(), accum, g.as_ref(), x1.transpose(), alpha);
}

/// Column `p` of a column-major view as a slice (views of a `Mat` are contiguous).
fn col(m: MatRef<'_, f64>, p: usize) -> &[f64] {
    m.col(p)
        .try_as_col_major()
        .expect("feature matrices are column-major")
        .as_slice()
}
