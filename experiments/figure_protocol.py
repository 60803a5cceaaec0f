"""Shared driver of the curve experiments (Figures 2, 5, 6 of the paper): DANTE vs SGD on a list
of networks, one row of three panels (training loss, test accuracy, test loss) per network,
x-axis weights updated and, in a second PNG, wall time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import cli, sizes
from .plots import plot_rows
from .protocol import LABELS, available, load, lr_grid, run_setting, subset, validation_view
from .report import Report, fmt_grid, md_table
from .stats import compare, curve_mean_std, fmt

AUTO = "auto"  # digits, plus Fashion-MNIST when its files are installed


def resolve_datasets(spec: str, data_dir: str | None, report_skip: list[str]) -> list[str]:
    """``auto`` -> digits (+ fashion-mnist when it loads); otherwise the checked list."""
    if spec == AUTO:
        names = ["digits"]
        if available("fashion-mnist", data_dir):
            names.append("fashion-mnist")
        else:
            report_skip.append("fashion-mnist: not installed, skipped")
        return names
    return cli.parse_datasets(spec)


def prepare(name: str, data_dir: str | None, mode: str):
    """Load ``name`` and cut it to the mode's size; returns ``(ds, val_view, size)``."""
    size = dict(sizes.SIZES[mode][sizes.kind(name)])
    ds = subset(load(name, data_dir), size["n_train"], size["n_test"], seed=0)
    return ds, validation_view(ds), size


def n_inputs(ds) -> int:
    return int(ds.X_train.reshape(len(ds.X_train), -1).shape[1])


def n_outputs(ds) -> int:
    if ds.n_classes:
        return int(ds.n_classes)
    y = ds.y_train
    return int(y.shape[1]) if y.ndim > 1 else 1


def curves_table(results: Sequence[dict[str, Any]]) -> str:
    """Markdown: one row per (network, method), then a DANTE-vs-SGD verdict per network."""
    rows, verdicts = [], []
    by_arch: dict[tuple, dict[str, dict]] = {}
    for r in results:
        grid = fmt_grid(r["grid"])
        s = r["summary"]
        rows.append([
            r["dataset"], r["arch"], f"{r['activation']}/{r['loss']}",
            r["label"] + (f" (T={r['config'].get('sngd_epochs')})" if r["method"] == "dante" else ""), grid,
            fmt(s.get("train_loss")), fmt(s.get("test_loss")), fmt(s.get("test_acc"), percent=True),
            f"{s['seconds']['mean']:.1f}", s["test_loss"]["n"] if s.get("test_loss") else 0,
        ])
        by_arch.setdefault((r["dataset"], r["arch"], r["activation"], r["loss"]), {})[r["method"]] = s
    for (dset, arch, act, loss), m in by_arch.items():
        if "dante" in m and "sgd" in m:
            acc = compare(m["dante"].get("test_acc"), m["sgd"].get("test_acc"), True)
            tl = compare(m["dante"].get("test_loss"), m["sgd"].get("test_loss"), False)
            name = {"A": "DANTE", "B": "SGD", "tie": "tie"}
            verdicts.append([dset, arch, f"{act}/{loss}", name[acc], name[tl]])
    out = md_table(
        ["dataset", "network", "act/loss", "method", "lr grid (**pick**)", "final train loss",
         "final test loss", "test acc", "s/run", "seeds"],
        rows,
    )
    if verdicts:
        out += "\n\nBetter of DANTE and SGD (difference > 2 standard errors, else tie):\n\n"
        out += md_table(["dataset", "network", "act/loss", "test acc", "test loss"], verdicts)
    return out


def run_curves(
    name: str,
    description: str,
    argv: Sequence[str] | None,
    variants: Sequence[tuple[str, str]],
    paper_hidden: Sequence[Sequence[int]] = sizes.PAPER_HIDDEN,
    paper_claim: str = "",
    methods: Sequence[str] = ("dante", "sgd"),
    extra: dict[str, Any] | None = None,
    quick_hidden: Sequence[Sequence[int]] | None = None,
) -> int:
    """Run DANTE vs SGD for every dataset x (activation, loss) variant x network.

    Each method's learning rate is picked anew for every network (a rate picked on ...-100-10 made
    SGD diverge on deeper cross-entropy networks, which would bias the comparison).

    Args:
        name: the module name (output folder, command line).
        description: ``--help`` text.
        argv: command-line arguments.
        variants: ``(activation, loss)`` pairs.
        paper_hidden: the paper's hidden layers for this figure (full/standard modes).
        paper_claim: the paper's statement, recorded beside the results.
        methods: method keys compared.
        extra: TrainConfig fields added to every run (e.g. ``sngd_epochs``).
        quick_hidden: hidden layers in quick mode (default ``sizes.SIZES["quick"]["hidden"]``).
    """
    p = cli.parser(name, description, datasets=AUTO)
    args = p.parse_args(argv)
    cli.check_common(args)
    mode = cli.mode_of(args)
    skipped: list[str] = []
    datasets = resolve_datasets(args.datasets, args.data_dir, skipped)
    n_seeds = args.seeds or sizes.SIZES[mode]["seeds"]
    if mode == "quick":
        hidden = [list(h) for h in (quick_hidden or sizes.SIZES["quick"]["hidden"])]
    else:
        hidden = [list(h) for h in paper_hidden]
    settings = {
        "datasets": datasets, "variants": [list(v) for v in variants], "hidden": hidden,
        "seeds": list(range(n_seeds)), "sizes": {d: sizes.SIZES[mode][sizes.kind(d)] for d in datasets},
        "lr_grids": {f"{m} {a}/{lo}": [g["lr"] for g in lr_grid(m, mode, a, lo)] for m in methods for a, lo in variants},
        "extra": extra or {}, "selection": "validation split 20 %, seed 0; argmin of validation loss, "
        "per network and method",
        "sngd_epochs": "T = 5 (the paper's) where the pass budget allows two full round-robin rounds, "
                       "else the largest T that does (experiments.sizes.sngd_epochs_for)",
    }
    rep = Report(name, cli.out_dir_of(args, name), mode, list(argv or []), settings)
    rep.set("paper", {"claim": paper_claim, "dataset": "MNIST/KMNIST (paper); no numbers printed"})
    for s in skipped:
        rep.note(s)

    def render() -> str:
        body = f"# {name}: DANTE vs SGD ({mode} mode)\n\n"
        body += f"Paper's claim ({rep.data['paper']['dataset']}): {paper_claim}\n\n"
        body += curves_table(rep.data["results"]) + "\n"
        if skipped:
            body += "\nSkipped: " + "; ".join(skipped) + "\n"
        return body

    rep.renderer = render
    for dname in datasets:
        ds, val, size = prepare(dname, args.data_dir, mode)
        for act, loss in variants:
            fig_rows = []
            for h in hidden:
                arch = sizes.arch(n_inputs(ds), list(h), n_outputs(ds))
                series = []
                for m in methods:
                    base = {"arch": arch, "activation": act, "loss": loss, "epochs": size["epochs"],
                            "batch_size": size["batch_size"], "task": "classify", **(extra or {})}
                    res = run_setting(ds, m, base, lr_grid(m, mode, act, loss), range(n_seeds), val_ds=val)
                    res.update(dataset=dname, arch=arch, activation=act, loss=loss)
                    rep.add(res)
                    series.append({"label": LABELS[m], "key": m,
                                   "histories": [r["history"] for r in res["runs"]]})
                    print(f"[{name}] {dname} {arch} {act}/{loss} {LABELS[m]}: lr={res['pick']['lr']:g} "
                          f"test acc {fmt(res['summary'].get('test_acc'), percent=True)}", flush=True)
                fig_rows.append({"title": f"{arch}", "series": series})
            for x_key in ("weights_updated", "wall_time"):
                png = rep.out_dir / f"{dname}_{act}_{loss}_{x_key}.png"
                plot_rows(fig_rows, png, x_key=x_key,
                          title=f"{dname}, {act}, {loss} (ours; mean ± std over {n_seeds} seeds)")
                rep.add_file("png", png)
    rep.finish(render())
    return 0


def _pairs(results: Sequence[dict[str, Any]], key_fields: Sequence[str]) -> dict[tuple, dict[str, dict]]:
    out: dict[tuple, dict[str, dict]] = {}
    for r in results:
        out.setdefault(tuple(r.get(k) for k in key_fields), {})[r["method"]] = r["summary"]
    return out


def at_equal_weights(dante: dict[str, Any], sgd: dict[str, Any]) -> tuple[float, float] | None:
    """``(DANTE's final mean test accuracy, SGD's mean test accuracy interpolated at the same number
    of weights updated)``: the comparison the paper's x-axis invites. ``None`` without histories."""
    cd = curve_mean_std([r.get("history", []) for r in dante.get("runs", [])], "weights_updated", "test_acc")
    cs = curve_mean_std([r.get("history", []) for r in sgd.get("runs", [])], "weights_updated", "test_acc")
    if not cd["x"] or not cs["x"]:
        return None
    return cd["mean"][-1], float(np.interp(cd["x"][-1], cs["x"], cs["mean"]))


def headlines(data: dict[str, Any]) -> list[str]:
    """DANTE-vs-SGD counts per (dataset, activation/loss), from a curve experiment's results.json."""
    full: dict[tuple, dict[str, dict]] = {}
    for r in data["results"]:
        full.setdefault((r["dataset"], r["activation"], r["loss"]), {}).setdefault(r["arch"], {})[r["method"]] = r
    pairs = _pairs(data["results"], ("dataset", "activation", "loss", "arch"))
    groups: dict[tuple, list] = {}
    for (dset, act, loss, arch), m in pairs.items():
        if "dante" in m and "sgd" in m:
            groups.setdefault((dset, act, loss), []).append((arch, m["dante"], m["sgd"]))
    out = []
    for (dset, act, loss), items in groups.items():
        acc = [compare(d.get("test_acc"), s.get("test_acc"), True) for _, d, s in items]
        diffs = [d["test_acc"]["mean"] - s["test_acc"]["mean"] for _, d, s in items
                 if d.get("test_acc", {}).get("mean") is not None and s.get("test_acc", {}).get("mean") is not None]
        best = max(items, key=lambda t: max(t[1]["test_acc"]["mean"] or 0, t[2]["test_acc"]["mean"] or 0))
        text = (f"{dset}, {act}/{loss}: DANTE had the higher test accuracy in {acc.count('A')} of {len(items)} "
                f"networks, SGD in {acc.count('B')}, {acc.count('tie')} within 2 s.e.")
        if diffs:
            text += (f"; mean difference DANTE - SGD {100 * sum(diffs) / len(diffs):+.2f} points "
                     f"(range {100 * min(diffs):+.2f} to {100 * max(diffs):+.2f}). Best network {best[0]}: "
                     f"DANTE {fmt(best[1].get('test_acc'), percent=True)}, SGD {fmt(best[2].get('test_acc'), percent=True)}.")
        eq = [at_equal_weights(m["dante"], m["sgd"]) for m in full.get((dset, act, loss), {}).values()
              if "dante" in m and "sgd" in m]
        eq = [e for e in eq if e is not None]
        if eq:
            ahead = sum(d > s for d, s in eq)
            text += (f" Per weights updated (the paper's x-axis): at the count where DANTE's budget ended, DANTE's "
                     f"mean accuracy was above SGD's (interpolated) in {ahead} of {len(eq)} networks; DANTE "
                     f"updates one layer per pass, so it ends at fewer weights updated for the same passes.")
        out.append(text)
    return out
