"""Precision / recall targets a catalogue can promise, with a stated guarantee.

- :mod:`.spec`: a target (``precision>=0.9``), the ``category,metric,target`` CSV, each tag's
  target and the unit sharing its threshold.
- :mod:`.bounds`: the lower confidence bound counting groups (artists), not tracks.
- :mod:`.fit`: :func:`~.fit.fit_targets`, thresholds that keep each tag's target with
  confidence ``1 - delta`` (a Learn-then-Test fixed-sequence test), and the naive choice.
- :mod:`.report`: what ``evaluate`` prints: promised beside realised, per tag.

The ``robust-thresholds`` model's target mode (its parameters) is
:mod:`mewo_core.models.target_mode`. Method and evidence: docs/targets.md.
"""
