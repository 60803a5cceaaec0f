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
each step then runs only layers ``l..L`` forward and backpropagates only to ``W_l``; when that path
is the single layer ``l`` (the outer phase) its gradient is written out in closed form
(:mod:`dante.glm`, ``closed_form``) instead of building an autograd graph every step.

Progress is counted in steps (minibatch updates), data passes (``epoch``) and ``weights_updated``
(parameters changed, the x-axis of the paper's figures: a DANTE step updates one layer).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import torch

from .activations import ACTIVATIONS, get_activation
from .config import TASKS, TrainConfig, TrainResult
from .data import Dataset, load_dataset
from .glm import glm_step_grads, supports_closed_form
from .instruments import REFERENCES, Instrumenter
from .losses import LOSSES, loss_value, one_hot
from .model import MLP, parse_arch
from .runlog import JsonlWriter, read_jsonl, write_json
from .schedules import linear
from .schemes import ALTERNATING_METHODS, METHODS, build_plan
from .sngd import SNGD

__all__ = ["train", "resume", "evaluate", "prepare"]

EVAL_CHUNK = 8192


class _NonFinite(Exception):
    pass


def _check_config(cfg: TrainConfig) -> None:
    if cfg.method not in METHODS:
        raise ValueError(f"unknown method {cfg.method!r}; choose one of {', '.join(METHODS)}")
    if cfg.activation not in ACTIVATIONS[:3]:
        raise ValueError(f"unknown activation {cfg.activation!r}; choose one of leaky_relu, sigmoid, relu")
    if cfg.loss not in LOSSES:
        raise ValueError(f"unknown loss {cfg.loss!r}; choose one of {', '.join(LOSSES)}")
    if cfg.task not in TASKS:
        raise ValueError(f"unknown task {cfg.task!r}; choose one of {', '.join(TASKS)}")
    if cfg.reference not in REFERENCES:
        raise ValueError(f"unknown reference {cfg.reference!r}; choose one of {', '.join(REFERENCES)}")
    if not (isinstance(cfg.lr, (int, float)) and math.isfinite(cfg.lr) and cfg.lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {cfg.lr}")
    if not (0 <= cfg.momentum < 1):
        raise ValueError(f"momentum must be in [0, 1), got {cfg.momentum}")
    if int(cfg.sngd_epochs) != cfg.sngd_epochs or cfg.sngd_epochs < 1:
        raise ValueError(f"sngd_epochs (T) must be an integer >= 1, got {cfg.sngd_epochs}")
    if int(cfg.epochs) != cfg.epochs or cfg.epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {cfg.epochs}")
    if int(cfg.batch_size) != cfg.batch_size or cfg.batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {cfg.batch_size}")
    if cfg.log_every is not None and (int(cfg.log_every) != cfg.log_every or cfg.log_every < 1):
        raise ValueError(f"log_every must be a positive integer or None, got {cfg.log_every}")
    if cfg.instrument_every is not None and cfg.instrument_every < 1:
        raise ValueError(f"instrument_every must be >= 1, got {cfg.instrument_every}")
    if cfg.dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {cfg.dtype!r}")
    if not all(isinstance(e, (int, float)) and e > 0 for e in cfg.eps):
        raise ValueError(f"eps values must be > 0, got {cfg.eps}")
    if cfg.am_tol < 0:
        raise ValueError(f"am_tol must be >= 0, got {cfg.am_tol}")
    if cfg.scheme == "greedy" and cfg.method not in ALTERNATING_METHODS:
        raise ValueError(f"scheme 'greedy' is a DANTE scheme (Algorithm 3); method {cfg.method!r} trains all layers at once")
    if cfg.scheme == "greedy" and cfg.task != "autoencoder":
        raise ValueError("scheme 'greedy' (Algorithm 3) trains autoencoders: use task 'autoencoder'")
    if cfg.reference == "phase" and cfg.instrument and cfg.method not in ALTERNATING_METHODS:
        raise ValueError(f"reference 'phase' needs an alternating method (dante, altmin-sgd), got {cfg.method!r}")
    if cfg.loss == "cross_entropy" and cfg.task != "classify":
        raise ValueError("loss 'cross_entropy' needs task 'classify'")
    dev = str(cfg.device)
    if dev.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {dev!r} requested but CUDA is not available")
    try:
        torch.device(dev)
    except RuntimeError:
        raise ValueError(f"unknown device {dev!r}") from None


def prepare(cfg: TrainConfig) -> tuple[Dataset, list[int]]:
    """Validate ``cfg``, load its data set and check the architecture against it.

    Returns:
        ``(dataset, widths)``.

    Raises:
        ValueError: any inconsistency (one line, naming the offending setting).
    """
    _check_config(cfg)
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
    if cfg.instrument and cfg.reference == "teacher" and ds.teacher is None:
        raise ValueError(f"reference 'teacher' needs a planted teacher; {ds.name} has none (use --data synthetic)")
    build_plan(cfg.method, len(widths) - 1, cfg.epochs, cfg.sngd_epochs, cfg.scheme, cfg.layer_order)
    return ds, widths


def _targets(cfg: TrainConfig, ds: Dataset, X: torch.Tensor, y: torch.Tensor, dtype) -> torch.Tensor:
    if cfg.task == "autoencoder":
        return X
    if cfg.task == "classify" and cfg.loss == "mse":
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


def _truncate_log(path: Path, step: int) -> None:
    """Drop log lines written after the checkpoint at ``step`` (they will be written again)."""
    if not path.is_file():
        return
    import json

    keep = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec.get("step", 0) < step or (rec.get("kind") == "eval" and rec.get("step", 0) == step):
            keep.append(line)
    path.write_text("".join(k + "\n" for k in keep))


def resume(run_dir: str | Path, epochs: int | None = None, progress: bool = True,
           on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    """Continue the run in ``run_dir`` from its last finite checkpoint.

    Args:
        run_dir: a directory written by :func:`train` with ``out=run_dir``.
        epochs: a new total budget of data passes (default: the recorded one).
        progress: show a progress bar.
        on_step: as in :func:`train`.

    Raises:
        ValueError: no ``config.json`` or no checkpoint in ``run_dir``.
    """
    run_dir = Path(run_dir)
    cfg_path = run_dir / "config.json"
    if not cfg_path.is_file():
        raise ValueError(f"cannot resume: {cfg_path} not found")
    import json

    cfg = TrainConfig.from_dict(json.loads(cfg_path.read_text()))
    cfg.out, cfg.progress = str(run_dir), progress
    if epochs is not None:
        cfg.epochs = epochs
    if not (run_dir / "checkpoints" / "last.pt").is_file():
        raise ValueError(f"cannot resume: {run_dir / 'checkpoints' / 'last.pt'} not found")
    return train(cfg, on_step=on_step, _resume=True)


def train(cfg: TrainConfig, *, on_step: Callable[[int, float], None] | None = None, _resume: bool = False) -> TrainResult:
    """Train a network as ``cfg`` says (DANTE, its multi-layer schemes, or a baseline).

    Args:
        cfg: the :class:`TrainConfig`.
        on_step: optional callback ``on_step(step, minibatch_loss)`` after every step (raising
            ``KeyboardInterrupt`` there behaves like Ctrl-C).

    Returns:
        The :class:`TrainResult`. Ctrl-C and a non-finite loss end the run early with ``status``
        ``interrupted`` / ``non-finite``; the model is the last finite state and the logs stay on disk.

    Raises:
        ValueError: bad configuration or data.

    Example:
        >>> res = train(TrainConfig(data="digits", arch="64-32-10", epochs=2, sngd_epochs=1, progress=False))
        >>> [h["epoch"] for h in res.history], res.history[-1]["weights_updated"] == 22 * (64 * 32 + 32) + 22 * (32 * 10 + 10)
        ([0.0, 1.0, 2.0], True)
    """
    ds, widths = prepare(cfg)
    device = torch.device(cfg.device)
    dtype = torch.float64 if cfg.dtype == "float64" else torch.float32
    L = len(widths) - 1
    plan = build_plan(cfg.method, L, cfg.epochs, cfg.sngd_epochs, cfg.scheme, cfg.layer_order)

    X = ds.X_train.to(device=device, dtype=dtype)
    Xte = ds.X_test.to(device=device, dtype=dtype)
    T = _targets(cfg, ds, X, ds.y_train.to(device), dtype)
    Tte = _targets(cfg, ds, Xte, ds.y_test.to(device), dtype)
    classify = cfg.task == "classify"
    labels_tr = ds.y_train.to(device) if classify else None
    labels_te = ds.y_test.to(device) if classify else None
    m, bs = X.shape[0], int(cfg.batch_size)
    steps_per_pass = math.ceil(m / bs)

    init_gen = torch.Generator().manual_seed(int(cfg.seed))
    act = get_activation(cfg.activation, cfg.leaky_a, cfg.leaky_b)
    out_act = cfg.output_activation or ("linear" if cfg.loss == "cross_entropy" else None)
    if out_act is not None:
        out_act = get_activation(out_act, cfg.leaky_a, cfg.leaky_b)
    model = MLP(widths, act, out_act, bias=cfg.bias, generator=init_gen, dtype=dtype).to(device)
    optimizer = _make_optimizer(cfg, model)
    batch_gen = torch.Generator().manual_seed(int(cfg.seed) + 1)

    # -- run directory ---------------------------------------------------------------------------
    run_dir = Path(cfg.out) if cfg.out is not None else None
    ckpt_dir = run_dir / "checkpoints" if run_dir else None
    if run_dir is not None:
        if (run_dir / "config.json").exists() and not _resume:
            raise ValueError(f"run directory {run_dir} already holds a run; use --resume {run_dir} or a new --out")
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        if not _resume:
            write_json(run_dir / "config.json", cfg.to_dict())
    writer = JsonlWriter(run_dir / "metrics.jsonl" if run_dir else None)

    # -- instruments -----------------------------------------------------------------------------
    instr = None
    if cfg.instrument:
        if cfg.instrument_samples is not None and cfg.instrument_samples < m:
            sub = torch.randperm(m, generator=torch.Generator().manual_seed(int(cfg.seed) + 2))[: cfg.instrument_samples]
            Xf, Tf = X[sub.to(device)], T[sub.to(device)]
        else:
            Xf, Tf = X, T
        every = cfg.instrument_every or max(1, steps_per_pass // 4)
        teacher = None
        if ds.teacher is not None:
            teacher = {k: v.to(device=device, dtype=dtype) for k, v in ds.teacher.items()}
        instr = Instrumenter(model, Xf, Tf, X, T, cfg.loss, cfg.reference, linear(every), eps=tuple(cfg.eps),
                             teacher=teacher if cfg.reference == "teacher" else None, emit=writer.write,
                             snapshot_dir=run_dir / "snapshots" if run_dir else None,
                             claim_info={"n_layers": L, "activation": model.activation.to_dict(),
                                         "output_activation": model.output_activation.to_dict(), "loss": cfg.loss,
                                         "n_outputs": widths[-1]})

    # -- state -----------------------------------------------------------------------------------
    st = {"next_pass": 0, "step": 0, "weights_updated": 0, "wall_time": 0.0, "history": [], "passes": [],
          "prev_round_loss": None, "skip_groups": []}
    if _resume:
        ck = torch.load(ckpt_dir / "last.pt", weights_only=False, map_location="cpu")
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        batch_gen.set_state(ck["batch_gen"])
        st = ck["state"]
        if instr is not None and "instruments" in ck:
            instr.load_state(ck["instruments"])
        _truncate_log(run_dir / "metrics.jsonl", st["step"])

    def record_eval() -> dict:
        tr_loss, _ = evaluate(model, X, T, cfg.loss)
        te_loss, te_acc = evaluate(model, Xte, Tte, cfg.loss, labels_te)
        h = {"kind": "eval", "step": st["step"], "weights_updated": st["weights_updated"],
             "epoch": st["step_epoch"], "wall_time": st["wall_time"], "train_loss": tr_loss,
             "test_loss": te_loss, "test_acc": te_acc}
        st["history"].append({k: v for k, v in h.items() if k != "kind"})
        writer.write(h)
        return h

    def save_checkpoint() -> None:
        good_state["model"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if ckpt_dir is None:
            return
        ck = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "batch_gen": batch_gen.get_state(),
              "state": st}
        if instr is not None:
            ck["instruments"] = instr.state()
        tmp = ckpt_dir / "last.pt.tmp"
        torch.save(ck, tmp)
        tmp.replace(ckpt_dir / "last.pt")

    st.setdefault("step_epoch", float(st["next_pass"]))
    good_state: dict = {}
    status, message = "completed", ""
    total_steps = sum(steps_per_pass for p in plan[st["next_pass"]:])
    bar = None
    if cfg.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total_steps, desc=f"{cfg.method} {cfg.arch}", unit="step", leave=False)
    last_eval = None
    try:
        if not st["history"]:
            last_eval = record_eval()
        save_checkpoint()
        cache = None
        for p in plan[st["next_pass"]:]:
            if p.group in st["skip_groups"]:
                st["next_pass"] = p.index + 1
                continue
            t_pass = time.perf_counter()  # start of the current timed segment
            overhead, pass_train = 0.0, 0.0
            trainable = set(p.train_layers)
            for l in range(1, L + 1):
                for q in model.layer_params(l):
                    q.requires_grad_(l in trainable)
            n_updated = sum(model.layer_size(l) for l in p.train_layers)
            # a one-layer path (DANTE's outer phase) is a set of GLMs: closed-form gradient, no autograd graph
            fast = cfg.closed_form and len(p.path) == 1 and supports_closed_form(model, p.path[0], cfg.loss)
            cache_seconds = 0.0
            if p.first_in_phase or cache is None:
                t_cache = time.perf_counter()
                with torch.no_grad():
                    A = model.run(X, p.prefix) if cfg.cache_hidden else None
                    TT = T if p.target_prefix is None else model.run(X, p.target_prefix)
                cache = (A, TT)
                cache_seconds = time.perf_counter() - t_cache
            A, TT = cache
            perm = torch.randperm(m, generator=batch_gen).to(device)
            for s in range(0, m, bs):
                idx = perm[s:s + bs]
                if instr is not None:
                    t0 = time.perf_counter()
                    instr.on_step(st["step"], {"epoch": st["step_epoch"], "weights_updated": st["weights_updated"],
                                               "phase": p.phase, "train_layers": list(p.train_layers)},
                                  idx, p.train_layers)
                    overhead += time.perf_counter() - t0
                if A is not None:
                    a = A[idx]
                else:
                    with torch.no_grad():
                        a = model.run(X[idx], p.prefix)
                if fast:
                    optimizer.zero_grad(set_to_none=True)
                    loss = glm_step_grads(model, p.path[0], a, TT[idx], cfg.loss)
                else:
                    out = model.run(a, p.path)
                    loss = loss_value(cfg.loss, out, TT[idx])
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                lv = float(loss.detach())
                if not math.isfinite(lv):
                    raise _NonFinite(f"non-finite minibatch loss ({lv}) at step {st['step']} (pass {p.index + 1}); "
                                     f"kept the last finite checkpoint")
                optimizer.step()
                st["step"] += 1
                st["weights_updated"] += n_updated
                st["step_epoch"] = p.index + min(s + bs, m) / m
                if bar is not None:
                    bar.update(1)
                    if st["step"] % 20 == 0:
                        acc = last_eval["test_acc"] if last_eval else None
                        bar.set_postfix(loss=f"{lv:.4g}", **({"acc": f"{acc:.3f}"} if acc is not None else {}))
                if on_step is not None:
                    on_step(st["step"], lv)
                if cfg.log_every is not None and st["step"] % cfg.log_every == 0:
                    seg = time.perf_counter() - t_pass - overhead
                    st["wall_time"] += seg
                    pass_train += seg
                    last_eval = record_eval()
                    t_pass, overhead = time.perf_counter(), 0.0
            seg = time.perf_counter() - t_pass - overhead
            st["wall_time"] += seg
            dt = pass_train + seg
            st["passes"].append({"index": p.index, "train_layers": list(p.train_layers), "seconds": dt,
                                 "cache_seconds": cache_seconds})
            st["next_pass"] = p.index + 1
            st["step_epoch"] = float(p.index + 1)
            if cfg.log_every is None or (st["history"] and st["history"][-1]["step"] != st["step"]):
                if cfg.log_every is None:
                    last_eval = record_eval()
            if not math.isfinite(st["history"][-1]["train_loss"]):
                raise _NonFinite(f"non-finite training loss after pass {p.index + 1}; kept the last finite checkpoint")
            if instr is not None and p.last_in_phase:
                instr.on_phase_end()
            if p.last_in_round and cfg.am_tol > 0 and cfg.method in ALTERNATING_METHODS:
                f_t, _ = evaluate(model, X, T, cfg.loss)
                prev = st["prev_round_loss"]
                st["prev_round_loss"] = f_t
                if prev is not None and abs(f_t - prev) < cfg.am_tol:
                    st["skip_groups"].append(p.group)
                    st["prev_round_loss"] = None
                    if all(q.group in st["skip_groups"] for q in plan[p.index + 1:]):
                        status, message = "converged", f"|f_t - f_(t-1)| = {abs(f_t - prev):.3g} < {cfg.am_tol} after pass {p.index + 1}"
            save_checkpoint()
        if status == "completed" and (not st["history"] or st["history"][-1]["step"] != st["step"]):
            record_eval()
        if instr is not None:
            instr.finish()
    except KeyboardInterrupt:
        status, message = "interrupted", f"interrupted at step {st['step']}; logs and the last finite checkpoint are kept"
        model.load_state_dict(good_state["model"])
    except _NonFinite as exc:
        status, message = "non-finite", str(exc)
        model.load_state_dict(good_state["model"])
    finally:
        if bar is not None:
            bar.close()
        for q in model.parameters():
            q.requires_grad_(True)

    tr_loss, _ = evaluate(model, X, T, cfg.loss)
    te_loss, te_acc = evaluate(model, Xte, Tte, cfg.loss, labels_te)
    final = {"train_loss": tr_loss, "test_loss": te_loss, "test_acc": te_acc}
    if run_dir is not None:
        write_json(run_dir / "final.json", {**final, "status": status, "message": message, "step": st["step"],
                                            "weights_updated": st["weights_updated"], "epoch": st["step_epoch"],
                                            "wall_time": st["wall_time"]})
        if status in ("completed", "converged"):
            torch.save(model.state_dict(), ckpt_dir / "model.pt")
    res = TrainResult(history=st["history"], final=final, model=model, run_dir=run_dir, config=cfg, status=status,
                      instruments=instr.records if instr is not None else [], message=message, passes=st["passes"])
    return res
