"""The loaders: one function per kind of output folder of the ``decouple`` binary."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Union

import numpy as np
import pandas as pd

PathLike = Union[str, Path]

#: The tables every finished run writes (``io::RUN_FILES`` of the crate).
RUN_TABLES = ("metrics.csv", "neurons.csv", "alpha.csv", "probes.csv", "summary.csv")

#: The arrays of ``[metrics] save_weights = "final"`` (and ``"logged"``).
FINAL_ARRAYS = ("W", "b", "M", "W0")

_STEP_ARRAY = re.compile(r"^(W|b)_step(\d+)\.npy$")


class MissingFile(FileNotFoundError):
    """A file that a folder of this kind must hold is not there (the message names it)."""


def _need(path: Path, what: str) -> Path:
    if not path.is_file():
        raise MissingFile(f"{path}: no such file ({what})")
    return path


def _csv(path: Path, what: str) -> pd.DataFrame:
    return pd.read_csv(_need(path, what))


def _json(path: Path, what: str) -> dict:
    with open(_need(path, what), encoding="utf-8") as f:
        return json.load(f)


@dataclass
class Run:
    """One run folder of ``decouple run`` (or one ``runs/<hash>/`` of a sweep).

    ``alpha`` is the m x d matrix of coefficients alpha_ij = <w_i, M_j> (``alpha.csv``
    without its ``neuron`` column); ``summary`` is ``summary.csv`` as a Series indexed by
    metric name. ``arrays`` holds the ``.npy`` files of ``[metrics] save_weights``
    (``W`` m x d1, ``b`` m, ``M`` d1 x d, ``W0`` m x d1), ``W_steps`` / ``b_steps`` the
    per-step snapshots by step (``"logged"``). A run that diverged has ``diverged`` set to
    the text of its ``DIVERGED`` marker and only ``metrics`` and ``manifest``.
    """

    path: Path
    metrics: pd.DataFrame
    manifest: dict
    neurons: Optional[pd.DataFrame] = None
    alpha: Optional[np.ndarray] = None
    alpha_table: Optional[pd.DataFrame] = None
    probes: Optional[pd.DataFrame] = None
    summary: Optional[pd.Series] = None
    arrays: Dict[str, np.ndarray] = field(default_factory=dict)
    W_steps: Dict[int, np.ndarray] = field(default_factory=dict)
    b_steps: Dict[int, np.ndarray] = field(default_factory=dict)
    diverged: Optional[str] = None

    @property
    def settings(self) -> dict:
        """The fully resolved settings (``manifest.json``'s ``settings``)."""
        return self.manifest["settings"]

    @property
    def W(self) -> np.ndarray:
        """The trained weights W (m x d1), from ``W.npy``."""
        return self._array("W")

    @property
    def M(self) -> np.ndarray:
        """The dictionary M (d1 x d), from ``M.npy``."""
        return self._array("M")

    def _array(self, name: str) -> np.ndarray:
        if name not in self.arrays:
            raise MissingFile(
                f"{self.path / (name + '.npy')}: no such file "
                '(the run was made without [metrics] save_weights = "final" or "logged")'
            )
        return self.arrays[name]


def _load_arrays(run: Run) -> None:
    for name in FINAL_ARRAYS:
        p = run.path / f"{name}.npy"
        if p.is_file():
            run.arrays[name] = np.load(p)
    for p in sorted(run.path.glob("*_step*.npy")):
        m = _STEP_ARRAY.match(p.name)
        if m:
            target = run.W_steps if m.group(1) == "W" else run.b_steps
            target[int(m.group(2))] = np.load(p)


def load_run(path: PathLike) -> Run:
    """Load a run folder (``decouple run``'s ``OUT/<name>/``, or one ``seed_<s>/``)."""
    path = Path(path)
    if not (path / "metrics.csv").is_file() and any(path.glob("seed_*/metrics.csv")):
        raise MissingFile(
            f"{path / 'metrics.csv'}: no such file (this folder holds seed_<s>/ runs: use load_seeds)"
        )
    run = Run(
        path=path,
        metrics=_csv(path / "metrics.csv", "a run's logged metrics"),
        manifest=_json(path / "manifest.json", "a run's manifest"),
    )
    marker = path / "DIVERGED"
    if marker.is_file():
        run.diverged = marker.read_text(encoding="utf-8")
        return run
    run.neurons = _csv(path / "neurons.csv", "a run's neurons")
    run.alpha_table = _csv(path / "alpha.csv", "a run's alpha = W M")
    run.alpha = run.alpha_table.drop(columns="neuron").to_numpy(dtype=float)
    run.probes = _csv(path / "probes.csv", "a run's probes")
    summary = _csv(path / "summary.csv", "a run's summary")
    run.summary = pd.Series(summary["value"].to_numpy(dtype=float), index=summary["metric"], name="value")
    _load_arrays(run)
    return run


def load_seeds(path: PathLike) -> Dict[int, Run]:
    """Load the ``seed_<s>/`` runs of ``decouple run --seeds K`` (``OUT/<name>/``), by seed."""
    path = Path(path)
    runs = {}
    for d in sorted(path.glob("seed_*")):
        if d.is_dir() and d.name[5:].isdigit():
            runs[int(d.name[5:])] = load_run(d)
    if not runs:
        raise MissingFile(f"{path / 'seed_<s>'}: no such folder (not the output of decouple run --seeds K)")
    return dict(sorted(runs.items()))


@dataclass
class Sweep:
    """A sweep folder of ``decouple sweep`` (``OUT/<name>/``).

    ``meta`` is ``sweep.json`` (name, axes, cells, seeds, task hashes); ``runs`` is
    ``sweep.csv``, one row per (cell, seed); ``summary`` is ``sweep_summary.csv``, one row
    per (cell, metric) with n, mean and a 95% interval.
    """

    path: Path
    meta: dict
    runs: pd.DataFrame
    summary: pd.DataFrame

    @property
    def axes(self) -> list:
        """The swept keys (dotted config paths)."""
        return list(self.meta["axes"])

    def run(self, hash_: str) -> Run:
        """One (cell, seed) run's tables, ``runs/<hash>/`` (its ``config_hash`` in ``runs``)."""
        return load_run(self.path / "runs" / hash_)


def load_sweep(path: PathLike) -> Sweep:
    """Load a sweep folder (``sweep.json``, ``sweep.csv``, ``sweep_summary.csv``)."""
    path = Path(path)
    return Sweep(
        path=path,
        meta=_json(path / "sweep.json", "a sweep's description"),
        runs=_csv(path / "sweep.csv", "a sweep's runs"),
        summary=_csv(path / "sweep_summary.csv", "a sweep's summary"),
    )


@dataclass
class Audit:
    """An audit folder of ``decouple audit --out DIR``.

    ``claims`` (one row per claim, its verdict and expectation), ``checks`` (one row per
    check), ``runs`` (one row per simulation) and ``evidence`` (claim id to the table of
    ``evidence/<claim>.csv``).
    """

    path: Path
    claims: pd.DataFrame
    checks: pd.DataFrame
    runs: pd.DataFrame
    evidence: Dict[str, pd.DataFrame]

    def verdicts(self) -> pd.Series:
        """Claim id to verdict."""
        return self.claims.set_index("id")["verdict"]


def load_audit(path: PathLike) -> Audit:
    """Load an audit folder (``claims.csv``, ``checks.csv``, ``runs.csv``, ``evidence/``)."""
    path = Path(path)
    claims = _csv(path / "claims.csv", "an audit's claims")
    evidence = {}
    for claim in claims["id"]:
        evidence[claim] = _csv(path / "evidence" / f"{claim}.csv", f"the evidence of claim {claim}")
    return Audit(
        path=path,
        claims=claims,
        checks=_csv(path / "checks.csv", "an audit's checks"),
        runs=_csv(path / "runs.csv", "an audit's runs"),
        evidence=evidence,
    )
