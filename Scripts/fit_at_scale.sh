#!/usr/bin/env bash
# descent fit at scale, measured as a new user would run it (issue 19): one epoch on a CSV of
# 1,000,000 rows and 33 columns (32 features and a target, about 310 MB), with the wall time
# and the peak resident memory from /usr/bin/time -v.
#
#   Scripts/fit_at_scale.sh [folder for the CSV, default /tmp]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-/tmp}"
csv="$dir/fit_1m_x33.csv"
if [ ! -f "$csv" ]; then
    python3 - "$csv" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(0)
n, f = 1_000_000, 32
x = rng.normal(size=(n, f)) * rng.uniform(0.5, 20, size=f) + rng.uniform(-50, 50, size=f)
y = x @ rng.normal(size=f) + 3 + rng.normal(size=n) * 0.5
with open(sys.argv[1], "w") as out:
    out.write(",".join([f"x{i}" for i in range(f)] + ["y"]) + "\n")
    np.savetxt(out, np.column_stack([x, y]), delimiter=",", fmt="%.5f")
PY
fi
swift build -c release --product descent >/dev/null
size=$(stat -c %s "$csv")
/usr/bin/time -v .build/release/descent fit "$csv" --target y --epochs 1 --standardize --quiet 2>/tmp/fit_at_scale.time >/dev/null
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' /tmp/fit_at_scale.time)
peak=$(awk -F': ' '/Maximum resident set size/ { print $2 }' /tmp/fit_at_scale.time)
awk -v s="$size" -v p="$peak" -v w="$wall" 'BEGIN {
    printf "file %.0f MB, wall %s, peak %.0f MB (%.2fx the file)\n", s / 1e6, w, p * 1024 / 1e6, p * 1024 / s }'
