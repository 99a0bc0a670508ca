#!/usr/bin/env python3
"""Floating-point work of one gpt_tiny_step and one lstm_step, the models of
shared/bench/peer_torch.py, for judging how close a step's time is to the matrix kernel's.

    python3 Scripts/count_flops.py

`torch.utils.flop_counter` counts the matrix products and attention of the GPT step (forward
and backward). It does not see inside PyTorch's fused LSTM, so the LSTM's products are counted
here by hand: the input projection of every step at once, the recurrent product per step, and
their gradients (the input's gradient is not needed: x does not require grad).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

V, T, L, H, C, B = 65, 64, 4, 4, 128, 16


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.out = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x):
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.blocks = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f, self.head = nn.LayerNorm(C), nn.Linear(C, V, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for blk in self.blocks:
            x = blk(x)
        return F.cross_entropy(self.head(self.ln_f(x)).view(-1, V), targets.view(-1))


model = GPT()
idx, targets = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
with FlopCounterMode(display=False) as counter:
    model(idx, targets).backward()
print(f"gpt_tiny_step {counter.get_total_flops() / 1e9:.3f} GFLOP (forward and backward)")

steps, batch, inputs, hidden = 50, 32, 64, 128
gates = 4 * hidden
macs = (steps * batch * inputs * gates          # input projection, all steps at once
        + steps * batch * hidden * gates        # recurrent product, step by step
        + gates * steps * batch * inputs        # W_ih's gradient
        + gates * steps * batch * hidden        # W_hh's gradient
        + steps * batch * gates * hidden)       # the gradient reaching h_{t-1}
print(f"lstm_step {2 * macs / 1e9:.3f} GFLOP in matrix products (forward and backward)")

# mlp_adam_step (compile issue's goals): Linear(784,256) -> ReLU -> Linear(256,10) on 128 rows;
# x does not require grad, so the first layer's input gradient is not computed.
mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
x, labels = torch.randn(128, 784), torch.randint(0, 10, (128,))
with FlopCounterMode(display=False) as counter:
    F.cross_entropy(mlp(x), labels).backward()
print(f"mlp_adam_step {counter.get_total_flops() / 1e9:.3f} GFLOP (forward and backward)")
