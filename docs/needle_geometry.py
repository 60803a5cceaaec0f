"""Where the no-kappa points of one-hidden-layer witnesses lie, and how rare they are on the sphere.

For each witness file given: ||x - z|| / R, ||x - c|| / R, cos(x, z), and t_x / t_out, the place of
x on the ray from z (t_out: where the ray leaves B(c, R)); then, for N uniform points of the sphere
||x - c|| = R (seeded), how many lie above the level set and how many of those have <g, x - z> < 0,
and the smallest cosine between g and x - z among them. Plain numpy, through the objective of
``slqc verify`` (independent of the search). Used in docs/check.md, "Violation starts":

    python docs/needle_geometry.py docs/check_witnesses/thm5-af50c28baa.npz docs/check_witnesses/thm4-dacb51a7d7.npz \\
        docs/check_witnesses/thm5-fbfcdb87bd.npz docs/check_witnesses/thm5-884b781dc3.npz
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("witness", nargs="+", help="one-hidden-layer witness files (.npz)")
    p.add_argument("--points", type=int, default=4000, help="uniform points of the sphere per witness")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.points < 1:
        print(f"needle_geometry: --points must be >= 1, got {args.points}", file=sys.stderr)
        return 2
    import numpy as np

    from slqc.verify import WitnessError, load_witness_arrays, objective

    rng = np.random.default_rng(args.seed)
    for path in args.witness:
        try:
            w = load_witness_arrays(path)
        except (FileNotFoundError, WitnessError) as err:
            print(f"needle_geometry: {err}", file=sys.stderr)
            return 2
        if w.model.get("model") != "one_hidden":
            print(f"needle_geometry: {path} is not a one-hidden-layer witness", file=sys.stderr)
            return 2
        X, Y, z, x, W2, eps = w.X, w.Y, w.z, w.x, w.W2, float(w.eps)
        c = w.center if w.center is not None else np.zeros_like(z)
        R = float(w.radius)
        fz = objective(w.model, X, Y, z, W2)[0]
        u = (x - z) / np.linalg.norm(x - z)
        zc = z - c
        bu, cc = float((u * zc).sum()), float((zc * zc).sum()) - R * R
        t_out = -bu + np.sqrt(max(bu * bu - cc, 0.0))
        cos_xz = float((x * z).sum() / (np.linalg.norm(x) * np.linalg.norm(z)))
        above = neg = 0
        best = np.inf
        for _ in range(args.points):  # one objective call per point: the numpy reference, not a hot path
            v = rng.standard_normal(z.shape)
            xs = c + R * v / np.linalg.norm(v)
            val, g = objective(w.model, X, Y, xs, W2)
            if val - fz > eps:
                above += 1
                inner = float((g * (xs - z)).sum())
                neg += inner < 0
                best = min(best, inner / (np.linalg.norm(g) * np.linalg.norm(xs - z)))
        print(f"{path}: |x-z|/R={np.linalg.norm(x - z) / R:.3f} |x-c|/R={np.linalg.norm(x - c) / R:.4f} "
              f"cos(x,z)={cos_xz:.3f} t_x/t_out={np.linalg.norm(x - z) / t_out:.3f}; sphere: {above}/{args.points} "
              f"above the level set, {neg} with <g, x - z> < 0, smallest cosine {best:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
