"""Thresholds: move thresholds with sliders and see the metrics change live; save or download.

CLI equivalents: ``python -m mewo_core evaluate --model artifacts/NAME`` on a saved threshold set,
``python -m mewo_core predict --model artifacts/NAME --x x_test.csv --out decisions.csv``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mewo_core import plots
from mewo_core.artifacts import next_free_name, save_threshold_set
from mewo_core.compare.evaluation import evaluate_decisions
from mewo_core.data.io import decisions_csv
from mewo_core.errors import MewoError
from mewo_core.locations import artifacts_root
from mewo_core.scoring.explorer import Adjustments, compose_thresholds, offset_range, tag_range
from mewo_core.targets.report import target_report_from_counts
from pages import _artifacts, _context

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
    "Target: promise a precision or recall": "target",
}
TARGET = "target"


SHOWN, BEFORE, REFERENCE = "thr_shown", "thr_before", "thr_reference"
PANEL_HEIGHT = 420  # px: the sliders scroll inside; with the cards above, both fit one screen
CURVE_POINTS = 300  # per curve: finer than the chart's pixels; every point is redrawn per move


def _offset_key(prefix: str, kind: str, group: str) -> str:
    """The session-state key of one class (``kind`` "class") or category ("cat") offset."""
    return f"{prefix}:{kind}:{group}"


def _group_offset_keys(prefix: str) -> list[str]:
    """The keys of every class and category offset of the thresholds under ``prefix``."""
    return [_offset_key(prefix, kind, group)
            for kind, names in (("class", data.tag_classes), ("cat", data.tag_categories))
            for group in dict.fromkeys(names)]  # fmt: skip


def _zero_offsets(keys: list[str]) -> None:
    """Offsets back to 0 (set, not deleted: the browser would send a moved thumb back)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = 0.0


def _setting_changed() -> None:
    """The method or target metric changed: keep what the cards showed, to compare against.
    Class and category offsets go back to 0, as a drawn slider does when its range changes
    (those in a closed expander would otherwise go on applying, unseen, to new thresholds)."""
    if SHOWN in st.session_state:
        st.session_state[BEFORE] = dict(st.session_state[SHOWN])
        st.session_state[REFERENCE] = "before"
    for side in ("model", "baseline"):
        _zero_offsets(_group_offset_keys(ctx.key("thr", side)))


st.title("Thresholds")
ctx = _context.context()
data = ctx.data
if ctx.split == "test":
    st.warning("You are tuning while looking at the test split: its figures become optimistic. "
               "Tune on the validation split (sidebar), then check the result on test.")

options = ["Baseline"] if ctx.is_baseline else [ctx.model_label, "Baseline"]
m0, m1, m2 = st.columns([2, 3, 1])
target = m0.radio("Thresholds of", options, horizontal=True, key="thr_target")
which = "baseline" if target == "Baseline" or ctx.is_baseline else "model"
tuning_split = ctx.session.tuning_part(which)
explorer = ctx.explorer(which)
method_label = m1.selectbox("Threshold method", list(METHODS), key="thr_method",
                            on_change=_setting_changed,
                            help="Where the sliders start from; robust methods are fitted on the "
                            f"data these thresholds were tuned on ({tuning_split})")
method = METHODS[method_label]
metric = m2.selectbox("Target metric", ["weighted", "micro", "macro", "samples"], key="thr_metric",
                      disabled=method in (None, TARGET), on_change=_setting_changed)
setting = method_label if method is None else f"{method_label}, {metric} F1"
effect = None
promise = None
if method is None:
    tuned = ctx.thresholds(which)
    base_name = "tuned"
elif method == TARGET:
    t0, t1, t2, t3 = st.columns(4)
    aim = t0.selectbox("Promise", ["precision", "recall"], key="thr_aim",
                       on_change=_setting_changed,
                       help="precision: few wrong tracks shown; recall: few right tracks missed")
    level = t1.number_input("at least", 0.05, 0.99, 0.9, 0.05, key="thr_level",
                            on_change=_setting_changed, format="%.2f")
    delta = t2.number_input("with probability 1 − δ, δ =", 0.01, 0.5, 0.1, 0.01,
                            key="thr_delta", on_change=_setting_changed, format="%.2f")
    per = t3.selectbox("One threshold per", ["tag", "category", "class"], key="thr_per",
                       on_change=_setting_changed)
    wanted = f"{aim}>={level:g}"
    with st.spinner("Fitting thresholds that keep the target…"):
        promise = ctx.session.target_fit(which, wanted, float(delta), per)
    tuned = promise.thresholds
    base_name = f"target {wanted}"
    setting = f"target {wanted} (δ {delta:g}, per {per})"
else:
    with st.spinner("Fitting robust thresholds (grouped, can take a while)…"):
        effect = ctx.session.robust_effect(which, method, metric)
    tuned = effect["robust"].to_numpy(dtype=np.float64)
    base_name = f"{method}-{metric}"


@st.fragment
def live_view() -> None:
    """Sliders, cards, curves, tables and saving: a slider move reruns this part only (not
    the sidebar nor the choices above), which the browser redraws sooner."""
    prefix = ctx.key("thr", which)
    overrides: dict[str, float] = st.session_state.setdefault(prefix + ":tags", {})
    generation: int = st.session_state.setdefault(prefix + ":gen", 0)


    def _reset() -> None:
        """Offsets back to 0 and per-tag changes dropped; a new generation of per-tag sliders
        shows the offsets' values."""
        _zero_offsets([prefix + ":global", *_group_offset_keys(prefix)])
        st.session_state[prefix + ":tags"] = {}
        st.session_state[prefix + ":gen"] = generation + 1


    def _remember_tag(tag: str, key: str, created: float, tolerance: float) -> None:
        """on_change of a tag's own slider, the only place an override is made.

        Streamlit also calls it when the browser reports a slider the page has since replaced
        (interrupted reruns during keyboard bursts): such a report carries the value the slider was
        created with, so only a value other than that one is the user's edit."""
        value = float(st.session_state[key])
        if abs(value - created) > tolerance:
            st.session_state.setdefault(prefix + ":tags", {})[tag] = value


    def _offset_slider(label: str, key: str, scope: np.ndarray | None, help: str,
                       persist: str | None = None) -> float:
        r = offset_range(tuned, explorer.score_ranges, scope)
        return st.slider(label, r.lo, r.hi, 0.0, r.step, key=key, format="%.4f", help=help,
                         persist_state=persist)


    def _group_offsets(title: str, kind: str, groups: list[str], of: np.ndarray,
                       noun: str) -> dict[str, float]:
        """One offset per class or category. Their sliders are drawn only while the expander is
        open (44 sliders cost the browser and the server on every move); their values stay in
        session state meanwhile, for as long as the page is shown."""
        box = st.expander(title, key=f"{prefix}:open:{kind}", on_change="rerun")
        if box.open:
            with box:
                for c in groups:
                    _offset_slider(f"{noun} {c}", _offset_key(prefix, kind, c), of == c,
                                   f"Added to the thresholds of the {c} tags", persist="page")
        return {c: float(st.session_state.get(_offset_key(prefix, kind, c), 0.0)) for c in groups}


    classes = list(dict.fromkeys(data.tag_classes))
    categories = list(dict.fromkeys(data.tag_categories))
    tag_classes = np.asarray(data.tag_classes, dtype=object)
    tag_categories = np.asarray(data.tag_categories, dtype=object)

    st.caption(
        f"{target} on the {ctx.split} split ({data.n_tracks:,} tracks, {data.n_tags} tags); "
        f"thresholds start from {setting} (tuned on {tuning_split})."
    )
    # The metric cards stay in view while the page scrolls (sliders, curves, tables below them).
    st.markdown("<style>.st-key-thr_cards{position:sticky;top:3.75rem;z-index:5;"
                "background-color:var(--st-background-color, #fff);padding-bottom:0.25rem}</style>",
                unsafe_allow_html=True)
    cards = st.container(key="thr_cards")  # filled once the sliders below are read
    controls, view = st.columns([1, 2], gap="large")
    with controls, st.container(height=PANEL_HEIGHT):
        st.button("Reset to tuned", on_click=_reset, help="Drop every offset and per-tag change")
        glob = _offset_slider("Global offset", prefix + ":global", None,
                              "Added to every starting threshold; the range spans the offsets that "
                              "change some decision")
        class_off = _group_offsets("Offsets per class", "class", classes, tag_classes, "Class")
        cat_off = _group_offsets("Offsets per category", "cat", categories, tag_categories,
                                 "Category")
        in_effect = [f"{c} {v:+.4f}" for c, v in (*class_off.items(), *cat_off.items()) if v]
        if in_effect:  # seen while their expanders are closed
            st.caption("Class / category offsets in effect: " + ", ".join(in_effect))
        offsets_only = compose_thresholds(
            tuned, data.tag_names, data.tag_classes, data.tag_categories,
            Adjustments(glob, class_off, cat_off, {}),
        )
        tag = st.selectbox("Tag (type to search)", list(data.tag_names), key=prefix + ":chosen")
        t = data.tag_names.index(tag)
        if np.isfinite(tuned[t]):
            shown_value = float(overrides.get(tag, offsets_only[t]))
            r = tag_range(explorer.score_range(t), shown_value)
            # The page never writes this widget's value: its key names what it is created from
            # (the offsets' threshold and the reset generation), so a new starting point makes a new
            # widget showing it, and on_change keeps only a value the user moved it to.
            tag_key = f"{prefix}:tag:{generation}:{tag}:{float(offsets_only[t])!r}"
            st.slider(
                "Threshold of the chosen tag", r.lo, r.hi, shown_value, r.step, key=tag_key,
                format="%.4f", on_change=_remember_tag,
                args=(tag, tag_key, shown_value, r.step / 100),
                help="Sets this tag's threshold exactly (offsets no longer apply to it; "
                "Reset to tuned drops it)",
            )
        else:
            st.info(f"{tag} is never predicted (no score column or no positive in train).")
        if overrides:
            st.caption(f"{len(overrides)} tag(s) set individually: "
                       + ", ".join(sorted(overrides)[:8]))

    thresholds = compose_thresholds(tuned, data.tag_names, data.tag_classes, data.tag_categories,
                                    Adjustments(glob, class_off, cat_off, dict(overrides)))
    result = explorer.evaluate(thresholds)
    tuned_result = ctx.session.tuned_result(which, ctx.split, base_name, tuned)

    with cards:
        before = st.session_state.get(BEFORE)
        if before and (before["prefix"] != prefix or before["split"] != ctx.split
                       or before["setting"] == setting):
            before = None
        reference = {"start": f"the starting thresholds ({setting})"}
        if before:
            reference["before"] = f"what was shown before the switch ({before['setting']})"
        if st.session_state.get(REFERENCE) not in reference:
            st.session_state[REFERENCE] = "start"
        ref = st.radio("Deltas against", list(reference), format_func=reference.__getitem__,
                       key=REFERENCE, horizontal=True) if before else "start"
        base_overall = tuned_result.overall if ref == "start" else before["overall"]
        for col, (key, label) in zip(st.columns(4), AVERAGES, strict=True):
            change = result.overall[key] - base_overall[key]
            col.metric(label, f"{result.overall[key]:.4f}",
                       delta=f"{change:+.4f}" if abs(change) >= 5e-5 else None,
                       help=f"On the {ctx.split} split; delta against {reference[ref]}")
    st.session_state[SHOWN] = {"prefix": prefix, "split": ctx.split, "setting": setting,
                               "overall": dict(result.overall)}

    with view:
        row = result.per_tag.iloc[t]
        curve = explorer.curve(t, max_points=CURVE_POINTS)
        st.caption(
            f"{tag}: threshold {thresholds[t]:.4f} ({base_name} {tuned[t]:.4f}), "
            f"{int(row['support'])} positives, {int(row['predicted'])} predicted, "
            f"precision {row['precision']:.3f}, recall {row['recall']:.3f}, F1 {row['f1']:.3f}"
            + ("; set individually" if tag in overrides else "")
        )
        current_point = ((float(row["recall"]), float(row["precision"])) if row["predicted"]
                         else None)
        st.plotly_chart(plots.f1_threshold_curve(curve, float(thresholds[t]), float(tuned[t]), tag,
                                                 ctx.split))
        st.plotly_chart(plots.pr_curve(curve, current_point, tag, ctx.split))

    per_cat = result.per_category.merge(
        tuned_result.per_category[["class", "category", "f1"]], on=["class", "category"],
        suffixes=("", "_tuned"),
    )
    st.plotly_chart(plots.category_f1_bars(per_cat, ctx.split))

    if effect is not None:
        with st.expander(f"Per-tag effect of the {method} thresholds ({metric} F1) vs the "
                         "benchmark", expanded=True):
            shown = effect.assign(change=effect["robust"] - effect["benchmark"])
            left, right = st.columns(2)
            left.plotly_chart(plots.threshold_shift(shown, "Robust vs benchmark threshold per tag",
                                                    tuning_split))
            order = shown.assign(size=shown["change"].abs()).sort_values("size", ascending=False)
            right.dataframe(order.drop(columns="size"), hide_index=True,
                            height=_context.table_height(len(order), 420))
            st.caption("Each tag's threshold on the tuning data; rare tags (few positives) "
                       "move most.")

    if promise is not None:

        counts = result.per_tag  # the explorer's counts at the current thresholds
        report = target_report_from_counts(promise, data.tag_names, counts["tp"],
                                           counts["predicted"], counts["support"], thresholds,
                                           ctx.split)  # fmt: skip
        met, n_promised = report.share_met()
        cannot = int((report.table["status"] == "cannot").sum())
        with st.expander(f"Targets: {n_promised} tags promise {promise.metric[0]} ≥ "
                         f"{promise.target[0]:g}, {cannot} cannot", expanded=True):
            st.caption(
                f"Each promised tag's {promise.metric[0]} is at least its bound on new artists "
                f"with probability {1 - promise.delta:g} (an artist-level bound on the tuning "
                f"rows: {tuning_split}). On the {ctx.split} split {met} of {n_promised} promised "
                "tags meet the target. \"cannot\": too few positives or too weak a score to "
                "promise it, never decided yes; \"edited\": moved by hand since, no promise "
                "kept."
            )
            shown_targets = report.table.sort_values(["status", "tag"], kind="stable")
            st.dataframe(shown_targets, hide_index=True,
                         height=_context.table_height(len(shown_targets), 360))

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
                scores = (ctx.model_scores("test") if which == "model"
                          else ctx.baseline_scores("test"))
                metrics = {"test": evaluate_decisions(test, scores >= thresholds).overall,
                           "split": {"test": test.n_tracks},
                           "tuned_while_viewing": ctx.split}
                model = ctx.baseline if which == "baseline" else ctx.model
                path = save_threshold_set(
                    model, thresholds, root, name.strip(), parent=base,
                    parent_manifest=ctx.manifest, metrics=metrics,
                    data_fingerprint=ctx.bundle.train.fingerprint, data_folder=ctx.bundle.folder,
                )
                _artifacts.notify_saved(path.name, f"Saved {path} (test weighted F1 "
                                     f"{metrics['test']['weighted']:.4f}); it is now the Model.")
            except MewoError as exc:
                _context.show_error(exc)
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

    table = st.expander("Per-tag table at the current thresholds", key=prefix + ":open:table",
                        on_change="rerun")
    if table.open:  # drawn only while open: it would be sent on every move
        shown = result.per_tag.assign(tuned=tuned, f1_tuned=tuned_result.per_tag["f1"])
        table.dataframe(shown, hide_index=True, height=_context.table_height(len(shown), 360))


live_view()
