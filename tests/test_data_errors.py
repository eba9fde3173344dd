"""Malformed inputs: each gives one clear DataError naming the file, column or line; the CLI
answers with exit status 2 and no traceback, and never changes a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mewo_core.cli import main
from mewo_core.data import load_folder
from mewo_core.errors import DataError

GOOD_X = "ChallengeID,genres-rock,moods-calm\n1,0.2,0.7\n2,0.9,0.1\n3,0.5,0.5\n"
GOOD_Y = "ChallengeID,genres-rock,moods-calm\n1,0,1\n2,1,0\n3,1,1\n"

# (case id, file to replace, its content, words the message must contain)
CASES: list[tuple[str, str, bytes | str, tuple[str, ...]]] = [
    ("x empty", "x_train.csv", "", ("x_train.csv", "empty")),
    ("x blank lines", "x_train.csv", "\n\n  \n", ("x_train.csv", "empty")),
    ("y empty", "y_train.csv", "", ("y_train.csv", "empty")),
    ("x header only", "x_train.csv", "ChallengeID,genres-rock,moods-calm\n", ("header only",)),
    ("y header only", "y_train.csv", "ChallengeID,genres-rock,moods-calm\n", ("header only",)),
    (
        "x no id column",
        "x_train.csv",
        "id,genres-rock,moods-calm\n1,0.2,0.7\n",
        ("ChallengeID", "x_train.csv"),
    ),
    ("y no id column", "y_train.csv", "track,genres-rock\n1,0\n", ("ChallengeID", "y_train.csv")),
    (
        "x duplicate id",
        "x_train.csv",
        GOOD_X + "2,0.3,0.3\n",
        ("duplicate id 2", "line 5", "x_train.csv"),
    ),
    ("y duplicate id", "y_train.csv", GOOD_Y + "1,0,0\n", ("duplicate id 1", "y_train.csv")),
    ("x id not in y", "x_train.csv", GOOD_X + "4,0.3,0.3\n", ("id 4", "not in y_train.csv")),
    ("y id not in x", "y_train.csv", GOOD_Y + "9,0,0\n", ("id 9", "not in x_train.csv")),
    ("x NaN", "x_train.csv", GOOD_X.replace("0.9", "NaN"), ("NaN", "genres-rock", "line 3")),
    ("x nan lowercase", "x_train.csv", GOOD_X.replace("0.1", "nan"), ("NaN", "moods-calm")),
    ("x inf", "x_train.csv", GOOD_X.replace("0.9", "inf"), ("infinite", "genres-rock", "line 3")),
    ("x -inf", "x_train.csv", GOOD_X.replace("0.7", "-inf"), ("infinite", "moods-calm", "line 2")),
    ("x empty cell", "x_train.csv", GOOD_X.replace("0.9", ""), ("empty cell", "genres-rock")),
    (
        "x text cell",
        "x_train.csv",
        GOOD_X.replace("0.9", "high"),
        ("'high' is not a number", "genres-rock", "line 3"),
    ),
    (
        "x text id",
        "x_train.csv",
        GOOD_X.replace("2,0.9", "two,0.9"),
        ("'two' is not a number", "ChallengeID", "line 3"),
    ),
    (
        "x fractional id",
        "x_train.csv",
        GOOD_X.replace("2,0.9", "2.5,0.9"),
        ("not an integer", "ChallengeID"),
    ),
    (
        "y label 2",
        "y_train.csv",
        GOOD_Y.replace("2,1,0", "2,2,0"),
        ("label 2 is not 0 or 1", "genres-rock", "line 3"),
    ),
    ("y label -1", "y_train.csv", GOOD_Y.replace("2,1,0", "2,-1,0"), ("label -1 is not 0 or 1",)),
    (
        "y label 0.5",
        "y_train.csv",
        GOOD_Y.replace("2,1,0", "2,0.5,0"),
        ("label 0.5 is not 0 or 1",),
    ),
    (
        "y label yes",
        "y_train.csv",
        GOOD_Y.replace("2,1,0", "2,yes,0"),
        ("'yes' is not 0 or 1", "genres-rock"),
    ),
    ("y label empty", "y_train.csv", GOOD_Y.replace("2,1,0", "2,,0"), ("empty cell",)),
    ("x semicolons", "x_train.csv", GOOD_X.replace(",", ";"), ("semicolon",)),
    ("y semicolons", "y_train.csv", GOOD_Y.replace(",", ";"), ("semicolon",)),
    (
        "x binary",
        "x_train.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        ("binary",),
    ),
    (
        "x not utf8",
        "x_train.csv",
        "ChallengeID,genres-rock\n1,0.\xe9\n".encode("latin-1"),
        ("x_train.csv",),
    ),
    ("x ragged row", "x_train.csv", GOOD_X + "4,0.1\n", ("malformed CSV", "x_train.csv")),
    ("x extra cell", "x_train.csv", GOOD_X + "4,0.1,0.2,0.3\n", ("malformed CSV",)),
    (
        "x duplicate column",
        "x_train.csv",
        "ChallengeID,genres-rock,genres-rock\n1,0.2,0.7\n",
        ("appears twice", "genres-rock"),
    ),
    ("x only ids", "x_train.csv", "ChallengeID\n1\n2\n3\n", ("no score columns",)),
    ("y only ids", "y_train.csv", "ChallengeID\n1\n2\n3\n", ("no tag columns",)),
    (
        "taxonomy unknown column",
        "taxonomy.csv",
        "column,class,category\ngenres-rock,genres,genres-band\ngenres-jazz,genres,genres-band\n",
        ("taxonomy.csv", "genres-jazz", "not in the data"),
    ),
    (
        "taxonomy bad header",
        "taxonomy.csv",
        "name,kind\ngenres-rock,genres\n",
        ("taxonomy.csv", "column,class,category"),
    ),
    (
        "taxonomy empty class",
        "taxonomy.csv",
        "column,class,category\ngenres-rock,,x\n",
        ("taxonomy.csv", "empty class"),
    ),
    (
        "groups missing ids",
        "groups.csv",
        "ChallengeID,album_id\n1,10\n2,10\n",
        ("groups.csv", "no group", "id 3"),
    ),
    (
        "groups no group column",
        "groups.csv",
        "ChallengeID\n1\n2\n3\n",
        ("groups.csv", "no group column"),
    ),
    (
        "groups text album",
        "groups.csv",
        "ChallengeID,album_id\n1,a\n2,b\n3,c\n",
        ("groups.csv", "album_id", "not a number"),
    ),
]


def _folder(tmp_path: Path, name: str, content: bytes | str) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "x_train.csv").write_text(GOOD_X)
    (folder / "y_train.csv").write_text(GOOD_Y)
    data = content.encode() if isinstance(content, str) else content
    (folder / name).write_bytes(data)
    return folder


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_good_folder_loads(tmp_path: Path) -> None:
    bundle = load_folder(_folder(tmp_path, "x_train.csv", GOOD_X))
    assert bundle.train.n_tracks == 3
    assert bundle.train.tag_names == ("genres-rock", "moods-calm")
    assert bundle.train.Y.tolist() == [[0, 1], [1, 0], [1, 1]]


@pytest.mark.parametrize(
    ("name", "content", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_input_gives_clear_error(
    tmp_path: Path, name: str, content: bytes | str, words: tuple[str, ...]
) -> None:
    folder = _folder(tmp_path, name, content)
    with pytest.raises(DataError) as info:
        load_folder(folder)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.parametrize(("name", "content"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_cli_user_error_exit_2_no_traceback_nothing_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes | str
) -> None:
    folder = _folder(tmp_path, name, content)
    before = _snapshot(folder)
    status = main(["evaluate", "--data", str(folder), "--model", "baseline"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: ") and "Traceback" not in err
    assert err.count("\n") == 1
    assert _snapshot(folder) == before


def test_cli_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", "--data", str(tmp_path / "nope")]) == 2
    assert "data folder not found" in capsys.readouterr().err
