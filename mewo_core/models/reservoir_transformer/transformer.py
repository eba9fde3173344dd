"""The Transformer over tokens, with an output that contains the per-tag threshold decision.

Each token has its own input slice of a flat feature vector (a reservoir's read-out output, a
group of transformed tag scores, a class's category scores...), its own linear embedding and a
learned token-type embedding. A pre-norm Transformer encoder lets tokens attend to each other;
the encoded tokens, flattened, give a *correction* per tag. A tag's logit is

    own_t = a_t * z_t + b_t            (z_t: the tag's own transformed score)
    logit_t = own_t + w_t * correction_t

with ``w_t = 1`` in training. ``own_t`` alone is monotone in the tag's score, so thresholding it
is the per-tag threshold benchmark; the correction head starts at zero and is penalised, and
after training ``w_t`` is chosen per tag on validation (see ``blending.py``).
"""

from __future__ import annotations

import torch
from torch import nn


class TagTransformer(nn.Module):
    """Tokens -> self-attention -> per-tag correction, added to each tag's own affine logit."""

    def __init__(
        self,
        token_sizes: list[int],
        token_types: list[int],
        n_tags: int,
        *,
        d_model: int,
        n_heads: int,
        n_layers: int,
        dropout: float,
        ff_mult: int = 2,
    ) -> None:
        """Sizes come from the model's options (``ReservoirTransformer.params``)."""
        super().__init__()
        if len(token_sizes) != len(token_types) or not token_sizes:
            raise ValueError("one type per token, and at least one token")
        self.token_sizes = list(token_sizes)
        bounds = [0]
        for size in token_sizes:
            bounds.append(bounds[-1] + size)
        self.register_buffer("token_types", torch.tensor(token_types, dtype=torch.long))
        self.bounds = bounds
        self.embed = nn.ModuleList(nn.Linear(size, d_model) for size in token_sizes)
        self.type_embedding = nn.Embedding(max(token_types) + 1, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model,
            n_heads,
            dim_feedforward=ff_mult * d_model,
            dropout=dropout,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.correction = nn.Linear(len(token_sizes) * d_model, n_tags)
        nn.init.zeros_(self.correction.weight)
        nn.init.zeros_(self.correction.bias)
        self.own_scale = nn.Parameter(torch.ones(n_tags))
        self.own_bias = nn.Parameter(torch.zeros(n_tags))

    def tokens(self, u: torch.Tensor) -> torch.Tensor:
        """Embedded tokens (batch x tokens x d_model) of the flat inputs ``u``."""
        parts = [emb(u[:, self.bounds[i] : self.bounds[i + 1]]) for i, emb in enumerate(self.embed)]
        return torch.stack(parts, dim=1) + self.type_embedding(self.token_types)

    def forward(self, u: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(own logits, corrections), each batch x tags; the model's logit is their sum."""
        h = self.norm(self.encoder(self.tokens(u)))
        correction = self.correction(self.dropout(h.flatten(1)))
        own = self.own_scale * z + self.own_bias
        return own, correction
