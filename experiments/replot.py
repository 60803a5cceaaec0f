"""Redraw the training-curve figures of finished runs from their ``results.json`` (no training).

The curve scripts (Figures 2, 5, 6, 7, Tables 1-4) plot the per-seed histories their
``results.json`` keeps; this module draws them again with the current :mod:`experiments.plots`
(after a change to the plots, or for runs made before it), under the file names the script used,
so :mod:`experiments.make_results` picks them up. Figure 9's reconstructions and the theory
figures need the trained models or instrument records and are left as they are.

Usage: ``python -m experiments.replot OUT/experiments [SCRIPT ...]``
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slqc import jsonio

from . import cli
from .plots import LOSS_COLUMNS, plot_rows
from .protocol import LABELS
from .stats import annotate, collapsed, n_seeds

X_KEYS = ("weights_updated", "wall_time")


def _series(r: dict[str, Any], label: str, key: str) -> dict[str, Any]:
    """One curve; a method that failed, or some of whose seeds collapsed, says so in its label."""
    s = annotate(r).get("summary") or {}
    flagged = s.get("collapsed_seeds") or []
    if collapsed(s, r.get("n_classes")):
        label += " (failed: chance accuracy)"
    elif flagged:
        label += f" ({len(flagged)} of {n_seeds(s)} seeds at chance)"
    return {"label": label, "key": key, "histories": [run.get("history") or [] for run in r["runs"]],
            "config": r.get("config")}


def _n_seeds(data: dict[str, Any]) -> int:
    return len(data.get("settings", {}).get("seeds") or []) or max((len(r["runs"]) for r in data["results"]), default=0)


def _by(results, *keys) -> dict[tuple, list[dict[str, Any]]]:
    out: dict[tuple, list] = {}
    for r in results:
        out.setdefault(tuple(r.get(k) for k in keys), []).append(r)
    return out


def _fixed_rate(r: dict[str, Any]) -> bool:
    """A table row trained at one given rate (no selection), e.g. Table 2's 'SGD+AltMin lr=0.1'."""
    return len(r.get("grid") or []) == 1 and r["grid"][0].get("val_metric") is None and r.get("key") != r.get("method")


def figures(name: str, data: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]], dict[str, Any]]]:
    """``[(file stem, rows, plot_rows keywords)]`` of script ``name`` (the stem gets ``_<x_key>.png``)."""
    n = _n_seeds(data)
    res = data.get("results") or []
    out = []
    if name in ("fig2_leaky_relu", "fig5_sigmoid", "fig6_cross_entropy"):
        for (dname, act, loss), rs in _by(res, "dataset", "activation", "loss").items():
            rows = [{"title": arch, "series": [_series(r, LABELS[r["method"]], r["method"]) for r in g]}
                    for (arch,), g in _by(rs, "arch").items()]
            out.append((f"{dname}_{act}_{loss}", rows,
                        {"title": f"{dname}, {act}, {loss} (ours; mean ± std over {n} seeds)"}))
    elif name in ("table1_adaptive", "table2_altmin"):
        for (dname,), rs in _by(res, "dataset").items():
            series = [_series(r, LABELS[r["method"]] if r.get("key") == r["method"] else r["key"],
                              f"{r['method']}@{r['key']}" if _fixed_rate(r) else r["method"]) for r in rs]
            out.append((dname, [{"title": rs[0]["arch"], "series": series}], {"title": f"{dname} (ours; {n} seeds)"}))
    elif name == "fig7_sngd_epochs":
        for (dname,), rs in _by(res, "dataset").items():
            rows = [{"title": arch, "series": [_series(r, r["label"], "sgd" if r.get("T") is None else f"T{r['T']}")
                                               for r in g]} for (arch,), g in _by(rs, "arch").items()]
            out.append((f"{dname}_T", rows, {"title": f"{dname}: SNGD epochs T (ours; {n} seeds)"}))
    elif name in ("table3_regression", "table4_autoencoder"):
        what = "regression" if name == "table3_regression" else "autoencoder reconstruction"
        for (dname,), rs in _by(res, "dataset").items():
            series = [_series(r, LABELS[r["method"]], r["method"]) for r in rs]
            stem = str(dname).replace(":", "_").replace("/", "_")
            out.append((stem, [{"title": rs[0]["arch"], "series": series}],
                        {"title": f"{dname} {what} (ours; {n} seeds)", "columns": LOSS_COLUMNS}))
    return out


def replot(out_dir: str | Path, name: str | None = None) -> list[Path]:
    """Redraw the curve figures of the script whose output folder is ``out_dir``; returns the PNGs."""
    out_dir = Path(out_dir)
    name = name or out_dir.name
    data = jsonio.read(out_dir / "results.json")
    written = []
    for stem, rows, kw in figures(name, data):
        for x_key in X_KEYS:
            written.append(plot_rows(rows, out_dir / f"{stem}_{x_key}.png", x_key=x_key, **kw))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise cli.UsageError("give the results root (e.g. out/experiments) and optionally script names")
    root = Path(args[0])
    if not root.is_dir():
        raise cli.UsageError(f"no results directory {root}")
    names = args[1:] or [p.name for p in sorted(root.iterdir()) if (p / "results.json").is_file()]
    for n in names:
        if not (root / n / "results.json").is_file():
            raise cli.UsageError(f"no {root / n / 'results.json'}")
        for png in replot(root / n, n):
            print(f"[replot] wrote {png}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
