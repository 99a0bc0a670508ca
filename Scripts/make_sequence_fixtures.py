#!/usr/bin/env python3
"""PyTorch's numbers for the sequence layers Descent's SequenceTests compare with.

Run from the repository root with PyTorch and safetensors installed
(python3 -m pip install torch numpy safetensors):

    python3 Scripts/make_sequence_fixtures.py

Writes safetensors files under Tests/DescentTests/Fixtures/sequence/:
- init_<layer>.safetensors: a layer's state dict right after torch.manual_seed(seed);
- <rnn>.safetensors: a recurrent stack's parameters ("p.<name>"), inputs, initial states,
  upstream gradients ("up.*"), outputs and every gradient ("g.*");
- mha.safetensors: MultiheadAttention with a key padding mask and averaged weights, the same way;
- gpt.safetensors: the gpt_tiny_step model of ../shared/bench (nanoGPT's parameter names),
  a batch, the logits, and the losses of ten AdamW steps with gradient clipping.
"""
import math
import os

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_name] = "1"

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.set_num_threads(1)
nn = torch.nn
HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "..", "Tests", "DescentTests", "Fixtures", "sequence")


def save(name, tensors):
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, os.path.join(FILES, name), metadata={"format": "pt"})


# Seeds and constructors; SequenceTests builds the same layers under the same seeds.
INIT = {
    "embedding": (0, lambda: nn.Embedding(10, 4)),
    "embedding_padding": (1, lambda: nn.Embedding(10, 4, padding_idx=2)),
    "lstm": (2, lambda: nn.LSTM(3, 5, num_layers=2, bidirectional=True)),
    "lstm_proj": (3, lambda: nn.LSTM(3, 5, proj_size=2)),
    "gru": (4, lambda: nn.GRU(3, 4, bias=False)),
    "rnn": (5, lambda: nn.RNN(3, 4, num_layers=2, nonlinearity="relu")),
    "lstm_cell": (6, lambda: nn.LSTMCell(3, 4)),
    "gru_cell": (7, lambda: nn.GRUCell(3, 4)),
    "rnn_cell": (8, lambda: nn.RNNCell(3, 4)),
    "layer_norm": (9, lambda: nn.LayerNorm(6)),
    "mha": (10, lambda: nn.MultiheadAttention(8, 2)),
    "mha_kv_dims": (11, lambda: nn.MultiheadAttention(8, 2, kdim=5, vdim=3)),
    "encoder_layer": (12, lambda: nn.TransformerEncoderLayer(8, 2, 16)),
    "decoder_layer": (13, lambda: nn.TransformerDecoderLayer(8, 2, 16)),
    "transformer": (14, lambda: nn.Transformer(8, 2, 2, 1, 16)),
}


def initialisations():
    for name, (seed, make) in INIT.items():
        torch.manual_seed(seed)
        save(f"init_{name}.safetensors", make().state_dict())


def recurrent():
    """Two-layer bidirectional batch-first stacks (and a projected LSTM) with initial states."""
    cases = {
        "lstm_stack": lambda: nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True),
        "gru_stack": lambda: nn.GRU(4, 5, num_layers=2, bidirectional=True, batch_first=True),
        "rnn_stack": lambda: nn.RNN(4, 5, num_layers=2, bidirectional=True, batch_first=True),
        "lstm_proj_stack": lambda: nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True, proj_size=3),
    }
    g = torch.Generator().manual_seed(30)
    for name, make in cases.items():
        torch.manual_seed(31)
        layer = make()
        x = torch.randn(3, 6, 4, generator=g).requires_grad_()
        hidden = layer.proj_size if getattr(layer, "proj_size", 0) else layer.hidden_size
        h0 = torch.randn(4, 3, hidden, generator=g).requires_grad_()
        tensors = {f"p.{k}": v for k, v in layer.state_dict().items()}
        tensors.update({"x": x, "h0": h0})
        if isinstance(layer, nn.LSTM):
            c0 = torch.randn(4, 3, layer.hidden_size, generator=g).requires_grad_()
            out, (h, c) = layer(x, (h0, c0))
            tensors.update({"c0": c0, "c": c})
        else:
            out, h = layer(x, h0)
        ups = {"out": out, "h": h} | ({"c": c} if isinstance(layer, nn.LSTM) else {})
        loss = 0
        for k, v in ups.items():
            u = torch.randn(v.shape, generator=g)
            tensors[f"up.{k}"] = u
            loss = loss + (v * u).sum()
        loss.backward()
        tensors.update({"out": out, "h": h, "g.x": x.grad, "g.h0": h0.grad})
        if isinstance(layer, nn.LSTM):
            tensors["g.c0"] = c0.grad
        tensors.update({f"g.p.{k}": p.grad for k, p in layer.named_parameters()})
        save(f"{name}.safetensors", tensors)


def packed():
    """A two-layer bidirectional LSTM over a packed batch of unsorted lengths, from initial
    states: packed outputs, final states and gradients."""
    g = torch.Generator().manual_seed(35)
    torch.manual_seed(36)
    layer = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    x = torch.randn(6, 3, 3, generator=g).requires_grad_()
    h0 = torch.randn(4, 3, 4, generator=g).requires_grad_()
    c0 = torch.randn(4, 3, 4, generator=g).requires_grad_()
    lengths = [4, 6, 2]
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    out, (h, c) = layer(packed, (h0, c0))
    padded, out_lengths = nn.utils.rnn.pad_packed_sequence(out)
    tensors = {f"p.{k}": v for k, v in layer.state_dict().items()}
    tensors.update({"x": x, "h0": h0, "c0": c0, "data": out.data, "batch_sizes": out.batch_sizes, "h": h, "c": c,
                    "padded": padded, "lengths": out_lengths})
    loss = 0
    for k, v in {"data": out.data, "h": h, "c": c}.items():
        u = torch.randn(v.shape, generator=g)
        tensors[f"up.{k}"] = u
        loss = loss + (v * u).sum()
    loss.backward()
    tensors.update({"g.x": x.grad, "g.h0": h0.grad, "g.c0": c0.grad})
    tensors.update({f"g.p.{k}": p.grad for k, p in layer.named_parameters()})
    save("lstm_packed.safetensors", tensors)


def attention():
    """MultiheadAttention with a key padding mask and averaged weights, causal self-attention
    through scaled_dot_product_attention, and transformer layers, each with every gradient."""
    g = torch.Generator().manual_seed(40)

    def run(name, seed, make, inputs, call):
        torch.manual_seed(seed)
        module = make()
        leaves = {k: v.clone().requires_grad_(v.is_floating_point() and not k.startswith("mask")) for k, v in inputs.items()}
        outputs = call(module, leaves)
        tensors = {f"p.{k}": v for k, v in module.state_dict().items()}
        tensors.update(inputs)
        loss = 0
        for k, v in outputs.items():
            u = torch.randn(v.shape, generator=g)
            tensors[f"up.{k}"] = u
            tensors[f"out.{k}"] = v
            loss = loss + (v * u).sum()
        loss.backward()
        tensors.update({f"g.{k}": v.grad for k, v in leaves.items() if v.grad is not None})
        tensors.update({f"g.p.{k}": p.grad for k, p in module.named_parameters() if p.grad is not None})
        save(f"{name}.safetensors", tensors)

    padding = torch.tensor([[False, False, False, False, True, True], [False, True, False, False, False, False]])
    run("mha_padding", 41, lambda: nn.MultiheadAttention(8, 2, batch_first=True),
        {"q": torch.randn(2, 4, 8, generator=g), "k": torch.randn(2, 6, 8, generator=g), "v": torch.randn(2, 6, 8, generator=g),
         "mask_padding": padding},
        lambda m, t: dict(zip(["y", "w"], m(t["q"], t["k"], t["v"], key_padding_mask=t["mask_padding"]))))
    run("mha_self_causal", 42, lambda: nn.MultiheadAttention(8, 2),
        {"x": torch.randn(5, 2, 8, generator=g), "mask_attn": nn.Transformer.generate_square_subsequent_mask(5)},
        lambda m, t: {"y": m(t["x"], t["x"], t["x"], attn_mask=t["mask_attn"], need_weights=False)[0]})
    run("mha_kv_dims", 43, lambda: nn.MultiheadAttention(8, 2, kdim=5, vdim=3, add_bias_kv=True),
        {"q": torch.randn(3, 2, 8, generator=g), "k": torch.randn(4, 2, 5, generator=g), "v": torch.randn(4, 2, 3, generator=g)},
        lambda m, t: dict(zip(["y", "w"], m(t["q"], t["k"], t["v"], average_attn_weights=False))))
    run("encoder_layer", 44, lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True),
        {"x": torch.randn(2, 5, 8, generator=g), "mask_padding": padding[:, :5]},
        lambda m, t: {"y": m(t["x"], src_key_padding_mask=t["mask_padding"])})
    run("decoder_layer", 45, lambda: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0),
        {"x": torch.randn(4, 2, 8, generator=g), "memory": torch.randn(6, 2, 8, generator=g),
         "mask_attn": nn.Transformer.generate_square_subsequent_mask(4)},
        lambda m, t: {"y": m(t["x"], t["memory"], tgt_mask=t["mask_attn"])})
    run("transformer", 46, lambda: nn.Transformer(8, 2, 2, 1, 16, dropout=0.0),
        {"src": torch.randn(5, 2, 8, generator=g), "x": torch.randn(4, 2, 8, generator=g),
         "mask_attn": nn.Transformer.generate_square_subsequent_mask(4)},
        lambda m, t: {"y": m(t["src"], t["x"], tgt_mask=t["mask_attn"])})


def gpt():
    """The gpt_tiny_step model of ../shared/bench/peer_torch.py, its weights renamed to nanoGPT's
    names; a batch of four, the logits, and ten AdamW steps with gradient clipping."""
    V, T, L, H, C, B = 65, 64, 4, 4, 128, 4

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
            self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
            self.fc, self.out = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

        def forward(self, x):
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            q, k, v = (t.view(x.shape[0], T, H, C // H).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).contiguous().view(x.shape[0], T, C))
            return x + self.out(F.gelu(self.fc(self.ln2(x))))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
            self.blocks = nn.ModuleList([Block() for _ in range(L)])
            self.ln_f, self.head = nn.LayerNorm(C), nn.Linear(C, V, bias=False)
            self.head.weight = self.wte.weight

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(T))
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.ln_f(x))

    torch.manual_seed(0)
    model = Model()
    names = {"wte": "transformer.wte", "wpe": "transformer.wpe", "ln_f": "transformer.ln_f", "head": "lm_head",
             "ln1": "ln_1", "ln2": "ln_2", "qkv": "attn.c_attn", "proj": "attn.c_proj", "fc": "mlp.c_fc", "out": "mlp.c_proj"}

    def nano(key):
        parts = key.split(".")
        if parts[0] == "blocks":
            return f"transformer.h.{parts[1]}.{names[parts[2]]}.{parts[3]}"
        return f"{names[parts[0]]}.{parts[1]}"

    tensors = {"p." + nano(k): v.clone() for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(50)
    idx, targets = torch.randint(0, V, (B, T), generator=g), torch.randint(0, V, (B, T), generator=g)
    tensors.update({"idx": idx, "targets": targets, "logits": model(idx)})
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = F.cross_entropy(model(idx).view(-1, V), targets.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    tensors["losses"] = torch.tensor(losses, dtype=torch.float64)
    # nanoGPT's generate from the trained model: temperature 0.8, top-k 10, seed 1337.
    torch.manual_seed(1337)
    sequence = idx[:1, :8]
    with torch.no_grad():
        for _ in range(20):
            context = sequence[:, -T:]
            padded = torch.cat([context, torch.zeros(1, T - context.shape[1], dtype=torch.long)], dim=1)
            logits = model(padded)[:, context.shape[1] - 1, :] / 0.8
            v, _ = torch.topk(logits, 10)
            logits[logits < v[:, [-1]]] = -float("Inf")
            sequence = torch.cat([sequence, torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)], dim=1)
    tensors["sample"] = sequence
    save("gpt.safetensors", tensors)


def main():
    os.makedirs(FILES, exist_ok=True)
    initialisations()
    recurrent()
    packed()
    attention()
    gpt()


if __name__ == "__main__":
    main()
