"""CPU seconds of the search with and without the stacks' line form, and of the two backward products.

Two measurements, each side by side in one process (the machine's speed drifts):

* ``search``: :func:`slqc.search.probe_batch` on the first quick setting of each claim, B identical
  instances (B = 1: a setting alone; B = 8: a batch), with the line form (the rays, bisections
  and secant retractions take the pre-activations of z and of each direction once:
  :meth:`slqc.stack.GLMStack.line`) and without it (every point through a matrix product,
  ``_Rays._line`` patched to None). The two alternate in each of ``--repeats`` rounds; the table
  gives the medians and their ratio, and the results of both ways (kappa, points counted).
* ``products``: the backward product X^T dt of the stacks both ways at their shapes: (n, m) @ (m, d)
  as before and (d, m) @ (m, n) (:func:`slqc.stack._xt_times`), in microseconds, fastest of
  ``--repeats`` rounds.

Usage: ``python docs/line_bench.py [--claims thm1,thm3,thm5,thm7,hazan] [--repeats 5] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

PRODUCT_SHAPES = [(8, 64, 16, 256), (15, 32, 16, 256), (8, 256, 16, 256), (1, 64, 16, 256), (8, 64, 32, 128)]


def search(claims: list[str], repeats: int, sizes: tuple[int, ...] = (1, 8)) -> list[dict]:
    """Rows per (claim, B): medians of the CPU seconds with and without the line form, and both results."""
    import slqc.search as se
    from slqc.claims import get_claim

    with_line = se._Rays._line
    cases = []
    for name in claims:
        c = get_claim(name)
        s = dict(c.settings("quick")[0], seed=0)
        p = c.build(s)
        cases.append((name, p, float(s["eps"])))
    secs: dict[tuple, list[float]] = {}
    res: dict[tuple, tuple] = {}
    ways = (("points", lambda self: None), ("line", with_line))
    try:
        for r in range(repeats):
            for way, fn in (ways if r % 2 else ways[::-1]):  # alternate which way goes first
                se._Rays._line = fn
                for name, p, eps in cases:
                    for B in sizes:
                        t0 = time.process_time()
                        out = se.probe_batch([p.f] * B, [p.z] * B, eps, p.radius, budget="quick")
                        secs.setdefault((name, B, way), []).append(time.process_time() - t0)
                        res[(name, B, way)] = (out[0].kappa, out[0].points_evaluated)
    finally:
        se._Rays._line = with_line
    rows = []
    for name, _, _ in cases:
        for B in sizes:
            a, b = statistics.median(secs[(name, B, "points")]), statistics.median(secs[(name, B, "line")])
            rows.append({"claim": name, "B": B, "points_cpu_s": round(a, 4), "line_cpu_s": round(b, 4),
                         "speedup": round(a / b, 3), "fastest_speedup": round(min(secs[(name, B, "points")])
                                                                              / min(secs[(name, B, "line")]), 3),
                         "kappa_points": res[(name, B, "points")][0], "kappa_line": res[(name, B, "line")][0],
                         "points_evaluated": [res[(name, B, "points")][1], res[(name, B, "line")][1]]})
    return rows


def products(repeats: int, inner: int = 50) -> list[dict]:
    """Rows per shape (B, n, d, m): microseconds of dt @ X and of _xt_times(Xt, dt), fastest of the rounds."""
    import torch

    from slqc.stack import _xt_times

    rows = []
    g = torch.Generator().manual_seed(0)
    for B, n, d, m in PRODUCT_SHAPES:
        X = torch.randn(B, m, d, generator=g, dtype=torch.float64)
        Xt = X.transpose(1, 2).contiguous()
        dt = torch.randn(B, n, m, generator=g, dtype=torch.float64)
        forms = {"old": lambda: torch.bmm(dt, X), "new": lambda: _xt_times(Xt, dt).transpose(1, 2)}
        best = {k: float("inf") for k in forms}
        for _ in range(repeats):
            for k, fn in forms.items():
                fn()
                t0 = time.perf_counter()
                for _ in range(inner):
                    fn()
                best[k] = min(best[k], (time.perf_counter() - t0) / inner * 1e6)
        diff = float((forms["old"]() - forms["new"]()).abs().max())
        rows.append({"shape": [B, n, d, m], "old_us": round(best["old"], 1), "new_us": round(best["new"], 1),
                     "speedup": round(best["old"] / best["new"], 3), "max_abs_diff": diff})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--claims", default="thm1,thm3,thm5,thm7,hazan", help="comma-separated claims")
    p.add_argument("--repeats", type=int, default=5, help="alternated rounds (default 5)")
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = p.parse_args(argv)
    if args.repeats < 1:
        print(f"line_bench: --repeats must be >= 1, got {args.repeats}", file=sys.stderr)
        return 2
    claims = [c for c in args.claims.split(",") if c]
    try:
        from slqc.claims import get_claim

        for c in claims:
            get_claim(c)
    except ValueError as e:
        print(f"line_bench: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    import torch

    from slqc._malloc import tune_malloc

    tune_malloc()
    torch.set_num_threads(1)
    out = {"search": search(claims, args.repeats), "products": products(args.repeats)}
    for r in out["search"]:
        print(f"search {r['claim']:6s} B={r['B']}: points {r['points_cpu_s']:.3f} s, line {r['line_cpu_s']:.3f} s, "
              f"{r['speedup']:.2f}x (fastest {r['fastest_speedup']:.2f}x); kappa {r['kappa_points']:.17g} vs "
              f"{r['kappa_line']:.17g}, points {r['points_evaluated'][0]} vs {r['points_evaluated'][1]}")
    for r in out["products"]:
        print(f"X^T dt at (B, n, d, m) = {tuple(r['shape'])}: {r['old_us']:.1f} us as dt @ X, {r['new_us']:.1f} us as "
              f"Xt @ dt^T: {r['speedup']:.2f}x (max diff {r['max_abs_diff']:.1e})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
