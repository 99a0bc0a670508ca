#!/usr/bin/env python3
"""Loads a network written by `descent fit --model mlp --output MODEL` into the equivalent
torch.nn.Sequential and prints its predictions for a CSV file's rows (numeric features only),
to compare with `descent predict MODEL CSV`.

    python3 Scripts/check_fit_network.py model.safetensors data.csv
"""
import csv
import json
import sys

import torch
from safetensors import safe_open

path, data = sys.argv[1], sys.argv[2]
with safe_open(path, "pt") as f:
    meta = f.metadata()
    tensors = {k: f.get_tensor(k) for k in f.keys()}
activation = {"relu": torch.nn.ReLU, "gelu": torch.nn.GELU, "tanh": torch.nn.Tanh}[meta["activation"]]
dropout = float(meta.get("dropout", "0"))
stride = 3 if dropout > 0 else 2
layers, i = [], 0
while f"{i * stride}.weight" in tensors:
    w = tensors[f"{i * stride}.weight"]
    if layers:
        layers += [activation()] + ([torch.nn.Dropout(dropout)] if dropout > 0 else [])
    layers.append(torch.nn.Linear(w.shape[1], w.shape[0]))
    i += 1
net = torch.nn.Sequential(*layers).eval()
net.load_state_dict(tensors)
features = json.loads(meta["features"])
rows = list(csv.DictReader(open(data)))
x = torch.tensor([[float(r[name]) for name in features] for r in rows])
with torch.no_grad():
    out = net(x)
if "classes" in meta:
    classes = json.loads(meta["classes"])
    p = torch.sigmoid(out) if out.shape[1] == 1 else out.softmax(1)
    p = torch.cat([1 - p, p], 1) if out.shape[1] == 1 else p
    for row in p.tolist():
        print(classes[max(range(len(row)), key=row.__getitem__)], *row, sep=",")
else:
    for row in out.tolist():
        print(*row, sep=",")
