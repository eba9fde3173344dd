"""The app's state under AppTest: the sidebar's models fit the active data, a saved threshold set
is listed at once, the address restores dataset / model / split, the first-run introduction,
background training on the Models page and the Data page's messages.

A small demo catalogue (1,500 tracks) and a tiny data folder with other tags; models go to a
temporary artifacts folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.apptest_helpers import (  # noqa: E402
    no_exception,
    one,
    open_app,
    set_app_env,
    switch_page,
)
from tests.conftest import write_tiny_folder  # noqa: E402

MODEL_LIST = "Model"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Demo catalogue, a tiny folder with other tags inside the allowed roots, and two models:
    ``demo-fit`` (on the demo) and ``tiny-fit`` (on the tiny folder)."""
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import load_folder

    mp = pytest.MonkeyPatch()
    roots = tmp_path_factory.mktemp("roots")
    cache, artifacts = set_app_env(mp, tmp_path_factory, 1500, MEWO_DATA_ROOTS=str(roots))
    tiny = write_tiny_folder(roots / "tiny", n=90)
    train_and_save(load_folder(tiny), "global-threshold", {}, artifacts / "tiny-fit")
    bundle = demo.load_demo_bundle(demo.ensure_demo_data(1500, 0, root=cache))
    train_and_save(bundle, "global-threshold", {}, artifacts / "demo-fit")
    yield {"artifacts": artifacts, "tiny": tiny, "roots": roots}
    mp.undo()


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _load_folder(at: AppTest, folder: Path | str) -> AppTest:
    one(at.text_input, "Folder path").set_value(str(folder)).run()
    one(at.button, "Load folder").click().run()
    no_exception(at)
    return at


# --- bug 2: the sidebar's models fit the active data --------------------------------------------


def test_the_sidebar_offers_only_models_that_fit(env: dict[str, Path]) -> None:
    at = open_app()
    no_exception(at)
    models = one(at.sidebar.selectbox, MODEL_LIST)
    assert "demo-fit" in models.options and "tiny-fit" not in models.options
    assert any(e.label == "Models that do not fit this data (1)" for e in at.sidebar.expander)
    assert any("tiny-fit" in m.value and "tags differ" in m.value for m in at.sidebar.markdown)
    switch_page(at, "pages/models.py")
    no_exception(at)
    table = at.dataframe[0].value.set_index("name")["usable here"]
    assert table["tiny-fit"] == "no" and table["demo-fit"] == "yes"
    assert any("**tiny-fit**: its tags differ from the data's" in m.value for m in at.markdown)


def test_a_model_that_stops_fitting_falls_back_with_one_notice(env: dict[str, Path]) -> None:
    at = open_app()
    one(at.sidebar.selectbox, MODEL_LIST).set_value("demo-fit").run()
    assert at.query_params["model"] == "demo-fit"
    _load_folder(at, env["tiny"])
    assert one(at.sidebar.selectbox, "Dataset").value == "Folder tiny"
    models = one(at.sidebar.selectbox, MODEL_LIST)
    assert models.value.startswith("Baseline")
    assert "tiny-fit" in models.options and "demo-fit" not in models.options
    notices = [w for w in _texts(at.warning) if "demo-fit" in w]
    assert len(notices) == 1 and "baseline is selected" in notices[0]
    assert not any("showing the baseline instead" in w for w in _texts(at.warning))
    assert "model" not in at.query_params
    for page in ("pages/compare.py", "pages/models.py"):
        switch_page(at, page)
        no_exception(at)
        assert not any("demo-fit" in w for w in _texts(at.warning)), page  # said once


# --- bug 3: a saved threshold set is listed at once ---------------------------------------------


def test_a_saved_threshold_set_is_in_the_model_list_at_once(env: dict[str, Path]) -> None:
    at = switch_page(open_app(), "pages/thresholds.py")
    one(at.slider, "Global offset").set_value(0.05).run()
    one(at.text_input, "New artifact name").set_value("thr-now").run()
    one(at.button, "Save threshold set as a new artifact").click().run()
    no_exception(at)
    assert (env["artifacts"] / "thr-now" / "manifest.json").exists()
    models = one(at.sidebar.selectbox, MODEL_LIST)
    assert "thr-now" in models.options and models.value == "thr-now"
    assert any("Saved" in s.value and "thr-now" in s.value for s in at.success)
    assert at.query_params["model"] == "thr-now"


# --- the address ---------------------------------------------------------------------------------


def test_the_address_restores_dataset_model_and_split(env: dict[str, Path]) -> None:
    at = open_app()
    _load_folder(at, env["tiny"])
    one(at.sidebar.selectbox, MODEL_LIST).set_value("tiny-fit").run()
    one(at.sidebar.radio, "Split to show").set_value("test").run()
    query = dict(at.query_params)
    assert query == {"data": f"folder:{env['tiny'].resolve()}", "model": "tiny-fit",
                     "split": "test"}
    again = open_app(query)  # a reload: a new session with the same address
    no_exception(again)
    assert one(again.sidebar.selectbox, "Dataset").value == "Folder tiny"
    assert one(again.sidebar.selectbox, MODEL_LIST).value == "tiny-fit"
    assert one(again.sidebar.radio, "Split to show").value == "test"


def test_an_address_that_cannot_be_restored_says_so(env: dict[str, Path]) -> None:
    at = open_app({"data": "folder:/", "model": "no-such-model", "split": "sideways"})
    no_exception(at)
    assert one(at.sidebar.selectbox, "Dataset").value == "Demo catalogue"
    assert one(at.sidebar.selectbox, MODEL_LIST).value.startswith("Baseline")
    assert one(at.sidebar.radio, "Split to show").value == "validation"
    warnings = " ".join(_texts(at.warning))
    assert "was not loaded" in warnings and "MEWO_DATA_ROOTS" in warnings
    assert "no model no-such-model" in warnings
    assert at.query_params["data"] == "demo"


def test_the_introduction_shows_until_hidden(env: dict[str, Path]) -> None:
    at = open_app()
    assert any("synthetic" in m.value for m in at.markdown)
    one(at.button, "Got it, hide this").click().run()
    assert not any("synthetic" in m.value for m in at.markdown)
    assert at.query_params["intro"] == "off"
    assert not any("synthetic" in m.value for m in open_app(dict(at.query_params)).markdown)


# --- Models page: background training -----------------------------------------------------------


def test_training_runs_in_the_background_and_is_listed(env: dict[str, Path]) -> None:
    from mewo_core.session import jobs

    at = switch_page(open_app(), "pages/models.py")
    one(at.selectbox, "Model type").set_value("robust-thresholds").run()
    name = one(at.text_input, "Artifact name")
    assert name.value.startswith("robust-thresholds-demo-catalogue-")
    name.set_value("demo-fit")  # taken: the app saves under the next free name
    one(at.button, "Train and save").click().run()
    no_exception(at)
    assert not at.error, _texts(at.error)
    job = jobs.registry().jobs("training")[-1]
    jobs.registry().wait(job.id, timeout=300)
    switch_page(at, "pages/data.py")  # left the page meanwhile; the job finished anyway
    switch_page(at, "pages/models.py")
    no_exception(at)
    assert job.status == "done", job.error
    assert (env["artifacts"] / "demo-fit-v2" / "manifest.json").exists()
    assert any("demo-fit-v2" in s.value and "was taken" in s.value for s in at.success)
    assert "demo-fit-v2" in one(at.sidebar.selectbox, MODEL_LIST).options
    assert not any("--force" in t for t in _texts(at.error) + _texts(at.success))


def test_a_failed_training_job_shows_its_error(env: dict[str, Path]) -> None:
    from mewo_core.errors import TrainingError
    from mewo_core.session import jobs

    def fail(progress):
        raise TrainingError("too few tracks to train")

    at = switch_page(open_app(), "pages/models.py")
    me = at.session_state["mewo_owner"]  # the job is this browser session's own
    job = jobs.registry().start("global-threshold on Demo catalogue", fail, owner=me)
    jobs.registry().wait(job.id, timeout=10)
    at.run()
    no_exception(at)
    assert any("failed" in e.value and "too few tracks" in e.value for e in at.error)


# --- Data page ------------------------------------------------------------------------------------


def _csv(rows: list[list[object]]) -> bytes:
    return "\n".join(",".join(str(v) for v in row) for row in rows).encode()


def _upload_rows(n: int = 40) -> tuple[bytes, bytes]:
    head = ["ChallengeID", "genres-rock", "moods-calm"]
    x = [head] + [[i, f"{(i % 7) / 7:.3f}", f"{(i % 5) / 5:.3f}"] for i in range(n)]
    y = [head] + [[i, int(i % 7 > 3), int(i % 5 > 2)] for i in range(n)]
    return _csv(x), _csv(y)


def test_swapped_uploads_are_named_and_no_valid_box_follows(env: dict[str, Path]) -> None:
    x, y = _upload_rows()
    at = open_app()
    one(at.file_uploader, "Scores (x) CSV").upload("x.csv", y, "text/csv")
    one(at.file_uploader, "Labels (y) CSV").upload("y.csv", x, "text/csv")
    one(at.button, "Load uploaded files").click().run()
    no_exception(at)
    assert any("look swapped" in e.value for e in at.error), _texts(at.error)
    assert not any(s.value.startswith("Valid") for s in at.success)
    assert any("Still active: Demo catalogue" in i.value for i in at.info)
    at.run()  # the next run: the attempt is over, the active dataset's status is green again
    assert any(s.value.startswith("Valid: Demo catalogue") for s in at.success)


def test_named_parquet_upload(env: dict[str, Path]) -> None:
    import io

    import pandas as pd

    x, y = _upload_rows()

    def parquet(raw: bytes) -> bytes:
        buffer = io.BytesIO()
        pd.read_csv(io.BytesIO(raw)).to_parquet(buffer, index=False)
        return buffer.getvalue()

    at = open_app()
    one(at.file_uploader, "Scores (x) CSV").upload("x.parquet", parquet(x))
    one(at.file_uploader, "Labels (y) CSV").upload("y.parquet", parquet(y))
    one(at.text_input, "Name of the upload (optional)").set_value("november").run()
    one(at.button, "Load uploaded files").click().run()
    no_exception(at)
    assert not at.error, _texts(at.error)
    assert one(at.sidebar.selectbox, "Dataset").value == "Upload november"
    assert any(s.value.startswith("Valid: Upload november") for s in at.success)
    ref = at.query_params["data"]
    assert ref.startswith("upload:")
    # another browser session opening that address is refused (the upload is this session's;
    # the same browser's reload keeps it: tests/test_browser_shared.py)
    other = open_app({"data": ref})
    assert one(other.sidebar.selectbox, "Dataset").value == "Demo catalogue"
    assert any("not held for this browser session" in w.value for w in other.warning)


def test_a_folder_outside_the_roots_says_how_to_allow_it(env: dict[str, Path]) -> None:
    at = _load_folder(open_app(), env["roots"].parent)
    errors = " ".join(_texts(at.error))
    assert "outside the folders" in errors and "MEWO_DATA_ROOTS=" in errors
    assert not any(s.value.startswith("Valid") for s in at.success)
