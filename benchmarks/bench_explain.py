"""Explanation speed and faithfulness on the demo model, side by side with the obvious peer.

    python benchmarks/bench_explain.py [--model artifacts/demo-model] [--data DIR]
        [--tracks 20] [--map-tracks 300] [--peer-tracks 30]

- one track's explanation of all its flipped tags (model vs baseline disagreements), in
  process after the model is loaded (target p90 < 300 ms); its attribution alone with the
  batched exact Jacobian (now) and with Captum (the previous method), same tags and steps;
- a what-if rerun as the app does it: edit one score, recompute every decision, re-explain the
  shown tag (target < 500 ms);
- the relation map over the whole validation split (``--map-tracks``, default all; target
  < 60 s), beside the previous method (``vmap(jacrev)`` Jacobian per path point, 16 nodes) and
  the naive per-tag Captum loop on ``--peer-tracks`` tracks (extrapolated), and the map's error
  against the full integral (128 nodes) on ``--check-tracks`` tracks;
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
from mewo_core.explain.attribution import integrated_gradients, within_tolerance  # noqa: E402
from mewo_core.explain.path import Explainer, reference_track  # noqa: E402
from mewo_core.explain.relations import relation_map  # noqa: E402
from mewo_core.explain.whatif import what_if  # noqa: E402


def _previous_map_seconds(view, Z, z_ref, kept, n_steps: int = 16) -> float:  # noqa: ANN001
    """The previous relation map's attribution (``vmap(jacrev)`` per path point, 8 rows a
    batch), its wall time on the rows of ``Z``."""
    from torch.func import jacrev, vmap

    from mewo_core.explain.attribution import _gauss_legendre

    tags = torch.as_tensor(kept)
    alphas, _ = _gauss_legendre(n_steps)
    a = torch.as_tensor(alphas, dtype=view.dtype)[:, None, None]
    ref = torch.as_tensor(z_ref, dtype=view.dtype)[None]
    jac = vmap(jacrev(lambda z: view.correction(z[None])[0, tags]))
    t0 = time.perf_counter()
    for start in range(0, Z.shape[0], 8):
        z = torch.as_tensor(Z[start:start + 8], dtype=view.dtype)
        jac((ref[None] + a * (z - ref)[None]).reshape(-1, z.shape[1]))
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="artifacts/demo-model")
    p.add_argument("--data")
    p.add_argument("--tracks", type=int, default=20)
    p.add_argument("--map-tracks", type=int, default=None, help="default: the whole split")
    p.add_argument("--peer-tracks", type=int, default=30)
    p.add_argument("--check-tracks", type=int, default=100)
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
    view = explainer.view
    walls, cpus, n_flipped, within, steps, alone = [], [], [], [], [], []
    for r in rows:
        _, dec, base = explainer.decisions(X[r])
        flipped = np.flatnonzero(dec != base).tolist()
        _, med, cpu, _ = timed(lambda f=flipped, r=r: explainer.explain(X[r], f), 1)
        walls.append(med)
        cpus.append(cpu)
        n_flipped.append(len(flipped))
        kept = [t for t in flipped if view is not None and view.blend[t] > 0]
        if kept:
            z = view.transform(X[r][None])
            alone.append(tuple(
                timed(lambda m=m, z=z, k=kept: integrated_gradients(
                    view, z, explainer._z_ref, k, method=m), 1)[1]
                for m in ("batched", "captum")))
            a = integrated_gradients(view, z, explainer._z_ref, kept)
            within.append(within_tolerance(a).mean())
            steps.extend(a.steps.ravel().tolist())
    print(f"explain all flipped tags of one track: median {np.median(walls) * 1e3:.0f} ms "
          f"(p90 {np.quantile(walls, 0.9) * 1e3:.0f} ms, CPU median {np.median(cpus) * 1e3:.0f} "
          f"ms), {np.mean(n_flipped):.1f} flipped tags per track on average")
    if alone:
        new, old = np.array(alone).T
        print(f"  attribution alone (kept tags, adaptive steps): batched Jacobian (now) median "
              f"{np.median(new) * 1e3:.0f} ms (p90 {np.quantile(new, 0.9) * 1e3:.0f} ms), Captum "
              f"(previous) median {np.median(old) * 1e3:.0f} ms (p90 "
              f"{np.quantile(old, 0.9) * 1e3:.0f} ms): {np.median(old / new):.1f}x")
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
    if view is None:
        return
    ref = explainer.reference
    n_all = validation.n_tracks
    _, ours, ours_cpu, m1 = timed(lambda: relation_map(
        model, validation, ref, max_tracks=args.peer_tracks, check_tracks=0), 1)
    _, peer, peer_cpu, _ = timed(lambda: relation_map(
        model, validation, ref, max_tracks=args.peer_tracks, naive=True, check_tracks=0), 1)
    Zp = view.transform(model.with_context(model.align(validation)).X[:args.peer_tracks]
                        .astype(np.float64))
    previous = _previous_map_seconds(view_f32 := relation_view(model), Zp, view_f32.transform(
        ref[None])[0], np.flatnonzero(view_f32.kept))
    print(f"relation map attribution, {args.peer_tracks} tracks x {len(m1.tag_names)} tags, "
          f"per track: ours ({m1.n_steps} nodes) {ours / args.peer_tracks * 1e3:.1f} ms, "
          f"previous (vmap(jacrev), 16 nodes) {previous / args.peer_tracks * 1e3:.1f} ms, naive "
          f"Captum loop ({m1.n_steps} nodes) {peer / args.peer_tracks * 1e3:.1f} ms; whole split "
          f"extrapolated: previous {previous / args.peer_tracks * n_all:.0f} s, naive "
          f"{peer / args.peer_tracks * n_all:.0f} s")
    _, full, full_cpu, m3 = timed(lambda: relation_map(
        model, validation, ref, max_tracks=args.map_tracks or n_all), 1)
    print(f"relation map, {m3.n_tracks:,} of {n_all:,} validation tracks ({m3.n_steps} nodes, "
          f"incl. its {m3.check_tracks}-track check): {full:.1f} s (CPU {full_cpu:.1f} s); "
          f"check error {m3.check_error:.2%}; per-pair completeness within 1 %: "
          f"{m3.complete_share:.1%}, summed residual {m3.relative_residual:.1%}")
    from scipy.stats import spearmanr

    fine = relation_map(model, validation, ref, max_tracks=args.check_tracks, n_steps=128,
                        check_tracks=0)
    coarse = relation_map(model, validation, ref, max_tracks=args.check_tracks, check_tracks=0)
    for name in ("mean_contribution", "mean_abs", "flip_share"):
        a, b = getattr(coarse, name).ravel(), getattr(fine, name).ravel()
        print(f"  vs 128 nodes on {fine.n_tracks} tracks, {name}: max |diff| "
              f"{np.abs(a - b).max() / np.abs(b).max():.2%} of the largest, Spearman "
              f"{spearmanr(a, b).statistic:.4f}")
    top = lambda m: set(np.argsort(-m.mean_abs.ravel())[:30].tolist())  # noqa: E731
    print(f"  top 30 relations by mean |contribution| in common: {len(top(coarse) & top(fine))}")


def relation_view(model):  # noqa: ANN001, ANN201
    from mewo_core.explain.adapter import network_view

    return network_view(model, torch.float32)


if __name__ == "__main__":
    main()
