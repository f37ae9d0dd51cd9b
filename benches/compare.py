#!/usr/bin/env python3
"""Side-by-side speed of decouple's SGD step against the honest anchors, in one run.

What it measures, every process single-threaded (OPENBLAS_NUM_THREADS=1, XLA single
thread) and pinned to one core when `taskset` exists:

  peak       the core's practical peak: the fastest square product of faer (Rust) and of
             OpenBLAS (numpy), f64 and f32; every step is reported as a share of the faster
             of the two ("share of peak");
  step       one SGD step (RandomMask) at three sizes and both precisions: decouple
             (examples/steptime.rs), the fastest plain numpy step (reference/step.py), the
             same step under jax.jit (reference/jax_step.py), and decouple's bare products
             alone; alternating A B C D A B C D ... over ROUNDS rounds, medians;
  products   each product of the step alone, faer (examples/products.rs) beside OpenBLAS
             (reference/products.py), so a slow shape is named;
  whole run  `decouple run experiments/theorem_aug.toml` against reference/run.py (the same
             3000-step run in numpy with its logging, metrics and probes), alternating.

The last lines are, exactly:
  share of peak f64 (medium): X.XX
  share of peak f64 (large): X.XX
  speedup vs fastest numpy f64 (medium): X.XX
  speedup vs jax f64 (medium): X.XX          (or n/a (reason))
  f32 speedup over f64 (medium): X.XX

Every run appends its ratios to benches/history.csv (date, commit, CPU model, metric,
value); `--check` then exits 1 when a ratio fell more than 10% below the best recorded on
the same CPU model, naming the product whose share of peak fell most at that size.

  benches/compare.sh                    # everything (about 10 minutes on 2 cores)
  benches/compare.sh --quick            # 1 round, no whole run (about 3 minutes)
  benches/compare.sh --check            # also compare with the history; exit 1 on a slowdown
  benches/compare.sh --no-record        # do not append to benches/history.csv
  benches/compare.sh --cost-model       # step times over a grid of (d1, m, B): the data the
                                        # cost model in src/sim/cost.rs was fitted on

Environment: ROUNDS (default 3), PYTHON (default: this interpreter), CARGO_TARGET_DIR.
"""
import argparse
import csv
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "benches" / "history.csv"
SIZES = {
    "small": (50, 400, 200, 512),
    "medium": (128, 1024, 512, 512),
    "large": (256, 4096, 1024, 512),
}
PRODUCTS = ["forward", "similarity", "softmax_grad", "update"]
TOLERANCE = 0.10  # --check: a ratio may fall this far below its best before it fails


def env():
    e = dict(os.environ)
    e.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
             RAYON_NUM_THREADS="1")
    return e


def pinned(cmd):
    return (["taskset", "-c", "0"] + cmd) if shutil.which("taskset") else cmd


def run(cmd, timeout=3600):
    """Run a command; return its stdout lines as key -> rest."""
    out = subprocess.run(pinned(cmd), env=env(), cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return out.stdout


def field(text, key):
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == key:
            return parts[1]
    raise RuntimeError(f"no `{key}` in output:\n{text}")


def flops(size):
    d, d1, m, b = SIZES[size]
    return 6 * m * d1 * b + 4 * b * b * m


def steps_for(size):
    """Timed steps per process: about 0.5 s of work at 40 GFLOP/s, at least 3."""
    return max(3, min(40, int(2e10 / flops(size))))


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def cpu_flags():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                f = line.split()
                return "+".join(x for x in ("avx2", "fma", "avx512f") if x in f)
    except OSError:
        pass
    return ""


def git_commit():
    try:
        c = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return c + ("-dirty" if dirty else "")
    except OSError:
        return "unknown"


def ensure_python_packages(py):
    """numpy is required; JAX is tried from the package registry and skipped if it fails."""
    if subprocess.run([py, "-c", "import numpy"], capture_output=True).returncode != 0:
        subprocess.run([py, "-m", "pip", "install", "--quiet", "numpy"], check=True)
    if subprocess.run([py, "-c", "import jax"], capture_output=True).returncode == 0:
        return None
    r = subprocess.run([py, "-m", "pip", "install", "--quiet", "jax[cpu]"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "jax could not be installed: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    if subprocess.run([py, "-c", "import jax"], capture_output=True).returncode != 0:
        return "jax installed but does not import"
    return None


def build(target):
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "steptime",
                    "--example", "products", "--bin", "decouple"], cwd=ROOT, check=True)
    return target / "release"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cost-model", action="store_true")
    args = ap.parse_args()
    py = os.environ.get("PYTHON", sys.executable)
    rounds = 1 if args.quick else int(os.environ.get("ROUNDS", "3"))
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    jax_reason = ensure_python_packages(py)
    bindir = build(target)
    steptime, products, decouple = (str(bindir / "examples" / "steptime"),
                                    str(bindir / "examples" / "products"),
                                    str(bindir / "decouple"))
    if args.cost_model:
        return cost_model_data(steptime, rounds)

    # The history is kept per CPU: the model name and its vector extensions (two machines
    # sold as "AMD EPYC" can differ in AVX-512, and so in peak).
    cpu = f"{cpu_model()} ({cpu_flags()})"
    print(f"machine: {cpu}, {os.cpu_count()} cores; commit {git_commit()}; "
          f"{rounds} round(s); single-threaded processes"
          + (", pinned to core 0" if shutil.which("taskset") else ""))
    started = time.time()

    # --- peak -----------------------------------------------------------------------
    peak = {}
    print("\npeak (square product, GFLOP/s)")
    for prec, dt in (("f64", "float64"), ("f32", "float32")):
        faer = float(field(run([products, "peak", prec]), "peak_gflops"))
        blas = float(field(run([py, "benches/reference/products.py", "peak", "--dtype", dt]),
                           "peak_gflops"))
        peak[prec] = max(faer, blas)
        print(f"  {prec}: faer {faer:6.1f}   OpenBLAS {blas:6.1f}   anchor {peak[prec]:6.1f}")

    # --- steps, alternating ---------------------------------------------------------
    sizes = list(SIZES)
    res = {}  # (impl, prec, size) -> [ms]
    variants = {}
    for size in sizes:
        n = str(steps_for(size))
        for prec, dt in (("f64", "float64"), ("f32", "float32")):
            cmds = {
                "rust": [steptime, "step", size, n, "random_mask", prec],
                "numpy": [py, "benches/reference/step.py", size, n, "--dtype", dt],
                "products": [steptime, "gemm", size, n, "random_mask", prec],
            }
            if jax_reason is None:
                cmds["jax"] = [py, "benches/reference/jax_step.py", size, n, "--dtype", dt]
            for _ in range(rounds):
                for name, cmd in cmds.items():
                    out = run(cmd)
                    ms = field(out, "ms_per_step")
                    if ms == "n/a":
                        jax_reason = field_rest(out, "reason") or "jax step unavailable"
                        continue
                    res.setdefault((name, prec, size), []).append(float(ms))
                    if name in ("numpy", "jax"):
                        try:
                            variants[(name, prec)] = field_rest(out, "variant")
                        except RuntimeError:
                            pass
    med = {k: median(v) for k, v in res.items()}

    def ms(name, prec, size):
        return med.get((name, prec, size), float("nan"))

    print(f"\none SGD step (RandomMask), ms: median of {rounds} alternating round(s); "
          "GFLOP/s = 6·m·d1·B + 4·B²·m over the time")
    hdr = (f"{'size':7} {'prec':4} {'d,d1,m,B':19} {'rust':>8} {'GFLOP/s':>8} {'share':>6} "
           f"{'products':>9} {'numpy':>8} {'x numpy':>8} {'jax':>8} {'x jax':>7}")
    print(hdr)
    ratios = {}
    for prec in ("f64", "f32"):
        for size in sizes:
            r, p, j, g = (ms("rust", prec, size), ms("numpy", prec, size),
                          ms("jax", prec, size), ms("products", prec, size))
            gf = flops(size) / r / 1e6
            share = gf / peak[prec]
            ratios[f"share_of_peak_{prec}_{size}"] = share
            ratios[f"speedup_numpy_{prec}_{size}"] = p / r
            if j == j:
                ratios[f"speedup_jax_{prec}_{size}"] = j / r
            dims = ",".join(map(str, SIZES[size]))
            print(f"{size:7} {prec:4} {dims:19} {r:8.2f} {gf:8.1f} {share:6.2f} {g:9.2f} "
                  f"{p:8.2f} {p / r:8.2f} {j:8.2f} {j / r:7.2f}")
    for size in sizes:
        ratios[f"f32_speedup_{size}"] = ms("rust", "f64", size) / ms("rust", "f32", size)
    for (name, prec), v in sorted(variants.items()):
        print(f"  {name} {prec} variant: {v}")

    # --- products, faer beside OpenBLAS -------------------------------------------------
    print("\neach product alone (GFLOP/s; share = of the anchor peak): faer | OpenBLAS")
    print(f"{'size':7} {'prec':4} " + " ".join(f"{p:>24}" for p in PRODUCTS))
    for prec, dt in (("f64", "float64"), ("f32", "float32")):
        for size in sizes:
            faer = parse_products(run([products, size, prec]))
            blas = parse_products(run([py, "benches/reference/products.py", size,
                                       "--dtype", dt]))
            cells = []
            for name in PRODUCTS:
                f, b = faer[name][1], blas.get(name, (float("nan"), float("nan")))[1]
                ratios[f"product_share_{prec}_{size}_{name}"] = f / peak[prec]
                cells.append(f"{f:6.1f} ({f / peak[prec]:4.2f}) | {b:6.1f}")
            print(f"{size:7} {prec:4} " + " ".join(f"{c:>24}" for c in cells))

    # --- whole runs -------------------------------------------------------------------
    if not args.quick:
        rust_s, np_s, over = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(max(1, rounds - 1)):
                t0 = time.perf_counter()
                out = run([decouple, "run", "experiments/theorem_aug.toml", "--out", tmp])
                rust_s.append(time.perf_counter() - t0)
                over.append(overhead_share(out))
                t0 = time.perf_counter()
                run([py, "benches/reference/run.py"])
                np_s.append(time.perf_counter() - t0)
        r, p = median(rust_s), median(np_s)
        ratios["speedup_numpy_whole_run"] = p / r
        ratios["whole_run_overhead"] = median(over)
        print(f"\nwhole run (experiments/theorem_aug.toml, 3000 steps, f64), s: decouple {r:.1f} "
              f"(metrics, probes, loss evaluation {100 * median(over):.0f}% of it), "
              f"reference/run.py {p:.1f}, speedup {p / r:.2f}")

    print(f"\n{time.time() - started:.0f} s in all")
    failed = []
    if args.check:
        failed = check(ratios, cpu)
    if not args.no_record:
        record(ratios, cpu)
        print(f"ratios appended to {HISTORY.relative_to(ROOT)}")
    jax_med = (f"{ratios['speedup_jax_f64_medium']:.2f}" if "speedup_jax_f64_medium" in ratios
               else f"n/a ({jax_reason})")
    print(f"share of peak f64 (medium): {ratios['share_of_peak_f64_medium']:.2f}")
    print(f"share of peak f64 (large): {ratios['share_of_peak_f64_large']:.2f}")
    print(f"speedup vs fastest numpy f64 (medium): {ratios['speedup_numpy_f64_medium']:.2f}")
    print(f"speedup vs jax f64 (medium): {jax_med}")
    print(f"f32 speedup over f64 (medium): {ratios['f32_speedup_medium']:.2f}")
    return 1 if failed else 0


def field_rest(text, key):
    for line in text.splitlines():
        if line.startswith(key + " "):
            return line[len(key) + 1:].strip()
    raise RuntimeError(f"no `{key}`")


def parse_products(text):
    out = {}
    for line in text.splitlines():
        p = line.split()
        if len(p) == 4 and p[0] == "product":
            out[p[1]] = (float(p[2]), float(p[3]))
    return out


def overhead_share(run_output):
    """The share of a `decouple run` outside the SGD steps, from its `time` line."""
    for line in run_output.splitlines():
        if line.strip().startswith("time") and "SGD steps" in line:
            parts = line.replace("|", " ").split()
            steps = float(parts[parts.index("steps") + 1])
            rest = float(parts[parts.index("evaluation") + 1])
            return rest / (steps + rest)
    return float("nan")


def record(ratios, cpu):
    new = not HISTORY.exists()
    date = datetime.date.today().isoformat()
    commit = git_commit()
    with HISTORY.open("a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["date", "commit", "cpu", "metric", "value"])
        for k, v in ratios.items():
            if v == v:
                w.writerow([date, commit, cpu, k, f"{v:.4f}"])


def check(ratios, cpu):
    """Ratios more than TOLERANCE below the best recorded for this CPU model."""
    if not HISTORY.exists():
        print("--check: no history yet; nothing to compare with")
        return []
    best = {}
    with HISTORY.open() as f:
        for row in csv.DictReader(f):
            if row["cpu"] == cpu and row["metric"] != "whole_run_overhead":
                best[row["metric"]] = max(best.get(row["metric"], 0.0), float(row["value"]))
    failed = []
    for k, v in ratios.items():
        if k in best and k != "whole_run_overhead" and v < (1 - TOLERANCE) * best[k]:
            failed.append(k)
    if not failed:
        print(f"--check: every ratio within {TOLERANCE:.0%} of the best recorded on {cpu}")
        return []
    print(f"--check: {len(failed)} ratio(s) fell more than {TOLERANCE:.0%} below the best "
          f"recorded on {cpu}:")
    for k in failed:
        print(f"  {k}: {ratios[k]:.3f} (best {best[k]:.3f}){slowest_product(k, ratios, best)}")
    return failed


def slowest_product(metric, ratios, best):
    """For a step ratio, the product of the same size and precision that fell most."""
    parts = metric.split("_")
    size = parts[-1]
    prec = next((p for p in parts if p in ("f64", "f32")), "f64")
    worst, name = 1.0, None
    for p in PRODUCTS:
        k = f"product_share_{prec}_{size}_{p}"
        if k in ratios and k in best and best[k] > 0:
            rel = ratios[k] / best[k]
            if rel < worst:
                worst, name = rel, p
    if name is None or metric.startswith("product_share"):
        return ""
    return f"; slowest product now: {name} at {worst:.0%} of its best"


def cost_model_data(steptime, rounds):
    """Step time over a grid of (d1, m, B), f64 and f32: the data of src/sim/cost.rs."""
    grid = []
    for d1 in (400, 1024, 2048):
        for m in (200, 512):
            for b in (256, 512):
                grid.append((50, d1, m, b))
    print("precision,d,d1,m,B,ms_per_step")
    for prec in ("f64", "f32"):
        for d, d1, m, b in grid:
            w = 6 * m * d1 * b + 4 * b * b * m
            n = str(max(3, min(30, int(1e10 / w))))
            ms_ = [float(field(run([steptime, "step", f"{d},{d1},{m},{b}", n, "random_mask",
                                    prec]), "ms_per_step")) for _ in range(rounds)]
            print(f"{prec},{d},{d1},{m},{b},{median(ms_):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
