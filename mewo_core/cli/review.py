"""The CLI's ``review`` and ``label-issues`` commands (``python -m mewo_core review …``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..data.io import write_csv_atomic
from ..errors import MewoError
from ..session import Session
from .output import print_json
from .sessions import open_session

SPLITS = ("test", "validation", "train")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``review`` and ``label-issues`` subcommands' arguments."""
    from ..review.gain import AVERAGES

    r = sub.add_parser("review", help="the decisions an editor should check first (review queue)")
    r.add_argument("--model", required=True, help="artifact folder, or 'baseline'")
    r.add_argument("--data", help="data folder (default: the one the model was trained on)")
    r.add_argument("--split", choices=SPLITS, default="test", help="the decisions to rank")
    r.add_argument(
        "--x",
        help="rank an unlabelled scores file instead (CSV, Parquet, folder or "
        "glob; streamed as predict reads it)",
    )
    r.add_argument("--budget", type=_positive, default=500, help="checks listed (default 500)")
    r.add_argument(
        "--average",
        choices=AVERAGES,
        default="weighted",
        help="the F1 whose expected gain ranks the checks (default weighted)",
    )
    r.add_argument("--chunk-rows", type=_positive, default=16_384, help="with --x: rows a chunk")
    r.add_argument("--out", required=True, help="CSV file to write (atomically)")
    r.add_argument("--force", action="store_true", help="replace an existing output file")
    r.add_argument("--json", action="store_true", help="print one JSON object")

    i = sub.add_parser("label-issues", help="likely label errors of a labelled data folder")
    i.add_argument("--data", required=True, help="data folder (train and test parts together)")
    i.add_argument("--top", type=_positive, default=1000, help="issues listed (default 1000)")
    i.add_argument("--folds", type=_positive, default=5, help="grouped folds (default 5)")
    i.add_argument("--seed", type=int, default=0, help="seed of the folds")
    i.add_argument("--no-context", action="store_true", help="ignore the album context")
    i.add_argument("--tag", action="append", default=[], help="only this tag (repeatable)")
    i.add_argument(
        "--class",
        dest="tag_class",
        action="append",
        default=[],
        help="only tags of this class (repeatable)",
    )
    i.add_argument("--out", required=True, help="CSV file to write (atomically)")
    i.add_argument("--force", action="store_true", help="replace an existing output file")
    i.add_argument("--json", action="store_true", help="print one JSON object")


def _check_out(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    if out.exists() and not args.force:
        raise MewoError(f"{out} already exists; choose another file or use --force")
    return out


def _session(args: argparse.Namespace) -> Session:
    """The model (or the baseline) on its data folder, with the splits it was trained on."""
    return open_session(args.model, args.data)


def review_queue(args: argparse.Namespace):  # noqa: ANN201
    """What ``review`` writes: the queue table, and the split's result (None with ``--x``)."""
    from ..review.workflow import fit_calibrator, review_split, review_stream

    session = _session(args)
    model = session.model
    calibrator = fit_calibrator(session.tuning_data("model"), session.scores("model", "tuning"))
    if args.x:
        frame = review_stream(model, calibrator, args.x, budget=args.budget,
                              average=args.average, chunk_rows=args.chunk_rows)  # fmt: skip
        return frame, None
    result = review_split(
        model,
        calibrator,
        session.part(args.split),
        budget=args.budget,
        average=args.average,
        scores=session.scores("model", args.split),
    )
    return result.frame(), result


def cmd_review(args: argparse.Namespace) -> int:
    out = _check_out(args)
    frame, result = review_queue(args)
    write_csv_atomic(frame, out)
    curves = None if result is None or result.curves is None else result.curves
    if args.json:
        print_json({
            "out": str(out), "checks": len(frame),
            "expected_gain": float(frame["expected_gain"].sum()),
            "curves": None if curves is None else curves.to_dict(orient="records"),
            "calibration": None if result is None or result.calibration is None
            else result.calibration.to_dict(orient="records"),
        })  # fmt: skip
        return 0
    print(f"wrote {out}: {len(frame)} checks, expected {args.average} F1 gain "
          f"{frame['expected_gain'].sum():+.4f}")  # fmt: skip
    if curves is not None:
        print(
            f"{args.average} F1 gain after checking a fraction of the {args.split} decisions "
            "(measured: a check reveals the label):"
        )
        table = curves.pivot(index="ordering", columns="fraction", values="gain")
        for name, row in table.iterrows():
            print(f"  {name:<12}" + "".join(f"  {f:>4.0%}: {v:+.4f}" for f, v in row.items()))
        cal = result.calibration
        print("calibration (ECE): " + ", ".join(
            f"{r['class']} {r['ece']:.4f} (raw scores {r['ece_raw_scores']:.4f})"
            for r in cal.to_dict(orient="records")))  # fmt: skip
    return 0


def cmd_label_issues(args: argparse.Namespace) -> int:
    from ..data import load_folder
    from ..review.label_issues import find_label_issues
    from ..review.workflow import whole_catalogue

    out = _check_out(args)
    data = whole_catalogue(load_folder(args.data))
    unknown = [t for t in args.tag if t not in data.tag_names]
    if unknown:
        raise MewoError(f"unknown --tag {unknown[0]!r} (not one of the data's tags)")
    classes = sorted(set(data.tag_classes))
    bad = [c for c in args.tag_class if c not in classes]
    if bad:
        raise MewoError(f"unknown --class {bad[0]!r}; the data's classes: {', '.join(classes)}")
    issues = find_label_issues(data, n_folds=args.folds, seed=args.seed,
                               context=not args.no_context)  # fmt: skip
    frame = issues.only(args.tag, args.tag_class).frame(args.top)
    write_csv_atomic(frame, out)
    if args.json:
        print_json({"out": str(out), "issues": len(frame), "flagged_over_half": issues.flagged(),
                    "weights": [float(w) for w in issues.weights]})  # fmt: skip
        return 0
    print(
        f"wrote {out}: {len(frame)} likely label errors of {data.n_tracks} tracks x "
        f"{data.n_tags} tags ({issues.flagged()} labels more likely wrong than right)"
    )
    for r in frame.head(5).itertuples():
        print(f"  track {r.track}: {r.reason}")
    return 0
