"""Robust per-tag thresholds: fitted on training data, judged on held-out data.

- :mod:`.estimators`: the estimators (benchmark, global, category, micro-tag, bootstrap,
  shrinkage) and the space they work in.
- :mod:`.candidates`: :class:`~.candidates.Candidate`, one setting of an estimator, and the
  per-training-set :class:`~.candidates.FitContext` that fits it.
- :mod:`.selection`: ``auto``, the grouped cross-validated choice, and the entry points
  :func:`~.selection.fit_thresholds` / :func:`~.selection.fit_robust`.

The ``robust-thresholds`` decision model is :class:`mewo_core.models.robust.RobustThresholds`.
"""
