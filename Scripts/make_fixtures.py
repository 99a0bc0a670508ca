#!/usr/bin/env python3
"""Generates the PyTorch fixtures that Descent's tests compare against.

Run from the repository root with PyTorch installed (python3 -m pip install torch numpy):

    ATEN_CPU_CAPABILITY=default python3 Scripts/make_fixtures.py

ATEN_CPU_CAPABILITY=default selects PyTorch's scalar reference kernels (the 16-value normal
fill and 8-lane float sums), which Descent reproduces bit for bit on every CPU. The script
writes JSON files into Tests/DescentTests/Fixtures; the Swift tests read them and never need
Python. Every file it writes is marked as generated.
"""
import json
import math
import os
import sys

# One thread in every library below torch as well: torch.linalg.lstsq gave results that differed
# in the last digits from run to run with its BLAS on several threads.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import torch

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DescentTests", "Fixtures")
DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


def encode(v):
    """JSON numbers, with non-finite floats as strings."""
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def tensor_json(t):
    return {
        "shape": list(t.shape),
        "dtype": DTYPES[t.dtype],
        "values": [encode(v) for v in t.detach().reshape(-1).tolist()],
    }


def write(name, payload):
    payload = {"generated_by": "Scripts/make_fixtures.py (do not edit by hand)",
               "torch_version": torch.__version__, **payload}
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")
    print("wrote", name)


# ---------------------------------------------------------------------------------------------
# Printing (torch/_tensor_str.py)

def printing():
    g = torch.Generator().manual_seed(1)
    cases = []

    def add(name, t, options=None, requires_grad=False):
        torch.set_printoptions(profile="default")
        if options:
            torch.set_printoptions(**options)
        if requires_grad:
            t = t.clone().requires_grad_(True)
        cases.append({"name": name, "tensor": tensor_json(t), "requires_grad": requires_grad,
                      "options": options or {}, "repr": repr(t)})
        torch.set_printoptions(profile="default")

    add("scalar", torch.tensor(5.9635))
    add("scalar_int_mode", torch.tensor(3.0))
    add("scalar_zero", torch.tensor(0.0))
    add("scalar_int64", torch.tensor(10))
    add("scalar_bool", torch.tensor(True))
    add("vector_int_mode", torch.tensor([1.0, 2.0, 56.0]))
    add("vector_wide_int", torch.tensor([1.0, 1000.0]))
    add("vector_sci_ratio", torch.tensor([1.0, 2000.0]))
    add("vector_sci_small", torch.tensor([1e-4, 0.1]))
    add("vector_sci_large", torch.tensor([1e9, 2e9]))
    add("vector_nonfinite", torch.tensor([1.5, float("inf"), float("nan"), -float("inf")]))
    add("vector_nonfinite_int", torch.tensor([1.0, float("inf"), float("nan")]))
    add("vector_only_nonfinite", torch.tensor([float("nan"), float("inf")]))
    add("vector_zeros", torch.zeros(4))
    add("vector_negative_zero", torch.tensor([-0.0, 1.5]))
    add("vector_bool", torch.tensor([True, False]))
    add("vector_int64", torch.tensor([4, -19, 300]))
    add("vector_float64", torch.tensor([1.5], dtype=torch.float64))
    add("vector_float64_grad", torch.tensor([1.5], dtype=torch.float64), requires_grad=True)
    add("empty_1d", torch.zeros(0))
    add("empty_2d", torch.zeros(0, 3))
    add("empty_int64", torch.zeros(2, 0, dtype=torch.int64))
    add("targets", torch.tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119.]]))
    add("weights_grad", torch.tensor([[0.7042, -1.5674, -0.3579], [1.7298, -1.3018, 1.2664]]), requires_grad=True)
    add("grad_sci", torch.tensor([[-1.3965e+04, -1.7300e+04, -1.0198e+04], [1.4810e+03, -1.0777e+03, -4.9734e+00]]))
    add("three_d", torch.arange(16.0).reshape(2, 2, 4))
    add("four_d", torch.arange(24.0).reshape(2, 2, 3, 2))
    add("wrap_columns", torch.randn(30, generator=g))
    add("wrap_matrix", torch.randn(3, 25, generator=g) * 100)
    add("summarized_vector", torch.arange(2000.0))
    add("summarized_matrix", torch.randn(100, 50, generator=g))
    add("summarized_3d", torch.randn(12, 10, 11, generator=g))
    add("summarized_int64", torch.arange(1200).reshape(40, 30))
    add("summarized_bool", torch.randn(1001, generator=g) > 0)
    add("mixed_magnitudes", torch.tensor([[1e-3, 12.5], [3.25, -400.0]]))
    add("big_ints", torch.tensor([123456789.0, 1.0]))
    add("long_grad_suffix", torch.randn(4, 7, generator=g), requires_grad=True)
    add("precision_2", torch.tensor([1.23456, 2.5]), options={"precision": 2})
    add("sci_forced", torch.tensor([1.5, 2.25]), options={"sci_mode": True})
    add("sci_forbidden", torch.tensor([1e-6, 2.0]), options={"sci_mode": False})
    add("threshold_5", torch.arange(10.0), options={"threshold": 5})
    add("edgeitems_1", torch.arange(10.0), options={"threshold": 5, "edgeitems": 1})
    add("linewidth_40", torch.randn(20, generator=g), options={"linewidth": 40})
    for i in range(40):
        scale = 10.0 ** ((i % 9) - 4)
        add(f"random_{i}", torch.randn(1 + i % 4, 1 + (i * 7) % 6, generator=g) * scale)
    write("printing.json", {"cases": cases})


# ---------------------------------------------------------------------------------------------
# Random streams (§4 of the semantics spec)

def random_streams(avx2=False):
    """The random streams of PyTorch's reference build; with `avx2`, of its AVX2 build (the
    vectorised normal fill, fused uniform_), run in a second process (see avx2_random)."""
    cases = []

    def add(name, seed, make):
        torch.manual_seed(seed)
        t = make()
        cases.append({"name": name, "seed": seed, "tensor": tensor_json(t)})

    for shape in [(2, 3), (4, 4), (5,), (16,), (20,), (3, 17), (1000,)]:
        tag = "x".join(map(str, shape))
        add(f"randn_{tag}", 0, lambda: torch.randn(*shape))
        add(f"randn64_{tag}", 0, lambda: torch.randn(*shape, dtype=torch.float64))
        add(f"rand_{tag}", 0, lambda: torch.rand(*shape))
        add(f"rand64_{tag}", 0, lambda: torch.rand(*shape, dtype=torch.float64))
    add("randn_seed42", 42, lambda: torch.randn(2, 3))
    add("randn_then_cached", 0, lambda: (torch.randn(5), torch.randn(1))[1])
    add("randn_cache_survives_rand", 0, lambda: (torch.randn(5), torch.rand(2), torch.randn(1))[2])
    add("randint_10", 0, lambda: torch.randint(0, 10, (6,)))
    add("randint_range", 3, lambda: torch.randint(-5, 5, (4, 5)))
    add("randint_huge", 0, lambda: torch.randint(0, 2**40, (5,)))
    add("randperm_10", 0, lambda: torch.randperm(10))
    add("randperm_30", 5, lambda: torch.randperm(30))
    add("randperm_2000", 11, lambda: torch.randperm(2000))
    add("notebook_w", 0, lambda: torch.randn(2, 3))
    add("notebook_b", 0, lambda: (torch.randn(2, 3), torch.randn(2))[1])
    add("normal_mean2_std0.5_37", 7, lambda: torch.empty(37).normal_(2.0, 0.5))
    add("normal64_mean2_std0.5_37", 7, lambda: torch.empty(37, dtype=torch.float64).normal_(2.0, 0.5))
    add("normal_mean2_std0.5_5", 7, lambda: torch.empty(5).normal_(2.0, 0.5))
    add("uniform_linear_bound_300", 1, lambda: torch.empty(300).uniform_(-1 / math.sqrt(3), 1 / math.sqrt(3)))
    add("uniform64_2_5_100", 1, lambda: torch.empty(100, dtype=torch.float64).uniform_(2.0, 5.0))
    add("randn_4099", 3, lambda: torch.randn(4099))
    add("linear_20_7_weight", 1, lambda: torch.nn.Linear(20, 7).weight.detach())
    if avx2:
        write("random_avx2.json", {"capability": torch.backends.cpu.get_cpu_capability(), "cases": cases})
    else:
        write("random.json", {"cases": cases})


def avx2_random():
    """random_avx2.json from a PyTorch that runs its AVX2 build (this machine must have AVX2)."""
    import subprocess
    env = dict(os.environ, ATEN_CPU_CAPABILITY="avx2")
    done = subprocess.run([sys.executable, __file__, "--avx2-random"], env=env)
    if done.returncode != 0:
        print("random_avx2.json not written: this CPU cannot run PyTorch's AVX2 build")


# ---------------------------------------------------------------------------------------------
# Creation, views and indexing without gradients

def creation():
    x = torch.arange(24.0).reshape(2, 3, 4)
    m = torch.arange(12.0).reshape(3, 4)
    table = {
        "zeros": torch.zeros(2, 3),
        "ones_int64": torch.ones(2, dtype=torch.int64),
        "full": torch.full((2, 2), 7.5),
        "eye": torch.eye(3),
        "eye_rect": torch.eye(2, 4),
        "arange_int": torch.arange(5),
        "arange_step": torch.arange(0, 10, 3),
        "arange_float": torch.arange(0.0, 1.0, 0.25),
        "arange_negative": torch.arange(5.0, -1.0, -1.5),
        "linspace": torch.linspace(0, 1, 5),
        "linspace_odd": torch.linspace(-3, 7, 11),
        "linspace_float64": torch.linspace(0, 1, 7, dtype=torch.float64),
        "index_negative": m[-1],
        "index_range": m[1:],
        "index_two": m[1, 2:],
        "index_ellipsis": x[..., 1],
        "index_newaxis": m[None, 1],
        "index_step": x[:, ::2, 1:3],
        "index_tensor_2d": m[torch.tensor([[0, 2], [1, 1]])],
        "index_mask": m[m > 5],
        "index_row_mask": m[torch.tensor([True, False, True])],
        "index_column_gather": m[:, torch.tensor([3, 0])],
        "nonzero": torch.tensor([[0, 1], [2, 0]]).nonzero(),
        "argmax": m.argmax(),
        "argmax_dim": (m * torch.tensor([1.0, -1.0, 1.0, -1.0])).argmax(1),
        "argmin_dim_keep": m.argmin(0, keepdim=True),
        "max_dim_indices": torch.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]]).max(1)[1],
        "where_scalar": torch.where(m > 4, m, 0.0),
        "compare_lt": m < 5,
        "compare_eq_broadcast": m == torch.tensor([0.0, 5.0, 6.0, 3.0]),
        "to_int64": torch.tensor([1.7, -1.7, 2.5]).to(torch.int64),
        "to_bool": torch.tensor([0.0, -1.5, 2.0]).to(torch.bool),
        "bool_sum": (m > 3).sum(),
        "int_sum_dim": torch.arange(12).reshape(3, 4).sum(1),
        "int_add_float": torch.arange(3) + 0.5,
        "int_div": torch.arange(4) / 2,
        "int_mul_int": torch.arange(4) * 3,
        "permute_contiguous": x.permute(2, 0, 1).contiguous(),
        "cat_three": torch.cat([m[:1], m, m[2:]], 0),
        "stack_last": torch.stack([m, m * 2], -1),
        "squeeze_none": torch.zeros(1, 3, 1, 2).squeeze(),
        "flatten": x.flatten(1),
        "pow_negative": torch.tensor([-2.0, 0.0, 3.0]) ** 3,
        "clamp_int": torch.arange(-3, 4).clamp(-1, 2),
        "mean_nan": torch.tensor([1.0, float("nan")]).mean(),
        "max_nan": torch.tensor([1.0, float("nan"), 3.0]).max(),
        "sum_inf": torch.tensor([float("inf"), 1.0]).sum(),
        "maximum_nan": torch.maximum(torch.tensor([1.0, float("nan")]), torch.tensor([2.0, 0.0])),
        "relu_nan": torch.tensor([float("nan"), -1.0]).relu(),
    }
    write("creation.json", {"cases": [{"name": k, "tensor": tensor_json(v)} for k, v in table.items()]})


# ---------------------------------------------------------------------------------------------
# Operations: forward values, grad_fn names and gradients

def ops():
    g = torch.Generator().manual_seed(7)

    def rn(*shape):
        return torch.randn(shape, generator=g)

    def pos(*shape):
        return torch.rand(shape, generator=g) + 0.5

    late = torch.Generator().manual_seed(8)

    idx = torch.tensor([2, 0, 2])
    # name: (function, inputs). Inputs are float32 leaves requiring grad unless integral.
    table = {
        "neg": (lambda x: -x, [rn(3, 4)]),
        "exp": (lambda x: x.exp(), [rn(3, 4)]),
        "log": (lambda x: x.log(), [pos(3, 4)]),
        "sqrt": (lambda x: x.sqrt(), [pos(3, 4)]),
        "abs": (lambda x: x.abs(), [rn(3, 4)]),
        "relu": (lambda x: x.relu(), [rn(3, 4)]),
        "sigmoid": (lambda x: x.sigmoid(), [rn(3, 4)]),
        "tanh": (lambda x: x.tanh(), [rn(3, 4)]),
        "reciprocal": (lambda x: x.reciprocal(), [pos(3, 4)]),
        "pow_2": (lambda x: x ** 2, [rn(3, 4)]),
        "pow_half": (lambda x: x ** 0.5, [pos(3, 4)]),
        "pow_tensor": (lambda x, y: x ** y, [pos(3, 4), rn(4)]),
        "rpow": (lambda x: 2 ** x, [rn(3, 4)]),
        "clamp": (lambda x: x.clamp(-0.5, 0.5), [rn(3, 4)]),
        "clamp_min": (lambda x: x.clamp(min=0.1), [rn(3, 4)]),
        "clamp_max": (lambda x: x.clamp(max=0.2), [rn(3, 4)]),
        "add": (lambda x, y: x + y, [rn(3, 4), rn(4)]),
        "sub": (lambda x, y: x - y, [rn(3, 4), rn(3, 1)]),
        "mul": (lambda x, y: x * y, [rn(3, 4), rn(1, 4)]),
        "div": (lambda x, y: x / y, [rn(3, 4), pos(4)]),
        "add_scalar": (lambda x: x + 2, [rn(3, 4)]),
        "sub_scalar": (lambda x: x - 1.5, [rn(3, 4)]),
        "rsub": (lambda x: 1 - x, [rn(3, 4)]),
        "mul_scalar": (lambda x: x * 3, [rn(3, 4)]),
        "div_scalar": (lambda x: x / 2, [rn(3, 4)]),
        "rdiv": (lambda x: 2 / x, [pos(3, 4)]),
        "add_0d": (lambda x, y: x + y, [rn(2, 3), rn()]),
        "add_broadcast_both": (lambda x, y: x + y, [rn(3, 1), rn(1, 4)]),
        "maximum": (lambda x, y: torch.maximum(x, y), [rn(3, 4), rn(4)]),
        "minimum": (lambda x, y: torch.minimum(x, y), [rn(3, 4), rn(3, 1)]),
        "where": (lambda x, y: torch.where(x > 0, x, y), [rn(3, 4), rn(4)]),
        "sum": (lambda x: x.sum(), [rn(3, 4)]),
        "sum_dim0": (lambda x: x.sum(0), [rn(3, 4)]),
        "sum_dim1_keep": (lambda x: x.sum(1, keepdim=True), [rn(3, 4)]),
        "sum_dims": (lambda x: x.sum((0, 2)), [rn(2, 3, 4)]),
        "sum_long": (lambda x: x.sum(), [rn(1000)]),
        "sum_columns": (lambda x: x.sum(0), [rn(37, 40)]),
        "mean": (lambda x: x.mean(), [rn(3, 4)]),
        "mean_dim1": (lambda x: x.mean(1), [rn(3, 4)]),
        "max_all": (lambda x: x.max(), [rn(3, 4)]),
        "min_all": (lambda x: x.min(), [rn(3, 4)]),
        "max_dim1": (lambda x: x.max(1)[0], [rn(3, 4)]),
        "min_dim0_keep": (lambda x: x.min(0, keepdim=True)[0], [rn(3, 4)]),
        "var": (lambda x: x.var(), [rn(3, 4)]),
        "var_dim0": (lambda x: x.var(0), [rn(3, 4)]),
        "var_correction0": (lambda x: x.var(1, correction=0), [rn(3, 4)]),
        "std": (lambda x: x.std(), [rn(3, 4)]),
        "std_dim1_keep": (lambda x: x.std(1, keepdim=True), [rn(3, 4)]),
        "mm": (lambda x, y: x.mm(y), [rn(3, 4), rn(4, 2)]),
        "mv": (lambda x, y: x.mv(y), [rn(3, 4), rn(4)]),
        "dot": (lambda x, y: x.dot(y), [rn(4), rn(4)]),
        "bmm": (lambda x, y: x.bmm(y), [rn(2, 3, 4), rn(2, 4, 5)]),
        "matmul_1d_2d": (lambda x, y: x @ y, [rn(4), rn(4, 2)]),
        "matmul_3d_2d": (lambda x, y: x @ y, [rn(2, 3, 4), rn(4, 2)]),
        "matmul_3d_1d": (lambda x, y: x @ y, [rn(2, 3, 4), rn(4)]),
        "matmul_batched": (lambda x, y: x @ y, [rn(2, 3, 4), rn(2, 4, 5)]),
        "matmul_broadcast": (lambda x, y: x @ y, [rn(2, 1, 3, 4), rn(3, 4, 2)]),
        "matmul_2d_3d": (lambda x, y: x @ y, [rn(3, 4), rn(2, 4, 5)]),
        "linear_seed": (lambda x, w, b: x @ w.t() + b, [rn(5, 3), rn(2, 3), rn(2)]),
        "t": (lambda x: x.t(), [rn(3, 4)]),
        "transpose": (lambda x: x.transpose(0, 2), [rn(2, 3, 4)]),
        "permute": (lambda x: x.permute(2, 0, 1), [rn(2, 3, 4)]),
        "T": (lambda x: x.T, [rn(3, 4)]),
        "view": (lambda x: x.view(2, 6), [rn(3, 4)]),
        "reshape_copy": (lambda x: x.t().reshape(12), [rn(3, 4)]),
        "expand": (lambda x: x.expand(3, 4), [rn(3, 1)]),
        "squeeze": (lambda x: x.squeeze(), [rn(3, 1, 4)]),
        "squeeze_dim": (lambda x: x.squeeze(1), [rn(3, 1, 4)]),
        "unsqueeze": (lambda x: x.unsqueeze(1), [rn(3, 4)]),
        "select": (lambda x: x[1], [rn(3, 4)]),
        "slice": (lambda x: x[:, 1:3], [rn(3, 4)]),
        "slice_step": (lambda x: x[::2], [rn(5, 2)]),
        "index": (lambda x, i: x[i], [rn(3, 4), idx]),
        "cat": (lambda x, y: torch.cat([x, y], 0), [rn(2, 3), rn(4, 3)]),
        "cat_dim1": (lambda x, y: torch.cat([x, y], 1), [rn(2, 3), rn(2, 1)]),
        "stack": (lambda x, y: torch.stack([x, y], 1), [rn(2, 3), rn(2, 3)]),
        "contiguous": (lambda x: x.t().contiguous(), [rn(3, 4)]),
        "to_float64": (lambda x: x.to(torch.float64), [rn(3, 4)]),
        "exp_transposed": (lambda x: x.t().exp(), [rn(3, 4)]),
        "mul_transposed": (lambda x, y: x.t() * y, [rn(3, 4), rn(4, 3)]),
        "sum_transposed": (lambda x: x.t().sum(0), [rn(3, 4)]),
        "mm_transposed": (lambda x, y: x.t().mm(y), [rn(4, 3), rn(4, 2)]),
        "add_expanded": (lambda x, y: x.expand(3, 4) + y, [rn(1, 4), rn(3, 4)]),
        "sigmoid_sliced": (lambda x: x[1:, ::2].sigmoid(), [rn(3, 4)]),
        "mse_seed": (lambda x, y: ((x - y) * (x - y)).sum() / 10, [rn(5, 2), rn(5, 2)]),
        "softmax": (lambda x: x.softmax(1), [rn(3, 4)]),
        "log_softmax": (lambda x: x.log_softmax(1), [rn(3, 4)]),
        "log_softmax_dim0": (lambda x: x.log_softmax(0), [rn(3, 4)]),
        "addmm": (lambda b, x, w: torch.addmm(b, x, w.t()), [rn(2), rn(5, 3), rn(2, 3)]),
        "linear": (lambda b, x, w: torch.nn.functional.linear(x, w, b), [rn(4), rn(6, 3), rn(4, 3)]),
        "gelu": (lambda x: torch.nn.functional.gelu(x), [rn(3, 4) * 2]),
        "gelu_tanh": (lambda x: torch.nn.functional.gelu(x, approximate="tanh"), [rn(3, 4) * 2]),
        # Narrow column sums (bias gradients), which Descent sums column by column. Their
        # inputs come from a generator of their own, so the other cases' values stay as they were.
        "sum_narrow_columns": (lambda x: x.sum(0), [torch.randn(203, 2, generator=late)]),
        "sum_three_columns": (lambda x: x.sum(0), [torch.randn(1001, 3, generator=late)]),
        # Sums along short rows, which Descent runs eight rows at a time in vector lanes.
        "sum_short_rows": (lambda x: x.sum(1), [torch.randn(37, 5, generator=late)]),
        "sum_short_rows_two": (lambda x: x.sum(1), [torch.randn(1001, 2, generator=late)]),
        "sum_short_rows_seven": (lambda x: x.sum(1), [torch.randn(45, 7, generator=late) * 100]),
        "sum_rows_ten": (lambda x: x.sum(1), [torch.randn(37, 10, generator=late) * 100]),
        "sum_rows_twenty_nine": (lambda x: x.sum(1), [torch.randn(21, 29, generator=late) * 100]),
        # A 3-D operand with a batch of one that requires grad, beside a larger batch: PyTorch
        # squeezes it and folds the other into one mm (CloneBackward0 / UnsafeViewBackward0).
        "matmul_batch_one_left": (lambda x, y: x @ y, [torch.randn(1, 4, 2, generator=late), torch.randn(5, 2, 3, generator=late)]),
        "matmul_batch_one_right": (lambda x, y: x @ y, [torch.randn(5, 4, 2, generator=late), torch.randn(1, 2, 3, generator=late)]),
    }
    cases = (run_table(table, g) + run_table(vocabulary_ops(), torch.Generator().manual_seed(16))
             + run_table(vision_ops(), torch.Generator().manual_seed(18))
             + run_table(sequence_ops(), torch.Generator().manual_seed(20)))
    write("ops.json", {"cases": cases})


def vocabulary_ops():
    """The ops of the vocabulary issue, with inputs drawn from a generator of their own so that
    the cases above keep their values."""
    g = torch.Generator().manual_seed(15)

    def rn(*shape):
        return torch.randn(shape, generator=g)

    def pos(*shape):
        return torch.rand(shape, generator=g) + 0.5

    def unit(*shape):   # inside (-0.9, 0.9)
        return torch.rand(shape, generator=g) * 1.8 - 0.9

    def prob(*shape):   # inside (0.05, 0.95)
        return torch.rand(shape, generator=g) * 0.9 + 0.05

    F = torch.nn.functional
    return {
        "sin": (torch.sin, [rn(3, 4)]),
        "cos": (torch.cos, [rn(3, 4)]),
        "tan": (torch.tan, [unit(3, 4)]),
        "asin": (torch.asin, [unit(3, 4)]),
        "acos": (torch.acos, [unit(3, 4)]),
        "atan": (torch.atan, [rn(3, 4)]),
        "sinh": (torch.sinh, [rn(3, 4)]),
        "cosh": (torch.cosh, [rn(3, 4)]),
        "asinh": (torch.asinh, [rn(3, 4)]),
        "acosh": (torch.acosh, [pos(3, 4) + 1]),
        "atanh": (torch.atanh, [unit(3, 4)]),
        "exp2": (torch.exp2, [rn(3, 4)]),
        "expm1": (torch.expm1, [rn(3, 4)]),
        "log2": (torch.log2, [pos(3, 4)]),
        "log10": (torch.log10, [pos(3, 4)]),
        "log1p": (torch.log1p, [pos(3, 4)]),
        "erf": (torch.erf, [rn(3, 4)]),
        "erfc": (torch.erfc, [rn(3, 4)]),
        "erfinv": (torch.erfinv, [unit(3, 4)]),
        "lgamma": (torch.lgamma, [pos(3, 4) * 3]),
        "digamma": (torch.digamma, [pos(3, 4) * 3]),
        "rsqrt": (torch.rsqrt, [pos(3, 4)]),
        "square": (torch.square, [rn(3, 4)]),
        "floor": (torch.floor, [rn(3, 4) * 3]),
        "ceil": (torch.ceil, [rn(3, 4) * 3]),
        "trunc": (torch.trunc, [rn(3, 4) * 3]),
        "round": (torch.round, [rn(3, 4) * 3]),
        "round_decimals": (lambda x: torch.round(x, decimals=2), [rn(3, 4) * 3]),
        "frac": (torch.frac, [rn(3, 4) * 3]),
        "softplus": (F.softplus, [rn(3, 4) * 3]),
        "softplus_beta": (lambda x: F.softplus(x, beta=2, threshold=3), [rn(3, 4) * 3]),
        "silu": (F.silu, [rn(3, 4) * 3]),
        "mish": (F.mish, [rn(3, 4) * 3]),
        "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), [rn(3, 4)]),
        "elu": (lambda x: F.elu(x, 0.7), [rn(3, 4)]),
        "selu": (F.selu, [rn(3, 4)]),
        "celu": (lambda x: F.celu(x, 1.5), [rn(3, 4)]),
        "hardtanh": (lambda x: F.hardtanh(x, -0.5, 0.8), [rn(3, 4)]),
        "relu6": (F.relu6, [rn(3, 4) * 4]),
        "hardsigmoid": (F.hardsigmoid, [rn(3, 4) * 3]),
        "hardswish": (F.hardswish, [rn(3, 4) * 3]),
        "logsigmoid": (F.logsigmoid, [rn(3, 4) * 3]),
        "softsign": (F.softsign, [rn(3, 4)]),
        "threshold": (lambda x: F.threshold(x, 0.1, 20.0), [rn(3, 4)]),
        "glu": (lambda x: F.glu(x, 1), [rn(3, 4)]),
        "glu_dim0": (lambda x: F.glu(x, 0), [rn(4, 3)]),
        "logit": (torch.logit, [prob(3, 4)]),
        "logit_eps": (lambda x: torch.logit(x, eps=0.2), [prob(3, 4)]),
        "atan2": (torch.atan2, [rn(3, 4), rn(4)]),
        "hypot": (torch.hypot, [rn(3, 4), rn(3, 1)]),
        "xlogy": (torch.xlogy, [rn(3, 4), pos(4)]),
        "xlogy_scalar": (lambda x: torch.xlogy(x, 3.0), [rn(3, 4)]),
        "copysign": (torch.copysign, [rn(3, 4), rn(4)]),
        "copysign_scalar": (lambda x: torch.copysign(x, -2.0), [rn(3, 4)]),
        "fmod": (torch.fmod, [rn(3, 4) * 3, pos(4)]),
        "fmod_scalar": (lambda x: torch.fmod(x, 0.7), [rn(3, 4) * 3]),
        "remainder": (torch.remainder, [rn(3, 4) * 3, pos(4)]),
        "remainder_scalar": (lambda x: torch.remainder(x, 0.7), [rn(3, 4) * 3]),
        "lerp": (lambda a, b: torch.lerp(a, b, 0.3), [rn(3, 4), rn(4)]),
        "lerp_tensor": (torch.lerp, [rn(3, 4), rn(4), rn(3, 1)]),
        "nan_to_num": (torch.nan_to_num, [rn(3, 4)]),
        "sin_transposed": (lambda x: x.t().sin(), [rn(3, 4)]),
        "erf_sliced": (lambda x: x[1:, ::2].erf(), [rn(3, 4)]),
        "atan2_expanded": (lambda x, y: torch.atan2(x.expand(3, 4), y), [rn(1, 4), rn(3, 4)]),
        "silu_transposed": (lambda x: F.silu(x.t()), [rn(3, 4)]),
        # Rearranging.
        "flip": (lambda x: x.flip(0, 1), [rn(3, 4)]),
        "roll": (lambda x: x.roll(1, 1), [rn(3, 4)]),
        "roll_flat": (lambda x: x.roll(5), [rn(3, 4)]),
        "roll_dims": (lambda x: x.roll((1, -2), (0, 1)), [rn(3, 4)]),
        "repeat": (lambda x: x.repeat(2, 1, 3), [rn(3, 4)]),
        "tile": (lambda x: x.tile((2,)), [rn(3, 4)]),
        "repeat_interleave": (lambda x: x.repeat_interleave(2, dim=0), [rn(3, 4)]),
        "repeat_interleave_flat": (lambda x: x.repeat_interleave(2), [rn(2, 3)]),
        "repeat_interleave_tensor": (lambda x, r: x.repeat_interleave(r, dim=0), [rn(3, 4), torch.tensor([1, 0, 2])]),
        "chunk": (lambda x: x.chunk(3, 1)[1], [rn(3, 5)]),
        "split": (lambda x: x.split(2, 1)[2], [rn(3, 5)]),
        "split_sizes": (lambda x: x.split([1, 3], 1)[1], [rn(3, 4)]),
        "unbind": (lambda x: x.unbind(1)[2], [rn(3, 4)]),
        "movedim": (lambda x: x.movedim(0, 2), [rn(2, 3, 4)]),
        "swapaxes": (lambda x: x.swapaxes(0, 2), [rn(2, 3, 4)]),
        "unflatten": (lambda x: x.unflatten(1, (2, 2)), [rn(3, 4)]),
        "tril": (lambda x: x.tril(), [rn(3, 4)]),
        "tril_batched": (lambda x: x.tril(-1), [rn(2, 3, 3)]),
        "triu": (lambda x: x.triu(1), [rn(3, 4)]),
        "diagonal": (lambda x: x.diagonal(), [rn(3, 4)]),
        "diagonal_offset": (lambda x: x.diagonal(1, 1, 2), [rn(2, 3, 4)]),
        "diagonal_negative": (lambda x: x.diagonal(-1), [rn(4, 3)]),
        "diag_embed": (torch.diag_embed, [rn(2, 3)]),
        "diag_vector": (lambda x: torch.diag(x, 1), [rn(3)]),
        "diag_matrix": (lambda x: torch.diag(x), [rn(3, 4)]),
        "trace": (torch.trace, [rn(3, 4)]),
        "outer": (torch.outer, [rn(3), rn(4)]),
        "kron": (torch.kron, [rn(2, 3), rn(2, 2)]),
        # Gather, scatter, index and masked ops.
        "gather": (lambda x, i: x.gather(1, i), [rn(3, 4), torch.tensor([[0, 1], [3, 3], [2, 0]])]),
        "gather_dim0": (lambda x, i: x.gather(0, i), [rn(3, 4), torch.tensor([[2, 0, 1, 1]])]),
        "take_along_dim": (lambda x, i: torch.take_along_dim(x, i, 1), [rn(3, 4), torch.tensor([[0], [3], [1]])]),
        "scatter": (lambda x, s, i: x.scatter(1, i, s), [rn(3, 4), rn(3, 2), torch.tensor([[0, 1], [3, 2], [2, 0]])]),
        "scatter_value": (lambda x, i: x.scatter(1, i, 2.5), [rn(3, 4), torch.tensor([[0, 1], [3, 2], [2, 0]])]),
        "scatter_add": (lambda x, s, i: x.scatter_add(1, i, s), [rn(3, 4), rn(3, 2), torch.tensor([[0, 0], [3, 2], [2, 2]])]),
        "scatter_reduce_sum": (lambda x, s, i: x.scatter_reduce(1, i, s, "sum"), [rn(3, 4), rn(3, 2), torch.tensor([[0, 0], [3, 2], [2, 2]])]),
        "scatter_reduce_mean": (lambda x, s, i: x.scatter_reduce(1, i, s, "mean", include_self=False), [rn(3, 4), rn(3, 2), torch.tensor([[0, 0], [3, 2], [2, 2]])]),
        "scatter_reduce_amax": (lambda x, s, i: x.scatter_reduce(1, i, s, "amax"), [rn(3, 4), rn(3, 2), torch.tensor([[0, 0], [3, 2], [2, 2]])]),
        "scatter_reduce_prod": (lambda x, s, i: x.scatter_reduce(1, i, s, "prod"), [rn(3, 4), rn(3, 2), torch.tensor([[0, 0], [3, 2], [2, 2]])]),
        "index_add": (lambda x, s, i: x.index_add(0, i, s, alpha=2.0), [rn(3, 4), rn(2, 4), torch.tensor([2, 0])]),
        "index_add_repeated": (lambda x, s, i: x.index_add(1, i, s), [rn(3, 4), rn(3, 3), torch.tensor([1, 1, 3])]),
        "index_copy": (lambda x, s, i: x.index_copy(0, i, s), [rn(3, 4), rn(2, 4), torch.tensor([2, 0])]),
        "index_fill": (lambda x, i: x.index_fill(1, i, -1.0), [rn(3, 4), torch.tensor([0, 2])]),
        "masked_fill": (lambda x: x.masked_fill(x > 0.2, 0.5), [rn(3, 4)]),
        "masked_fill_broadcast": (lambda x, m: x.masked_fill(m, -1.0), [rn(3, 4), torch.tensor([True, False, True, False])]),
        "masked_select": (lambda x: x.masked_select(x > 0), [rn(3, 4)]),
        "masked_scatter": (lambda x, s: x.masked_scatter(x > 0, s), [rn(3, 4), rn(12)]),
        "put": (lambda x, s, i: x.put(i, s), [rn(3, 4), rn(3), torch.tensor([0, 5, -1])]),
        "put_accumulate": (lambda x, s, i: x.put(i, s, accumulate=True), [rn(3, 4), rn(3), torch.tensor([0, 5, 5])]),
        # Scans and reductions.
        "cumsum": (lambda x: x.cumsum(1), [rn(3, 4)]),
        "cumsum_dim0": (lambda x: x.cumsum(0), [rn(3, 4)]),
        "cumprod": (lambda x: x.cumprod(1), [rn(3, 4)]),
        "cumprod_zero": (lambda x: x.cumprod(1), [torch.tensor([[1.5, 0.0, 2.0, -1.0], [0.5, 2.0, 0.0, 0.0]])]),
        "cummax": (lambda x: x.cummax(1)[0], [rn(3, 4)]),
        "cummin": (lambda x: x.cummin(0)[0], [rn(3, 4)]),
        "prod": (lambda x: x.prod(), [rn(3, 4)]),
        "prod_dim": (lambda x: x.prod(1), [rn(3, 4)]),
        "prod_zero": (lambda x: x.prod(1, keepdim=True), [torch.tensor([[1.5, 0.0, 2.0], [0.0, 2.0, 0.0], [1.0, 2.0, 3.0]])]),
        "logsumexp": (lambda x: x.logsumexp(1), [rn(3, 4)]),
        "logsumexp_dims": (lambda x: x.logsumexp((0, 2), keepdim=True), [rn(2, 3, 4)]),
        "amax": (lambda x: x.amax(1), [rn(3, 4)]),
        "amin_dims": (lambda x: x.amin((0, 1)), [rn(2, 3, 4)]),
        "aminmax": (lambda x: torch.aminmax(x, dim=0).max, [rn(3, 4)]),
        "norm": (lambda x: x.norm(), [rn(3, 4)]),
        "norm_p1": (lambda x: x.norm(p=1, dim=1), [rn(3, 4)]),
        "norm_p3": (lambda x: torch.linalg.vector_norm(x, ord=3, dim=0), [rn(3, 4)]),
        "norm_inf": (lambda x: torch.linalg.vector_norm(x, ord=float("inf"), dim=1), [rn(3, 4)]),
        "matrix_norm": (torch.linalg.matrix_norm, [rn(2, 3, 4)]),
        "nansum": (lambda x: x.nansum(), [rn(3, 4)]),
        "nanmean": (lambda x: x.nanmean(), [rn(3, 4)]),
        "median": (lambda x: x.median(), [rn(3, 4)]),
        "median_dim": (lambda x: x.median(1).values, [rn(3, 4)]),
        "kthvalue": (lambda x: x.kthvalue(2, 1).values, [rn(3, 4)]),
        "mode": (lambda x: x.mode(1).values, [torch.tensor([[1.0, 2.0, 2.0, 3.0], [5.0, 4.0, 4.0, 5.0], [0.5, 0.25, 0.75, 1.5]])]),
        # Sorting.
        "sort": (lambda x: x.sort(1).values, [rn(3, 4)]),
        "sort_descending": (lambda x: x.sort(0, descending=True).values, [rn(3, 4)]),
        "topk": (lambda x: x.topk(2, 1).values, [rn(3, 5)]),
        "topk_smallest": (lambda x: x.topk(2, 0, largest=False).values, [rn(3, 5)]),
        # Padding and windows.
        "pad_constant": (lambda x: F.pad(x, (1, 2)), [rn(3, 4)]),
        "pad_constant_value": (lambda x: F.pad(x, (1, 0, 2, 1), value=0.5), [rn(3, 4)]),
        "pad_crop": (lambda x: F.pad(x, (-1, 2)), [rn(3, 4)]),
        "pad_reflect": (lambda x: F.pad(x, (2, 1), mode="reflect"), [rn(2, 4)]),
        "pad_reflect_2d": (lambda x: F.pad(x, (1, 1, 2, 1), mode="reflect"), [rn(1, 3, 4)]),
        "pad_replicate": (lambda x: F.pad(x, (2, 3), mode="replicate"), [rn(2, 4)]),
        "pad_replicate_2d": (lambda x: F.pad(x, (1, 2, 1, 0), mode="replicate"), [rn(1, 2, 3, 4)]),
        "pad_circular": (lambda x: F.pad(x, (1, 2), mode="circular"), [rn(2, 4)]),
        "unfold_dim": (lambda x: x.unfold(1, 2, 1), [rn(3, 4)]),
        "unfold_step": (lambda x: x.unfold(0, 2, 2), [rn(5, 2)]),
        "im2col": (lambda x: F.unfold(x, 2), [rn(1, 2, 3, 4)]),
        "im2col_padded": (lambda x: F.unfold(x, (2, 3), dilation=(1, 1), padding=(1, 1), stride=(2, 1)), [rn(2, 1, 3, 4)]),
        "col2im": (lambda x: F.fold(x, (3, 4), 2), [rn(1, 4, 6)]),
        # Products.
        "einsum_bmm": (lambda a, b: torch.einsum("bij,bjk->bik", a, b), [rn(2, 3, 4), rn(2, 4, 5)]),
        "einsum_implicit": (lambda a, b: torch.einsum("bij,bjk", a, b), [rn(2, 3, 4), rn(2, 4, 5)]),
        "einsum_trace": (lambda a: torch.einsum("ii", a), [rn(3, 3)]),
        "einsum_diagonal": (lambda a: torch.einsum("ii->i", a), [rn(3, 3)]),
        "einsum_transpose": (lambda a: torch.einsum("ij->ji", a), [rn(3, 4)]),
        "einsum_outer": (lambda a, b: torch.einsum("i,j->ij", a, b), [rn(3), rn(4)]),
        "einsum_mv": (lambda a, b: torch.einsum("ij,j->i", a, b), [rn(3, 4), rn(4)]),
        "einsum_sum": (lambda a: torch.einsum("bij->j", a), [rn(2, 3, 4)]),
        "einsum_ellipsis": (lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), [rn(2, 3, 4), rn(2, 4, 5)]),
        "einsum_hadamard": (lambda a, b: torch.einsum("ij,ij->ij", a, b), [rn(3, 4), rn(3, 4)]),
        "einsum_dot": (lambda a, b: torch.einsum("i,i->", a, b), [rn(4), rn(4)]),
        "einsum_attention": (lambda q, k: torch.einsum("bhqd,bhkd->bhqk", q, k), [rn(2, 2, 3, 4), rn(2, 2, 5, 4)]),
        "einsum_chain": (lambda a, b, c: torch.einsum("ij,jk,kl->il", a, b, c), [rn(2, 3), rn(3, 4), rn(4, 2)]),
        "baddbmm": (lambda x, a, b: torch.baddbmm(x, a, b, beta=0.5, alpha=2.0), [rn(2, 3, 5), rn(2, 3, 4), rn(2, 4, 5)]),
        "addbmm": (lambda x, a, b: torch.addbmm(x, a, b), [rn(3, 5), rn(2, 3, 4), rn(2, 4, 5)]),
        "addmv": (lambda x, m, v: torch.addmv(x, m, v, beta=2.0), [rn(3), rn(3, 4), rn(4)]),
        "addr": (lambda x, a, b: torch.addr(x, a, b, alpha=0.5), [rn(3, 4), rn(3), rn(4)]),
        "tensordot": (lambda a, b: torch.tensordot(a, b, dims=([1, 2], [0, 1])), [rn(2, 3, 4), rn(3, 4, 5)]),
        "tensordot_int": (lambda a, b: torch.tensordot(a, b, dims=1), [rn(2, 3), rn(3, 4)]),
        "cross": (lambda a, b: torch.linalg.cross(a, b), [rn(4, 3), rn(4, 3)]),
        "clamp_tensor": (lambda x, lo, hi: x.clamp(min=lo, max=hi), [rn(3, 4), rn(4) - 0.5, rn(3, 1) + 0.5]),
        "clamp_tensor_min": (lambda x, lo: x.clamp(min=lo), [rn(3, 4), rn(4)]),
        # Linear algebra (well-conditioned inputs: a random matrix plus 3 I).
        "inverse": (torch.linalg.inv, [rn(3, 3) + 3 * torch.eye(3)]),
        "inverse_batched": (torch.linalg.inv, [rn(2, 3, 3) + 3 * torch.eye(3)]),
        "det": (torch.linalg.det, [rn(3, 3) + 3 * torch.eye(3)]),
        "slogdet": (lambda x: torch.linalg.slogdet(x).logabsdet, [rn(2, 3, 3) - 3 * torch.eye(3)]),
        "matrix_power": (lambda x: torch.linalg.matrix_power(x, 3), [rn(3, 3)]),
        "matrix_power_negative": (lambda x: torch.linalg.matrix_power(x, -2), [rn(3, 3) + 3 * torch.eye(3)]),
        "matrix_exp": (torch.linalg.matrix_exp, [rn(3, 3)]),
        "qr_q": (lambda x: torch.linalg.qr(x).Q, [rn(4, 3)]),
        "qr_r": (lambda x: torch.linalg.qr(x).R, [rn(4, 3)]),
        "qr_square": (lambda x: torch.linalg.qr(x).Q @ torch.linalg.qr(x).R.exp(), [rn(3, 3)]),
        "eigh_values": (lambda x: torch.linalg.eigh(x + x.mT).eigenvalues, [rn(4, 4)]),
        "eigh_projector": (lambda x: (lambda r: r.eigenvectors @ torch.diag_embed(r.eigenvalues ** 2) @ r.eigenvectors.mT)(torch.linalg.eigh(x + x.mT)), [rn(3, 3)]),
        "svd_values": (lambda x: torch.linalg.svd(x, full_matrices=False).S, [rn(4, 3)]),
        "svd_values_wide": (lambda x: torch.linalg.svd(x, full_matrices=False).S, [rn(2, 4)]),
        "svd_reconstruct": (lambda x: (lambda r: r.U @ torch.diag_embed(r.S.exp()) @ r.Vh)(torch.linalg.svd(x, full_matrices=False)), [rn(4, 3)]),
        "pinverse": (torch.linalg.pinv, [rn(4, 3)]),
        # Elementwise ops again on expanded (stride-0) inputs and in float64.
        "sin_expanded": (lambda x: torch.sin(x.expand(3, 4)), [rn(1, 4)]),
        "sin_float64": (torch.sin, [rn(3, 4).double()]),
        "cos_expanded": (lambda x: torch.cos(x.expand(3, 4)), [rn(1, 4)]),
        "cos_float64": (torch.cos, [rn(3, 4).double()]),
        "tan_expanded": (lambda x: torch.tan(x.expand(3, 4)), [unit(1, 4)]),
        "tan_float64": (torch.tan, [unit(3, 4).double()]),
        "asin_expanded": (lambda x: torch.asin(x.expand(3, 4)), [unit(1, 4)]),
        "asin_float64": (torch.asin, [unit(3, 4).double()]),
        "acos_expanded": (lambda x: torch.acos(x.expand(3, 4)), [unit(1, 4)]),
        "acos_float64": (torch.acos, [unit(3, 4).double()]),
        "atan_expanded": (lambda x: torch.atan(x.expand(3, 4)), [rn(1, 4)]),
        "atan_float64": (torch.atan, [rn(3, 4).double()]),
        "sinh_expanded": (lambda x: torch.sinh(x.expand(3, 4)), [rn(1, 4)]),
        "sinh_float64": (torch.sinh, [rn(3, 4).double()]),
        "cosh_expanded": (lambda x: torch.cosh(x.expand(3, 4)), [rn(1, 4)]),
        "cosh_float64": (torch.cosh, [rn(3, 4).double()]),
        "asinh_expanded": (lambda x: torch.asinh(x.expand(3, 4)), [rn(1, 4)]),
        "asinh_float64": (torch.asinh, [rn(3, 4).double()]),
        "acosh_expanded": (lambda x: torch.acosh(x.expand(3, 4)), [(pos(1, 4) + 1)]),
        "acosh_float64": (torch.acosh, [(pos(3, 4) + 1).double()]),
        "atanh_expanded": (lambda x: torch.atanh(x.expand(3, 4)), [unit(1, 4)]),
        "atanh_float64": (torch.atanh, [unit(3, 4).double()]),
        "exp2_expanded": (lambda x: torch.exp2(x.expand(3, 4)), [rn(1, 4)]),
        "exp2_float64": (torch.exp2, [rn(3, 4).double()]),
        "expm1_expanded": (lambda x: torch.expm1(x.expand(3, 4)), [rn(1, 4)]),
        "expm1_float64": (torch.expm1, [rn(3, 4).double()]),
        "log2_expanded": (lambda x: torch.log2(x.expand(3, 4)), [pos(1, 4)]),
        "log2_float64": (torch.log2, [pos(3, 4).double()]),
        "log10_expanded": (lambda x: torch.log10(x.expand(3, 4)), [pos(1, 4)]),
        "log10_float64": (torch.log10, [pos(3, 4).double()]),
        "log1p_expanded": (lambda x: torch.log1p(x.expand(3, 4)), [pos(1, 4)]),
        "log1p_float64": (torch.log1p, [pos(3, 4).double()]),
        "erf_expanded": (lambda x: torch.erf(x.expand(3, 4)), [rn(1, 4)]),
        "erf_float64": (torch.erf, [rn(3, 4).double()]),
        "erfc_expanded": (lambda x: torch.erfc(x.expand(3, 4)), [rn(1, 4)]),
        "erfc_float64": (torch.erfc, [rn(3, 4).double()]),
        "erfinv_expanded": (lambda x: torch.erfinv(x.expand(3, 4)), [unit(1, 4)]),
        "erfinv_float64": (torch.erfinv, [unit(3, 4).double()]),
        "lgamma_expanded": (lambda x: torch.lgamma(x.expand(3, 4)), [pos(1, 4)]),
        "lgamma_float64": (torch.lgamma, [pos(3, 4).double()]),
        "rsqrt_expanded": (lambda x: torch.rsqrt(x.expand(3, 4)), [pos(1, 4)]),
        "rsqrt_float64": (torch.rsqrt, [pos(3, 4).double()]),
        "softplus_expanded": (lambda x: F.softplus(x.expand(3, 4)), [rn(1, 4)]),
        "softplus_float64": (F.softplus, [rn(3, 4).double()]),
        "silu_expanded": (lambda x: F.silu(x.expand(3, 4)), [rn(1, 4)]),
        "silu_float64": (F.silu, [rn(3, 4).double()]),
        "mish_expanded": (lambda x: F.mish(x.expand(3, 4)), [rn(1, 4)]),
        "mish_float64": (F.mish, [rn(3, 4).double()]),
        "elu_expanded": (lambda x: F.elu(x.expand(3, 4)), [rn(1, 4)]),
        "elu_float64": (F.elu, [rn(3, 4).double()]),
        "selu_expanded": (lambda x: F.selu(x.expand(3, 4)), [rn(1, 4)]),
        "selu_float64": (F.selu, [rn(3, 4).double()]),
        "celu_expanded": (lambda x: F.celu(x.expand(3, 4)), [rn(1, 4)]),
        "celu_float64": (F.celu, [rn(3, 4).double()]),
        "hardswish_expanded": (lambda x: F.hardswish(x.expand(3, 4)), [(rn(1, 4) * 3)]),
        "hardswish_float64": (F.hardswish, [(rn(3, 4) * 3).double()]),
        "hardsigmoid_expanded": (lambda x: F.hardsigmoid(x.expand(3, 4)), [(rn(1, 4) * 3)]),
        "hardsigmoid_float64": (F.hardsigmoid, [(rn(3, 4) * 3).double()]),
        "logsigmoid_expanded": (lambda x: F.logsigmoid(x.expand(3, 4)), [rn(1, 4)]),
        "logsigmoid_float64": (F.logsigmoid, [rn(3, 4).double()]),
        "softsign_expanded": (lambda x: F.softsign(x.expand(3, 4)), [rn(1, 4)]),
        "softsign_float64": (F.softsign, [rn(3, 4).double()]),
        "leaky_relu_expanded": (lambda x: F.leaky_relu(x.expand(3, 4)), [rn(1, 4)]),
        "leaky_relu_float64": (F.leaky_relu, [rn(3, 4).double()]),
        "relu6_expanded": (lambda x: F.relu6(x.expand(3, 4)), [(rn(1, 4) * 3)]),
        "relu6_float64": (F.relu6, [(rn(3, 4) * 3).double()]),
        "logit_expanded": (lambda x: torch.logit(x.expand(3, 4)), [prob(1, 4)]),
        "logit_float64": (torch.logit, [prob(3, 4).double()]),
        "sigmoid_expanded": (lambda x: torch.sigmoid(x.expand(3, 4)), [rn(1, 4)]),
        "sigmoid_float64": (torch.sigmoid, [rn(3, 4).double()]),
        "tanh_expanded": (lambda x: torch.tanh(x.expand(3, 4)), [rn(1, 4)]),
        "tanh_float64": (torch.tanh, [rn(3, 4).double()]),
        "exp_expanded": (lambda x: torch.exp(x.expand(3, 4)), [rn(1, 4)]),
        "exp_float64": (torch.exp, [rn(3, 4).double()]),
        "log_expanded": (lambda x: torch.log(x.expand(3, 4)), [pos(1, 4)]),
        "log_float64": (torch.log, [pos(3, 4).double()]),
        "sqrt_expanded": (lambda x: torch.sqrt(x.expand(3, 4)), [pos(1, 4)]),
        "sqrt_float64": (torch.sqrt, [pos(3, 4).double()]),
        "gelu_expanded": (lambda x: F.gelu(x.expand(3, 4)), [rn(1, 4)]),
        "gelu_float64": (F.gelu, [rn(3, 4).double()]),
    }



def vision_ops():
    """The ops of the vision issue (convolution, pooling, normalisation, resampling), with inputs
    from a generator of their own."""
    g = torch.Generator().manual_seed(17)
    F = torch.nn.functional

    def rn(*shape):
        return torch.randn(shape, generator=g)

    def distinct(*shape):   # no ties, so max pooling's gradient is well defined
        n = math.prod(shape)
        return (torch.randperm(n, generator=g).float() / n - 0.5).reshape(shape) + rn(*shape) * 1e-3

    return {
        "conv1d": (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [rn(2, 3, 7), rn(4, 3, 3), rn(4)]),
        "conv1d_same": (lambda x, w: F.conv1d(x, w, padding="same"), [rn(1, 2, 9), rn(3, 2, 4)]),
        "conv1d_valid_dilated": (lambda x, w: F.conv1d(x, w, padding="valid", dilation=2), [rn(2, 2, 9), rn(3, 2, 3)]),
        "conv2d": (lambda x, w, b: F.conv2d(x, w, b, padding=1), [rn(2, 3, 6, 5), rn(4, 3, 3, 3), rn(4)]),
        "conv2d_stride_dilation": (lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 0), dilation=(1, 2)), [rn(1, 2, 7, 8), rn(3, 2, 3, 2)]),
        "conv2d_groups": (lambda x, w: F.conv2d(x, w, groups=2), [rn(2, 4, 5, 5), rn(6, 2, 3, 3)]),
        "conv2d_depthwise": (lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=3), [rn(2, 3, 5, 5), rn(3, 1, 3, 3), rn(3)]),
        "conv2d_pointwise": (lambda x, w: F.conv2d(x, w), [rn(2, 4, 3, 3), rn(5, 4, 1, 1)]),
        "conv2d_same": (lambda x, w: F.conv2d(x, w, padding="same"), [rn(1, 2, 5, 6), rn(3, 2, 2, 3)]),
        "conv2d_unbatched": (lambda x, w: F.conv2d(x, w), [rn(3, 5, 5), rn(2, 3, 3, 3)]),
        "conv3d": (lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1), [rn(1, 2, 4, 5, 4), rn(3, 2, 2, 3, 2), rn(3)]),
        "conv_transpose1d": (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, output_padding=1), [rn(2, 3, 4), rn(3, 2, 3), rn(2)]),
        "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1), [rn(2, 4, 3, 3), rn(4, 3, 4, 4), rn(3)]),
        "conv_transpose2d_groups_dilation": (lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1, groups=2, dilation=2),
                                             [rn(1, 4, 3, 4), rn(4, 1, 3, 3)]),
        "max_pool1d": (lambda x: F.max_pool1d(x, 3, stride=2, padding=1), [distinct(2, 3, 8)]),
        "max_pool2d": (lambda x: F.max_pool2d(x, 2), [distinct(2, 3, 6, 6)]),
        "max_pool2d_ceil_dilation": (lambda x: F.max_pool2d(x, 3, stride=2, padding=1, dilation=2, ceil_mode=True), [distinct(1, 2, 7, 8)]),
        "max_pool2d_unbatched": (lambda x: F.max_pool2d(x, (2, 3), stride=(1, 2)), [distinct(2, 5, 7)]),
        "max_pool3d": (lambda x: F.max_pool3d(x, 2, stride=(1, 2, 2), padding=(1, 0, 1)), [distinct(1, 2, 4, 4, 5)]),
        "avg_pool1d": (lambda x: F.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False), [rn(2, 3, 8)]),
        "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), [rn(2, 3, 6, 6)]),
        "avg_pool2d_padded_ceil": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), [rn(1, 2, 6, 7)]),
        "avg_pool2d_exclude_pad": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [rn(1, 2, 6, 7)]),
        "avg_pool2d_divisor": (lambda x: F.avg_pool2d(x, (2, 3), padding=(1, 1), divisor_override=4), [rn(2, 1, 5, 6)]),
        "adaptive_avg_pool1d": (lambda x: F.adaptive_avg_pool1d(x, 3), [rn(2, 3, 8)]),
        "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [rn(2, 3, 7, 5)]),
        "adaptive_avg_pool2d_global": (lambda x: F.adaptive_avg_pool2d(x, 1), [rn(2, 3, 4, 5)]),
        "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (3, 2)), [distinct(2, 2, 7, 5)]),
        "max_unpool2d": (lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), [distinct(1, 2, 4, 6)]),
        "batch_norm_train": (lambda x, w, b: F.batch_norm(x, torch.zeros(3), torch.ones(3), w, b, training=True), [rn(4, 3, 3, 2), rn(3), rn(3)]),
        "batch_norm_train_1d": (lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3), [rn(6, 4)]),
        "batch_norm_eval": (lambda x, w, b: F.batch_norm(x, torch.tensor([0.1, -0.2, 0.3]), torch.tensor([0.5, 1.5, 0.8]), w, b),
                            [rn(2, 3, 4), rn(3), rn(3)]),
        "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), [rn(2, 4, 3, 3), rn(4), rn(4)]),
        "group_norm_plain": (lambda x: F.group_norm(x, 3, eps=1e-3), [rn(3, 6, 5)]),
        "instance_norm": (lambda x: F.instance_norm(x), [rn(2, 3, 4, 4)]),
        "instance_norm_affine": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [rn(2, 3, 5), rn(3), rn(3)]),
        "local_response_norm": (lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.5), [rn(2, 5, 3, 3)]),
        "local_response_norm_3d": (lambda x: F.local_response_norm(x, 2), [rn(2, 4, 5)]),
        "interpolate_nearest": (lambda x: F.interpolate(x, scale_factor=2), [rn(1, 2, 3, 4)]),
        "interpolate_nearest_size": (lambda x: F.interpolate(x, size=(5, 3)), [rn(1, 2, 3, 4)]),
        "interpolate_nearest_1d": (lambda x: F.interpolate(x, scale_factor=1.7), [rn(2, 2, 5)]),
        "interpolate_nearest_3d": (lambda x: F.interpolate(x, size=(3, 4, 2)), [rn(1, 1, 2, 3, 3)]),
        "interpolate_linear": (lambda x: F.interpolate(x, size=7, mode="linear"), [rn(2, 2, 4)]),
        "interpolate_linear_align": (lambda x: F.interpolate(x, scale_factor=2.5, mode="linear", align_corners=True), [rn(1, 2, 4)]),
        "interpolate_bilinear": (lambda x: F.interpolate(x, size=(5, 7), mode="bilinear"), [rn(1, 2, 3, 4)]),
        "interpolate_bilinear_down": (lambda x: F.interpolate(x, scale_factor=0.6, mode="bilinear"), [rn(1, 2, 6, 5)]),
        "interpolate_bilinear_align": (lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True), [rn(1, 2, 3, 4)]),
        "interpolate_bicubic": (lambda x: F.interpolate(x, size=(6, 5), mode="bicubic"), [rn(1, 2, 3, 4)]),
        "interpolate_bicubic_align": (lambda x: F.interpolate(x, scale_factor=1.5, mode="bicubic", align_corners=True), [rn(1, 1, 4, 4)]),
        "interpolate_trilinear": (lambda x: F.interpolate(x, size=(3, 4, 3), mode="trilinear"), [rn(1, 1, 2, 3, 2)]),
        "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), [rn(2, 8, 2, 3)]),
        "pixel_unshuffle": (lambda x: F.pixel_unshuffle(x, 2), [rn(1, 2, 4, 6)]),
        "affine_grid": (lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners=False), [rn(2, 2, 3)]),
        "affine_grid_align": (lambda t: F.affine_grid(t, (1, 1, 3, 3), align_corners=True), [rn(1, 2, 3)]),
        "affine_grid_3d": (lambda t: F.affine_grid(t, (1, 1, 2, 3, 2), align_corners=False), [rn(1, 3, 4)]),
        "grid_sample": (lambda x, grid: F.grid_sample(x, grid, align_corners=False), [rn(2, 2, 4, 5), torch.rand(2, 3, 3, 2, generator=g) * 2.4 - 1.2]),
        "grid_sample_border_align": (lambda x, grid: F.grid_sample(x, grid, padding_mode="border", align_corners=True),
                                     [rn(1, 2, 4, 4), torch.rand(1, 3, 2, 2, generator=g) * 2.4 - 1.2]),
        "grid_sample_reflection": (lambda x, grid: F.grid_sample(x, grid, padding_mode="reflection", align_corners=False),
                                   [rn(1, 1, 4, 5), torch.rand(1, 3, 3, 2, generator=g) * 3 - 1.5]),
        "grid_sample_nearest": (lambda x, grid: F.grid_sample(x, grid, mode="nearest", align_corners=False),
                                [rn(1, 2, 4, 5), torch.rand(1, 3, 3, 2, generator=g) * 2 - 1]),
        "prelu": (lambda x, w: F.prelu(x, w), [rn(2, 3, 4), rn(3) * 0.3]),
        "prelu_shared": (lambda x, w: F.prelu(x, w), [rn(2, 3, 2, 2), torch.tensor([0.25])]),
        "grid_sample_bicubic": (lambda x, grid: F.grid_sample(x, grid, mode="bicubic", align_corners=False),
                                [rn(1, 2, 5, 5), torch.rand(1, 3, 3, 2, generator=g) * 2.4 - 1.2]),
        "grid_sample_bicubic_reflection": (lambda x, grid: F.grid_sample(x, grid, mode="bicubic", padding_mode="reflection", align_corners=True),
                                           [rn(1, 1, 4, 5), torch.rand(1, 2, 3, 2, generator=g) * 3 - 1.5]),
        "interpolate_bilinear_antialias": (lambda x: F.interpolate(x, size=(3, 2), mode="bilinear", antialias=True), [rn(1, 2, 7, 5)]),
        "interpolate_bicubic_antialias": (lambda x: F.interpolate(x, scale_factor=0.4, mode="bicubic", antialias=True), [rn(1, 1, 8, 9)]),
        "interpolate_bilinear_antialias_up": (lambda x: F.interpolate(x, size=(5, 6), mode="bilinear", antialias=True), [rn(1, 1, 3, 4)]),
        "grid_sample_bicubic_border": (lambda x, grid: F.grid_sample(x, grid, mode="bicubic", padding_mode="border", align_corners=False),
                                       [rn(1, 1, 4, 4), torch.rand(1, 2, 2, 2, generator=g) * 3 - 1.5]),
    }


def sequence_ops():
    """The ops of the sequences issue (embeddings, layer and RMS norm, attention, cross-entropy
    over sequences), with inputs from a generator of their own."""
    g = torch.Generator().manual_seed(19)
    F = torch.nn.functional

    def rn(*shape):
        return torch.randn(shape, generator=g)

    ids = torch.tensor([[1, 2, 4], [4, 3, 9]])
    bag_ids = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
    offsets = torch.tensor([0, 3, 3, 5])
    masked_row = torch.ones(4, 6, dtype=torch.bool)
    masked_row[2] = False
    masked_row[0, 3:] = False
    ce_target = torch.tensor([[1, 0, -100], [3, 2, 1]])
    return {
        "embedding": (lambda i, w: F.embedding(i, w), [ids, rn(10, 4)]),
        "embedding_padding": (lambda i, w: F.embedding(i, w, padding_idx=4), [ids, rn(10, 4)]),
        "embedding_scale_grad": (lambda i, w: F.embedding(i, w, scale_grad_by_freq=True), [ids, rn(10, 4)]),
        "embedding_bag_sum": (lambda i, w: F.embedding_bag(i, w, offsets, mode="sum"), [bag_ids, rn(10, 3)]),
        "embedding_bag_mean": (lambda i, w: F.embedding_bag(i, w, offsets, mode="mean"), [bag_ids, rn(10, 3)]),
        "embedding_bag_max": (lambda i, w: F.embedding_bag(i, w, offsets, mode="max"), [bag_ids, rn(10, 3)]),
        "embedding_bag_2d_padding": (lambda i, w: F.embedding_bag(i, w, mode="mean", padding_idx=4), [ids, rn(10, 3)]),
        "embedding_bag_weighted": (lambda i, w, p: F.embedding_bag(i, w, offsets, mode="sum", per_sample_weights=p),
                                   [bag_ids, rn(10, 3), rn(8)]),
        "embedding_bag_last_offset": (lambda i, w: F.embedding_bag(i, w, torch.tensor([0, 3, 3, 5, 8]), mode="sum", include_last_offset=True), [bag_ids, rn(10, 3)]),
        "layer_norm": (lambda x, w, b: F.layer_norm(x, (5,), w, b), [rn(2, 3, 5), rn(5), rn(5)]),
        "layer_norm_plain": (lambda x: F.layer_norm(x, (3, 4), eps=1e-3), [rn(2, 3, 4)]),
        "layer_norm_weight_only": (lambda x, w: F.layer_norm(x, (6,), w), [rn(4, 6) * 3 + 1, rn(6)]),
        "rms_norm": (lambda x, w: F.rms_norm(x, (5,), w), [rn(2, 3, 5), rn(5)]),
        "rms_norm_plain": (lambda x: F.rms_norm(x, (3, 4), eps=1e-3), [rn(2, 3, 4)]),
        "sdpa": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v), [rn(2, 2, 5, 4), rn(2, 2, 6, 4), rn(2, 2, 6, 3)]),
        "sdpa_causal": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [rn(1, 2, 6, 4), rn(1, 2, 6, 4), rn(1, 2, 6, 4)]),
        "sdpa_causal_rect": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [rn(1, 1, 4, 3), rn(1, 1, 7, 3), rn(1, 1, 7, 2)]),
        "sdpa_bool_mask": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=masked_row), [rn(2, 2, 4, 3), rn(2, 2, 6, 3), rn(2, 2, 6, 3)]),
        "sdpa_float_mask_scale": (lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3),
                                  [rn(2, 2, 4, 3), rn(2, 2, 5, 3), rn(2, 2, 5, 3), rn(2, 1, 4, 5)], [True, True, True, False]),
        "sdpa_gqa": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), [rn(1, 4, 5, 4), rn(1, 2, 6, 4), rn(1, 2, 6, 4)]),
        "sdpa_math_gqa": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), [rn(1, 4, 5, 4), rn(1, 2, 6, 4), rn(1, 2, 6, 3)]),
        "sdpa_transposed": (lambda x: F.scaled_dot_product_attention(*(t.view(2, 5, 2, 3).transpose(1, 2) for t in x.split(6, dim=2)), is_causal=True),
                            [rn(2, 5, 18)]),
        "sdpa_long_blocks": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [rn(1, 1, 70, 2), rn(1, 1, 140, 2), rn(1, 1, 140, 2)]),
        "cross_entropy_nd_ignore": (lambda x, t: F.cross_entropy(x, t), [rn(2, 4, 3), ce_target]),
        "cross_entropy_smoothing": (lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [rn(2, 4, 3), ce_target]),
        "cross_entropy_smoothing_sum": (lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2, reduction="sum"), [rn(5, 4), torch.tensor([1, 0, 3, -100, 2])]),
        "cross_entropy_smoothing_none": (lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2, reduction="none"), [rn(2, 4, 3), ce_target]),
        "cross_entropy_weight_smoothing": (lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.2),
                                           [rn(2, 4, 3), ce_target, torch.rand(4, generator=g) + 0.5], [True, False, False]),
        "cross_entropy_ignore_class": (lambda x, t: F.cross_entropy(x, t, ignore_index=2), [rn(5, 4), torch.tensor([1, 2, 3, 2, 0])]),
        "cross_entropy_4d": (lambda x, t: F.cross_entropy(x, t), [rn(2, 3, 2, 2), torch.tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])]),
        "cross_entropy_unbatched": (lambda x, t: F.cross_entropy(x, t), [rn(5), torch.tensor(3)]),
        "cross_entropy_probs_smoothing": (lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [rn(3, 4), rn(3, 4).softmax(1)], [True, False]),
        "nll_loss_weight_none": (lambda x, t, w: F.nll_loss(x, t, weight=w, reduction="none"), [rn(2, 4, 3), ce_target, torch.rand(4, generator=g) + 0.5], [True, False, False]),
    }

def values():
    """Ops with discrete or random results, compared exactly: indices, unique, searches,
    logic, creation, and random draws from a seeded global generator."""
    g = torch.Generator().manual_seed(21)

    def rn(*shape):
        return torch.randn(shape, generator=g)

    ties = torch.tensor([[3.0, 1.0, 3.0, float("nan"), 1.0, 2.0], [0.5, 0.5, -1.0, 2.0, 2.0, -1.0]])
    ints = torch.tensor([[5, -3, 0, 7], [-8, 2, 2, 0]])
    table = {
        "argsort_ties": (lambda x: [x.argsort(1)], [ties]),
        "argsort_descending": (lambda x: [x.argsort(1, descending=True)], [ties]),
        "sort_nan": (lambda x: list(x.sort(1)), [ties]),
        "sort_descending_nan": (lambda x: list(x.sort(1, descending=True)), [ties]),
        "topk_indices": (lambda x: list(x.topk(3, 1)), [rn(4, 6)]),
        "max_ties": (lambda x: list(x.max(1)), [ties.nan_to_num(9.0)]),
        "cummax_ties": (lambda x: list(x.cummax(1)), [ties]),
        "cummin_ties": (lambda x: list(x.cummin(1)), [ties]),
        "median_indices": (lambda x: list(x.median(1)), [ties.nan_to_num(9.0)]),
        "kthvalue_indices": (lambda x: list(x.kthvalue(3, 1)), [ties.nan_to_num(9.0)]),
        "mode_indices": (lambda x: list(x.mode(1)), [torch.tensor([[1.0, 2.0, 2.0, 3.0, 1.0], [5.0, 4.0, 4.0, 5.0, 0.0]])]),
        "unique": (lambda x: list(torch.unique(x, return_inverse=True, return_counts=True)), [torch.tensor([[3, 1, 3], [2, 1, 7]])]),
        "one_hot": (lambda x: [torch.nn.functional.one_hot(x), torch.nn.functional.one_hot(x, 7)], [torch.tensor([[1, 0], [3, 5]])]),
        "unique_float": (lambda x: [torch.unique(x)], [torch.tensor([2.5, -1.0, 2.5, 0.0, -1.0])]),
        "searchsorted": (lambda s, v: [torch.searchsorted(s, v), torch.searchsorted(s, v, right=True)],
                         [torch.tensor([1.0, 3.0, 3.0, 5.0, 7.0]), torch.tensor([[3.0, 6.0, 9.0], [0.0, 1.0, 7.0]])]),
        "searchsorted_rows": (lambda s, v: [torch.searchsorted(s, v)], [torch.tensor([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]), torch.tensor([[3.0, 6.0], [1.0, 4.0]])]),
        "bucketize": (lambda x, b: [torch.bucketize(x, b), torch.bucketize(x, b, right=True)], [torch.tensor([[0.5, 1.0, 4.0], [9.0, 2.0, 1.0]]), torch.tensor([1.0, 2.0, 4.0])]),
        "count_nonzero": (lambda x: [torch.count_nonzero(x), torch.count_nonzero(x, dim=1)], [ints]),
        "argwhere": (lambda x: [torch.argwhere(x)], [ints]),
        "isclose": (lambda a, b: [torch.isclose(a, b), torch.isclose(a, b, equal_nan=True), torch.isclose(a, b, rtol=0.1, atol=0.0)],
                    [torch.tensor([1.0, float("nan"), float("inf"), 1.0, 1e-9]), torch.tensor([1.0 + 1e-6, float("nan"), float("inf"), 1.2, 0.0])]),
        "logical": (lambda a, b: [a.logical_and(b), a.logical_or(b), a.logical_xor(b), a.logical_not()], [ints, torch.tensor([[0, 1, 0, 0], [1, 0, 2, 2]])]),
        "bitwise": (lambda a, b: [a.bitwise_and(b), a.bitwise_or(b), a.bitwise_xor(b), a.bitwise_not(), a.bitwise_left_shift(torch.tensor(2)), a.bitwise_right_shift(torch.tensor(1))],
                    [ints, torch.tensor([[3, 1, 7, 2], [1, 6, 2, 9]])]),
        "bitwise_bool": (lambda a, b: [a.bitwise_and(b), a.bitwise_or(b), a.bitwise_xor(b), a.bitwise_not()],
                         [torch.tensor([True, False, True]), torch.tensor([True, True, False])]),
        "fmod_int": (lambda a, b: [torch.fmod(a, b), torch.remainder(a, b)], [ints, torch.tensor([3, 3, 5, -2])]),
        "floor_int": (lambda a: [a.floor(), a.round()], [ints]),
        "triu_indices": (lambda: [torch.triu_indices(3, 4), torch.triu_indices(4, 3, 1), torch.tril_indices(3, 3), torch.tril_indices(3, 4, -1)], []),
        "meshgrid": (lambda a, b: list(torch.meshgrid(a, b, indexing="ij")) + list(torch.meshgrid(a, b, indexing="xy")), [torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0])]),
        "logspace": (lambda: [torch.logspace(-2, 2, 5), torch.logspace(0, 3, 4, base=2.0, dtype=torch.float64)], []),
        "linspace": (lambda: [torch.linspace(-math.pi, math.pi, 2000), torch.linspace(0, 1, 7, dtype=torch.float64), torch.linspace(-5, 3, 33),
                              torch.linspace(2, 10, 5, dtype=torch.int64), torch.linspace(1, 1, 1)], []),
        "repeat_interleave_int": (lambda x: [x.repeat_interleave(2, dim=1)], [ints]),
        "flip_int": (lambda x: [x.flip(1), x.roll(1, 0), x.tril(), x.cumsum(1), x.cumprod(0)], [ints]),
        "gather_int": (lambda x, i: [x.gather(1, i), x.scatter_add(1, i, x[:, :2])], [ints, torch.tensor([[0, 0], [3, 1]])]),
        "pad_int": (lambda x: [torch.nn.functional.pad(x, (1, 1), value=9)], [ints]),
        "cumsum_bool": (lambda x: [x.cumsum(1)], [torch.tensor([[True, False, True], [True, True, False]])]),
    }
    random_table = {
        "bernoulli": (lambda p: [torch.bernoulli(p)], [torch.rand(3, 5, generator=g)]),
        "bernoulli_double": (lambda p: [torch.bernoulli(p)], [torch.rand(2, 7, generator=g).double()]),
        "multinomial_replacement": (lambda p: [torch.multinomial(p, 6, replacement=True)], [torch.rand(3, 5, generator=g) + 0.1]),
        "multinomial_replacement_double": (lambda p: [torch.multinomial(p, 4, replacement=True)], [torch.rand(5, generator=g).double()]),
        "multinomial": (lambda p: [torch.multinomial(p, 3)], [torch.rand(3, 5, generator=g)]),
        "multinomial_one": (lambda p: [torch.multinomial(p, 1)], [torch.rand(4, 6, generator=g)]),
        "poisson_small": (lambda r: [torch.poisson(r)], [torch.rand(3, 4, generator=g) * 5]),
        "poisson_large": (lambda r: [torch.poisson(r)], [torch.rand(3, 4, generator=g) * 40 + 10]),
        "exponential": (lambda: [torch.empty(3, 4).exponential_(), torch.empty(5, dtype=torch.float64).exponential_(2.5)], []),
        "normal": (lambda: [torch.normal(2.0, 3.0, size=(2, 5)), torch.normal(torch.zeros(3), torch.ones(3) * 2)], []),
        "randperm_then_rand": (lambda: [torch.randperm(7), torch.rand(2)], []),
    }
    cases = []
    for name, (fn, inputs) in table.items():
        outs = fn(*inputs)
        cases.append({"name": name, "seed": None, "inputs": [tensor_json(t) for t in inputs], "outputs": [tensor_json(t) for t in outs]})
    for name, (fn, inputs) in random_table.items():
        torch.manual_seed(123)
        outs = fn(*inputs)
        cases.append({"name": name, "seed": 123, "inputs": [tensor_json(t) for t in inputs], "outputs": [tensor_json(t) for t in outs]})
    write("values.json", {"cases": cases})


def run_table(table, g):
    cases = []
    for name, (fn, inputs, *flags) in table.items():
        # An optional third entry says which inputs are differentiable (a mask or class
        # weights are not); otherwise every floating-point input is.
        needs = flags[0] if flags else [t.is_floating_point() for t in inputs]
        leaves = [t.clone().requires_grad_(n) for t, n in zip(inputs, needs)]
        out = fn(*leaves)
        upstream = torch.randn(out.shape, generator=g, dtype=out.dtype)
        out.backward(upstream)
        cases.append({
            "name": name,
            "inputs": [tensor_json(t) for t in inputs],
            "requires_grad": needs,
            "output": tensor_json(out),
            "grad_fn": type(out.grad_fn).__name__ if out.grad_fn is not None else None,
            "upstream": tensor_json(upstream),
            "grads": [tensor_json(t.grad) if t.grad is not None else None for t in leaves],
            "layouts": {name: strides_with_layout(fn, inputs, needs, upstream, name)
                        for name in ("contiguous", "transposed", "sliced")},
        })
    return cases


def relaid(t, layout):
    """`OpLayoutTests.relaid`: the same values transposed in memory, or every other element of
    a wider tensor."""
    if not t.is_floating_point() or layout == "contiguous":
        return t
    if layout == "transposed":
        return t.clone() if t.dim() < 2 else t.transpose(-1, -2).contiguous().transpose(-1, -2)
    if t.dim() < 1:
        return t.clone()
    wide = list(t.shape)
    wide[-1] *= 2
    big = torch.zeros(wide, dtype=t.dtype)
    view = big[..., ::2]
    view.copy_(t)
    return view


def strides_with_layout(fn, inputs, needs, upstream, layout):
    """PyTorch's strides for the result and the gradients when the floating inputs are laid out
    as `relaid` lays them: reductions add in memory order, so a layout is part of the numbers."""
    leaves = [relaid(t.detach(), layout).requires_grad_(n) for t, n in zip(inputs, needs)]
    state = torch.get_rng_state()   # random ops must not move the stream the next cases draw from
    try:
        out = fn(*leaves)
        out.backward(upstream)
    except RuntimeError:
        return None
    finally:
        torch.set_rng_state(state)
    return {"output": list(out.stride()),
            "grads": [list(t.grad.stride()) if t.grad is not None else None for t in leaves]}


# ---------------------------------------------------------------------------------------------
# Error messages (§3 and autograd misuse)

def errors():
    F = torch.nn.functional

    def message(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - any PyTorch error is what we record
            return str(e)
        raise AssertionError("expected an error")

    def setitem_partial_overlap():
        # The same element as [1, 1] and as [1]: copy_ sees a partial overlap (the
        # differential tester's program 221 of seed 2812).
        t = torch.tensor([[1.0], [2.0]])
        t.narrow(0, 1, 1)[-1:1] = t[-1, None, 0]

    def copyslices_backward_twice():
        # A slice assignment's CopySlices node lets go of its op after a backward pass that
        # did not retain the graph, saved tensors or not (the differential tester's program 84
        # of seed 3014).
        a = torch.tensor([0.5], requires_grad=True)
        t = a - a
        t[::2] = a
        t.backward()
        t.backward(retain_graph=True)

    def sub_bool_into_leaf_view():
        # Autograd's in-place check comes before the kernel's dtype check (program 193).
        x = torch.ones(2, 3, requires_grad=True)
        x.t().sub_(torch.zeros(3, 2, dtype=torch.bool))

    x = torch.ones(3, requires_grad=True)

    def inplace_exp():
        y = x.exp()
        y.add_(1)
        y.sum().backward()

    def backward_twice():
        y = (x * x).sum()
        y.backward()
        y.backward()

    table = {
        "mm_shapes": lambda: torch.ones(5, 3) @ torch.ones(2, 3),
        "fill_tensor_expanded": lambda: torch.zeros(3).expand(2, 3).fill_(torch.tensor(2.0)),
        "linear_shapes": lambda: torch.nn.functional.linear(torch.ones(10, 4), torch.ones(3, 5), torch.ones(3)),
        "linear_shapes_no_bias": lambda: torch.nn.functional.linear(torch.ones(10, 4), torch.ones(3, 5)),
        "linear_3d_shapes": lambda: torch.nn.functional.linear(torch.ones(2, 5, 4), torch.ones(3, 5), torch.ones(3)),
        "linear_weight_3d": lambda: torch.nn.functional.linear(torch.ones(10, 4), torch.ones(3, 4, 1), torch.ones(3)),
        "addmm_shapes": lambda: torch.addmm(torch.ones(3), torch.ones(10, 4), torch.ones(5, 3)),
        "matmul_3d_2d": lambda: torch.ones(4, 5, 3) @ torch.ones(2, 3),
        "matmul_1d_2d": lambda: torch.ones(2) @ torch.ones(5, 3),
        "dot_sizes": lambda: torch.ones(3) @ torch.ones(2),
        "mv_sizes": lambda: torch.ones(5, 3) @ torch.ones(2),
        "bmm_sizes": lambda: torch.ones(4, 5, 3) @ torch.ones(4, 2, 3),
        "mm_not_matrix": lambda: torch.mm(torch.ones(3), torch.ones(3, 2)),
        "mm_mat2_not_matrix": lambda: torch.mm(torch.ones(2, 3), torch.ones(3)),
        "broadcast": lambda: torch.ones(3) + torch.ones(2),
        "broadcast_dim1": lambda: torch.ones(4, 3) * torch.ones(4),
        "matmul_batch_broadcast": lambda: torch.ones(4, 5, 3) @ torch.ones(3, 3, 2),
        "inplace_broadcast": lambda: torch.ones(3).add_(torch.ones(2, 3)),
        "expand": lambda: torch.ones(2, 2).expand(2, 3),
        "view_size": lambda: torch.ones(2, 3).view(4),
        "view_stride": lambda: torch.ones(2, 3).t().view(6),
        "reshape_two_inferred": lambda: torch.ones(2, 3).reshape(-1, -1),
        "dim_out_of_range": lambda: torch.ones(2, 3).sum(2),
        "index_out_of_range": lambda: torch.ones(2, 3)[2],
        "too_many_indices": lambda: torch.ones(2, 3)[0, 0, 0],
        "cat_sizes": lambda: torch.cat([torch.ones(2, 3), torch.ones(2, 2)]),
        "stack_sizes": lambda: torch.stack([torch.ones(2, 3), torch.ones(2, 2)]),
        "permute_duplicate": lambda: torch.ones(2, 3).permute(0, 0),
        "t_3d": lambda: torch.ones(2, 3, 4).t(),
        "item_many": lambda: torch.ones(2, 3).item(),
        "ragged": lambda: torch.tensor([[1.0, 2.0], [3.0]]),
        "leaf_inplace": lambda: x.add_(1),
        "leaf_view_inplace": lambda: x[0].add_(1),
        "implicit_grad": lambda: (x * 2).backward(),
        "no_grad_fn": lambda: torch.ones(3).sum().backward(),
        "grad_shape": lambda: (x * 2).backward(torch.ones(2)),
        "backward_twice": backward_twice,
        "inplace_saved": inplace_exp,
        "requires_grad_nonleaf": lambda: (x * 2).requires_grad_(False),
        "requires_grad_int": lambda: torch.ones(2, dtype=torch.long).requires_grad_(),
        "requires_grad_int_factory": lambda: torch.ones(2, dtype=torch.long, requires_grad=True),
        "max_empty": lambda: torch.ones(0).max(),
        "inplace_int_float": lambda: torch.arange(3).add_(2.5),
        "cholesky_not_pd": lambda: torch.linalg.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]])),
        "solve_singular": lambda: torch.linalg.solve(torch.tensor([[1.0, 2.0], [2.0, 4.0]]), torch.ones(2)),
        "conv_channels": lambda: F.conv2d(torch.ones(2, 3, 8, 8), torch.ones(6, 1, 5, 5)),
        "conv_kernel_too_large": lambda: F.conv2d(torch.ones(2, 1, 4, 4), torch.ones(6, 1, 5, 5)),
        "conv_stride_zero": lambda: F.conv2d(torch.ones(2, 3, 8, 8), torch.ones(6, 3, 3, 3), stride=0),
        "conv_groups": lambda: F.conv2d(torch.ones(2, 3, 8, 8), torch.ones(5, 1, 3, 3), groups=3),
        "conv_bias": lambda: F.conv2d(torch.ones(2, 3, 8, 8), torch.ones(6, 3, 3, 3), torch.ones(5)),
        "conv_same_strided": lambda: F.conv2d(torch.ones(2, 3, 8, 8), torch.ones(6, 3, 3, 3), stride=2, padding="same"),
        "conv_input_rank": lambda: F.conv2d(torch.ones(1, 2, 3, 8, 8), torch.ones(6, 3, 3, 3)),
        "conv_transpose_channels": lambda: F.conv_transpose2d(torch.ones(2, 3, 8, 8), torch.ones(4, 2, 3, 3)),
        "conv_transpose_output_padding": lambda: F.conv_transpose2d(torch.ones(2, 3, 8, 8), torch.ones(3, 2, 3, 3), output_padding=1),
        "pool_stride_zero": lambda: F.max_pool2d(torch.ones(2, 3, 8, 8), 2, stride=0),
        "pool_padding": lambda: F.max_pool2d(torch.ones(2, 3, 8, 8), 3, padding=2),
        "pool_too_small": lambda: F.max_pool2d(torch.ones(1, 1, 2, 2), 3),
        "batch_norm_running": lambda: F.batch_norm(torch.ones(2, 3, 4, 4), torch.zeros(2), torch.ones(2)),
        "batch_norm_one_value": lambda: F.batch_norm(torch.ones(1, 3), None, None, training=True),
        "group_norm_groups": lambda: F.group_norm(torch.ones(2, 3, 4, 4), 2),
        "pixel_shuffle_channels": lambda: F.pixel_shuffle(torch.ones(2, 3, 4, 4), 2),
        "interpolate_both": lambda: F.interpolate(torch.ones(1, 1, 4, 4), size=3, scale_factor=2),
        "interpolate_align_nearest": lambda: F.interpolate(torch.ones(1, 1, 4, 4), size=3, align_corners=True),
        "grid_sample_last_dim": lambda: F.grid_sample(torch.ones(1, 1, 4, 4), torch.ones(1, 3, 3, 3), align_corners=False),
        "embedding_float_ids": lambda: F.embedding(torch.ones(2, 3), torch.ones(10, 4)),
        "embedding_out_of_range": lambda: F.embedding(torch.tensor([1, 10]), torch.ones(10, 4)),
        "layer_norm_shape": lambda: F.layer_norm(torch.ones(2, 3, 5), (4,)),
        "sdpa_mask_and_causal": lambda: F.scaled_dot_product_attention(torch.ones(1, 1, 3, 4), torch.ones(1, 1, 3, 4), torch.ones(1, 1, 3, 4),
                                                                       attn_mask=torch.ones(3, 3, dtype=torch.bool), is_causal=True),
        "one_hot_negative": lambda: F.one_hot(torch.tensor([1, -1])),
        "one_hot_too_large": lambda: F.one_hot(torch.tensor([1, 5]), 4),
        "nll_target_shape": lambda: F.nll_loss(torch.ones(2, 4, 3), torch.zeros(2, 4, dtype=torch.long)),
        "label_smoothing_range": lambda: F.cross_entropy(torch.ones(2, 4), torch.zeros(2, dtype=torch.long), label_smoothing=1.5),
        "setitem_partial_overlap": setitem_partial_overlap,
        "copyslices_backward_twice": copyslices_backward_twice,
        "sub_bool_into_leaf_view": sub_bool_into_leaf_view,
    }
    write("errors.json", {"messages": {k: message(v) for k, v in table.items()}})


# ---------------------------------------------------------------------------------------------
# The seed notebook, cell by cell, as `descent notebook` replays it

def notebook(seed=None):
    import io
    import contextlib

    inputs = torch.tensor([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70.]])
    targets = torch.tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119.]])
    if seed is None:
        w = torch.tensor([[0.7042, -1.5674, -0.3579], [1.7298, -1.3018, 1.2664]], requires_grad=True)
        b = torch.tensor([-0.9878, 0.1373], requires_grad=True)
    else:
        torch.manual_seed(seed)
        w = torch.randn(2, 3, requires_grad=True)
        b = torch.randn(2, requires_grad=True)

    def model(x):
        return x @ w.t() + b

    def mse(t1, t2):
        diff = t1 - t2
        return torch.sum(diff * diff) / diff.numel()

    cells = []
    state = {}

    def cell(number, body):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            body()
        cells.append({"cell": number, "output": buffer.getvalue()})

    cell(5, lambda: (print(targets), print(inputs)))
    cell(6, lambda: (print(w), print(b)))
    state["preds"] = model(inputs)
    cell(8, lambda: print(state["preds"]))
    cell(9, lambda: print(targets))
    state["diff"] = state["preds"] - targets
    cell(11, lambda: print(state["diff"].numel()))
    cell(12, lambda: print(repr(torch.sum(state["diff"] * state["diff"]))))
    state["loss"] = mse(state["preds"], targets)
    cell(14, lambda: print(state["loss"]))
    cell(15, lambda: state["loss"].backward())
    cell(16, lambda: (print(w), print(w.grad)))
    cell(17, lambda: (print(b), print(b.grad)))

    def update():
        # The notebook ran this cell twice: its printed w and b show two steps.
        with torch.no_grad():
            for _ in range(2):
                w.sub_(w.grad * 1e-5)
                b.sub_(b.grad * 1e-5)
    cell(19, update)

    def zero():
        w.grad.zero_()
        b.grad.zero_()
        print(w.grad)
        print(b.grad)
    cell(21, zero)
    cell(25, lambda: print(w, b))
    state["preds"] = model(inputs)
    cell(22, lambda: print(state["preds"]))
    state["loss"] = mse(state["preds"], targets)
    cell(23, lambda: print(state["loss"]))

    def train():
        for _ in range(500):
            preds = model(inputs)
            loss = mse(preds, targets)
            loss.backward()
            with torch.no_grad():
                w.sub_(w.grad * 1e-5)
                b.sub_(b.grad * 1e-5)
                w.grad.zero_()
                b.grad.zero_()
    cell(31, train)
    state["preds"] = model(inputs)
    state["loss"] = mse(state["preds"], targets)
    cell(32, lambda: print(state["loss"]))
    cell(33, lambda: print(repr(state["preds"])))
    cell(34, lambda: print(repr(targets)))
    return {"seed": seed, "cells": cells, "final_loss": state["loss"].item()}


def issue_example():
    """The Swift port in the README and issue 2, run in PyTorch."""
    inputs = torch.tensor([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70.]])
    targets = torch.tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119.]])
    torch.manual_seed(0)
    w = torch.randn(2, 3, requires_grad=True)
    b = torch.randn(2, requires_grad=True)

    def mse(t1, t2):
        diff = t1 - t2
        return torch.sum(diff * diff) / diff.numel()

    for _ in range(500):
        loss = mse(inputs @ w.t() + b, targets)
        loss.backward()
        with torch.no_grad():
            w -= w.grad * 1e-5
            b -= b.grad * 1e-5
            w.grad.zero_()
            b.grad.zero_()
    loss = mse(inputs @ w.t() + b, targets)
    return {"loss": loss.item(), "repr": repr(loss), "w": tensor_json(w), "b": tensor_json(b)}


# ---------------------------------------------------------------------------------------------
# torch.nn and torch.optim: initialisation, losses, and 100 optimizer steps

def nn_fixtures():
    import torch.nn as nn
    import torch.nn.functional as F

    out = {}
    inits = []
    for seed, (i, o, bias) in [(0, (3, 2, True)), (1, (20, 7, True)), (2, (5, 3, False))]:
        torch.manual_seed(seed)
        layer = nn.Linear(i, o, bias=bias)
        inits.append({"seed": seed, "in": i, "out": o, "bias": bias,
                      "weight": tensor_json(layer.weight),
                      "bias_values": tensor_json(layer.bias) if bias else None})
    out["linear_init"] = inits

    g = torch.Generator().manual_seed(3)
    logits = torch.randn(6, 5, generator=g)
    labels = torch.randint(0, 5, (6,), generator=g)
    preds = torch.randn(6, 2, generator=g)
    targets = torch.randn(6, 2, generator=g)
    losses = []
    for name, make in [
        ("mse_mean", lambda: (F.mse_loss, preds, targets, "mean")),
        ("mse_sum", lambda: (F.mse_loss, preds, targets, "sum")),
        ("mse_none", lambda: (F.mse_loss, preds, targets, "none")),
        ("ce_mean", lambda: (F.cross_entropy, logits, labels, "mean")),
        ("ce_sum", lambda: (F.cross_entropy, logits, labels, "sum")),
        ("ce_none", lambda: (F.cross_entropy, logits, labels, "none")),
        ("ce_huge_logits", lambda: (F.cross_entropy, logits * 1e4, labels, "mean")),
        ("nll_mean", lambda: (F.nll_loss, logits.log_softmax(1), labels, "mean")),
        ("ceprob_mean", lambda: (F.cross_entropy, logits, logits.t()[:2].t().softmax(1).repeat(1, 3)[:, :5].softmax(1), "mean")),
        ("l1_mean", lambda: (F.l1_loss, preds, targets, "mean")),
        ("l1_none", lambda: (F.l1_loss, preds, targets, "none")),
        ("huber_mean", lambda: (lambda x, y, reduction: F.huber_loss(x, y, reduction=reduction, delta=0.7), preds, targets, "mean")),
        ("smoothl1_sum", lambda: (lambda x, y, reduction: F.smooth_l1_loss(x, y, reduction=reduction, beta=0.5), preds, targets, "sum")),
        ("bce_mean", lambda: (F.binary_cross_entropy, preds.sigmoid(), targets.sigmoid(), "mean")),
        ("bcelogits_mean", lambda: (F.binary_cross_entropy_with_logits, preds * 3, targets.sigmoid(), "mean")),
        ("bcelogits_huge", lambda: (F.binary_cross_entropy_with_logits, preds * 1e4, targets.sigmoid(), "sum")),
    ]:
        fn, x, y, reduction = make()
        x = x.clone().requires_grad_(True)
        loss = fn(x, y, reduction=reduction)
        upstream = torch.ones_like(loss)
        loss.backward(upstream)
        losses.append({"name": name, "input": tensor_json(x), "target": tensor_json(y),
                       "reduction": reduction, "loss": tensor_json(loss), "grad": tensor_json(x.grad),
                       "grad_fn": type(loss.grad_fn).__name__})
    out["losses"] = losses

    gd = torch.Generator().manual_seed(1)
    x = torch.randn(16, 4, generator=gd)
    y = torch.randint(0, 3, (16,), generator=gd)
    runs = []
    configs = [
        ("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
        ("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
        ("sgd_nesterov", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
        ("adam", lambda p: torch.optim.Adam(p, lr=1e-2)),
        ("adam_amsgrad", lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=0.01, amsgrad=True)),
        ("adamw", lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.05)),
        ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=1e-3)),
        ("rmsprop_momentum_centered", lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5, centered=True, weight_decay=0.01)),
        ("adagrad", lambda p: torch.optim.Adagrad(p, lr=5e-2, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    ]
    schedulers = [
        ("step_lr", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
        ("multistep_lr", lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.5)),
        ("exponential_lr", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.97)),
        ("cosine_lr", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=0.001)),
        ("linear_lr", lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=40)),
        ("plateau", lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=3, threshold=0.05)),
    ]
    for name, make in configs + [(n, None) for n, _ in schedulers]:
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        scheduler = None
        if make is None:
            opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.5)
            scheduler = dict(schedulers)[name](opt)
        else:
            opt = make(net.parameters())
        lrs = []
        for _ in range(100):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            if name == "sgd":
                torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=0.5)
            opt.step()
            if scheduler is not None:
                if name == "plateau":
                    scheduler.step(loss.item())
                else:
                    scheduler.step()
            lrs.append(opt.param_groups[0]["lr"])
        runs.append({"name": name, "final_loss": F.cross_entropy(net(x), y).item(), "lrs": lrs,
                     "params": {k: tensor_json(v) for k, v in net.state_dict().items()}})
    out["optimizers"] = {"x": tensor_json(x), "y": tensor_json(y), "runs": runs}
    write("nn.json", out)


# ---------------------------------------------------------------------------------------------
# Files written by Python's safetensors and numpy, for the readers

def files():
    import numpy as np
    from safetensors.torch import save_file
    folder = os.path.join(OUT, "files")
    os.makedirs(folder, exist_ok=True)
    g = torch.Generator().manual_seed(11)
    tensors = {
        "f32": torch.randn(3, 4, generator=g),
        "f64": torch.randn(5, generator=g, dtype=torch.float64),
        "i64": torch.arange(6).reshape(2, 3),
        "i32": torch.arange(-3, 3, dtype=torch.int32),
        "u8": torch.arange(250, 256, dtype=torch.uint8),
        "b": torch.tensor([True, False, True]),
        "f16": torch.tensor([0.5, -2.25, 65504.0, 6e-8], dtype=torch.float16),
        "bf16": torch.tensor([1.5, -3.0, 1e30], dtype=torch.bfloat16),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
    }
    save_file(tensors, os.path.join(folder, "python.safetensors"), metadata={"format": "pt", "note": "from Python"})
    torch.manual_seed(5)
    linear = torch.nn.Linear(3, 2)
    save_file(linear.state_dict(), os.path.join(folder, "linear.safetensors"))
    expected = {k: tensor_json(v.to(torch.float32) if v.dtype in (torch.float16, torch.bfloat16) else
                               (v.to(torch.int64) if v.dtype in (torch.int32, torch.uint8) else v))
                for k, v in tensors.items()}
    arrays = {
        "f32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        "f64": np.linspace(-1, 1, 5),
        "i64": np.arange(6, dtype=np.int64).reshape(2, 3),
        "i16": np.array([-7, 300], dtype=np.int16),
        "b": np.array([[True], [False]]),
        "f16": np.array([1.5, -0.125], dtype=np.float16),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "scalar": np.array(3.25, dtype=np.float32),
    }
    for k, v in arrays.items():
        np.save(os.path.join(folder, f"{k}.npy"), v)
    np.savez(os.path.join(folder, "arrays.npz"), a=arrays["f32"], b=arrays["i64"])
    np.savez_compressed(os.path.join(folder, "compressed.npz"), a=arrays["f32"])
    npy = {k: {"shape": list(v.shape), "values": [encode(x) for x in np.asarray(v, dtype=np.float64).reshape(-1).tolist()]}
           for k, v in arrays.items()}
    write("files.json", {"safetensors": expected, "metadata": {"format": "pt", "note": "from Python"},
                         "linear": {k: tensor_json(v) for k, v in linear.state_dict().items()}, "npy": npy})


# ---------------------------------------------------------------------------------------------
# Dense solvers

def solvers():
    g = torch.Generator().manual_seed(21)
    cases = []
    m = torch.randn(4, 4, generator=g, dtype=torch.float64)
    spd = m @ m.t() + 4 * torch.eye(4, dtype=torch.float64)
    a = torch.randn(4, 4, generator=g, dtype=torch.float64)
    b2 = torch.randn(4, 2, generator=g, dtype=torch.float64)
    b1 = torch.randn(4, generator=g, dtype=torch.float64)
    tall = torch.randn(8, 3, generator=g, dtype=torch.float64)
    rhs = torch.randn(8, 2, generator=g, dtype=torch.float64)
    a32 = torch.randn(20, 4, generator=g)
    y32 = torch.randn(20, generator=g)
    cases.append({"name": "cholesky", "inputs": [tensor_json(spd)], "output": tensor_json(torch.linalg.cholesky(spd))})
    cases.append({"name": "solve_matrix", "inputs": [tensor_json(a), tensor_json(b2)], "output": tensor_json(torch.linalg.solve(a, b2))})
    cases.append({"name": "solve_vector", "inputs": [tensor_json(a), tensor_json(b1)], "output": tensor_json(torch.linalg.solve(a, b1))})
    cases.append({"name": "lstsq", "inputs": [tensor_json(tall), tensor_json(rhs)], "output": tensor_json(torch.linalg.lstsq(tall, rhs).solution)})
    cases.append({"name": "lstsq_float32_vector", "inputs": [tensor_json(a32), tensor_json(y32)],
                  "output": tensor_json(torch.linalg.lstsq(a32, y32.unsqueeze(1)).solution.squeeze(1))})
    write("solvers.json", {"cases": cases})


def notebooks():
    write("notebook.json", {"runs": [notebook(None), notebook(0), notebook(7)], "example": issue_example()})


if __name__ == "__main__":
    if sys.argv[1:] == ["--avx2-random"]:
        if torch.backends.cpu.get_cpu_capability() != "AVX2":
            sys.exit(1)
        random_streams(avx2=True)
        sys.exit(0)
    if os.environ.get("ATEN_CPU_CAPABILITY") != "default":
        sys.exit("run with ATEN_CPU_CAPABILITY=default so PyTorch uses its reference kernels")
    os.makedirs(OUT, exist_ok=True)
    printing()
    creation()
    random_streams()
    avx2_random()
    ops()
    values()
    errors()
    nn_fixtures()
    files()
    solvers()
    notebooks()
