#!/usr/bin/env python3
"""A whole run of experiments/theorem_aug.toml in plain numpy, to time against the Rust run.

What it is
----------
The same work as `decouple run experiments/theorem_aug.toml` (src/sim/train/executor.rs):
d = 50, d1 = 400, m = 200, B = 512, 3000 SGD steps with RandomMask, a row of feature
metrics at step 0 and every 100 steps, then the downstream probes and the evaluation of
the loss against its floor.  The step is step.py's (imported from it).  Its own random
numbers (numpy's), so the numbers match the Rust run's in distribution, not in bits.
Output files (metrics.csv, …) are not written.

The work, in the executor's order
---------------------------------
1. The model (x = Mz + ξ, M from a QR), W⁽⁰⁾ ~ N(0, 1/d1), and 1000 fixed evaluation samples
   (x, ξ and z kept).
2. At step 0, every 100 steps and at the last step, the feature metrics of
   src/sim/metrics.rs (`measure`), with the biases b_i = κ·s·‖w_i‖ of the current W:
     α = W M (m×d), alignment_i = max_j |α_ij| / ‖w_i‖, sparse share ‖Mᵀw_i‖²/‖w_i‖²,
     |N_i| = #{j : |α_ij| ≥ 0.5·max_k |α_ik|}, coverage (atom j is covered when it is the
     best atom of a neuron whose alignment exceeds 0.5; neurons per atom), the best
     |cos(w_i, M_j)| of each atom, and the noise cosine cos(f(x), f(ξ)) of every evaluation
     sample (undefined, and counted as a zero representation, when either is 0).
   Each row also carries the mean training loss of the steps since the previous row.
3. The steps (step.py): L = (1/B) Σ_p [τ·logsumexp_q(S_pq/τ) − S_pp], StopGrad, SGD.
4. Probes (src/sim/probes.rs) on trained features, untrained features (W⁽⁰⁾ with its
   biases), raw x and the oracle z, with w* ~ N(0, I_d), 1000 training and 2000 test samples:
     regression  y = ⟨w*, z⟩: ridge on standardised features with an intercept, the ridge
                 strength λ ∈ {1e-4, 1e-3, 1e-2, 0.1, 1, 10} picked on a 20% hold-out, refitted
                 on all the training set; reported as test MSE / Var(y).
     classification  y = sign⟨w*, z⟩ on the samples with ⟨w*, z⟩ ≠ 0: L2-regularised
                 logistic regression (λ = 1e-3 relative), Newton's method with a
                 backtracking line search; reported as test accuracy.
5. The loss evaluation (src/sim/floor.rs): 4 fixed batches of B with their views; the loss of
   the trained and of the untrained network, and the floor: the loss of the oracle network
   W = c·Mᵀ (one neuron per atom, the run's bias rule) at the scale c minimising it — the loss
   is convex in t = c², minimised over a log grid of t then by golden-section search.
Everything after the step is float64 (as in the Rust run), whatever --dtype the step uses.

usage: run.py [--steps N] [--dtype float64|float32] [--sampling auto|dense|scatter] [--log]
  --steps N   SGD steps (default 3000, as theorem_aug.toml)
  --log       also print the row of metrics of every logged step
Prints `wall_seconds <value>` (the run, from building the model to the last probe; the
start-up choice of the sampling variant is not counted), then a short summary.
Run it single-threaded: OPENBLAS_NUM_THREADS=1 python3 run.py
"""
import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from step import Step, pick_sampling  # noqa: E402  (the fastest numpy step)

# experiments/theorem_aug.toml
CONFIG = dict(
    seed=1, d=50, d1=400, m=200, batch=512, steps=3000, lr=1.0, weight_decay=1e-4, tau=0.1,
    kappa=1.0, log_every=100, eval_samples=1000, support_share=0.5, coverage_alignment=0.5,
    n_train=1000, n_test=2000, ridge_grid=(1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0),
    logistic_l2=1e-3, eval_batches=4,
)


# ---------------------------------------------------------------------------------------
# Data: samples that keep x, ξ and z apart (float64, one sample a row)
# ---------------------------------------------------------------------------------------
class Batch:
    """n samples of x = M z + ξ: x and ξ (n×d1), z (n×d, entries 0/±1)."""

    def __init__(self, M, p, sigma, n, rng):
        d1, d = M.shape
        u = rng.random((n, d))
        self.z = (u < p / 2).astype(np.float64) - (u >= 1.0 - p / 2)
        self.xi = sigma * rng.standard_normal((n, d1))
        self.x = self.z @ M.T + self.xi


def random_mask_views(x, rng):
    """Complementary RandomMask (q = 1/2): x⁺ = 2Dx, x⁺⁺ = 2(I − D)x, one D per sample."""
    keep = rng.integers(0, 2, size=x.shape, dtype=np.bool_)
    x1 = np.where(keep, 2.0 * x, 0.0)
    return x1, 2.0 * x - x1


def features(w, x, bias):
    """f(x) = u − clip(u, −b, b) with u = x Wᵀ (n×m): the soft-threshold features."""
    u = x @ w.T
    return u - np.clip(u, -bias, bias)


# ---------------------------------------------------------------------------------------
# Feature metrics (src/sim/metrics.rs `measure`)
# ---------------------------------------------------------------------------------------
def measure(w, bias, M, ev, support_share, coverage_alignment):
    """The feature summary of the network W (float64) with biases `bias` on samples `ev`."""
    m, d = w.shape[0], M.shape[1]
    alpha = w @ M                                                   # α_ij = ⟨w_i, M_j⟩
    norms = np.sqrt(np.einsum("ij,ij->i", w, w))
    absa = np.abs(alpha)
    best = absa.argmax(axis=1)                                      # best atom of neuron i
    best_abs = absa[np.arange(m), best]
    safe = np.where(norms > 0, norms, 1.0)
    alignment = np.where(norms > 0, best_abs / safe, 0.0)
    share = np.where(norms > 0, np.einsum("ij,ij->i", alpha, alpha) / safe ** 2, 0.0)
    support = ((absa >= support_share * best_abs[:, None]) & (best_abs[:, None] > 0)).sum(axis=1)
    aligned = alignment > coverage_alignment
    per_atom = np.bincount(best[aligned], minlength=d)              # aligned neurons per atom
    atom_best = np.max(np.where(norms[:, None] > 0, absa / safe[:, None], 0.0), axis=0)

    # cos(f(x), f(ξ)) per evaluation sample; NaN where either representation is 0.
    fx, fxi = features(w, ev.x, bias), features(w, ev.xi, bias)
    ab = np.einsum("ij,ij->i", fx, fxi)
    aa = np.einsum("ij,ij->i", fx, fx)
    bb = np.einsum("ij,ij->i", fxi, fxi)
    ok = (aa != 0) & (bb != 0)
    cos = np.sort(ab[ok] / (np.sqrt(aa[ok]) * np.sqrt(bb[ok])))

    def q(v, level):
        return float(np.quantile(v, level)) if v.size else math.nan

    return dict(
        align_median=float(np.median(alignment)), align_mean=float(alignment.mean()),
        frac_aligned=float(aligned.mean()), atoms_covered=int((per_atom > 0).sum()),
        neurons_per_atom_min=int(per_atom.min()),
        neurons_per_atom_median=float(np.median(per_atom)),
        neurons_per_atom_max=int(per_atom.max()),
        sparse_share_median=float(np.median(share)),
        support_median=float(np.median(support)), support_mean=float(support.mean()),
        noise_cos_mean=float(cos.mean()) if cos.size else math.nan,
        noise_cos_q10=q(cos, 0.1), noise_cos_q50=q(cos, 0.5), noise_cos_q90=q(cos, 0.9),
        zero_repr_frac=1.0 - cos.size / max(len(ok), 1),
        atom_best_cos_min=float(atom_best.min()), atom_best_cos_median=float(np.median(atom_best)),
        atom_best_cos_max=float(atom_best.max()),
        norm_mean=float(norms.mean()), bias_mean=float(bias.mean()),
    )


# ---------------------------------------------------------------------------------------
# Probes (src/sim/probes.rs)
# ---------------------------------------------------------------------------------------
def standardised(train, test):
    """Both sets standardised with the training set's mean and std (zero-variance features
    become 0)."""
    mean = train.mean(axis=0)
    var = ((train - mean) ** 2).mean(axis=0)
    scale = np.where(var > 1e-300, 1.0 / np.sqrt(np.where(var > 1e-300, var, 1.0)), 0.0)
    return (train - mean) * scale, (test - mean) * scale


def ridge_solve(a, y, lam):
    """argmin ‖Aβ − y‖² + λ·n·‖β‖², in the primal (k×k) or the dual (n×n), whichever is
    smaller.  (Symmetric positive definite systems, solved by LU: numpy has no triangular
    solver of its own.)"""
    n, k = a.shape
    shift = lam * n
    if k <= n:
        g = a.T @ a
        g[np.diag_indices(k)] += shift
        return np.linalg.solve(g, a.T @ y)
    g = a @ a.T
    g[np.diag_indices(n)] += shift
    return a.T @ np.linalg.solve(g, y)


def ridge_probe(train, y_train, test, y_test, grid):
    """Test MSE / Var(y) of ridge with λ picked on the last 20% of the training set."""
    a, a_test = standardised(train, test)
    n = len(y_train)
    n_fit = (n * 4) // 5
    mean_fit = y_train[:n_fit].mean()
    best_err, best_lam = math.inf, grid[0]
    for lam in grid:
        beta = ridge_solve(a[:n_fit], y_train[:n_fit] - mean_fit, lam)
        err = np.mean((a[n_fit:] @ beta + mean_fit - y_train[n_fit:]) ** 2)
        if err < best_err:
            best_err, best_lam = err, lam
    mean_y = y_train.mean()
    beta = ridge_solve(a, y_train - mean_y, best_lam)
    pred = a_test @ beta + mean_y
    return float(np.mean((pred - y_test) ** 2) / y_test.var()), best_lam


def log1p_exp(s):
    """log(1 + e^s), stably."""
    return np.where(s > 0, s + np.log1p(np.exp(-np.abs(s))), np.log1p(np.exp(np.minimum(s, 0))))


def sigmoid(s):
    """1 / (1 + e^−s), stably."""
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logistic_fit(a, y, l2):
    """L2-regularised logistic regression (labels 0/1) by Newton's method with backtracking.
    Objective Σ log(1 + e^s) − y·s + (λn/2)‖β‖², s = Aβ + intercept (not penalised).
    Returns (θ = [β, intercept], converged, iterations)."""
    n, k = a.shape
    aug = np.hstack([a, np.ones((n, 1))])
    pen = l2 * n

    def objective(theta):
        s = aug @ theta
        return float(np.sum(log1p_exp(s) - y * s) + 0.5 * pen * theta[:k] @ theta[:k])

    theta = np.zeros(k + 1)
    obj = objective(theta)
    for it in range(1, 101):
        p = sigmoid(aug @ theta)
        grad = aug.T @ (p - y)
        grad[:k] += pen * theta[:k]
        if np.abs(grad).max() < 1e-8 * n:
            return theta, True, it - 1
        h = aug.T @ (aug * np.maximum(p * (1.0 - p), 1e-12)[:, None])
        h[np.arange(k), np.arange(k)] += pen
        h[k, k] += 1e-10 * n
        step = np.linalg.solve(h, grad)
        t = 1.0
        while True:
            cand = theta - t * step
            c = objective(cand)
            if c <= obj or t < 1e-10:
                done = abs(obj - c) <= 1e-12 * (1.0 + abs(obj))
                theta, obj = cand, c
                if done:
                    return theta, True, it
                break
            t *= 0.5
    return theta, False, 100


def logistic_probe(train, y_train, test, y_test, l2):
    """Test accuracy of sign⟨w*, z⟩ from the features, on the labelled samples only."""
    keep_tr, keep_te = y_train != 0, y_test != 0
    a, a_test = standardised(train[keep_tr], test[keep_te])
    labels = (y_train[keep_tr] > 0).astype(np.float64)
    theta, converged, iterations = logistic_fit(a, labels, l2)
    scores = a_test @ theta[:-1] + theta[-1]
    accuracy = float(np.mean((scores > 0) == (y_test[keep_te] > 0)))
    return accuracy, converged, iterations


def run_probes(cfg, M, p, sigma, rng, nets):
    """Both probes on the four feature sets; returns {features: (rel_mse, accuracy)}."""
    d = M.shape[1]
    w_star = rng.standard_normal(d)
    train = Batch(M, p, sigma, cfg["n_train"], rng)
    test = Batch(M, p, sigma, cfg["n_test"], rng)
    y_train, y_test = train.z @ w_star, test.z @ w_star
    (w, bias), (w0, bias0) = nets
    sets = {
        "trained": (features(w, train.x, bias), features(w, test.x, bias)),
        "untrained": (features(w0, train.x, bias0), features(w0, test.x, bias0)),
        "raw_x": (train.x, test.x),
        "oracle_z": (train.z, test.z),
    }
    out = {}
    for name, (tr, te) in sets.items():
        rel_mse, _ = ridge_probe(tr, y_train, te, y_test, cfg["ridge_grid"])
        acc, _, _ = logistic_probe(tr, y_train, te, y_test, cfg["logistic_l2"])
        out[name] = (rel_mse, acc)
    return out


# ---------------------------------------------------------------------------------------
# Loss evaluation and its floor (src/sim/floor.rs)
# ---------------------------------------------------------------------------------------
def per_anchor_losses(s, t, tau):
    """τ·logsumexp_q(t·S_pq/τ) − t·S_pp for every anchor p, stably.  Shifted arguments are
    clipped below at −700 before exp (numpy's float64 exp is slow near underflow; e^−700
    changes no sum ≥ 1)."""
    ts = t * s
    mx = ts.max(axis=1)
    a = np.maximum((ts - mx[:, None]) / tau, -700.0)
    return mx + tau * np.log(np.exp(a).sum(axis=1)) - np.diagonal(ts)


def minimise_convex(f):
    """The minimiser over t ≥ 0 of a convex f: the best of t = 0 and the log grid
    10^(k/4), k = −24..40, then 60 golden-section steps between the grid neighbours."""
    grid = [0.0] + [10.0 ** (k / 4.0) for k in range(-24, 41)]
    values = [f(t) for t in grid]
    best = int(np.argmin(values))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = f(b)
    mid = (lo + hi) / 2.0
    return mid if f(mid) <= values[best] else grid[best]


class EvalBatches:
    """The fixed loss-evaluation batches: the views of every sample and whether z = 0."""

    def __init__(self, M, p, sigma, batch, count, rng_data, rng_masks):
        self.views, self.z_zero = [], []
        for _ in range(count):
            bt = Batch(M, p, sigma, batch, rng_data)
            self.z_zero.append(~bt.z.any(axis=1))
            self.views.append(random_mask_views(bt.x, rng_masks))

    def split(self, per_anchor):
        """Mean loss over all anchors, over those with z = 0 and over those with z ≠ 0."""
        losses, zero = np.concatenate(per_anchor), np.concatenate(self.z_zero)
        mean = lambda v: float(v.mean()) if v.size else math.nan  # noqa: E731
        return dict(all=mean(losses), z_zero=mean(losses[zero]), z_nonzero=mean(losses[~zero]))

    def loss(self, w, bias, tau):
        """The loss of network W with biases `bias`."""
        return self.split([per_anchor_losses(features(w, v1, bias) @ features(w, v2, bias).T,
                                             1.0, tau) for v1, v2 in self.views])

    def floor(self, M, bias_scale, tau):
        """The oracle network W = c·Mᵀ at its best scale c: (its loss, c).  At c = 1 its
        features are soft thresholds of ⟨M_j, v⟩ at κ·s; scaling by c scales S by t = c²."""
        def unit(v):
            u = v @ M
            return u - np.clip(u, -bias_scale, bias_scale)
        s_unit = [unit(v1) @ unit(v2).T for v1, v2 in self.views]
        n = sum(len(z) for z in self.z_zero)
        t = minimise_convex(lambda t: sum(per_anchor_losses(s, t, tau).sum() for s in s_unit) / n)
        return self.split([per_anchor_losses(s, t, tau) for s in s_unit]), math.sqrt(t)


# ---------------------------------------------------------------------------------------
# The run (src/sim/train/executor.rs `run`)
# ---------------------------------------------------------------------------------------
def run(cfg, steps, dtype, sampling, log=False):
    start = time.perf_counter()
    seeds = np.random.SeedSequence(cfg["seed"]).spawn(4)
    eval_rng, probe_rng, loss_rng, mask_rng = (np.random.Generator(np.random.SFC64(s))
                                               for s in seeds)
    st = Step(cfg["d"], cfg["d1"], cfg["m"], cfg["batch"], dtype=dtype, sampling=sampling,
              seed=cfg["seed"], kappa=cfg["kappa"], lr=cfg["lr"],
              weight_decay=cfg["weight_decay"], tau=cfg["tau"])
    M, p, sigma = st.M, st.p, st.sigma
    bias_scale = st.kappa * st.s                                    # κ·s of the bias rule

    def network():
        """The current W in float64 and its biases b_i = κ·s·‖w_i‖."""
        w = st.w.astype(np.float64)
        return w, bias_scale * np.sqrt(np.einsum("ij,ij->i", w, w))

    def log_row(step, loss):
        w, bias = network()
        row = dict(step=step, loss=loss, **measure(w, bias, M, ev, cfg["support_share"],
                                                    cfg["coverage_alignment"]))
        if log:
            print(f"log step {step:5d} loss {loss:.4f} align_median {row['align_median']:.4f} "
                  f"noise_cos_mean {row['noise_cos_mean']:.4f} atoms_covered {row['atoms_covered']}")
        return row

    ev = Batch(M, p, sigma, cfg["eval_samples"], eval_rng)
    init = network()
    rows = [log_row(0, math.nan)]
    total, count = 0.0, 0
    for t in range(1, steps + 1):
        loss = st.step()
        if not math.isfinite(loss):
            raise SystemExit(f"diverged: non-finite loss at step {t}")
        total += loss
        count += 1
        if t % cfg["log_every"] == 0 or t == steps:
            rows.append(log_row(t, total / count))
            total, count = 0.0, 0

    trained = network()
    probes = run_probes(cfg, M, p, sigma, probe_rng, (trained, init))
    batches = EvalBatches(M, p, sigma, cfg["batch"], cfg["eval_batches"], loss_rng, mask_rng)
    floor, floor_scale = batches.floor(M, bias_scale, cfg["tau"])
    losses = dict(trained=batches.loss(*trained, cfg["tau"]),
                  untrained=batches.loss(*init, cfg["tau"]), floor=floor)
    wall = time.perf_counter() - start
    return wall, rows, probes, losses, floor_scale


def main():
    ap = argparse.ArgumentParser(description="A whole theorem_aug run in numpy.",
                                 usage="run.py [--steps N] [--dtype float64|float32] "
                                       "[--sampling auto|dense|scatter] [--log]")
    ap.add_argument("--steps", type=int, default=CONFIG["steps"])
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--sampling", choices=("auto", "dense", "scatter"), default="auto")
    ap.add_argument("--log", action="store_true", help="print every logged row")
    a = ap.parse_args()
    cfg = CONFIG
    dtype = np.dtype(a.dtype).type
    sampling = a.sampling
    if sampling == "auto":   # not timed: a start-up choice, not part of the run's work
        sampling, _ = pick_sampling((cfg["d"], cfg["d1"], cfg["m"], cfg["batch"]), dtype)

    wall, rows, probes, losses, floor_scale = run(cfg, max(a.steps, 1), dtype, sampling, a.log)
    first, last = rows[0], rows[-1]
    print(f"wall_seconds {wall:.3f}")
    print(f"variant {sampling} ({a.dtype} step, {last['step']} steps)")
    print(f"align_median {first['align_median']:.4f} -> {last['align_median']:.4f} "
          f"(step 0 -> {last['step']}); atoms covered {last['atoms_covered']} of {cfg['d']}; "
          f"noise cos mean {last['noise_cos_mean']:.4f}")
    chance = cfg["tau"] * math.log(cfg["batch"])
    print(f"final_loss {last['loss']:.4f} (chance {chance:.4f}); eval loss trained "
          f"{losses['trained']['all']:.4f}, untrained {losses['untrained']['all']:.4f}, "
          f"floor {losses['floor']['all']:.4f} at scale {floor_scale:.3f}")
    for name, (rel_mse, acc) in probes.items():
        print(f"probe {name:9s} rel_mse {rel_mse:.4f} accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
