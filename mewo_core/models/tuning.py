"""Which rows a model type is fitted and tuned on: the one owner of that rule.

Training, the app's session (Thresholds, Compare, Track inspector), ``explain`` and ``evaluate``
all read it from here, through the model class's ``tuning`` attribute, so that a page never
names other tuning rows than training used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..data import Dataset, Splits


@dataclass(frozen=True)
class TuningRows:
    """The split parts a model type learns from.

    ``fit``: the part its parameters are fitted on (``"fit"``: train minus validation, or
    ``"train"``). ``tune``: the part its thresholds (and early stopping, kept corrections) are
    tuned on (``"validation"`` or ``"train"``). ``tunes``: False when nothing is tuned on data
    (one fixed threshold).
    """

    fit: str
    tune: str
    tunes: bool = True

    @property
    def separate(self) -> bool:
        """Whether tuning uses a split held out of fitting (``fit(fit_part, validation)``)."""
        return self.fit != self.tune

    def parts(self, splits: Splits) -> tuple[Dataset, Dataset | None]:
        """The ``fit`` and (when separate) ``validation`` datasets to pass to ``model.fit``."""
        fit = getattr(splits, self.fit)
        return fit, (getattr(splits, self.tune) if self.separate else None)

    def tuning_data(self, splits: Splits) -> Dataset:
        """The rows the thresholds were tuned on."""
        return getattr(splits, self.tune)

    def in_sample(self, split: str) -> bool:
        """Whether scoring on ``split`` reads rows the model was tuned on (every part but test:
        validation is the tuning split, or part of train)."""
        return self.tunes and split != "test"

    def describe(self, splits: Splits) -> str:
        """In words, with sizes: what a figure's "tuned on" says."""
        if not self.tunes:
            return "nothing (one fixed threshold)"
        if self.separate:
            return (f"the fit part ({splits.fit.n_tracks:,} tracks) and the validation split "
                    f"({splits.validation.n_tracks:,}: early stopping, which tags keep the "
                    "correction, thresholds)")  # fmt: skip
        return f"all of train ({splits.train.n_tracks:,} tracks, validation included)"


#: Learned models: fitted on the fit part, tuned on the validation split.
LEARNED = TuningRows(fit="fit", tune="validation")
#: Threshold models (the challenge benchmark's definition): everything on all of train.
ON_TRAIN = TuningRows(fit="train", tune="train")
#: One fixed threshold: nothing is tuned.
FIXED = TuningRows(fit="train", tune="train", tunes=False)
