"""Compare: a model against the per-tag-threshold baseline or another model, on the chosen split.

Everything shown is computed by ``Session.report`` (``mewo_core.compare.report``); this page
only renders it. CLI equivalent: ``python -m mewo_core evaluate --model artifacts/NAME [--json]``
(test split).
"""

from __future__ import annotations

import streamlit as st

from mewo_core import plots
from mewo_core.compare import report as cr
from mewo_core.compare.evaluation import MIN_SUPPORT, REPLICATES, wins_losses
from mewo_core.data.io import decisions_csv
from mewo_core.errors import MewoError
from mewo_core.scoring.metrics import AVERAGES
from mewo_core.session import PARTS
from pages import _artifacts, _context

LABELS = {"weighted": "Weighted F1", "micro": "Micro F1", "macro": "Macro F1",
          "samples": "Samples F1"}  # fmt: skip
TUNED_ON = {"train": "all of train (the benchmark)",
            "fit": "the fit part (train minus validation)"}  # fmt: skip
F4 = "%.4f"
D4 = "%+.4f"

st.title("Compare with the baseline or another model")
ctx = _context.context()
names, _ = _artifacts.model_choices(ctx.bundle.train)  # only the models that fit this data
current = ctx.model_label if ctx.model_label in names else _artifacts.BASELINE

pick_a, pick_b, pick_part = st.columns([2, 2, 2])
choice_a = pick_a.selectbox("Model to compare (A)", names, index=names.index(current),
                            key=ctx.key("cmp_a"))  # fmt: skip
choice_b = pick_b.selectbox("Compared with (B)", names, index=0, key=ctx.key("cmp_b"),
                            help="The baseline (per-tag thresholds) or any other artifact")
part = "train"
if choice_b == _artifacts.BASELINE:
    part = pick_part.radio(
        "Baseline tuned on", list(TUNED_ON), format_func=TUNED_ON.get, key=ctx.key("cmp_part"),
        help="On validation, the benchmark (all of train) was tuned on the very tracks it is "
        "scored on; the fit part leaves them out.",
    )  # fmt: skip

session_a, why_a = _context.session_for(ctx, choice_a)
session_b, why_b = (None, "") if choice_b == _artifacts.BASELINE else _context.session_for(ctx,
                                                                                       choice_b)
if session_a is None or why_b:
    st.error(f"{choice_a if session_a is None else choice_b} cannot be used on "
             f"{ctx.data_label}: {why_a or why_b}")  # fmt: skip
    st.stop()

with st.expander("Uncertainty settings"):
    s1, s2, s3 = st.columns(3)
    replicates = int(s1.number_input("Bootstrap replicates", 0, 5000, REPLICATES, step=100,
                                     key="cmp_reps", help="0: no intervals"))  # fmt: skip
    level = s2.selectbox("Interval level", (0.9, 0.95, 0.99), index=1, key="cmp_level",
                         format_func="{:.0%}".format)  # fmt: skip
    min_support = int(s3.number_input(
        "Minimum positives for the won / lost lists", 0, 100_000, MIN_SUPPORT, key="cmp_support",
        help="Tags with fewer positives on the split are left out of the won / lost lists: their "
        "deltas are mostly noise.",
    ))  # fmt: skip

split = ctx.split
data = session_a.data(split)
groups = list(data.groups.columns) if data.groups is not None else []
slice_column = st.session_state.get("cmp_slice_column")
slice_column = slice_column if slice_column in groups else session_a.default_slice_column(split)
average = st.session_state.get("cmp_average", "weighted")
try:
    with st.spinner("Scoring and comparing (once per choice)…"):
        report = session_a.report(
            split, baseline_part=part, other=session_b, replicates=replicates, level=level,
            min_support=min_support, average=average, slice_column=slice_column,
        )  # fmt: skip
except MewoError as exc:
    _context.show_error(exc)
    st.stop()
comparison = report.comparison
name_a = choice_a if not session_a.is_baseline else "baseline"
name_b = choice_b if session_b is not None else f"baseline ({part})"

sides = (comparison.model_side, comparison.baseline_side)
in_sample = [s.name for s in sides if s is not None and s.in_sample]
in_sample = list(dict.fromkeys(in_sample))
if split == "validation":
    st.warning(
        "Validation: " + (f"{' and '.join(in_sample)} {'was' if len(in_sample) == 1 else 'were'} "
                          "tuned on these tracks, so the figures here are optimistic. "
                          if in_sample else "") +
        "A fair comparison needs a split neither side was tuned on: choose **test** in the "
        "sidebar."
    )  # fmt: skip
trained_on = (session_a.manifest or {}).get("data_fingerprint")
if trained_on and trained_on != ctx.bundle.train.fingerprint:
    st.warning(f"{name_a} was trained on other data than {ctx.data_label}: its validation split "
               "here is not the one it was tuned on, and test tracks may overlap its training.")
for line in comparison.captions():
    st.caption(line)

overall = comparison.overall.set_index("average")
cards = st.columns(4)
for col, key in zip(cards, AVERAGES, strict=True):
    row = overall.loc[key]
    col.metric(LABELS[key], f"{row['model']:.4f}",
               delta=f"{row['delta']:+.4f} vs {row['baseline']:.4f}",
               delta_color="normal" if row.get("clear", True) else "off",
               help=f"{name_a} (the value) and its difference to {name_b}")  # fmt: skip
    if "delta_low" in row:
        sign = cr.mark(overall["delta"][[key]], overall["clear"][[key]]).iloc[0]
        col.caption(f"Δ {sign} {cr.interval_text(row['delta_low'], row['delta_high'])}  \n"
                    f"A {cr.interval_text(row['model_low'], row['model_high'], sign=False)}")
st.caption(cr.MARKS_HELP + " A grey delta on a card: its interval contains 0.")

COLUMNS = {
    "tag": st.column_config.TextColumn("tag", width=200),
    "category": st.column_config.TextColumn("category", width=190),
    "delta": st.column_config.NumberColumn("Δ F1", format=D4, help="A − B", width=70),
    "interval": st.column_config.TextColumn(f"{level:.0%} interval of Δ", help=cr.MARKS_HELP,
                                            width=135),  # fmt: skip
    "support": st.column_config.NumberColumn("positives", format="%d", width=70),
    "model": st.column_config.NumberColumn(f"A: {name_a}", format=F4, width=75,
                                           help=f"A: {name_a}"),  # fmt: skip
    "reference": st.column_config.NumberColumn(f"B: {name_b}", format=F4, width=75,
                                               help=f"B: {name_b}"),  # fmt: skip
    "model_interval": st.column_config.TextColumn("A interval", width=105),
    "reference_interval": st.column_config.TextColumn("B interval", width=105),
    "n_tags": st.column_config.NumberColumn("tags", format="%d", width=50),
    "tracks": st.column_config.NumberColumn("tracks", format="%d", width=60),
    "class": st.column_config.TextColumn("class", width=90),
}


def show(frame, height: int | None = None) -> None:  # noqa: ANN001
    """A table, as high as its rows (up to ``height``, then it scrolls)."""
    shown = _context.table_height(len(frame), height or 420)
    st.dataframe(frame, hide_index=True, column_config=COLUMNS, height=shown)


show(report.display("overall"))

promises = getattr(session_a.model, "targets_", None) if not session_a.is_baseline else None
if promises is not None:  # A keeps precision / recall targets: beside B, tag by tag
    from mewo_core.targets.report import compare_promises  # scipy: only for a target model

    data_split = ctx.split_data(split)
    side_b = session_b.decisions("model", split) if session_b is not None else \
        session_a.baseline_decisions(split, part)  # fmt: skip
    kept = compare_promises(promises, data_split.tag_names, data_split.require_labels(),
                            session_a.decisions("model", split), session_a.thresholds("model"),
                            side_b, split)  # fmt: skip
    promised = kept[kept["status"] == "promised"]
    with st.expander(f"Promises: {len(promised)} tags of A promise {promises.metric[0]} ≥ "
                     f"{promises.target[0]:g} (confidence {1 - promises.delta:g})",
                     expanded=True):  # fmt: skip
        st.caption(
            f"Realised on the {split} split: A meets the target on "
            f"{int(promised['met_a'].sum())} of {len(promised)} promised tags, B (tuned for F1) "
            f"would on {int(promised['met_b'].sum())}; precision and recall of both, per tag."
        )
        st.dataframe(kept, hide_index=True, height=_context.table_height(len(kept), 360))

tab_groups, tab_tags, tab_slices, tab_export = st.tabs(
    ["Per class and category", "Per tag", "Slices", "Export"]
)
with tab_groups:
    st.caption("Micro F1 within each class / category; intervals of the delta.")
    show(report.display("per_class"))
    show(report.display("per_category"), height=420)
    left, right = st.columns([1, 2])
    left.plotly_chart(plots.interval_bars(report.tables["per_class"], "class",
                                          "Δ F1 per class (A − B)", "delta_f1"))  # fmt: skip
    right.plotly_chart(plots.interval_bars(report.tables["per_category"], "category",
                                           "Δ F1 per category (A − B)", "delta_f1"))  # fmt: skip

with tab_tags:
    table = comparison.per_tag
    f1, f2, f3, f4 = st.columns([2, 2, 2, 1])
    pick_class = f1.multiselect("Class", sorted(table["class"].unique()), key="cmp_class")
    cats = table["category"][table["class"].isin(pick_class)] if pick_class else table["category"]
    pick_cat = f2.multiselect("Category", sorted(cats.unique()), key="cmp_category")
    search = f3.text_input("Tag name contains", key="cmp_search")
    only_clear = f4.checkbox("Clear only", key="cmp_clear", help="Deltas whose interval excludes 0")
    shown = table
    if pick_class:
        shown = shown[shown["class"].isin(pick_class)]
    if pick_cat:
        shown = shown[shown["category"].isin(pick_cat)]
    if search.strip():
        shown = shown[shown["tag"].str.contains(search.strip(), case=False, regex=False)]
    if only_clear and "clear" in shown:
        shown = shown[shown["clear"]]
    show(cr.tag_table(shown.sort_values("delta_f1")), height=380)
    wins, losses, ties = wins_losses(shown["delta_f1"])
    clear = int(shown["clear"].sum()) if "clear" in shown else 0
    st.caption(f"{len(shown)} tags shown: {wins} better, {losses} worse, {ties} equal; "
               f"{clear} with an interval that excludes 0.")  # fmt: skip
    st.subheader("Won and lost most")
    st.caption(f"Among tags with at least {min_support} positives on the split (set in "
               "Uncertainty settings).")  # fmt: skip
    left, right = st.columns(2)
    for col, name, heading in ((left, "won", "Where A wins most"),
                               (right, "lost", "Where A loses most")):  # fmt: skip
        if len(report.tables[name]):
            col.plotly_chart(plots.interval_bars(report.tables[name], "tag", heading, "delta_f1"))
        else:
            col.info(f"{heading}: no tag with at least {min_support} positives.")

with tab_slices:
    c1, c2 = st.columns(2)
    c1.selectbox("Average for track slices", AVERAGES, key="cmp_average",
                 format_func=LABELS.get)  # fmt: skip
    if groups:
        c2.selectbox("Group column", groups, key="cmp_slice_column")
    st.markdown("**By tag frequency** (the tags' positives on this split; micro F1 within)")
    show(report.display("frequency_bands"))
    st.markdown(f"**By score range** (tracks by their highest tag score; {LABELS[average]})")
    show(report.display("score_bands"))
    if "groups" in report.tables:
        frame = report.tables["groups"]
        summary = cr.group_summary(frame)
        st.markdown(f"**By group: {slice_column}** ({LABELS[average]} per group, worst first)")
        st.caption(f"{len(frame):,} groups: A better on {summary['better']:,}, worse on "
                   f"{summary['worse']:,}, the same on {summary['equal']:,}.")  # fmt: skip
        show(report.display("groups"), height=320)
    else:
        st.info("This dataset has no groups (groups.csv): no per-group slice.")

with tab_export:
    slug = f"compare-{split}"
    e1, e2, e3 = st.columns(3)
    e1.download_button("Report (HTML, self-contained)", report.html, f"{slug}.html",
                       mime="text/html", key="cmp_dl_html", on_click="ignore")  # fmt: skip
    e2.download_button("Tables (CSV, zip)", report.csv_zip, f"{slug}-tables.zip",
                       mime="application/zip", key="cmp_dl_zip", on_click="ignore")  # fmt: skip
    e3.download_button("Per-tag table (CSV)", cr.csv_bytes(comparison.per_tag),
                       f"{slug}-per-tag.csv", mime="text/csv", key="cmp_dl_tags",
                       on_click="ignore")  # fmt: skip
    st.markdown("**Decisions and scores**")
    d1, d2 = st.columns(2)
    which = d1.radio("Of", [f"A: {name_a}", f"B: {name_b}"], key="cmp_dl_side", horizontal=True)
    dl_split = d2.radio("Split", list(PARTS), index=list(PARTS).index(split),
                        key=ctx.key("cmp_dl_split", split), horizontal=True,
                        help="fit + validation = train; scoring train with a learned model "
                        "takes a while the first time")  # fmt: skip
    is_a = which.startswith("A:")
    chosen = session_a if is_a else (session_b or session_a)

    def _decisions() -> bytes:
        rows = chosen.part(dl_split)
        if is_a or session_b is not None:
            return decisions_csv(rows, chosen.decisions("model", dl_split))
        return decisions_csv(rows, session_a.baseline_decisions(dl_split, part))

    def _scores() -> bytes:
        side = "model" if is_a or session_b is not None else "baseline"
        return cr.scores_csv(chosen.part(dl_split), chosen.scores(side, dl_split))

    d1.download_button("Decisions (CSV, 0/1)", _decisions, f"decisions-{dl_split}.csv",
                       mime="text/csv", key="cmp_dl_dec", on_click="ignore")  # fmt: skip
    d2.download_button("Scores (CSV)", _scores, f"scores-{dl_split}.csv", mime="text/csv",
                       key="cmp_dl_scores", on_click="ignore")  # fmt: skip
