"""Re-check a ``results.json`` independently of the code that wrote it.

For every setting: exactly one grid candidate is marked picked, it is the pick, and it is the
argmin of the finite validation metrics (when there was a choice); the summary's mean and sample
std equal those recomputed with ``statistics`` from the per-seed final numbers; the seeds are
distinct; the seeds flagged as collapsed are exactly those whose test accuracy is below chance + 5
points or not finite. Prints one line per problem and exits with 1 if there is any (0 otherwise).

Usage: ``python -m experiments.verify out/experiments/*/results.json``
"""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from slqc import jsonio

REL = 1e-9


def problems(data: dict) -> list[str]:
    """All inconsistencies found in one results.json (empty when it checks out)."""
    out = []
    for i, r in enumerate(data.get("results", [])):
        tag = f"result {i} ({r.get('dataset')}, {r.get('arch')}, {r.get('method')})"
        grid = r.get("grid", [])
        picked = [g for g in grid if g.get("picked")]
        if len(picked) != 1:
            out.append(f"{tag}: {len(picked)} candidates marked picked")
            continue
        cand = {k: v for k, v in picked[0].items() if k not in ("val_metric", "picked", "added")}
        if cand != r.get("pick"):
            out.append(f"{tag}: marked candidate {cand} differs from the pick {r.get('pick')}")
        vals = [g["val_metric"] for g in grid if g.get("val_metric") is not None and math.isfinite(g["val_metric"])]
        if len(grid) > 1 and vals and picked[0].get("val_metric") != min(vals):
            out.append(f"{tag}: pick's validation metric {picked[0].get('val_metric')} is not the minimum {min(vals)}")
        runs = r.get("runs", [])
        if len({run["seed"] for run in runs}) != len(runs):
            out.append(f"{tag}: repeated seeds")
        flagged = r.get("summary", {}).get("collapsed_seeds")
        if flagged is not None and r.get("n_classes"):  # the per-seed collapse flags, recomputed
            chance = 1.0 / r["n_classes"] + 0.05
            want = [run["seed"] for run in runs if "test_acc" in run["final"] and not (
                isinstance(run["final"]["test_acc"], (int, float)) and math.isfinite(run["final"]["test_acc"])
                and run["final"]["test_acc"] >= chance)]
            if sorted(flagged) != sorted(want):
                out.append(f"{tag}: collapsed seeds {flagged} but the accuracies give {want}")
        for key, s in r.get("summary", {}).items():
            if key in ("seconds", "learned") or not isinstance(s, dict):
                continue
            xs = [run["final"].get(key) for run in runs]
            xs = [float(x) for x in xs if isinstance(x, (int, float)) and math.isfinite(x)]
            if not xs:
                continue
            mean = statistics.fmean(xs)
            std = statistics.stdev(xs) if len(xs) > 1 else 0.0
            if not math.isclose(mean, s["mean"], rel_tol=REL, abs_tol=1e-12) or \
                    not math.isclose(std, s["std"], rel_tol=1e-6, abs_tol=1e-12):
                out.append(f"{tag}: {key} summary {s['mean']}±{s['std']} but seeds give {mean}±{std}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    paths = list(argv if argv is not None else sys.argv[1:])
    if not paths:
        print("error: give one or more results.json files", file=sys.stderr)
        return 2
    bad = 0
    for p in paths:
        path = Path(p)
        if not path.is_file():
            print(f"error: no such file {p}", file=sys.stderr)
            return 2
        found = problems(jsonio.read(path))
        for line in found:
            print(f"{p}: {line}")
        bad += len(found)
        print(f"{p}: {'OK' if not found else f'{len(found)} problem(s)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
