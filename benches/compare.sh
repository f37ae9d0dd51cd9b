#!/usr/bin/env bash
# Side-by-side speed of the SGD step against the core's peak, the fastest numpy step and
# JAX, product by product, plus whole runs; appends to benches/history.csv.
# All of it is in benches/compare.py (its docstring says what is measured and how):
#
#   benches/compare.sh [--quick] [--check] [--no-record] [--cost-model]
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" benches/compare.py "$@"
