#!/usr/bin/env python3
"""Checks that files Descent writes load in Python with the right values.

Runs the Swift test that exports files (FileTests.exportForPython) into a temporary folder,
then reads them with safetensors, torch and numpy. Needs: python3 -m pip install torch numpy safetensors

    python3 Scripts/check_python_reads.py
"""
import os
import subprocess
import sys
import tempfile

# PyTorch's reference (default-capability) kernels, which Descent reproduces bit for bit; the
# AVX2/AVX-512 builds of uniform_ fuse a multiply-add and differ in the last bit.
os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file

root = os.path.join(os.path.dirname(__file__), "..")
folder = tempfile.mkdtemp(prefix="descent-export-")
subprocess.run(["swift", "test", "--filter", "exportForPython"], cwd=root, check=True,
               env={**os.environ, "DESCENT_EXPORT_DIR": folder}, stdout=subprocess.DEVNULL)
failures = 0


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name)
    failures += 0 if ok else 1


# A Descent Linear, seeded like torch, loads into torch.nn.Linear and equals torch's own init.
torch.manual_seed(5)
reference = torch.nn.Linear(3, 2)
layer = torch.nn.Linear(3, 2)
layer.load_state_dict(load_file(os.path.join(folder, "linear.safetensors")))
check("linear.safetensors loads into torch.nn.Linear", True)
check("its weights equal torch's Linear(3, 2) after manual_seed(5)",
      torch.equal(layer.weight, reference.weight) and torch.equal(layer.bias, reference.bias))
with safe_open(os.path.join(folder, "linear.safetensors"), "pt") as f:
    check("metadata by=Descent", f.metadata() == {"by": "Descent"})

t = load_file(os.path.join(folder, "tensors.safetensors"))
check("f32 values", t["f32"].dtype == torch.float32 and torch.equal(t["f32"], torch.arange(6.0).reshape(2, 3)))
check("f64 values", t["f64"].dtype == torch.float64 and torch.equal(t["f64"], torch.tensor([0.1, 0.2], dtype=torch.float64)))
check("i64 values", t["i64"].dtype == torch.int64 and torch.equal(t["i64"], torch.arange(4)))
check("bool values", t["b"].dtype == torch.bool and torch.equal(t["b"], torch.tensor([True, False])))
with safe_open(os.path.join(folder, "tensors.safetensors"), "pt") as f:
    check("metadata note", f.metadata() == {"note": "from Swift"})

x = np.load(os.path.join(folder, "x.npy"))
check("x.npy float32 (2, 3)", x.dtype == np.float32 and x.shape == (2, 3)
      and np.array_equal(x, (np.arange(6, dtype=np.float32).reshape(2, 3) / np.float32(7))))
ab = np.load(os.path.join(folder, "ab.npz"))
check("ab.npz a", ab["a"].dtype == np.int64 and ab["a"].tolist() == [0, 1, 2])
check("ab.npz b", ab["b"].dtype == np.float32 and ab["b"].tolist() == [[1.5, 2.5]])

print(f"{12 - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
