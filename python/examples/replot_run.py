"""Re-plot a run's training curves and its |cos(w_i, M_j)| heatmap from its tables.

    python python/examples/replot_run.py RUN_DIR OUT.png

RUN_DIR is a folder that ``decouple run`` wrote (``metrics.csv``, ``neurons.csv``,
``alpha.csv``, ...). Left: the loss and the median alignment against the step. Right:
|cos(w_i, M_j)| = |alpha_ij| / ||w_i|| (the atoms M_j have unit norm), neurons sorted by
their best atom.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from decouple_tools import load_run  # noqa: E402


def cosines(run) -> np.ndarray:
    """|cos(w_i, M_j)|, neurons ordered by best atom, then by alignment."""
    norms = run.neurons["norm"].to_numpy(dtype=float)
    cos = np.abs(run.alpha) / np.where(norms > 0, norms, 1.0)[:, None]
    order = np.lexsort((-run.neurons["alignment"].to_numpy(), run.neurons["best_atom"].to_numpy()))
    return cos[order]


def main(argv: list) -> int:
    if len(argv) != 3:
        print("usage: python python/examples/replot_run.py RUN_DIR OUT.png", file=sys.stderr)
        return 2
    run = load_run(argv[1])
    if run.diverged:
        print(f"{argv[1]} diverged: {run.diverged.splitlines()[0]}; plotting its curves only", file=sys.stderr)
    fig, (curves, heat) = plt.subplots(1, 2, figsize=(11, 4.2))
    m = run.metrics
    curves.plot(m["step"], m["loss"], color="tab:blue")
    curves.set_xlabel("step")
    curves.set_ylabel("loss (mean batch loss since the previous row)", color="tab:blue")
    align = curves.twinx()
    align.plot(m["step"], m["align_median"], color="tab:red")
    align.set_ylabel("median alignment max_j |cos(w_i, M_j)|", color="tab:red")
    align.set_ylim(0, 1)
    curves.set_title(f"{run.settings['name']} (seed {run.manifest['seed']})")
    if run.alpha is not None:
        im = heat.imshow(cosines(run), aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        heat.set_xlabel("atom j")
        heat.set_ylabel("neuron i (sorted by best atom)")
        heat.set_title("|cos(w_i, M_j)|")
        fig.colorbar(im, ax=heat)
    else:
        heat.set_axis_off()
    fig.tight_layout()
    fig.savefig(argv[2], dpi=120)
    print(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
