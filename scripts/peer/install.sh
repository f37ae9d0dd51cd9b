#!/usr/bin/env bash
# Install what scripts/peer/run_peer.py needs into a virtualenv: numpy and PyTorch (CPU is
# enough; the package registry's torch wheel runs on CPU). Prints the venv's python path.
#
#   bash scripts/peer/install.sh            # venv at $PEER_VENV (default ~/.cache/decouple-peer-venv)
set -euo pipefail
venv=${PEER_VENV:-$HOME/.cache/decouple-peer-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c "import torch, numpy" >/dev/null 2>&1; then
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --quiet numpy torch >&2
fi
"$venv/bin/python" -c "import torch, numpy; import sys; print(f'torch {torch.__version__}, numpy {numpy.__version__}', file=sys.stderr)" 
echo "$venv/bin/python"
