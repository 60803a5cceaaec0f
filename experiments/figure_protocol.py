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
from .protocol import LABELS, available, load, lr_grid, paper_output, run_setting, subset, validation_view
from .report import Report, fmt_grid, md_table
from .stats import annotate, collapsed, curve_mean_std, fmt, learned, seed_note, verdict

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
    n_classes_of = {(r["dataset"], r["arch"], r["activation"], r["loss"]): r.get("n_classes") for r in results}
    for r in results:
        grid = fmt_grid(r["grid"])
        s = r["summary"]
        rows.append([
            r["dataset"], r["arch"], f"{r['activation']}/{r['loss']}",
            r["label"] + (f" (T={r['config'].get('sngd_epochs')})" if r["method"] == "dante" else ""), grid,
            fmt(s.get("train_loss")), fmt(s.get("test_loss")), fmt(s.get("test_acc"), percent=True),
            f"{s['seconds']['mean']:.1f}", s["test_loss"]["n"] if s.get("test_loss") else 0,
        ])
        annotate(r)
        if collapsed_run(r):
            rows[-1][3] += (" **(failed baseline: chance accuracy)**" if r["method"] != "dante"
                            else " **(failed: chance accuracy)**")
        elif seed_note(s):
            rows[-1][3] += f" **({seed_note(s)})**"
        by_arch.setdefault((r["dataset"], r["arch"], r["activation"], r["loss"]), {})[r["method"]] = s
    for (dset, arch, act, loss), m in by_arch.items():
        if "dante" in m and "sgd" in m:
            nc = n_classes_of.get((dset, arch, act, loss))
            verdicts.append([dset, arch, f"{act}/{loss}",
                             verdict(m["dante"], m["sgd"], "test_acc", True, nc),
                             verdict(m["dante"], m["sgd"], "test_loss", False, nc)])
    out = md_table(
        ["dataset", "network", "act/loss", "method", "lr grid (**pick**)", "final train loss",
         "final test loss", "test acc", "s/run", "seeds"],
        rows,
    )
    out += ("\n\nMean ± 95 % confidence half-width over seeds (Student t). Losses: squared loss summed over "
            "the outputs and averaged over samples, or cross-entropy. In the grid, + marks a learning "
            "rate added by the extension and (edge) a pick that is still at an end of the grid.\n")
    if verdicts:
        out += "\n\nBetter of DANTE and SGD (difference > 2 standard errors, else tie; a seed at chance accuracy is "
        out += "a collapsed run, flagged and left out of the comparison; a side with fewer than 2 seeds that learned "
        out += "failed, which is never a win or a tie for the other):\n\n"
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

    def hidden_for(dname: str) -> list[list[int]]:
        if mode == "quick":
            return [list(h) for h in (quick_hidden or sizes.SIZES["quick"]["hidden"])]
        return sizes.networks(mode, dname, [list(h) for h in paper_hidden])

    settings = {
        "datasets": datasets, "variants": [list(v) for v in variants],
        "hidden": {d: hidden_for(d) for d in datasets}, "device": args.device,
        **sizes.protocol_args(mode),
        "seeds": list(range(n_seeds)), "sizes": {d: sizes.SIZES[mode][sizes.kind(d)] for d in datasets},
        "lr_grids": {f"{m} {a}/{lo}": [g["lr"] for g in lr_grid(m, mode, a, lo)] for m in methods for a, lo in variants},
        "output": {f"{a}/{lo}": paper_output(a, lo).get("output_activation", "logits") for a, lo in variants},
        "extra": extra or {}, "selection": "validation split 20 %; argmin of the validation loss averaged "
        "over the selection seeds, per network and method; the grid is extended until the pick is interior",
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
            for h in hidden_for(dname):
                arch = sizes.arch(n_inputs(ds), list(h), n_outputs(ds))
                series = []
                for m in methods:
                    base = {"arch": arch, "activation": act, "loss": loss, "epochs": size["epochs"],
                            "batch_size": size["batch_size"], "task": "classify", "device": args.device,
                            **paper_output(act, loss), **(extra or {})}
                    res = run_setting(ds, m, base, lr_grid(m, mode, act, loss), range(n_seeds), val_ds=val,
                                      **sizes.protocol_args(mode))
                    res.update(dataset=dname, arch=arch, activation=act, loss=loss, n_classes=ds.n_classes)
                    rep.add(res)
                    series.append({"label": LABELS[m], "key": m, "config": res["config"],
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


def collapsed_run(r: dict[str, Any]) -> bool:
    """True if the result row's mean test accuracy sits at chance (:func:`experiments.stats.collapsed`)."""
    return collapsed(r.get("summary"), r.get("n_classes"))


def at_equal_weights(dante: dict[str, Any], sgd: dict[str, Any]) -> tuple[float, float] | None:
    """``(DANTE's final mean test accuracy, SGD's mean test accuracy interpolated at the same number
    of weights updated)``: the comparison the paper's x-axis invites. ``None`` without histories."""
    cd = curve_mean_std([r.get("history", []) for r in dante.get("runs", [])], "weights_updated", "test_acc")
    cs = curve_mean_std([r.get("history", []) for r in sgd.get("runs", [])], "weights_updated", "test_acc")
    if not cd["x"] or not cs["x"]:
        return None
    return cd["mean"][-1], float(np.interp(cd["x"][-1], cs["x"], cs["mean"]))


def faster_at_equal_sweeps(dante: dict[str, Any], sgd: dict[str, Any]) -> dict[str, Any] | None:
    """The paper's "DANTE always minimizes the loss faster than SGD" at equal sweeps (passes over the
    data): DANTE's mean training loss against SGD's (interpolated) at every logged pass after the
    start. ``None`` without histories.

    Returns:
        ``{"points": n, "dante_lower": k, "always": k == n, "final_lower": bool}``.
    """
    cd = curve_mean_std([r.get("history", []) for r in dante.get("runs", [])], "epoch", "train_loss")
    cs = curve_mean_std([r.get("history", []) for r in sgd.get("runs", [])], "epoch", "train_loss")
    pts = [(x, y) for x, y in zip(cd["x"], cd["mean"]) if x > 0]
    if not pts or not cs["x"]:
        return None
    lower = [y < float(np.interp(x, cs["x"], cs["mean"])) for x, y in pts]
    return {"points": len(lower), "dante_lower": sum(lower), "always": all(lower), "final_lower": lower[-1]}


def _groups(data: dict[str, Any]) -> dict[tuple, list[tuple[str, dict, dict]]]:
    """``(dataset, activation, loss) -> [(arch, dante row, sgd row)]`` for networks with both."""
    by: dict[tuple, dict[str, dict[str, dict]]] = {}
    for r in data["results"]:
        annotate(r)
        by.setdefault((r["dataset"], r["activation"], r["loss"]), {}).setdefault(r["arch"], {})[r["method"]] = r
    out: dict[tuple, list] = {}
    for key, archs in by.items():
        for arch, m in archs.items():
            if "dante" in m and "sgd" in m:
                out.setdefault(key, []).append((arch, m["dante"], m["sgd"]))
    return out


def _acc_verdicts(items) -> list[str]:
    return [verdict(d["summary"], s["summary"], "test_acc", True, d.get("n_classes") or s.get("n_classes"))
            for _, d, s in items]


def _acc(row: dict[str, Any]) -> float | None:
    """Mean test accuracy over the seeds that learned (collapsed seeds left out)."""
    return (learned(row.get("summary")).get("test_acc") or {}).get("mean")


def collapsed_seed_notes(items) -> list[str]:
    """``"64-100-10 SGD: seed 3 of 5 collapsed to chance (not counted)"`` for every network and
    method of a group with flagged seeds that did not fail as a whole."""
    notes = []
    for arch, d, s in items:
        for label, row in (("DANTE", d), ("SGD", s)):
            if not collapsed_run(row) and seed_note(row.get("summary")):
                notes.append(f"{arch} {seed_note(row['summary'], label)}")
    return notes


def headlines(data: dict[str, Any]) -> list[str]:
    """DANTE-vs-SGD counts per (dataset, activation/loss), from a curve experiment's results.json."""
    out = []
    for (dset, act, loss), items in _groups(data).items():
        v = _acc_verdicts(items)
        ok = [(a, d, s) for (a, d, s), w in zip(items, v) if w in ("DANTE", "SGD", "tie")]
        diffs = [_acc(d) - _acc(s) for _, d, s in ok if _acc(d) is not None and _acc(s) is not None]
        text = (f"{dset}, {act}/{loss}: DANTE had the higher test accuracy in {v.count('DANTE')} of {len(items)} "
                f"networks, SGD in {v.count('SGD')}, {v.count('tie')} within 2 s.e.")
        failed = v.count("failed baseline") + v.count("both failed")
        if failed:
            text += f"; SGD collapsed to chance accuracy (a failed baseline, not counted as a DANTE win) in {failed}"
        if v.count("DANTE failed"):
            text += f"; DANTE collapsed to chance in {v.count('DANTE failed')}"
        notes = collapsed_seed_notes(items)
        if notes:
            text += "; collapsed seeds, flagged and left out of the comparison: " + "; ".join(notes)
        if diffs:
            best = max(ok, key=lambda t: max(_acc(t[1]) or 0, _acc(t[2]) or 0))
            text += (f"; mean difference DANTE - SGD over the networks where both learned {100 * sum(diffs) / len(diffs):+.2f} "
                     f"points (range {100 * min(diffs):+.2f} to {100 * max(diffs):+.2f}). Best network {best[0]}: "
                     f"DANTE {fmt(best[1]['summary'].get('test_acc'), percent=True)}, "
                     f"SGD {fmt(best[2]['summary'].get('test_acc'), percent=True)}.")
        else:
            text += "."
        fast = [faster_at_equal_sweeps(d, s) for _, d, s in items]
        fast = [f for f in fast if f is not None]
        if fast:
            text += (f" Training loss at equal sweeps: DANTE lower at every logged pass in {sum(f['always'] for f in fast)} "
                     f"of {len(fast)} networks, lower at the last pass in {sum(f['final_lower'] for f in fast)}.")
        eq = [at_equal_weights(d, s) for _, d, s in items]
        eq = [e for e in eq if e is not None]
        if eq:
            ahead = sum(d > s for d, s in eq)
            text += (f" Per weights updated (the paper's x-axis): at the count where DANTE's budget ended, DANTE's "
                     f"mean accuracy was above SGD's (interpolated) in {ahead} of {len(eq)} networks; DANTE "
                     f"updates one layer per pass, so it ends at fewer weights updated for the same passes.")
        out.append(text)
    return out


def verdicts(data: dict[str, Any], claim: str) -> list[list[str]]:
    """Rows ``[paper's claim, our evidence, verdict]`` of a curve experiment: test accuracy per
    (dataset, activation/loss), and the paper's "DANTE always minimizes the loss faster than SGD"
    at equal sweeps. Failed (chance-level) baselines are reported apart, never as DANTE wins."""
    rows = []
    for (dset, act, loss), items in _groups(data).items():
        v = _acc_verdicts(items)
        a, b, t = v.count("DANTE"), v.count("SGD"), v.count("tie")
        failed = v.count("failed baseline") + v.count("both failed")
        n = a + b + t
        if n == 0:
            word = "no valid comparison (baselines failed)"
        elif a == b:
            word = "no difference at equal passes"
        elif 2 * t > n:
            word = f"mostly tied at equal passes; {'DANTE' if a > b else 'SGD'} ahead in {max(a, b)}"
        else:
            word = f"{'DANTE' if a > b else 'SGD'} better at equal passes"
        evidence = (f"{dset}, {act}/{loss}: test accuracy higher for DANTE in {a}, SGD in {b}, tie in {t} of {n} "
                    "networks where both learned")
        if failed:
            evidence += f"; SGD at chance (failed baseline, excluded) in {failed}"
            word += f"; {failed} failed baseline(s) not counted"
        if v.count("DANTE failed"):
            evidence += f"; DANTE at chance (failed) in {v.count('DANTE failed')}"
        notes = collapsed_seed_notes(items)
        if notes:
            evidence += "; collapsed seeds left out: " + "; ".join(notes)
        rows.append([claim, evidence, word])
        fast = [faster_at_equal_sweeps(d, s) for _, d, s in items]
        fast = [f for f in fast if f is not None]
        if fast:
            k = sum(f["always"] for f in fast)
            rows.append(['"DANTE always minimizes the loss faster than SGD" (Section 4.1)',
                         f"{dset}, {act}/{loss}: DANTE's mean training loss below SGD's at every logged pass in {k} "
                         f"of {len(fast)} networks (at the last pass in {sum(f['final_lower'] for f in fast)})",
                         "reproduced at equal sweeps" if k == len(fast) else "not reproduced at equal sweeps"])
    return rows
