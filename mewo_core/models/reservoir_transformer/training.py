"""Stage 2: train the Transformer (BCE with pos_weight or focal loss, AdamW, early stopping).

Early stopping watches the validation split's weighted F1 at per-tag F1-optimal thresholds (the
decision the model will make); the best epoch's weights are kept. One progress event per epoch.

The figure reported per epoch (:data:`PROGRESS_METRIC`) is the network alone (its correction on
every tag, no per-tag fallback) with thresholds fitted on the same validation rows it is scored
on: in-sample, so usually above what the saved model scores on validation (its final decisions: the
fallback on most tags, robust thresholds) and on test. It only ranks epochs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ...errors import TrainingError
from ...scoring.counts import counts_at
from ...scoring.metrics import f1_score
from ...scoring.thresholds import f1_optimal_thresholds
from ..base import ProgressCallback, ProgressEvent
from .records import LOSSES, TrainHistory

#: The per-epoch progress figure's name: what it is, in words (see the module docstring).
PROGRESS_METRIC = "val weighted F1 (network alone, thresholds fitted on val: in-sample)"


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings of stage 2. The model's options (``ReservoirTransformer.params``)
    own the defaults of the required fields; the last two are fixed constants."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    correction_l2: float
    loss: str
    patience: int
    seed: int
    focal_gamma: float = 2.0
    pos_weight_power: float = 0.5


# Rows per forward pass at inference. 2,048 gave the same bits as 8,192 on the demo's 22,738 test
# tracks, ran ~20 % faster (cache-sized temporaries) and needs a quarter of the memory per pass.
INFERENCE_BATCH = 2048


def predict_parts(
    model: nn.Module, u: np.ndarray, z: np.ndarray, batch: int = INFERENCE_BATCH
) -> tuple[np.ndarray, np.ndarray]:
    """(own logits, corrections) for numpy inputs, in evaluation mode, in ``batch``-row passes."""
    model.eval()
    own = np.empty((u.shape[0], z.shape[1]), dtype=np.float32)
    corr = np.empty_like(own)
    with torch.inference_mode():
        for start in range(0, u.shape[0], batch):
            o, c = model(
                torch.from_numpy(u[start : start + batch]),
                torch.from_numpy(z[start : start + batch]),
            )
            own[start : start + batch] = o.numpy()
            corr[start : start + batch] = c.numpy()
    return own, corr


def _loss(
    logits: torch.Tensor, y: torch.Tensor, pos_weight: torch.Tensor, settings: TrainSettings
) -> torch.Tensor:
    if settings.loss == "bce":
        return nn.functional.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight)
    bce = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
    p_true = torch.exp(-bce)
    weight = torch.where(y > 0, pos_weight, torch.ones_like(pos_weight))
    return (weight * (1 - p_true) ** settings.focal_gamma * bce).mean()


def train_transformer(
    model: nn.Module,
    fit: tuple[np.ndarray, np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray, np.ndarray],
    settings: TrainSettings,
    progress: ProgressCallback | None = None,
) -> TrainHistory:
    """Train ``model`` in place on ``fit`` = (u, z, y); keep the best epoch on ``validation``."""
    if settings.loss not in LOSSES:
        raise TrainingError(f"unknown loss {settings.loss!r}; known: {', '.join(LOSSES)}")
    u, z, y = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in fit)
    u_val, z_val, y_val = validation
    n = u.shape[0]
    prevalence = y.mean(dim=0).clamp(min=1.0 / max(n, 1))
    pos_weight = ((1 - prevalence) / prevalence).clamp(1.0, 1e4) ** settings.pos_weight_power
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    steps_per_epoch = max(1, -(-n // settings.batch_size))
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=settings.lr, total_steps=steps_per_epoch * max(settings.epochs, 1)
    )
    generator = torch.Generator().manual_seed(settings.seed)
    history = TrainHistory()
    own, corr = predict_parts(model, u_val, z_val)
    best_f1 = _val_f1(own + corr, y_val)
    best_state = copy.deepcopy(model.state_dict())
    stale = 0
    _emit(progress, 0, settings.epochs, {PROGRESS_METRIC: best_f1})
    for epoch in range(1, settings.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, settings.batch_size):
            rows = order[start : start + settings.batch_size]
            o, c = model(u[rows], z[rows])
            loss = _loss(o + c, y[rows], pos_weight, settings)
            loss = loss + settings.correction_l2 * (c**2).mean()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            total += float(loss.detach()) * rows.numel()
        own, corr = predict_parts(model, u_val, z_val)
        f1 = _val_f1(own + corr, y_val)
        history.loss.append(total / n)
        history.val_f1.append(f1)
        if f1 > best_f1:
            best_f1, history.best_epoch, stale = f1, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        done = stale >= settings.patience
        step = settings.epochs if done else epoch
        _emit(progress, step, settings.epochs, {"loss": total / n, PROGRESS_METRIC: f1})
        if done:
            break
    model.load_state_dict(best_state)
    model.eval()
    return history


def _val_f1(logits: np.ndarray, y: np.ndarray) -> float:
    """Weighted F1 with each tag at its F1-optimal threshold on these rows."""
    counts = counts_at(logits, y, f1_optimal_thresholds(logits, y), rows=False)
    return f1_score(counts, "weighted")


def _emit(
    progress: ProgressCallback | None, step: int, total: int, metrics: dict[str, float]
) -> None:
    if progress is not None:
        progress(ProgressEvent("transformer", step, total, f"epoch {step}/{total}", metrics))
