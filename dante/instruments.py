"""Instrumenting real training: per-layer SLQC quantities against a reference ``W*``.

Watch, during DANTE or SGD training, whether each layer's iterates satisfy
the SLQC inequality of Definitions 1/4 (Sinha et al., 2020, section 3.2) for the kappa the paper
claims (Theorems 3, 5, 7). Quantities are listed in :mod:`dante.quantities`.

References ``W*`` (``reference=``):

* ``final``: the weights at the end of the run (Zhou et al., 2019, do the same for star-convexity).
  During training the scheduled iterates (weights + minibatch indices) are snapshotted; after the
  run a second pass replays every snapshot against the final weights.
* ``teacher``: the planted weights of a synthetic teacher (:func:`dante.data.make_synthetic`),
  aligned with the current student at every measurement up to the network's symmetries (hidden
  unit permutations; per-unit positive rescaling for homogeneous activations; :mod:`dante.align`),
  because the student converges to *some* network computing the teacher's function, not to the
  teacher as drawn. Measured live. Records add ``layer{l}.{source}.dist_raw``, ``inner_raw``,
  ``cosine_raw`` (against the teacher as drawn), ``layer{l}.perm_changes`` (units whose match
  changed since the previous measurement) and ``layer{l}.align_cosine`` (mean cosine of matched
  incoming weights). ``teacher-aligned`` is the same reference.
* ``teacher-raw``: the teacher's weights as drawn (what older versions called ``teacher``).
* ``phase``: for DANTE, the weights reached at the end of the current alternation phase; the
  snapshots of a phase are replayed when it ends, for the layers that phase trains.

Records are dicts with ``kind = "instrument"``, ``step`` (the iterate index ``t``: measured at
``w_t``, before step ``t`` is applied), ``epoch``, ``weights_updated``, ``phase``, ``train_layers``,
``reference``, ``instrumented`` (which parameters the layer problem varies) and keys
``{source}.loss`` and ``layer{l}.{source}.{quantity}`` (``source`` in ``full``, ``batch``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from .align import HOMOGENEOUS, align_teacher
from .quantities import LayerProblem, Probe, Quantity, default_quantities
from .schedules import Schedule

__all__ = ["measure_layers", "Instrumenter", "REFERENCES", "SOURCES"]

REFERENCES = ("final", "teacher", "teacher-aligned", "teacher-raw", "phase")
TEACHER_REFERENCES = ("teacher", "teacher-aligned", "teacher-raw")
SOURCES = ("full", "batch")


def measure_layers(model, X: torch.Tensor, T: torch.Tensor, loss: str, refs: dict[int, torch.Tensor],
                   layers: Sequence[int], quantities: Sequence[Quantity], source: str, step: int,
                   claim_info: dict | None = None, raw_refs: dict[int, torch.Tensor] | None = None) -> dict:
    """Compute the scheduled quantities of every layer problem on one data source.

    Args:
        model: the network (read only).
        X: inputs ``(m, n_0)`` of the source.
        T: targets of the source.
        loss: ``mse`` | ``cross_entropy``.
        refs: reference weights ``{l: W_l*}`` of shape ``(n_{l-1}, n_l)``.
        layers: layers to measure.
        quantities: the quantity objects; a quantity is computed when ``quantity.schedule(step)``.
        source: key prefix (``full`` or ``batch``).
        step: iterate index passed to the schedules.
        claim_info: ``n_layers``, ``activation``, ``output_activation``, ``loss``, ``n_outputs``.
        raw_refs: a second reference (the unaligned teacher): adds ``dist_raw``, ``inner_raw``,
            ``cosine_raw`` per layer.

    Returns:
        ``{"{source}.loss": ..., "layer{l}.{source}.{key}": ...}``.
    """
    due = [q for q in quantities if q.schedule(step)]
    if not due:
        return {}
    layers = list(layers)
    probe = Probe(model, X, T, loss, layers, refs)
    info = dict(claim_info or {})
    L = model.n_layers
    WL = model.weights[L - 1].detach().double()
    outer = float(torch.linalg.vector_norm(WL))
    if L in refs:
        outer = max(outer, float(torch.linalg.vector_norm(refs[L].detach().double())))
    info.setdefault("n_layers", L)
    info["outer_radius"] = outer
    out: dict = {}
    for l in layers:
        problem = LayerProblem(probe, l, info)
        for q in due:
            values = q.compute(problem)
            if q.per_layer:
                out.update({f"layer{l}.{source}.{k}": v for k, v in values.items()})
            else:
                out.update({f"{source}.{k}": v for k, v in values.items()})
        if raw_refs is not None:
            g = probe.grads[l]
            diff = problem.W - raw_refs[l].detach().double()
            inner, dist = float((g * diff).sum()), float(torch.linalg.vector_norm(diff))
            den = problem.grad_norm * dist
            out.update({f"layer{l}.{source}.dist_raw": dist, f"layer{l}.{source}.inner_raw": inner,
                        f"layer{l}.{source}.cosine_raw": inner / den if den > 0 else None})
    return out


class Instrumenter:
    """Runs the quantities on a schedule during training and resolves the reference.

    Args:
        model: the network being trained.
        X: full-batch source inputs (the training set, or a fixed subset of it).
        T: its targets.
        X_batch_pool: the training inputs the minibatch indices refer to.
        T_batch_pool: their targets.
        loss: loss name.
        reference: one of :data:`REFERENCES`.
        schedule: when to measure (``step -> bool``); applied on top of each quantity's own schedule.
        eps: the epsilons of the kappa estimate and SLQC check.
        teacher: ``{"W1": ..., ...}`` (and ``"b1"``, ...) for the teacher references.
        emit: callable receiving each finished record (the trainer writes it to ``metrics.jsonl``).
        snapshot_dir: where snapshots go (``None``: kept in memory).
        quantities: override :func:`dante.quantities.default_quantities`.
        claim_info: passed to :func:`measure_layers`.
        sources: which of ``full``/``batch`` to measure.
    """

    def __init__(self, model, X, T, X_batch_pool, T_batch_pool, loss: str, reference: str, schedule: Schedule,
                 eps=(0.01, 0.1), teacher: dict | None = None, emit: Callable[[dict], None] | None = None,
                 snapshot_dir: Path | None = None, quantities: Sequence[Quantity] | None = None,
                 claim_info: dict | None = None, sources: Sequence[str] = SOURCES) -> None:
        if reference not in REFERENCES:
            raise ValueError(f"unknown reference {reference!r}; choose one of {', '.join(REFERENCES)}")
        self.model, self.X, self.T = model, X, T
        self.Xp, self.Tp = X_batch_pool, T_batch_pool
        self.loss, self.reference, self.schedule = loss, reference, schedule
        self.quantities = list(quantities) if quantities is not None else default_quantities(eps)
        self.emit = emit or (lambda rec: None)
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir is not None else None
        if self.snapshot_dir is not None:
            self.snapshot_dir.mkdir(parents=True, exist_ok=True)
        self.claim_info = claim_info or {}
        self.sources = tuple(sources)
        self.records: list[dict] = []
        self.pending: list = []  # snapshots (dicts in memory, or Paths on disk) awaiting their reference
        self.teacher_refs = None
        self.teacher_biases = None
        self._perms: dict[int, np.ndarray] = {}
        self.instrumented = ("W_l with b_l held fixed (SNGD steps on W_l and b_l together)" if model.has_bias
                             else "W_l (no biases)")
        if reference in TEACHER_REFERENCES:
            if not teacher:
                raise ValueError("reference 'teacher' needs a data set with a planted teacher (use --data synthetic)")
            refs = {}
            for l in range(1, model.n_layers + 1):
                W = teacher.get(f"W{l}")
                if W is None or tuple(W.shape) != tuple(model.weights[l - 1].shape):
                    raise ValueError(f"reference 'teacher': the teacher's W{l} does not match the network's layer {l} "
                                     f"shape {tuple(model.weights[l - 1].shape)}; use the teacher's architecture")
                refs[l] = W.to(model.weights[l - 1])
            self.teacher_refs = refs
            if model.has_bias and all(f"b{l}" in teacher for l in refs):
                self.teacher_biases = {l: teacher[f"b{l}"] for l in refs}
        self._scratch = None

    # -- live side -------------------------------------------------------------------------------
    def on_step(self, step: int, info: dict, batch_idx: torch.Tensor, layers: Sequence[int]) -> None:
        """Called with the iterate ``w_t`` (before step ``t``); ``info`` holds epoch/phase/counters."""
        if not self.schedule(step):
            return
        if self.reference in TEACHER_REFERENCES:
            layers = range(1, self.model.n_layers + 1)
            if self.reference == "teacher-raw":
                self._finish_record(self.model, step, info, batch_idx, layers, self.teacher_refs)
                return
            refs, extra = self._aligned_teacher()
            self._finish_record(self.model, step, {**info, **extra}, batch_idx, layers, refs, raw_refs=self.teacher_refs)
            return
        snap = {"step": step, "info": dict(info), "batch_idx": batch_idx.clone(), "layers": list(layers),
                "state": {k: v.detach().clone() for k, v in self.model.state_dict().items()}}
        if self.snapshot_dir is not None:
            path = self.snapshot_dir / f"step{step:09d}.pt"
            torch.save(snap, path)
            self.pending.append(path)
        else:
            self.pending.append(snap)

    def on_phase_end(self) -> None:
        """Resolve ``phase`` references: replay this phase's snapshots against the current weights."""
        if self.reference == "phase":
            self._replay()

    def finish(self) -> None:
        """Resolve ``final`` references (the second pass over the snapshots)."""
        if self.reference == "final":
            self._replay()

    def _aligned_teacher(self) -> tuple[dict, dict]:
        """The teacher aligned with the current student, and the alignment's log entries."""
        m = self.model
        L = m.n_layers
        student = {l: m.weights[l - 1] for l in range(1, L + 1)}
        sb = {l: m.biases[l - 1] for l in range(1, L + 1)} if m.has_bias and self.teacher_biases else None
        homogeneous = m.activation.name in HOMOGENEOUS
        al = align_teacher(student, self.teacher_refs, homogeneous, sb, self.teacher_biases)
        extra = {}
        for l, perm in al.perms.items():
            prev = self._perms.get(l)
            extra[f"layer{l}.perm_changes"] = None if prev is None else int((prev != perm).sum())
            extra[f"layer{l}.align_cosine"] = al.cosine[l]
            self._perms[l] = perm
        refs = {l: w.to(m.weights[l - 1]) for l, w in al.weights.items()}
        return refs, extra

    # -- resume support ----------------------------------------------------------------------------
    def state(self) -> dict:
        """What a checkpoint keeps: pending snapshot files and the last permutations."""
        return {"pending": [str(p) for p in self.pending if isinstance(p, Path)],
                "perms": {int(l): p.tolist() for l, p in self._perms.items()}}

    def load_state(self, state: dict) -> None:
        self.pending = [Path(p) for p in state.get("pending", []) if Path(p).is_file()]
        self._perms = {int(l): np.asarray(p) for l, p in state.get("perms", {}).items()}

    def replay_all_snapshots(self, before_step: int) -> None:
        """Queue again every kept snapshot of an iterate before ``before_step`` (the checkpoint's step):
        an extended ``final`` run is measured against its new end point, not the old one."""
        if self.snapshot_dir is not None and self.reference == "final":
            kept = [p for p in sorted(self.snapshot_dir.glob("step*.pt")) if int(p.stem[4:]) < before_step]
            self.pending = kept

    # -- internals ---------------------------------------------------------------------------------
    def _replay(self) -> None:
        refs_all = {l: self.model.weights[l - 1].detach().clone() for l in range(1, self.model.n_layers + 1)}
        if self._scratch is None:
            self._scratch = copy.deepcopy(self.model)
        for item in self.pending:
            snap = torch.load(item, weights_only=False) if isinstance(item, Path) else item
            self._scratch.load_state_dict(snap["state"])
            layers = snap["layers"] if self.reference == "phase" else range(1, self.model.n_layers + 1)
            self._finish_record(self._scratch, snap["step"], snap["info"], snap["batch_idx"], layers, refs_all)
            if isinstance(item, Path) and self.reference == "phase":  # a final run keeps them for --resume
                item.unlink(missing_ok=True)
        self.pending = []

    def _finish_record(self, model, step, info, batch_idx, layers, refs, raw_refs=None) -> None:
        reference = "teacher" if self.reference == "teacher-aligned" else self.reference
        rec = {"kind": "instrument", "step": step, **info, "reference": reference, "instrumented": self.instrumented}
        layers = list(layers)
        refs = {l: refs[l] for l in layers}
        if "full" in self.sources:
            rec.update(measure_layers(model, self.X, self.T, self.loss, refs, layers, self.quantities, "full", step,
                                      self.claim_info, raw_refs))
        if "batch" in self.sources:
            rec.update(measure_layers(model, self.Xp[batch_idx], self.Tp[batch_idx], self.loss, refs, layers,
                                      self.quantities, "batch", step, self.claim_info, raw_refs))
        self.records.append(rec)
        self.emit(rec)
