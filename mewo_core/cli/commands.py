"""The CLI's commands: each takes parsed arguments and returns an exit status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..artifacts import ManifestSummary, list_artifacts, load_model, read_manifest
from ..artifacts.training import fit_baseline, train_and_save, train_params
from ..compare.evaluation import (
    Comparison,
    bootstrap_groups,
    evaluate_decisions,
    overall_intervals,
)
from ..compare.export import comparison_text, dataset_summary, evaluation_text
from ..data import SplitSpec, load_folder
from ..errors import DataError, MewoError
from ..session import Session
from ..targets.report import session_target_report
from .explain import cmd_explain  # noqa: F401  (dispatched by name from cli.main)
from .output import PartsProgress, PredictProgress, ProgressBars, print_json
from .parser import model_options
from .review import cmd_label_issues, cmd_review  # noqa: F401  (dispatched by name)

if TYPE_CHECKING:
    from ..predict import PredictSummary

BASELINE_NAMES = ("baseline", "global-threshold")


def cmd_demo_data(args: argparse.Namespace) -> int:
    from ..demo import write_demo_data

    if args.tracks < 100:
        raise MewoError("--tracks must be at least 100")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise MewoError(f"{out} is not empty; choose an empty folder or use --force")
    try:
        paths = write_demo_data(out, n_tracks=args.tracks, seed=args.seed, fmt=args.format,
                                label_noise=args.label_noise)
    except OSError as exc:
        raise DataError(f"cannot write ({exc.strerror or exc})", file=str(out)) from None
    for name, path in paths.items():
        print(f"wrote {name}: {path}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    bundle = load_folder(args.data)
    summary = {"train": dataset_summary(bundle.train)}
    if bundle.test is not None:
        summary["test"] = dataset_summary(bundle.test)
    warnings = list(bundle.train.warnings) + (list(bundle.test.warnings) if bundle.test else [])
    if args.json:
        print_json({"ok": True, "summary": summary, "warnings": warnings})
        return 0
    print(f"{args.data}: OK")
    for part, info in summary.items():
        print(
            f"  {part}: " + ", ".join(f"{k} {v}" for k, v in info.items() if k != "tags_per_class")
        )
        print(f"    tags per class: {info['tags_per_class']}")
    for w in warnings:
        print(f"  warning: {w}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.bootstrap and not 0 < args.level < 1:
        raise MewoError(f"--level must be between 0 and 1 (exclusive), got {args.level}")
    if args.model in BASELINE_NAMES:
        return _evaluate_baseline(args)
    manifest = read_manifest(args.model)
    folder = args.data or ManifestSummary.of(manifest).data_folder
    if not folder:
        raise MewoError("--data is required: the model does not record its data folder")
    if not args.data and not Path(folder).is_dir():
        raise MewoError(
            f"the model was trained on {folder}, which is not here: pass --data DIR "
            "(for the demo model: python -m mewo_core demo-data --out data/demo)"
        )
    bundle = load_folder(folder)
    if ManifestSummary.of(manifest).data_fingerprint not in (None, bundle.train.fingerprint):
        print(
            f"warning: {args.model} was trained on other data than {folder}'s train files"
            + (
                "; this folder has no test files, so its holdout may hold tracks the model saw"
                if bundle.test is None
                else ""
            ),
            file=sys.stderr,
        )
    spec = SplitSpec.from_manifest(manifest)
    if args.seed is not None and args.seed != spec.seed:
        raise MewoError(
            f"{args.model} was trained with split seed {spec.seed}; --seed {args.seed} would "
            "score it on tracks it may have been trained on (leave --seed out)"
        )
    session = Session.open(bundle, str(folder), args.model, manifest=manifest)
    test = session.data("test")
    comparison = session.comparison("test", replicates=args.bootstrap, level=args.level)
    targets = session_target_report(session, "test")  # None unless fitted for targets
    if args.json:
        print_json(
            {
                "model": str(args.model),
                "data": folder,
                "split": test.name,
                "n_tracks": test.n_tracks,
                "min_support": args.min_support,
                **comparison.to_dict(),
                **_won_lost_json(comparison, args.top, args.min_support),
                **({"targets": targets.to_dict()} if targets else {}),
                # per tag, the crossfit keep test's CV gain and interval (None otherwise)
                "keep_test": getattr(session.model, "keep_report", lambda: None)(),
            }
        )
    else:
        print(
            comparison_text(
                comparison,
                f"{args.model} vs per-tag thresholds on {folder} "
                f"({test.name}, {test.n_tracks} tracks)",
                top=args.top,
                min_support=args.min_support,
            ),
            end="",
        )
        if targets:
            print(targets.text(top=args.top), end="")
    return 0


def _won_lost_json(comparison: Comparison, top: int, min_support: int) -> dict[str, object]:
    won, lost = comparison.won_lost(top, min_support)
    return {"won": won["tag"].tolist(), "lost": lost["tag"].tolist()}


def _evaluate_baseline(args: argparse.Namespace) -> int:
    """``evaluate --model baseline|global-threshold``: fitted on train, scored on test."""
    if not args.data:
        raise MewoError("--data is required to evaluate a baseline")
    bundle = load_folder(args.data)
    spec = SplitSpec(seed=args.seed or 0)
    splits = spec.split(bundle)
    test = splits.test
    model = fit_baseline(bundle, spec, args.model)
    tuned_on = model.tuning.describe(splits)
    decisions = model.predict(test)
    result = evaluate_decisions(test, decisions)
    intervals, info = None, None
    if args.bootstrap:
        groups, column = bootstrap_groups(test)
        intervals, info = overall_intervals(test, decisions, groups=groups, group_column=column,
                                            replicates=args.bootstrap, level=args.level,
                                            seed=spec.seed)  # fmt: skip
    if args.json:
        print_json(
            {
                "model": args.model,
                "data": args.data,
                "split": test.name,
                "n_tracks": test.n_tracks,
                "tuned_on": tuned_on,
                "bootstrap": info,
                "intervals": None if intervals is None else {
                    k: {"low": lo, "high": hi} for k, (lo, hi) in intervals.items()
                },
                **result.to_dict(),
            }  # fmt: skip
        )
    else:
        print(
            evaluation_text(
                result,
                f"{args.model} on {args.data} ({test.name}, {test.n_tracks} tracks; "
                f"tuned on {tuned_on})",
                top=args.top,
                intervals=intervals,
                bootstrap_info=info,
            )
        )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    options = {name: getattr(args, name) for name in model_options()}
    params = train_params(args.model, options, seed=args.seed)
    bundle = load_folder(args.data)
    bars = ProgressBars(args.quiet)
    try:
        result = train_and_save(
            bundle,
            args.model,
            params,
            args.out,
            spec=SplitSpec(seed=args.seed),
            force=args.force,
            progress=bars,
        )
    finally:
        bars.close()
    print(f"saved {result.path}")
    if result.model.context_ is not None:
        state = "on" if result.model.uses_context else "off"
        print(f"  {result.model.context_.describe()}: {state}")
    for part in ("validation", "test"):
        if part in result.metrics:
            scores = result.metrics[part]
            print(f"  {part}: " + ", ".join(f"{k} F1 {v:.4f}" for k, v in scores.items()))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from ..predict import output_format, predict_stream

    out = Path(args.out)
    fmt = output_format(out, args.format)
    if out.exists() and not args.force:
        raise MewoError(f"{out} already exists; choose another file or use --force")
    if args.engine == "dask":
        return _predict_dask(args, out, fmt)
    model = load_model(args.model)
    first = PredictProgress(args.quiet, "group sums (pass 1 of 2)")
    try:
        summary = _run_predict(
            predict_stream, model, args, out, fmt, PredictProgress(args.quiet),
            groups=args.groups, first_pass=first,
        )  # fmt: skip
    finally:
        first.close()
    print(_written(str(out), summary))
    return 0


def _predict_dask(args: argparse.Namespace, out: Path, fmt: str) -> int:
    """``predict --engine dask``: see :mod:`mewo_core.predict.dask_engine`."""
    from ..predict.dask_engine import predict_dask

    summary = _run_predict(
        predict_dask, args.model, args, out, fmt, PartsProgress(args.quiet),
        scheduler=args.scheduler, n_workers=args.dask_workers, groups=args.groups,
    )  # fmt: skip
    print(_written(f"{out}/", summary, f", {int(summary.stages['parts'])} parts"))
    return 0


def _run_predict(
    run: Callable[..., PredictSummary],
    model: object,
    args: argparse.Namespace,
    out: Path,
    fmt: str,
    bar: PredictProgress | PartsProgress,
    **engine: object,
) -> PredictSummary:
    """``run(model, args.x, out, ...)`` (``predict_stream`` or ``predict_dask``) with the
    command's options, drawing ``bar`` (closed after) and taking SIGTERM as an interrupt."""
    with _terminate_as_interrupt():
        try:
            return run(
                model,
                args.x,
                out,
                fmt=fmt,
                chunk_rows=args.chunk_rows,
                with_scores=args.scores,
                force=args.force,
                progress=bar,
                **engine,
            )
        finally:
            bar.close()


def _written(where: str, summary: PredictSummary, detail: str = "") -> str:
    """The line ``predict`` prints at the end: what was written where, how fast."""
    return (
        f"wrote {where}: {summary.tracks} tracks x {summary.tags} tags, "
        f"{summary.positives} positive decisions ({summary.fmt}{detail}), "
        f"{summary.seconds:.1f} s, {summary.rate:,.0f} tracks/s"
    )


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt meanwhile, so a terminated run cleans up its
    temporary file like an interrupted one (SIGKILL cannot be caught: see predict.sinks)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def cmd_list(args: argparse.Namespace) -> int:
    infos = list_artifacts(args.root)
    if args.json:
        print_json(
            [
                {
                    "name": i.name,
                    "path": str(i.path),
                    "error": i.error,
                    "model_type": i.summary.model_type or None,
                    "metrics": i.summary.metrics or None,
                }
                for i in infos
            ]
        )
        return 0
    if not infos:
        print(f"no models under {args.root}")
    for info in infos:
        if info.error:
            print(f"{info.name}: unusable ({info.error})")
            continue
        m = info.summary
        test = m.metric("test")
        score = "no test metrics" if test is None else f"test weighted F1 {test:.4f}"
        kind = m.model_type + (f" ({m.variant})" if m.variant else "")
        print(f"{info.name}: {kind}, {score}, created {m.created}")
    return 0


def cmd_correlations(args: argparse.Namespace) -> int:
    from ..data import correlations

    session = Session.open(load_folder(args.data), str(args.data))
    data = session.splits.train  # the rows the app's Correlations page shows
    min_pair = correlations.DEFAULT_MIN_PAIR[args.view] if args.min_pair is None else args.min_pair
    if min_pair and data.Y is None:
        raise MewoError("--min-pair needs labels (y files): this folder has none")
    matrix = session.correlations(args.view).at_least(min_pair)
    pairs = correlations.strongest_pairs(matrix, top=args.top, by_abs=args.view != "lift")
    if args.json:
        print_json(pairs.to_dict(orient="records"))
    else:
        print(f"{args.view}: strongest pairs on {data.n_tracks} train tracks (the train part; "
              f"pairs seen together on fewer than {min_pair} tracks left out)")
        print(pairs.to_string(index=False, float_format="{:.4f}".format))
    return 0
