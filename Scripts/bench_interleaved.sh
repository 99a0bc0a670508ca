#!/usr/bin/env bash
# Runs Descent's benchmark and PyTorch's (shared/bench/peer_torch.py) alternately, N rounds,
# and prints each workload's best and median figure for both and the ratio of the bests
# (above 1 means Descent is ahead). For machines whose speed moves from minute to minute (a
# shared virtual machine's core can run at two thirds of its speed for a while): one
# side-by-side run there can land each library in a different state, and the best of several
# alternating runs compares the two at the machine's full speed.
#
#   Scripts/bench_interleaved.sh 8 --only lenet,resnet_block
#   Scripts/bench_interleaved.sh 8 --only gpt_tiny,lstm --threads 2
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:?usage: bench_interleaved.sh ROUNDS [descent-bench options]}"
shift
peer="${PEER_TORCH:-../shared/bench/peer_torch.py}"
swift build -c release --product descent-bench >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for _ in $(seq 1 "$rounds"); do
    .build/release/descent-bench "$@" | grep -v '^#' | sed 's/^/descent /' >>"$log"
    python3 "$peer" "$@" | sed 's/^/torch /' >>"$log"
done
# Lower is better for times, higher for GFLOP/s: "best" follows the unit.
python3 - "$log" <<'PY'
import statistics, sys
figures, units = {}, {}
for line in open(sys.argv[1]):
    who, name, value, unit = line.split()[:4]
    figures.setdefault((who, name), []).append(float(value))
    units[name] = unit
print(f"{'workload':18} {'unit':12} {'Descent':>10} {'(median)':>10} {'PyTorch':>10} {'(median)':>10} {'ratio':>7}")
for name in sorted(units):
    d, t = figures.get(("descent", name)), figures.get(("torch", name))
    if not d or not t:
        continue
    higher = units[name] == "GFLOP/s"
    bd, bt = (max(d), max(t)) if higher else (min(d), min(t))
    ratio = bd / bt if higher else bt / bd
    print(f"{name:18} {units[name]:12} {bd:10.2f} {statistics.median(d):10.2f} {bt:10.2f} {statistics.median(t):10.2f} {ratio:6.2f}x")
PY
