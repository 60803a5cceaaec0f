"""Table 1 of the paper: DANTE and SGD with adaptive learning-rate schemes and momentum.

Methods: DANTE, SGD, SGD+Adam, SGD+Adagrad, SGD+RMSProp, SGD+Momentum (mu = 0.9), DANTE+Momentum
(momentum on the normalized SNGD direction, mu picked from {0.5, 0.9} with the learning rate).
Each gets its own learning rate from a grid on a validation split; one hidden layer of 100 units,
leaky ReLU, squared loss; the final test loss (MSE) is the paper's metric. The paper's numbers
(MNIST) sit in their own columns.

Usage: ``python -m experiments.table1_adaptive [--quick|--full] [--out DIR] [--seeds N]
[--data-dir DIR] [--datasets digits,fashion-mnist]``
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import cli
from .paper_numbers import FIGURE_CLAIMS, TABLE1
from .report import Report, fmt_grid, md_table
from .stats import compare, fmt
from .table_protocol import run_table

NAME = "table1_adaptive"
METHODS = ("dante", "sgd", "adam", "adagrad", "rmsprop", "momentum", "dante+momentum")


def render(rep: Report) -> str:
    rows = []
    by_ds: dict[str, list] = {}
    for r in rep.data["results"]:
        by_ds.setdefault(r["dataset"], []).append(r)
    for dname, results in by_ds.items():
        best = min(results, key=lambda r: (r["summary"]["test_loss"]["mean"]
                                           if r["summary"].get("test_loss", {}).get("mean") is not None
                                           else float("inf")))
        for r in results:
            p = TABLE1["rows"].get(r["method"], {})
            s = r["summary"]
            mark = " (lowest)" if r is best else ""
            rows.append([dname, r["arch"], r["label"], fmt_grid(r["grid"]), fmt(s.get("test_loss")) + mark,
                         fmt(s.get("test_acc"), percent=True), p.get("param", ""), p.get("loss", "")])
    body = f"# {NAME}: adaptive learning rates ({rep.data['mode']} mode)\n\n"
    body += f"Paper's claim ({TABLE1['dataset']}): {FIGURE_CLAIMS['table1']}\n\n"
    body += md_table(["dataset (ours)", "network", "method", "lr grid (**pick**)", "ours: final test loss (MSE)",
                      "ours: test acc", f"paper ({TABLE1['dataset']}): parameter",
                      f"paper ({TABLE1['dataset']}): test loss"], rows) + "\n"
    return body


def main(argv: Sequence[str] | None = None) -> int:
    return run_table(NAME, __doc__.splitlines()[0], argv, [(m, m, None) for m in METHODS],
                     {"dataset": TABLE1["dataset"], "metric": TABLE1["metric"], "rows": TABLE1["rows"]},
                     FIGURE_CLAIMS["table1"], render)


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))


def headlines(data: dict) -> list[str]:
    """Ranking by final test loss per dataset, and the paper's claim (DANTE+Momentum beats every
    SGD variant) checked against the best SGD variant."""
    out = []
    by_ds: dict[str, list] = {}
    for r in data["results"]:
        by_ds.setdefault(r["dataset"], []).append(r)
    for dname, rs in by_ds.items():
        def loss(r):
            m = r["summary"].get("test_loss", {}).get("mean")
            return m if m is not None else float("inf")
        ranked = sorted(rs, key=loss)
        order = ", ".join(f"{r['label']} {loss(r):.4g}" for r in ranked)
        out.append(f"{dname}: final test loss, best to worst: {order}.")
        dm = next((r for r in rs if r["method"] == "dante+momentum"), None)
        sgd_like = [r for r in rs if not r["method"].startswith("dante")]
        if dm and sgd_like:
            best = min(sgd_like, key=loss)
            v = compare(dm["summary"].get("test_loss"), best["summary"].get("test_loss"), False)
            word = {"A": "lower than", "B": "higher than", "tie": "within 2 s.e. of"}[v]
            out.append(f"{dname}: DANTE+Momentum's test loss ({fmt(dm['summary'].get('test_loss'))}) is {word} the best "
                       f"SGD variant, {best['label']} ({fmt(best['summary'].get('test_loss'))}); the paper claims lower.")
    return out
