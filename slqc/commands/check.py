"""``slqc check``: a verdict, with evidence, for every SLQC claim of the paper (see :mod:`slqc.check`)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

from ..claims import CLAIMS
from ..claims.base import BUDGETS


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check", help="decide, by computation, whether each SLQC claim of the paper holds",
        description="Run the registry's grid of settings for each claim (all claims by default), search each "
                    "domain for the point that needs the largest kappa, and print a verdict per setting: holds / "
                    "violated (with a witness file re-checkable by `slqc verify`) / vacuous / inconclusive.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("claims", nargs="*", metavar="CLAIM", help=f"claims to check (default: all of {', '.join(CLAIMS)})")
    p.add_argument("--budget", default="quick", choices=BUDGETS,
                   help="quick: < 2 min on 2 CPU cores; standard: the README run; thorough: for a GPU")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0, help="offset added to every data seed; seed of the search")
    p.add_argument("--json", metavar="PATH", help='write {"records": [...]} (infinities as "inf")')
    p.add_argument("--markdown", metavar="PATH", help="write the summary and the tables as Markdown")
    p.add_argument("--plots", metavar="DIR", help="write per-claim plots of empirical kappa vs eps (log-log)")
    p.add_argument("--witness-dir", metavar="DIR", help="folder for witness .npz files (default: a temporary folder)")
    p.add_argument("--insert-summary", metavar="DOC.md",
                   help="replace the summary table between the slqc-check-summary markers in DOC.md")
    p.add_argument("--from-json", metavar="PATH",
                   help="do not run: render the table, Markdown, plots and summary of a saved --json file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                   help="worker processes (one torch thread each); 1 runs in this process")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads in this process (default: torch's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..check import (format_table, insert_summary, markdown, plot_records, read_json, run_check, select_claims,
                         write_json)

    select_claims(args.claims)  # unknown names fail before any work
    command = "slqc check " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["check"] else None
    if args.from_json:
        records = read_json(args.from_json)
        if args.claims:
            records = [r for r in records if r["claim"] in args.claims]
        with open(args.from_json) as fh:
            command = (json.load(fh).get("meta") or {}).get("command") or command
        seconds = None
    else:
        if args.threads:
            import torch

            torch.set_num_threads(int(args.threads))
        t0 = time.perf_counter()
        records = run_check(args.claims, budget=args.budget, device=args.device, seed=args.seed,
                            witness_dir=args.witness_dir, progress=not args.no_progress, jobs=args.jobs)
        seconds = time.perf_counter() - t0
    print(format_table(records))
    if seconds is not None:
        print(f"\n{len(records)} records in {seconds:.1f} s (budget {args.budget}, {args.jobs} job(s))")
    meta = {"budget": args.budget, "seed": args.seed, "device": args.device, "jobs": args.jobs, "seconds": seconds,
            "command": command}
    if args.json and not args.from_json:
        write_json(records, args.json, meta=meta)
        print(f"wrote {args.json}")
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(markdown(records, command=command))
        print(f"wrote {args.markdown}")
    if args.insert_summary:
        insert_summary(args.insert_summary, records, command=command)
        print(f"updated the summary table in {args.insert_summary}")
    if args.plots:
        for path in plot_records(records, args.plots):
            print(f"wrote {path}")
    return 0
