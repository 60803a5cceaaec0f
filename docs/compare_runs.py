"""Compare two `slqc check --json` files record by record: verdicts, slacks, empirical kappas, points, seconds.

Records are matched by (claim, setting, label). Prints one summary (``--json`` for machine-readable
output) and exits 1 when a verdict changed or the two files do not hold the same records, 0 otherwise,
2 on bad input. Used for the "run of ..." paragraphs of docs/check.md, e.g.

    git show HEAD~1:docs/check_results.json > /tmp/before.json
    python docs/compare_runs.py /tmp/before.json docs/check_results.json
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys


def _key(r: dict) -> tuple:
    return r["claim"], json.dumps(r.get("setting"), sort_keys=True), r.get("label", "")


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def compare(before: list[dict], after: list[dict]) -> dict:
    """The differences between two lists of records (see the module's docstring)."""
    da, db = {_key(r): r for r in before}, {_key(r): r for r in after}
    common = [k for k in da if k in db]
    verdicts = [{"claim": k[0], "label": k[2], "before": da[k]["verdict"], "after": db[k]["verdict"]}
                for k in common if da[k]["verdict"] != db[k]["verdict"]]
    rel = []
    for k in common:
        ka, kb = da[k].get("kappa_empirical"), db[k].get("kappa_empirical")
        if _finite(ka) and _finite(kb) and ka != 0:
            rel.append(abs(kb - ka) / abs(ka))

    def total(rs, field):
        return sum(r.get(field) or 0 for r in rs)

    return {
        "records": [len(before), len(after)], "matched": len(common),
        "only_before": len(da) - len(common), "only_after": len(db) - len(common),
        "verdict_changes": verdicts,
        "slack_changes": sum(1 for k in common if not _same(da[k].get("slack"), db[k].get("slack"))),
        "finite_kappa_pairs": len(rel),
        "kappa_rel_max": max(rel) if rel else 0.0,
        "kappa_rel_median": statistics.median(rel) if rel else 0.0,
        "points": [total(before, "points_evaluated"), total(after, "points_evaluated")],
        "seconds": [round(total(before, "seconds"), 1), round(total(after, "seconds"), 1)],
        "earlier_witness": [sum("earlier" in (r.get("note") or "").lower() for r in rs) for rs in (before, after)],
    }


def _records(path: str) -> list[dict]:
    with open(path) as fh:
        data = json.load(fh)
    recs = data["records"] if isinstance(data, dict) else data
    if not isinstance(recs, list) or any(not isinstance(r, dict) or "claim" not in r for r in recs):
        raise ValueError(f"{path}: not the JSON of slqc check (a list of records, or {{'records': [...]}})")
    return recs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = p.parse_args(argv)
    try:
        c = compare(_records(args.before), _records(args.after))
    except (OSError, ValueError, KeyError) as e:
        print(f"compare_runs: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(c, indent=1))
    else:
        pa, pb = c["points"]
        sa, sb = c["seconds"]
        print(f"records: {c['records'][0]} before, {c['records'][1]} after, {c['matched']} matched "
              f"({c['only_before']} only before, {c['only_after']} only after)")
        print(f"verdict changes: {len(c['verdict_changes'])}; slack changes: {c['slack_changes']}")
        for v in c["verdict_changes"]:
            print(f"  {v['claim']} {v['label']}: {v['before']} -> {v['after']}")
        print(f"finite empirical kappas: {c['finite_kappa_pairs']} pairs, relative difference max "
              f"{c['kappa_rel_max']:.2g}, median {c['kappa_rel_median']:.2g}")
        print(f"points evaluated: {pa} -> {pb}" + (f" ({pb / pa - 1:+.1%})" if pa else ""))
        print(f"seconds (sum over records): {sa} -> {sb}" + (f" ({sb / sa - 1:+.1%})" if sa else ""))
        print(f"records owing their verdict to an earlier witness: {c['earlier_witness'][0]} -> "
              f"{c['earlier_witness'][1]}")
    changed = c["verdict_changes"] or c["only_before"] or c["only_after"]
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
