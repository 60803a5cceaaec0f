"""Shared driver of Tables 1 and 2: several methods on one network, final test loss beside the
paper's number (MNIST) for the same method."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import cli, sizes
from .figure_protocol import AUTO, n_inputs, n_outputs, prepare, resolve_datasets
from .plots import plot_rows
from .protocol import LABELS, lr_grid, paper_output, run_setting
from .report import Report
from .stats import fmt

HIDDEN = [100]  # the paper's Table 1/2 network is not stated; 784-100-10 is its ablation network


def run_table(
    name: str,
    description: str,
    argv: Sequence[str] | None,
    variants: Sequence[tuple[str, str, list[dict[str, Any]] | None]],
    paper: dict[str, Any],
    claim: str,
    render: Callable[[Report], str],
) -> int:
    """Run each ``(key, method, grid or None)`` variant on every dataset and render the table.

    A variant with ``grid=None`` uses the method's learning-rate grid; a fixed grid of one
    candidate trains that candidate without selection.
    """
    args = cli.parser(name, description, datasets=AUTO).parse_args(argv)
    cli.check_common(args)
    mode = cli.mode_of(args)
    skipped: list[str] = []
    datasets = resolve_datasets(args.datasets, args.data_dir, skipped)
    n_seeds = args.seeds or sizes.SIZES[mode]["seeds"]
    hidden = sizes.SIZES[mode]["hidden"][0] if mode == "quick" else HIDDEN
    settings = {"datasets": datasets, "hidden": hidden, "seeds": list(range(n_seeds)), "device": args.device,
                **sizes.protocol_args(mode),
                "sizes": {d: sizes.SIZES[mode][sizes.kind(d)] for d in datasets},
                "activation": "leaky_relu", "loss": "mse", **paper_output("leaky_relu", "mse"),
                "grids": {k: (g or lr_grid(m, mode)) for k, m, g in variants},
                "selection": "validation split 20 %; argmin of the validation loss averaged over the selection "
                "seeds; grid extended until the pick is interior"}
    rep = Report(name, cli.out_dir_of(args, name), mode, list(argv or []), settings)
    rep.set("paper", {**paper, "claim": claim})
    for s in skipped:
        rep.note(s)
    rep.renderer = lambda: render(rep)
    for dname in datasets:
        ds, val, size = prepare(dname, args.data_dir, mode)
        arch = sizes.arch(n_inputs(ds), list(hidden), n_outputs(ds))
        base = {"arch": arch, "activation": "leaky_relu", "loss": "mse", "epochs": size["epochs"],
                "batch_size": size["batch_size"], "task": "classify", "device": args.device,
                **paper_output("leaky_relu", "mse")}
        series = []
        for key, method, grid in variants:
            res = run_setting(ds, method, base, grid or lr_grid(method, mode), range(n_seeds), val_ds=val,
                              **sizes.protocol_args(mode))
            res.update(dataset=dname, arch=arch, key=key, label=LABELS[method], n_classes=ds.n_classes)
            rep.add(res)
            series.append({"label": LABELS[method] if key == method else key,
                           "key": method if grid is None else f"{method}@{key}",
                           "histories": [r["history"] for r in res["runs"]], "config": res["config"]})
            print(f"[{name}] {dname} {arch} {key}: pick {res['pick']} test loss "
                  f"{fmt(res['summary'].get('test_loss'))}", flush=True)
        for x_key in ("weights_updated", "wall_time"):
            png = rep.out_dir / f"{dname}_{x_key}.png"
            plot_rows([{"title": arch, "series": series}], png, x_key=x_key,
                      title=f"{dname} (ours; {n_seeds} seeds)")
            rep.add_file("png", png)
    body = render(rep)
    if skipped:
        body += "\nSkipped: " + "; ".join(skipped) + "\n"
    rep.finish(body)
    return 0
