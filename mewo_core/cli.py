"""Command line: ``python -m mewo_core COMMAND …`` (demo-data, validate, evaluate, train, …).

A user error prints one line ``error: …`` and exits with status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import MewoError

EXIT_USER_ERROR = 2


def _count(text: str) -> int:
    """A non-negative integer argument."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _parser() -> argparse.ArgumentParser:
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

    t = sub.add_parser("train", help="train a decision model and save it as an artifact")
    t.add_argument("--data", required=True)
    t.add_argument("--model", default="reservoir-transformer")
    t.add_argument("--variant", help="model variant (reservoir-transformer)")
    t.add_argument("--epochs", type=_count, help="training epochs (reservoir-transformer)")
    t.add_argument("--metric", help="target metric: weighted, micro, macro or samples")
    t.add_argument("--seed", type=_count, default=0)
    t.add_argument("--out", required=True, help="artifact folder, e.g. artifacts/my-model")
    t.add_argument("--force", action="store_true", help="replace an existing artifact")
    t.add_argument("--quiet", action="store_true", help="no progress bars")

    r = sub.add_parser("predict", help="write decisions in the challenge's y shape")
    r.add_argument("--model", required=True, help="artifact folder")
    r.add_argument("--x", required=True, help="scores file (x_*.csv or .parquet)")
    r.add_argument("--out", required=True, help="CSV file to write")
    r.add_argument("--force", action="store_true", help="replace an existing output file")

    c = sub.add_parser("correlations", help="strongest score / label correlations and lifts")
    c.add_argument("--data", required=True, help="data folder (its train part is used)")
    c.add_argument("--view", choices=["scores", "labels", "lift"], default="scores")
    c.add_argument("--top", type=_count, default=20, help="pairs to list")
    c.add_argument("--json", action="store_true")

    from .explain.command import add_parser as add_explain

    add_explain(sub)

    ls = sub.add_parser("list", help="list saved models")
    ls.add_argument("--root", default="artifacts")
    ls.add_argument("--json", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = _parser().parse_args(argv)
    from . import commands

    try:
        return getattr(commands, "cmd_" + args.command.replace("-", "_"))(args)
    except MewoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, indent=1, default=_json_default)
    sys.stdout.write("\n")


def _json_default(obj: object) -> object:
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(type(obj).__name__)
