"""A group-context model in the app: it decides with the albums, explains the blend, and is
listed as not fitting data without albums, with the reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.data import Dataset
from tests.apptest_helpers import no_exception, one, open_app, set_app_env, switch_page
from tests.test_context import _albums

MODEL_LIST = "Model"


def _write(folder: Path, parts: dict[str, Dataset], with_groups: bool) -> Path:
    folder.mkdir(parents=True)
    groups = []
    for part, data in parts.items():
        x = pd.DataFrame(data.X, columns=list(data.feature_names))
        x.insert(0, "ChallengeID", data.ids)
        x.to_csv(folder / f"x_{part}.csv", index=False, float_format="%.9g")
        y = pd.DataFrame(data.Y, columns=list(data.tag_names))
        y.insert(0, "ChallengeID", data.ids)
        y.to_csv(folder / f"y_{part}.csv", index=False)
        groups.append(data.groups.assign(ChallengeID=data.ids))
    if with_groups:
        pd.concat(groups)[["ChallengeID", "album_id", "artist_id"]].to_csv(
            folder / "groups.csv", index=False
        )
    return folder


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from mewo_core.artifacts import load_model
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import load_folder

    mp = pytest.MonkeyPatch()
    roots = tmp_path_factory.mktemp("roots")
    _, artifacts = set_app_env(mp, tmp_path_factory, 1500, MEWO_DATA_ROOTS=str(roots))
    data = _albums(240, 6, 8, effect=1.0, seed=3)
    test = data.groups["artist_id"].to_numpy() % 4 == 0
    parts = {"train": data.subset(np.flatnonzero(~test)), "test": data.subset(np.flatnonzero(test))}
    albums = _write(roots / "albums", parts, with_groups=True)
    bare = _write(roots / "bare", parts, with_groups=False)
    train_and_save(load_folder(albums), "robust-thresholds", {"context": "album"},
                   artifacts / "ctx-fit")
    assert load_model(artifacts / "ctx-fit").uses_context
    yield {"albums": albums, "bare": bare}
    mp.undo()


def _load(at, folder: Path):  # noqa: ANN001, ANN202
    one(at.text_input, "Folder path").set_value(str(folder)).run()
    one(at.button, "Load folder").click().run()
    no_exception(at)
    return at


def test_context_model_decides_and_explains_with_albums(env: dict[str, Path]) -> None:
    at = _load(open_app(), env["albums"])
    one(at.sidebar.selectbox, MODEL_LIST).set_value("ctx-fit").run()
    for page in ("pages/compare.py", "pages/track_inspector.py"):
        switch_page(at, page)
        no_exception(at)
        assert not at.error, (page, [e.value for e in at.error])
    captions = " ".join(c.value for c in at.caption)
    assert "blends each track's scores with its album's" in captions
    assert "other tracks here, weight" in captions
    switch_page(at, "pages/models.py")
    no_exception(at)
    table = at.dataframe[0].value.set_index("name")
    assert table.loc["ctx-fit", "album context"].startswith("on (album context, weight ")


def test_data_without_albums_lists_the_context_model_as_not_fitting(env) -> None:  # noqa: ANN001
    at = _load(open_app(), env["bare"])
    models = one(at.sidebar.selectbox, MODEL_LIST)
    assert "ctx-fit" not in models.options
    assert any("ctx-fit" in m.value and "no 'album_id' column in groups.csv" in m.value
               for m in at.sidebar.markdown)
