"""Reservoir bank: reservoirpy reservoirs used as Extreme Learning Machines, with ridge read-outs.

Each reservoir is a reservoirpy 0.4 ``Reservoir`` with spectral radius 0 and leak rate 1, so its
recurrent matrix is zero and a track's state does not depend on the previous row: the state is
``tanh(X @ Win.T + bias)``, computed here as one matrix product with the reservoir's own weights
(stepping reservoirpy row by row would be far too slow). ``Win`` is dense and Gaussian with an
input scaling of ``input_gain / sqrt(n_inputs)``, so pre-activations have a similar spread
whatever the reservoir's width; the bias is Gaussian with sd ``bias_scale``.

Feature partition (:func:`partition_features`): the seed used six reservoirs, each on its own
part of the features. Default ``"class"``: the six parts are spread over the classes in
proportion to their tag counts (two per class for genres / instruments / moods) and each class's
tag scores, ordered by category, are cut into contiguous parts. A category's tags therefore sit
in one reservoir, whose read-out can model the confusions within a category (a punk track lifts
"rock"); relations across categories and classes are left to the Transformer. ``"columns"``
cuts the tag-score columns in their file order instead (for data without a taxonomy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...data.taxonomy import Taxonomy

CHUNK = 8192  # rows per block when computing states (bounds memory)
PARTITIONS = ("class", "columns")


def partition_features(
    feature_names: tuple[str, ...],
    tag_names: tuple[str, ...],
    taxonomy: Taxonomy,
    n_parts: int = 6,
    scheme: str = "class",
) -> list[np.ndarray]:
    """Split the tag-score features into ``n_parts`` non-empty index arrays (see module doc)."""
    if scheme not in PARTITIONS:
        raise ValueError(f"unknown partition {scheme!r}; known: {', '.join(PARTITIONS)}")
    tags = set(tag_names)
    idx = np.array([i for i, f in enumerate(feature_names) if f in tags], dtype=np.int64)
    if idx.size == 0:  # no tag-score columns: partition all features
        idx = np.arange(len(feature_names), dtype=np.int64)
    n_parts = max(1, min(n_parts, idx.size))
    if scheme == "columns":
        return [p for p in np.array_split(idx, n_parts) if p.size]
    tax = taxonomy.subset([feature_names[i] for i in idx])
    classes = np.array(tax.classes)
    categories = np.array(tax.categories)
    class_order = list(dict.fromkeys(tax.classes))
    sizes = np.array([(classes == c).sum() for c in class_order], dtype=np.float64)
    per_class = _apportion(sizes, n_parts)
    parts: list[np.ndarray] = []
    for cls, k in zip(class_order, per_class, strict=True):
        members = np.flatnonzero(classes == cls)
        cat_order = {c: i for i, c in enumerate(dict.fromkeys(categories[members]))}
        members = members[np.argsort([cat_order[c] for c in categories[members]], kind="stable")]
        parts.extend(idx[p] for p in np.array_split(members, k) if p.size)
    return parts


def _apportion(sizes: np.ndarray, total: int) -> list[int]:
    """``total`` parts shared in proportion to ``sizes`` (largest remainder, each at least 1)."""
    n = len(sizes)
    if total <= n:
        out = np.zeros(n, dtype=np.int64)
        out[np.argsort(-sizes, kind="stable")[:total]] = 1
        return out.tolist()
    quota = sizes / sizes.sum() * total
    out = np.maximum(1, np.floor(quota)).astype(np.int64)
    while out.sum() < total:
        out[int(np.argmax(quota - out))] += 1
    while out.sum() > total:
        out[int(np.argmax(np.where(out > 1, out - quota, -np.inf)))] -= 1
    return np.minimum(out, sizes.astype(np.int64)).tolist()


def make_reservoir(n_inputs: int, units: int, seed: int, input_gain: float, bias_scale: float):
    """A reservoirpy ELM reservoir (sr 0, lr 1, dense Gaussian Win and bias), initialised."""
    from reservoirpy.mat_gen import normal
    from reservoirpy.nodes import Reservoir

    reservoir = Reservoir(
        units,
        sr=0.0,
        lr=1.0,
        input_scaling=input_gain / np.sqrt(max(n_inputs, 1)),
        input_connectivity=1.0,
        Win=normal,
        bias=normal(scale=bias_scale),
        seed=seed,
    )
    reservoir.initialize(np.zeros((1, n_inputs)))
    return reservoir


def reservoir_states(X: np.ndarray, win: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """States of an ELM reservoir for every row of ``X``: ``tanh(X @ win.T + bias)`` (float32)."""
    out = np.asarray(X, dtype=np.float32) @ win.T.astype(np.float32, copy=False)
    out += bias.astype(np.float32, copy=False)
    np.tanh(out, out=out)
    return out


@dataclass
class FittedReservoir:
    """One reservoir's input columns, weights and ridge read-out (states -> tags)."""

    name: str
    columns: np.ndarray  # indices into the transformed features
    win: np.ndarray  # (units, n_inputs), from reservoirpy
    bias: np.ndarray  # (units,)
    wout: np.ndarray  # (units, n_tags)
    bout: np.ndarray  # (n_tags,)

    def states(self, Z: np.ndarray) -> np.ndarray:
        return reservoir_states(Z[:, self.columns], self.win, self.bias)

    def readout(self, Z: np.ndarray) -> np.ndarray:
        """The read-out's tag predictions (rows x tags, float32), computed in blocks."""
        out = np.empty((Z.shape[0], self.wout.shape[1]), dtype=np.float32)
        for start in range(0, Z.shape[0], CHUNK):
            s = self.states(Z[start : start + CHUNK])
            out[start : start + CHUNK] = s @ self.wout + self.bout
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}columns": self.columns,
            f"{prefix}win": self.win,
            f"{prefix}bias": self.bias,
            f"{prefix}wout": self.wout,
            f"{prefix}bout": self.bout,
        }

    @classmethod
    def from_arrays(cls, name: str, prefix: str, arrays: dict[str, np.ndarray]) -> FittedReservoir:
        return cls(
            name=name,
            columns=np.asarray(arrays[f"{prefix}columns"], dtype=np.int64),
            win=np.asarray(arrays[f"{prefix}win"], dtype=np.float32),
            bias=np.asarray(arrays[f"{prefix}bias"], dtype=np.float32),
            wout=np.asarray(arrays[f"{prefix}wout"], dtype=np.float32),
            bout=np.asarray(arrays[f"{prefix}bout"], dtype=np.float32),
        )


def fit_reservoir(
    name: str,
    Z: np.ndarray,
    Y: np.ndarray,
    columns: np.ndarray,
    *,
    units: int,
    seed: int,
    input_gain: float = 1.0,
    bias_scale: float = 0.5,
    ridge: float = 1.0,
) -> FittedReservoir:
    """Draw a reservoir on ``Z[:, columns]`` and fit its ridge read-out to the labels ``Y``.

    The read-out solves ``(S'S + ridge * n * I) w = S'Y`` on centred states and labels, with the
    normal equations accumulated block by block (so the states never all sit in memory).
    """
    columns = np.asarray(columns, dtype=np.int64)
    res = make_reservoir(columns.size, units, seed, input_gain, bias_scale)
    win = np.asarray(res.Win, dtype=np.float32)
    bias = np.asarray(res.bias, dtype=np.float32).reshape(-1)
    n = Z.shape[0]
    gram = np.zeros((units, units), dtype=np.float64)
    cross = np.zeros((units, Y.shape[1]), dtype=np.float64)
    s_sum = np.zeros(units, dtype=np.float64)
    for start in range(0, n, CHUNK):
        s = reservoir_states(Z[start : start + CHUNK, columns], win, bias)
        y = Y[start : start + CHUNK].astype(np.float32)
        gram += s.T @ s
        cross += s.T @ y
        s_sum += s.sum(axis=0)
    s_mean = s_sum / n
    y_mean = Y.mean(axis=0, dtype=np.float64)
    gram -= n * np.outer(s_mean, s_mean)
    cross -= n * np.outer(s_mean, y_mean)
    gram[np.diag_indices_from(gram)] += ridge * n / units
    wout = np.linalg.solve(gram, cross)
    bout = y_mean - s_mean @ wout
    return FittedReservoir(
        name=name,
        columns=columns,
        win=win,
        bias=bias,
        wout=wout.astype(np.float32),
        bout=bout.astype(np.float32),
    )
