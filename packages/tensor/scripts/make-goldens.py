#!/usr/bin/env python3
"""Golden values from PyTorch for composite functions, committed as JSON so tests need no Python.

Run with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 packages/tensor/scripts/make-goldens.py > packages/tensor/test/goldens/torch-goldens.json
Each case mirrors a function in test/golden.test.ts. Everything is float32.
"""
import json
import math
import torch
import torch.nn.functional as F

torch.manual_seed(20261124)


def t(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).float().requires_grad_(True)


def dump(x):
    return {"shape": list(x.shape), "data": [float(v) for v in x.detach().reshape(-1).tolist()]}


cases = {}


def case(name, inputs, fn, consts=None):
    out = fn(**inputs)
    out.backward()
    cases[name] = {
        "torch": torch.__version__,
        "inputs": {k: dump(v) for k, v in inputs.items()},
        "consts": consts or {},
        "loss": float(out.item()),
        "grads": {k: dump(v.grad) for k, v in inputs.items()},
    }


# 1. A two-layer MLP (exact GELU) with cross-entropy, one ignored target, label smoothing 0.1.
targets = [2, 0, -100, 1]
case(
    "mlp_cross_entropy",
    {"x": t(4, 5), "w1": t(5, 8, scale=0.5), "b1": t(8, scale=0.1), "w2": t(8, 3, scale=0.5), "b2": t(3, scale=0.1)},
    lambda x, w1, b1, w2, b2: F.cross_entropy(
        F.gelu(x @ w1 + b1) @ w2 + b2, torch.tensor(targets), ignore_index=-100, label_smoothing=0.1
    ),
    {"targets": targets},
)

# 2. Causal self-attention (batch 2, seq 5, width 8), output weighted by fixed weights.
wout = torch.linspace(-1, 1, 2 * 5 * 8).reshape(2, 5, 8)


def attention(q, k, v):
    scores = q @ k.transpose(-2, -1) / math.sqrt(8)
    mask = torch.triu(torch.full((5, 5), float("-inf")), diagonal=1)
    p = torch.softmax(scores + mask, dim=-1)
    return ((p @ v) * wout).sum()


case("causal_attention", {"q": t(2, 5, 8), "k": t(2, 5, 8), "v": t(2, 5, 8)}, attention)

# 3. LayerNorm (affine) then RMSNorm (weight), as PyTorch computes them (rms_norm by hand: torch 1.13 has none).
wsum = torch.linspace(-2, 2, 3 * 6).reshape(3, 6)


def norms(x, g, b, r):
    y = F.layer_norm(x, (6,), g, b, eps=1e-5)
    z = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + 1e-6) * r
    return (z * wsum).sum()


case("norms", {"x": t(3, 6, scale=2.0), "g": t(6), "b": t(6), "r": t(6)}, norms)

# 4. A broadcasting chain.
case(
    "broadcast_chain",
    {"a": t(2, 1, 3), "b": t(4, 1), "c": t(3)},
    lambda a, b, c: ((a * b + c).exp() / (1 + a.abs()) - c.sigmoid() * b).pow(2).mean(),
)

# 5. Cosine loss, MSE and logsumexp together (the shapes of ploss and the z-loss).
case(
    "cosine_mse_logsumexp",
    {"p": t(6, 4), "q": t(6, 4), "l": t(3, 7)},
    lambda p, q, l: (1 - F.cosine_similarity(p, q, dim=-1, eps=1e-8)).mean()
    + F.mse_loss(p, q)
    + 1e-2 * torch.logsumexp(l, dim=-1).pow(2).mean(),
)

print(json.dumps({"generator": "packages/tensor/scripts/make-goldens.py", "cases": cases}, indent=1))
