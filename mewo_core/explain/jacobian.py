"""The exact Jacobian of many tags' corrections, by one hand-written batched reverse pass.

Autograd computes a Jacobian with one reverse pass per output (``torch.func.vmap(jacrev)``
batches them, but falls back to a Python loop per example for the attention and layer-norm
backward kernels). The correction head is linear, so every tag's reverse pass starts from a
fixed cotangent (its row of the head's weights) and runs through the same per-track operators:
this module runs them for all tags at once as plain batched matrix products, for the network
that :class:`~mewo_core.models.reservoir_transformer.transformer.TagTransformer` builds
(pre-norm ``nn.TransformerEncoderLayer`` with ReLU, packed attention projections, no extra
key/value bias). :func:`encoder_jacobian` returns ``None`` for any other architecture, and
callers then use autograd. Tests check it against autograd to float rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class _Norm:
    weight: torch.Tensor
    eps: float

    @classmethod
    def of(cls, m: nn.LayerNorm) -> _Norm:
        return cls(m.weight.detach(), float(m.eps))

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, tuple]:
        mu = x.mean(-1, keepdim=True)
        rstd = torch.rsqrt(x.var(-1, unbiased=False, keepdim=True) + self.eps)
        xhat = (x - mu) * rstd
        return xhat * self.weight + bias, (xhat, rstd)

    def backward(self, g: torch.Tensor, cache: tuple) -> torch.Tensor:
        """Cotangents ``g`` (tags x rows x tokens x d) of the output -> of the input."""
        xhat, rstd = cache
        gw = g * self.weight
        return rstd * (gw - gw.mean(-1, keepdim=True)
                       - xhat * (gw * xhat).mean(-1, keepdim=True))


def _tagged(cache: tuple) -> tuple:
    """A layer-norm cache (rows x tokens x ...) broadcast over the tags axis."""
    return tuple(c[:, None] for c in cache)


def _supported(net: nn.Module) -> bool:
    enc = getattr(net, "encoder", None)
    if enc is None or getattr(enc, "norm", None) is not None:
        return False
    for layer in enc.layers:
        att = layer.self_attn
        if not (layer.norm_first and layer.self_attn.batch_first
                and layer.activation is F.relu and att._qkv_same_embed_dim
                and att.bias_k is None and att.bias_v is None and not att.add_zero_attn
                and att.in_proj_bias is not None):
            return False
    return True


def encoder_jacobian(
    net: nn.Module,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None:
    """``f(E, tags) -> tags x rows x tokens x d``: the Jacobian of the corrections of ``tags``
    with respect to the embedded tokens ``E`` (rows x tokens x d), or ``None`` when ``net`` is
    not the supported pre-norm encoder (see the module docstring). Dropout is ignored: this is
    the network at inference."""
    if not _supported(net):
        return None
    layers = []
    for layer in net.encoder.layers:
        att = layer.self_attn
        layers.append({
            "n1": _Norm.of(layer.norm1), "b1": layer.norm1.bias.detach(),
            "n2": _Norm.of(layer.norm2), "b2": layer.norm2.bias.detach(),
            "win": att.in_proj_weight.detach(), "bin": att.in_proj_bias.detach(),
            "wo": att.out_proj.weight.detach(), "bo": att.out_proj.bias.detach(),
            "w1": layer.linear1.weight.detach(), "c1": layer.linear1.bias.detach(),
            "w2": layer.linear2.weight.detach(), "c2": layer.linear2.bias.detach(),
            "heads": att.num_heads,
        })
    final, final_bias = _Norm.of(net.norm), net.norm.bias.detach()
    head = net.correction.weight.detach()  # tags x (tokens * d)

    def jacobian(E: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        n, T, D = E.shape
        x = E
        caches = []
        for p in layers:  # forward, keeping what the reverse pass needs
            h = p["heads"]
            dh = D // h
            a, c1 = p["n1"].forward(x, p["b1"])
            q, k, v = (a @ p["win"].T + p["bin"]).split(D, dim=-1)
            q, k, v = (t.reshape(n, T, h, dh).transpose(1, 2) for t in (q, k, v))
            P = torch.softmax((q @ k.transpose(-1, -2)) / math.sqrt(dh), dim=-1)
            o = (P @ v).transpose(1, 2).reshape(n, T, D)
            x = x + o @ p["wo"].T + p["bo"]
            b, c2 = p["n2"].forward(x, p["b2"])
            f1 = b @ p["w1"].T + p["c1"]
            x = x + torch.relu(f1) @ p["w2"].T + p["c2"]
            caches.append((c1, q, k, v, P, c2, f1 > 0))
        _, cf = final.forward(x, final_bias)
        K = tags.numel()
        # cotangents: rows x tags x tokens x d (rows first, so the per-row caches broadcast)
        g = final.backward(head[tags].reshape(1, K, T, D), _tagged(cf))
        for p, (c1, q, k, v, P, c2, relu) in zip(reversed(layers), reversed(caches),
                                                 strict=True):
            h = p["heads"]
            dh = D // h
            gf = ((g @ p["w2"]) * relu[:, None]) @ p["w1"]
            g = g + p["n2"].backward(gf, _tagged(c2))
            # attention, heads x (tags * tokens) per row: a few large products, not many tiny
            go = (g @ p["wo"]).reshape(n, K, T, h, dh).permute(0, 3, 1, 2, 4)  # n h K T dh
            gP = (go.reshape(n, h, K * T, dh) @ v.transpose(-1, -2)).reshape(n, h, K, T, T)
            Pk = P[:, :, None]
            gS = Pk * (gP - (gP * Pk).sum(-1, keepdim=True)) / math.sqrt(dh)
            gq = (gS.reshape(n, h, K * T, T) @ k).reshape(n, h, K, T, dh)
            gk = (gS.transpose(-1, -2).reshape(n, h, K * T, T) @ q).reshape(n, h, K, T, dh)
            gv = (go.transpose(-1, -2).reshape(n, h, K * dh, T) @ P).reshape(n, h, K, dh, T)
            gqkv = torch.stack([gq, gk, gv.transpose(-1, -2)])  # 3 n h K T dh
            ga = gqkv.permute(1, 3, 4, 0, 2, 5).reshape(n, K, T, 3 * D) @ p["win"]
            g = g + p["n1"].backward(ga, _tagged(c1))
        return g.transpose(0, 1)

    return jacobian
