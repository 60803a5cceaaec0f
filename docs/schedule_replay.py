"""Replay a journaled `slqc check` run on N workers: the wall time of each batch plan, from measured seconds.

Each setting's cost is the time its records say it took in the journal (the sum of its records'
distinct ``seconds``: Theorem 8's three readings share one run, and a batched record carries its
share of the batch). The replay hands the batches of a plan, in the plan's order, to N workers that
each take the next batch when free (what the process pool and Ray do), and reports when the last
one finishes. The plans compared:

* ``registry``: ``plan_batches`` for one worker (registry order, batches of at most ``--batch``),
  the plan before batches were planned for the workers;
* ``planned``: ``plan_batches(..., jobs=N, costs=expected_cost)``, what ``slqc check --jobs N`` runs;
* ``one_at_a_time_lpt``: every setting alone, costliest first by the measured seconds (optimistic:
  the seconds are batched shares, so the settings alone would take longer);
* ``bound``: max(longest setting, total / N), below which no plan can go.

It replays what was measured on the machine that wrote the journal; it is not a timing of N real
workers. ``--fit`` prints instead the least-squares fit of log seconds behind ``slqc.check.expected_cost``
(a factor per claim, exponents of samples x outputs x hidden units and of the input dimension d;
settings under 0.05 s, those decided without a search, are left out), beside the rms error of
the model it replaced, kind x (m d k h)^0.3. Used in README, Speed:

    python docs/schedule_replay.py --journal docs/check_results.jsonl --budget standard --jobs 2,4,8,16
    python docs/schedule_replay.py --journal docs/check_results.jsonl --budget standard --fit
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import sys


def makespan(batches: list[list[int]], seconds: list[float], jobs: int) -> float:
    """When the last of ``jobs`` workers finishes, each taking the next batch (in order) when free."""
    free = [0.0] * jobs
    for b in batches:
        t = heapq.heappop(free)
        heapq.heappush(free, t + sum(seconds[i] for i in b))
    return max(free)


def last_batch(batches: list[list[int]], seconds: list[float], jobs: int) -> tuple[int, float, float]:
    """The batch that finishes last in :func:`makespan`'s schedule: (its index, its start, its seconds);
    of batches finishing together, the later one in the plan."""
    free = [(0.0, k) for k in range(jobs)]
    last = (0, 0.0, 0.0)
    for j, b in enumerate(batches):
        t, k = heapq.heappop(free)
        dur = sum(seconds[i] for i in b)
        heapq.heappush(free, (t + dur, k))
        if t + dur >= last[1] + last[2]:
            last = (j, t, dur)
    return last


def task_seconds(records: list[dict]) -> float:
    """The seconds of one setting: the sum of its records' distinct ``seconds``."""
    return float(sum({float(r.get("seconds") or 0.0) for r in records}))


def measured_tasks(journal: str, budget: str) -> tuple[list[tuple[str, dict]], list[float]]:
    """Every (claim, setting) of ``budget`` and its seconds in ``journal`` (ValueError: some are missing)."""
    from slqc.check import select_claims, task_key

    tasks = [(c.name, dict(s, seed=int(s.get("seed", 0)))) for c in select_claims(None) for s in c.settings(budget)]
    measured: dict[str, float] = {}
    with open(journal) as fh:
        for line in fh:
            if line.strip():
                entry = json.loads(line)
                measured[entry["key"]] = task_seconds(entry["records"])
    keys = [task_key(n, s, budget) for n, s in tasks]
    missing = [f"{n}" for (n, _), k in zip(tasks, keys) if k not in measured]
    if missing:
        raise ValueError(f"{len(missing)} of the {len(tasks)} {budget} settings are not in {journal} "
                         f"(first: {missing[0]}); replay a complete journal of that budget")
    return tasks, [measured[k] for k in keys]


def fit(journal: str, budget: str) -> dict:
    """log seconds ~ log c_claim + alpha log(m k h) + beta log d, least squares over the settings >= 0.05 s."""
    import numpy as np

    tasks, secs = measured_tasks(journal, budget)
    names = sorted({n for n, _ in tasks})
    from slqc.check import expected_cost
    from slqc.claims import get_claim

    old_kind = {"slqc": 1.0, "probability": 6.0, "sngd": 3.0}  # the model before the fit, for comparison
    rows, ys, old, shipped = [], [], [], []
    for (n, s), t in zip(tasks, secs):
        if t < 0.05:
            continue
        mkh = float(s.get("m", 64)) * float(s.get("k") or 1) * float(s.get("hidden") or 1)
        d = float(s.get("d", 8))
        rows.append([math.log(mkh), math.log(d)] + [float(n == c) for c in names])
        ys.append(math.log(t))
        old.append(math.log(old_kind.get(get_claim(n).kind, 1.0)) + 0.3 * math.log(max(mkh * d, 1.0)))
        shipped.append(math.log(expected_cost(get_claim(n), s, budget)))
    A, y = np.array(rows), np.array(ys)
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    ref = coef[2 + names.index("thm1")] if "thm1" in names else 0.0

    def rms_common_scale(pred: list[float]) -> float:  # a model's error with its best common scale
        res = y - np.array(pred)
        return float(np.sqrt(np.mean((res - res.mean()) ** 2)))

    return {"alpha_samples": float(coef[0]), "beta_d": float(coef[1]),
            "claim_factor": {c: float(math.exp(v - ref)) for c, v in zip(names, coef[2:])},
            "rms_log_error": float(np.sqrt(np.mean((A @ coef - y) ** 2))), "settings_fitted": len(ys),
            # the model slqc.check ships (slqc.check.expected_cost: its constants, fitted on an earlier journal)
            "rms_log_error_shipped": rms_common_scale(shipped),
            # the old model kind x (m d k h)^0.3
            "rms_log_error_old_model": rms_common_scale(old)}


def replay(journal: str, budget: str, batch: int, jobs: list[int]) -> dict:
    """The makespans of the plans for every N in ``jobs`` (see the module docstring)."""
    from slqc.check import expected_cost, plan_batches
    from slqc.claims import get_claim

    tasks, secs = measured_tasks(journal, budget)
    costs = [expected_cost(get_claim(n), s, budget) for n, s in tasks]
    todo = list(range(len(tasks)))
    registry = plan_batches(tasks, todo, batch)
    rows = []
    for n in jobs:
        planned = plan_batches(tasks, todo, batch, jobs=n, costs=costs)
        alone = [[i] for i in sorted(todo, key=lambda i: -secs[i])]
        j, start, dur = last_batch(registry, secs, n)
        rows.append({"jobs": n, "registry": makespan(registry, secs, n), "planned": makespan(planned, secs, n),
                     "one_at_a_time_lpt": makespan(alone, secs, n), "bound": max(max(secs), sum(secs) / n),
                     "batches_registry": len(registry), "batches_planned": len(planned),
                     "registry_last": {"claims": sorted({tasks[i][0] for i in registry[j]}),
                                       "settings": len(registry[j]), "start": start, "seconds": dur}})
    return {"journal": journal, "budget": budget, "batch": batch, "settings": len(tasks),
            "total_seconds": sum(secs), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--journal", default="docs/check_results.jsonl", help="journal of a complete run (JSON lines)")
    p.add_argument("--budget", default="standard", help="the budget of that run")
    p.add_argument("--batch", type=int, default=16, help="slqc check --batch of the plans")
    p.add_argument("--jobs", default="2,4,8,16", help="worker counts, comma-separated")
    p.add_argument("--json", default=None, help="also write the result here")
    p.add_argument("--fit", action="store_true", help="print the fit behind slqc.check.expected_cost instead")
    args = p.parse_args(argv)
    try:
        jobs = [int(x) for x in args.jobs.split(",")]
        if not jobs or min(jobs) < 1 or args.batch < 1:
            raise ValueError
    except ValueError:
        print(f"schedule_replay: --jobs must be positive integers and --batch >= 1, got {args.jobs!r} and "
              f"{args.batch}", file=sys.stderr)
        return 2
    try:
        if args.fit:
            print(json.dumps(fit(args.journal, args.budget), indent=1))
            return 0
        out = replay(args.journal, args.budget, args.batch, jobs)
    except (OSError, ValueError, KeyError) as err:
        print(f"schedule_replay: {err}", file=sys.stderr)
        return 2
    print(f"{out['settings']} {out['budget']} settings, {out['total_seconds']:.1f} s measured in {out['journal']}; "
          f"--batch {out['batch']}; seconds until the last worker finishes:")
    print("| jobs | registry order | planned (slqc check --jobs N) | one at a time, costliest first | bound |")
    print("|---|---|---|---|---|")
    for r in out["rows"]:
        print(f"| {r['jobs']} | {r['registry']:.1f} ({r['batches_registry']} batches) | {r['planned']:.1f} "
              f"({r['batches_planned']} batches) | {r['one_at_a_time_lpt']:.1f} | {r['bound']:.1f} |")
    for r in out["rows"]:
        last = r["registry_last"]
        print(f"registry order, {r['jobs']} workers: the last batch to finish holds {last['settings']} settings "
              f"({', '.join(last['claims'])}), {last['seconds']:.1f} s, started at {last['start']:.1f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
