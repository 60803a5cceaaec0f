"""The training loop shared by DANTE (Algorithms 2-3 of Sinha et al., 2020) and the baselines.

One loop, one data pipeline, one evaluation for every method, so comparisons differ only in the
update rule and in which layers a pass updates (:mod:`dante.schemes`):

* ``dante``: SNGD (Algorithm 1, :class:`dante.sngd.SNGD`) on one layer at a time, ``T`` passes per
  phase, round-robin over the layers (section 3.5; for one hidden layer exactly Algorithm 2) or greedy
  outside-in pairs for autoencoders (Algorithm 3).
* ``altmin-sgd``: the same alternation with plain SGD as the inner solver (Table 2).
* ``sgd``, ``momentum``, ``adam``, ``adagrad``, ``rmsprop``: minibatch backprop (Table 1).

In a phase that trains layer ``l``, the layers below it are fixed, so the phase input
``a_{l-1}`` is computed once for the whole training set when the phase starts (``cache_hidden``);
each step then runs only layers ``l..L`` forward and carries the gradient back only to ``W_l``,
written out in closed form (:mod:`dante.glm`, ``closed_form``: the chain rule through the fixed
layers ``l+1..L``, no gradient of a fixed layer formed) instead of building an autograd graph every
step. Activations run through :mod:`dante.fastops` (slqc's values and subgradients, faster
kernels), minibatches are gathered with ``index_select``; all three leave the numbers unchanged
(``tests/dante/test_fastops.py``), and ``python -m dante.bench`` times them against SGD.

The run's pieces: :class:`TrainState` (counters, history, Algorithm 2's bookkeeping; what a
checkpoint stores), :class:`dante.runlog.RunDir` (checkpoints and JSON), :func:`run_pass` (one pass
over the data) and :func:`train`, which strings them together.

Progress is counted in steps (minibatch updates), data passes (``epoch``) and ``weights_updated``
(parameters changed, the x-axis of the paper's figures: a DANTE step updates one layer).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import torch

from .activations import get_activation
from .config import TrainConfig, TrainResult
from .data import Dataset, load_dataset
from .glm import path_step_grads, supports_closed_form_path
from .instruments import TEACHER_REFERENCES, Instrumenter
from .losses import canonical_loss, loss_value, one_hot
from .model import MLP, parse_arch
from .runlog import RunDir, read_json
from .schedules import linear
from .schemes import ALTERNATING_METHODS, Pass, build_plan, phase_length
from .sngd import SNGD

__all__ = ["train", "resume", "evaluate", "prepare", "run_pass", "TrainState"]

EVAL_CHUNK = 8192


class _NonFinite(Exception):
    pass


def prepare(cfg: TrainConfig) -> tuple[Dataset, list[int]]:
    """Validate ``cfg``, load its data set and check the architecture against it.

    Returns:
        ``(dataset, widths)``.

    Raises:
        ValueError: any inconsistency (one line, naming the offending setting).
    """
    cfg.validate()
    widths = parse_arch(cfg.arch)
    if isinstance(cfg.data, Dataset):
        ds = cfg.data
    else:
        ds = load_dataset(cfg.data, data_dir=cfg.data_dir, seed=cfg.seed,
                          arch=widths if cfg.data == "synthetic" else None)
    if widths[0] != ds.n_features:
        raise ValueError(f"architecture {cfg.arch!r} has input width {widths[0]} but {ds.name} has {ds.n_features} features")
    if cfg.task == "classify":
        if ds.task != "classification":
            raise ValueError(f"task 'classify' needs a classification data set; {ds.name} is {ds.task} (use task 'regress')")
        if widths[-1] != ds.n_classes:
            raise ValueError(f"architecture {cfg.arch!r} has {widths[-1]} outputs but {ds.name} has {ds.n_classes} classes")
    elif cfg.task == "regress":
        if ds.task != "regression":
            raise ValueError(f"task 'regress' needs a regression data set; {ds.name} is {ds.task} (use task 'classify')")
        if widths[-1] != ds.n_outputs:
            raise ValueError(f"architecture {cfg.arch!r} has {widths[-1]} outputs but {ds.name} has {ds.n_outputs} targets")
    else:
        if widths[-1] != widths[0]:
            raise ValueError(f"an autoencoder's output width must equal its input width; got {cfg.arch!r}")
        if cfg.scheme == "greedy":
            L = len(widths) - 1
            for k in range(1, L // 2 + 1):
                if widths[k - 1] != widths[L + 1 - k]:
                    raise ValueError(f"greedy pairs need a symmetric architecture: width n_{k - 1} = {widths[k - 1]} "
                                     f"but n_{L + 1 - k} = {widths[L + 1 - k]} in {cfg.arch!r}")
    if cfg.instrument and cfg.reference in TEACHER_REFERENCES and ds.teacher is None:
        raise ValueError(f"reference {cfg.reference!r} needs a planted teacher; {ds.name} has none (use --data synthetic)")
    build_plan(cfg.method, len(widths) - 1, cfg.epochs, cfg.sngd_epochs, cfg.scheme, cfg.layer_order)
    return ds, widths


def _targets(cfg: TrainConfig, ds: Dataset, X: torch.Tensor, y: torch.Tensor, dtype) -> torch.Tensor:
    if cfg.task == "autoencoder":
        return X
    if cfg.task == "classify" and canonical_loss(cfg.loss) == "squared":
        return one_hot(y, ds.n_classes, dtype)
    if cfg.task == "classify":
        return y.long()
    return y.to(dtype)


@torch.no_grad()
def evaluate(model: MLP, X: torch.Tensor, T: torch.Tensor, loss: str, labels: torch.Tensor | None = None) -> tuple[float, float | None]:
    """Mean loss over ``(X, T)`` and, when ``labels`` are given, the accuracy of ``argmax`` outputs.

    Evaluated in chunks of :data:`EVAL_CHUNK` rows; the loss is the exact mean over all rows.
    """
    m = X.shape[0]
    total, correct = 0.0, 0
    for s in range(0, m, EVAL_CHUNK):
        out = model(X[s:s + EVAL_CHUNK])
        total += float(loss_value(loss, out, T[s:s + EVAL_CHUNK])) * out.shape[0]
        if labels is not None:
            correct += int((out.argmax(dim=1) == labels[s:s + EVAL_CHUNK]).sum())
    return total / m, (correct / m if labels is not None else None)


@dataclass
class TrainState:
    """Everything about a run that changes as it trains (saved in every checkpoint).

    Attributes:
        next_pass: index of the next pass of the plan.
        step: minibatch steps taken.
        weights_updated: parameters changed, summed over steps.
        wall_time: training seconds (evaluation and instruments excluded).
        cpu_time: the same in CPU seconds of the process (``time.process_time``).
        step_epoch: data passes done, fractional inside a pass.
        history: the evaluation records (see :class:`dante.TrainResult`).
        passes: per-pass timings.
        round_ref_loss: per greedy group, ``f_{t-1}`` of Algorithm 2's rule (``f_0``: the loss
            when the group starts).
        rounds_done: per group, alternation rounds completed.
        skip_groups: groups stopped by Algorithm 2's rule.
        trained: the training loop is over (only the final instrument pass may remain).
    """

    next_pass: int = 0
    step: int = 0
    weights_updated: int = 0
    wall_time: float = 0.0
    cpu_time: float = 0.0
    step_epoch: float = 0.0
    history: list = field(default_factory=list)
    passes: list = field(default_factory=list)
    round_ref_loss: dict = field(default_factory=dict)
    rounds_done: dict = field(default_factory=dict)
    skip_groups: list = field(default_factory=list)
    trained: bool = False

    @classmethod
    def from_dict(cls, d: dict) -> "TrainState":
        """Rebuild from :func:`dataclasses.asdict` output (keys of older checkpoints are ignored)."""
        names = {f.name for f in fields(cls)}
        st = cls(**{k: v for k, v in d.items() if k in names})
        if "step_epoch" not in d:
            st.step_epoch = float(st.next_pass)
        return st


@dataclass
class _Run:
    """The objects of one training run (built by :func:`_build`)."""

    cfg: TrainConfig
    plan: list[Pass]
    X: torch.Tensor
    T: torch.Tensor
    Xte: torch.Tensor
    Tte: torch.Tensor
    labels_te: torch.Tensor | None
    model: MLP
    optimizer: torch.optim.Optimizer
    batch_gen: torch.Generator
    run_dir: RunDir
    instr: Instrumenter | None
    state: TrainState
    notes: list[str]
    on_step: Callable[[int, float], None] | None = None
    bar: object = None
    good_state: dict | None = None
    last_eval: dict | None = None

    @property
    def loss(self) -> str:
        return self.cfg.loss


def _make_optimizer(cfg: TrainConfig, model: MLP) -> torch.optim.Optimizer:
    groups = [{"params": model.layer_params(l)} for l in range(1, model.n_layers + 1)]
    m = cfg.method
    if m == "dante":
        return SNGD(groups, lr=cfg.lr, momentum=cfg.momentum)
    if m in ("altmin-sgd", "sgd"):
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum)
    if m == "momentum":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum or 0.9)
    if m == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if m == "adagrad":
        return torch.optim.Adagrad(groups, lr=cfg.lr)
    return torch.optim.RMSprop(groups, lr=cfg.lr)


def _plan(cfg: TrainConfig, n_layers: int) -> tuple[list[Pass], list[str]]:
    """The pass plan, with ``T`` lowered where the budget would leave layers untrained (and why)."""
    notes = []
    T = phase_length(cfg.method, n_layers, cfg.epochs, cfg.sngd_epochs, cfg.scheme)
    if T != cfg.sngd_epochs:
        notes.append(f"sngd_epochs (T) lowered from {cfg.sngd_epochs} to {T} so that each of the {n_layers} layers "
                     f"gets a phase within {cfg.epochs} passes")
    if cfg.method in ALTERNATING_METHODS and cfg.scheme == "round-robin" and cfg.epochs < n_layers:
        notes.append(f"only {cfg.epochs} of the {n_layers} layers are trained: DANTE needs epochs >= {n_layers} "
                     "for every layer to get a phase")
    return build_plan(cfg.method, n_layers, cfg.epochs, T, cfg.scheme, cfg.layer_order), notes


def _build(cfg: TrainConfig, resume_run: bool, on_step) -> _Run:
    """Validate, load the data, build model/optimizer/instruments, and restore a checkpoint."""
    ds, widths = prepare(cfg)
    device = torch.device(cfg.device)
    dtype = torch.float64 if cfg.dtype == "float64" else torch.float32
    L = len(widths) - 1
    plan, notes = _plan(cfg, L)
    X = ds.X_train.to(device=device, dtype=dtype)
    Xte = ds.X_test.to(device=device, dtype=dtype)
    T = _targets(cfg, ds, X, ds.y_train.to(device), dtype)
    Tte = _targets(cfg, ds, Xte, ds.y_test.to(device), dtype)
    labels_te = ds.y_test.to(device) if cfg.task == "classify" else None

    act = get_activation(cfg.activation, cfg.leaky_a, cfg.leaky_b)
    out_name = cfg.output_activation_name()
    out_act = get_activation(out_name, cfg.leaky_a, cfg.leaky_b) if out_name is not None else None
    model = MLP(widths, act, out_act, bias=cfg.bias, generator=torch.Generator().manual_seed(int(cfg.seed)),
                dtype=dtype).to(device)
    optimizer = _make_optimizer(cfg, model)
    batch_gen = torch.Generator().manual_seed(int(cfg.seed) + 1)

    run_dir = RunDir(cfg.out)
    run_dir.create(cfg.to_dict(), resume_run)

    instr = None
    if cfg.instrument:
        m = X.shape[0]
        if cfg.instrument_samples is not None and cfg.instrument_samples < m:
            sub = torch.randperm(m, generator=torch.Generator().manual_seed(int(cfg.seed) + 2))[: cfg.instrument_samples]
            Xf, Tf = X[sub.to(device)], T[sub.to(device)]
        else:
            Xf, Tf = X, T
        every = cfg.instrument_every or max(1, math.ceil(m / cfg.batch_size) // 4)
        teacher = None
        if ds.teacher is not None and cfg.reference in TEACHER_REFERENCES:
            teacher = {k: v.to(device=device, dtype=dtype) for k, v in ds.teacher.items()}
        instr = Instrumenter(model, Xf, Tf, X, T, cfg.loss, cfg.reference, linear(every), eps=tuple(cfg.eps),
                             teacher=teacher, emit=run_dir.log.write, snapshot_dir=run_dir.snapshots,
                             claim_info={"n_layers": L, "activation": model.activation.to_dict(),
                                         "output_activation": model.output_activation.to_dict(), "loss": cfg.loss,
                                         "n_outputs": widths[-1]})

    state = TrainState()
    if resume_run:
        ck = run_dir.load_checkpoint()
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        batch_gen.set_state(ck["batch_gen"])
        state = TrainState.from_dict(ck["state"])
        if state.trained and state.next_pass < len(plan):
            state.trained = False  # a larger budget: training goes on
        final_ref = instr is not None and cfg.reference == "final"
        if instr is not None and "instruments" in ck:
            instr.load_state(ck["instruments"])
        if final_ref:
            # records of the earlier run were measured against its end point: measure them again at the new end
            instr.replay_all_snapshots(before_step=state.step)
        run_dir.truncate_log(state.step, drop_instruments=final_ref)
    return _Run(cfg=cfg, plan=plan, X=X, T=T, Xte=Xte, Tte=Tte, labels_te=labels_te, model=model,
                optimizer=optimizer, batch_gen=batch_gen, run_dir=run_dir, instr=instr, state=state, notes=notes,
                on_step=on_step)


def _record_eval(run: _Run) -> dict:
    st = run.state
    tr_loss, _ = evaluate(run.model, run.X, run.T, run.loss)
    te_loss, te_acc = evaluate(run.model, run.Xte, run.Tte, run.loss, run.labels_te)
    h = {"kind": "eval", "step": st.step, "weights_updated": st.weights_updated, "epoch": st.step_epoch,
         "wall_time": st.wall_time, "cpu_time": st.cpu_time, "train_loss": tr_loss, "test_loss": te_loss, "test_acc": te_acc}
    st.history.append({k: v for k, v in h.items() if k != "kind"})
    run.run_dir.log.write(h)
    run.last_eval = h
    return h


def _save_checkpoint(run: _Run) -> None:
    """Remember the last finite model in memory and write ``checkpoints/last.pt``."""
    run.good_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
    if not run.run_dir:
        return
    ck = {"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
          "batch_gen": run.batch_gen.get_state(), "state": asdict(run.state)}
    if run.instr is not None:
        ck["instruments"] = run.instr.state()
    run.run_dir.save_checkpoint(ck)


def run_pass(run: _Run, p: Pass, cache: tuple | None) -> tuple:
    """One pass over the training data updating ``p.train_layers``; returns the phase cache.

    The phase input ``a_{l-1}`` (and the target of greedy pairs) is computed at the first pass of
    a phase (``cache``); a pass that trains the first layer of its path alone (DANTE's phases) uses
    the closed-form gradient of :func:`dante.glm.path_step_grads`, other passes autograd. Timed:
    the steps and the cache; evaluation and instrument time are subtracted.

    Raises:
        _NonFinite: a minibatch loss is NaN or infinite.
        KeyboardInterrupt: from ``on_step`` or Ctrl-C.
    """
    cfg, model, st = run.cfg, run.model, run.state
    L = model.n_layers
    X, T = run.X, run.T
    m, bs = X.shape[0], int(cfg.batch_size)
    t_pass, c_pass = time.perf_counter(), time.process_time()  # start of the current timed segment (wall, CPU)
    overhead, pass_train, c_overhead, pass_cpu = 0.0, 0.0, 0.0, 0.0
    trainable = set(p.train_layers)
    for l in range(1, L + 1):
        for q in model.layer_params(l):
            q.requires_grad_(l in trainable)
    n_updated = sum(model.layer_size(l) for l in p.train_layers)
    # closed form (dante/glm.py) when one layer is trained and it is the first of the path: DANTE's
    # outer phase (path (L,)) and inner phase (path (1, ..., L), later layers fixed); backprop methods
    # train every layer of the path and use autograd
    fast = (cfg.closed_form and tuple(p.train_layers) == tuple(p.path[:1])
            and supports_closed_form_path(model, p.path, cfg.loss))
    cache_seconds, cache_cpu = 0.0, 0.0
    if p.first_in_phase or cache is None:
        t_cache, c_cache = time.perf_counter(), time.process_time()
        with torch.no_grad():
            A = model.run(X, p.prefix) if cfg.cache_hidden else None
            TT = T if p.target_prefix is None else model.run(X, p.target_prefix)
        cache = (A, TT)
        cache_seconds, cache_cpu = time.perf_counter() - t_cache, time.process_time() - c_cache
    A, TT = cache
    perm = torch.randperm(m, generator=run.batch_gen).to(X.device)
    if fast:  # path_step_grads writes every gradient the step uses; the others stay None all pass
        run.optimizer.zero_grad(set_to_none=True)
    for s in range(0, m, bs):
        idx = perm[s:s + bs]
        if run.instr is not None:
            t0, c0 = time.perf_counter(), time.process_time()
            run.instr.on_step(st.step, {"epoch": st.step_epoch, "weights_updated": st.weights_updated,
                                        "phase": p.phase, "train_layers": list(p.train_layers)}, idx, p.train_layers)
            overhead += time.perf_counter() - t0
            c_overhead += time.process_time() - c0
        # index_select: the rows of A[idx], without advanced indexing's overhead (3x faster per step)
        if A is not None:
            a = A.index_select(0, idx)
        else:
            with torch.no_grad():
                a = model.run(X.index_select(0, idx), p.prefix)
        t = TT.index_select(0, idx)
        if fast:
            loss = path_step_grads(model, p.path, a, t, cfg.loss)
        else:
            run.optimizer.zero_grad(set_to_none=True)
            loss = loss_value(cfg.loss, model.run(a, p.path), t)
            loss.backward()
        lv = float(loss.detach())
        if not math.isfinite(lv):
            raise _NonFinite(f"non-finite minibatch loss ({lv}) at step {st.step} (pass {p.index + 1}); "
                             f"kept the last finite checkpoint")
        run.optimizer.step()
        st.step += 1
        st.weights_updated += n_updated
        st.step_epoch = p.index + min(s + bs, m) / m
        if run.bar is not None:
            run.bar.update(1)
            if st.step % 20 == 0:
                acc = run.last_eval["test_acc"] if run.last_eval else None
                run.bar.set_postfix(loss=f"{lv:.4g}", **({"acc": f"{acc:.3f}"} if acc is not None else {}))
        if run.on_step is not None:
            run.on_step(st.step, lv)
        if cfg.log_every is not None and st.step % cfg.log_every == 0:
            seg = time.perf_counter() - t_pass - overhead
            st.wall_time += seg
            pass_train += seg
            c_seg = time.process_time() - c_pass - c_overhead
            st.cpu_time += c_seg
            pass_cpu += c_seg
            _record_eval(run)
            t_pass, overhead, c_pass, c_overhead = time.perf_counter(), 0.0, time.process_time(), 0.0
    seg = time.perf_counter() - t_pass - overhead
    c_seg = time.process_time() - c_pass - c_overhead
    st.wall_time += seg
    st.cpu_time += c_seg
    pass_cpu += c_seg
    st.passes.append({"index": p.index, "train_layers": list(p.train_layers), "seconds": pass_train + seg,
                      "cache_seconds": cache_seconds, "cpu_seconds": pass_cpu, "cache_cpu_seconds": cache_cpu})
    st.next_pass = p.index + 1
    st.step_epoch = float(p.index + 1)
    return cache


def _algorithm2_rule(run: _Run, p: Pass) -> str | None:
    """Algorithm 2's loop test after a round: stop the group when ``t >= T_AM`` and ``|f_t - f_{t-1}| < eps``.

    ``T_AM`` is ``am_min_rounds`` and ``eps`` is ``am_tol``; ``f_0`` is the loss when the group
    started, so the first round is compared with the initial loss. Returns a message when the
    whole run has converged.
    """
    cfg, st = run.cfg, run.state
    g = str(p.group)
    f_t, _ = evaluate(run.model, run.X, run.T, cfg.loss)
    prev = st.round_ref_loss.get(g)
    st.rounds_done[g] = st.rounds_done.get(g, 0) + 1
    st.round_ref_loss[g] = f_t
    if prev is None or st.rounds_done[g] < cfg.am_min_rounds or abs(f_t - prev) >= cfg.am_tol:
        return None
    st.skip_groups.append(p.group)
    if all(q.group in st.skip_groups for q in run.plan[p.index + 1:]):
        return (f"|f_t - f_(t-1)| = {abs(f_t - prev):.3g} < {cfg.am_tol} after round {st.rounds_done[g]} "
                f"(pass {p.index + 1}; T_AM = {cfg.am_min_rounds})")
    return None


def _train_loop(run: _Run) -> tuple[str, str]:
    """Run the remaining passes; returns ``(status, message)`` (``completed`` or ``converged``)."""
    cfg, st = run.cfg, run.state
    status, message = "completed", ""
    alt_rule = cfg.am_tol > 0 and cfg.method in ALTERNATING_METHODS
    if not st.history:
        _record_eval(run)
    _save_checkpoint(run)
    cache = None
    for p in run.plan[st.next_pass:]:
        if p.group in st.skip_groups:
            st.next_pass = p.index + 1
            continue
        if alt_rule and str(p.group) not in st.round_ref_loss:
            st.round_ref_loss[str(p.group)] = evaluate(run.model, run.X, run.T, cfg.loss)[0]  # f_0
        cache = run_pass(run, p, cache)
        if cfg.log_every is None:
            _record_eval(run)
        if not math.isfinite(st.history[-1]["train_loss"]):
            raise _NonFinite(f"non-finite training loss after pass {p.index + 1}; kept the last finite checkpoint")
        if run.instr is not None and p.last_in_phase:
            run.instr.on_phase_end()
        if p.last_in_round and alt_rule:
            done = _algorithm2_rule(run, p)
            if done:
                status, message = "converged", done
        _save_checkpoint(run)
    if not st.history or st.history[-1]["step"] != st.step:
        _record_eval(run)
    st.trained = True
    _save_checkpoint(run)
    return status, message


def train(cfg: TrainConfig, *, on_step: Callable[[int, float], None] | None = None, _resume: bool = False) -> TrainResult:
    """Train a network as ``cfg`` says (DANTE, its multi-layer schemes, or a baseline).

    Args:
        cfg: the :class:`TrainConfig`.
        on_step: optional callback ``on_step(step, minibatch_loss)`` after every step (raising
            ``KeyboardInterrupt`` there behaves like Ctrl-C).

    Returns:
        The :class:`TrainResult`. Ctrl-C and a non-finite loss end the run early with ``status``
        ``interrupted`` / ``non-finite``; the model is the last finite state and the logs stay on disk.
        An interrupt during the final instrument pass (after training) keeps ``completed`` and says
        so in ``message``; ``--resume`` measures the rest.

    Raises:
        ValueError: bad configuration or data.

    Example:
        >>> res = train(TrainConfig(data="digits", arch="64-32-10", epochs=2, batch_size=64, progress=False))
        >>> [h["epoch"] for h in res.history], res.history[-1]["weights_updated"] == 22 * (64 * 32 + 32) + 22 * (32 * 10 + 10)
        ([0.0, 1.0, 2.0], True)
    """
    run = _build(cfg, _resume, on_step)
    for note in run.notes:
        warnings.warn(note, stacklevel=2)
    st = run.state
    if cfg.progress:
        from tqdm.auto import tqdm

        total = sum(math.ceil(run.X.shape[0] / cfg.batch_size) for _ in run.plan[st.next_pass:])
        run.bar = tqdm(total=total, desc=f"{cfg.method} {cfg.arch}", unit="step", leave=False)
    status, message = "completed", ""
    try:
        if not st.trained:
            status, message = _train_loop(run)
    except KeyboardInterrupt:
        status, message = "interrupted", f"interrupted at step {st.step}; logs and the last finite checkpoint are kept"
        run.model.load_state_dict(run.good_state)
    except _NonFinite as exc:
        status, message = "non-finite", str(exc)
        run.model.load_state_dict(run.good_state)
    finally:
        if run.bar is not None:
            run.bar.close()
        for q in run.model.parameters():
            q.requires_grad_(True)
    if run.instr is not None and status in ("completed", "converged"):
        try:
            run.instr.finish()
        except KeyboardInterrupt:
            left = len(run.instr.pending)
            message = (message + "; " if message else "") + (
                f"training finished; interrupted during the final instrument pass ({left} measurements left: "
                f"dante train --resume {cfg.out} measures them)" if cfg.out else
                f"training finished; interrupted during the final instrument pass ({left} measurements left)")
    message = "; ".join(run.notes + ([message] if message else []))

    tr_loss, _ = evaluate(run.model, run.X, run.T, cfg.loss)
    te_loss, te_acc = evaluate(run.model, run.Xte, run.Tte, cfg.loss, run.labels_te)
    final = {"train_loss": tr_loss, "test_loss": te_loss, "test_acc": te_acc}
    run.run_dir.write_final({**final, "status": status, "message": message, "step": st.step,
                             "weights_updated": st.weights_updated, "epoch": st.step_epoch,
                             "wall_time": st.wall_time})
    if status in ("completed", "converged"):
        run.run_dir.save_model(run.model.state_dict())
    return TrainResult(history=st.history, final=final, model=run.model, run_dir=run.run_dir.root, config=cfg,
                       status=status, instruments=run.instr.records if run.instr is not None else [],
                       message=message, passes=st.passes, steps=st.step)


def resume(run_dir: str | Path, epochs: int | None = None, progress: bool = True,
           on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    """Continue the run in ``run_dir`` from its last finite checkpoint.

    Args:
        run_dir: a directory written by :func:`train` with ``out=run_dir``.
        epochs: a new total budget of data passes (default: the recorded one).
        progress: show a progress bar.
        on_step: as in :func:`train`.

    Raises:
        ValueError: no (or a corrupt) ``config.json``, or no checkpoint in ``run_dir``.
    """
    run_dir = Path(run_dir)
    cfg_path = run_dir / "config.json"
    if not cfg_path.is_file():
        raise ValueError(f"cannot resume: {cfg_path} not found")
    raw = read_json(cfg_path)
    if not isinstance(raw, dict):
        raise ValueError(f"cannot resume: {cfg_path} does not hold a configuration object")
    try:
        cfg = TrainConfig.from_dict(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot resume: {cfg_path}: {exc}") from None
    cfg.out, cfg.progress = str(run_dir), progress
    if epochs is not None:
        cfg.epochs = epochs
    if not (run_dir / "checkpoints" / "last.pt").is_file():
        raise ValueError(f"cannot resume: {run_dir / 'checkpoints' / 'last.pt'} not found")
    return train(cfg, on_step=on_step, _resume=True)
