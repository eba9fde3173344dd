"""The narrow adapter between the explanation code and a fitted reservoir-transformer.

Everything in :mod:`mewo_core.explain` reaches the model's internals only through
:func:`network_view`, so moving or changing the model touches this file alone. A
:class:`NetworkView` exposes, in the model's *transformed input space* ``Z`` (clipped logit /
standardised features, see ``models/input_transform.py``):

- ``correction(Z)``: a torch callable, rows x tags, the learned correction in logit units
  (the reservoirs, token inputs and Transformer recomputed in torch, so gradients flow);
- ``own_logit(Z)``: each tag's own affine logit (monotone in the tag's own score);
- ``blend``: per tag the weight of the correction kept on validation (0 = fallback);
- ``transform(X)``: raw scores (the tagger's scale) to ``Z``.

A tag's model logit is ``own_logit + blend * correction``; where ``blend == 0`` the decision is
the benchmark's (raw score against the fallback threshold).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..models.base import DecisionModel
from .jacobian import encoder_jacobian


@dataclass
class NetworkView:
    """What the explanations need from a model with a learned correction (see module doc)."""

    feature_names: tuple[str, ...]
    tag_names: tuple[str, ...]
    tag_score_index: np.ndarray  # position of each tag's own score in the features, -1 if none
    blend: np.ndarray  # (tags,) weight of the correction, 0 where the tag falls back
    transform: Callable[[np.ndarray], np.ndarray]  # raw X -> Z (numpy)
    correction: Callable[[torch.Tensor], torch.Tensor]  # Z -> rows x tags (logit units)
    own_scale: np.ndarray  # (tags,) own logit = own_scale * z_own + own_bias
    own_bias: np.ndarray
    dtype: torch.dtype = torch.float64
    #: ``(points, tags, weights) -> rows x tags x features``: the weighted sum over path points
    #: (``points``: points x rows x features) of the exact Jacobian of those tags' corrections
    #: (:mod:`.jacobian`'s batched reverse pass; autograd where the network is not supported)
    jacobian: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None

    @property
    def kept(self) -> np.ndarray:
        """Tags whose decision uses the correction."""
        return self.blend > 0

    def own_logit(self, Z: np.ndarray) -> np.ndarray:
        """Each tag's own affine logit (rows x tags; 0 input for tags without a score)."""
        idx = self.tag_score_index
        own = np.asarray(Z, dtype=np.float64)[:, np.maximum(idx, 0)]
        own[:, idx < 0] = 0.0
        return self.own_scale * own + self.own_bias

    def correction_np(self, Z: np.ndarray, batch: int = 4096) -> np.ndarray:
        """``correction`` on numpy ``Z`` without gradients (rows x tags, float64)."""
        out = np.empty((Z.shape[0], len(self.tag_names)))
        with torch.no_grad():
            for start in range(0, Z.shape[0], batch):
                z = torch.as_tensor(np.asarray(Z[start : start + batch]), dtype=self.dtype)
                out[start : start + batch] = self.correction(z).numpy()
        return out


def _explicit_attention(forward: Callable) -> Callable:
    """``MultiheadAttention.forward`` asking for the weights: PyTorch then computes attention
    with plain matrix products and a softmax (same function) instead of its fused kernel, which
    has no batching rule for ``torch.func.vmap``."""

    def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        kwargs["need_weights"] = True
        return forward(*args, **kwargs)

    return wrapped


def _linear_embedding(
    net: torch.nn.Module, tokens: list, n_features: int, dtype: torch.dtype
) -> torch.Tensor | None:
    """d(embedded tokens)/dZ, (tokens * d_model) x features, when every token reads columns
    of ``Z`` directly (no reservoir); else ``None``."""
    if any(kind != "columns" for kind, _ in tokens):
        return None
    blocks = []
    for (_, refs), emb in zip(tokens, net.embed, strict=True):
        block = torch.zeros(emb.weight.shape[0], n_features, dtype=dtype)
        block.index_add_(1, refs, emb.weight.detach())
        blocks.append(block)
    return torch.cat(blocks)


def has_correction(model: DecisionModel) -> bool:
    """Whether ``model`` has a learned correction to explain (a reservoir-transformer)."""
    return hasattr(model, "network_") and hasattr(model, "blend_weights_")


def network_view(model: DecisionModel, dtype: torch.dtype = torch.float64) -> NetworkView:
    """The :class:`NetworkView` of a fitted reservoir-transformer (float64 by default)."""
    if not has_correction(model):
        raise TypeError(f"{type(model).__name__} has no learned correction")
    net = copy.deepcopy(model.network_).to(dtype)
    for p in net.parameters():
        p.requires_grad_(False)
    # Dropout off, but "training" mode: PyTorch's fused inference path of the encoder is not
    # differentiable; the plain path computes the same function and lets gradients flow.
    for m in net.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
        elif isinstance(m, torch.nn.MultiheadAttention):
            m.dropout = 0.0  # a float there, used as the attention's dropout probability
            m.forward = _explicit_attention(m.forward)
    net.train()
    n_tags = len(model.tag_names_)
    res = [
        {k: torch.as_tensor(getattr(r, k), dtype=dtype) for k in ("win", "bias", "wout", "bout")}
        | {"columns": torch.as_tensor(r.columns, dtype=torch.long)}
        for r in model.reservoirs_
    ]
    tokens = [(t.kind, torch.as_tensor(t.refs, dtype=torch.long)) for t in model.tokens_]

    def states(k: int, Z: torch.Tensor) -> torch.Tensor:
        r = res[k]
        return torch.tanh(Z[:, r["columns"]] @ r["win"].T + r["bias"])

    def inputs(Z: torch.Tensor) -> torch.Tensor:
        """``token_layout.token_inputs`` in torch."""
        parts = []
        for kind, refs in tokens:
            if kind == "columns":
                parts.append(Z[:, refs])
            elif kind in ("concat", "readout"):
                for k in refs.tolist():
                    parts.append(states(k, Z) @ res[k]["wout"] + res[k]["bout"])
            else:
                k = int(refs[0])
                s = states(k, Z)
                if kind == "both":
                    parts.append(s @ res[k]["wout"] + res[k]["bout"])
                parts.append(s)
        return torch.cat(parts, dim=1)

    def correction(Z: torch.Tensor) -> torch.Tensor:
        u = inputs(Z)
        own = torch.zeros(Z.shape[0], n_tags, dtype=Z.dtype)
        return net(u, own)[1]

    encoder = encoder_jacobian(net)
    embedding = (None if encoder is None else
                 _linear_embedding(net, tokens, len(model.feature_names_), dtype))

    def jacobian(
        points: torch.Tensor, tags: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """sum_p weights[p] * J(points[p]): rows x tags x features."""
        if encoder is None:
            from torch.func import jacrev, vmap

            one = vmap(jacrev(lambda z: correction(z[None])[0, tags]))
            return sum(w * one(z) for w, z in zip(weights, points, strict=True))
        n_points, n = points.shape[:2]
        flat = points.reshape(n_points * n, -1)
        with torch.no_grad():  # every point of every row in one reverse pass
            g = encoder(net.tokens(inputs(flat)), tags)  # tags x (points * rows) x tokens x d
            if embedding is not None:  # tokens linear in Z: sum over points, then one product
                g = torch.einsum("p,kpnf->knf", weights,
                                 g.reshape(g.shape[0], n_points, n, -1))
                return (g @ embedding).transpose(0, 1)
            per_point = pull_tokens(flat, g.transpose(0, 1))  # (points * rows) x tags x features
            return torch.einsum("p,pnkf->nkf", weights,
                                per_point.reshape(n_points, n, *per_point.shape[1:]))

    def pull_tokens(Z: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
        """Cotangents ``G`` (rows x tags x tokens x d) of the embedded tokens -> of ``Z``
        (rows x tags x features): ``inputs`` and the token embeddings run backwards."""
        out = torch.zeros(*G.shape[:2], Z.shape[1], dtype=G.dtype)

        def add_state(k: int, gs: torch.Tensor) -> None:
            r = res[k]
            s = states(k, Z)
            out.index_add_(2, r["columns"], (gs * (1 - s * s)[:, None]) @ r["win"])

        for i, (kind, refs) in enumerate(tokens):
            gu = G[:, :, i] @ net.embed[i].weight.detach()  # rows x tags x token input
            if kind == "columns":
                out.index_add_(2, refs, gu)
                continue
            pos = 0
            ks = refs.tolist() if kind in ("concat", "readout") else [int(refs[0])]
            for k in ks:
                gs = 0
                if kind != "states":  # a read-out: r = s @ wout + bout
                    width = res[k]["wout"].shape[1]
                    gs = gu[..., pos : pos + width] @ res[k]["wout"].T
                    pos += width
                if kind in ("both", "states"):
                    units = res[k]["win"].shape[0]
                    gs = gs + gu[..., pos : pos + units]
                    pos += units
                add_state(k, gs)
        return out

    return NetworkView(
        feature_names=tuple(model.feature_names_),
        tag_names=tuple(model.tag_names_),
        tag_score_index=np.asarray(model.tag_score_index_, dtype=np.int64),
        blend=np.asarray(model.blend_weights_, dtype=np.float64),
        transform=lambda X: model.transform_.transform(np.asarray(X, dtype=np.float32)),
        correction=correction,
        own_scale=net.own_scale.detach().numpy().astype(np.float64),
        own_bias=net.own_bias.detach().numpy().astype(np.float64),
        dtype=dtype,
        jacobian=jacobian,
    )
