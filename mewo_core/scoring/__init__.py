"""Scoring: from scores to decisions to metrics.

- :mod:`.thresholds`: exact F1-optimal threshold search (per tag, global, per group of tags).
"""
