//! SimCLR's symmetric NT-Xent loss on cosine similarity, with its exact gradient through
//! both views and the trained bias (the peer variant, docs/THEORY.md §4.6).
//!
//! With the 2B normalised features z_k = f(v_k)/‖f(v_k)‖ of both views of a batch,
//! S = ZᵀZ and L = (1/2B) Σ_a [ −S_{a,π(a)}/τ + log Σ_{k≠a} exp(S_ak/τ) ], π(a) the other
//! view of a's sample. No StopGrad: the gradient flows through both views.

use faer::{Accum, Mat, MatRef};

use crate::sim::linalg::gemm;
use crate::sim::network::two_relu;

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

/// The forward pass of both views stacked: V = [v1 v2] (d1×2B), U = W V, Z the normalised
/// features (m×2B) and r the norms ‖f(v_k)‖ (floored at `NORM_EPS`).
struct Forward {
    v: Mat<f64>,
    u: Mat<f64>,
    z: Mat<f64>,
    r: Vec<f64>,
}

fn forward(w: &Mat<f64>, bias: &[f64], v1: MatRef<'_, f64>, v2: MatRef<'_, f64>) -> Forward {
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
            let f = two_relu(u[(i, k)], bias[i]);
            z[(i, k)] = f;
            ss += f * f;
        }
        r[k] = ss.sqrt().max(NORM_EPS);
        for i in 0..m {
            z[(i, k)] /= r[k];
        }
    }
    Forward { v, u, z, r }
}

/// The loss and G + Gᵀ with G = ∂L/∂S (row a: anchor a; the positive of a is a ± B).
fn similarity_grad(z: &Mat<f64>, tau: f64) -> (f64, Mat<f64>) {
    let n2 = z.ncols();
    let b = n2 / 2;
    let mut s = Mat::<f64>::zeros(n2, n2);
    gemm(s.as_mut(), Accum::Replace, z.transpose(), z.as_ref(), 1.0);
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
    (loss, gs)
}

/// The symmetric NT-Xent loss of views `v1`, `v2` (d1×B, column p of each is sample p) and
/// its exact gradient in W and b, through both views.
pub fn nt_xent_loss_and_grad(
    w: &Mat<f64>,
    bias: &[f64],
    v1: MatRef<'_, f64>,
    v2: MatRef<'_, f64>,
    tau: f64,
) -> PeerGrad {
    let Forward { v, u, z, r } = forward(w, bias, v1, v2);
    let (m, n2) = (z.nrows(), z.ncols());
    let (loss, gs) = similarity_grad(&z, tau);
    // dZ = Z (G + Gᵀ).
    let mut dz = Mat::<f64>::zeros(m, n2);
    gemm(dz.as_mut(), Accum::Replace, z.as_ref(), gs.as_ref(), 1.0);
    // Through the normalisation and f = relu(u − b) − relu(−u − b) (either sign of b):
    // ∂f/∂u = 1[u > b] + 1[−u > b], ∂f/∂b = −1[u > b] + 1[−u > b]; for b ≥ 0 at most one
    // holds, so dU = dF ∘ 1[|u| > b] and db = −Σ dF sign(u) 1[|u| > b].
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
            let (uk, bk) = (u[(i, k)], bias[i]);
            if bk >= 0.0 {
                if uk.abs() > bk {
                    du[(i, k)] = df;
                    db[i] -= df * uk.signum();
                }
            } else {
                let (up, down) = (uk > bk, -uk > bk);
                du[(i, k)] = if up && down { 2.0 * df } else { df };
                if up && !down {
                    db[i] -= df;
                } else if down && !up {
                    db[i] += df;
                }
            }
        }
    }
    let mut dw = Mat::<f64>::zeros(m, w.ncols());
    gemm(dw.as_mut(), Accum::Replace, du.as_ref(), v.transpose(), 1.0);
    PeerGrad { loss, dw, db }
}
