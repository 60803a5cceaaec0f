"""The comparison protocol shared by all scripts, on top of :func:`dante.train`.

For one *setting* (dataset, network, activation, loss, method):

1. **Pick the learning rate** on a validation split: ``ds.split_validation(0.2, seed=0)``; every
   candidate of the method's grid is trained on the training part with each selection seed (at
   least 2 outside quick mode) and scored by the mean validation loss; the argmin wins, and the
   grid is extended until the pick is interior (:func:`experiments.selection.select_extending`).
2. **Train with the pick** on the full training set for each reporting seed (5 outside quick
   mode) and evaluate on the test set.
3. **Summarize**: mean, std and 95 % confidence interval over seeds of the final training loss,
   test loss, test accuracy and wall time; the histories (for the curves) keep ``step``, ``weights_updated``, ``epoch``,
   ``wall_time`` and the three metrics.

Every method gets the same number of passes over the training data (``epochs``), which is how
:class:`dante.TrainConfig` defines it for every method.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from .cli import UsageError
from .sizes import sngd_epochs_for
from .selection import is_interior, select_extending
from .stats import mean_std

# Our method keys -> TrainConfig fields. "dante+momentum" is DANTE with momentum in SNGD.
METHODS: dict[str, dict[str, Any]] = {
    "dante": {"method": "dante"},
    "sgd": {"method": "sgd"},
    "momentum": {"method": "momentum", "momentum": 0.9},
    "adam": {"method": "adam"},
    "adagrad": {"method": "adagrad"},
    "rmsprop": {"method": "rmsprop"},
    "dante+momentum": {"method": "dante", "momentum": 0.9},
    "altmin-sgd": {"method": "altmin-sgd"},
}

LABELS: dict[str, str] = {
    "dante": "DANTE",
    "sgd": "SGD",
    "momentum": "SGD+Momentum",
    "adam": "SGD+Adam",
    "adagrad": "SGD+Adagrad",
    "rmsprop": "SGD+RMSProp",
    "dante+momentum": "DANTE+Momentum",
    "altmin-sgd": "SGD+AltMin",
}

ALTERNATING = ("dante", "altmin-sgd")  # methods whose passes train one layer at a time

HISTORY_KEYS = ("step", "weights_updated", "epoch", "wall_time", "train_loss", "test_loss", "test_acc")

# Learning-rate grids (standard / full mode; quick mode keeps the two ends). Three points per
# method, one factor of ~3 apart, bracketing the best rates of a wider sweep on digits
# (0.001 ... 3; 64-100-10 and 64-400-200-100-10, 20 passes). SNGD steps have a fixed length lr
# (the gradient is normalized), so its grid is on another scale than SGD's.
LR_GRIDS: dict[str, list[float]] = {
    "dante": [0.03, 0.1, 0.3],
    "dante+momentum": [0.003, 0.01, 0.03],
    "sgd": [0.1, 0.3, 1.0],
    "momentum": [0.01, 0.03, 0.1],
    "altmin-sgd": [0.1, 0.3, 1.0],
    "adam": [0.0003, 0.001, 0.003],
    "rmsprop": [0.0003, 0.001, 0.003],
    "adagrad": [0.01, 0.03, 0.1],
}

# Other scales where the activation/loss changes the gradient size (same sweep: sigmoid + MSE
# gradients are small, so both methods want larger rates there).
LR_GRID_OVERRIDES: dict[tuple[str, str, str], list[float]] = {
    ("dante", "sigmoid", "mse"): [0.1, 0.3, 1.0],
    ("sgd", "sigmoid", "mse"): [0.3, 1.0, 3.0],
    ("dante", "leaky_relu", "cross_entropy"): [0.1, 0.3, 1.0],
    ("dante", "sigmoid", "cross_entropy"): [0.1, 0.3, 1.0],
    ("sgd", "sigmoid", "cross_entropy"): [0.3, 1.0, 3.0],
}

# Momentum candidates of the methods whose momentum is tuned along with the learning rate.
MOMENTUM_GRIDS: dict[str, list[float]] = {"dante+momentum": [0.5, 0.9]}


def lr_grid(method: str, mode: str, activation: str = "leaky_relu", loss: str = "mse") -> list[dict[str, float]]:
    """The candidates of ``method`` in ``mode``: ``{"lr": ...}`` (and ``"momentum"`` for the
    methods of :data:`MOMENTUM_GRIDS`); quick mode keeps the two ends of the grid.

    Example:
        >>> lr_grid("sgd", "quick")
        [{'lr': 0.1}, {'lr': 1.0}]
    """
    grid = LR_GRID_OVERRIDES.get((method, activation, loss), LR_GRIDS[method])
    if mode == "quick":
        grid = grid[::2]
    mus = MOMENTUM_GRIDS.get(method)
    if mus is None:
        return [{"lr": lr} for lr in grid]
    if mode == "quick":
        mus = mus[-1:]
    return [{"lr": lr, "momentum": mu} for mu in mus for lr in grid]


def _dante():
    try:
        import dante
    except ImportError as exc:  # pragma: no cover - the package ships with the repo
        raise UsageError(f"cannot import dante: {exc}") from exc
    return dante


def load(name: str, data_dir: str | None = None, seed: int = 0):
    """``dante.load_dataset`` with failures turned into one-line :class:`UsageError`s."""
    dante = _dante()
    try:
        return dante.load_dataset(name, data_dir=data_dir, seed=seed)
    except (FileNotFoundError, OSError) as exc:
        where = f" in {data_dir}" if data_dir else ""
        raise UsageError(f"dataset {name!r} not found{where}: {exc}".splitlines()[0]) from exc
    except (ValueError, KeyError) as exc:
        raise UsageError(f"cannot load dataset {name!r}: {exc}".splitlines()[0]) from exc


def available(name: str, data_dir: str | None = None) -> bool:
    """True if ``name`` loads (used for 'Fashion-MNIST when installed')."""
    try:
        load(name, data_dir)
    except UsageError:
        return False
    return True


def _replace(ds, **fields):
    if dataclasses.is_dataclass(ds):
        return dataclasses.replace(ds, **fields)
    import copy

    new = copy.copy(ds)
    for k, v in fields.items():
        setattr(new, k, v)
    return new


def subset(ds, n_train: int | None, n_test: int | None, seed: int = 0):
    """A random subset of the training and test sets (``None`` keeps all); fixed by ``seed``."""
    g = torch.Generator().manual_seed(seed)
    fields = {}
    if n_train is not None and n_train < len(ds.X_train):
        idx = torch.randperm(len(ds.X_train), generator=g)[:n_train]
        fields.update(X_train=ds.X_train[idx], y_train=ds.y_train[idx])
    if n_test is not None and n_test < len(ds.X_test):
        idx = torch.randperm(len(ds.X_test), generator=g)[:n_test]
        fields.update(X_test=ds.X_test[idx], y_test=ds.y_test[idx])
    return _replace(ds, **fields) if fields else ds


def validation_view(ds, fraction: float = 0.2, seed: int = 0):
    """A dataset whose training set is the training part of the split and whose *test* set is the
    validation part; the real test set is never seen during selection."""
    _, va = ds.split_validation(fraction=fraction, seed=seed)
    return va


def _history(res) -> list[dict[str, Any]]:
    return [{k: h.get(k) for k in HISTORY_KEYS if k in h} for h in res.history]


_THREADS_SET = False


def configure_threads() -> int:
    """Use ``EXPERIMENTS_THREADS`` torch threads (default 1), once per process.

    The networks here are small: on a shared 2-core machine, torch's default of one thread per core
    spends most of its time spin-waiting (a 64-100-10 SGD step measured 10x slower with 2 threads
    than with 1 while another process was busy), so the experiments default to one thread.
    """
    global _THREADS_SET
    n = int(os.environ.get("EXPERIMENTS_THREADS", "1"))
    if not _THREADS_SET:
        torch.set_num_threads(max(1, n))
        _THREADS_SET = True
    return torch.get_num_threads()


def train_once(config: dict[str, Any], train_fn: Callable | None = None):
    """Build a :class:`dante.TrainConfig` from ``config`` and train; returns the TrainResult."""
    configure_threads()
    dante = _dante()
    cfg = dante.TrainConfig(**{"progress": False, **config})
    return (train_fn or dante.train)(cfg)


def run_setting(
    ds,
    method: str,
    base: dict[str, Any],
    grid: Sequence[dict[str, Any]],
    seeds: Sequence[int],
    val_ds=None,
    train_fn: Callable | None = None,
    metric: str = "test_loss",
    keep_history: bool = True,
    after_train: Callable[[Any, Any], dict[str, Any]] | None = None,
    final_extra: Callable[[int], dict[str, Any]] | None = None,
    select_seeds: Sequence[int] = (0,),
    max_extend: int = 0,
) -> dict[str, Any]:
    """Pick the learning rate of ``method`` on a validation split, then train over ``seeds``.

    Args:
        ds: the dataset (train + test).
        method: a key of :data:`METHODS`.
        base: TrainConfig fields shared by every run (arch, activation, loss, epochs, ...). For
            DANTE and SGD+AltMin without an explicit ``sngd_epochs``, ``T`` comes from
            :func:`experiments.sizes.sngd_epochs_for` (5 when the budget allows two rounds).
        grid: candidates, each a dict of TrainConfig fields (usually ``{"lr": ...}``).
        seeds: the seeds of the final runs.
        val_ds: the validation view (default :func:`validation_view` of ``ds``).
        train_fn: replaces :func:`dante.train` (tests).
        metric: the ``res.final`` key minimized on the validation split.
        keep_history: keep the per-seed histories (for the curves).
        after_train: ``(result, dataset) -> dict`` of extra per-run numbers (e.g. SVM accuracy);
            called on the validation runs too, where its ``metric`` key (if any) is the score.
        final_extra: ``seed -> dict`` of TrainConfig fields for the final runs only (e.g.
            ``instrument=True``); their instrument records are kept under ``"instruments"``.
        select_seeds: seeds of the validation runs; a candidate's score is the mean of its
            validation metric over them (a diverged seed makes it ``inf``).
        max_extend: the most learning rates added beyond the grid's ends to make the pick interior.

    Returns:
        ``{"method", "label", "grid": [rows], "pick", "interior", "select_seeds", "runs": [...],
        "summary": {...}}``; ``interior`` is None when there was nothing to choose.
    """
    val_ds = val_ds if val_ds is not None else validation_view(ds)
    fixed = {**base, **METHODS[method]}
    if fixed["method"] in ALTERNATING and "sngd_epochs" not in fixed:
        n_layers = len(str(fixed["arch"]).split("-")) - 1
        fixed["sngd_epochs"] = sngd_epochs_for(n_layers, int(fixed.get("epochs", 10)))

    def evaluate(cand: dict[str, Any]) -> float:
        scores = []
        for seed in select_seeds:
            res = train_once({**fixed, **cand, "data": val_ds, "seed": int(seed)}, train_fn)
            final = dict(res.final)
            if after_train is not None:
                final.update(after_train(res, val_ds))
            v = final.get(metric)
            scores.append(math.inf if v is None or not math.isfinite(float(v)) else float(v))
        return sum(scores) / len(scores)

    if len(grid) == 1:  # nothing to choose: no validation run
        pick, table, interior = dict(grid[0]), [{**grid[0], "val_metric": None, "picked": True}], None
    else:
        pick, table = select_extending(evaluate, grid, max_extend=max_extend)
        interior = is_interior(pick, table)
    runs = []
    for seed in seeds:
        t0 = time.perf_counter()
        extra = final_extra(int(seed)) if final_extra is not None else {}
        res = train_once({**fixed, **pick, **extra, "data": ds, "seed": int(seed)}, train_fn)
        final = dict(res.final)
        if after_train is not None:
            final.update(after_train(res, ds))
        hist = _history(res)
        run = {
            "seed": int(seed),
            "final": final,
            "seconds": time.perf_counter() - t0,
            "weights_updated": hist[-1].get("weights_updated") if hist else None,
            "status": getattr(res, "status", None),
        }
        if extra.get("instrument"):
            run["instruments"] = list(getattr(res, "instruments", []) or [])
        if keep_history:
            run["history"] = hist
        runs.append(run)
    keys = sorted({k for r in runs for k, v in r["final"].items() if isinstance(v, (int, float)) or v is None})
    summary = {k: mean_std([r["final"].get(k) for r in runs]) for k in keys}
    summary["seconds"] = mean_std([r["seconds"] for r in runs])
    return {
        "method": method,
        "label": LABELS.get(method, method),
        "config": {k: v for k, v in fixed.items() if k != "data"},
        "grid": table,
        "pick": pick,
        "interior": interior,
        "select_seeds": [int(s) for s in select_seeds],
        "runs": runs,
        "summary": summary,
    }
