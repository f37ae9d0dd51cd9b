#!/usr/bin/env python3
"""A plain numpy implementation of decouple's SGD step, for side-by-side timing.

Same shapes and maths as src/trainer.rs (float64), with its own RNG (the bits differ):
x = Mz + xi (M d1×d column-orthonormal, z Bernoulli(p) support with ±1 values, xi ~
N(0, sigma² I)); complementary RandomMask views x+ = 2Dx, x++ = 2(I−D)x; biases
b_i = kappa·s·|w_i| with s = sqrt(2)·sigma; features f = u − clip(u, −b, b); S = F1ᵀF2;
loss (1/B)Σ_p[τ·logsumexp_q(S_pq/τ) − S_pp]; StopGrad gradient
G = (F2·Pᵀ − F2)/B gated by 1[|U1| > b]; W ← (1 − ηλ)W − η·G·X1ᵀ.
numpy is row-major, so samples are rows here (X is B×d1): the same products, transposed.

usage: step.py SIZE [STEPS]   SIZE = small | medium | large | d,d1,m,B
Prints `ms_per_step <value>` (mean over STEPS steps after 2 warm-up steps).
Run single-threaded: OPENBLAS_NUM_THREADS=1 (benches/compare.sh sets it).
"""
import math
import sys
import time

import numpy as np

SIZES = {
    "small": (50, 400, 200, 512),
    "medium": (128, 1024, 512, 512),
    "large": (256, 4096, 1024, 512),
}


class Step:
    def __init__(self, d, d1, m, batch, seed=1):
        self.rng = np.random.default_rng(seed)
        self.d, self.d1, self.m, self.batch = d, d1, m, batch
        q, _ = np.linalg.qr(self.rng.standard_normal((d1, d)))
        self.mt = np.ascontiguousarray(q.T)  # d×d1: row j is atom M_j
        self.w = self.rng.standard_normal((m, d1)) / math.sqrt(d1)
        ln_d = math.log(d)
        self.p = math.log(ln_d) / d
        self.sigma = math.sqrt(math.sqrt(ln_d) / d)
        self.kappa, self.lr, self.wd, self.tau = 1.0, 1.0, 1e-4, 0.1
        self.s = math.sqrt(2.0) * self.sigma  # noise std of the RandomMask views

    def step(self):
        rng, b_, d1 = self.rng, self.batch, self.d1
        w = self.w
        bias = self.kappa * self.s * np.sqrt(np.einsum("ij,ij->i", w, w))
        # x = Mz + xi, one sample a row; z sparse: add the ±atoms of the nonzeros.
        x = self.sigma * rng.standard_normal((b_, d1))
        sample, atom = np.nonzero(rng.random((b_, self.d)) < self.p)
        signs = np.where(rng.random(sample.size) < 0.5, 1.0, -1.0)
        np.add.at(x, sample, signs[:, None] * self.mt[atom])
        # Complementary RandomMask, q = 1/2.
        keep = rng.random((b_, d1)) < 0.5
        x1 = np.where(keep, 2.0 * x, 0.0)
        x2 = np.where(keep, 0.0, 2.0 * x)
        # Forward (U = X Wᵀ, B×m) and the soft threshold.
        u1 = x1 @ w.T
        f1 = u1 - np.clip(u1, -bias, bias)
        u2 = x2 @ w.T
        f2 = u2 - np.clip(u2, -bias, bias)
        # Loss with in-batch negatives; row p of S is anchor p.
        s = f1 @ f2.T
        mx = s.max(axis=1, keepdims=True)
        # exp flushed to 0 where it would be subnormal (a < −708.39), as the Rust step does;
        # without it numpy's exp takes its slow underflow path on most of S.
        a = (s - mx) / self.tau
        e = np.zeros_like(a)
        np.exp(a, out=e, where=a >= -708.39)
        z = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(mx[:, 0] + self.tau * np.log(z[:, 0]) - np.diag(s)))
        p = e / z
        # ∂L/∂F1 (StopGrad on F2), gated by the threshold's derivative; then the update.
        g = (p @ f2 - f2) / b_
        g *= np.abs(u1) > bias
        w *= 1.0 - self.lr * self.wd
        w -= self.lr * (g.T @ x1)
        return loss


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    arg = sys.argv[1]
    dims = SIZES[arg] if arg in SIZES else tuple(int(v) for v in arg.split(","))
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    st = Step(*dims)
    for _ in range(2):
        st.step()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = st.step()
    dt = (time.perf_counter() - t0) / steps
    assert math.isfinite(loss)
    print(f"ms_per_step {dt * 1e3:.3f}")


if __name__ == "__main__":
    main()
