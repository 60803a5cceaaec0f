"""``slqc verify``: re-check witness files with plain numpy (no code shared with the search)."""

from __future__ import annotations

import argparse
import json


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="re-check a witness .npz with plain numpy",
                       description="Load each witness file, recompute f(x) - f(z), <grad f(x), x - z> and "
                                   "||grad f(x)|| with plain numpy (slqc.verify imports nothing from the search), "
                                   "and say whether Definition 1/4 fails there with the stored eps and kappa. "
                                   "Exit code 0 when every witness is confirmed, 1 otherwise.")
    p.add_argument("witness", nargs="+", metavar="WITNESS.npz")
    p.add_argument("--json", action="store_true", help="print the results as JSON lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..verify import verify_witness

    all_fail = True
    for path in args.witness:
        r = verify_witness(path)
        all_fail &= r.fails
        if args.json:
            print(json.dumps({"witness": path, **r.to_dict()}))
            continue
        print(f"{path}:")
        print(f"  eps = {r.eps:.6g}   kappa = {r.kappa:.6g}   eps/kappa = {r.radius:.6g}")
        print(f"  f(x) - f(z)         = {r.gap:.10g}")
        print(f"  <grad f(x), x - z>  = {r.inner:.10g}")
        print(f"  ||grad f(x)||       = {r.gnorm:.10g}")
        if r.kind == "suboptimality":
            print(f"  bound               = {r.bound:.10g}")
        print(f"  {'CONFIRMED' if r.fails else 'NOT CONFIRMED'}: {r.message}")
    return 0 if all_fail else 1
