"""Plotly figure builders for the dashboard: pure functions of arrays and frames, no UI.

Every builder aggregates or subsamples so a figure carries at most about
:data:`MAX_POINTS` points to the browser. One module per view; everything public is
re-exported here (``from mewo_core import plots; plots.heatmap(...)``).
"""

from .base import CLASS_COLORS, MAX_POINTS, SERIES_COLORS
from .compare import delta_bars, grouped_bars, interval_bars
from .correlations import LABEL_PLOT_WIDTH, TAG_HEATMAP_CELLS, category_heatmap, heatmap
from .data import score_histograms, tag_frequencies, tags_per_track
from .review import budget_curve_figure, reliability_figure
from .thresholds import category_f1_bars, f1_threshold_curve, pr_curve, threshold_shift
from .tracks import PROFILE_ROW_PX, PROFILE_TICK_ANGLE, profile_label_px, track_profile

__all__ = [
    "CLASS_COLORS",
    "LABEL_PLOT_WIDTH",
    "MAX_POINTS",
    "PROFILE_ROW_PX",
    "PROFILE_TICK_ANGLE",
    "SERIES_COLORS",
    "TAG_HEATMAP_CELLS",
    "budget_curve_figure",
    "category_f1_bars",
    "category_heatmap",
    "delta_bars",
    "f1_threshold_curve",
    "grouped_bars",
    "heatmap",
    "interval_bars",
    "pr_curve",
    "reliability_figure",
    "profile_label_px",
    "score_histograms",
    "tag_frequencies",
    "tags_per_track",
    "threshold_shift",
    "track_profile",
]
