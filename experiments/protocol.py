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

**Execution.** Every training run, a (config, seed) pair, is one task of the current
:class:`Runner` (:func:`use_runner`): in this process (the default), in a local process pool
(``--jobs N``) or on a Ray cluster (``--executor ray [--address ADDR]``, through
:func:`slqc.executors.make_executor`). The candidates of a grid and the seeds of a setting are sent
together, so they run at once. Each finished run is appended to the journal ``OUT/runs.jsonl`` the
moment it returns; ``--resume`` reuses the runs found there, so an interrupted sweep continues from
what was written. A run ships its data set as a *spec* (name, folder, subset, validation view)
that the worker rebuilds and caches, never as tensors; records pass through the JSON codec, so a
run read from the journal equals the run as computed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from slqc import jsonio
from slqc.executors import LocalExecutor

from .cli import UsageError
from .sizes import sngd_epochs_for
from .selection import is_interior, select_extending
from .stats import seed_collapsed, summarize_runs

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


def paper_output(activation: str, loss: str) -> dict[str, str]:
    """The output unit of the paper's networks, as ``TrainConfig`` fields to merge into a config.

    Under the squared loss the output unit has the hidden activation (the paper's Eq. 4; the setting of
    Theorems 3 and 5 for the generalized ReLU and of Hazan et al.'s sigmoid GLM), not ``dante``'s
    default linear output for classifiers, with which sigmoid + squared loss on digits does not train
    and Theorem 5 and the sigmoid GLM claim nothing. Cross-entropy keeps the logits (Theorem 7).

    Args:
        activation: the hidden activation (``leaky_relu``, ``sigmoid``, ...).
        loss: the loss (``mse`` or ``cross_entropy``; ``squared`` counts as ``mse``).

    Returns:
        ``{"output_activation": activation}`` under the squared loss, else ``{}`` (dante's logits).

    Example:
        >>> paper_output("sigmoid", "mse")
        {'output_activation': 'sigmoid'}
        >>> paper_output("leaky_relu", "cross_entropy")
        {}
    """
    return {"output_activation": activation} if loss in ("mse", "squared") else {}


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
        ds = dante.load_dataset(name, data_dir=data_dir, seed=seed)
    except (FileNotFoundError, OSError) as exc:
        where = f" in {data_dir}" if data_dir else ""
        raise UsageError(f"dataset {name!r} not found{where}: {exc}".splitlines()[0]) from exc
    except (ValueError, KeyError) as exc:
        raise UsageError(f"cannot load dataset {name!r}: {exc}".splitlines()[0]) from exc
    return _with_spec(ds, {"name": name, "data_dir": data_dir, "seed": seed})


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
    out = _replace(ds, **fields) if fields else ds
    spec = spec_of(ds)
    if spec is not None and fields:
        out = _with_spec(out, {**spec, "subset": [n_train, n_test, seed]})
    return out


def validation_view(ds, fraction: float = 0.2, seed: int = 0):
    """A dataset whose training set is the training part of the split and whose *test* set is the
    validation part; the real test set is never seen during selection."""
    _, va = ds.split_validation(fraction=fraction, seed=seed)
    spec = spec_of(ds)
    return va if spec is None else _with_spec(va, {**spec, "validation": [fraction, seed]})


SPEC_ATTR = "_experiments_spec"


def _with_spec(ds, spec: dict[str, Any]):
    """Record how ``ds`` was made (so a worker can rebuild it) on the object; returns ``ds``."""
    try:
        setattr(ds, SPEC_ATTR, dict(spec))
    except (AttributeError, TypeError):  # an object that takes no attributes ships as itself
        pass
    return ds


def spec_of(ds) -> dict[str, Any] | None:
    """The spec :func:`load`, :func:`subset` and :func:`validation_view` recorded on ``ds`` (None
    for a data set made otherwise)."""
    spec = getattr(ds, SPEC_ATTR, None)
    return dict(spec) if isinstance(spec, dict) else None


_DATA_CACHE: dict[str, Any] = {}


def dataset_from_spec(spec: dict[str, Any]):
    """Rebuild (once per process) the data set a spec describes: load, subset, validation view."""
    key = jsonio.dumps(spec, sort_keys=True)
    if key not in _DATA_CACHE:
        ds = load(spec["name"], spec.get("data_dir"), seed=spec.get("seed", 0))
        if spec.get("subset"):
            n_train, n_test, seed = spec["subset"]
            ds = subset(ds, n_train, n_test, seed=seed)
        if spec.get("validation"):
            fraction, seed = spec["validation"]
            ds = validation_view(ds, fraction, seed)
        _DATA_CACHE.clear()  # one data set at a time: a worker runs one setting's tasks after another
        _DATA_CACHE[key] = ds
    return _DATA_CACHE[key]


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


def _name(fn: Callable | None) -> str | None:
    if fn is None:
        return None
    inner = getattr(fn, "func", fn)  # functools.partial
    return f"{getattr(inner, '__module__', '')}.{getattr(inner, '__qualname__', repr(inner))}"


def execute_run(config: dict[str, Any], data, train_fn: Callable | None = None,
                after_train: Callable | None = None) -> dict[str, Any]:
    """One task: train ``config`` on ``data`` (a data set, or a spec of :func:`dataset_from_spec`).

    Returns:
        ``{"final", "history", "seconds", "status"}`` (plus ``"instruments"`` for an instrumented
        run), passed through the JSON codec (what a journal holds is what is returned).
    """
    ds = dataset_from_spec(data) if isinstance(data, dict) else data
    t0 = time.perf_counter()
    res = train_once({**config, "data": ds}, train_fn)
    final = dict(res.final)
    if after_train is not None:
        final.update(after_train(res, ds))
    rec = {"final": final, "history": _history(res), "seconds": time.perf_counter() - t0,
           "status": getattr(res, "status", None)}
    if config.get("instrument"):
        rec["instruments"] = list(getattr(res, "instruments", []) or [])
    return jsonio.loads(jsonio.dumps(rec))


JOURNAL = "runs.jsonl"


class Runner:
    """Runs tasks (one training run each) on an executor and journals every finished run.

    Args:
        executor: an object with ``map_unordered(fn, args)`` (:mod:`slqc.executors`); None runs in
            this process.
        journal: the JSON-lines file each finished run is appended to (None: no journal).
        resume: reuse the runs already in ``journal`` (else it is emptied first).
    """

    def __init__(self, executor=None, journal: str | os.PathLike | None = None, resume: bool = False) -> None:
        self.executor = executor
        self.journal = Path(journal) if journal else None
        self.done: dict[str, dict[str, Any]] = {}
        self.owns_ray = False  # this runner started the local Ray instance (and stops it at close)
        self.computed = 0  # runs trained by this runner (not taken from the journal)
        if self.journal is not None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            if resume and self.journal.is_file():
                for row in jsonio.read_jsonl(self.journal):
                    if isinstance(row, dict) and "key" in row and "run" in row:
                        self.done[row["key"]] = row["run"]
            else:
                self.journal.write_text("")

    def _ships_specs(self) -> bool:
        return self.executor is not None and (getattr(self.executor, "name", "") == "ray"
                                              or getattr(self.executor, "jobs", 1) > 1)

    @staticmethod
    def key(config: dict[str, Any], data, train_fn=None, after_train=None) -> str:
        """The identity of a run: its config, data (spec, else name and shapes) and hooks."""
        spec = spec_of(data) if not isinstance(data, dict) else data
        if spec is None:
            spec = {"name": getattr(data, "name", None), "shape": [list(getattr(data, "X_train").shape),
                                                                   list(getattr(data, "X_test").shape)]}
        ident = {"config": config, "data": spec, "train_fn": _name(train_fn), "after_train": _name(after_train)}
        return hashlib.sha1(jsonio.dumps(ident, sort_keys=True).encode()).hexdigest()

    def run(self, tasks: Sequence[tuple[dict[str, Any], Any]], train_fn: Callable | None = None,
            after_train: Callable | None = None) -> list[dict[str, Any]]:
        """Run ``[(config, data), ...]`` (journal first) and return their records in task order."""
        keys = [self.key(c, d, train_fn, after_train) for c, d in tasks]
        out: list[dict[str, Any] | None] = [self.done.get(k) for k in keys]
        todo = [i for i, r in enumerate(out) if r is None]
        ships = self._ships_specs()
        args = []
        for i in todo:
            config, data = tasks[i]
            spec = spec_of(data) if ships else None
            args.append((config, spec if spec is not None else data, train_fn, after_train))
        if self.executor is None:
            results = ((j, execute_run(*a)) for j, a in enumerate(args))
        else:
            results = self.executor.map_unordered(execute_run, args)
        for j, rec in results:
            i = todo[j]
            out[i] = self.done[keys[i]] = rec
            self.computed += 1
            if self.journal is not None:
                jsonio.append_jsonl(self.journal, {"key": keys[i], "run": rec})
        return out  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the executor's workers (what has not started is cancelled)."""
        if self.executor is not None and hasattr(self.executor, "shutdown"):
            self.executor.shutdown()
        if self.owns_ray:
            stop_local_ray()
            self.owns_ray = False


_RUNNER = Runner()
_OWN_RAY = False


def runner() -> Runner:
    """The current :class:`Runner` (in this process, no journal, unless :func:`use_runner` set one)."""
    return _RUNNER


def start_local_ray(cpus: int) -> bool:
    """Start a Ray instance on the loopback interface with ``cpus`` CPUs, unless one is connected;
    returns True if this call started it (:func:`stop_local_ray` stops it)."""
    global _OWN_RAY
    try:
        import ray
    except ImportError:
        raise UsageError('--executor ray needs Ray: pip install -e ".[ray]"') from None
    if ray.is_initialized():
        return False
    ray.init(num_cpus=int(cpus), include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    _OWN_RAY = True
    return True


def stop_local_ray() -> None:
    """Stop the Ray instance :func:`start_local_ray` started (nothing otherwise)."""
    global _OWN_RAY
    if _OWN_RAY:
        import ray

        ray.shutdown()
        _OWN_RAY = False


def use_runner(executor: str = "local", jobs: int = 1, address: str | None = None, num_gpus: float = 0,
               journal: str | os.PathLike | None = None, resume: bool = False) -> Runner:
    """Make the runner every :func:`run_setting` uses from now on, and return it.

    ``executor="local"`` with ``jobs=1`` trains in this process; ``jobs>1`` in a spawn process pool
    kept for the whole script (``slqc.executors.LocalExecutor(persistent=True)``: a script sends one
    small batch per grid, extension and seed set, and starting workers per batch cost more than the runs);
    ``"ray"`` one Ray task per run on the cluster at ``address`` or, without one, on a local instance
    on 127.0.0.1 with ``jobs`` CPUs (started once and kept for the whole script).

    Raises:
        UsageError: an unknown executor, ``jobs < 1``, ``address`` without Ray, Ray not installed.
    """
    global _RUNNER
    from slqc.executors import make_executor

    if int(jobs) < 1:
        raise UsageError(f"--jobs must be >= 1, got {jobs}")
    _RUNNER.close()
    _RUNNER = Runner()
    try:
        if executor == "local" and not address:
            ex = None if int(jobs) == 1 else LocalExecutor(int(jobs), persistent=True)
        else:
            ex = make_executor(executor, jobs=int(jobs), address=address, num_gpus=num_gpus)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    owns = start_local_ray(jobs) if executor == "ray" and not address else False
    _RUNNER = Runner(ex, journal, resume)
    _RUNNER.owns_ray = owns
    return _RUNNER


def reset_runner() -> None:
    """Back to the default runner (in this process, no journal); the old one is closed (and stops
    the local Ray instance if it started it)."""
    global _RUNNER
    _RUNNER.close()
    _RUNNER = Runner()


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

    Every training run is a task of the current :class:`Runner`; the grid's candidates x selection
    seeds go out together, then each extension's seeds, then the final seeds.

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
            called on the validation runs too, where its ``metric`` key (if any) is the score. It
            runs where the run runs: with ``--jobs`` > 1 it must be picklable (a module-level
            function or a ``functools.partial`` of one).
        final_extra: ``seed -> dict`` of TrainConfig fields for the final runs only (e.g.
            ``instrument=True``); their instrument records are kept under ``"instruments"``.
        select_seeds: seeds of the validation runs; a candidate's score is the mean of its
            validation metric over them (a diverged seed makes it ``inf``).
        max_extend: the most learning rates added beyond the grid's ends to make the pick interior.

    Returns:
        ``{"method", "label", "grid": [rows], "pick", "interior", "select_seeds", "runs": [...],
        "summary": {...}}``; ``interior`` is None when there was nothing to choose. The summary
        (:func:`experiments.stats.summarize_runs`) flags every seed whose run collapsed to chance
        accuracy (``"collapsed_seeds"``), and each run carries ``"collapsed"``.
    """
    val_ds = val_ds if val_ds is not None else validation_view(ds)
    fixed = {**base, **METHODS[method]}
    if fixed["method"] in ALTERNATING and "sngd_epochs" not in fixed:
        n_layers = len(str(fixed["arch"]).split("-")) - 1
        fixed["sngd_epochs"] = sngd_epochs_for(n_layers, int(fixed.get("epochs", 10)))

    run = _RUNNER.run

    def score(rec: dict[str, Any]) -> float:
        v = rec["final"].get(metric)
        return math.inf if v is None or not math.isfinite(float(v)) else float(v)

    def evaluate_many(cands: Sequence[dict[str, Any]]) -> list[float]:
        tasks = [({**fixed, **c, "seed": int(sd)}, val_ds) for c in cands for sd in select_seeds]
        recs = run(tasks, train_fn, after_train)
        k = len(select_seeds)
        return [sum(score(r) for r in recs[i * k:(i + 1) * k]) / k for i in range(len(cands))]

    if len(grid) == 1:  # nothing to choose: no validation run
        pick, table, interior = dict(grid[0]), [{**grid[0], "val_metric": None, "picked": True}], None
    else:
        pick, table = select_extending(lambda c: evaluate_many([c])[0], grid, max_extend=max_extend,
                                       evaluate_many=evaluate_many)
        interior = is_interior(pick, table)
    extras = [final_extra(int(sd)) if final_extra is not None else {} for sd in seeds]
    recs = run([({**fixed, **pick, **extra, "seed": int(sd)}, ds) for sd, extra in zip(seeds, extras)],
               train_fn, after_train)
    n_classes = getattr(ds, "n_classes", None)
    runs = []
    for sd, extra, rec in zip(seeds, extras, recs):
        hist = rec.get("history") or []
        r = {
            "seed": int(sd),
            "final": dict(rec["final"]),
            "seconds": rec["seconds"],
            "weights_updated": hist[-1].get("weights_updated") if hist else None,
            "status": rec.get("status"),
            "collapsed": seed_collapsed(rec["final"], n_classes),
        }
        if extra.get("instrument"):
            r["instruments"] = list(rec.get("instruments") or [])
        if keep_history:
            r["history"] = hist
        runs.append(r)
    summary = summarize_runs(runs, n_classes)
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
