"""Property testing of SLQC claims: hypothesis strategies and :func:`assert_slqc`.

Researchers test their own claims the way ``slqc check`` tests the paper's: draw a
setting whose hypotheses hold by construction, build the objective, and assert that the
claimed kappa is enough everywhere on the domain.

* :func:`activation_params`, :func:`glm_settings`, :func:`one_hidden_settings`: strategies
  for JSON-ready setting dicts (activation with 0 < a <= b; W; eps, log-uniform in
  [1e-4, 1e-1]; m; d, including m < d; data distribution; seed).
* :func:`glm_cases`, :func:`one_hidden_cases`: the same, built into a :class:`Case`
  (objective ``f``, reference point ``z``, domain radius, and the setting's numbers as
  attributes). By construction ||x_i|| <= 1, ||w*|| <= W (||W1*||_F <= W1, ||W2*||_F <= W2)
  and the labels are the teacher's (idealized).
* :func:`assert_slqc`: run the engine's search with the claimed kappa as a stop value; on
  failure raise ``AssertionError`` with the witness printed and saved as a ``.npz`` that
  ``slqc verify`` re-checks.
* :func:`cuda_branches`: run the CPU through the branches slqc takes on a CUDA device (the CPU
  twin of a cuda run: the same algorithm on the CPU's kernels).

Example (a five-line property test of Theorem 1's constant):

    >>> from hypothesis import given, settings
    >>> from slqc.testing import glm_cases, assert_slqc
    >>> @settings(max_examples=3, deadline=None)
    ... @given(glm_cases(max_m=32, max_d=8))
    ... def test_thm1(c):
    ...     assert_slqc(c.f, c.z, c.eps, kappa=2 * c.b**3 * c.W / c.a, radius=c.W)
    >>> test_thm1()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from hypothesis import strategies as st

from .claims._build import glm_problem, one_hidden_problem
from .claims.base import Problem
from .data import DISTRIBUTIONS


@contextlib.contextmanager
def cuda_branches():
    """Within this context, computations on the CPU take the branches slqc takes on a CUDA device.

    Three choices depend on the device type, and all three are switched:

    * the search's retractions evaluate every point, not only those below the level set
      (``slqc.search.COMPACT_DEVICES`` holds the CPU only: compaction needs a host read per
      call, a synchronisation on a GPU), so ``points_evaluated`` counts those evaluations too;
    * the engine and the stacks take CUDA's large blocks (``slqc.models.block_elems``,
      ``slqc.stack._stack_block_elems``) instead of cache-sized ones;
    * the losses take their entry-by-entry forms (``torch.logsumexp``, ``logsigmoid``), not the
      CPU's fast forms (``slqc.losses._fast``), which read the range of every block.

    Each of them asks :func:`slqc._branch.branch` for the device type; this context makes it
    answer ``cuda``. A cuda run and a CPU run inside this context make the same decisions up to
    the rounding of the kernels: the gpu tier compares them (points counted included), and the
    default suite compares this context with the plain CPU run (tests/slqc/test_cuda_branches.py),
    so the branches a GPU takes are tested on machines without one. It holds for this process
    only (not for the workers of ``--jobs N``) and for every thread of it.
    """
    from . import _branch

    saved, _branch.forced = _branch.forced, "cuda"
    try:
        yield
    finally:
        _branch.forced = saved


#: eps is drawn log-uniformly from [10**EPS_LOG10[0], 10**EPS_LOG10[1]].
EPS_LOG10 = (-4.0, -1.0)


def _log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=math.log10(lo), max_value=math.log10(hi), allow_nan=False,
                     allow_infinity=False).map(lambda e: float(f"{10 ** e:.6g}"))


@st.composite
def activation_params(draw, names: Sequence[str] = ("generalized_relu",)) -> dict:
    """{"activation": name, "a": a, "b": b} with 0 < a <= b (a omitted for ReLU, both for sigmoid)."""
    name = draw(st.sampled_from(list(names)))
    if name == "generalized_relu":
        b = draw(_log_uniform(0.25, 2.0))
        ratio = draw(_log_uniform(0.01, 1.0))
        return {"activation": name, "a": float(f"{b * ratio:.6g}") if ratio < 1 else b, "b": b}
    if name == "relu":
        return {"activation": name, "b": draw(_log_uniform(0.25, 2.0))}
    return {"activation": name}


@st.composite
def glm_settings(draw, activations: Sequence[str] = ("generalized_relu",), outputs: Sequence[int] = (1,),
                 distributions: Sequence[str] = DISTRIBUTIONS, max_m: int = 64, max_d: int = 16,
                 W: tuple[float, float] = (0.25, 8.0), eps: tuple[float, float] | None = None) -> dict:
    """A GLM / multi-output layer setting whose hypotheses hold by construction.

    Keys: activation, a, b, W, wstar (||w*|| / W in (0, 1]), m, d (m < d allowed), k,
    distribution, seed, eps.
    """
    lo, hi = eps if eps is not None else (10 ** EPS_LOG10[0], 10 ** EPS_LOG10[1])
    s = draw(activation_params(activations))
    k = draw(st.sampled_from(list(outputs)))
    if s["activation"] == "softmax" and k < 2:
        k = 2
    s.update({
        "W": draw(_log_uniform(*W)),
        "wstar": draw(st.sampled_from([1.0, 0.5, 0.1])),
        "m": draw(st.integers(min_value=1, max_value=max_m)),
        "d": draw(st.integers(min_value=1, max_value=max_d)),
        "k": int(k),
        "distribution": draw(st.sampled_from(list(distributions))),
        "seed": draw(st.integers(min_value=0, max_value=2**31 - 1)),
        "eps": draw(_log_uniform(lo, hi)),
    })
    return s


@st.composite
def one_hidden_settings(draw, outputs: Sequence[int] = (1,), distributions: Sequence[str] = DISTRIBUTIONS,
                        max_m: int = 32, max_d: int = 8, max_hidden: int = 4,
                        w2: Sequence[str] = ("w2*", "other")) -> dict:
    """A one-hidden-layer teacher setting (generalized ReLU in both layers), hypotheses true by construction."""
    s = draw(activation_params(("generalized_relu",)))
    s.update({
        "W1": draw(_log_uniform(0.25, 4.0)), "W2": draw(_log_uniform(0.25, 4.0)),
        "hidden": draw(st.integers(min_value=1, max_value=max_hidden)),
        "k": draw(st.sampled_from(list(outputs))),
        "m": draw(st.integers(min_value=1, max_value=max_m)),
        "d": draw(st.integers(min_value=1, max_value=max_d)),
        "distribution": draw(st.sampled_from(list(distributions))),
        "seed": draw(st.integers(min_value=0, max_value=2**31 - 1)),
        "eps": draw(_log_uniform(10 ** EPS_LOG10[0], 10 ** EPS_LOG10[1])),
        "w2": draw(st.sampled_from(list(w2))),
    })
    return s


@dataclass
class Case:
    """A drawn setting built into an objective.

    Attributes:
        setting: the JSON-ready setting dict.
        problem: the :class:`~slqc.claims.base.Problem` (f, z, radius, X, Y, hypotheses, ...).
        f, z, radius, eps: shortcuts into problem / setting.
        a, b, W, W1, W2, k: the setting's numbers (None where they do not apply).
    """

    setting: dict
    problem: Problem
    f: Any = field(init=False)
    z: Any = field(init=False)
    radius: float = field(init=False)
    eps: float = field(init=False)

    def __post_init__(self):
        self.f, self.z, self.radius = self.problem.f, self.problem.z, self.problem.radius
        self.eps = float(self.setting["eps"])

    def __getattr__(self, key: str) -> Any:
        if key in ("a", "b", "W", "W1", "W2", "k", "m", "d", "hidden"):
            return self.setting.get(key)
        raise AttributeError(key)

    def __repr__(self) -> str:
        return f"Case({self.setting})"


def glm_cases(loss: str = "squared", **kwargs) -> st.SearchStrategy[Case]:
    """Strategy of built GLM cases (see :func:`glm_settings` for the keyword arguments)."""
    return glm_settings(**kwargs).map(lambda s: Case(s, glm_problem(s, loss=loss)))


def one_hidden_cases(**kwargs) -> st.SearchStrategy[Case]:
    """Strategy of built one-hidden-layer cases (see :func:`one_hidden_settings`)."""
    return one_hidden_settings(**kwargs).map(lambda s: Case(s, one_hidden_problem(s)))


_ASSERT_DIR: list[str] = []


def _assert_dir() -> str:
    """One temporary witness folder per process (a shrinking property test calls assert_slqc many times)."""
    if not _ASSERT_DIR:
        _ASSERT_DIR.append(tempfile.mkdtemp(prefix="slqc-assert-"))
    return _ASSERT_DIR[0]


def _model_of(f: Any) -> tuple[dict, Any, Any, Any] | None:
    """(model dict, X, Y, W2) for the engine's objectives; None for other functions."""
    from .models import GLMObjective, OneHiddenObjective

    if isinstance(f, GLMObjective):
        return ({"model": "glm", "activation": f.act.to_dict(), "loss": f.loss.name, "outputs_1d": not f.multi},
                f.X, f.Y, None)
    if isinstance(f, OneHiddenObjective):
        return ({"model": "one_hidden", "act1": f.act1.to_dict(), "act2": f.act2.to_dict(), "loss": f.loss.name,
                 "outputs_1d": not f.multi}, f.X, f.Y, f.W2)
    return None


def assert_slqc(f: Any, z: Any, eps: float, kappa: float, radius: float, *, center: Any = None,
                budget: str = "quick", seed: int = 0, save_dir: str | None = None, device: Any = None):
    """Assert that f is (eps, kappa, z)-SLQC on B(center, radius), by search.

    Args:
        f: objective, a batch (P, *z.shape) -> (P,) (an engine objective gives a full witness file).
        z: reference point.
        eps, kappa: the claim's eps and kappa (kappa > 0).
        radius, center: the domain (center defaults to the origin).
        budget, seed, device: of the search (:func:`slqc.probe`).
        save_dir: where the witness goes on failure (default: a temporary folder; also
            ``$SLQC_WITNESS_DIR`` when set); without either, every failing call of one process
            writes into the same temporary folder.

    Returns:
        The :class:`~slqc.search.ProbeResult` when no point needs more than kappa.

    Raises:
        AssertionError: a point needs more than kappa; the message prints the witness
            (gap, inner product, gradient norm, kappa_min, the point) and the saved path.
        ValueError: invalid inputs (eps, kappa or radius <= 0, shapes, ...).
    """
    from .search import probe
    from .witness import save_witness

    res = probe(f, z, eps, radius, center=center, budget=budget, seed=seed, device=device, kappa_stop=kappa)
    if not (res.violation or res.exceeded):
        return res
    save_dir = save_dir or os.environ.get("SLQC_WITNESS_DIR") or _assert_dir()
    found = _model_of(f)
    if found is None:
        model, X, Y, W2 = {"model": "custom"}, torch.zeros(1, 1), torch.zeros(1, 1), None
    else:
        model, X, Y, W2 = found
    path = os.path.join(save_dir, f"assert_slqc-eps{eps:.3g}-kappa{kappa:.3g}-seed{seed}.npz")
    domain = {}
    if "radius" in inspect.signature(save_witness).parameters:
        domain = {"center": torch.zeros_like(torch.as_tensor(z)) if center is None else center, "radius": radius}
    save_witness(path, X, Y, z, res.witness, eps, kappa, dict(model, kind="slqc"), W2=W2,
                 meta={"radius": radius, "budget": budget, "seed": seed}, **domain)
    kmin = "inf (no kappa works)" if res.violation else f"{res.kappa:.6g}"
    point = res.witness.detach().cpu().reshape(-1).tolist()
    shown = ", ".join(f"{v:.6g}" for v in point[:8]) + (", ..." if len(point) > 8 else "")
    raise AssertionError(
        f"f is not ({eps:g}, {kappa:g}, z)-SLQC on B(center, {radius:g}): at the witness x\n"
        f"  f(x) - f(z)        = {res.witness_gap:.6g} > eps = {eps:g}\n"
        f"  <grad f(x), x - z> = {res.witness_inner:.6g}\n"
        f"  ||grad f(x)||      = {res.witness_gnorm:.6g}\n"
        f"  kappa_min(x)       = {kmin} > kappa = {kappa:g}\n"
        f"  x = [{shown}]\n"
        f"  witness saved to {path}" + ("" if found is None else f" (re-check: slqc verify {path})"))
