"""The issue's removal check, read literally, on the shipped demo model and the demo's validation.

For the tracks whose correction moves by more than 0.1 logit on some tag, and their 10 most
moving tags: set the tag's largest |contribution| (or its largest contribution in the
direction of the move) to its reference value; does the correction move toward the reference
correction?

    .venv/bin/python benchmarks/explain_removal.py [--tracks 20]   (needs data/demo)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mewo_core.artifacts import read_manifest  # noqa: E402
from mewo_core.data import load_folder  # noqa: E402
from mewo_core.explain.attribution import integrated_gradients  # noqa: E402
from mewo_core.session import Session  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="artifacts/demo-model")
    p.add_argument("--data", default="data/demo")
    p.add_argument("--tracks", type=int, default=20)
    args = p.parse_args()
    if not Path(args.data).is_dir():
        raise SystemExit(f"no {args.data}: write it with python -m mewo_core demo-data --out "
                         f"{args.data}")
    session = Session(load_folder(args.data), args.data, model_path=args.model,
                      manifest=read_manifest(args.model), model_name=Path(args.model).name)
    explainer = session.explainer()
    view, z_ref = explainer.view, explainer._z_ref
    X = session.model.align(session.data("validation")).X[:400].astype(np.float64)
    gaps = np.abs(view.correction_np(view.transform(X)) - view.correction_np(z_ref[None]))
    literal, directional = [], []
    for i in np.flatnonzero(gaps.max(axis=1) > 0.1)[: args.tracks]:
        z = view.transform(X[i][None])[0]
        tags = np.argsort(-gaps[i])[:10].tolist()
        attr = integrated_gradients(view, z[None], z_ref, tags)
        for j, t in enumerate(tags):
            c, ref = attr.correction[0, j], attr.reference_correction[j]
            contrib = attr.contributions[0, j]
            for f, store in ((int(np.argmax(np.abs(contrib))), literal),
                             (int(np.argmax(contrib * np.sign(c - ref))), directional)):
                removed = z.copy()
                removed[f] = z_ref[f]
                after = float(view.correction_np(removed[None])[0, t])
                store.append(abs(after - ref) < abs(c - ref))
    print(f"{len(literal)} (track, tag) cases: removing the largest |contribution| moves the "
          f"correction toward the reference in {np.mean(literal):.1%}; removing the largest "
          f"contribution in the direction of the move: {np.mean(directional):.1%}")


if __name__ == "__main__":
    main()
