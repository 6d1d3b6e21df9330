#!/usr/bin/env python3
"""PyTorch goldens for @unihetero/vision (run once; the JSON is committed, CI needs no Python).

    /usr/bin/python3 scripts/make-goldens.py      # Debian: apt-get install python3-torch

1. F.interpolate on a small image for the modes and flags resize2d implements.
2. A hand-written PyTorch DINOv2 that mirrors transformers' modeling_dinov2.py /
   modeling_dinov2_with_registers.py module for module (same parameter names), with deterministic
   weights w[k][i] = formula(sorted-name index k, element i), run on deterministic inputs; the
   test rebuilds the same weights and compares last_hidden_state.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_grad_enabled(False)
OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'goldens')


def det(n, phase):
    i = np.arange(n, dtype=np.float64)
    return np.sin(0.37 * i + phase)


def det_input(shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    return torch.tensor((0.9 * np.sin(0.113 * i + 0.2)).astype(np.float32).reshape(shape))


def param_value(name, k, n):
    s = det(n, 1.7 * k + 0.5)
    if name.endswith(('norm1.weight', 'norm2.weight', 'layernorm.weight')):
        return 1 + 0.2 * s
    if name.endswith('lambda1'):
        return 0.7 + 0.2 * s
    return 0.3 * s


class LayerScale(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.lambda1 = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * self.lambda1


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['hidden_size']
        self.h = c['num_attention_heads']
        self.query = nn.Linear(d, d, bias=c['qkv_bias'])
        self.key = nn.Linear(d, d, bias=c['qkv_bias'])
        self.value = nn.Linear(d, d, bias=c['qkv_bias'])

    def forward(self, x):
        b, t, d = x.shape
        sh = lambda y: y.view(b, t, self.h, d // self.h).transpose(1, 2)
        q, k, v = sh(self.query(x)), sh(self.key(x)), sh(self.value(x))
        w = torch.softmax(q @ k.transpose(-1, -2) * (d // self.h) ** -0.5, dim=-1)
        return (w @ v).transpose(1, 2).reshape(b, t, d)


class SelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['hidden_size'])

    def forward(self, x):
        return self.dense(x)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = SelfAttention(c)
        self.output = SelfOutput(c)

    def forward(self, x):
        return self.output(self.attention(x))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['hidden_size']
        h = int(d * c['mlp_ratio'])
        self.fc1 = nn.Linear(d, h)
        self.fc2 = nn.Linear(h, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class SwiGLU(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['hidden_size']
        h = int(d * c['mlp_ratio'])
        h = (int(h * 2 / 3) + 7) // 8 * 8
        self.weights_in = nn.Linear(d, 2 * h)
        self.weights_out = nn.Linear(h, d)

    def forward(self, x):
        x1, x2 = self.weights_in(x).chunk(2, dim=-1)
        return self.weights_out(F.silu(x1) * x2)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['hidden_size']
        self.norm1 = nn.LayerNorm(d, eps=c['layer_norm_eps'])
        self.attention = Attention(c)
        self.layer_scale1 = LayerScale(d)
        self.norm2 = nn.LayerNorm(d, eps=c['layer_norm_eps'])
        self.mlp = SwiGLU(c) if c['use_swiglu_ffn'] else MLP(c)
        self.layer_scale2 = LayerScale(d)

    def forward(self, x):
        x = self.layer_scale1(self.attention(self.norm1(x))) + x
        return self.layer_scale2(self.mlp(self.norm2(x))) + x


class PatchEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        p = c['patch_size']
        self.projection = nn.Conv2d(c['num_channels'], c['hidden_size'], kernel_size=p, stride=p)

    def forward(self, x):
        return self.projection(x).flatten(2).transpose(1, 2)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['hidden_size']
        self.c = c
        self.reg = c.get('num_register_tokens', 0) if c['model_type'] == 'dinov2_with_registers' else 0
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.mask_token = nn.Parameter(torch.zeros(1, d))
        if self.reg:
            self.register_tokens = nn.Parameter(torch.zeros(1, self.reg, d))
        self.patch_embeddings = PatchEmbeddings(c)
        n = (c['image_size'] // c['patch_size']) ** 2
        self.position_embeddings = nn.Parameter(torch.zeros(1, n + 1, d))

    def interpolate(self, emb, height, width):
        num_patches = emb.shape[1] - 1
        num_positions = self.position_embeddings.shape[1] - 1
        if num_patches == num_positions and height == width:
            return self.position_embeddings
        cls = self.position_embeddings[:, :1]
        patch = self.position_embeddings[:, 1:]
        d = emb.shape[-1]
        nh, nw = height // self.c['patch_size'], width // self.c['patch_size']
        s = int(num_positions ** 0.5)
        patch = patch.reshape(1, s, s, d).permute(0, 3, 1, 2)
        patch = F.interpolate(patch, size=(nh, nw), mode='bicubic', align_corners=False, antialias=bool(self.reg))
        patch = patch.permute(0, 2, 3, 1).reshape(1, -1, d)
        return torch.cat((cls, patch), dim=1)

    def forward(self, x):
        b, _, h, w = x.shape
        e = self.patch_embeddings(x)
        e = torch.cat((self.cls_token.expand(b, -1, -1), e), dim=1)
        e = e + self.interpolate(e, h, w)
        if self.reg:
            e = torch.cat((e[:, :1], self.register_tokens.expand(b, -1, -1), e[:, 1:]), dim=1)
        return e


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c['num_hidden_layers'])])

    def forward(self, x):
        for l in self.layer:
            x = l(x)
        return x


class Dinov2(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.layernorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, x):
        return self.layernorm(self.encoder(self.embeddings(x)))


def vit_case(name, config, input_shape):
    m = Dinov2(config)
    sd = m.state_dict()
    names = sorted(sd.keys())
    for k, n in enumerate(names):
        t = sd[n]
        t.copy_(torch.tensor(param_value(n, k, t.numel()).astype(np.float32).reshape(t.shape)))
    x = det_input(input_shape)
    y = m(x)
    return {
        'name': name,
        'config': config,
        'input_shape': list(input_shape),
        'params': [[n, list(sd[n].shape)] for n in names],
        'output_shape': list(y.shape),
        'output': [float(v) for v in y.flatten()],
    }


def interp_cases():
    x = det_input((1, 2, 5, 5))
    specs = [
        dict(size=(3, 4), mode='bicubic', align_corners=False, antialias=False),
        dict(size=(8, 7), mode='bicubic', align_corners=False, antialias=False),
        dict(size=(3, 2), mode='bicubic', align_corners=False, antialias=True),
        dict(size=(7, 9), mode='bicubic', align_corners=False, antialias=True),
        dict(size=(2, 3), mode='bilinear', align_corners=False, antialias=True),
        dict(size=(7, 3), mode='bilinear', align_corners=False, antialias=False),
        dict(size=(4, 6), mode='bicubic', align_corners=True, antialias=False),
    ]
    out = []
    for s in specs:
        y = F.interpolate(x, **s)
        out.append({**{k: (list(v) if isinstance(v, tuple) else v) for k, v in s.items()}, 'output': [float(v) for v in y.flatten()]})
    return {'input_shape': [1, 2, 5, 5], 'cases': out}


BASE = dict(hidden_size=8, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=4, patch_size=2, image_size=8,
            num_channels=3, layer_norm_eps=1e-6, layerscale_value=1.0, qkv_bias=True, use_swiglu_ffn=False,
            hidden_act='gelu', model_type='dinov2')

if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    goldens = {
        'torch': torch.__version__,
        'interpolate': interp_cases(),
        'vit': [
            vit_case('dinov2 (non-square grid 6x5 from stored 4x4, bicubic)', BASE, (2, 3, 12, 10)),
            vit_case('dinov2_with_registers + SwiGLU (3x3 from 4x4, antialiased)',
                     {**BASE, 'model_type': 'dinov2_with_registers', 'num_register_tokens': 2, 'use_swiglu_ffn': True, 'num_hidden_layers': 1},
                     (1, 3, 6, 6)),
            vit_case('dinov2 at the stored grid (no interpolation)', {**BASE, 'num_hidden_layers': 1, 'qkv_bias': False}, (1, 3, 8, 8)),
        ],
    }
    with open(os.path.join(OUT, 'torch.json'), 'w') as f:
        json.dump(goldens, f)
    print('wrote', os.path.join(OUT, 'torch.json'))
