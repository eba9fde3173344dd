"""One server, two users, under AppTest (each AppTest is its own browser session): a user sees
only the jobs they started, can dismiss a finished one's banner, and the introduction describes
the dataset actually loaded. The browser-level checks are in tests/test_browser_shared.py."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.apptest_helpers import no_exception, one, open_app, set_app_env, switch_page  # noqa: E402
from tests.conftest import write_tiny_folder  # noqa: E402
from tests.helpers import write_mood_folder  # noqa: E402


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    roots = tmp_path_factory.mktemp("roots")
    _, artifacts = set_app_env(mp, tmp_path_factory, 1500, MEWO_DATA_ROOTS=str(roots))
    yield artifacts, roots
    mp.undo()


def _texts(at: AppTest) -> str:
    return " ".join(e.value for kind in (at.success, at.info, at.error, at.markdown)
                    for e in kind)  # fmt: skip


def test_a_users_jobs_are_theirs_alone_and_dismissable(env) -> None:
    from mewo_core.session import jobs

    a = switch_page(open_app(), "pages/models.py")
    one(a.selectbox, "Model type").set_value("baseline").run()
    one(a.text_input, "Artifact name").set_value("a-model")
    one(a.button, "Train and save").click().run()
    no_exception(a)
    job = jobs.registry().jobs("training")[-1]
    assert jobs.registry().wait(job.id, timeout=300).status == "done", job.error
    a.run()
    assert "Trained baseline" in _texts(a)

    b = switch_page(open_app(), "pages/models.py")
    no_exception(b)
    assert "Trained baseline" not in _texts(b)  # B started nothing: no banner of A's job
    assert "a-model" in one(b.selectbox, "Artifact").options  # saved artifacts are for all
    assert not [x for x in b.button if x.label == "Dismiss"]

    one(a.button, "Dismiss").click().run()
    assert "Trained baseline" not in _texts(a)


def test_the_introduction_describes_the_loaded_data(env) -> None:
    _, roots = env
    demo = open_app()
    assert "synthetic" in " ".join(m.value for m in demo.markdown)
    folder = write_tiny_folder(roots / "real-moods")
    at = open_app({"data": f"folder:{folder}"})
    no_exception(at)
    intro = " ".join(m.value for m in at.markdown if "Mewo Tag Lab" in m.value)
    assert "The dataset loaded now is **Folder real-moods**" in intro
    assert "loaded now is *synthetic*" not in intro


def test_a_mood_only_catalogue_shows_no_empty_or_one_cell_views(env) -> None:
    """One class and one category (any mood-only catalogue): no one-cell category overview,
    Compare's frequency bands without empty ones, the Models list readable, no error."""
    _, roots = env
    folder = write_mood_folder(roots / "moods-only")
    at = open_app({"data": f"folder:{folder}"})
    no_exception(at)
    switch_page(at, "pages/correlations.py")
    no_exception(at)
    assert any(c.value.startswith("One category here (moods)") for c in at.caption)
    switch_page(at, "pages/compare.py")
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    bands = next(d.value for d in at.dataframe if "band" in d.value.columns)
    assert (bands["n_tags"] > 0).all()  # an empty band would read as a result
    switch_page(at, "pages/data.py")
    status = " ".join(s.value for s in at.success)
    assert "train files 240 tracks (no test files: a grouped holdout of" in status
