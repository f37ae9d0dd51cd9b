#!/usr/bin/env python3
"""decouple's SGD step in JAX (one jit-compiled function), for side-by-side timing.

What it is
----------
The step of benches/reference/step.py (and of the Rust trainer, src/sim/train/solver.rs),
written as ONE pure function (W, key) -> (new W, new key, loss) and compiled whole with
`jax.jit`; W's buffer is donated, so the update happens in place. XLA runs on the CPU,
single-threaded. Its own random numbers: the bits differ from numpy's and Rust's, the work
is the same.

The maths (samples are rows: X is B×d1, U = X Wᵀ is B×m)
--------------------------------------------------------
  data        x = M z + ξ,  M (d1×d) column-orthonormal (QR of a Gaussian matrix),
              z_j ∈ {0, ±1}, Pr(z_j ≠ 0) = p = ln ln d / d, fair sign;  ξ ~ N(0, σ² I),
              σ² = √(ln d) / d.  (M z is the dense product Z Mᵀ: XLA needs static shapes,
              and the number of nonzeros varies from batch to batch.)
  views       RandomMask, q = 1/2:  x⁺ = 2 D x,  x⁺⁺ = 2 (I − D) x = 2x − x⁺.
  biases      b_i = κ·s·‖w_i‖, s = √2·σ.
  features    f = u − clip(u, −b, b), u = ⟨w_i, x⟩;  one product [X⁺; X⁺⁺] Wᵀ for both views.
  loss        S = F1 F2ᵀ,  L = (1/B) Σ_p [ τ·logsumexp_q(S_pq / τ) − S_pp ].
  gradient    StopGrad on F2: G = (P − I) F2 / B ∘ 1[f1 ≠ 0], P = row-softmax of S/τ.
  update      W ← (1 − ηλ) W − η Gᵀ X⁺.
  parameters  κ = 1, η = 1, λ = 1e-4, τ = 0.1, W⁽⁰⁾ ~ N(0, 1/d1).

Choices
-------
* float64 needs `jax_enable_x64`; float32 runs with it off (all arrays float32).
* PRNG: `--prng auto` (default) compiles the step with each implementation, threefry2x32
  (JAX's default) and unsafe_rbg, times 3 steps of each after the warm-up and goes on with
  the faster (threefry2x32 on the machine this was written on: unsafe_rbg's normals are
  about 3× slower on this CPU backend);
  `--prng threefry2x32|unsafe_rbg|rbg` forces one.  The winner is printed as `variant`.
* Mask bits: one 32-bit random word per 32 coordinates, unpacked by shifts (XLA fuses the
  unpacking into the masking), instead of one uniform per coordinate.
* Single-threaded: XLA_FLAGS is set before jax is imported.

usage: jax_step.py SIZE [STEPS] [--dtype float64|float32] [--prng auto|threefry2x32|unsafe_rbg|rbg]
  SIZE = small | medium | large | d,d1,m,B
         small = 50,400,200,512   medium = 128,1024,512,512   large = 256,4096,1024,512
  STEPS  timed steps (default 10), after 2 warm-up steps (which include the compilation).
Prints `ms_per_step <value>` (mean over STEPS, timed with block_until_ready) then
`variant <prng implementation>`; if jax cannot be imported, `ms_per_step n/a` and
`reason <why>` (exit status 0).
"""
import argparse
import math
import os
import sys
import time

# One thread for XLA's CPU backend; must be set before jax is imported.
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

import numpy as np

# The sizes and their parsing are step.py's (same folder), so the scripts time the same thing.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from step import SIZES, parse_size  # noqa: E402

PRNGS = ("threefry2x32", "unsafe_rbg")


def make_step(jax, jnp, d, d1, m, batch, dtype, seed=1,
              kappa=1.0, lr=1.0, weight_decay=1e-4, tau=0.1):
    """The initial (W, key) and the compiled step function for one size and dtype."""
    ln_d = math.log(d)
    p = math.log(ln_d) / d
    sigma = math.sqrt(math.sqrt(ln_d) / d)
    s = math.sqrt(2.0) * sigma                  # noise std of a RandomMask view
    b = batch
    words = (d1 + 31) // 32                     # 32-bit random words per sample for the mask

    # M and W⁽⁰⁾ from numpy (float64, then the working dtype); 2Mᵀ because x is drawn as 2x.
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d1, d)))
    mt2 = jnp.asarray(2.0 * q.T, dtype=dtype)                               # d × d1
    w0 = jnp.asarray(rng.standard_normal((m, d1)) / math.sqrt(d1), dtype=dtype)
    key0 = jax.random.key(seed)
    shifts = jnp.arange(32, dtype=jnp.uint32)

    def draw_views(key):
        """B fresh samples, as their two views X⁺ = 2Dx and X⁺⁺ = 2(I − D)x; a new key."""
        key, k_noise, k_code, k_mask = jax.random.split(key, 4)
        # 2x = 2σ ξ + Z (2Mᵀ), with z_j = +1 if u < p/2, −1 if u ≥ 1 − p/2, else 0.
        u = jax.random.uniform(k_code, (b, d), dtype=dtype)
        z = (u < p / 2).astype(dtype) - (u >= 1.0 - p / 2).astype(dtype)
        x = (2.0 * sigma) * jax.random.normal(k_noise, (b, d1), dtype=dtype) + z @ mt2
        # Complementary mask: bit k % 32 of a sample's word k // 32 keeps coordinate k in x⁺.
        bits = jax.random.bits(k_mask, (b, words), dtype=jnp.uint32)
        keep = ((bits[:, :, None] >> shifts) & 1).reshape(b, words * 32)[:, :d1] == 1
        x1 = jnp.where(keep, x, 0.0)                                        # X⁺ = 2Dx
        return key, x1, x - x1                                              # X⁺⁺ = 2x − X⁺

    def sgd_update(w, x1, x2):
        """The loss of the views (X⁺, X⁺⁺) and the SGD step from W; returns (new W, loss)."""
        bias = kappa * s * jnp.sqrt(jnp.sum(w * w, axis=1))                 # b_i = κ s ‖w_i‖
        # Forward for both views in one product; soft threshold.
        uu = jnp.concatenate([x1, x2], axis=0) @ w.T
        f = uu - jnp.clip(uu, -bias, bias)
        f1, f2 = f[:b], f[b:]
        # Loss with in-batch negatives (row p of S is anchor p).
        st = (f1 @ f2.T) / tau                                              # S/τ
        mx = jnp.max(st, axis=1, keepdims=True)
        e = jnp.exp(st - mx)
        zsum = jnp.sum(e, axis=1)
        loss = tau * jnp.mean(mx[:, 0] + jnp.log(zsum) - jnp.diagonal(st))
        # η·G = η (P − I) F2 / B, gated by 1[f1 ≠ 0]; then the update.
        pm = e * (lr / (b * zsum))[:, None] - (lr / b) * jnp.eye(b, dtype=dtype)
        g = jnp.where(f1 != 0, pm @ f2, 0.0)
        w = (1.0 - lr * weight_decay) * w - g.T @ x1
        return w, loss

    def step(w, key):
        """One SGD step: (W, key) -> (new W, new key, loss)."""
        key, x1, x2 = draw_views(key)
        w, loss = sgd_update(w, x1, x2)
        return w, key, loss

    jitted = jax.jit(step, donate_argnums=0)
    jitted.parts = (draw_views, sgd_update)              # unjitted, for checks
    return w0, key0, jitted


def time_steps(fn, w, key, steps):
    """Run `steps` steps; returns (mean seconds per step, w, key, last loss)."""
    t0 = time.perf_counter()
    for _ in range(steps):
        w, key, loss = fn(w, key)
    loss.block_until_ready()
    w.block_until_ready()
    return (time.perf_counter() - t0) / steps, w, key, float(loss)


def prepare(jax, jnp, dims, dtype, prng, warmup=2):
    """Set the PRNG implementation, build and compile the step, take `warmup` steps;
    returns (step function, W, key)."""
    jax.config.update("jax_default_prng_impl", prng)
    w, key, fn = make_step(jax, jnp, *dims, dtype=dtype)
    for _ in range(warmup):
        w, key, loss = fn(w, key)
    loss.block_until_ready()
    return fn, w, key


def main():
    ap = argparse.ArgumentParser(description="Time the JAX SGD step.",
                                 usage="jax_step.py SIZE [STEPS] [--dtype float64|float32] "
                                       "[--prng auto|threefry2x32|unsafe_rbg|rbg]")
    ap.add_argument("size")
    ap.add_argument("steps", nargs="?", type=int, default=10)
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--prng", choices=("auto",) + PRNGS + ("rbg",), default="auto")
    a = ap.parse_args()
    dims = parse_size(a.size)

    try:
        import jax
        import jax.numpy as jnp
    except Exception as err:  # noqa: BLE001 (any import failure means: no JAX here)
        print("ms_per_step n/a")
        print(f"reason jax is not importable: {type(err).__name__}: {err}".replace("\n", " "))
        return 0
    if a.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.float64 if a.dtype == "float64" else jnp.float32

    if a.prng == "auto":
        # Each implementation compiled and warmed up, then 3 steps timed; the faster goes on.
        ms, states = {}, {}
        for name in PRNGS:
            fn, w, key = prepare(jax, jnp, dims, dtype, name)
            sec, w, key, _ = time_steps(fn, w, key, 3)
            ms[name], states[name] = sec * 1e3, (fn, w, key)
        prng = min(ms, key=ms.get)
        variant = prng + " (auto: " + ", ".join(f"{k} {v:.2f} ms" for k, v in ms.items()) + \
            " per step at start-up)"
        jax.config.update("jax_default_prng_impl", prng)
        fn, w, key = states[prng]
    else:
        prng = variant = a.prng
        fn, w, key = prepare(jax, jnp, dims, dtype, prng)

    dt, w, key, loss = time_steps(fn, w, key, max(a.steps, 1))
    if not math.isfinite(loss):
        raise SystemExit(f"non-finite loss {loss}")
    print(f"ms_per_step {dt * 1e3:.3f}")
    print(f"variant {variant}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
