"""Instrument quantities: per-layer SLQC diagnostics measured during training.

For every layer ``l`` the *layer problem* is the network loss ``f(W_l)`` with every other parameter
held at its current value (the problem DANTE's SNGD phase solves, Algorithm 2; Definitions 1 and 4
of Sinha et al., 2020). Given a reference ``W_l*`` (see :mod:`dante.instruments`) a quantity reads
a :class:`LayerProblem` and returns named values:

==================  ===============================================================================
``loss``            ``f`` at the current weights (network-level, once per source)
``loss_ref``        ``f`` with ``W_l`` replaced by ``W_l*``
``grad_norm``       ``||grad_{W_l} f||_F``
``inner``           ``<grad_{W_l} f, W_l - W_l*>_F``
``dist``            ``||W_l - W_l*||_F``
``cosine``          ``inner / (grad_norm * dist)`` (``None`` when either norm is 0)
``kappa_min@eps``   :func:`slqc.definitions.kappa_from_terms`, the smallest kappa for which Definition 4
                    holds: ``0`` when ``loss - loss_ref <= eps`` (condition 1), ``inf`` when
                    ``inner <= 0`` or ``grad_norm = 0``, else ``eps * grad_norm / inner``
``kappa_cond2@eps`` the smallest kappa meeting condition 2 by itself: ``eps * grad_norm / inner``,
                    ``inf`` when ``inner <= 0`` (``kappa_min`` without the condition-1 zero; what
                    the plots draw, since near a reference condition 1 makes ``kappa_min`` 0).
                    Older logs call it ``kappa_est@eps``.
``claimed_kappa@eps``  the paper's kappa for this layer (:func:`dante.claims.claimed_kappa`), or ``None``
``slqc@eps``        Definition 4 at the claimed kappa: ``kappa_min <= claimed kappa``; ``None`` with no claim
==================  ===============================================================================

The instruments measure the layer problem in ``W_l`` (the theory's variable); where the network
has biases they are held at their current values, while SNGD steps on ``(W_l, b_l)`` together.
Each record says which (``instrumented``); train with ``bias=False`` (``--no-bias``) for the
theory's exact setting.

Each source (``full``: the whole training set or a fixed subset; ``batch``: the minibatch of the
step) gives its own problem. A user adds a quantity by subclassing :class:`Quantity` and passing
it to :class:`dante.instruments.Instrumenter`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from slqc.definitions import SLQCTerms, kappa_from_terms

from .claims import claimed_kappa
from .losses import loss_value
from .schedules import Schedule, every_step

__all__ = ["Probe", "LayerProblem", "Quantity", "Loss", "GradNorm", "InnerProduct", "Distance", "Cosine",
           "KappaMin", "Condition2Kappa", "SLQCCheck", "default_quantities"]


class Probe:
    """One forward/backward of the network loss on one data source, shared by all layers.

    Args:
        model: the :class:`dante.model.MLP` (its current parameters are read, never changed).
        X: inputs ``(m, n_0)``.
        T: targets (one-hot/float ``(m, n_L)`` for ``mse``, labels ``(m,)`` for ``cross_entropy``).
        loss: loss name.
        layers: layers whose gradients are needed.
        refs: reference weights ``{l: W_l*}``.
    """

    def __init__(self, model, X: torch.Tensor, T: torch.Tensor, loss: str, layers, refs: dict[int, torch.Tensor]):
        self.model, self.X, self.T, self.loss, self.refs = model, X, T, loss, refs
        L = model.n_layers
        all_layers = range(1, L + 1)
        with torch.enable_grad():
            ws = {l: model.weights[l - 1].detach().clone().requires_grad_(True) for l in layers}
            f = loss_value(loss, model.run(X, all_layers, weights=ws), T)
            grads = torch.autograd.grad(f, [ws[l] for l in layers]) if layers else []
        self.f = float(f.detach())
        self.grads = {l: g.detach().double() for l, g in zip(layers, grads)}
        self._f_ref: dict[int, float] = {}

    def f_ref(self, l: int) -> float:
        """``f`` with ``W_l`` replaced by ``W_l*`` (other layers current)."""
        if l not in self._f_ref:
            with torch.no_grad():
                out = self.model.run(self.X, range(1, self.model.n_layers + 1), weights={l: self.refs[l]})
                self._f_ref[l] = float(loss_value(self.loss, out, self.T))
        return self._f_ref[l]


@dataclass
class LayerProblem:
    """The layer-``l`` problem seen through one :class:`Probe` (lazy, cached scalars in float64)."""

    probe: Probe
    layer: int
    claim_info: dict = field(default_factory=dict)

    def __post_init__(self):
        W = self.probe.model.weights[self.layer - 1].detach().double()
        self.W = W
        self.diff = W - self.probe.refs[self.layer].detach().double()
        self.g = self.probe.grads[self.layer]

    @property
    def f(self) -> float:
        return self.probe.f

    @property
    def f_ref(self) -> float:
        return self.probe.f_ref(self.layer)

    @property
    def grad_norm(self) -> float:
        return float(torch.linalg.vector_norm(self.g))

    @property
    def inner(self) -> float:
        return float((self.g * self.diff).sum())

    @property
    def dist(self) -> float:
        return float(torch.linalg.vector_norm(self.diff))

    @property
    def terms(self) -> SLQCTerms:
        """The three numbers of Definition 4 in :mod:`slqc.definitions`'s form (shape ``(1,)``)."""
        t = lambda v: torch.tensor([v], dtype=torch.float64)  # noqa: E731
        return SLQCTerms(gap=t(self.f - self.f_ref), inner=t(self.inner), gnorm=t(self.grad_norm))

    def kappa_min(self, eps: float) -> float:
        """Smallest kappa for which Definition 4 holds (:func:`slqc.definitions.kappa_from_terms`)."""
        return float(kappa_from_terms(self.terms, eps)[0])

    @property
    def radius(self) -> float:
        """Smallest ``W`` with ``||W_l||_F <= W`` and ``||W_l*||_F <= W`` (the theorems' ball)."""
        return max(float(torch.linalg.vector_norm(self.W)), float(torch.linalg.vector_norm(self.W - self.diff)))


class Quantity:
    """A named per-layer (or network-level) measurement with its own schedule.

    Subclasses set ``name`` and implement :meth:`compute`, returning ``{key: value}``; keys are
    prefixed with ``layer{l}.{source}.`` in the log (``{source}.`` when ``per_layer`` is False).
    """

    name = "quantity"
    per_layer = True

    def __init__(self, schedule: Schedule | None = None) -> None:
        self.schedule = schedule or every_step()

    def compute(self, problem: LayerProblem) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError


class Loss(Quantity):
    """Network loss ``f`` at the current weights on this source."""

    name, per_layer = "loss", False

    def compute(self, problem: LayerProblem) -> dict:
        return {"loss": problem.f}


class LossAtReference(Quantity):
    """``f`` with ``W_l`` replaced by ``W_l*`` (condition 1 of Definition 4 compares it with ``f``)."""

    name = "loss_ref"

    def compute(self, problem: LayerProblem) -> dict:
        return {"loss_ref": problem.f_ref}


class GradNorm(Quantity):
    """``||grad_{W_l} f||_F``."""

    name = "grad_norm"

    def compute(self, problem: LayerProblem) -> dict:
        return {"grad_norm": problem.grad_norm}


class InnerProduct(Quantity):
    """``<grad_{W_l} f, W_l - W_l*>_F`` (positive: the gradient points away from the reference)."""

    name = "inner"

    def compute(self, problem: LayerProblem) -> dict:
        return {"inner": problem.inner}


class Distance(Quantity):
    """``||W_l - W_l*||_F``."""

    name = "dist"

    def compute(self, problem: LayerProblem) -> dict:
        return {"dist": problem.dist}


class Cosine(Quantity):
    """Cosine of the angle between ``grad_{W_l} f`` and ``W_l - W_l*``."""

    name = "cosine"

    def compute(self, problem: LayerProblem) -> dict:
        denom = problem.grad_norm * problem.dist
        return {"cosine": problem.inner / denom if denom > 0 else None}


class KappaMin(Quantity):
    """kappa_min of :mod:`slqc.definitions` (Definitions 1/4): 0 under condition 1, else condition 2 solved."""

    name = "kappa_min"

    def __init__(self, eps: float, schedule: Schedule | None = None) -> None:
        super().__init__(schedule)
        self.eps = float(eps)

    def compute(self, problem: LayerProblem) -> dict:
        return {f"kappa_min@{self.eps:g}": problem.kappa_min(self.eps)}


class Condition2Kappa(Quantity):
    """``eps ||g|| / <g, W_l - W_l*>``: the smallest kappa meeting condition 2 of Definition 4 by itself.

    Equal to :class:`KappaMin` wherever condition 1 fails; ``inf`` when ``<g, W_l - W_l*> <= 0``.
    Logs before this name wrote it as ``kappa_est``; the plotter and the summary read both.
    """

    name = "kappa_cond2"

    def __init__(self, eps: float, schedule: Schedule | None = None) -> None:
        super().__init__(schedule)
        self.eps = float(eps)

    def compute(self, problem: LayerProblem) -> dict:
        inner = problem.inner
        value = self.eps * problem.grad_norm / inner if inner > 0 else math.inf
        e = f"{self.eps:g}"
        return {f"kappa_cond2@{e}": value}


class SLQCCheck(Quantity):
    """Definition 4 at the paper's claimed kappa (:mod:`dante.claims`): condition 1 or condition 2."""

    name = "slqc"

    def __init__(self, eps: float, schedule: Schedule | None = None) -> None:
        super().__init__(schedule)
        self.eps = float(eps)

    def compute(self, problem: LayerProblem) -> dict:
        info = problem.claim_info
        outer = info.get("outer_radius")
        kappa, source = claimed_kappa(problem.layer, info["n_layers"], info["activation"], info["output_activation"],
                                      info["loss"], self.eps, problem.radius,
                                      outer_radius=outer() if callable(outer) else outer, n_outputs=info.get("n_outputs"))
        holds = None if kappa is None else bool(problem.kappa_min(self.eps) <= kappa)  # Definition 4 at the claim
        e = f"{self.eps:g}"
        return {f"claimed_kappa@{e}": kappa, f"claim@{e}": source, f"slqc@{e}": holds}


def default_quantities(eps=(0.01, 0.1), schedule: Schedule | None = None) -> list[Quantity]:
    """The quantities of the module table, all on one schedule."""
    qs: list[Quantity] = [Loss(schedule), LossAtReference(schedule), GradNorm(schedule), InnerProduct(schedule),
                          Distance(schedule), Cosine(schedule)]
    for e in eps:
        qs += [KappaMin(e, schedule), Condition2Kappa(e, schedule), SLQCCheck(e, schedule)]
    return qs
