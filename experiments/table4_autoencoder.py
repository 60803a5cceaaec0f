"""Table 4 of the paper: features from autoencoders trained by DANTE and by SGD, then a linear SVM.

An autoencoder ``n_0 - h - n_0`` (ReLU, squared reconstruction loss; Section 4.3.3) is trained on
the inputs only, by DANTE (Algorithm 3 with one pair of layers) and by SGD; the hidden
representation ``hidden(X, 1)`` of the training and test sets feeds a linear SVM
(``StandardScaler`` + ``LinearSVC``, C = 1) and we report its test accuracy. Two baselines frame the
numbers: the same SVM on the raw inputs, and on the features of the untrained (initial) network.
Learning rates are picked on a validation split by reconstruction loss. Bundled sets: digits, wine,
breast_cancer; CSV files with ``--datasets csv:PATH``. The paper's numbers (MNIST, Ionosphere,
SVMGuide4, USPS, Vehicle) are on other datasets and sit in their own table.

Usage: ``python -m experiments.table4_autoencoder [--quick|--full] [--out DIR] [--seeds N]
[--datasets digits,wine,breast_cancer]``
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

import numpy as np
import torch

from . import cli, sizes
from .figure_protocol import n_inputs
from .paper_numbers import FIGURE_CLAIMS, TABLE4
from .protocol import LABELS, load, lr_grid, run_setting, subset, validation_view
from .plots import LOSS_COLUMNS, plot_rows
from .report import Report, fmt_grid, index_results, md_table
from .stats import compare, fmt, mean_std

NAME = "table4_autoencoder"
METHODS = ("dante", "sgd")
EPOCHS = {"quick": 2, "standard": 50, "full": 50}
ACTIVATION = "relu"


def code_width(n_in: int) -> int:
    """Hidden width: half the input width, at least 4 (digits 32, wine 6, breast_cancer 15)."""
    return max(4, n_in // 2)


def svm_accuracy(F_train: np.ndarray, y_train: np.ndarray, F_test: np.ndarray, y_test: np.ndarray) -> float:
    """Test accuracy of StandardScaler + LinearSVC(C=1) trained on ``F_train``."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    clf = make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=5000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on raw pixels is expected and harmless
        clf.fit(F_train, y_train)
    return float((clf.predict(F_test) == y_test).mean())


def features(model, X: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return model.hidden(X, 1).detach().cpu().numpy()


def svm_on_model(res, ds) -> dict[str, float]:
    """``after_train`` hook: SVM accuracy on the trained autoencoder's hidden features."""
    acc = svm_accuracy(features(res.model, ds.X_train), ds.y_train.numpy(),
                       features(res.model, ds.X_test), ds.y_test.numpy())
    return {"svm_acc": acc}


def untrained_features_acc(ds, arch: str, seed: int) -> float:
    """SVM accuracy on the hidden features of a freshly initialized autoencoder (no training)."""
    import dante

    model = dante.MLP(dante.parse_arch(arch), activation=ACTIVATION,
                      generator=torch.Generator().manual_seed(seed))
    return svm_on_model(type("Untrained", (), {"model": model})(), ds)["svm_acc"]


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parser(NAME, __doc__.splitlines()[0], datasets="digits,wine,breast_cancer").parse_args(argv)
    cli.check_common(args)
    mode = cli.mode_of(args)
    datasets = cli.parse_datasets(args.datasets)
    n_seeds = args.seeds or sizes.SIZES[mode]["seeds"]
    settings = {"datasets": datasets, "seeds": list(range(n_seeds)), "activation": ACTIVATION, "loss": "mse",
                "epochs": EPOCHS[mode], "sizes": {d: sizes.SIZES[mode][sizes.kind(d)] for d in datasets},
                "grids": {m: lr_grid(m, mode) for m in METHODS}, "svm": "StandardScaler + LinearSVC(C=1)",
                "selection": "validation split 20 %, seed 0; argmin of validation reconstruction MSE"}
    rep = Report(NAME, cli.out_dir_of(args, NAME), mode, list(argv or []), settings)
    rep.set("paper", {**TABLE4, "claim": FIGURE_CLAIMS["table4"]})
    rows = []
    for dname in datasets:
        ds = load(dname, args.data_dir)
        if ds.task != "classification":
            raise cli.UsageError(f"{dname} has no class labels; Table 4 needs a classification set")
        size = sizes.SIZES[mode][sizes.kind(dname)]
        ds = subset(ds, size["n_train"], size["n_test"])
        val = validation_view(ds)
        d = n_inputs(ds)
        arch = sizes.arch(d, [code_width(d)], d)
        base = {"arch": arch, "activation": ACTIVATION, "loss": "mse", "epochs": EPOCHS[mode],
                "batch_size": size["batch_size"], "task": "autoencoder"}
        raw = svm_accuracy(ds.X_train.numpy(), ds.y_train.numpy(), ds.X_test.numpy(), ds.y_test.numpy())
        init = mean_std([untrained_features_acc(ds, arch, s) for s in range(n_seeds)])
        summ, series = {}, []
        for m in METHODS:
            scheme = {"scheme": "greedy"} if m == "dante" else {}  # Algorithm 3 (one pair here)
            res = run_setting(ds, m, {**base, **scheme}, lr_grid(m, mode), range(n_seeds), val_ds=val,
                              after_train=svm_on_model)
            res.update(dataset=dname, arch=arch, raw_svm_acc=raw, untrained_svm_acc=init)
            rep.add(res)
            series.append({"label": LABELS[m], "key": m, "histories": [r["history"] for r in res["runs"]]})
            s = summ[m] = res["summary"]
            rows.append([dname, arch, LABELS[m], fmt_grid(res["grid"]), fmt(s.get("test_loss")),
                         fmt(s.get("svm_acc"), percent=True)])
            print(f"[{NAME}] {dname} {LABELS[m]}: SVM acc {fmt(s.get('svm_acc'), percent=True)}", flush=True)
        for x_key in ("weights_updated", "wall_time"):
            png = rep.out_dir / f"{dname.replace(':', '_').replace('/', '_')}_{x_key}.png"
            plot_rows([{"title": arch, "series": series}], png, x_key=x_key, columns=LOSS_COLUMNS,
                      title=f"{dname} autoencoder reconstruction (ours; {n_seeds} seeds)")
            rep.add_file("png", png)
        rows.append([dname, arch, "untrained network (init)", "-", "-", fmt(init, percent=True)])
        rows.append([dname, "-", "raw inputs", "-", "-", f"{100 * raw:.2f} %"])
        v = compare(summ["dante"].get("svm_acc"), summ["sgd"].get("svm_acc"), True)
        rows.append([dname, "", "**better (SVM acc)**", "", "", {"A": "DANTE", "B": "SGD", "tie": "tie (within 2 s.e.)"}[v]])
    paper = [[k, f"{100 * v['dante']:.2f} %", f"{100 * v['sgd']:.2f} %"] for k, v in TABLE4["rows"].items()]
    body = f"# {NAME}: autoencoder features + linear SVM ({mode} mode)\n\n"
    body += f"Paper's claim (MNIST, UCI/LIBSVM sets): {FIGURE_CLAIMS['table4']}\n\n"
    body += "Ours:\n\n" + md_table(["dataset", "autoencoder", "features from", "lr grid (**pick**)",
                                    "test reconstruction MSE", "linear-SVM test acc"], rows) + "\n\n"
    body += "The paper's Table 4 (its datasets, not ours):\n\n"
    body += md_table(["paper dataset", "paper: DANTE", "paper: SGD"], paper) + "\n"
    rep.finish(body)
    return 0


def headlines(data: dict) -> list[str]:
    """SVM accuracy on DANTE vs SGD autoencoder features per dataset, beside raw inputs."""
    out = []
    for dname, m in index_results(data["results"], "dataset", "method").items():
        if "dante" in m and "sgd" in m:
            d, s = m["dante"]["summary"].get("svm_acc"), m["sgd"]["summary"].get("svm_acc")
            v = {"A": "DANTE higher", "B": "SGD higher", "tie": "tie within 2 s.e."}[compare(d, s, True)]
            raw = m["dante"].get("raw_svm_acc")
            out.append(f"{dname}: linear-SVM accuracy on DANTE features {fmt(d, percent=True)} vs SGD features "
                       f"{fmt(s, percent=True)} ({v}); raw inputs {100 * raw:.2f} %, untrained features "
                       f"{fmt(m['dante'].get('untrained_svm_acc'), percent=True)}.")
    return out


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
