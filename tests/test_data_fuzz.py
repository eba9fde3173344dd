"""Property: whatever bytes a table holds, reading it either succeeds or raises DataError."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mewo_core.data import load_xy
from mewo_core.data.tables import read_table
from mewo_core.errors import DataError

CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-3, 3).map(str),
    st.sampled_from(["", "nan", "inf", "yes", "1e400", '"0.5"', "0,5", " ", "\u00e9", "NULL", "-"]),
    st.text(max_size=4),
)
HEADERS = st.lists(
    st.sampled_from(["ChallengeID", "genres-rock", "moods-calm", "x", "", "genres-rock "]),
    min_size=0,
    max_size=4,
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    header = draw(HEADERS)
    n_rows = draw(st.integers(0, 5))
    rows = [
        ",".join(
            draw(CELLS) for _ in range(draw(st.integers(max(0, len(header) - 1), len(header) + 1)))
        )
        for _ in range(n_rows)
    ]
    sep = draw(st.sampled_from([",", ";", "\t"]))
    text = "\n".join([sep.join(header), *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\x00"]))
    return prefix + text.encode("utf-8", errors="surrogatepass")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=csv_bytes())
def test_random_tables_only_raise_data_error(raw: bytes) -> None:
    try:
        frame = read_table(raw, "x.csv")
    except DataError as exc:
        assert str(exc).startswith("x.csv")
        return
    assert frame.columns[0] == "ChallengeID"
    values = frame.drop(columns="ChallengeID").to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert frame["ChallengeID"].is_unique


@settings(max_examples=150, deadline=None)
@given(x=csv_bytes(), y=csv_bytes())
def test_random_pairs_only_raise_data_error(x: bytes, y: bytes) -> None:
    try:
        data = load_xy(x, y, names={"x": "x.csv", "y": "y.csv"})
    except DataError:
        return
    assert data.Y is not None and set(np.unique(data.Y)) <= {0, 1}
    assert data.X.dtype == np.float32
