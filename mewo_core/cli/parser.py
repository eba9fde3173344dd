"""The argument parser: one subparser per command; ``train``'s model options come from the
models' parameter specs (``DecisionModel.params``, the ``exposed`` ones)."""

from __future__ import annotations

import argparse

from ..compare.evaluation import LEVEL, MIN_SUPPORT, REPLICATES
from ..demo.noise import DEFAULT as NOISE_DEFAULT
from ..demo.noise import parse_label_noise
from ..models import MODEL_TYPES, model_class
from ..models.params import Param


def _count(text: str) -> int:
    """A non-negative integer argument."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _positive(text: str) -> int:
    """A positive integer argument."""
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The CLI's parser: every command and its flags."""
    p = argparse.ArgumentParser(
        prog="python -m mewo_core",
        description="Mewo Tag Lab: turn auto-tagger scores into tag decisions and evaluate them.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo-data", help="write the synthetic Mewo-like demo catalogue")
    d.add_argument("--out", required=True, help="folder to write the CSV files to")
    d.add_argument("--tracks", type=_count, default=110_000)
    d.add_argument("--seed", type=_count, default=0)
    d.add_argument("--format", choices=["csv", "parquet"], default="csv", help="file format")
    d.add_argument("--force", action="store_true", help="write into a non-empty folder")
    d.add_argument("--label-noise", nargs="?", const=NOISE_DEFAULT, type=parse_label_noise,
                   metavar="MISSING,SPURIOUS", help="flip labels at known places, listed in "
                   f"label_noise.csv (rates of the positives, negatives; alone: {NOISE_DEFAULT})")

    v = sub.add_parser("validate", help="check a data folder and summarise it")
    v.add_argument("--data", required=True)
    v.add_argument("--json", action="store_true")

    e = sub.add_parser("evaluate", help="evaluate a model against the per-tag-threshold baseline")
    e.add_argument("--data", help="data folder (default: the one the model was trained on)")
    e.add_argument(
        "--model", default="baseline", help="'baseline', 'global-threshold' or an artifact folder"
    )
    e.add_argument(
        "--seed",
        type=_count,
        help="seed of the holdout split if no test files (baselines; a model uses its own)",
    )
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--top", type=_count, default=10, help="tags shown per table (text report)")
    e.add_argument(
        "--bootstrap", type=_count, default=REPLICATES, metavar="N",
        help="group-bootstrap replicates for the intervals (resampling the coarsest group "
        "column, e.g. artists; tracks without groups.csv); 0: no intervals (default %(default)s)",
    )  # fmt: skip
    e.add_argument(
        "--level", type=float, default=LEVEL, help="interval level (default %(default)s)"
    )
    e.add_argument(
        "--min-support", type=_count, default=MIN_SUPPORT, metavar="K",
        help="tags with fewer positives on the split are left out of the won / lost lists "
        "(default %(default)s)",
    )  # fmt: skip

    t = sub.add_parser("train", help="train a decision model and save it as an artifact")
    t.add_argument("--data", required=True)
    t.add_argument("--model", default="reservoir-transformer", help="model type")
    _add_model_options(t)
    t.add_argument("--seed", type=_count, default=0, help="seed of the splits and the model")
    t.add_argument("--out", required=True, help="artifact folder, e.g. artifacts/my-model")
    t.add_argument("--force", action="store_true", help="replace an existing artifact")
    t.add_argument("--quiet", action="store_true", help="no progress bars")

    r = sub.add_parser(
        "predict", help="decide a scores file (or Parquet partitions) chunk by chunk"
    )
    r.add_argument("--model", required=True, help="artifact folder")
    r.add_argument(
        "--x",
        required=True,
        help="scores: a CSV or Parquet file, a folder of Parquet partitions, or a glob of them",
    )
    r.add_argument("--out", required=True, help="file to write (atomically)")
    r.add_argument(
        "--format",
        choices=["csv", "parquet", "long"],
        default=None,
        help="csv: ChallengeID + 0/1 per tag (the challenge's y shape); parquet: the same as "
        "uint8 columns; long: one row per positive decision (Parquet if OUT ends in .parquet, "
        "else CSV). Default: parquet for a .parquet OUT, else csv",
    )
    r.add_argument(
        "--chunk-rows", type=_positive, default=16_384, help="rows read and validated at a time"
    )
    r.add_argument("--scores", action="store_true", help="add the decision scores")
    r.add_argument(
        "--groups",
        default=None,
        help="groups file (ChallengeID, album_id, ...; e.g. the data folder's groups.csv): "
        "needed by a model with a group context, which blends each track with its album",
    )
    r.add_argument(
        "--engine",
        choices=["single", "dask"],
        default="single",
        help="single: one streaming process; dask: Parquet partitions on a Dask cluster "
        "(OUT is then a folder of one part per partition)",
    )
    r.add_argument(
        "--scheduler",
        default=None,
        help="with --engine dask: the scheduler's address (tcp://host:8786); default: a "
        "LocalCluster on this machine",
    )
    r.add_argument(
        "--dask-workers",
        type=_positive,
        default=2,
        help="with --engine dask and no --scheduler: LocalCluster worker processes (default 2)",
    )
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--force", action="store_true", help="replace an existing output file")

    c = sub.add_parser("correlations", help="strongest score / label correlations and lifts")
    c.add_argument("--data", required=True, help="data folder (its train part is used)")
    c.add_argument("--view", choices=["scores", "labels", "lift"], default="scores")
    c.add_argument("--top", type=_count, default=20, help="pairs to list")
    c.add_argument("--min-pair", type=int, default=None,
                   help="leave out pairs seen together on fewer tracks (default: 10 for lift, "
                   "0 otherwise; the app's default)")
    c.add_argument("--json", action="store_true")

    from .explain import add_parser as add_explain

    add_explain(sub)
    from .review import add_parser as add_review

    add_review(sub)

    ls = sub.add_parser("list", help="list saved models")
    ls.add_argument("--root", default="artifacts")
    ls.add_argument("--json", action="store_true")
    return p


def model_options() -> dict[str, list[tuple[str, Param]]]:
    """Each exposed option's name -> the (model type, parameter) pairs that take it."""
    options: dict[str, list[tuple[str, Param]]] = {}
    for model_type in MODEL_TYPES:
        for param in model_class(model_type).exposed_params():
            options.setdefault(param.name, []).append((model_type, param))
    return options


def _add_model_options(t: argparse.ArgumentParser) -> None:
    """One flag per exposed model option (default None: the model's own default)."""
    for name, takers in model_options().items():
        param = takers[0][1]
        if any(p.kind is not param.kind for _, p in takers):
            raise TypeError(f"models disagree on the kind of option {name}")
        uses = "; ".join(f"{t}: {_allowed(p)}, default {p.default}" for t, p in takers)
        t.add_argument(
            param.flag,
            dest=name,
            type=_converter(param),
            default=None,
            help=f"{param.help} ({uses})",
        )


def _allowed(param: Param) -> str:
    allowed = param.allowed()
    return ", ".join(allowed) if allowed is not None else param.describe()


def _converter(param: Param):  # noqa: ANN202
    """argparse ``type`` for ``param``: its kind, bounds checked (choices are the model's)."""

    def convert(text: str) -> object:
        try:
            return param.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = param.kind.__name__
    return convert
