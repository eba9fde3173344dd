"""Explanation speed and faithfulness on the demo model, side by side with the obvious peer.

    python benchmarks/bench_explain.py [--model artifacts/demo-model] [--data DIR]
        [--tracks 20] [--map-tracks 300] [--peer-tracks 30]

- one track's explanation of all its flipped tags (model vs baseline disagreements), in
  process after the model is loaded (target < 300 ms);
- a what-if rerun as the app does it: edit one score, recompute every decision, re-explain the
  shown tag (target < 500 ms);
- the relation map over a sample of the validation split: ours (one vectorised Jacobian pass
  per path point) vs the naive per-tag loop of Captum calls, on the same tracks; then ours on
  ``--map-tracks`` (target < 60 s);
- completeness of the local explanations (share within 1 %, steps used).

Without ``--data`` the default demo catalogue is generated into the cache (once).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._timing import timed  # noqa: E402
from mewo_core import demo  # noqa: E402
from mewo_core.artifacts import load_model  # noqa: E402
from mewo_core.artifacts.training import fit_baseline  # noqa: E402
from mewo_core.data import SplitSpec, load_folder  # noqa: E402
from mewo_core.explain.attribution import within_tolerance  # noqa: E402
from mewo_core.explain.path import Explainer, reference_track  # noqa: E402
from mewo_core.explain.relations import relation_map  # noqa: E402
from mewo_core.explain.whatif import what_if  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="artifacts/demo-model")
    p.add_argument("--data")
    p.add_argument("--tracks", type=int, default=20)
    p.add_argument("--map-tracks", type=int, default=300)
    p.add_argument("--peer-tracks", type=int, default=30)
    args = p.parse_args()
    torch.set_num_threads(2)
    bundle = (load_folder(args.data) if args.data
              else demo.load_demo_bundle(demo.ensure_demo_data()))
    model = load_model(args.model)
    validation = SplitSpec().split(bundle).validation
    train = SplitSpec().split(bundle).train
    t0 = time.perf_counter()
    explainer = Explainer(model, fit_baseline(bundle), reference_track(model, train))
    print(f"explainer ready in {time.perf_counter() - t0:.2f} s "
          f"({validation.n_tracks:,} validation tracks, {len(model.kept_tags)} kept tags)")
    X = model.align(validation).X.astype(np.float64)
    rng = np.random.default_rng(0)
    rows = rng.choice(X.shape[0], args.tracks, replace=False)
    explainer.explain(X[rows[0]])  # warm-up (imports, first graph)
    walls, cpus, n_flipped, within, steps, before = [], [], [], [], [], []
    from mewo_core.explain.attribution import integrated_gradients as _ig

    def attribute(x: np.ndarray, tags: list[int]) -> None:
        if tags and explainer.view is not None:
            _ig(explainer.view, explainer.view.transform(x[None]), explainer._z_ref, tags)

    for r in rows:
        _, dec, base = explainer.decisions(X[r])
        flipped = np.flatnonzero(dec != base).tolist()
        best, med, cpu, exps = timed(lambda f=flipped, r=r: explainer.explain(X[r], f), 1)
        walls.append(med)
        cpus.append(cpu)
        n_flipped.append(len(flipped))
        kept = [t for t in flipped if explainer.view is not None and explainer.view.blend[t] > 0]
        # the attribution alone: every flipped tag (the previous method, fallback tags too)
        # against the kept ones only (now)
        before.append((timed(lambda f=flipped, r=r: attribute(X[r], f), 1)[1],
                       timed(lambda f=kept, r=r: attribute(X[r], f), 1)[1]))
        if flipped and explainer.view is not None:
            from mewo_core.explain.attribution import integrated_gradients

            z = explainer.view.transform(X[r][None])
            a = integrated_gradients(explainer.view, z, explainer._z_ref, flipped)
            within.append(within_tolerance(a).mean())
            steps.extend(a.steps.ravel().tolist())
    print(f"explain all flipped tags of one track: median {np.median(walls) * 1e3:.0f} ms "
          f"(p90 {np.quantile(walls, 0.9) * 1e3:.0f} ms, CPU median {np.median(cpus) * 1e3:.0f} "
          f"ms), {np.mean(n_flipped):.1f} flipped tags per track on average")
    old, new = np.array(before).T
    print(f"  attribution alone: all flipped tags (previous method) median "
          f"{np.median(old) * 1e3:.0f} ms (p90 {np.quantile(old, 0.9) * 1e3:.0f} ms), kept tags "
          f"only (now) median {np.median(new) * 1e3:.0f} ms (p90 "
          f"{np.quantile(new, 0.9) * 1e3:.0f} ms)")
    if steps:
        print(f"completeness within 1 %: {np.mean(within):.3f} of (track, tag); steps used: "
              + ", ".join(f"{s}: {c}" for s, c in zip(*np.unique(steps, return_counts=True),
                                                       strict=True)))
    what = []
    for r in rows[:10]:
        tag = explainer.default_tags(X[r])[:1] or [0]
        (e,) = explainer.explain(X[r], tag)
        feat = e.contributions["feature"].iloc[0] if not e.contributions.empty else \
            model.feature_names_[0]
        _, med, _, _ = timed(lambda r=r, f=feat, t=tag: what_if(explainer, X[r], {f: 0.5}, t), 1)
        what.append(med)
    print(f"what-if rerun (edit, all decisions, re-explain one tag): median "
          f"{np.median(what) * 1e3:.0f} ms (p90 {np.quantile(what, 0.9) * 1e3:.0f} ms)")
    ref = explainer.reference
    _, ours, ours_cpu, m1 = timed(lambda: relation_map(
        model, validation, ref, max_tracks=args.peer_tracks), 1)
    _, peer, peer_cpu, m2 = timed(lambda: relation_map(
        model, validation, ref, max_tracks=args.peer_tracks, naive=True), 1)
    diff = np.abs(m1.mean_contribution - m2.mean_contribution).max()
    print(f"relation map, {args.peer_tracks} tracks x {len(m1.tag_names)} tags: ours "
          f"{ours:.1f} s (CPU {ours_cpu:.1f}), naive per-tag Captum loop {peer:.1f} s (CPU "
          f"{peer_cpu:.1f}): {peer / ours:.1f}x (CPU {peer_cpu / ours_cpu:.1f}x); max difference "
          f"{diff:.1e}")
    _, full, full_cpu, m3 = timed(lambda: relation_map(
        model, validation, ref, max_tracks=args.map_tracks), 1)
    print(f"relation map, {m3.n_tracks} sampled validation tracks: {full:.1f} s "
          f"(CPU {full_cpu:.1f} s); all {validation.n_tracks:,} tracks extrapolated: "
          f"{full / m3.n_tracks * validation.n_tracks:.0f} s")


if __name__ == "__main__":
    main()
