"""The dashboard's pages under Streamlit's AppTest, on a small demo catalogue.

The demo catalogue (3,000 tracks, all 289 columns) is generated once per session into a
temporary cache; models are saved to a temporary artifacts folder, never the repository's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.apptest_helpers import no_exception, one, open_app, set_app_env, switch_page  # noqa: E402

PAGES = (
    "pages/data.py",
    "pages/correlations.py",
    "pages/models.py",
    "pages/compare.py",
    "pages/thresholds.py",
    "pages/track_inspector.py",
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """Small demo catalogue and an empty artifacts folder, through the app's env variables."""
    mp = pytest.MonkeyPatch()
    _, artifacts = set_app_env(mp, tmp_path_factory, 3000)
    yield artifacts
    mp.undo()


def _metric(at: AppTest, label: str) -> str:
    return one(at.metric, label).value


TITLES = {
    "pages/data.py": "Data",
    "pages/correlations.py": "Correlations",
    "pages/models.py": "Models",
    "pages/compare.py": "Compare with the baseline or another model",
    "pages/thresholds.py": "Thresholds",
    "pages/track_inspector.py": "Track inspector",
    "pages/relations.py": "Relations",
}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_its_own_view_of_the_active_data(env: Path, page: str) -> None:
    """Each page shows its own title under the shared sidebar, which keeps the chosen dataset,
    model and split."""
    at = switch_page(open_app({"split": "test"}), page)
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == [TITLES[page]]
    assert one(at.sidebar.selectbox, "Dataset").value == "Demo catalogue"
    assert one(at.sidebar.radio, "Split to show").value == "test"


def test_sidebar_says_no_model_yet(env: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEWO_ARTIFACTS_DIR", str(tmp_path / "none-yet"))
    at = open_app()
    assert one(at.sidebar.selectbox, "Model").value.startswith("Baseline")
    assert any("No trained model" in c.value for c in at.sidebar.caption)


def test_moving_threshold_sliders_changes_the_metric(env: Path) -> None:
    at = switch_page(open_app(), "pages/thresholds.py")
    # the larger test split: the default chosen tag has positives there
    one(at.sidebar.radio, "Split to show").set_value("test").run()
    assert any("looking at the test split" in w.value for w in at.warning)
    before = _metric(at, "Weighted F1")
    one(at.slider, "Global offset").set_value(0.1).run()
    no_exception(at)
    after_global = _metric(at, "Weighted F1")
    assert after_global != before
    tag = one(at.slider, "Threshold of the chosen tag")
    tag.set_value(tag.min).run()  # every track predicted: the tag's F1 drops
    no_exception(at)
    assert _metric(at, "Weighted F1") != after_global
    one(at.button, "Reset to tuned").click().run()
    no_exception(at)
    assert _metric(at, "Weighted F1") == before


def test_saving_a_threshold_set_never_overwrites(env: Path) -> None:
    at = switch_page(open_app(), "pages/thresholds.py")
    one(at.slider, "Global offset").set_value(0.05).run()
    one(at.text_input, "New artifact name").set_value("thr-test").run()
    one(at.button, "Save threshold set as a new artifact").click().run()
    no_exception(at)
    assert (env / "thr-test" / "manifest.json").exists()
    assert any("Saved" in s.value for s in at.success)
    first = (env / "thr-test" / "manifest.json").read_bytes()
    one(at.text_input, "New artifact name").set_value("thr-test").run()
    one(at.button, "Save threshold set as a new artifact").click().run()
    no_exception(at)
    assert any("already exists" in e.value for e in at.error)
    assert (env / "thr-test" / "manifest.json").read_bytes() == first


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (b"ChallengeID;a;b\n1;0.1;0.2\n", b"ChallengeID,a,b\n1,0,1\n"),
        (b"ChallengeID,genres-a,genres-b\n1,0.1,oops\n", b"ChallengeID,genres-a,genres-b\n1,0,1\n"),
        (b"\x00\x01binary", b"ChallengeID,a\n1,0\n"),
    ],
)
def test_malformed_upload_shows_an_error(env: Path, x: bytes, y: bytes) -> None:
    at = open_app()
    one(at.file_uploader, "Scores (x) CSV").upload("x.csv", x, "text/csv")
    one(at.file_uploader, "Labels (y) CSV").upload("y.csv", y, "text/csv")
    one(at.button, "Load uploaded files").click().run()
    no_exception(at)
    assert at.error, "a malformed upload must show an error message"
    assert one(at.sidebar.selectbox, "Dataset").value == "Demo catalogue"


def test_valid_upload_becomes_the_active_dataset(env: Path) -> None:
    tags = ["genres-rock", "moods-calm"]
    rows_x = ["ChallengeID," + ",".join(tags)]
    rows_y = list(rows_x)
    for i in range(40):
        rows_x.append(f"{i},{(i % 7) / 7:.3f},{(i % 5) / 5:.3f}")
        rows_y.append(f"{i},{int(i % 7 > 3)},{int(i % 5 > 2)}")
    at = open_app()
    one(at.file_uploader, "Scores (x) CSV").upload("x.csv", "\n".join(rows_x).encode())
    one(at.file_uploader, "Labels (y) CSV").upload("y.csv", "\n".join(rows_y).encode())
    one(at.button, "Load uploaded files").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert one(at.sidebar.selectbox, "Dataset").value.startswith("Upload x.csv")
    switch_page(at, "pages/thresholds.py")
    no_exception(at)
    assert _metric(at, "Weighted F1")


def test_folder_outside_allowed_roots_is_refused(env: Path, tmp_path: Path) -> None:
    at = open_app()
    one(at.text_input, "Folder path").set_value("/").run()
    one(at.button, "Load folder").click().run()
    no_exception(at)
    assert any("outside" in e.value or "not found" in e.value for e in at.error)


def test_models_form_is_the_models_parameter_spec(env: Path) -> None:
    """The form offers the exposed options with the spec's defaults: the CLI's default model."""
    from mewo_core.artifacts.training import train_params
    from mewo_core.models import create_model, model_class

    at = switch_page(open_app(), "pages/models.py")
    assert one(at.selectbox, "Model type").value == "reservoir-transformer"
    spec = model_class("reservoir-transformer").exposed_params()
    shown = {p.name: one(at.selectbox if p.choices else at.number_input, p.label) for p in spec}
    assert {n: w.value for n, w in shown.items()} == {p.name: p.default for p in spec}
    assert list(shown["variant"].options) == list(spec[0].allowed())
    form = train_params("reservoir-transformer", {n: w.value for n, w in shown.items()})
    cli = train_params("reservoir-transformer", {})  # the CLI with no option flags
    config = create_model("reservoir-transformer", **form).get_config()
    assert config == create_model("reservoir-transformer", **cli).get_config()
    one(at.selectbox, "Model type").set_value("baseline").run()
    assert [n.label for n in at.number_input] == ["Seed"]


@pytest.mark.slow
def test_models_page_trains_a_model_that_appears_in_the_list(env: Path) -> None:
    """Training runs as a background job (mewo_core.session.jobs); once it is done the model
    is listed here and in the sidebar. A taken name is no error: the next free one is used."""
    from mewo_core.session import jobs

    def train(at: AppTest) -> AppTest:
        one(at.text_input, "Artifact name").set_value("tiny-model")
        one(at.button, "Train and save").click().run()
        no_exception(at)
        assert not at.error, [e.value for e in at.error]
        job = jobs.registry().jobs("training")[-1]
        assert jobs.registry().wait(job.id, timeout=600).status == "done", job.error
        return at.run()

    at = switch_page(open_app(), "pages/models.py")
    one(at.selectbox, "Model type").set_value("robust-thresholds").run()
    assert one(at.selectbox, "Metric").value == "weighted"
    train(at)
    assert (env / "tiny-model" / "manifest.json").exists()
    assert "tiny-model" in one(at.selectbox, "Artifact").options
    assert "tiny-model" in one(at.sidebar.selectbox, "Model").options
    # the same name again: saved as tiny-model-v2, the first artifact untouched
    before = (env / "tiny-model" / "manifest.json").read_bytes()
    train(at)
    assert (env / "tiny-model-v2" / "manifest.json").exists()
    assert (env / "tiny-model" / "manifest.json").read_bytes() == before


def test_training_with_a_bad_name_shows_an_error(env: Path) -> None:
    at = switch_page(open_app(), "pages/models.py")
    one(at.text_input, "Artifact name").set_value("../escape")
    one(at.button, "Train and save").click().run()
    no_exception(at)
    assert any("invalid artifact name" in e.value for e in at.error)


@pytest.mark.slow
def test_a_saved_model_can_be_compared_and_inspected(env: Path) -> None:
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save

    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    if not (env / "cmp-model").exists():
        train_and_save(bundle, "global-threshold", {}, env / "cmp-model")
    at = open_app()
    one(at.sidebar.selectbox, "Model").set_value("cmp-model").run()
    no_exception(at)
    for page in ("pages/compare.py", "pages/thresholds.py", "pages/track_inspector.py"):
        switch_page(at, page)
        no_exception(at)
        assert not at.error, [e.value for e in at.error]
    switch_page(at, "pages/compare.py")
    assert _metric(at, "Weighted F1")


def test_track_inspector_lists_and_by_id(env: Path) -> None:
    at = switch_page(open_app(), "pages/track_inspector.py")
    one(at.selectbox, "Outcome").set_value("False positives of a tag").run()
    no_exception(at)
    one(at.radio, "Pick a track").set_value("By id").run()
    no_exception(at)
    one(at.number_input, "ChallengeID").set_value(-5).run()
    no_exception(at)
    assert any("No track" in e.value for e in at.error)


def test_correlation_views(env: Path) -> None:
    """Each view's pairs table is the core's ranking of the demo's train labels for the chosen
    class pair (genres x moods) at the view's default minimum count; lift as log2 lift."""
    import numpy as np

    from mewo_core import demo
    from mewo_core.data import correlations

    train = demo.load_demo_bundle(demo.ensure_demo_data()).train
    labels, names = train.require_labels(), train.tag_names
    args = (names, train.tag_classes, train.tag_categories)
    pair = {"row_class": "genres", "col_class": "moods"}
    lift = correlations.lift(labels, *args)
    expected = {
        "Labels": correlations.strongest_pairs(
            correlations.correlation(labels, *args, "label correlation").with_counts(lift),
            top=30, **pair,
        ),
        "Co-occurrence lift": correlations.strongest_pairs(
            lift.log2().at_least(10), top=30, by_abs=False, **pair
        ),
    }
    at = switch_page(open_app(), "pages/correlations.py")
    for view, want in expected.items():
        one(at.radio, "View").set_value(view).run()
        no_exception(at)
        one(at.selectbox, "Columns: class").set_value("moods").run()
        no_exception(at)
        shown = at.dataframe[0].value
        assert list(shown["tag_a"]) == list(want["tag_a"])
        assert list(shown["tag_b"]) == list(want["tag_b"])
        assert not shown["same_class"].any()  # genres x moods only
        value = shown[want.columns[-4]].to_numpy()
        key = value if view != "Labels" else np.abs(value)
        assert np.all(np.diff(key) <= 0)  # strongest first
        assert np.all(np.abs(value) <= 1) if view == "Labels" else np.all(value > 0)


def test_robust_threshold_method_shows_its_effect(env: Path) -> None:
    at = switch_page(open_app(), "pages/thresholds.py")
    before = _metric(at, "Weighted F1")
    one(at.selectbox, "Threshold method").set_value("Robust: one global threshold").run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any("Per-tag effect" in e.label for e in at.expander)
    assert _metric(at, "Weighted F1") != before


def test_a_damaged_model_shows_an_error_not_a_traceback(env: Path) -> None:
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save

    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    path = env / "damaged-model"
    if not path.exists():
        train_and_save(bundle, "global-threshold", {}, path)
        with (path / "arrays.npz").open("ab") as fh:
            fh.write(b"tampered")
    at = open_app()
    one(at.sidebar.selectbox, "Model").set_value("damaged-model").run()
    for page in ("pages/compare.py", "pages/thresholds.py",
                 "pages/track_inspector.py"):
        switch_page(at, page)
        no_exception(at)
        assert any("does not match its hash" in e.value for e in at.error), page
