"""Scoring: from scores to decisions to metrics.

- :mod:`.space`: the score space (one clipped logit, one sigmoid).
- :mod:`.thresholds`: exact F1-optimal threshold search (per tag, global, per group of tags).
"""
