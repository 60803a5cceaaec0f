"""Re-search, at the thorough probe budget, the settings that a check's results call vacuous after a search.

A verdict "vacuous" with an empirical kappa means: the claimed kappa is not positive, the search ran,
and it found no point where no kappa works. The search is a lower bound, so this script gives each
such setting (of the claims named) the `thorough` probe budget (3 seeds, 8x the samples) on the
*same* setting and, where it finds a no-kappa point, writes the witness into --out under the name
`slqc check` uses for that setting. Those files then seed the next check through `--corpus` or
`--witness-dir` (each point is re-evaluated there; `slqc verify` re-checks the file).

Usage (one JSON line per setting; split the list over processes with --part / --parts; --budget
picks another probe budget of the check, e.g. `standard` to audit a quick run):

    python docs/audit_thorough.py --results docs/check_results.json --claims thm4,thm5 --out DIR [--part 0 --parts 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", required=True, help="a `slqc check --json` file")
    p.add_argument("--claims", required=True, help="claim names, comma-separated")
    p.add_argument("--out", required=True, help="folder for the witness files found")
    p.add_argument("--part", type=int, default=0)
    p.add_argument("--parts", type=int, default=1)
    p.add_argument("--budget", default="thorough", choices=("quick", "standard", "thorough"),
                   help="the check budget whose probe plan re-searches each setting (default: thorough)")
    args = p.parse_args(argv)
    if not 0 <= args.part < args.parts:
        print(f"audit_thorough: need 0 <= --part < --parts, got {args.part} and {args.parts}", file=sys.stderr)
        return 2
    try:
        with open(args.results, encoding="utf-8") as fh:
            records = json.load(fh)["records"]
    except (OSError, ValueError, KeyError) as err:
        print(f"audit_thorough: --results {args.results}: {err}", file=sys.stderr)
        return 2
    import torch

    from slqc.check import Checker
    from slqc.claims import get_claim
    from slqc.witness import witness_name

    torch.set_num_threads(1)
    names = [n.strip() for n in args.claims.split(",") if n.strip()]
    try:
        claims = {n: get_claim(n) for n in names}
    except ValueError as err:
        print(f"audit_thorough: {err}", file=sys.stderr)
        return 2
    todo = [(r["claim"], r["setting"]) for r in records
            if r["claim"] in claims and r["verdict"] == "vacuous"
            and isinstance(r.get("kappa_empirical"), (int, float)) and r["kappa_empirical"] > 0]
    checker = Checker(args.budget, witness_dir=args.out)
    for name, setting in todo[args.part::args.parts]:
        claim = claims[name]
        problem = claim.build(setting)
        need = checker.search_needed(claim, setting, problem)
        if need is None:
            continue
        t0 = time.perf_counter()
        res = checker.probe(problem, need[0], need[1])
        out = {"claim": name, "file": witness_name(name, dict(setting), ""), "eps": need[0], "kappa": res.kappa,
               "violation": res.violation, "points": res.points_evaluated,
               "seconds": round(time.perf_counter() - t0, 1)}
        if res.violation:
            out["witness"] = checker.save_witness(
                claim, setting, problem, res.witness, need[0], claim.kappa(setting), kind="no_kappa",
                meta={"no_kappa_point": True, "kappa_claimed": claim.kappa(setting),
                      "found_by": f"docs/audit_thorough.py (slqc.probe, {args.budget} budget, on the setting of "
                                  f"{args.results})"})
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
