#!/usr/bin/env bash
# Fuzzes Descent's file readers with libFuzzer and AddressSanitizer, one harness per reader,
# each starting from its committed seed corpus in Fuzz/corpus/<name> with the format's tokens
# from Fuzz/dictionaries/<name>.dict.
#
#   Scripts/fuzz.sh                          # every harness, 60 seconds each
#   Scripts/fuzz.sh 1800                     # every harness, 30 minutes each
#   Scripts/fuzz.sh 1800 csv model           # only these
#   FUZZ_RUNS=10000000 Scripts/fuzz.sh 0 npy # stop after 10 million executions instead
#
# Harnesses: csv npy npz safetensors model idx cifar. A crash leaves its input as
# .build-fuzz/findings/<name>/crash-* (also printed by libFuzzer), to turn into a regression
# test; the script exits non-zero if any harness failed.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds="${1:-60}"
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(csv npy npz safetensors model idx cifar)
declare -A target=([csv]=FuzzCSV [npy]=FuzzNpy [npz]=FuzzNpz [safetensors]=FuzzSafetensors [model]=FuzzModel [idx]=FuzzIDX [cifar]=FuzzCIFAR)

# gold, the default linker here, fails with an internal error on these sanitized objects; lld links them.
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld --scratch-path ../.build-fuzz
status=0
for name in "${names[@]}"; do
    exe="${target[$name]:?unknown harness $name (csv npy npz safetensors model idx cifar)}"
    work="../.build-fuzz/corpus/$name"
    findings="../.build-fuzz/findings/$name"
    mkdir -p "$work" "$findings"
    cp "corpus/$name"/* "$work/"
    limits=(-rss_limit_mb=4096 -timeout=10 -print_final_stats=1 -artifact_prefix="$findings/" -dict="dictionaries/$name.dict")
    if [ "$seconds" != 0 ]; then limits+=(-max_total_time="$seconds"); fi
    if [ -n "${FUZZ_RUNS:-}" ]; then limits+=(-runs="$FUZZ_RUNS"); fi
    echo "== $name"
    log="../.build-fuzz/$name.log"
    code=0
    "../.build-fuzz/release/$exe" "$work" "${limits[@]}" >"$log" 2>&1 || code=$?
    grep -E "^(stat::number_of_executed_units|stat::new_units_added|Done)|ERROR|SUMMARY|Test unit written" "$log" || true
    if [ "$code" != 0 ]; then
        echo "!! $name failed (exit $code); see .build-fuzz/$name.log and $findings"
        status=1
    fi
done
exit $status
