"""CPU seconds of R NGD runs of Theorem 8: one after the other (``ngd``) against one stacked loop (``ngd_many``).

The runs are those of the quick grid's Theorem 8 setting (generalized ReLU, m = 256, d = 16,
one data set), with R different step sizes, each for --iterations steps; the two ways alternate,
the fastest of --repeats rounds is kept, and the results are checked equal to the last bit.
One thread. Usage: ``python docs/ngd_stack_bench.py [--runs 1,2,4,8] [--iterations 5000] [--repeats 3] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def _ints(text: str) -> list[int]:
    out = [int(v) for v in text.split(",")]
    if not out or min(out) < 1:
        raise ValueError
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", default="1,2,4,8", help="comma-separated numbers of runs R (each >= 1)")
    p.add_argument("--iterations", type=int, default=5000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    try:
        Rs = _ints(args.runs)
    except ValueError:
        print(f"ngd_stack_bench: --runs must be comma-separated integers >= 1, got {args.runs!r}", file=sys.stderr)
        return 2
    if args.iterations < 1 or args.repeats < 1:
        print("ngd_stack_bench: --iterations and --repeats must be >= 1", file=sys.stderr)
        return 2
    import torch

    from slqc.claims import get_claim
    from slqc.claims.sngd import NGDRun, ngd, ngd_many

    torch.set_num_threads(1)
    claim = get_claim("thm8")
    setting = dict(claim.settings("quick")[0], seed=0)
    plan = claim._plan(setting, claim.build(setting), 1.0, "quick")
    base: NGDRun = next(run for _, _, run in plan["runs"] if run is not None)
    rows = []
    for R in Rs:
        runs = [base._replace(eta=base.eta * (1 + i) / R, T=args.iterations) for i in range(R)]
        best = {"one_at_a_time": float("inf"), "stacked": float("inf")}
        for _ in range(args.repeats):
            t0 = time.process_time()
            one = [ngd(*r) for r in runs]
            best["one_at_a_time"] = min(best["one_at_a_time"], time.process_time() - t0)
            t0 = time.process_time()
            many = ngd_many(runs)
            best["stacked"] = min(best["stacked"], time.process_time() - t0)
        same = all(torch.equal(a["last_w"], b["last_w"]) and a["best_gap"] == b["best_gap"] for a, b in zip(one, many))
        rows.append({"runs": R, "iterations": args.iterations, **best,
                     "speedup": best["one_at_a_time"] / best["stacked"], "identical": same})
    if args.json:
        print(json.dumps({"m": int(base.X.shape[0]), "d": int(base.X.shape[1]), "rows": rows}))
    else:
        print(f"NGD runs at m = {base.X.shape[0]}, d = {base.X.shape[1]}, {args.iterations} iterations each, "
              f"CPU s (fastest of {args.repeats}):")
        for r in rows:
            print(f"  R = {r['runs']}: one after the other {r['one_at_a_time']:.3f}, stacked {r['stacked']:.3f}: "
                  f"{r['speedup']:.2f}x; identical: {r['identical']}")
    return 0 if all(r["identical"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
