"""Which tokens a variant feeds the Transformer, and the flat input vector they are cut from.

Token kinds: ``readout`` (one reservoir's ridge read-out output, one value per tag),
``states`` (its states, for a learned projection), ``both`` (the two side by side), ``concat``
(several reservoirs' read-out outputs concatenated into one token: the seed's original design)
and ``columns`` (transformed input columns taken directly: a tag-score group, all features, or a
class's category scores). Token types (learned embeddings): part, all, category, concat.

Variants:

=====================  =========================================================================
``tokens``             one token per part reservoir + the all-features reservoir + category tokens
``concat``             the seed: the part reservoirs' outputs concatenated into one token
``transformer-only``   no reservoirs: each part's scores, all features, category scores as tokens
``tokens-no-all``      ``tokens`` without the all-features reservoir
``tokens-no-category`` ``tokens`` without the category tokens
``seed-final``         the seed authors' final design: one reservoir per class, their read-outs
                       concatenated into one token, beside the original inputs as one token
                       (their other settings, 100 units and 2 layers, are options:
                       ``units=100, n_layers=2``)
=====================  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .reservoirs import FittedReservoir

VARIANTS = (
    "tokens", "concat", "transformer-only", "tokens-no-all", "tokens-no-category", "seed-final"
)
KINDS = ("readout", "concat", "columns", "states", "both")
SOURCES = ("readout", "states", "both")
TYPES = ("part", "all", "category", "concat")


@dataclass(frozen=True)
class VariantSpec:
    """What a variant is made of."""

    reservoirs: bool
    concat: bool
    use_all: bool
    use_category: bool
    inputs: bool = False  # the transformed input columns as one token beside the reservoirs'
    one_per_class: bool = False  # one reservoir per class (overrides n_parts)


def variant_spec(variant: str) -> VariantSpec:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    if variant == "seed-final":
        return VariantSpec(
            reservoirs=True, concat=True, use_all=False, use_category=False,
            inputs=True, one_per_class=True,
        )  # fmt: skip
    return VariantSpec(
        reservoirs=variant != "transformer-only",
        concat=variant == "concat",
        use_all=variant not in ("concat", "tokens-no-all"),
        use_category=variant not in ("concat", "tokens-no-category"),
    )


@dataclass(frozen=True)
class Token:
    """One token: its kind, type, and references (reservoir indices or feature columns)."""

    kind: str
    type: str
    refs: np.ndarray


def build_layout(
    spec: VariantSpec,
    parts: list[np.ndarray],
    n_features: int,
    category_groups: list[np.ndarray],
    source: str = "both",
) -> tuple[list[Token], list[tuple[str, np.ndarray]]]:
    """(tokens, reservoirs to fit as (name, columns)) for a variant.

    ``source``: what a reservoir token is built from (``readout``, ``states`` or ``both``).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown token source {source!r}; known: {', '.join(SOURCES)}")
    all_cols = np.arange(n_features, dtype=np.int64)
    reservoirs: list[tuple[str, np.ndarray]] = []
    tokens: list[Token] = []
    if spec.reservoirs:
        reservoirs = [(f"part{k}", cols) for k, cols in enumerate(parts)]
        if spec.concat:
            tokens.append(Token("concat", "concat", np.arange(len(parts), dtype=np.int64)))
        else:
            tokens += [Token(source, "part", np.array([k])) for k in range(len(parts))]
        if spec.use_all:
            reservoirs.append(("all", all_cols))
            tokens.append(Token(source, "all", np.array([len(reservoirs) - 1])))
        if spec.inputs:
            tokens.append(Token("columns", "all", all_cols))
    else:
        tokens += [Token("columns", "part", cols) for cols in parts]
        if spec.use_all:
            tokens.append(Token("columns", "all", all_cols))
    if spec.use_category:
        tokens += [Token("columns", "category", cols) for cols in category_groups if cols.size]
    return tokens, reservoirs


def token_sizes(tokens: list[Token], n_tags: int, reservoirs: list[FittedReservoir]) -> list[int]:
    sizes = []
    for tok in tokens:
        if tok.kind == "columns":
            sizes.append(tok.refs.size)
            continue
        units = sum(reservoirs[int(k)].win.shape[0] for k in tok.refs)
        readouts = n_tags * tok.refs.size
        sizes.append(
            {"readout": readouts, "concat": readouts, "states": units}.get(
                tok.kind, readouts + units
            )
        )
    return sizes


def token_inputs(
    tokens: list[Token], reservoirs: list[FittedReservoir], Z: np.ndarray, n_tags: int
) -> np.ndarray:
    """The flat input (rows x sum of token sizes, float32) of ``tokens`` for transformed ``Z``."""
    if all(tok.kind == "columns" for tok in tokens):  # one gather (same values, far faster)
        columns = np.concatenate([tok.refs for tok in tokens])
        return np.take(np.asarray(Z, dtype=np.float32), columns, axis=1)
    sizes = token_sizes(tokens, n_tags, reservoirs)
    out = np.empty((Z.shape[0], sum(sizes)), dtype=np.float32)
    start = 0
    for tok, size in zip(tokens, sizes, strict=True):
        block = out[:, start : start + size]
        if tok.kind == "columns":
            block[:] = Z[:, tok.refs]
        elif tok.kind == "concat":
            for i, k in enumerate(tok.refs):
                block[:, i * n_tags : (i + 1) * n_tags] = reservoirs[int(k)].readout(Z)
        else:
            res = reservoirs[int(tok.refs[0])]
            states = res.states(Z) if tok.kind != "readout" else None
            if tok.kind == "states":
                block[:] = states
            elif tok.kind == "readout":
                block[:] = res.readout(Z)
            else:
                block[:, :n_tags] = states @ res.wout + res.bout
                block[:, n_tags:] = states
        start += size
    return out


def layout_arrays(tokens: list[Token]) -> dict[str, np.ndarray]:
    arrays = {
        "token_kind": np.array([KINDS.index(t.kind) for t in tokens], dtype=np.int64),
        "token_type": np.array([TYPES.index(t.type) for t in tokens], dtype=np.int64),
    }
    for i, tok in enumerate(tokens):
        arrays[f"token{i}_refs"] = tok.refs.astype(np.int64)
    return arrays


def layout_from_arrays(arrays: dict[str, np.ndarray]) -> list[Token]:
    kinds, types = arrays["token_kind"], arrays["token_type"]
    return [
        Token(KINDS[int(k)], TYPES[int(t)], np.asarray(arrays[f"token{i}_refs"], dtype=np.int64))
        for i, (k, t) in enumerate(zip(kinds, types, strict=True))
    ]
