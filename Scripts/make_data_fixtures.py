#!/usr/bin/env python3
"""PyTorch's batches for DataLoader and random_split, for Tests/DescentTests/DataLoaderTests.swift.

Run from the repository root with PyTorch installed: python3 Scripts/make_data_fixtures.py
"""
import json
import os
import torch
from torch.utils.data import DataLoader, TensorDataset, random_split

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DescentTests", "Fixtures", "data.json")


def epochs(loader, count):
    return [[b[0].tolist() for b in loader] for _ in range(count)]


cases = []
for n, batch, drop_last, seed, gen_seed in [(10, 3, False, 0, None), (10, 4, True, 0, None), (37, 8, False, 123, None),
                                            (5, 5, False, 7, None), (10, 3, False, 0, 5)]:
    torch.manual_seed(seed)
    ds = TensorDataset(torch.arange(n), torch.arange(n) * 2)
    gen = torch.Generator().manual_seed(gen_seed) if gen_seed is not None else None
    loader = DataLoader(ds, batch_size=batch, shuffle=True, drop_last=drop_last, generator=gen)
    batches = epochs(loader, 3)
    after = torch.randint(0, 1 << 30, (1,)).item()   # what the global generator gives next
    cases.append({"n": n, "batch_size": batch, "drop_last": drop_last, "seed": seed, "generator_seed": gen_seed,
                  "epochs": batches, "next_randint": after})

# Unshuffled loaders still draw a base seed per epoch; a DistributedSampler chooses the samples.
plain = []
for n, batch in [(7, 3), (10, 10)]:
    torch.manual_seed(4)
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=batch)
    batches = epochs(loader, 2)
    plain.append({"n": n, "batch_size": batch, "epochs": batches, "next_randint": torch.randint(0, 1 << 30, (1,)).item()})

from torch.utils.data.distributed import DistributedSampler
distributed = []
for n, batch, replicas, rank, seed, drop in [(11, 3, 2, 1, 5, False), (10, 2, 3, 0, 0, True)]:
    torch.manual_seed(0)
    ds = TensorDataset(torch.arange(n))
    sampler = DistributedSampler(ds, num_replicas=replicas, rank=rank, seed=seed, drop_last=drop)
    loader = DataLoader(ds, batch_size=batch, sampler=sampler)
    runs = []
    for e in range(3):
        sampler.set_epoch(e)
        runs.append([b[0].tolist() for b in loader])
    distributed.append({"n": n, "batch_size": batch, "replicas": replicas, "rank": rank, "seed": seed, "drop_last": drop, "epochs": runs})

splits = []
for n, lengths, seed in [(10, [7, 3], 42), (11, [0.5, 0.3, 0.2], 0), (20, [5, 5, 10], 3)]:
    parts = random_split(range(n), lengths, generator=torch.Generator().manual_seed(seed))
    splits.append({"n": n, "lengths": lengths, "seed": seed, "subsets": [list(p.indices) for p in parts]})

with open(OUT, "w") as f:
    json.dump({"generated_by": "Scripts/make_data_fixtures.py", "torch_version": torch.__version__,
               "loaders": cases, "splits": splits, "plain": plain, "distributed": distributed}, f, indent=1)
print("wrote", OUT)
