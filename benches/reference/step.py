#!/usr/bin/env python3
"""A fast plain-numpy implementation of decouple's SGD step, for side-by-side timing.

What it is
----------
The same step as the Rust trainer (src/sim/train/solver.rs, src/sim/loss/stopgrad.rs,
src/sim/network.rs, src/sim/augment.rs, src/sim/data.rs) with the same shapes and maths,
written to be as fast as plain numpy allows (single-threaded OpenBLAS for the products).
It has its own random numbers, so its bits differ from the Rust step's; the work is the same.

The maths (numpy is row-major, so samples are ROWS here: X is B×d1, U = X Wᵀ is B×m)
------------------------------------------------------------------------------------
  data        x = M z + ξ,  M (d1×d) column-orthonormal (QR of a Gaussian matrix),
              z_j ∈ {0, ±1} with Pr(z_j ≠ 0) = p = ln ln d / d and a fair sign,
              ξ ~ N(0, σ² I) with σ² = √(ln d) / d.
  views       RandomMask with q = 1/2: D = diag of i.i.d. fair bits, one D per sample,
              x⁺ = 2 D x,   x⁺⁺ = 2 (I − D) x   (complementary masks).
  biases      b_i = κ·s·‖w_i‖ with s = √2·σ (the noise std in a view), reset every step.
  features    f_i(x) = u − clip(u, −b_i, b_i),  u = ⟨w_i, x⟩   (soft threshold).
  loss        F1 = f(X⁺), F2 = f(X⁺⁺) (B×m), S = F1 F2ᵀ (B×B; row p is anchor p),
              L = (1/B) Σ_p [ τ·logsumexp_q(S_pq / τ) − S_pp ].
  gradient    StopGrad on F2:  G = ∂L/∂F1 = (P − I) F2 / B,  P = row-softmax of S/τ,
              gated by the soft threshold's derivative 1[|u| > b] = 1[f1 ≠ 0].
  update      W ← (1 − ηλ) W − η Gᵀ X⁺.
  parameters  κ = 1, η = 1, λ = 1e-4, τ = 0.1, W⁽⁰⁾ ~ N(0, 1/d1).

Speed choices (measured single-threaded on a shared 2-core AMD EPYC with AVX-512)
--------------------------------------------------------------------------------
* Both views live in ONE preallocated (2B, d1) array [X⁺; X⁺⁺], so the forward pass is one
  product [X⁺; X⁺⁺] Wᵀ (with OpenBLAS only 1–2% faster than two half-size products).
* The factor 2 of the views is folded into x once (the sample is drawn as 2x); then
  x⁺ = (2x)·D is one multiply by the 0/1 mask and x⁺⁺ = 2x − x⁺ is one subtraction
  (exact: 2x − 2x = 0 and 2x − 0 = 2x), instead of two `where`s.
* Mask bits: one random byte per 8 coordinates (`rng.integers(.., dtype=uint8)`) unpacked
  with `np.unpackbits` (about 10× faster than comparing uniforms with 1/2).
* Bit generator SFC64 (about 20% faster normals than the default PCG64 here).
* Gaussian noise: `rng.standard_normal(dtype=..., out=...)` (ziggurat) in float64; in float32
  the Box–Muller transform of float32 uniforms, vectorised, is about 2.5× faster than numpy's
  float32 ziggurat here (its tails are cut at ≈5.8σ by the 24-bit uniforms: harmless here).
  (float64 Box–Muller is slower than the ziggurat: numpy's float64 sin and cos are slow.)
* Sparse part M z, two variants (`--sampling`): `dense` forms Z (B×d, entries 0/±1) and adds
  the product Z Mᵀ; `scatter` adds the ±atoms of the ≈ p·d nonzeros of each sample by
  fancy-indexed `+=`, one pass per rank of a nonzero within its sample, never forming Z.
  `auto` (the default) times 3 steps of each at start-up and keeps the faster one; the two
  are within a few per cent of each other at small and medium (the products dominate).
* Every big buffer is allocated once in __init__ and written with `out=`; the step makes
  only smaller temporaries (vectors of length B or m, the B×d codes, the B×d1 bytes of the
  mask and, in the scatter variant, the ≈ p·d·B gathered atoms).
* The loss needs S/τ and the gate needs only the zero pattern of F1, so F1 is scaled by 1/τ
  once (B·m numbers) instead of S (B² numbers).
* exp: numpy's float64 exp of arguments below ≈ −708 (results subnormal or 0) is 10–40×
  slower than elsewhere, so the shifted scores are clipped below at −700 first (e^−700 ≈
  1e-304: a clipped term changes no sum Z_p ≥ 1, and P by < 1e-304); float32 exp has no such
  slow path (the clip only costs a pass), so float32 uses plain np.exp.
* ∂L/∂F1 = (P − I) F2 / B: the softmax normalisation and the factor η/B are applied to the
  rows of E = exp(S/τ − max) in one pass, η/B is subtracted from the diagonal (B numbers),
  and ONE product gives η·G (η folded in before Gᵀ X⁺).  The update is one product into a
  preallocated buffer and an in-place subtraction.

usage: step.py SIZE [STEPS] [--dtype float64|float32] [--sampling dense|scatter|auto]
  SIZE = small | medium | large | d,d1,m,B
         small = 50,400,200,512   medium = 128,1024,512,512   large = 256,4096,1024,512
  STEPS  timed steps (default 10), after 2 warm-up steps.
Prints `ms_per_step <value>` (mean over STEPS) then `variant <name>` (the sampling variant).
Run it single-threaded: OPENBLAS_NUM_THREADS=1 python3 step.py small 10
"""
import argparse
import math
import time

import numpy as np

SIZES = {
    "small": (50, 400, 200, 512),
    "medium": (128, 1024, 512, 512),
    "large": (256, 4096, 1024, 512),
}

# Shifted scores a = S/τ − max ≤ 0 are clipped below at this value before exp in float64
# (see the module docstring); None: plain exp.
EXP_FLOOR = {np.float64: -700.0, np.float32: None}


class Step:
    """The state of one run (M, W, the random stream) and the buffers of its SGD step."""

    def __init__(self, d, d1, m, batch, dtype=np.float64, sampling="dense", seed=1,
                 kappa=1.0, lr=1.0, weight_decay=1e-4, tau=0.1):
        if sampling not in ("dense", "scatter"):
            raise ValueError(f"sampling must be dense or scatter, not {sampling!r}")
        dt = np.dtype(dtype).type
        self.dtype, self.sampling = dt, sampling
        self.d, self.d1, self.m, self.batch = d, d1, m, batch
        self.rng = np.random.Generator(np.random.SFC64(seed))
        rng = self.rng

        # The model: M (d1×d) column-orthonormal, p, σ; parameters of the step.
        ln_d = math.log(d)
        self.p = math.log(ln_d) / d
        self.sigma = math.sqrt(math.sqrt(ln_d) / d)
        self.kappa, self.lr, self.wd, self.tau = kappa, lr, weight_decay, tau
        self.s = math.sqrt(2.0) * self.sigma          # noise std of a RandomMask view
        q, _ = np.linalg.qr(rng.standard_normal((d1, d)))
        self.M = q                                    # float64, d1×d (for the metrics)
        # ±2·M_j as rows (the sample is drawn as 2x): row j is +2M_j, row d + j is −2M_j.
        mt2 = 2.0 * q.T
        self.atoms2 = np.ascontiguousarray(np.vstack([mt2, -mt2]), dtype=dt)   # 2d × d1
        self.mt2 = self.atoms2[:d]                                              # d × d1
        self.w = (rng.standard_normal((m, d1)) / math.sqrt(d1)).astype(dt)      # W⁽⁰⁾, m×d1

        # Buffers, allocated once.
        b = batch
        self.v = np.empty((2 * b, d1), dt)      # [X⁺; X⁺⁺]: the two views, one sample a row
        self.f = np.empty((2 * b, m), dt)       # U = [X⁺; X⁺⁺] Wᵀ, then the features [F1; F2]
        self.clip = np.empty((2 * b, m), dt)    # clip(U, −b, b)
        self.e = np.empty((b, b), dt)           # S/τ, then E = exp(S/τ − max), then η(P − I)/B
        self.g = np.empty((b, m), dt)           # η·G = η·∂L/∂F1, gated
        self.gate = np.empty((b, m), np.bool_)  # 1[f1 ≠ 0]
        self.dw = np.empty((m, d1), dt)         # η·Gᵀ X⁺
        self.z = np.empty((b, d), dt)           # the dense codes (dense sampling only)
        self.u = np.empty((b, d), dt)           # uniforms that draw z
        if dt is np.float32:                    # Box–Muller halves
            half = b * d1 // 2
            self.bm = (np.empty(half, dt), np.empty(half, dt))
        self.exp_floor = EXP_FLOOR[dt]

    # -- phase 1: the biases ------------------------------------------------------------------
    def biases(self):
        """b_i = κ·s·‖w_i‖ for the current W (length m, in the working dtype)."""
        norms = np.sqrt(np.einsum("ij,ij->i", self.w, self.w))
        return (self.kappa * self.s * norms).astype(self.dtype, copy=False)

    # -- phase 2: the inputs ------------------------------------------------------------------
    def _normals(self, out):
        """out ← i.i.d. N(0, 1) (out is the B×d1 block X⁺⁺)."""
        if self.dtype is np.float64:
            self.rng.standard_normal(dtype=np.float64, out=out)
            return
        # Box–Muller in float32: r = √(−2 ln(1 − u1)), normals r·cos(2πu2) and r·sin(2πu2).
        u1, u2 = self.bm
        self.rng.random(dtype=np.float32, out=u1)
        self.rng.random(dtype=np.float32, out=u2)
        np.negative(u1, out=u1)
        np.log1p(u1, out=u1)
        np.multiply(u1, -2.0, out=u1)
        np.sqrt(u1, out=u1)
        np.multiply(u2, 2.0 * math.pi, out=u2)
        flat = out.reshape(-1)
        h = u1.size
        np.cos(u2, out=flat[:h])
        np.sin(u2, out=flat[h:])
        flat[:h] *= u1
        flat[h:] *= u1

    def draw_inputs(self):
        """Draw B fresh samples and write their views: X⁺ = 2Dx and X⁺⁺ = 2(I − D)x."""
        b, d, d1, p = self.batch, self.d, self.d1, self.p
        x1, x2 = self.v[:b], self.v[b:]
        # 2ξ (2σ·N(0, 1)) into the X⁺⁺ block, which holds 2x until the masks are applied.
        self._normals(x2)
        np.multiply(x2, 2.0 * self.sigma, out=x2)
        # The sparse part 2Mz. One uniform u per code entry: z_j = +1 if u < p/2,
        # −1 if u ≥ 1 − p/2, else 0 (nonzero with probability p, a fair sign).
        u = self.rng.random(dtype=self.dtype, out=self.u)
        if self.sampling == "dense":
            # Z (B×d, 0/±1) times 2Mᵀ (d×d1), into the X⁺ block, then added.
            np.subtract(u < p / 2, u >= 1.0 - p / 2, out=self.z, dtype=self.dtype)
            np.matmul(self.z, self.mt2, out=x1)
            x2 += x1
        else:
            # The ≈ p·d nonzeros, in row order, each as (sample, signed atom): row j of
            # atoms2 is +2M_j, row d + j is −2M_j. A sample's k-th nonzero has rank k; the
            # nonzeros of one rank belong to distinct samples, so one fancy-indexed `+=` per
            # rank adds them all (a handful of ranks; np.add.at and np.add.reduceat are
            # several times slower here).
            rows, atoms = np.nonzero((u < p / 2) | (u >= 1.0 - p / 2))
            if rows.size:
                signed = atoms + d * (u[rows, atoms] >= 0.5)
                first = np.r_[True, rows[1:] != rows[:-1]]          # a sample's 1st nonzero
                start = np.flatnonzero(first)
                rank = np.arange(rows.size) - np.repeat(start, np.diff(np.r_[start, rows.size]))
                for k in range(int(rank.max()) + 1):
                    sel = rank == k
                    x2[rows[sel]] += self.atoms2[signed[sel]]
        # Complementary RandomMask, q = 1/2: one random byte per 8 coordinates.
        nbytes = (d1 + 7) // 8
        bits = np.unpackbits(self.rng.integers(0, 256, (b, nbytes), dtype=np.uint8),
                             axis=1, count=d1)
        np.multiply(x2, bits, out=x1)     # X⁺ = 2x·D
        x2 -= x1                          # X⁺⁺ = 2x − X⁺ = 2x·(I − D)

    # -- phases 3–5: forward, loss and gradient, update --------------------------------------
    def step(self):
        """One SGD step; returns the batch loss L (without the weight-decay term)."""
        b, tau, lr = self.batch, self.tau, self.lr
        bias = self.biases()
        self.draw_inputs()

        # Forward: U = [X⁺; X⁺⁺] Wᵀ in one product, then f = u − clip(u, −b, b) in place.
        f, c = self.f, self.clip
        np.matmul(self.v, self.w.T, out=f)
        np.maximum(f, -bias, out=c)
        np.minimum(c, bias, out=c)
        np.subtract(f, c, out=f)
        f1, f2 = f[:b], f[b:]

        # Scores S/τ = (F1/τ) F2ᵀ; F1 is used after this only through its zero pattern.
        f1 *= 1.0 / tau
        e = self.e
        np.matmul(f1, f2.T, out=e)
        s_diag = np.diagonal(e).astype(np.float64)          # S_pp / τ
        mx = e.max(axis=1, keepdims=True)                   # max_q S_pq / τ
        e -= mx
        if self.exp_floor is not None:
            np.maximum(e, self.exp_floor, out=e)
        np.exp(e, out=e)                                    # E_pq = exp(S_pq/τ − max)
        zsum = e.sum(axis=1, dtype=np.float64)              # Z_p
        mx = mx[:, 0].astype(np.float64)
        loss = tau * float(np.mean(mx + np.log(zsum) - s_diag))

        # η·G = η (P − I) F2 / B: rows of E scaled by η/(B·Z_p), η/B off the diagonal, one
        # product; then the gate 1[f1 ≠ 0].
        np.multiply(e, (lr / (b * zsum)).astype(self.dtype)[:, None], out=e)
        e.reshape(-1)[:: b + 1] -= lr / b
        g = self.g
        np.matmul(e, f2, out=g)
        np.not_equal(f1, 0, out=self.gate)
        np.multiply(g, self.gate, out=g)

        # W ← (1 − ηλ) W − η Gᵀ X⁺.
        np.matmul(g.T, self.v[:b], out=self.dw)
        self.w *= 1.0 - lr * self.wd
        self.w -= self.dw
        return loss


def time_steps(st, steps):
    """Mean seconds per step over `steps` steps; returns (seconds, last loss)."""
    t0 = time.perf_counter()
    loss = float("nan")
    for _ in range(steps):
        loss = st.step()
    return (time.perf_counter() - t0) / steps, loss


def pick_sampling(dims, dtype, seed=1, steps=3):
    """Time `steps` steps of each sampling variant (after one warm-up step each) on
    throw-away states; return (the faster variant, {variant: ms per step})."""
    ms = {}
    for name in ("dense", "scatter"):
        st = Step(*dims, dtype=dtype, sampling=name, seed=seed)
        st.step()
        ms[name] = time_steps(st, steps)[0] * 1e3
    return min(ms, key=ms.get), ms


def parse_size(arg):
    """SIZE: a name in SIZES or d,d1,m,B."""
    if arg in SIZES:
        return SIZES[arg]
    dims = tuple(int(v) for v in arg.split(","))
    if len(dims) != 4:
        raise SystemExit(f"SIZE must be small, medium, large or d,d1,m,B; got {arg!r}")
    return dims


def main():
    ap = argparse.ArgumentParser(description="Time the plain-numpy SGD step.",
                                 usage="step.py SIZE [STEPS] [--dtype float64|float32] "
                                       "[--sampling dense|scatter|auto]")
    ap.add_argument("size")
    ap.add_argument("steps", nargs="?", type=int, default=10)
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--sampling", choices=("dense", "scatter", "auto"), default="auto")
    a = ap.parse_args()
    dims = parse_size(a.size)
    dtype = np.dtype(a.dtype).type

    if a.sampling == "auto":
        sampling, ms = pick_sampling(dims, dtype)
        variant = (f"{sampling} (auto: dense {ms['dense']:.2f} ms, "
                   f"scatter {ms['scatter']:.2f} ms per step at start-up)")
    else:
        sampling, variant = a.sampling, a.sampling

    st = Step(*dims, dtype=dtype, sampling=sampling)
    for _ in range(2):
        st.step()
    dt, loss = time_steps(st, max(a.steps, 1))
    if not math.isfinite(loss):
        raise SystemExit(f"non-finite loss {loss}")
    print(f"ms_per_step {dt * 1e3:.3f}")
    print(f"variant {variant}")


if __name__ == "__main__":
    main()
