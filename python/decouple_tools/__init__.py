"""Load what the ``decouple`` binary writes into pandas DataFrames and numpy arrays.

* :func:`load_run` -- a ``decouple run`` folder (``metrics.csv``, ``neurons.csv``,
  ``alpha.csv``, ``probes.csv``, ``summary.csv``, ``manifest.json``, and the ``.npy``
  arrays of ``[metrics] save_weights`` when present);
* :func:`load_seeds` -- the ``seed_<s>/`` folders of ``decouple run --seeds K``, by seed;
* :func:`load_sweep` -- a ``decouple sweep`` folder (``sweep.json``, ``sweep.csv``,
  ``sweep_summary.csv``);
* :func:`load_audit` -- a ``decouple audit --out DIR`` folder (``claims.csv``,
  ``checks.csv``, ``runs.csv``, ``evidence/<claim>.csv``).

A missing file raises :class:`MissingFile` naming it.
"""

from .load import (
    Audit,
    MissingFile,
    Run,
    Sweep,
    load_audit,
    load_run,
    load_seeds,
    load_sweep,
)

__all__ = [
    "Audit",
    "MissingFile",
    "Run",
    "Sweep",
    "load_audit",
    "load_run",
    "load_seeds",
    "load_sweep",
]
