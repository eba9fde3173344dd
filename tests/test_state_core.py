"""The UI-free parts behind the app's state: background jobs, artifact names and fit, swapped
x/y files, Parquet uploads and threshold tuning reported in steps."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.artifacts import artifact_problems, default_name, free_name, list_artifacts
from mewo_core.artifacts.training import train_and_save
from mewo_core.data import load_folder, load_xy
from mewo_core.data.uploads import bundle_from_uploads, upload_label
from mewo_core.errors import DataError, MewoError
from mewo_core.locations import check_data_folder
from mewo_core.models.base import ProgressEvent
from mewo_core.session.jobs import JobRegistry
from tests.conftest import TAGS, write_tiny_folder
from tests.helpers import fast_params

# --- jobs ---------------------------------------------------------------------------------------


def test_a_job_runs_in_the_background_and_keeps_its_progress() -> None:
    registry = JobRegistry()
    release = threading.Event()

    def work(progress):
        progress(ProgressEvent("a", 1, 2, "half"))
        release.wait(5)
        progress(ProgressEvent("a", 2, 2, "all"))
        progress(ProgressEvent("b", 1, 1))
        return {"name": "x"}

    job = registry.start("work", work)
    assert job.running  # start() returned while the function still waits
    with pytest.raises(MewoError, match="still running"):
        registry.start("another", work)  # one training at a time per server
    release.set()
    done = registry.wait(job.id, timeout=5)
    assert done.status == "done" and done.result == {"name": "x"}
    assert [(e.stage, e.step, e.total) for e in done.events()] == [("a", 2, 2), ("b", 1, 1)]
    assert done.finished is not None and done.elapsed >= 0


@pytest.mark.parametrize(
    ("error", "shown"),
    [(DataError("bad cell", file="x.csv"), "x.csv: bad cell"),
     (ValueError("boom"), "ValueError: boom")],
)
def test_a_failed_job_keeps_its_error(error: Exception, shown: str) -> None:
    registry = JobRegistry()

    def work(progress):
        raise error

    job = registry.wait(registry.start("bad", work).id, timeout=5)
    assert job.status == "failed" and job.error == shown
    registry.start("next", lambda progress: 1)  # a failed job does not block the next


def test_the_registry_keeps_only_recent_finished_jobs() -> None:
    registry = JobRegistry(keep=2)
    ids = []
    for k in range(4):
        ids.append(registry.start(f"j{k}", lambda progress, k=k: k).id)
        registry.wait(ids[-1], timeout=5)
    assert [j.label for j in registry.jobs()][-2:] == ["j2", "j3"]
    assert len(registry.jobs()) <= 3


# --- names and fit ------------------------------------------------------------------------------


def test_default_and_free_names(tmp_path: Path) -> None:
    name = default_name(tmp_path, "robust-thresholds", "Demo catalogue", day="20261201")
    assert name == "robust-thresholds-demo-catalogue-20261201"
    (tmp_path / name).mkdir()
    assert default_name(tmp_path, "robust-thresholds", "Demo catalogue", day="20261201") == (
        name + "-v2"
    )
    assert free_name(tmp_path, "My Model!") == "my-model"
    assert free_name(tmp_path, "///") == "model"


def test_training_under_a_taken_name_saves_under_the_next_free_one(tmp_path: Path) -> None:
    bundle = load_folder(write_tiny_folder(tmp_path / "data"))
    first = train_and_save(bundle, "global-threshold", {}, tmp_path / "art" / "m")
    again = train_and_save(bundle, "global-threshold", {}, tmp_path / "art" / "m", free_name=True)
    assert first.path.name == "m" and again.path.name == "m-v2"
    with pytest.raises(MewoError, match="already exists"):
        train_and_save(bundle, "global-threshold", {}, tmp_path / "art" / "m")


def test_artifact_problems_name_models_that_do_not_fit(tmp_path: Path) -> None:
    ours = load_folder(write_tiny_folder(tmp_path / "ours"))
    train_and_save(ours, "global-threshold", {}, tmp_path / "art" / "fits")
    (tmp_path / "art" / "broken").mkdir()
    other = load_xy(
        b"ChallengeID,a,b\n" + b"".join(f"{i},0.{i % 9},0.{i % 7}\n".encode() for i in range(20)),
        b"ChallengeID,a,b\n" + b"".join(f"{i},{i % 2},{i % 3 == 0:d}\n".encode()
                                        for i in range(20)),
    )
    infos = list_artifacts(tmp_path / "art")
    assert artifact_problems(infos, ours.train).keys() == {"broken"}
    problems = artifact_problems(infos, other)
    assert problems["fits"] == "its tags differ from the data's"
    assert "manifest.json" in problems["broken"]


# --- data ---------------------------------------------------------------------------------------


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _xy(n: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    ids = np.arange(n)
    x = pd.DataFrame(rng.random((n, len(TAGS))).round(4), columns=TAGS).assign(ChallengeID=ids)
    y = pd.DataFrame((rng.random((n, len(TAGS))) < 0.3).astype(int), columns=TAGS)
    y = y.assign(ChallengeID=ids)
    order = ["ChallengeID", *TAGS]
    return x[order], y[order]


def test_swapped_x_and_y_are_named() -> None:
    x, y = _xy()
    with pytest.raises(DataError, match="look swapped") as info:
        load_xy(_csv(y), _csv(x), names={"x": "x.csv", "y": "y.csv"})
    assert info.value.file == "y.csv" and info.value.row == 2
    broken = y.copy()
    broken.iloc[3, 1] = 2  # bad labels but scores in x: no swap claimed
    with pytest.raises(DataError, match="not 0 or 1") as plain:
        load_xy(_csv(x), _csv(broken))
    assert "swapped" not in str(plain.value)


def test_parquet_uploads_and_upload_names() -> None:
    x, y = _xy()
    taxonomy = pd.DataFrame({"column": TAGS, "class": [t.split("-")[0] for t in TAGS],
                             "category": TAGS})

    def parquet(frame: pd.DataFrame) -> bytes:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()

    files = {"x": ("x.parquet", parquet(x)), "y": ("y.parquet", parquet(y)),
             "taxonomy": ("taxonomy.parquet", parquet(taxonomy))}
    bundle = bundle_from_uploads(files)
    assert bundle.train.n_tracks == 30 and bundle.train.tag_names == tuple(TAGS)
    assert bundle.train.tag_categories == tuple(TAGS)  # the Parquet taxonomy was read
    assert upload_label(files, "abcdef123") == "Upload x.parquet (abcdef)"
    assert upload_label(files, "abcdef123", "  my   catalogue ") == "Upload my catalogue"


def test_a_folder_outside_the_roots_says_how_to_allow_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEWO_DATA_ROOTS", str(tmp_path / "allowed"))
    (tmp_path / "other").mkdir()
    with pytest.raises(DataError, match="MEWO_DATA_ROOTS=") as info:
        check_data_folder(tmp_path / "other")
    assert "read when the server starts" in str(info.value)


# --- tuning reported in steps -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("model_type", ["robust-thresholds", "reservoir-transformer"])
def test_threshold_tuning_is_reported_in_steps(tmp_path: Path, model_type: str) -> None:
    bundle = load_folder(write_tiny_folder(tmp_path / "data", n=120))
    params = fast_params(model_type, **({} if model_type == "robust-thresholds" else
                                         {"epochs": 1}))  # fmt: skip
    events: list[ProgressEvent] = []
    train_and_save(bundle, model_type, params, None, progress=events.append)
    tuning = [e for e in events if e.stage == "thresholds"]
    steps = [e.step for e in tuning]
    assert tuning[0].total > 2 and steps[0] == 0 and steps[-1] == tuning[-1].total
    assert steps == sorted(steps) and len(set(steps)) > 2  # several steps, in order
    assert {e.total for e in tuning} == {tuning[0].total}


def test_jobs_belong_to_their_owner_and_only_the_owner_cancels() -> None:
    registry = JobRegistry()
    release = threading.Event()

    def work(progress) -> int:
        while not release.wait(0.01):
            progress(ProgressEvent("fit", 0, 1))
        return 1

    job = registry.start("a's training", work, owner="alice")
    assert [j.id for j in registry.jobs("training", owner="alice")] == [job.id]
    assert registry.jobs("training", owner="bob") == []
    assert registry.running("training")  # the one-at-a-time rule stays server-wide
    assert not registry.cancel(job.id, owner="bob")
    assert registry.cancel(job.id, owner="alice")
    done = registry.wait(job.id, timeout=10)
    release.set()
    assert done.status == "cancelled" and "nothing was saved" in done.error
    assert not registry.cancel(job.id, owner="alice")  # already over


def test_a_cancelled_training_never_creates_its_artifact_folder(tmp_path: Path) -> None:
    """Cancel at the first progress event of a real training: the job ends as cancelled and
    the artifact folder does not exist (nothing half-written, nothing at all)."""

    bundle = load_folder(write_tiny_folder(tmp_path / "d", n=300))
    registry = JobRegistry()
    seen = threading.Event()
    out = tmp_path / "artifacts" / "never"

    def work(progress) -> object:
        def relay(event) -> None:
            seen.set()
            registry.cancel(job_id[0], owner="me")  # the user presses Cancel now
            progress(event)

        return train_and_save(bundle, "robust-thresholds", fast_params("robust-thresholds"),
                              out, progress=relay)  # fmt: skip

    job_id: list[str] = []
    job_id.append(registry.start("cancel me", work, owner="me").id)
    done = registry.wait(job_id[0], timeout=120)
    assert seen.is_set() and done.status == "cancelled", (done.status, done.error)
    assert not out.exists()
    assert not (out.parent.exists() and any(out.parent.iterdir()))  # no temporary left either
