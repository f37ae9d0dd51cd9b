#!/usr/bin/env python3
"""Timing of the SGD step's matrix products alone with numpy (OpenBLAS), and of BLAS's peak.

What it is
----------
The four products of one step of benches/reference/step.py, each timed alone on random
matrices of the step's shapes and memory layouts (samples are rows; transposes are views,
as in the step), so a step's time can be compared with the time of its products: what
remains is sampling, masks, soft threshold, softmax and Python overhead.  `peak` times a
large square product, the rate BLAS reaches at best on this core.

The products (B samples, d1 input dims, m neurons) and their FLOP counts
-----------------------------------------------------------------------
  forward       U = [X⁺; X⁺⁺] Wᵀ        (2B×d1)·(d1×m)   2·(2B)·d1·m
  similarity    S = F1 F2ᵀ               (B×m)·(m×B)      2·B²·m
  softmax_grad  (P − I) F2                (B×B)·(B×m)      2·B²·m
  update        Gᵀ X⁺                     (m×B)·(B×d1)     2·m·B·d1
Each is timed 3 times, each time averaging enough repetitions for about 0.2 s; the best of
the 3 is printed.  The peak is the best of 3 timings of an n×n·n×n product for n = 2048 and
n = 3072 (2n³ FLOPs), the larger rate of the two.

usage: products.py peak [--dtype float64|float32]
         prints `peak_gflops <value>`, then `square <n> <ms> <gflops>` for each n
       products.py SIZE [--dtype float64|float32]
         prints `product <name> <ms> <gflops>` for forward, similarity, softmax_grad, update
  SIZE = small | medium | large | d,d1,m,B
         small = 50,400,200,512   medium = 128,1024,512,512   large = 256,4096,1024,512
Run it single-threaded: OPENBLAS_NUM_THREADS=1 python3 products.py small
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


def best_seconds(fn, target=0.2, rounds=3):
    """Best over `rounds` of the mean time of fn(), each mean over enough calls for
    about `target` seconds (at least one call); fn is called once first (warm-up)."""
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    reps = max(1, math.ceil(target / once))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def peak(dtype):
    """GFLOP/s of square products; returns [(n, ms, gflops)]."""
    rng = np.random.default_rng(1)
    rows = []
    for n in (2048, 3072):
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        c = np.empty((n, n), dtype)
        sec = best_seconds(lambda: np.matmul(a, b, out=c))
        rows.append((n, sec * 1e3, 2.0 * n ** 3 / sec / 1e9))
    return rows


def step_products(d, d1, m, batch, dtype):
    """The step's four products on random operands; returns [(name, ms, gflops)]."""
    rng = np.random.default_rng(1)
    b = batch
    v = rng.standard_normal((2 * b, d1)).astype(dtype)       # [X⁺; X⁺⁺]
    w = rng.standard_normal((m, d1)).astype(dtype)           # W
    f = rng.standard_normal((2 * b, m)).astype(dtype)        # [F1; F2]
    e = rng.standard_normal((b, b)).astype(dtype)            # P − I
    g = rng.standard_normal((b, m)).astype(dtype)            # G
    u_out = np.empty((2 * b, m), dtype)
    s_out = np.empty((b, b), dtype)
    g_out = np.empty((b, m), dtype)
    w_out = np.empty((m, d1), dtype)
    f1, f2, x1 = f[:b], f[b:], v[:b]
    cases = [
        ("forward", lambda: np.matmul(v, w.T, out=u_out), 2.0 * (2 * b) * d1 * m),
        ("similarity", lambda: np.matmul(f1, f2.T, out=s_out), 2.0 * b * b * m),
        ("softmax_grad", lambda: np.matmul(e, f2, out=g_out), 2.0 * b * b * m),
        ("update", lambda: np.matmul(g.T, x1, out=w_out), 2.0 * m * b * d1),
    ]
    rows = []
    for name, fn, flops in cases:
        sec = best_seconds(fn)
        rows.append((name, sec * 1e3, flops / sec / 1e9))
    return rows


def main():
    ap = argparse.ArgumentParser(description="Time the step's products and the BLAS peak.",
                                 usage="products.py peak|SIZE [--dtype float64|float32]")
    ap.add_argument("what", help="peak, small, medium, large or d,d1,m,B")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    a = ap.parse_args()
    dtype = np.dtype(a.dtype).type
    if a.what == "peak":
        rows = peak(dtype)
        print(f"peak_gflops {max(r[2] for r in rows):.2f}")
        for n, ms, gf in rows:
            print(f"square {n} {ms:.3f} {gf:.2f}")
        return
    if a.what in SIZES:
        dims = SIZES[a.what]
    else:
        dims = tuple(int(v) for v in a.what.split(","))
        if len(dims) != 4:
            raise SystemExit(f"expected peak, small, medium, large or d,d1,m,B; got {a.what!r}")
    for name, ms, gf in step_products(*dims, dtype):
        print(f"product {name} {ms:.3f} {gf:.2f}")


if __name__ == "__main__":
    main()
