"""The CLI's ``explain`` command (``python -m mewo_core explain …``)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..data.io import write_csv_atomic
from ..errors import MewoError
from ..session import Session
from .output import print_json
from .sessions import open_session

SPLITS = ("validation", "test", "train")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``explain`` subcommand's arguments."""
    x = sub.add_parser("explain", help="why a model decides each tag of a track; relation map")
    x.add_argument("--model", required=True, help="artifact folder (or 'baseline')")
    x.add_argument("--data", help="data folder (default: the one the model was trained on)")
    x.add_argument("--split", choices=SPLITS, default="validation",
                   help="where to find the track / compute the relation map (train: all of it)")
    x.add_argument("--track", type=int, help="ChallengeID of the track to explain")
    x.add_argument("--tag", action="append", default=[], help="tag to explain (repeatable)")
    x.add_argument("--top", type=int, help="contributions listed per tag (default: all)")
    x.add_argument("--set", action="append", default=[], metavar="FEATURE=VALUE",
                   help="what-if: replace a raw input score (repeatable)")
    x.add_argument("--relations", action="store_true", help="compute the global relation map")
    x.add_argument("--max-tracks", type=int, default=None,
                   help="relation map: the whole split up to this many tracks, a seeded sample "
                        "above (default 20000)")
    x.add_argument("--out", help="relation map: CSV file to write")
    x.add_argument("--json", action="store_true", help="print one JSON object")


def _session(args: argparse.Namespace) -> Session:
    """The model (or the baseline) on its data folder, with the splits it was trained on."""
    return open_session(args.model, args.data)


def cmd_explain(args: argparse.Namespace) -> int:
    from ..explain.decision import album_of
    from ..explain.report import track_report, track_text
    from ..explain.whatif import apply_edits, parse_edits

    if args.top is not None and args.top < 0:
        raise MewoError("--top must be a non-negative integer")
    if args.relations:
        return _relations(args)
    if args.track is None:
        raise MewoError("--track ID is required (or --relations)")
    session = _session(args)
    model = session.model
    data = getattr(session.splits, args.split)
    found = np.flatnonzero(data.ids == args.track)
    if not found.size:
        raise MewoError(f"no track {args.track} in the {args.split} split ({data.n_tracks} tracks)")
    data = model.align(data)
    x = data.X[int(found[0])].astype(np.float64)
    edits = parse_edits(args.set, model.feature_names_)
    explainer = session.explainer()
    edited = apply_edits(x, model.feature_names_, edits)
    unknown = [t for t in args.tag if t not in model.tag_names_]
    if unknown:
        raise MewoError(f"unknown --tag {unknown[0]!r} (not one of the model's tags)")
    tags = [model.tag_names_.index(t) for t in args.tag] or None
    album, mate_ids = album_of(model, data, int(found[0]))
    explanations = explainer.explain(edited, tags, album, mate_ids)
    sources = session.threshold_sources()
    if args.json:
        print_json({
            "track": int(args.track),
            "model": str(args.model),
            **track_report(explainer, explanations, sources, session.manifest, x=x,
                           edited=edited, edits=edits, album=album, mate_ids=mate_ids,
                           top=args.top),
        })
        return 0
    print(f"track {args.track} ({args.split} split), model {args.model}"
          + (f", edits: {', '.join(f'{f}={v:g}' for f, v in edits.items())}" if edits else ""))
    if not explanations:
        print("  no tag where model and baseline disagree, and no positive decision")
    for line in track_text(explanations, sources, session.manifest, args.top):
        print(line)
    return 0


def _relations(args: argparse.Namespace) -> int:
    from ..explain.adapter import has_correction
    from ..explain.relations import (
        MAX_TRACKS,
        agreement,
        data_structure,
        relation_map,
        top_relations,
    )

    if not args.out and not args.json:
        raise MewoError("--relations needs --out FILE.csv (or --json)")
    if args.max_tracks is not None and args.max_tracks < 1:
        raise MewoError("--max-tracks must be at least 1")
    session = _session(args)
    model = session.model
    if not has_correction(model):
        raise MewoError(f"{args.model} is a threshold model: it has no learned relations")
    relations = relation_map(
        model, getattr(session.splits, args.split), session.explainer().reference,
        seed=session.spec.seed, max_tracks=args.max_tracks or MAX_TRACKS,
    )
    structure = data_structure(relations, session.splits.train)
    agree = agreement(relations, structure)
    top = top_relations(relations, structure, top=args.top or 20)
    if args.out:
        out = Path(args.out)
        frame = top_relations(relations, structure, top=relations.mean_abs.size)
        write_csv_atomic(frame, out)
    if args.json:
        print_json({
            "model": str(args.model), "split": args.split, "tracks": relations.n_tracks,
            "quadrature_nodes": relations.n_steps, "complete_share": relations.complete_share,
            "relative_residual": relations.relative_residual,
            "check": {"tracks": relations.check_tracks, "nodes": relations.check_steps,
                      "max_relative_error": relations.check_error},
            "kept_tags": list(relations.tag_names), "agreement": agree,
            "top": top.to_dict(orient="records"),
        })
        return 0
    print(f"relation map of {args.model} on {relations.n_tracks} tracks of the {args.split} "
          f"split: {len(relations.tag_names)} of {len(model.tag_names_)} tags keep a correction")
    print(f"  {relations.n_steps} quadrature nodes: contributions add up within 1 % for "
          f"{relations.complete_share:.1%} of (track, tag) pairs, summed residual "
          f"{relations.relative_residual:.2%} of the summed gap; against {relations.check_steps} "
          f"nodes on {relations.check_tracks} tracks the mean contributions differ by at most "
          f"{relations.check_error:.2%} of the largest")
    for name in ("signed_vs_log_lift", "abs_vs_abs_score_correlation"):
        print(f"  agreement (Spearman) {name}: {agree[name]:.3f} "
              f"over {agree[name + '_pairs']} pairs")
    if args.out:
        print(f"wrote {args.out}")
    print(top.to_string(index=False, float_format="{:.4f}".format))
    return 0
