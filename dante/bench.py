"""Speed benchmark: DANTE's time per data pass versus SGD's time per epoch, and time to accuracy.

On Fashion-MNIST 784-100-10 with the squared loss and leaky ReLU (Sinha et al., 2020,
section 4.1 setting), measure side by side in one process

* DANTE's time per data pass: the mean seconds of a pass of the outer (``W_2``) phase and of the
  inner (``W_1``) phase, averaged over the two phases (each phase's one-off cache of the hidden
  activations is inside its first pass), over SGD's mean seconds per epoch (target <= 0.75);
* the same ratio from ``--interleave`` paired repeats (one SGD epoch, one DANTE outer pass, one DANTE
  inner pass, back to back), whose median resists a busy machine;
* the training wall time (evaluation excluded) each method needs to first reach a common test
  accuracy (default: the lower of the two best accuracies, floored to 0.005).

Usage::

    python -m dante.bench --json bench.json [--png bench.png] [--epochs 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from typing import Sequence

import torch

from .config import TrainConfig
from .data import load_dataset
from .runlog import write_json
from .trainer import train

__all__ = ["run_benchmark", "main", "TARGET_RATIO"]

TARGET_RATIO = 0.75


def _time_to(history: list[dict], target: float) -> tuple[float | None, float | None]:
    for h in history:
        if h["test_acc"] is not None and h["test_acc"] >= target:
            return h["wall_time"], h["epoch"]
    return None, None


def _interleaved(ds, arch: str, dante_lr: float, sgd_lr: float, batch_size: int, seed: int, repeats: int,
                 sngd_epochs: int) -> dict:
    """Paired timing robust to a busy machine: ``repeats`` times, one SGD epoch, then one DANTE
    outer pass and one DANTE inner pass back to back (``T = 1`` here, so each DANTE pass pays a
    whole cache of the hidden activations: ``ratio``); ``ratio_amortized`` charges each pass
    ``1/T`` of its cache, as a phase of ``T`` passes does."""
    rows = []
    L = len(arch.split("-")) - 1
    for r in range(repeats):
        common = dict(data=ds, arch=arch, batch_size=batch_size, seed=seed + r, progress=False,
                      output_activation="generalized_relu")
        sgd = train(TrainConfig(method="sgd", lr=sgd_lr, epochs=1, **common)).passes[0]["seconds"]
        dante = train(TrainConfig(method="dante", lr=dante_lr, epochs=L, sngd_epochs=1, **common)).passes
        per = {f"layer{p['train_layers'][0]}": p["seconds"] for p in dante}
        cache = {f"layer{p['train_layers'][0]}": p["cache_seconds"] for p in dante}
        amortized = [per[k] - cache[k] * (1 - 1 / sngd_epochs) for k in per]
        rows.append({"sgd_epoch_seconds": sgd, "dante_pass_seconds": per, "dante_cache_seconds": cache,
                     "ratio": statistics.fmean(per.values()) / sgd,
                     "ratio_amortized": statistics.fmean(amortized) / sgd})
    return {"repeats": rows, "median_ratio": statistics.median(r["ratio"] for r in rows),
            "median_ratio_amortized": statistics.median(r["ratio_amortized"] for r in rows),
            "min_ratio": min(r["ratio"] for r in rows), "max_ratio": max(r["ratio"] for r in rows)}


def run_benchmark(data: str = "fashion-mnist", arch: str = "784-100-10", epochs: int = 20, sngd_epochs: int = 5,
                  dante_lr: float = 0.03, sgd_lr: float = 0.1, batch_size: int = 64, seed: int = 0,
                  log_every: int | None = None, target_acc: float | None = None, data_dir: str | None = None,
                  progress: bool = False, interleave: int = 5) -> dict:
    """Run SGD and DANTE with the same budget of data passes and report the timings.

    Returns:
        A JSON-ready dict (see the module docstring); ``ratio`` is DANTE seconds per pass over SGD
        seconds per epoch.
    """
    ds = load_dataset(data, data_dir=data_dir, seed=seed)
    steps = math.ceil(ds.X_train.shape[0] / batch_size)
    log_every = log_every or max(1, steps // 4)
    common = dict(data=ds, arch=arch, activation="generalized_relu", output_activation="generalized_relu",
                  loss="squared", epochs=epochs, batch_size=batch_size, seed=seed, progress=progress,
                  log_every=log_every)
    t0 = time.perf_counter()
    sgd = train(TrainConfig(method="sgd", lr=sgd_lr, **common))
    dante = train(TrainConfig(method="dante", lr=dante_lr, sngd_epochs=sngd_epochs, **common))
    total = time.perf_counter() - t0
    L = len(arch.split("-")) - 1
    sgd_epoch = [p["seconds"] for p in sgd.passes]
    by_layer = {l: [p["seconds"] for p in dante.passes if p["train_layers"] == [l]] for l in range(1, L + 1)}
    phase_means = {l: statistics.fmean(v) for l, v in by_layer.items() if v}
    dante_pass = statistics.fmean(phase_means.values())
    sgd_mean = statistics.fmean(sgd_epoch)
    best = {"sgd": max(h["test_acc"] for h in sgd.history), "dante": max(h["test_acc"] for h in dante.history)}
    target = target_acc if target_acc is not None else math.floor(min(best.values()) * 200) / 200
    t_sgd, e_sgd = _time_to(sgd.history, target)
    t_dante, e_dante = _time_to(dante.history, target)
    return {
        "interleaved": _interleaved(ds, arch, dante_lr, sgd_lr, batch_size, seed, interleave, sngd_epochs)
        if interleave else None,
        "settings": {"data": ds.name, "arch": arch, "epochs": epochs, "sngd_epochs": sngd_epochs, "dante_lr": dante_lr,
                     "sgd_lr": sgd_lr, "batch_size": batch_size, "seed": seed, "log_every": log_every,
                     "loss": "squared", "activation": "generalized_relu", "threads": torch.get_num_threads(),
                     "torch": torch.__version__, "machine": platform.machine(), "processor": platform.processor()},
        "sgd": {"epoch_seconds": sgd_epoch, "mean_epoch_seconds": sgd_mean, "final": sgd.final, "best_test_acc": best["sgd"],
                "history": sgd.history},
        "dante": {"pass_seconds_by_layer": {f"layer{l}": v for l, v in by_layer.items()},
                  "mean_pass_seconds_by_layer": {f"layer{l}": m for l, m in phase_means.items()},
                  "mean_pass_seconds": dante_pass, "final": dante.final, "best_test_acc": best["dante"],
                  "history": dante.history},
        "ratio": dante_pass / sgd_mean,
        "ratio_of_medians": statistics.fmean(statistics.median(v) for v in by_layer.values() if v)
        / statistics.median(sgd_epoch),
        "target_ratio": TARGET_RATIO,
        "meets_target": dante_pass / sgd_mean <= TARGET_RATIO,
        "common_accuracy": target,
        "time_to_accuracy": {"sgd": t_sgd, "dante": t_dante},
        "passes_to_accuracy": {"sgd": e_sgd, "dante": e_dante},
        "total_seconds": total,
    }


def _plot(result: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, color in (("dante", "tab:blue"), ("sgd", "tab:green")):
        h = result[name]["history"]
        axes[0].plot([r["wall_time"] for r in h], [r["test_acc"] for r in h], color=color, label=name)
        axes[1].plot([r["epoch"] for r in h], [r["train_loss"] for r in h], color=color, label=name)
    axes[0].axhline(result["common_accuracy"], color="gray", ls="--", lw=1, label="common accuracy")
    axes[0].set_xlabel("training wall time (s, evaluation excluded)")
    axes[0].set_ylabel("test accuracy")
    axes[1].set_xlabel("data passes")
    axes[1].set_ylabel("training loss (MSE)")
    s = result["settings"]
    fig.suptitle(f"{s['data']} {s['arch']}: DANTE s/pass / SGD s/epoch = {result['ratio']:.3f}", fontsize=10)
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dante.bench``; prints a summary and writes ``--json`` (and ``--png``)."""
    p = argparse.ArgumentParser(prog="python -m dante.bench", description=__doc__.splitlines()[0])
    p.add_argument("--json", required=True, help="output JSON path")
    p.add_argument("--png", default=None, help="optional figure: test accuracy vs wall time, loss vs passes")
    p.add_argument("--data", default="fashion-mnist")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--arch", default="784-100-10")
    p.add_argument("--epochs", type=int, default=20, help="data passes per method (default 20)")
    p.add_argument("--sngd-epochs", type=int, default=5)
    p.add_argument("--dante-lr", type=float, default=0.03)
    p.add_argument("--sgd-lr", type=float, default=0.1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=None, help="evaluation interval in steps (default: 4 per pass)")
    p.add_argument("--target-acc", type=float, default=None)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--interleave", type=int, default=5, help="paired SGD-epoch / DANTE-pass repeats (0: skip)")
    args = p.parse_args(list(argv) if argv is not None else None)
    torch.set_num_threads(args.threads)
    try:
        result = run_benchmark(args.data, args.arch, args.epochs, args.sngd_epochs, args.dante_lr, args.sgd_lr,
                               args.batch_size, args.seed, args.log_every, args.target_acc, args.data_dir, args.progress,
                               args.interleave)
    except ValueError as exc:
        print(f"dante.bench: error: {exc}", file=sys.stderr)
        return 2
    result["command"] = "python -m dante.bench " + " ".join(argv if argv is not None else sys.argv[1:])
    write_json(args.json, result)
    if args.png:
        _plot(result, args.png)
    d, s = result["dante"], result["sgd"]
    per_layer = ", ".join(f"{k} {v:.3f}" for k, v in d["mean_pass_seconds_by_layer"].items())
    print(f"SGD   mean s/epoch {s['mean_epoch_seconds']:.3f}; best test acc {s['best_test_acc']:.4f}")
    print(f"DANTE mean s/pass  {d['mean_pass_seconds']:.3f} ({per_layer}); best test acc {d['best_test_acc']:.4f}")
    print(f"ratio {result['ratio']:.3f} (target <= {TARGET_RATIO}: {'met' if result['meets_target'] else 'NOT met'}); "
          f"ratio of medians {result['ratio_of_medians']:.3f}")
    if result["interleaved"]:
        it = result["interleaved"]
        print(f"interleaved repeats: median ratio {it['median_ratio']:.3f} (min {it['min_ratio']:.3f}, "
              f"max {it['max_ratio']:.3f}); with the cache amortized over T: {it['median_ratio_amortized']:.3f}")
    tta = result["time_to_accuracy"]
    fmt = lambda v: "never" if v is None else f"{v:.2f} s"  # noqa: E731
    print(f"time to test acc {result['common_accuracy']:.3f}: SGD {fmt(tta['sgd'])}, DANTE {fmt(tta['dante'])}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
