"""The training loop's names and record, without torch (``training.py`` imports torch): checking
a model's parameters and loading a saved one need them, and need no torch when the network is
not used."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Training losses of the Transformer (``training.py``).
LOSSES = ("bce", "focal")


@dataclass
class TrainHistory:
    """Per-epoch training loss and validation weighted F1; the epoch kept."""

    loss: list[float] = field(default_factory=list)
    val_f1: list[float] = field(default_factory=list)
    best_epoch: int = 0
