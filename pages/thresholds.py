"""Thresholds: move thresholds with sliders and see the metrics change live; save or download.

CLI equivalents: ``python -m mewo_core evaluate --model artifacts/NAME`` on a saved threshold set,
``python -m mewo_core predict --model artifacts/NAME --x x_test.csv --out decisions.csv``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mewo_core import plots
from mewo_core.artifacts import next_free_name, save_threshold_set
from mewo_core.data.io import decisions_csv
from mewo_core.errors import MewoError
from mewo_core.evaluation import evaluate_decisions
from mewo_core.locations import artifacts_root
from mewo_core.threshold_explorer import Adjustments, compose_thresholds
from pages import _shared

AVERAGES = (("weighted", "Weighted F1"), ("micro", "Micro F1"), ("macro", "Macro F1"),
            ("samples", "Samples F1"))


METHODS = {
    "As tuned in the artifact": None,
    "Robust: automatic choice (grouped CV)": "auto",
    "Robust: shrinkage toward the category": "shrinkage",
    "Robust: group bootstrap": "bootstrap",
    "Robust: one per category": "category",
    "Robust: one global threshold": "global",
    "Benchmark: per-tag F1 optimum": "benchmark",
}


st.title("Thresholds")
ctx = _shared.context()
data = ctx.data
if ctx.split == "test":
    st.warning("You are tuning while looking at the test split: its figures become optimistic. "
               "Tune on the validation split (sidebar), then check the result on test.")

options = ["Baseline"] if ctx.is_baseline else [ctx.model_label, "Baseline"]
target = st.radio("Thresholds of", options, horizontal=True, key="thr_target")
which = "baseline" if target == "Baseline" or ctx.is_baseline else "model"
explorer = ctx.explorer(which)
m1, m2 = st.columns([2, 1])
method_label = m1.selectbox("Threshold method", list(METHODS), key="thr_method",
                            help="Where the sliders start from; robust methods are fitted on the "
                            "data the thresholds are tuned on (train for the baseline, "
                            "validation for a model)")
method = METHODS[method_label]
metric = m2.selectbox("Target metric", ["weighted", "micro", "macro", "samples"], key="thr_metric",
                      disabled=method is None)
effect = None
if method is None:
    tuned = ctx.thresholds(which)
    base_name = "tuned"
else:
    with st.spinner("Fitting robust thresholds (grouped, can take a while)…"):
        effect = ctx.session.robust_effect(which, method, metric)
    tuned = effect["robust"].to_numpy(dtype=np.float64)
    base_name = f"{method}-{metric}"
prefix = ctx.key("thr", which)
overrides: dict[str, float] = st.session_state.setdefault(prefix + ":tags", {})

# --- slider ranges from the scores' scale -----------------------------------------------------
ranges = explorer.score_ranges
span = float(np.median(ranges[:, 1] - ranges[:, 0])) or 1.0
offset_max = round(0.5 * span, 4)
offset_step = max(round(span / 400, 5), 1e-5)


def _reset() -> None:
    """Offsets back to 0 (set, not deleted: the browser would send the moved thumb back) and
    per-tag changes dropped (their sliders follow the tuned value again on the next run)."""
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        if key == prefix + ":global" or key.startswith((prefix + ":class:", prefix + ":cat:")):
            st.session_state[key] = 0.0
    st.session_state[prefix + ":tags"] = {}


def _remember_tag(tag: str, key: str) -> None:
    st.session_state.setdefault(prefix + ":tags", {})[tag] = float(st.session_state[key])


classes = list(dict.fromkeys(data.tag_classes))
categories = list(dict.fromkeys(data.tag_categories))

controls, view = st.columns([1, 2], gap="large")
with controls:
    st.button("Reset to tuned", on_click=_reset, help="Drop every offset and per-tag change")
    glob = st.slider(
        "Global offset", -offset_max, offset_max, 0.0, offset_step, key=prefix + ":global",
        format="%.4f", help="Added to every tuned threshold",
    )
    with st.expander("Offsets per class"):
        class_off = {
            c: st.slider(f"Class {c}", -offset_max, offset_max, 0.0, offset_step,
                         key=f"{prefix}:class:{c}", format="%.4f")
            for c in classes
        }
    with st.expander("Offsets per category"):
        cat_off = {
            c: st.slider(f"Category {c}", -offset_max, offset_max, 0.0, offset_step,
                         key=f"{prefix}:cat:{c}", format="%.4f")
            for c in categories
        }
    adjust = Adjustments(glob, class_off, cat_off, dict(overrides))
    before_tag = compose_thresholds(
        tuned, data.tag_names, data.tag_classes, data.tag_categories,
        Adjustments(glob, class_off, cat_off, {}),
    )
    tag = st.selectbox("Tag (type to search)", list(data.tag_names), key=prefix + ":chosen")
    t = data.tag_names.index(tag)
    lo, hi = float(ranges[t][0]), float(ranges[t][1])
    if np.isfinite(before_tag[t]):  # the tuned value may lie outside this split's scores
        lo, hi = min(lo, float(before_tag[t])), max(hi, float(before_tag[t]))
    hi = max(hi, lo + 1e-6)
    tag_key = f"{prefix}:tag:{tag}"
    if np.isfinite(tuned[t]):
        current = overrides.get(tag, float(np.clip(before_tag[t], lo, hi)))
        step = max((hi - lo) / 500, 1e-6)
        if tag not in overrides or tag_key not in st.session_state:
            st.session_state[tag_key] = float(np.clip(current, lo, hi))
        st.slider(
            "Threshold of the chosen tag", float(lo), float(hi), step=float(step),
            key=tag_key, format="%.4f", on_change=_remember_tag, args=(tag, tag_key),
            help="Sets this tag's threshold exactly (offsets no longer apply to it)",
        )
    else:
        st.info(f"{tag} is never predicted (no score column or no positive in train).")
    if overrides:
        st.caption(f"{len(overrides)} tag(s) set individually: " + ", ".join(sorted(overrides)[:8]))

thresholds = compose_thresholds(tuned, data.tag_names, data.tag_classes, data.tag_categories,
                                adjust)
result = explorer.evaluate(thresholds)
tuned_result = ctx.session.tuned_result(which, ctx.split, base_name, tuned)

with view:
    st.caption(
        f"{target} on the {ctx.split} split ({data.n_tracks:,} tracks, {data.n_tags} tags); "
        f"deltas against the starting ({base_name}) thresholds."
    )
    cols = st.columns(4)
    for col, (key, label) in zip(cols, AVERAGES, strict=True):
        change = result.overall[key] - tuned_result.overall[key]
        col.metric(label, f"{result.overall[key]:.4f}",
                   delta=f"{change:+.4f}" if abs(change) >= 5e-5 else None)
    per_cat = result.per_category.merge(
        tuned_result.per_category[["class", "category", "f1"]], on=["class", "category"],
        suffixes=("", "_tuned"),
    )
    st.plotly_chart(plots.grouped_bars(per_cat, "category", {"current": "f1",
                                                             "tuned": "f1_tuned"},
                                       "F1 per category (micro within the category)"))
    row = result.per_tag.iloc[t]
    curve = explorer.curve(t)
    left, right = st.columns(2)
    current_point = (float(row["recall"]), float(row["precision"])) if row["predicted"] else None
    left.plotly_chart(plots.pr_curve(curve, current_point, tag))
    right.plotly_chart(plots.f1_threshold_curve(curve, float(thresholds[t]), float(tuned[t]), tag))
    st.caption(
        f"{tag}: threshold {thresholds[t]:.4f} (tuned {tuned[t]:.4f}), {int(row['support'])} "
        f"positives, {int(row['predicted'])} predicted, precision {row['precision']:.3f}, "
        f"recall {row['recall']:.3f}, F1 {row['f1']:.3f}"
    )

if effect is not None:
    with st.expander(f"Per-tag effect of the {method} thresholds ({metric} F1) vs the benchmark",
                     expanded=True):
        shown = effect.assign(change=effect["robust"] - effect["benchmark"])
        left, right = st.columns(2)
        left.plotly_chart(plots.threshold_shift(shown, "Robust vs benchmark threshold per tag"))
        order = shown.assign(size=shown["change"].abs()).sort_values("size", ascending=False)
        right.dataframe(order.drop(columns="size"), hide_index=True, height=420)
        st.caption("Each tag's threshold on the tuning data; rare tags (few positives) move most.")

st.subheader("Save or download")
root = artifacts_root()
base = ctx.model_label if which == "model" else "baseline-thresholds"
save_col, download_col = st.columns(2)
with save_col:
    name = st.text_input("New artifact name", value=next_free_name(root, base),
                         key=prefix + ":name")
    if st.button("Save threshold set as a new artifact", key=prefix + ":save"):
        try:
            test = ctx.split_data("test")
            scores = ctx.model_scores("test") if which == "model" else ctx.baseline_scores("test")
            metrics = {"test": evaluate_decisions(test, scores >= thresholds).overall,
                       "split": {"test": test.n_tracks},
                       "tuned_while_viewing": ctx.split}
            model = ctx.baseline if which == "baseline" else ctx.model
            path = save_threshold_set(
                model, thresholds, root, name.strip(), parent=base, parent_manifest=ctx.manifest,
                metrics=metrics, data_fingerprint=ctx.bundle.train.fingerprint,
                data_folder=ctx.bundle.folder,
            )
            _shared.notify_saved(path.name, f"Saved {path} (test weighted F1 "
                                 f"{metrics['test']['weighted']:.4f}); it is now the Model.")
        except MewoError as exc:
            _shared.show_error(exc)
with download_col:

    def _decisions_csv() -> bytes:
        test = ctx.split_data("test")
        scores = ctx.model_scores("test") if which == "model" else ctx.baseline_scores("test")
        return decisions_csv(test, scores >= thresholds)

    st.download_button(
        "Download test decisions (CSV)", data=_decisions_csv, file_name="y_test_decisions.csv",
        mime="text/csv", on_click="ignore",
        help="ChallengeID then one 0/1 column per tag, at the current thresholds",
    )

with st.expander("Per-tag table at the current thresholds"):
    shown = result.per_tag.assign(tuned=tuned, f1_tuned=tuned_result.per_tag["f1"])
    st.dataframe(shown, hide_index=True, height=360)
