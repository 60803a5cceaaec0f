"""CPU seconds of `slqc check --budget quick` with the search's second-order directions in closed form
against autograd's double backward (``slqc.search.CLOSED_FORM_DIRECTIONS``), in one process.

Each instance batch of the quick check (the default --batch 16 plan, and, with ``--batch 1``, one
setting at a time) runs both ways in turn, the order alternating between repeats; the medians of
the whole check's CPU seconds are compared. The verdicts must agree and the empirical kappas
agree to float rounding (the directions are rounded differently, so the ascents end at slightly
different points). One thread, malloc tuned as by the ``slqc`` command line.
Usage: ``python docs/closed_dirs_bench.py [--batch 16] [--repeats 3] [--claims thm1,thm4] [--json]``.
Exit 1 if a verdict differs, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=16, help="instance batch size of the plan (1: one setting at a time)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--claims", default="", help="comma-separated claims (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    args = p.parse_args(argv)
    if args.batch < 1 or args.repeats < 1:
        print("closed_dirs_bench: --batch and --repeats must be >= 1", file=sys.stderr)
        return 2
    import torch

    import slqc.search as search
    from slqc._malloc import tune_malloc
    from slqc.bench import _warm_up
    from slqc.check import _evaluate_batch, plan_batches, select_claims

    claims = [c for c in args.claims.split(",") if c] or None
    try:
        chosen = select_claims(claims)
    except ValueError as e:
        print(f"closed_dirs_bench: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    tune_malloc()
    torch.set_num_threads(1)
    _warm_up(claims)
    tasks = [(c.name, dict(s, seed=int(s.get("seed", 0)))) for c in chosen for s in c.settings("quick")]
    plan = plan_batches(tasks, list(range(len(tasks))), args.batch)
    sides = ("closed_form", "autograd")
    cpu = {k: [0.0] * args.repeats for k in sides}
    recs: dict[str, list] = {k: [None] * len(tasks) for k in sides}
    try:
        for r in range(args.repeats):
            for b in plan:
                items = [tasks[i] for i in b]
                for side in (sides if r % 2 == 0 else sides[::-1]):
                    search.CLOSED_FORM_DIRECTIONS = side == "closed_form"
                    c0 = time.process_time()
                    out = _evaluate_batch(items, "quick", None, 0, tempfile.mkdtemp(prefix="slqc-bench-"))
                    cpu[side][r] += time.process_time() - c0
                    for i, rs in zip(b, out):
                        recs[side][i] = rs
    finally:
        search.CLOSED_FORM_DIRECTIONS = True
    flat = {k: [rec for rs in recs[k] for rec in rs] for k in sides}
    verdicts_same = [a["verdict"] for a in flat["closed_form"]] == [a["verdict"] for a in flat["autograd"]]
    rel = []
    for a, b in zip(flat["closed_form"], flat["autograd"]):
        ka, kb = a.get("kappa_empirical"), b.get("kappa_empirical")
        if isinstance(ka, float) and isinstance(kb, float) and kb != 0.0 and abs(kb) != float("inf"):
            rel.append(abs(ka - kb) / abs(kb))
    med = {k: statistics.median(v) for k, v in cpu.items()}
    out = {"batch": args.batch, "repeats": args.repeats, "batches": len(plan), "settings": len(tasks),
           "cpu_seconds": med, "cpu_runs": cpu, "speedup": med["autograd"] / med["closed_form"],
           "records": len(flat["closed_form"]), "verdicts_same": verdicts_same,
           "kappa_rel_max": max(rel) if rel else 0.0, "kappa_pairs": len(rel)}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"quick check, --batch {args.batch} ({len(plan)} batches, {len(tasks)} settings), CPU s, median of "
              f"{args.repeats}: autograd directions {med['autograd']:.2f}, closed form {med['closed_form']:.2f}: "
              f"{out['speedup']:.2f}x; verdicts {'the same' if verdicts_same else 'DIFFER'} "
              f"({out['records']} records), finite kappas within {out['kappa_rel_max']:.1e} relative "
              f"({out['kappa_pairs']} pairs)")
    return 0 if verdicts_same else 1


if __name__ == "__main__":
    sys.exit(main())
