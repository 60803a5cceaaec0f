"""Table 3 of the paper: regression, DANTE vs SGD, final test error (MSE).

scikit-learn's ``diabetes`` set is bundled (features and target min-max scaled to [0, 1] with the
training range, fixed 75/25 split); the paper's UCI sets (Air-Foil, Forest Fires, CCPP) run with
``--datasets csv:airfoil.csv,...`` (last column is the target). Network: one hidden layer of 50
units, leaky ReLU, linear-in-[0,1] regression with squared loss; learning rate per method from a
grid on a validation split. A constant predictor (the training mean) is reported as a floor that
any trained network should beat. The paper's numbers are on its own datasets, in their own columns.

Usage: ``python -m experiments.table3_regression [--quick|--full] [--out DIR] [--seeds N]
[--datasets diabetes,csv:PATH]``
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


from . import cli, sizes
from .figure_protocol import n_inputs, n_outputs
from .paper_numbers import FIGURE_CLAIMS, TABLE3
from .protocol import LABELS, load, lr_grid, run_setting, subset, validation_view
from .plots import LOSS_COLUMNS, plot_rows
from .report import Report, fmt_grid, index_results, md_table
from .stats import claim_word, fmt, verdict

NAME = "table3_regression"
HIDDEN = [50]
EPOCHS = {"quick": 3, "standard": 100, "full": 100}
METHODS = ("dante", "sgd")


def constant_baseline(ds) -> float:
    """Test MSE of predicting the training mean (per target column)."""
    mean = ds.y_train.float().mean(dim=0, keepdim=True)
    return float(((ds.y_test.float() - mean) ** 2).mean())


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parser(NAME, __doc__.splitlines()[0], datasets="diabetes").parse_args(argv)
    cli.check_common(args)
    mode = cli.mode_of(args)
    datasets = cli.parse_datasets(args.datasets)
    n_seeds = args.seeds or sizes.SIZES[mode]["seeds"]
    size = {**sizes.SIZES[mode]["small"], "epochs": EPOCHS[mode]}
    settings = {"datasets": datasets, "hidden": HIDDEN, "seeds": list(range(n_seeds)), "size": size,
                "device": args.device, **sizes.protocol_args(mode),
                "activation": "leaky_relu", "loss": "mse",
                "grids": {m: lr_grid(m, mode) for m in METHODS},
                "selection": "validation split 20 %; argmin of the validation MSE averaged over the selection seeds; "
                "grid extended until the pick is interior"}
    rep = Report(NAME, cli.out_dir_of(args, NAME), mode, list(argv or []), settings)
    rep.set("paper", {**TABLE3, "claim": FIGURE_CLAIMS["table3"]})
    rows = []
    for dname in datasets:
        ds = load(dname, args.data_dir)
        if ds.task != "regression":
            raise cli.UsageError(f"{dname} is not a regression set (its target looks like class labels)")
        ds = subset(ds, size["n_train"], size["n_test"])
        val = validation_view(ds)
        arch = sizes.arch(n_inputs(ds), HIDDEN, n_outputs(ds))
        base = {"arch": arch, "activation": "leaky_relu", "loss": "mse", "epochs": size["epochs"],
                "batch_size": size["batch_size"], "task": "regress", "device": args.device}
        floor = constant_baseline(ds)
        summ, series = {}, []
        for m in METHODS:
            res = run_setting(ds, m, base, lr_grid(m, mode), range(n_seeds), val_ds=val, **sizes.protocol_args(mode))
            res.update(dataset=dname, arch=arch, constant_baseline=floor)
            rep.add(res)
            series.append({"label": LABELS[m], "key": m, "histories": [r["history"] for r in res["runs"]],
                           "config": res["config"]})
            summ[m] = res["summary"]
            rows.append([dname, arch, LABELS[m], fmt_grid(res["grid"]), fmt(res["summary"].get("train_loss")),
                         fmt(res["summary"].get("test_loss"))])
            print(f"[{NAME}] {dname} {LABELS[m]}: test MSE {fmt(res['summary'].get('test_loss'))}", flush=True)
        for x_key in ("weights_updated", "wall_time"):
            png = rep.out_dir / f"{dname.replace(':', '_').replace('/', '_')}_{x_key}.png"
            plot_rows([{"title": arch, "series": series}], png, x_key=x_key, columns=LOSS_COLUMNS,
                      title=f"{dname} regression (ours; {n_seeds} seeds)")
            rep.add_file("png", png)
        rows.append([dname, "-", "constant (train mean)", "-", "-", f"{floor:.4g}"])
        rows.append([dname, "", "**better (test MSE)**", "", "", verdict(summ["dante"], summ["sgd"], "test_loss", False)])
    paper = [[k, v["dante"], v["sgd"]] for k, v in TABLE3["rows"].items()]
    body = f"# {NAME}: regression ({mode} mode)\n\n"
    body += f"Paper's claim (UCI Air-Foil, Fires, CCPP): {FIGURE_CLAIMS['table3']}\n\n"
    body += "Ours (targets scaled to [0, 1]):\n\n"
    body += md_table(["dataset", "network", "method", "lr grid (**pick**)", "final train MSE",
                      "final test MSE"], rows) + "\n\n"
    body += "The paper's Table 3 (its UCI datasets, not ours):\n\n"
    body += md_table(["paper dataset", "paper: DANTE test error", "paper: SGD test error"], paper) + "\n"
    rep.finish(body)
    return 0


def headlines(data: dict) -> list[str]:
    """DANTE vs SGD test MSE per dataset, beside the constant predictor."""
    out = []
    for dname, m in index_results(data["results"], "dataset", "method").items():
        if "dante" in m and "sgd" in m:
            d, s = m["dante"]["summary"].get("test_loss"), m["sgd"]["summary"].get("test_loss")
            v = verdict(m["dante"]["summary"], m["sgd"]["summary"], "test_loss", False)
            out.append(f"{dname}: test MSE DANTE {fmt(d)} vs SGD {fmt(s)} (lower: {v}); constant predictor "
                       f"{m['dante'].get('constant_baseline', float('nan')):.4g}.")
    return out


def verdicts(data: dict) -> list[list[str]]:
    """Table 3's claim (DANTE's test error lower than SGD's), one row per dataset."""
    rows = []
    for dname, m in index_results(data["results"], "dataset", "method").items():
        if "dante" in m and "sgd" in m:
            d, s = m["dante"]["summary"], m["sgd"]["summary"]
            rows.append(["Table 3: DANTE lower regression error",
                         f"{dname}: test MSE DANTE {fmt(d.get('test_loss'))} vs SGD {fmt(s.get('test_loss'))}",
                         claim_word(verdict(d, s, "test_loss", False))])
    return rows


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
