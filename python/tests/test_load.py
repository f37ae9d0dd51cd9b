"""The loaders against real outputs: the release binary (``DECOUPLE_BIN``, default
``target/release/decouple`` of the repository) runs tiny experiments into a temporary
folder, then every kind of folder is loaded and checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from decouple_tools import MissingFile, load_audit, load_run, load_seeds, load_sweep

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
BIN = Path(os.environ.get("DECOUPLE_BIN", REPO / "target" / "release" / "decouple"))
if not BIN.is_absolute():
    BIN = REPO / BIN


def decouple(*args: str, ok=(0,)) -> subprocess.CompletedProcess:
    if not BIN.is_file():
        pytest.fail(f"{BIN}: no such file (build it with cargo build --release, or set DECOUPLE_BIN)")
    p = subprocess.run([str(BIN), *args], capture_output=True, text=True)
    assert p.returncode in ok, f"decouple {' '.join(args)} exited {p.returncode}:\n{p.stderr}"
    return p


def tiny(tmp: Path, name: str, extra_metrics: str = "", lr: str = "1.0") -> Path:
    """tests/fixtures/tiny_aug.toml renamed, with extra [metrics] keys and a learning rate."""
    text = (FIXTURES / "tiny_aug.toml").read_text()
    text = text.replace('name = "tiny_aug"', f'name = "{name}"').replace("lr = 1.0", f"lr = {lr}")
    text = text.replace("eval_samples = 200", "eval_samples = 200\n" + extra_metrics)
    path = tmp / f"{name}.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def out(tmp_path_factory) -> Path:
    """Every fixture folder, made once: runs, seeds, a sweep, the tiny audit, a diverged run."""
    tmp = tmp_path_factory.mktemp("decouple")
    decouple("run", str(FIXTURES / "tiny_aug.toml"), "--quiet", "--out", str(tmp / "runs"))
    decouple("run", str(tiny(tmp, "tiny_final", 'save_weights = "final"')), "--quiet", "--out", str(tmp / "runs"))
    decouple("run", str(tiny(tmp, "tiny_logged", 'save_weights = "logged"')), "--quiet", "--out", str(tmp / "runs"))
    decouple("run", str(tiny(tmp, "tiny_div", lr="1e6")), "--quiet", "--out", str(tmp / "runs"), ok=(1,))
    decouple("run", str(FIXTURES / "tiny_aug.toml"), "--seeds", "2", "--quiet", "--out", str(tmp / "seeds"))
    sweep = tmp / "sweep_tiny.toml"
    sweep.write_text(
        f'name = "sweep_tiny"\nseeds = 2\nbase = "{FIXTURES / "tiny_aug.toml"}"\n'
        '[axes]\n"augmentation.kind" = ["none", "random_mask"]\n'
    )
    decouple("sweep", str(sweep), "--quiet", "--out", str(tmp / "sweeps"))
    # The tiny audit's verdicts differ from its expectations (too small to reproduce):
    # --no-expect reports them and exits 0.
    decouple("audit", "--file", str(FIXTURES / "audit_tiny.toml"), "--out", str(tmp / "audit"), "--no-expect")
    return tmp


def test_a_run_loads_with_consistent_shapes_and_values(out):
    run = load_run(out / "runs" / "tiny_aug")
    s = run.settings
    m, d = s["m"], s["d"]
    assert run.diverged is None
    assert run.alpha.shape == (m, d)
    assert list(run.alpha_table.columns) == ["neuron"] + [f"atom_{j}" for j in range(d)]
    assert len(run.neurons) == m
    assert {"best_atom", "alignment", "sparse_share", "norm", "bias"} <= set(run.neurons.columns)
    assert np.isclose(run.summary["align_median"], np.median(run.neurons["alignment"]), rtol=1e-12)
    assert run.summary["align_median"] == run.metrics["align_median"].iloc[-1]
    assert list(run.metrics["step"]) == [0, 20, 40, 60]
    assert np.isnan(run.metrics["loss"].iloc[0])
    assert {"features", "task", "value"} <= set(run.probes.columns)
    assert run.manifest["seed"] == 1
    assert run.arrays == {}
    with pytest.raises(MissingFile, match="W.npy"):
        run.W


def test_final_arrays_are_the_run_s_weights(out):
    run = load_run(out / "runs" / "tiny_final")
    s = run.settings
    m, d, d1 = s["m"], s["d"], s["d1"]
    W = np.load(run.path / "W.npy")
    assert W.shape == (m, d1) and W.dtype == np.float64
    assert np.array_equal(W, run.W)
    assert run.arrays["b"].shape == (m,)
    assert run.M.shape == (d1, d)
    assert run.arrays["W0"].shape == (m, d1)
    assert not np.array_equal(run.arrays["W0"], W)
    # alpha = W M, the norms and the biases of neurons.csv.
    assert np.allclose(W @ run.M, run.alpha, atol=1e-12)
    assert np.allclose(np.linalg.norm(W, axis=1), run.neurons["norm"], rtol=1e-10)
    assert np.allclose(run.arrays["b"], run.neurons["bias"], rtol=1e-12)
    assert np.allclose(run.M.T @ run.M, np.eye(d), atol=1e-10)
    assert run.W_steps == {}


def test_logged_arrays_follow_the_logged_steps(out):
    run = load_run(out / "runs" / "tiny_logged")
    steps = list(run.metrics["step"])
    assert sorted(run.W_steps) == steps == sorted(run.b_steps)
    assert np.array_equal(run.W_steps[steps[-1]], run.W)
    assert np.array_equal(run.W_steps[0], run.arrays["W0"])
    assert np.array_equal(run.b_steps[steps[-1]], run.arrays["b"])


def test_a_diverged_run_keeps_its_metrics_and_marker(out):
    run = load_run(out / "runs" / "tiny_div")
    assert run.diverged.startswith("training diverged at step ")
    step = int(run.diverged.split("step ")[1].split(":")[0])
    assert len(run.metrics) >= 1
    assert (run.metrics["step"] < step).all()
    assert run.alpha is None and run.summary is None


def test_seeds_load_by_seed(out):
    runs = load_seeds(out / "seeds" / "tiny_aug")
    assert sorted(runs) == [1, 2]
    assert runs[2].manifest["seed"] == 2
    assert runs[1].summary["align_median"] != runs[2].summary["align_median"]
    with pytest.raises(MissingFile, match="load_seeds"):
        load_run(out / "seeds" / "tiny_aug")


def test_a_sweep_has_one_row_per_cell_and_seed(out):
    sweep = load_sweep(out / "sweeps" / "sweep_tiny")
    assert sweep.axes == ["augmentation.kind"]
    assert len(sweep.runs) == len(sweep.meta["cells"]) * sweep.meta["seeds"] == 4
    assert list(sweep.runs[["cell", "seed"]].itertuples(index=False, name=None)) == [(0, 1), (0, 2), (1, 1), (1, 2)]
    assert list(sweep.runs["augmentation.kind"]) == ["none", "none", "random_mask", "random_mask"]
    per_cell = sweep.summary[sweep.summary["metric"] == "align_median"]
    assert list(per_cell["n"]) == [2, 2]
    mean0 = sweep.runs[sweep.runs["cell"] == 0]["align_median"].mean()
    assert np.isclose(per_cell["mean"].iloc[0], mean0, rtol=1e-12)
    one = sweep.run(sweep.runs["config_hash"].iloc[0])
    assert one.summary["align_median"] == sweep.runs["align_median"].iloc[0]


def test_the_tiny_audit_has_15_claims_with_evidence(out):
    audit = load_audit(out / "audit")
    assert len(audit.claims) == 15
    assert set(audit.evidence) == set(audit.claims["id"])
    assert set(audit.checks["claim"]) <= set(audit.claims["id"])
    assert {"reproduced", "refuted", "inconclusive"} >= set(audit.verdicts())
    assert len(audit.runs) > 0


def test_missing_files_are_named(tmp_path):
    with pytest.raises(MissingFile, match="metrics.csv"):
        load_run(tmp_path)
    with pytest.raises(MissingFile, match="sweep.json"):
        load_sweep(tmp_path)
    with pytest.raises(MissingFile, match="claims.csv"):
        load_audit(tmp_path)


def test_the_example_replots_a_run(out, tmp_path):
    png = tmp_path / "run.png"
    script = REPO / "python" / "examples" / "replot_run.py"
    p = subprocess.run([sys.executable, str(script), str(out / "runs" / "tiny_aug"), str(png)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
