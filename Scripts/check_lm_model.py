#!/usr/bin/env python3
"""Loads a model written by `descent lm train` into PyTorch, with nanoGPT's GPT module structure
and parameter names, and prints its greedy continuation of a prompt: the same text as
`descent lm sample MODEL --prompt PROMPT --temperature 0 --tokens N`.

    python3 Scripts/check_lm_model.py lm.safetensors --prompt "MENENIUS:" --tokens 100
"""
import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"], bias=c["bias"])
        self.c_proj = nn.Linear(c["n_embd"], c["n_embd"], bias=c["bias"])
        self.n_head, self.n_embd = c["n_head"], c["n_embd"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["n_embd"], 4 * c["n_embd"], bias=c["bias"])
        self.c_proj = nn.Linear(4 * c["n_embd"], c["n_embd"], bias=c["bias"])

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(c["n_embd"], bias=c["bias"]), CausalSelfAttention(c)
        self.ln_2, self.mlp = nn.LayerNorm(c["n_embd"], bias=c["bias"]), MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]), wpe=nn.Embedding(c["block_size"], c["n_embd"]),
            h=nn.ModuleList([Block(c) for _ in range(c["n_layer"])]), ln_f=nn.LayerNorm(c["n_embd"], bias=c["bias"])))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx):
        t = idx.size(1)
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(t))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--prompt", default="\n")
    p.add_argument("--tokens", type=int, default=100)
    args = p.parse_args()
    with safe_open(args.model, "pt") as f:
        meta = f.metadata()
    config, vocabulary = json.loads(meta["config"]), json.loads(meta["vocabulary"])
    model = GPT(config)
    model.load_state_dict(load_file(args.model), strict=True)
    model.eval()
    index = {ch: i for i, ch in enumerate(vocabulary)}
    idx = torch.tensor([[index[ch] for ch in args.prompt]])
    with torch.no_grad():
        for _ in range(args.tokens):
            logits = model(idx[:, -config["block_size"]:])[:, -1, :]
            idx = torch.cat([idx, logits.argmax(dim=-1, keepdim=True)], dim=1)
    print("".join(vocabulary[i] for i in idx[0].tolist()))


if __name__ == "__main__":
    main()
