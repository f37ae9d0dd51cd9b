#!/usr/bin/env python3
"""Run the peer's own code (ashwinipokle/contrastive_landscape) at its exact setting.

    python scripts/peer/run_peer.py --peer-repo PATH [--seeds 5] [--out experiments/peer/peer_code.csv]

PATH is a checkout of the peer's repository (this project does not vendor it). The runner
imports the peer's modules from there -- the data model (gen_M, gen_z, gen_epsilon,
gen_Winit), the RandomMask dataset (DependentMaskContrastiveDataset), the network and loss
(SimCLRModel with its SymReLU and NT_Xent) and the metric (check_sparse_coding_learning) --
with two shims: numpy's removed aliases np.float / np.int (used by the peer's datasets), and
stub modules for its logging service (wandb) and plotting (matplotlib, seaborn), which the
metric module imports but this run never calls.

The setting is the one of experiments/peer/exact_*.toml: p = 50, d = 10, m = 50, n = 1000
samples drawn once, sparsity 0.2 (one +1 and one -1), noise sqrt(ln d)/d, W ~ N(0, 1/(p d)),
no batch norm, NT-Xent with tau = 0.05, plain SGD with lr 0.05, batches of 128 (shuffled,
drop_last), 300 epochs. Seeds as in the peer's main_simclr.py: experiment i seeds numpy and
torch with i + 1. Arms: random_mask (the peer's 2Dx / 2(I - D)x views) and none (identical
views (x, x), a three-line dataset of ours: the peer's code has no such arm).

Writes one CSV row per (arm, seed): arm, seed, atom_best_cos_max, atom_best_cos_median,
atom_best_cos_min, final_loss (the mean batch loss of the last epoch), wall_seconds,
peer_commit, torch, then the setting it ran: d1, d, m, n, epochs, batch, lr, tau, noise,
k (settings_columns). Install the dependencies with scripts/peer/install.sh.
"""

import argparse
import csv
import math
import os
import subprocess
import sys
import time
import types


def install_shims():
    """numpy aliases removed in numpy 1.24, and stubs for the peer's logging/plotting imports."""
    import numpy as np

    for name, alias in (("float", float), ("int", int), ("bool", bool)):
        if name not in np.__dict__:
            setattr(np, name, alias)
    for mod in ("wandb", "matplotlib", "matplotlib.pyplot", "seaborn"):
        if mod not in sys.modules:
            # An empty module: any use of it raises AttributeError (this run logs nothing).
            sys.modules[mod] = types.ModuleType(mod, "a stub of scripts/peer/run_peer.py")
    sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]


SETTING = dict(p=50, d=10, m=50, n=1000, sparsity=0.2, batch=128, epochs=300, lr=0.05, tau=0.05)


class IdenticalViews:
    """The no-augmentation arm: both views are x (a torch Dataset by duck typing)."""

    def __init__(self, X, Z):
        self.X, self.Z = X, Z

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i].astype(float), self.X[i].astype(float), self.Z[i].astype(int)


def run_one(arm, seed, peer):
    import numpy as np
    import torch
    from torch.utils.data import DataLoader

    s = SETTING
    np.random.seed(seed)
    torch.manual_seed(seed)
    M = peer["gen_M"](p=s["p"], d=s["d"])
    Z = peer["gen_z"](n=s["n"], d=s["d"], prob=s["sparsity"], one_hot_latent=False)
    eps = peer["gen_epsilon"](n=s["n"], p=s["p"], d=s["d"], sigma0=None)
    X = (M @ Z + eps).T
    if arm == "random_mask":
        dataset = peer["DependentMaskContrastiveDataset"](data=X, Z=Z.T)
    else:
        dataset = IdenticalViews(X, Z.T)
    loader = DataLoader(dataset, batch_size=s["batch"], shuffle=True, drop_last=True)
    W0 = peer["gen_Winit"](M, c=None, m=s["m"], d=s["d"], p=s["p"])
    model = peer["SimCLRModel"](
        Wo_init=W0, m=s["m"], p=s["p"], d=s["d"], batch_size=s["batch"], temperature=s["tau"],
        use_bn=False, device="cpu",
    )
    opt = torch.optim.SGD(model.parameters(), lr=s["lr"])
    start = time.time()
    epoch_loss = float("nan")
    for _ in range(s["epochs"]):
        losses = []
        for x1, x2, _z in loader:
            opt.zero_grad()
            loss = model(x1.float(), x2.float())
            loss.backward()
            opt.step()
            losses.append(loss.item())
        epoch_loss = sum(losses) / len(losses)
    wall = time.time() - start
    mx, med, mn, _ = peer["check_sparse_coding_learning"](model, M)
    return dict(
        arm=arm, seed=seed, atom_best_cos_max=float(mx), atom_best_cos_median=float(med),
        atom_best_cos_min=float(mn), final_loss=epoch_loss, wall_seconds=wall,
    )


def settings_columns():
    """The setting a row ran, as the last columns of peer_code.csv (after the first nine):
    d1 (the peer's p), d, m, n, epochs, batch, lr, tau, noise (sqrt(ln d)/d) and k (nonzeros
    of z: sparsity x d)."""
    s = SETTING
    return dict(
        d1=s["p"], d=s["d"], m=s["m"], n=s["n"], epochs=s["epochs"], batch=s["batch"], lr=s["lr"],
        tau=s["tau"], noise=math.sqrt(math.log(s["d"])) / s["d"], k=round(s["sparsity"] * s["d"]),
    )


def load_peer(repo):
    install_shims()
    sys.path.insert(0, os.path.abspath(repo))
    from data_model.gen_sparse_coding_data import gen_M, gen_z, gen_epsilon, gen_Winit
    from dataset.dep_mask_contrastive_dataset import DependentMaskContrastiveDataset
    from models.simclr import SimCLRModel
    from utils.log_metrics import check_sparse_coding_learning

    return dict(
        gen_M=gen_M, gen_z=gen_z, gen_epsilon=gen_epsilon, gen_Winit=gen_Winit,
        DependentMaskContrastiveDataset=DependentMaskContrastiveDataset,
        SimCLRModel=SimCLRModel, check_sparse_coding_learning=check_sparse_coding_learning,
    )


def peer_commit(repo):
    try:
        out = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
        # A bare git directory (no work tree) answers the same way with --git-dir.
        out = subprocess.run(["git", "--git-dir", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peer-repo", required=True, help="a checkout of ashwinipokle/contrastive_landscape")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--arms", default="random_mask,none")
    ap.add_argument("--out", default="experiments/peer/peer_code.csv")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per run (1: like ours)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    peer = load_peer(args.peer_repo)
    commit = peer_commit(args.peer_repo)
    rows = []
    for arm in args.arms.split(","):
        for seed in range(1, args.seeds + 1):
            # The peer's code prints as it goes (gen_z's sparsity line): keep our output clean.
            with open(os.devnull, "w") as devnull:
                saved, sys.stdout = sys.stdout, devnull
                try:
                    r = run_one(arm, seed, peer)
                finally:
                    sys.stdout = saved
            r.update(peer_commit=commit, torch=torch.__version__.split("+")[0])
            r.update(settings_columns())
            rows.append(r)
            print(
                f"{arm} seed {seed}: best |cos| per atom max {r['atom_best_cos_max']:.3f} "
                f"median {r['atom_best_cos_median']:.3f} min {r['atom_best_cos_min']:.3f}, "
                f"final loss {r['final_loss']:.4f} (chance {math.log(2 * SETTING['batch'] - 1):.3f}), "
                f"{r['wall_seconds']:.1f} s",
                flush=True,
            )
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
