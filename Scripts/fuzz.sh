#!/usr/bin/env bash
# Fuzzes Descent's file readers (CSV, .npy, .npz, safetensors) with libFuzzer and
# AddressSanitizer, starting from the committed seed corpus in Fuzz/corpus.
#
#   Scripts/fuzz.sh            # 60 seconds
#   Scripts/fuzz.sh 1800       # 30 minutes
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds="${1:-60}"
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --scratch-path ../.build-fuzz
work="$(mktemp -d)"
cp corpus/* "$work/"
# A crash leaves its input in the working folder (crash-*), to turn into a regression test.
../.build-fuzz/release/FuzzReaders "$work" -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1
