"""The Compare report: readable tables, slices and exports of a :class:`~.evaluation.Comparison`.

UI-free (the Compare page only renders it; tests call it directly):

- display tables: overall, per class, per category and per tag with the delta, its interval led
  by a mark (``▲`` / ``▼``: the interval excludes 0; ``≈``: it does not), support, model and
  reference;
- slices: by tag frequency (positives on the split), by score range (each track's highest tag
  score, in quartile bands) and by group (album / artist), each model vs reference;
- exports: one self-contained HTML file (Plotly figures with plotly.js embedded once, tables as
  HTML) and the tables as CSV (one file each, or a zip), decisions and scores as CSV.
"""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import Dataset, row_max
from ..scoring import bootstrap as bs
from ..scoring.metrics import AVERAGES, TIE, f1_from_counts
from .evaluation import MIN_SUPPORT, Comparison, tag_group_delta

#: Tag-frequency bands: positives of the tag on the split, [low, high).
FREQUENCY_EDGES = (0, 20, 100, 500)
SCORE_BANDS = 4  # quartiles of each track's highest tag score
CLEAR, WORSE, UNCLEAR = "▲", "▼", "≈"
MARKS_HELP = (
    f"{CLEAR} / {WORSE}: the interval of the delta lies above / below 0; {UNCLEAR}: it contains "
    "0 (no clear difference)."
)


def mark(delta: pd.Series, clear: pd.Series) -> pd.Series:
    """▲ / ▼ where the delta's interval excludes 0 (by its sign), ≈ elsewhere."""
    out = np.where(np.asarray(delta) > 0, CLEAR, WORSE)
    return pd.Series(np.where(np.asarray(clear, dtype=bool), out, UNCLEAR), index=delta.index)


def interval_text(low: float, high: float, sign: bool = True) -> str:
    """``+0.045 … +0.052`` (3 decimals: narrow)."""
    return f"{low:+.3f} … {high:+.3f}" if sign else f"{low:.3f} … {high:.3f}"


def _interval_text(low: pd.Series, high: pd.Series, marks: pd.Series | None = None,
                   sign: bool = True) -> pd.Series:  # fmt: skip
    texts = [interval_text(lo, hi, sign) for lo, hi in zip(low, high, strict=True)]
    if marks is not None:
        texts = [f"{m} {t}" for m, t in zip(marks, texts, strict=True)]
    return pd.Series(texts, index=low.index)


def _display(frame: pd.DataFrame, keys: list[str], model: str, reference: str,
             delta: str, sizes: Sequence[str] = ()) -> pd.DataFrame:  # fmt: skip
    """``keys``, delta, its interval (led by its mark), ``sizes``, support, model, reference:
    few, narrow columns, the delta right after the name."""
    out = frame[keys].copy()
    out["delta"] = frame[delta]
    if "delta_low" in frame:
        marks = mark(frame[delta], frame["clear"])
        out["interval"] = _interval_text(frame["delta_low"], frame["delta_high"], marks)
    for column in sizes:
        out[column] = frame[column]
    if "support" in frame:
        out["support"] = frame["support"]
    out["model"] = frame[model]
    out["reference"] = frame[reference]
    return out


def overall_table(comparison: Comparison) -> pd.DataFrame:
    """One row per average: delta, mark, its interval, model and reference with theirs."""
    o = comparison.overall
    out = _display(o, ["average"], "model", "baseline", "delta")
    if "model_low" in o:
        out.insert(out.columns.get_loc("model") + 1, "model_interval",
                   _interval_text(o["model_low"], o["model_high"], sign=False))  # fmt: skip
        out["reference_interval"] = _interval_text(o["baseline_low"], o["baseline_high"],
                                                   sign=False)  # fmt: skip
    return out


def class_table(comparison: Comparison) -> pd.DataFrame:
    """Per class: micro F1 within the class, model vs reference, delta with its interval."""
    return _display(comparison.per_class, ["class"], "f1", "f1_baseline", "delta_f1")


def category_table(comparison: Comparison) -> pd.DataFrame:
    """Per (class, category): micro F1 within the category, model vs reference."""
    frame = comparison.per_category
    return _display(frame, ["category"], "f1", "f1_baseline", "delta_f1", ["class"])


def tag_table(per_tag: pd.DataFrame) -> pd.DataFrame:
    """Per tag (a ``Comparison.per_tag`` frame, possibly filtered): tag, delta first."""
    return _display(per_tag, ["tag"], "f1", "f1_baseline", "delta_f1")


def frequency_bands(
    comparison: Comparison, edges: Sequence[int] = FREQUENCY_EDGES
) -> pd.DataFrame:
    """Tags grouped by their positives on the split (``edges``: band lower bounds): per band the
    tags, positives, micro F1 within the band (model, reference, delta with its interval) and
    macro F1 (the band's mean per-tag F1). A band without tags is left out (a figure of no tags
    would read as a result)."""
    tags = comparison.per_tag
    bounds = [*edges, np.inf]
    names = [
        f"< {bounds[1]}" if i == 0 and lo == 0 else
        (f"≥ {lo}" if np.isinf(hi) else f"{lo}–{hi - 1}")
        for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
    ]  # fmt: skip
    codes = np.searchsorted(np.asarray(edges), tags["support"].to_numpy(), side="right") - 1
    rows = []
    for b, name in enumerate(names):
        inside = tags[codes == b]
        m = {s: _micro(inside, s) for s in ("", "_baseline")}
        rows.append({
            "band": name,
            "n_tags": len(inside),
            "support": int(inside["support"].sum()),
            "f1": m[""],
            "f1_baseline": m["_baseline"],
            "macro_f1": float(inside["f1"].mean()) if len(inside) else 0.0,
            "macro_f1_baseline": float(inside["f1_baseline"].mean()) if len(inside) else 0.0,
        })  # fmt: skip
    out = pd.DataFrame(rows)
    out["delta_f1"] = out["f1"] - out["f1_baseline"]
    if comparison.intervals is not None:
        low, high = bs.percentile_interval(
            tag_group_delta(comparison.intervals, codes, len(names)), comparison.intervals.level
        )
        out["delta_low"], out["delta_high"] = low, high
        out["clear"] = bs.excludes_zero(low, high)
    return out[out["n_tags"] > 0].reset_index(drop=True)


def _micro(tags: pd.DataFrame, suffix: str) -> float:
    tp = tags[f"tp{suffix}"].sum()
    return float(f1_from_counts(tp, tp + tags[f"fp{suffix}"].sum(), tp + tags[f"fn{suffix}"].sum()))


@dataclass(frozen=True)
class TrackSlices:
    """Tracks cut into slices (``codes[i]`` in ``0 .. len(names)-1``) and what the cut means."""

    codes: np.ndarray
    names: list[str]
    title: str


def score_bands(data: Dataset, n_bands: int = SCORE_BANDS) -> TrackSlices:
    """Tracks by their highest tag score (quantile bands of it): confident vs unsure tracks."""
    top = row_max(data.X, data.tag_feature_index) if data.n_tags else np.zeros(data.n_tracks)
    edges = np.unique(np.quantile(top, np.linspace(0, 1, n_bands + 1)[1:-1]))
    codes = np.searchsorted(edges, top, side="right")
    bounds = [float(top.min()), *edges.tolist(), float(top.max())]
    names = [f"{lo:.3g} – {hi:.3g}" for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    return TrackSlices(codes, names, "highest tag score of the track")


def group_slices(data: Dataset, column: str) -> TrackSlices:
    """Tracks by group (one slice per album / artist)."""
    if data.groups is None or column not in data.groups.columns:
        raise ValueError(f"no group column {column!r}")
    uniq, codes = np.unique(data.groups[column].to_numpy(), return_inverse=True)
    return TrackSlices(codes.reshape(-1), [str(u) for u in uniq], column)


def _averages_per_slice(counts: bs.GroupCounts, side: int) -> dict[str, np.ndarray]:
    """The four averages per slice: each slice's summed counts read as one 'replicate'."""
    as_float = (c.astype(np.float64) for c in (counts.true, counts.tp, counts.pred))
    one = bs.Replicates(*as_float, counts.row_f1, counts.rows.astype(np.float64), level=0.95,
                        seed=0, n_groups=counts.n_groups, group_column=None)  # fmt: skip
    return one.averages(side)


def track_slices(
    data: Dataset,
    model_decisions: np.ndarray,
    reference_decisions: np.ndarray,
    slices: TrackSlices,
    *,
    average: str = "weighted",
    groups: np.ndarray | None = None,
    replicates: int = 0,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Per slice of tracks: tracks, positives, ``average`` F1 of model and reference and the
    delta; with ``replicates``, its paired group-bootstrap interval within the slice."""
    return slice_frames(data, model_decisions, reference_decisions, [(slices, replicates)],
                        average=average, groups=groups, level=level, seed=seed)[0]  # fmt: skip


def _units_within(codes: np.ndarray, groups: np.ndarray | None,
                  seed: int) -> tuple[np.ndarray, list[slice]]:  # fmt: skip
    """Each track's resampling unit within its slice (``codes``: dense slice codes), numbered
    slice after slice, and each slice's range of units."""
    units = np.empty(codes.size, dtype=np.int64)
    bounds, offset = [], 0
    for c in range(int(codes.max()) + 1):
        rows = np.flatnonzero(codes == c)
        local = bs.resampling_units(None if groups is None else groups[rows], rows.size, seed)
        units[rows] = offset + (np.arange(rows.size) if local is None else local)
        end = int(units[rows].max()) + 1
        bounds.append(slice(offset, end))
        offset = end
    return units, bounds


def slice_frames(
    data: Dataset,
    model_decisions: np.ndarray,
    reference_decisions: np.ndarray,
    cuts: Sequence[tuple[TrackSlices, int]],
    *,
    average: str = "weighted",
    groups: np.ndarray | None = None,
    level: float = 0.95,
    seed: int = 0,
) -> list[pd.DataFrame]:
    """:func:`track_slices` of each (slices, replicates) of ``cuts``, the tracks counted once:
    at the partition finer than every cut (and than the units its bootstrap draws)."""
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}")
    labels = data.require_labels()
    partitions, plans = [], []
    for slices, replicates in cuts:
        present, dense = np.unique(slices.codes, return_inverse=True)
        dense = dense.reshape(-1)
        units, bounds = _units_within(dense, groups, seed) if replicates else (dense, None)
        partitions.append(units)
        plans.append((present, bounds))
    fine, maps = bs.joint_units(*partitions)
    counts = bs.group_counts(labels, [model_decisions, reference_decisions], units=fine)
    frames = []
    for (slices, replicates), (present, bounds), to_cut in zip(cuts, plans, maps, strict=True):
        per_unit = counts.merged(to_cut)
        per_slice = per_unit
        if bounds is not None:
            sizes = [b.stop - b.start for b in bounds]
            per_slice = per_unit.merged(np.repeat(np.arange(len(bounds)), sizes))
        model = _averages_per_slice(per_slice, 0)[average]
        reference = _averages_per_slice(per_slice, 1)[average]
        out = pd.DataFrame({
            "slice": [slices.names[c] for c in present],
            "tracks": per_slice.rows,
            "positives": per_slice.true.sum(axis=1),
            "model": model,
            "reference": reference,
            "delta": model - reference,
        })  # fmt: skip
        if bounds is not None:
            lows, highs = [], []
            for within in bounds:
                rep = bs.bootstrap(per_unit.take(within), replicates, seed, level)
                delta = rep.averages(0)[average] - rep.averages(1)[average]
                low, high = bs.percentile_interval(delta, level)
                lows.append(float(low))
                highs.append(float(high))
            out["delta_low"], out["delta_high"] = lows, highs
            out["clear"] = bs.excludes_zero(out["delta_low"], out["delta_high"])
        frames.append(out)
    return frames


def group_summary(frame: pd.DataFrame) -> dict[str, int]:
    """How many slices (e.g. albums) the model does better, worse and the same on."""
    delta = frame["delta"].to_numpy()
    better, worse = int((delta > TIE).sum()), int((delta < -TIE).sum())
    return {"better": better, "worse": worse, "equal": int(delta.size) - better - worse}


def slice_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`track_slices` or :func:`frequency_bands` frame for display: delta first."""
    if "band" in frame:
        return _display(frame, ["band"], "f1", "f1_baseline", "delta_f1", ["n_tags"])
    keep = frame.rename(columns={"positives": "support"})
    return _display(keep, ["slice"], "model", "reference", "delta", ["tracks"])


# --- the whole report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CompareReport:
    """Everything the Compare page shows for one comparison, as raw tables (for CSV) and their
    display forms; :meth:`html` is the self-contained export."""

    title: str
    captions: list[str]
    comparison: Comparison
    tables: dict[str, pd.DataFrame]
    min_support: int
    average: str

    def display(self, name: str) -> pd.DataFrame:
        """The display form of table ``name`` (delta first, marks, intervals as text)."""
        c = self.comparison
        if name == "overall":
            return overall_table(c)
        if name == "per_class":
            return class_table(c)
        if name == "per_category":
            return category_table(c)
        if name in ("per_tag", "won", "lost"):
            return tag_table(self.tables[name])
        return slice_table(self.tables[name])

    def figures(self) -> list[tuple[str, object]]:
        """(heading, figure) of the deltas with their intervals."""
        from .. import plots

        t = self.tables
        out: list[tuple[str, object]] = [
            ("Delta per class", plots.interval_bars(t["per_class"], "class",
                                                    "F1 per class: A − B", "delta_f1")),
            ("Delta per category", plots.interval_bars(t["per_category"], "category",
                                                       "F1 per category: A − B", "delta_f1")),
        ]  # fmt: skip
        for name, heading in (("won", "Tags won most"), ("lost", "Tags lost most")):
            if len(t[name]):
                out.append((heading, plots.interval_bars(
                    t[name], "tag", f"{heading} (tags with ≥ {self.min_support} positives)",
                    "delta_f1")))  # fmt: skip
        return out

    def html(self) -> str:
        sections: list[tuple[str, object]] = [("Overall", self.display("overall"))]
        headings = {
            "per_class": "Per class (micro F1 within the class)",
            "per_category": "Per category (micro F1 within the category)",
            "frequency_bands": "By tag frequency (positives on the split)",
            "score_bands": f"By score range ({self.average} F1; tracks by their highest score)",
            "groups": f"By group ({self.average} F1 per group, worst first)",
            "won": f"Tags won most (≥ {self.min_support} positives)",
            "lost": f"Tags lost most (≥ {self.min_support} positives)",
            "per_tag": "Every tag",
        }
        figures = dict(self.figures())
        for name, heading in headings.items():
            if name in self.tables:
                sections.append((heading, self.display(name)))
        sections += list(figures.items())
        return report_html(self.title, [*self.captions, MARKS_HELP], sections)

    def csv_zip(self) -> bytes:
        return tables_zip(self.tables)


def build_report(
    comparison: Comparison,
    data: Dataset,
    model_decisions: np.ndarray,
    reference_decisions: np.ndarray,
    *,
    title: str,
    groups: np.ndarray | None = None,
    slice_column: str | None = None,
    average: str = "weighted",
    min_support: int = MIN_SUPPORT,
    top: int = 15,
    replicates: int = 0,
    level: float = 0.95,
    seed: int = 0,
    slices: dict[str, pd.DataFrame] | None = None,
) -> CompareReport:
    """The Compare report of ``comparison`` (of these decisions on ``data``): the tables, the
    slices (``groups``: the bootstrap's group labels; ``slice_column``: the groups sliced by)
    and the won / lost lists among tags with ``min_support`` positives or more. ``slices``: the
    :func:`slice_tables` of these arguments when already computed."""
    if slices is None:
        slices = slice_tables(data, model_decisions, reference_decisions, groups=groups,
                              slice_column=slice_column, average=average,
                              replicates=replicates, level=level, seed=seed)  # fmt: skip
    won, lost = comparison.won_lost(top, min_support)
    tables = {
        "overall": comparison.overall,
        "per_class": comparison.per_class,
        "per_category": comparison.per_category,
        "frequency_bands": frequency_bands(comparison),
        "score_bands": slices["score_bands"],
        "won": won,
        "lost": lost,
        "per_tag": comparison.per_tag,
    }
    if "groups" in slices:
        tables["groups"] = slices["groups"]
    return CompareReport(title, comparison.captions(), comparison, tables, min_support, average)


def slice_tables(
    data: Dataset,
    model_decisions: np.ndarray,
    reference_decisions: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    slice_column: str | None = None,
    average: str = "weighted",
    replicates: int = 0,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """The report's slices, the tracks counted once for all: ``score_bands`` (with its
    bootstrap intervals, ``groups`` the resampling groups) and, with ``slice_column``,
    ``groups`` (sorted by delta)."""
    cuts = {"score_bands": (score_bands(data), replicates)}
    if slice_column is not None:
        cuts["groups"] = (group_slices(data, str(slice_column)), 0)
    frames = dict(zip(cuts, slice_frames(data, model_decisions, reference_decisions,
                                         list(cuts.values()), average=average, groups=groups,
                                         level=level, seed=seed), strict=True))  # fmt: skip
    if "groups" in frames:
        frames["groups"] = frames["groups"].sort_values("delta", kind="stable").reset_index(
            drop=True
        )
    return frames


# --- exports ------------------------------------------------------------------------------------


def report_html(
    title: str,
    captions: Sequence[str],
    sections: Sequence[tuple[str, object]],
) -> str:
    """A self-contained HTML page: ``sections`` of (heading, a Plotly figure or a DataFrame or a
    text), plotly.js embedded once (the first figure), so the file opens offline."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}th{background:#eee}td:first-child{text-align:left}"
        "</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(f"<p>{html.escape(c)}</p>" for c in captions),
    ]
    plotly_included = False
    for heading, content in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if isinstance(content, pd.DataFrame):
            parts.append(content.to_html(index=False, float_format="{:.4f}".format, border=0))
        elif hasattr(content, "to_html"):
            parts.append(content.to_html(full_html=False, include_plotlyjs=not plotly_included))
            plotly_included = True
        else:
            parts.append(f"<p>{html.escape(str(content))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def tables_zip(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The tables as CSV files (``<name>.csv``) in one zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            archive.writestr(f"{name}.csv", csv_bytes(frame))
    return buffer.getvalue()


def scores_csv(data: Dataset, scores: np.ndarray) -> bytes:
    """Decision scores in the challenge's shape (ChallengeID then one column per tag)."""
    frame = pd.DataFrame(np.asarray(scores), columns=list(data.tag_names))
    frame.insert(0, "ChallengeID", data.ids)
    return frame.to_csv(index=False, float_format="%.6g").encode()


__all__ = [
    "CLEAR",
    "CompareReport",
    "build_report",
    "slice_tables",
    "FREQUENCY_EDGES",
    "MARKS_HELP",
    "MIN_SUPPORT",
    "TrackSlices",
    "category_table",
    "class_table",
    "csv_bytes",
    "interval_text",
    "frequency_bands",
    "group_slices",
    "group_summary",
    "mark",
    "overall_table",
    "report_html",
    "score_bands",
    "scores_csv",
    "slice_frames",
    "slice_table",
    "tables_zip",
    "tag_table",
    "track_slices",
]
