#!/usr/bin/env bash
# Side-by-side timing of one SGD step: decouple (Rust, faer) against the plain numpy
# reference (benches/reference/step.py), both single-threaded, alternating in one run:
# rust, numpy, bare GEMMs, rust, numpy, bare GEMMs, … (ROUNDS rounds; medians). "Bare
# GEMMs" are the step's five faer products alone (same shapes), the bound the step should
# approach. FLOP count of a step's products: 6·m·d1·B + 4·B²·m.
#
#   benches/compare.sh               # the three sizes
#   benches/compare.sh --cost-model  # step time as d1, m, B are doubled from small
#
# Environment: ROUNDS (default 5), PYTHON (default python3), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PYTHON:-python3}
ROUNDS=${ROUNDS:-5}
if ! "$PY" -c "import numpy" 2>/dev/null; then
    "$PY" -m pip install --quiet numpy
fi
cargo build --release --quiet --example steptime
BIN="${CARGO_TARGET_DIR:-target}/release/examples/steptime"

ms() { "$@" | awk '/^ms_per_step/ {print $2}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
flops() { # d,d1,m,B -> FLOPs of the step's products
    echo "$1" | awk -F, '{printf "%.0f", 6*$3*$2*$4 + 4*$4*$4*$3}'
}
steps_for() { # fewer timed steps for bigger sizes
    echo "$1" | awk -F, '{w = $2*$3*$4 + $4*$4*$3; n = int(2e10 / w / 20); print (n < 2 ? 2 : (n > 30 ? 30 : n))}'
}

if [[ "${1:-}" == "--cost-model" ]]; then
    echo "step time against d1, m, B (each doubled from small), RandomMask, ${ROUNDS} rounds, medians"
    printf '%-26s %10s %10s %10s %10s %11s\n' "size d,d1,m,B" "step ms" "x small" "GEMM ms" "x small" "FLOP x small"
    base_flops=$(flops 50,400,200,512)
    base_step=""
    base_gemm=""
    for dims in 50,400,200,512 50,800,200,512 50,400,400,512 50,400,200,1024; do
        n=$(steps_for "$dims")
        st=() ; ge=()
        for _ in $(seq "$ROUNDS"); do
            st+=("$(ms "$BIN" step "$dims" "$n")")
            ge+=("$(ms "$BIN" gemm "$dims" "$n")")
        done
        s=$(median "${st[@]}"); g=$(median "${ge[@]}")
        base_step=${base_step:-$s}; base_gemm=${base_gemm:-$g}
        awk -v d="$dims" -v s="$s" -v g="$g" -v bs="$base_step" -v bg="$base_gemm" -v f="$(flops "$dims")" -v bf="$base_flops" \
            'BEGIN {printf "%-26s %10.2f %10.2f %10.2f %10.2f %11.2f\n", d, s, s/bs, g, g/bg, f/bf}'
    done
    exit 0
fi

declare -A DIMS=([small]=50,400,200,512 [medium]=128,1024,512,512 [large]=256,4096,1024,512)
declare -A RUST NUMPY GEMM
for size in small medium large; do
    dims=${DIMS[$size]}
    n=$(steps_for "$dims")
    r=() ; p=() ; g=()
    for _ in $(seq "$ROUNDS"); do
        r+=("$(ms "$BIN" step "$size" "$n")")
        p+=("$(ms "$PY" benches/reference/step.py "$size" "$n")")
        g+=("$(ms "$BIN" gemm "$size" "$n")")
    done
    RUST[$size]=$(median "${r[@]}")
    NUMPY[$size]=$(median "${p[@]}")
    GEMM[$size]=$(median "${g[@]}")
done

echo "one SGD step (RandomMask), single-threaded, median of ${ROUNDS} alternating rounds"
printf '%-7s %-20s %10s %10s %9s %11s %10s %11s\n' size "d,d1,m,B" "rust ms" "numpy ms" speedup "GFLOP/s" "GEMM ms" "GEMM share"
for size in small medium large; do
    dims=${DIMS[$size]}
    awk -v n="$size" -v d="$dims" -v r="${RUST[$size]}" -v p="${NUMPY[$size]}" -v g="${GEMM[$size]}" -v f="$(flops "$dims")" \
        'BEGIN {printf "%-7s %-20s %10.2f %10.2f %9.2f %11.1f %10.2f %11.2f\n", n, d, r, p, p/r, f/r/1e6, g, g/r}'
done
awk -v r="${RUST[medium]}" -v p="${NUMPY[medium]}" 'BEGIN {printf "speedup vs numpy (medium): %.2f\n", p/r}'
awk -v r="${RUST[large]}" -v g="${GEMM[large]}" 'BEGIN {printf "share of GEMM bound (large): %.2f\n", g/r}'
