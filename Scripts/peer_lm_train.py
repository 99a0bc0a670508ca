#!/usr/bin/env python3
"""PyTorch's side of `descent lm train`'s default run, for peak memory beside it: the same model
(Scripts/check_lm_model.py's nanoGPT module), the same batch and context, AdamW with decay on
matrices only, clipping, on the same text.

    /usr/bin/time -v python3 Scripts/peer_lm_train.py Data/shakespeare/input.txt --steps 50
    /usr/bin/time -v .build/release/descent lm train Data/shakespeare/input.txt --steps 50 --quiet
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_lm_model import GPT  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("file")
p.add_argument("--steps", type=int, default=1000)
args = p.parse_args()
text = open(args.file, encoding="utf-8").read()
vocabulary = sorted(set(text))
data = torch.tensor([vocabulary.index(c) for c in text])
train = data[: len(data) - len(data) // 10]
config = dict(block_size=64, vocab_size=len(vocabulary), n_layer=4, n_head=4, n_embd=128, dropout=0.0, bias=True)
model = GPT(config)
decay = [p for p in model.parameters() if p.dim() >= 2]
other = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
g = torch.Generator().manual_seed(1337)
for step in range(args.steps):
    ix = torch.randint(len(train) - 65, (16,), generator=g)
    x = torch.stack([train[i:i + 64] for i in ix])
    y = torch.stack([train[i + 1:i + 65] for i in ix])
    loss = F.cross_entropy(model(x).view(-1, len(vocabulary)), y.view(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
print(f"step {args.steps}: loss {loss.item():.4f}")
