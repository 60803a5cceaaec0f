"""Table 4 of the paper: features from autoencoders trained by DANTE and by SGD, then a linear SVM.

An autoencoder ``n_0 - h - n_0`` (ReLU, squared reconstruction loss; Section 4.3.3) is trained on
the inputs only, by DANTE (Algorithm 3 with one pair of layers) and by SGD; the hidden
representation ``hidden(X, 1)`` of the training and test sets feeds a linear SVM
(``StandardScaler`` + ``LinearSVC``, C = 1) and we report its test accuracy. Two baselines frame the
numbers: the same SVM on the raw inputs, and on the features of the untrained (initial) network.
Learning rates are picked on a validation split by reconstruction loss. Default sets: digits, the
full Fashion-MNIST split (when installed; in place of the paper's MNIST), wine, breast_cancer; CSV
files with ``--datasets csv:PATH``. The paper's numbers (MNIST, Ionosphere, SVMGuide4, USPS,
Vehicle) are on other datasets and sit in their own table.

Figure 9 of the paper (reconstructions by the SGD- and the DANTE-trained autoencoder) is drawn
for every image set (digits 8x8, Fashion-MNIST 28x28) from the seed-0 autoencoders of the table:
the first ten test images (not picked for quality, unlike the paper's "best reconstructions"), the
SGD reconstruction below them and the DANTE one at the bottom, with the per-image squared error.

Usage: ``python -m experiments.table4_autoencoder [--quick|--full] [--out DIR] [--seeds N]
[--datasets digits,fashion-mnist,wine,breast_cancer] [--device cuda]``
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from . import cli, sizes
from .figure_protocol import AUTO, n_inputs, resolve_datasets
from .paper_numbers import FIGURE_CLAIMS, TABLE4
from .protocol import LABELS, load, lr_grid, run_setting, subset, validation_view
from .plots import LOSS_COLUMNS, plot_rows
from .report import Report, fmt_grid, index_results, md_table
from .stats import claim_word, fmt, mean_std, verdict

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


RECON_KEY = "fig9_reconstructions"


def svm_and_reconstructions(res, ds, show: np.ndarray | None = None) -> dict[str, Any]:
    """``after_train`` hook: :func:`svm_on_model`, and on the real test set (not a validation view)
    the reconstructions of the ``show`` images (Figure 9) under :data:`RECON_KEY`."""
    out: dict[str, Any] = svm_on_model(res, ds)
    if show is not None and not str(getattr(ds, "name", "")).endswith("[val]"):
        x = torch.as_tensor(show)
        with torch.no_grad():
            out[RECON_KEY] = res.model(x.to(next(res.model.parameters()).device)).cpu().numpy().tolist()
    return out


def untrained_features_acc(ds, arch: str, seed: int) -> float:
    """SVM accuracy on the hidden features of a freshly initialized autoencoder (no training)."""
    import dante

    model = dante.MLP(dante.parse_arch(arch), activation=ACTIVATION,
                      generator=torch.Generator().manual_seed(seed))
    return svm_on_model(type("Untrained", (), {"model": model})(), ds)["svm_acc"]


FIG9_IMAGES = 10
IMAGE_SIDES = {64: 8, 784: 28}  # input width -> side of the square image (Figure 9)


def plot_reconstructions(x: np.ndarray, recs: dict[str, np.ndarray], path, title: str) -> None:
    """Figure 9: inputs on top, then one row per method (``recs``: label -> reconstructions), each
    image titled with its squared error ``||x - x_hat||^2``."""
    from .plots import DPI, plt

    side = IMAGE_SIDES[x.shape[1]]
    rows = [("input", x)] + list(recs.items())
    fig, axes = plt.subplots(len(rows), len(x), figsize=(1.1 * len(x), 1.25 * len(rows)), squeeze=False)
    for r, (label, imgs) in enumerate(rows):
        for c in range(len(x)):
            ax = axes[r][c]
            ax.imshow(imgs[c].reshape(side, side), cmap="gray", vmin=float(x.min()), vmax=float(x.max()))
            ax.set_xticks([])
            ax.set_yticks([])
            if r > 0:
                ax.set_title(f"{float(((x[c] - imgs[c]) ** 2).sum()):.3g}", fontsize=6)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.02, top=0.86, wspace=0.05, hspace=0.35)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parser(NAME, __doc__.splitlines()[0], datasets=AUTO).parse_args(argv)
    cli.check_common(args)
    mode = cli.mode_of(args)
    skipped: list[str] = []
    if args.datasets == AUTO:
        datasets = resolve_datasets(AUTO, args.data_dir, skipped) + ["wine", "breast_cancer"]
    else:
        datasets = cli.parse_datasets(args.datasets)
    n_seeds = args.seeds or sizes.SIZES[mode]["seeds"]
    settings = {"datasets": datasets, "seeds": list(range(n_seeds)), "activation": ACTIVATION, "loss": "mse",
                "device": args.device, **sizes.protocol_args(mode), "figure9_images": FIG9_IMAGES,
                "epochs": EPOCHS[mode], "sizes": {d: sizes.SIZES[mode][sizes.kind(d)] for d in datasets},
                "grids": {m: lr_grid(m, mode) for m in METHODS}, "svm": "StandardScaler + LinearSVC(C=1)",
                "selection": "validation split 20 %; argmin of the validation reconstruction MSE averaged over "
                "the selection seeds; grid extended until the pick is interior"}
    rep = Report(NAME, cli.out_dir_of(args, NAME), mode, list(argv or []), settings)
    rep.set("paper", {**TABLE4, "claim": FIGURE_CLAIMS["table4"], "figure9": FIGURE_CLAIMS["fig9"]})
    for note in skipped:
        rep.note(note)
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
                "batch_size": size["batch_size"], "task": "autoencoder", "device": args.device}
        raw = svm_accuracy(ds.X_train.numpy(), ds.y_train.numpy(), ds.X_test.numpy(), ds.y_test.numpy())
        init = mean_std([untrained_features_acc(ds, arch, s) for s in range(n_seeds)])
        summ, series, recs = {}, [], {}
        x_show = ds.X_test[:FIG9_IMAGES]
        for m in METHODS:
            scheme = {"scheme": "greedy"} if m == "dante" else {}  # Algorithm 3 (one pair here)

            # module-level hook (picklable: it runs wherever the run runs, e.g. on a Ray worker)
            hook = functools.partial(svm_and_reconstructions, show=x_show.numpy())
            res = run_setting(ds, m, {**base, **scheme}, lr_grid(m, mode), range(n_seeds), val_ds=val,
                              after_train=hook, **sizes.protocol_args(mode))
            shown = [run["final"].pop(RECON_KEY, None) for run in res["runs"]]  # Figure 9: seed 0's
            if shown and shown[0] is not None:
                recs[LABELS[m]] = np.asarray(shown[0], dtype=np.float32)
            res.update(dataset=dname, arch=arch, raw_svm_acc=raw, untrained_svm_acc=init)
            if LABELS[m] in recs and d in IMAGE_SIDES:
                x_np = x_show.numpy()
                res["figure9_sq_err"] = mean_std(((x_np - recs[LABELS[m]]) ** 2).sum(axis=1).tolist())
            rep.add(res)
            series.append({"label": LABELS[m], "key": m, "histories": [r["history"] for r in res["runs"]],
                           "config": res["config"]})
            s = summ[m] = res["summary"]
            rows.append([dname, arch, LABELS[m], fmt_grid(res["grid"]), fmt(s.get("test_loss")),
                         fmt(s.get("svm_acc"), percent=True)])
            print(f"[{NAME}] {dname} {LABELS[m]}: SVM acc {fmt(s.get('svm_acc'), percent=True)}", flush=True)
        for x_key in ("weights_updated", "wall_time"):
            png = rep.out_dir / f"{dname.replace(':', '_').replace('/', '_')}_{x_key}.png"
            plot_rows([{"title": arch, "series": series}], png, x_key=x_key, columns=LOSS_COLUMNS,
                      title=f"{dname} autoencoder reconstruction (ours; {n_seeds} seeds)")
            rep.add_file("png", png)
        if d in IMAGE_SIDES and len(recs) == len(METHODS):
            png = rep.out_dir / f"{dname}_fig9_reconstructions.png"
            plot_reconstructions(x_show.numpy(), {k: recs[k] for k in ("SGD", "DANTE")}, png,
                                 f"Figure 9 (ours): {dname} {arch}, seed 0; first {FIG9_IMAGES} test images; "
                                 "number = squared error")
            rep.add_file("png", png)
        rows.append([dname, arch, "untrained network (init)", "-", "-", fmt(init, percent=True)])
        rows.append([dname, "-", "raw inputs", "-", "-", f"{100 * raw:.2f} %"])
        rows.append([dname, "", "**better (SVM acc)**", "", "", verdict(summ["dante"], summ["sgd"], "svm_acc", True)])
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
            v = verdict(m["dante"]["summary"], m["sgd"]["summary"], "svm_acc", True)
            raw = m["dante"].get("raw_svm_acc")
            text = (f"{dname}: linear-SVM accuracy on DANTE features {fmt(d, percent=True)} vs SGD features "
                    f"{fmt(s, percent=True)} (higher: {v}); raw inputs {100 * raw:.2f} %, untrained features "
                    f"{fmt(m['dante'].get('untrained_svm_acc'), percent=True)}.")
            fd, fs = m["dante"].get("figure9_sq_err"), m["sgd"].get("figure9_sq_err")
            if fd and fs and _is_image(m["dante"]["arch"]):
                text += (f" Figure 9 images (seed 0, first {FIG9_IMAGES} test images): squared reconstruction error "
                         f"DANTE {fmt(fd)} vs SGD {fmt(fs)}.")
            out.append(text)
    return out


def _is_image(arch: str) -> bool:
    """True for an autoencoder of an image set (Figure 9 applies)."""
    return int(arch.split("-")[0]) in IMAGE_SIDES


def verdicts(data: dict) -> list[list[str]]:
    """Table 4's claim (DANTE's autoencoder features better) and Figure 9's (DANTE's reconstructions
    better), one row per dataset each."""
    rows = []
    for dname, m in index_results(data["results"], "dataset", "method").items():
        if "dante" not in m or "sgd" not in m:
            continue
        d, s = m["dante"]["summary"], m["sgd"]["summary"]
        rows.append(["Table 4: DANTE autoencoder features better",
                     f"{dname}: linear-SVM accuracy DANTE {fmt(d.get('svm_acc'), percent=True)} vs SGD "
                     f"{fmt(s.get('svm_acc'), percent=True)}", claim_word(verdict(d, s, "svm_acc", True))])
        fd, fs = m["dante"].get("figure9_sq_err"), m["sgd"].get("figure9_sq_err")
        if fd and fs and _is_image(m["dante"]["arch"]):
            rows.append(["Fig. 9: DANTE reconstructions better",
                         f"{dname}: squared error of the {fd['n']} shown reconstructions (seed 0) DANTE {fmt(fd)} vs "
                         f"SGD {fmt(fs)}; test reconstruction MSE over seeds DANTE {fmt(d.get('test_loss'))} vs SGD "
                         f"{fmt(s.get('test_loss'))}", claim_word(verdict(d, s, "test_loss", False))])
    return rows


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
