#!/usr/bin/env bash
# Runs Descent's benchmark and PyTorch's (shared/bench/peer_torch.py) one after the other on
# this machine and prints the ratios, oriented so that above 1 means Descent is ahead.
#
#   Scripts/bench_compare.sh                      # every workload, one thread
#   Scripts/bench_compare.sh --only seed_loop,sgemm --threads 2
set -euo pipefail
cd "$(dirname "$0")/.."
peer="${PEER_TORCH:-../shared/bench/peer_torch.py}"
swift build -c release --product descent-bench >/dev/null
descent=$(.build/release/descent-bench "$@")
torch=$(python3 "$peer" "$@")
# numpy's LAPACK for the linear-algebra figures (it prints nothing for other workloads).
torch="$torch
$(python3 Scripts/peer_numpy.py "$@")"
echo "$descent" | grep '^#' || true
printf '%-18s %14s %14s %9s\n' workload Descent 'PyTorch/numpy' ratio
join <(echo "$descent" | grep -v '^#' | sort) <(echo "$torch" | sort) | while read -r name d unit t _; do
    case "$unit" in
        GFLOP/s) ratio=$(awk -v d="$d" -v t="$t" 'BEGIN { printf "%.2f", d / t }') ;;
        *) ratio=$(awk -v d="$d" -v t="$t" 'BEGIN { printf "%.2f", t / d }') ;;
    esac
    printf '%-18s %14s %14s %8sx\n' "$name" "$d $unit" "$t" "$ratio"
done
# With OpenBLAS installed, Descent's own kernel against OpenBLAS's cblas_sgemm (same threads).
own=$(echo "$descent" | awk '$1 == "sgemm_1024_avx2" { print $2 }')
blas=$(echo "$descent" | awk '$1 == "sgemm_1024_openblas" { print $2 }')
if [ -n "$own" ] && [ -n "$blas" ]; then
    printf '%-18s %14s %14s %8sx\n' "sgemm_1024 own/OpenBLAS" "$own GFLOP/s" "$blas" \
        "$(awk -v d="$own" -v t="$blas" 'BEGIN { printf "%.2f", d / t }')"
fi
