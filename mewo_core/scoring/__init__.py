"""Scoring: from scores to decisions to metrics.

- :mod:`.counts`: :class:`~.counts.DecisionCounts`, the one counts type (per tag, per track).
- :mod:`.metrics`: every F1 from counts (four averages, per tag, per group of tags).
- :mod:`.space`: the score space (one clipped logit, one sigmoid).
- :mod:`.thresholds`: exact F1-optimal threshold search (per tag, global, per group of tags).
"""
