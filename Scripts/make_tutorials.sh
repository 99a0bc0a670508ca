#!/usr/bin/env bash
# PyTorch's outputs for the tutorial programs the Swift tests port line by line
# (Tests/DescentTests/TutorialTests.swift). Run from the repository root with PyTorch installed:
#     Scripts/make_tutorials.sh
# ATEN_CPU_CAPABILITY=default: PyTorch's reference kernels, which the tests pin Descent to.
set -euo pipefail
out=Tests/DescentTests/Fixtures/tutorials
mkdir -p "$out"
for script in Scripts/tutorials/*.py; do
    name=$(basename "$script" .py)
    ATEN_CPU_CAPABILITY=default OMP_NUM_THREADS=1 python3 "$script" > "$out/$name.txt"
    echo "wrote $out/$name.txt"
done
