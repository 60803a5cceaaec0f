"""Does a DANTE run's outcome depend on float rounding? Figure 5's digits network under three numerics.

Figure 5 on digits (sigmoid, squared loss, 64-100-10, the paper's sigmoid output unit) picked
DANTE's rate 3 by validation loss, and at that rate 2 of 5 seeds stalled at 47 % test accuracy.
This script trains the same configuration, seed by seed, under three numerics that differ only in
rounding:

* ``float32``: dante's default (closed-form one-layer gradients, float32), as the experiments ran;
* ``float64``: the same in float64;
* ``autograd``: float32 with the gradients from autograd (``closed_form=False``).

It prints one JSON line per (rate, numerics) with the seeds' test accuracies, then a Markdown table.
Stalls that move to other seeds when only the rounding changes belong to the rate (the dynamics
amplify last-bit differences there), not to one code path.

Usage: ``python -m experiments.rate_stability [--lrs 1,2,3] [--seeds 5] [--epochs 20] [--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

#: Figure 5's digits configuration (experiments/RESULTS.md, out/experiments_std/fig5_sigmoid/results.json)
BASE = {"arch": "64-100-10", "activation": "sigmoid", "loss": "mse", "epochs": 20, "batch_size": 32,
        "task": "classify", "device": "cpu", "output_activation": "sigmoid", "method": "dante", "sngd_epochs": 5}
NUMERICS = {"float32": {}, "float64": {"dtype": "float64"}, "autograd": {"closed_form": False}}
#: below this test accuracy a run counts as stalled (chance is 10 %; the learned runs reach 84-97 %)
STALLED_BELOW = 0.8


def run(lrs: Sequence[float], seeds: int, epochs: int) -> list[dict]:
    """Test accuracy of every seed for every (rate, numerics)."""
    from .protocol import load, train_once

    ds = load("digits", None, seed=0)
    rows = []
    for lr in lrs:
        for name, extra in NUMERICS.items():
            accs = [float(train_once({**BASE, **extra, "epochs": epochs, "lr": lr, "seed": s, "data": ds})
                          .final["test_acc"]) for s in range(seeds)]
            rows.append({"lr": lr, "numerics": name, "test_acc": accs,
                         "stalled_seeds": [s for s, a in enumerate(accs) if a < STALLED_BELOW]})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def table(rows: list[dict]) -> str:
    """Markdown: one row per (rate, numerics), the accuracies in %, the stalled seeds."""
    out = ["| lr | numerics | test accuracy per seed (%) | stalled seeds |", "|---|---|---|---|"]
    for r in rows:
        accs = ", ".join(f"{100 * a:.1f}" for a in r["test_acc"])
        out.append(f"| {r['lr']:g} | {r['numerics']} | {accs} | {', '.join(map(str, r['stalled_seeds'])) or '-'} |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.rate_stability", description=__doc__.splitlines()[0])
    p.add_argument("--lrs", default="1,2,3", help="DANTE rates, comma-separated (default: 1,2,3)")
    p.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1 (default: 5)")
    p.add_argument("--epochs", type=int, default=BASE["epochs"], help="passes (default: Figure 5's 20)")
    p.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = p.parse_args(argv)
    try:
        lrs = [float(x) for x in args.lrs.split(",")]
    except ValueError:
        print(f"rate_stability: --lrs must be numbers separated by commas, got {args.lrs!r}", file=sys.stderr)
        return 2
    if args.seeds < 1 or args.epochs < 1 or any(not lr > 0 for lr in lrs):
        print("rate_stability: --seeds and --epochs must be >= 1 and every rate > 0", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(1)
    rows = run(lrs, args.seeds, args.epochs)
    print(table(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"base": BASE, "numerics": NUMERICS, "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
