"""Review: the decisions an editor should check first, and the catalogue's likely label errors.

The queue ranks the active model's decisions on the split by the expected F1 gain of checking
them (:mod:`mewo_core.review.gain`), from probabilities recalibrated per tag on the model's tuning
rows; the budget curve measures it against closest-to-threshold and random order (a check
reveals the label). Label issues come from out-of-fold scores and the album context
(:mod:`mewo_core.review.label_issues`).

CLI equivalents: ``python -m mewo_core review --model M --data D --split S --budget N --out F``
and ``python -m mewo_core label-issues --data D --top N --out F``.
"""

from __future__ import annotations

import streamlit as st

from mewo_core import plots
from mewo_core.errors import MewoError
from mewo_core.review import reliability_table
from mewo_core.review.gain import AVERAGES
from mewo_core.review.label_issues import find_label_issues
from mewo_core.review.workflow import fit_calibrator, review_split, whole_catalogue
from pages import _context

INSPECTOR = "pages/track_inspector.py"


@st.cache_resource(show_spinner=False, max_entries=4)
def _calibrator(key: str, _session):  # noqa: ANN001, ANN202
    return fit_calibrator(_session.tuning_data("model"), _session.scores("model", "tuning"))


@st.cache_resource(show_spinner=False, max_entries=8)
def _review(key: str, split: str, budget: int, average: str, _session, _calibrator):  # noqa: ANN001, ANN202
    data = _session.part(split)
    return review_split(_session.model, _calibrator, data, budget=budget, average=average,
                        scores=_session.scores("model", split))  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=2)
def _issues(data_key: str, _bundle):  # noqa: ANN001, ANN202
    return find_label_issues(whole_catalogue(_bundle))


st.title("Review")
ctx = _context.context()
session = ctx.session
tab_queue, tab_issues = st.tabs(["Review queue", "Likely label errors"])

with tab_queue:
    c1, c2 = st.columns(2)
    budget = int(c1.number_input("Checks listed", 1, 100_000, 500, step=100, key="rv_budget"))
    average = c2.selectbox("F1 to raise", AVERAGES, key="rv_average")
    try:
        with st.spinner("Calibrating the model's scores on its tuning rows…"):
            calibrator = _calibrator(session.key, session)
        with st.spinner("Ranking the decisions…"):
            result = _review(session.key, ctx.split, budget, average, session, calibrator)
    except MewoError as exc:  # a user error: shown, never a traceback
        _context.show_error(exc)
        st.stop()
    queue = result.frame()
    st.caption(f"{ctx.model_label} on the {ctx.split} split: the {len(queue):,} checks of "
               f"highest expected {average} F1 gain (total {queue['expected_gain'].sum():+.4f}).")
    picked = st.dataframe(queue, hide_index=True, on_select="rerun", selection_mode="single-row",
                          key="rv_table")  # fmt: skip
    rows = picked.selection.rows if picked is not None else []
    if rows:
        track = int(queue.iloc[rows[0]]["track"])
        if st.button(f"Why? Open track {track} in the Track inspector", key="rv_why"):
            st.session_state["ti_mode"] = "By id"
            st.session_state["ti_id"] = track
            st.switch_page(INSPECTOR)
    st.download_button("Download the queue (CSV)", queue.to_csv(index=False).encode(),
                       file_name="review_queue.csv", mime="text/csv")  # fmt: skip
    if result.curves is not None:
        left, right = st.columns(2)
        left.plotly_chart(plots.budget_curve_figure(result.curves, average), width="stretch")
        table = reliability_table(result.probability, result.data.Y, result.data.tag_classes)
        right.plotly_chart(plots.reliability_figure(table), width="stretch")
        st.dataframe(result.calibration, hide_index=True)

with tab_issues:
    st.caption("Labels of the whole catalogue (train and test) that its tagger's out-of-fold "
               "scores and the album context contradict most. Takes about a minute on 110,000 "
               "tracks.")  # fmt: skip
    if st.button("Find likely label errors", key="rv_find") or st.session_state.get("rv_found"):
        st.session_state["rv_found"] = True
        try:
            with st.spinner("Out-of-fold scores, album context…"):
                issues = _issues(ctx.data_key, ctx.bundle)
        except MewoError as exc:
            _context.show_error(exc)
            st.stop()
        c1, c2, c3 = st.columns(3)
        top = int(c1.number_input("Issues listed", 1, 100_000, 1000, step=100, key="rv_top"))
        classes = c2.multiselect("Classes", sorted(set(issues.tag_classes)), key="rv_classes")
        tags = c3.multiselect("Tags", list(issues.tag_names), key="rv_tags")
        frame = issues.only(tags, classes).frame(top)
        st.dataframe(frame, hide_index=True)
        st.download_button("Download for the editors' tool (CSV)",
                           frame.to_csv(index=False).encode(), file_name="label_issues.csv",
                           mime="text/csv")  # fmt: skip
