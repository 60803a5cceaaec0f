"""Measure one full-data run per protocol and estimate what each script costs on the full split.

Each protocol's training run is timed once on the full Fashion-MNIST split (60 000 training,
10 000 test images) for ``--passes`` passes (default 2, after a warm-up run on a small subset): the 784-100-10 classifier (SGD and DANTE; Figures 2,
5, 6, 7, Tables 1, 2), the same DANTE run instrumented as the theory comparison does it, and the
784-392-784 autoencoder of Table 4 (SGD and DANTE, plus one linear-SVM fit on its 60 000 x 392
features). The estimate of a script multiplies the seconds per pass by its passes and by the runs
of its protocol at the given mode's sizes: per setting, every grid candidate on every selection
seed (on 80 % of the training split), 0 to ``max_extend`` extension candidates, then the reporting
seeds. It is one core's time; ``--jobs``/``--executor ray`` divide it by the runs at once.

Usage: ``python -m experiments.full_data_cost [--json PATH] [--passes N] [--mode standard|full]
[--dataset fashion-mnist] [--data-dir DIR] [--device cpu|cuda] [--n-train N]``
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
from collections.abc import Sequence
from typing import Any

from slqc import jsonio

from . import cli, sizes
from .protocol import configure_threads, load, lr_grid, subset

VAL_FRACTION = 0.8  # validation runs train on the other 80 % of the training split

# script -> (settings on the image set at the first network: [(unit, passes, methods)], what)
# ``unit`` names a measured run below; ``methods`` are lr_grid keys (their grid sizes count runs).
PLANS: dict[str, tuple[list[tuple[str, int, list[str]]], str]] = {
    "fig2_leaky_relu": ([("mlp_sgd", 3, ["sgd"]), ("mlp_dante", 3, ["dante"])], "leaky ReLU, MSE"),
    "fig5_sigmoid": ([("mlp_sgd", 3, ["sgd"]), ("mlp_dante", 3, ["dante"])], "sigmoid, MSE"),
    "fig6_cross_entropy": ([("mlp_sgd", 3, ["sgd"] * 2), ("mlp_dante", 3, ["dante"] * 2)],
                           "leaky ReLU and sigmoid, cross-entropy"),
    "fig7_sngd_epochs": ([("mlp_sgd", 40, ["sgd"]), ("mlp_dante", 40, ["dante"] * 5)], "T = 1, 2, 5, 10, 20; 40 passes"),
    "table1_adaptive": ([("mlp_sgd", 3, ["sgd", "adam", "adagrad", "rmsprop", "momentum"]),
                         ("mlp_dante", 3, ["dante", "dante+momentum"])], "7 methods"),
    "table2_altmin": ([("mlp_sgd", 3, ["sgd", "altmin-sgd"]), ("mlp_dante", 3, ["dante"]),
                       ("mlp_sgd", 3, ["fixed"] * 3)], "3 picked + 3 fixed rates"),
    "table4_autoencoder": ([("ae_sgd", 50, ["sgd"]), ("ae_dante", 50, ["dante"])], "784-392-784, 50 passes, + SVM"),
    "theory_vs_practice": ([("mlp_sgd", 3, ["sgd"] * 3), ("mlp_dante", 3, ["dante"] * 3)],
                           "3 act/loss pairs; final runs instrumented"),
}

COMMANDS = {name: f"python -m experiments.{name} --datasets fashion-mnist --device cuda" for name in PLANS}


def _time(config: dict[str, Any]) -> float:
    import dante

    t0 = time.perf_counter()
    dante.train(dante.TrainConfig(**{"progress": False, "seed": 0, **config}))
    return time.perf_counter() - t0


def measure(ds, passes: int = 1, device: str = "cpu") -> dict[str, float]:
    """Seconds per pass of each unit run on ``ds`` (and of one SVM fit), measured once each."""
    from .table4_autoencoder import features, svm_accuracy
    from .theory_vs_practice import EPS, INSTRUMENT_SAMPLES

    import dante

    configure_threads()
    d = int(ds.X_train.shape[1])
    mlp = {"data": ds, "arch": f"{d}-100-{ds.n_classes}", "activation": "leaky_relu", "loss": "mse", "lr": 0.1,
           "epochs": passes, "batch_size": 64, "task": "classify", "device": device}
    ae = {"data": ds, "arch": f"{d}-{d // 2}-{d}", "activation": "relu", "loss": "mse", "lr": 0.1,
          "epochs": passes, "batch_size": 64, "task": "autoencoder", "device": device}
    small = subset(ds, 256, 64)
    _time({**mlp, "data": small, "method": "sgd", "epochs": 1})  # warm-up: first-call costs are not a pass
    _time({**mlp, "data": small, "method": "dante", "epochs": 2, "sngd_epochs": 1})
    out = {
        "mlp_sgd": _time({**mlp, "method": "sgd"}) / passes,
        "mlp_dante": _time({**mlp, "method": "dante", "sngd_epochs": 1}) / passes,
        "mlp_dante_instrumented": _time({**mlp, "method": "dante", "sngd_epochs": 1, "instrument": True,
                                         "reference": "final", "eps": EPS,
                                         "instrument_samples": INSTRUMENT_SAMPLES}) / passes,
        "ae_sgd": _time({**ae, "method": "sgd"}) / passes,
        "ae_dante": _time({**ae, "method": "dante", "scheme": "greedy", "sngd_epochs": 1}) / passes,
    }
    model = dante.MLP(dante.parse_arch(ae["arch"]), activation="relu")
    t0 = time.perf_counter()
    svm_accuracy(features(model, ds.X_train), ds.y_train.numpy(), features(model, ds.X_test), ds.y_test.numpy())
    out["svm_fit"] = time.perf_counter() - t0
    return out


def runs_per_setting(method: str, mode: str) -> tuple[int, int, int]:
    """``(validation runs without extension, with the most extensions, reporting runs)``."""
    sz = sizes.SIZES[mode]
    if method == "fixed":  # a fixed rate: no selection
        return 0, 0, sz["seeds"]
    k = len(sz["select_seeds"])
    g = len(lr_grid(method, mode))
    return g * k, (g + sz["max_extend"]) * k, sz["seeds"]


def estimate(unit: dict[str, float], mode: str = "standard") -> dict[str, dict[str, Any]]:
    """Estimated one-core seconds of every script of :data:`PLANS` on the full split: ``low`` (no
    grid extension) and ``high`` (every setting extended to the cap)."""
    out = {}
    for name, (settings, what) in PLANS.items():
        low = high = 0.0
        runs_low = runs_high = 0
        for key, passes, methods in settings:
            for m in methods:
                v_lo, v_hi, final = runs_per_setting(m, mode)
                per = unit[key] * passes
                fin = unit["mlp_dante_instrumented"] * passes if name == "theory_vs_practice" and "dante" in key else per
                svm = unit["svm_fit"] if name == "table4_autoencoder" else 0.0
                low += v_lo * (per * VAL_FRACTION + svm) + final * (fin + svm)
                high += v_hi * (per * VAL_FRACTION + svm) + final * (fin + svm)
                runs_low += v_lo + final
                runs_high += v_hi + final
        out[name] = {"what": what, "runs": [runs_low, runs_high], "seconds": [round(low), round(high)],
                     "command": COMMANDS[name]}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.full_data_cost", description=__doc__.splitlines()[0])
    p.add_argument("--json", default=None, help="write the measurements and estimates here")
    p.add_argument("--passes", type=int, default=2,
                   help="passes of each timed run (default 2: DANTE with T = 1 then trains both layers once)")
    p.add_argument("--mode", default="standard", choices=("standard", "full"), help="sizes of the estimate")
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--n-train", type=int, default=None, help="time on a subset (tests); the estimate says so")
    args = p.parse_args(argv)
    if args.passes < 1:
        raise cli.UsageError(f"--passes must be >= 1, got {args.passes}")
    ds = load(args.dataset, args.data_dir)
    if args.n_train is not None:
        ds = subset(ds, args.n_train, args.n_train // 6 or 1)
    unit = measure(ds, args.passes, args.device)
    est = estimate(unit, args.mode)
    record = {
        "command": " ".join(["python", "-m", "experiments.full_data_cost", *(argv if argv is not None else sys.argv[1:])]),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus", "load_average": list(os.getloadavg()),
        "dataset": args.dataset, "n_train": int(ds.X_train.shape[0]), "n_test": int(ds.X_test.shape[0]),
        "device": args.device, "mode": args.mode, "seconds_per_pass": unit, "estimates": est,
    }
    for k, v in unit.items():
        print(f"{k}: {v:.2f} s{'' if k == 'svm_fit' else ' per pass'}")
    for name, e in est.items():
        print(f"{name}: {e['runs'][0]}-{e['runs'][1]} runs, {e['seconds'][0] / 60:.0f}-{e['seconds'][1] / 60:.0f} "
              f"min on one core ({e['what']})")
    if args.json:
        jsonio.write(args.json, record)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
