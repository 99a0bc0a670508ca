#!/usr/bin/env python3
"""numpy's LAPACK on the linear-algebra workloads of descent-bench (`--only linalg`).

The same problems as Workloads.linalg: lstsq of a 1,000,000 x 33 float64 standard-normal
matrix against one right-hand side (numpy's lstsq, LAPACK's gelsd), solve of a 1024 x 1024
system with 32 added to the diagonal (gesv), and Cholesky of that matrix times its transpose
(potrf), and the float64 matrix product at 1024 (`dgemm_1024`, GFLOP/s). Figures are the best of several runs after one untimed run, in milliseconds, printed
as descent-bench prints them. Threads: OPENBLAS_NUM_THREADS is set from --threads before
numpy loads.

    python3 Scripts/peer_numpy.py [--threads 1] [--only lstsq_1m_x33,solve_1024]
"""
import argparse
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--only", default="")
args = p.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)
import numpy as np  # noqa: E402  (after the thread settings)

only = set(filter(None, args.only.split(",")))
names = {"lstsq_1m_x33", "solve_1024", "cholesky_1024", "dgemm_1024"}
if only and not (only & (names | {"linalg"})):
    sys.exit(0)


def best_of(n, body):
    body()
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - t)
    return best


def report(name, seconds):
    if not only or name in only or "linalg" in only:
        print(f"{name} {seconds * 1000:.3f} ms")


rng = np.random.default_rng(0)
a = rng.standard_normal((1_000_000, 33))
b = rng.standard_normal(1_000_000)
report("lstsq_1m_x33", best_of(3, lambda: np.linalg.lstsq(a, b, rcond=None)))
m = rng.standard_normal((1024, 1024)) + 32 * np.eye(1024)
v = rng.standard_normal(1024)
report("solve_1024", best_of(5, lambda: np.linalg.solve(m, v)))
spd = m @ m.T
report("cholesky_1024", best_of(5, lambda: np.linalg.cholesky(spd)))
seconds = best_of(5, lambda: m @ spd)
if not only or "dgemm_1024" in only or "linalg" in only:
    print(f"dgemm_1024 {2 * 1024 ** 3 / seconds / 1e9:.3f} GFLOP/s")
