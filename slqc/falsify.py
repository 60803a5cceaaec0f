"""An adversary over the instances of a claim: the data set, teacher and parameters that hurt most.

The SLQC theorems quantify over every data set in the unit ball, every teacher w* (W*, or
W1* and W2*) within its norm bound and every admissible a, b, W, m, d, eps (sections
3.2-3.3). ``slqc check`` tests a fixed grid; :func:`falsify` searches that space for the
instance with the smallest slack claimed kappa / empirical kappa, or with a point where no
kappa works (a violation of Definition 1 / 4 for every kappa > 0).

Outer search (over instances), inner search (over points):

1. **Random instances.** Shapes (m, d) from :data:`SHAPES` (including m < d and tiny m),
   data of several kinds (:data:`DATA_KINDS`: uniform ball, sphere, nonnegative, a
   half-space, a narrow cone, low rank), every row kept in the unit ball; teachers within
   their norm bound (random, along or against the data mean); a, b, W, eps drawn
   log-uniformly within the hypotheses (0 < a <= b).
2. **Batched screening.** Instances with the same shapes are stacked and evaluated
   together: kappa_min (:mod:`slqc.definitions`) at random points of each ball, at
   log-uniform distances around z and at the analytic candidate points
   (:func:`slqc.claims._build.candidate_points`), one batched autograd pass per group.
3. **Inner search.** The best screened instances get the engine's search
   (:func:`slqc.search.probe`) on :class:`~slqc.models.GLMObjective` /
   :class:`~slqc.models.OneHiddenObjective` plus the candidate points.
4. **Evolution.** The best instances are mutated (data perturbed, made nonnegative, rows
   rescaled, teacher rotated or rescaled, a, b, W, eps moved) and the loop repeats.
5. **Final.** The worst instance is searched again with a larger budget and several seeds;
   its worst point is saved as a witness (with the instance's data, domain and setting),
   which ``slqc verify`` re-checks alone.

Ranking (worst for the claim first): a no-kappa point; then the largest empirical /
claimed kappa (smallest slack); claims whose constant is not positive at that eps
(Theorems 4-5 for eps < 4 b^5 W2^2 W1^2 / a) are ranked by their empirical kappa.

Example:
    >>> res = falsify("cor1", budget="quick", instances=8, seed=0)   # doctest: +SKIP
    >>> res.worst.violation                                          # doctest: +SKIP
    True
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from .activations import get_activation
from .claims import get_claim
from .claims._build import ONE_HIDDEN_SEARCH, candidate_points
from .definitions import kappa_from_terms, slqc_terms
from .models import GLMObjective, OneHiddenObjective
from .stack import stack_objectives

#: Claims the adversary knows how to instantiate.
SUPPORTED = ("hazan", "thm1", "thm3", "cor1", "cor2", "thm4", "thm5", "thm6", "thm7")

#: (m, d) shapes drawn for new instances: small m, m < d, m >> d.
SHAPES = ((3, 3), (4, 8), (8, 16), (8, 32), (16, 4), (32, 2), (64, 8), (128, 16))
#: eps of new instances is log-uniform in [1e-5, 1]; mutations move it within this range (the claims hold
#: "for every eps > 0"; beyond sup f - f(z) an instance is vacuous, which the ranking puts last)
EPS_RANGE = (1e-7, 1e3)
DATA_KINDS = ("ball", "sphere", "nonneg", "halfspace", "cone", "lowrank")
TEACHERS = ("random", "along_mean", "against_mean")

#: per budget: instances screened in all, generations of mutation, instances probed per
#: generation, elites kept, screening points per instance, inner probe budget, final budget, final seeds
TIERS: dict[str, dict[str, Any]] = {
    "quick": dict(instances=16, generations=1, probed=3, elites=2, points=96,
                  inner=dict(samples=256, rays=32, grid=16, bisect=24, starts=4, steps=10),
                  final="quick", final_seeds=1),
    "standard": dict(instances=96, generations=3, probed=6, elites=4, points=256,
                     inner=dict(samples=1024, rays=128, grid=20, bisect=30, starts=16, steps=40),
                     final="standard", final_seeds=2),
    "thorough": dict(instances=512, generations=6, probed=12, elites=8, points=1024, inner="quick",
                     final="thorough", final_seeds=3),
}


# ---------------------------------------------------------------------------- instances
@dataclass
class Instance:
    """One instance of a claim: setting numbers and the data.

    Attributes:
        claim: claim name.
        setting: JSON-ready numbers (a, b, W / W1, W2 / Wstar, eps, m, d, k, hidden, ...),
            with ``source = "adversary"`` and how the data and teacher were drawn.
        X: inputs (m, d), rows in the unit ball.
        z: the teacher / reference point: (d,), (d, k) or W1* (d, h).
        W2s: the teacher's outer weights (one hidden layer), else None.
        w2: the fixed outer weights of the objective (one hidden layer), else None.
    """

    claim: str
    setting: dict
    X: torch.Tensor
    z: torch.Tensor
    W2s: torch.Tensor | None = None
    w2: torch.Tensor | None = None

    @property
    def family(self) -> str:
        return "one_hidden" if self.claim in ("thm4", "thm5") else "glm"

    @property
    def search(self) -> dict:
        """Search budget factors, as the check's problems of its claim ask for (``Problem.search``)."""
        return dict(ONE_HIDDEN_SEARCH) if self.family == "one_hidden" else {}

    @property
    def radius(self) -> float:
        """Radius of the claim's domain B(0, R): W, W1, or ||w*|| (Hazan et al.)."""
        s = self.setting
        return float(s["W1"] if self.family == "one_hidden" else (s["Wstar"] if self.claim == "hazan" else s["W"]))

    def shape_key(self) -> tuple:
        return (self.family, self.setting.get("activation"), tuple(self.X.shape), tuple(self.z.shape),
                None if self.w2 is None else tuple(self.w2.shape))


def _act(s: dict):
    return get_activation(s["activation"], a=s.get("a"), b=s.get("b"))


def _loss_name(claim: str) -> str:
    return {"thm6": "bce", "thm7": "ce"}.get(claim, "squared")


def _unit_rows(X: torch.Tensor) -> torch.Tensor:
    """Rows scaled into the unit ball (rows already inside are kept)."""
    n = torch.linalg.vector_norm(X, dim=1, keepdim=True)
    return X / n.clamp_min(1.0)


def _loguniform(g: torch.Generator, lo: float, hi: float) -> float:
    return float(math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * float(torch.rand(1, generator=g))))


def _choice(g: torch.Generator, seq):
    return seq[int(torch.randint(len(seq), (1,), generator=g))]


def _data(kind: str, m: int, d: int, g: torch.Generator) -> torch.Tensor:
    """m rows of dimension d in the unit ball, of the given kind (see :data:`DATA_KINDS`)."""
    X = torch.randn(m, d, generator=g, dtype=torch.float64)
    if kind == "sphere":
        return X / torch.linalg.vector_norm(X, dim=1, keepdim=True).clamp_min(1e-300)
    if kind == "nonneg":
        X = X.abs() * (torch.rand(m, d, generator=g, dtype=torch.float64) < 0.5)
        X[X.sum(1) == 0, 0] = 1.0
    elif kind == "halfspace":  # every row has a positive component along u
        u = torch.randn(d, generator=g, dtype=torch.float64)
        u /= torch.linalg.vector_norm(u)
        c = X @ u
        X = X - c[:, None] * u + c.abs()[:, None] * u
    elif kind == "cone":  # rows close to one direction
        u = torch.randn(d, generator=g, dtype=torch.float64)
        X = u + 0.2 * torch.linalg.vector_norm(u) * X / math.sqrt(d)
    elif kind == "lowrank":
        r = max(1, min(d // 4, 2))
        X = X[:, :r] @ torch.randn(r, d, generator=g, dtype=torch.float64)
    X = X / torch.linalg.vector_norm(X, dim=1, keepdim=True).clamp_min(1e-300)
    return X * torch.rand(m, 1, generator=g, dtype=torch.float64) ** (1.0 / d) if kind == "ball" else X


def _teacher(kind: str, X: torch.Tensor, shape: tuple, norm: float, g: torch.Generator) -> torch.Tensor:
    v = torch.randn(*shape, generator=g, dtype=torch.float64)
    if kind != "random":
        mean = X.mean(0)
        sign = 1.0 if kind == "along_mean" else -1.0
        col = sign * mean / torch.linalg.vector_norm(mean).clamp_min(1e-300)
        v = 0.3 * v / torch.linalg.vector_norm(v) + (col if len(shape) == 1 else col[:, None].expand(shape))
    return norm * v / torch.linalg.vector_norm(v)


#: setting keys that ``fixed`` may pin (see :func:`falsify`)
FIXABLE = ("m", "d", "data", "teacher", "w2", "hidden", "k", "a", "b", "W", "W1", "W2", "eps", "wstar")


def _apply_fixed(s: dict, fixed: dict | None) -> dict:
    for k, v in (fixed or {}).items():
        if k in s or k in ("a", "b", "W", "W1", "W2", "eps"):
            s[k] = v
    if "a" in s and "b" in s and s["a"] > s["b"] and "b" not in (fixed or {}):
        s["b"] = s["a"]
    if "Wstar" in s:
        s["Wstar"] = s["W"]
    return s


def random_instance(claim: str, g: torch.Generator, ident: str = "", fixed: dict | None = None) -> Instance:
    """A random instance of ``claim`` within its hypotheses (see the module docstring).

    Args:
        claim: claim name.
        g: random generator.
        ident: the instance's id (kept in its setting).
        fixed: setting values to pin (keys of :data:`FIXABLE`), e.g. ``{"w2": "w2*"}``.

    Raises:
        ValueError: a claim the adversary does not support, or a pinned value outside the hypotheses.
    """
    if claim not in SUPPORTED:
        raise ValueError(f"falsify supports the claims {', '.join(SUPPORTED)}; got {claim!r}")
    fixed = dict(fixed or {})
    m, d = _choice(g, SHAPES)
    m, d = int(fixed.get("m", m)), int(fixed.get("d", d))
    kind = fixed.get("data", _choice(g, DATA_KINDS))
    tk = fixed.get("teacher", _choice(g, TEACHERS))
    if kind not in DATA_KINDS or tk not in TEACHERS:
        raise ValueError(f"data must be one of {DATA_KINDS} and teacher one of {TEACHERS}")
    X = _data(kind, m, d, g)
    s: dict[str, Any] = {"m": m, "d": d, "k": 1, "data": kind, "teacher": tk, "labels": "idealized",
                         "eps": _loguniform(g, 1e-5, 1.0), "source": "adversary", "instance": ident}
    frac = 1.0 if float(torch.rand(1, generator=g)) < 0.5 else float(0.5 + 0.5 * torch.rand(1, generator=g))
    s["wstar"] = frac
    if claim in ("thm4", "thm5"):
        b = _loguniform(g, 0.5, 2.0)
        h = int(_choice(g, (1, 2, 3, 4, 6)))
        k = 1 if claim == "thm4" else int(_choice(g, (2, 3, 4)))
        s.update(activation="generalized_relu", a=b * _loguniform(g, 0.01, 1.0), b=b, W1=_loguniform(g, 0.25, 4.0),
                 W2=_loguniform(g, 0.25, 4.0), hidden=h, k=k, w2=_choice(g, ("w2*", "w2*", "other")), wstar=1.0)
        if float(torch.rand(1, generator=g)) < 0.2:  # the regime where the claimed kappa is positive
            s["eps"] = 2 * 4 * b**5 * s["W2"] ** 2 * s["W1"] ** 2 / s["a"]
        _apply_fixed(s, fixed)
        h, k = int(s["hidden"]), int(s["k"])
        _check_hyp(claim, s)
        z = _teacher(tk, X, (d, h), s["W1"], g)
        W2s = s["W2"] * _teacher("random", X, (h,) if k == 1 else (h, k), 1.0, g)
        w2 = W2s if s["w2"] == "w2*" else s["W2"] * _teacher("random", X, tuple(W2s.shape), 1.0, g)
        return Instance(claim, s, X, z, W2s, w2)
    if claim == "hazan":
        W = _loguniform(g, 0.25, 8.0)
        s.update(activation="sigmoid", W=W, Wstar=W, wstar=1.0)
    elif claim in ("thm1", "thm3"):
        b = _loguniform(g, 0.25, 4.0)
        s.update(activation="generalized_relu", a=b * _loguniform(g, 0.005, 1.0), b=b, W=_loguniform(g, 0.1, 16.0))
    elif claim in ("cor1", "cor2"):
        s.update(activation="relu", b=_loguniform(g, 0.25, 4.0), W=_loguniform(g, 0.1, 16.0))
    elif claim == "thm6":
        s.update(activation="sigmoid", W=_loguniform(g, 0.25, 32.0))
    elif claim == "thm7":
        s.update(activation="softmax", W=_loguniform(g, 0.25, 32.0))
    if claim in ("thm3", "cor2", "thm7"):
        s["k"] = int(_choice(g, (2, 3, 4)))
    _apply_fixed(s, fixed)
    _check_hyp(claim, s)
    shape = (d,) if s["k"] == 1 else (d, s["k"])
    z = _teacher(tk, X, shape, s["W"] * s["wstar"], g)
    return Instance(claim, s, X, z)


def _check_hyp(claim: str, s: dict) -> None:
    """Refuse pinned values outside the hypotheses (0 < a <= b, positive norms and eps, k >= 2 for softmax)."""
    pos = [k for k in ("a", "b", "W", "W1", "W2", "eps") if k in s and not (isinstance(s[k], (int, float))
                                                                             and 0 < s[k] < math.inf)]
    if pos:
        raise ValueError(f"{', '.join(pos)} must be finite numbers > 0")
    if "a" in s and s["a"] > s["b"]:
        raise ValueError(f"the hypotheses need 0 < a <= b, got a={s['a']}, b={s['b']}")
    if not 0 < s.get("wstar", 1.0) <= 1:
        raise ValueError(f"wstar (||w*|| / W) must lie in (0, 1], got {s['wstar']}")
    if claim in ("thm3", "cor2", "thm7", "thm5") and int(s["k"]) < 2:
        raise ValueError(f"{claim} has several outputs: k >= 2")
    if claim in ("thm1", "cor1", "hazan", "thm6", "thm4") and int(s["k"]) != 1:
        raise ValueError(f"{claim} has one output: k = 1")
    if s.get("w2", "w2*") not in ("w2*", "other"):
        raise ValueError(f"w2 must be 'w2*' or 'other', got {s['w2']!r}")


def mutate(inst: Instance, g: torch.Generator, ident: str = "", fixed: dict | None = None) -> Instance:
    """A child of ``inst`` with the same shapes: 1-3 random moves, each keeping the hypotheses."""
    s = dict(inst.setting, instance=ident, parent=inst.setting.get("instance", ""))
    X, z = inst.X.clone(), inst.z.clone()
    W2s, w2 = inst.W2s, inst.w2
    moves = []
    for _ in range(1 + int(torch.randint(3, (1,), generator=g))):
        mv = _choice(g, ("data", "nonneg", "rows", "teacher", "tnorm", "ab", "W", "eps", "eps"))
        moves.append(mv)
        if mv == "data":
            X = _unit_rows(X + 0.3 * torch.randn(X.shape, generator=g, dtype=X.dtype) / math.sqrt(X.shape[1]))
        elif mv == "nonneg":
            X = X.abs()
        elif mv == "rows":
            X = X * (0.1 + 0.9 * torch.rand(X.shape[0], 1, generator=g, dtype=X.dtype))
        elif mv == "teacher":
            n = torch.linalg.vector_norm(z)
            v = z + 0.5 * n * torch.randn(z.shape, generator=g, dtype=z.dtype) / math.sqrt(z.numel())
            z = n * v / torch.linalg.vector_norm(v)
        elif mv == "tnorm" and inst.family == "glm" and inst.claim != "hazan":
            s["wstar"] = float(min(1.0, max(0.05, s["wstar"] * math.exp(0.5 * float(torch.randn(1, generator=g))))))
        elif mv == "ab" and "a" in s:
            s["a"] = float(min(s["b"], max(1e-3 * s["b"], s["a"] * math.exp(float(torch.randn(1, generator=g))))))
        elif mv == "W":
            key = "W1" if inst.family == "one_hidden" else "W"
            s[key] = float(s[key] * math.exp(0.5 * float(torch.randn(1, generator=g))))
            if inst.claim == "hazan":
                s["Wstar"] = s["W"]
        elif mv == "eps":
            s["eps"] = float(min(EPS_RANGE[1], max(EPS_RANGE[0],
                                                   s["eps"] * math.exp(1.5 * float(torch.randn(1, generator=g))))))
    s["moves"] = "+".join(moves)
    _apply_fixed(s, {k: v for k, v in (fixed or {}).items() if k in ("a", "b", "W", "W1", "W2", "eps", "wstar")})
    # the teacher's norm follows W (and the fraction): ||z|| = W * wstar
    target = s["W1"] if inst.family == "one_hidden" else s["W"] * s["wstar"]
    z = target * z / torch.linalg.vector_norm(z).clamp_min(1e-300)
    return Instance(inst.claim, s, X, z, W2s, w2)


def labels_of(inst: Instance) -> torch.Tensor:
    """The idealized labels: phi(<w*, x_i>), or phi2(W2*^T phi1(W1*^T x_i))."""
    act = _act(inst.setting)
    if inst.family == "one_hidden":
        return act.phi(act.phi(inst.X @ inst.z) @ inst.W2s)
    return act.phi(inst.X @ inst.z)


def objective_of(inst: Instance, device: Any = None):
    """The engine's objective of the instance (on ``device``), and its labels."""
    Y = labels_of(inst)
    dev = None if device is None else torch.device(device)
    X, Yd = inst.X.to(dev) if dev else inst.X, Y.to(dev) if dev else Y
    act = _act(inst.setting)
    if inst.family == "one_hidden":
        return OneHiddenObjective(X, Yd, inst.w2.to(X.device), act, act, "squared"), Y
    return GLMObjective(X, Yd, act, _loss_name(inst.claim)), Y


def model_of(inst: Instance) -> dict:
    """The witness model dict (see :mod:`slqc.witness`)."""
    act = _act(inst.setting)
    if inst.family == "one_hidden":
        return {"model": "one_hidden", "act1": act.to_dict(), "act2": act.to_dict(), "loss": "squared",
                "outputs_1d": inst.setting["k"] == 1}
    return {"model": "glm", "activation": act.to_dict(), "loss": _loss_name(inst.claim),
            "outputs_1d": inst.setting["k"] == 1}


# ---------------------------------------------------------------------------- batched screening
def _batched_values(group: list[Instance], P: torch.Tensor) -> torch.Tensor:
    """f_i at points P (I, N, *S) for a group of same-shape instances -> (I, N), differentiable.

    The instances' objectives as one stack (:func:`slqc.stack.stack_objectives`: batched
    products when they share shapes and activation family; slopes a, b may differ).
    """
    return stack_objectives([objective_of(i, P.device)[0] for i in group])(P)


def screen(group: list[Instance], n_points: int, g: torch.Generator) -> list[tuple[float, bool]]:
    """Largest kappa_min at n_points random / near-z / candidate points of each ball, batched over the group.

    Returns:
        Per instance (kappa_max, violation) where violation means a no-kappa point was seen.
    """
    Z = torch.stack([i.z for i in group])  # (I, *S)
    Iw, S = Z.shape[0], tuple(Z.shape[1:])
    n = int(torch.tensor(S).prod())
    R = torch.tensor([i.radius for i in group], dtype=torch.float64)
    eps = torch.tensor([float(i.setting["eps"]) for i in group], dtype=torch.float64)
    u = torch.randn(Iw, n_points, n, generator=g, dtype=torch.float64)
    u /= torch.linalg.vector_norm(u, dim=2, keepdim=True)
    half = n_points // 2
    r = torch.rand(Iw, n_points, 1, generator=g, dtype=torch.float64)
    pts = torch.empty(Iw, n_points, n, dtype=torch.float64)
    pts[:, :half] = R.view(-1, 1, 1) * r[:, :half] ** (1.0 / n) * u[:, :half]
    near = Z.reshape(Iw, 1, n) + R.view(-1, 1, 1) * torch.exp(math.log(1e-4) * r[:, half:]) * u[:, half:]
    nn_ = torch.linalg.vector_norm(near, dim=2, keepdim=True)
    pts[:, half:] = near * torch.clamp(R.view(-1, 1, 1) / nn_.clamp_min(1e-300), max=1.0)
    cands = [candidate_points(i.X, i.z, i.radius).reshape(-1, n) for i in group]
    c = max(x.shape[0] for x in cands)
    cands = torch.stack([torch.cat([x, x[:1].expand(c - x.shape[0], n)]) for x in cands])
    P = torch.cat([pts, cands], 1).reshape((Iw, -1) + S).requires_grad_(True)
    vals = _batched_values(group, P)
    (grad,) = torch.autograd.grad(vals.sum(), P)
    with torch.no_grad():
        fz = _batched_values(group, Z.unsqueeze(1))  # (I, 1)
        gap = vals - fz
        gf = grad.reshape(Iw, -1, n)
        inner = torch.einsum("ipn,ipn->ip", gf, (P - Z.unsqueeze(1)).reshape(Iw, -1, n))
        gnorm = torch.linalg.vector_norm(gf, dim=2)
        kap = eps.view(-1, 1) * gnorm / inner
        kap = torch.where((inner <= 0) | (gnorm == 0), torch.full_like(kap, math.inf), kap)
        kap = torch.where(gap <= eps.view(-1, 1), torch.zeros_like(kap), kap)
        best = kap.max(1).values
    return [(float(b), math.isinf(float(b))) for b in best]


# ---------------------------------------------------------------------------- inner search
@dataclass
class Evaluation:
    """The inner search on one instance.

    Attributes:
        instance: the instance.
        kappa_claimed: the claim's constant for the instance's setting.
        kappa_empirical: the largest kappa_min found (inf: a no-kappa point).
        violation: a no-kappa point was found.
        witness: the point where kappa_empirical was attained (None if no point has gap > eps).
        gap, inner, gnorm: Definition 1's numbers there.
        points: points evaluated; seconds: wall time; found_at: search or candidate point.
        searched: budget, seeds, strategies of the inner search.
    """

    instance: Instance
    kappa_claimed: float
    kappa_empirical: float
    violation: bool
    witness: torch.Tensor | None
    gap: float | None
    inner: float | None
    gnorm: float | None
    points: int
    seconds: float
    found_at: str = "the search"
    searched: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """kappa_empirical / kappa_claimed: inf on a violation; -1 when the claimed kappa is not positive
        (then :meth:`key` ranks by the empirical kappa); -2 when no point has f(x) - f(z) > eps."""
        if self.violation:
            return math.inf
        if self.kappa_empirical == 0:
            return -2.0
        kc = self.kappa_claimed
        if not (math.isfinite(kc) and kc > 0):
            return -1.0
        return self.kappa_empirical / kc

    @property
    def slack(self) -> float | None:
        """claimed / empirical (0 on a no-kappa point; None when undefined)."""
        if self.violation:
            return 0.0
        kc = self.kappa_claimed
        if not (math.isfinite(kc) and kc > 0) or self.kappa_empirical == 0:
            return None
        return kc / self.kappa_empirical

    def key(self) -> tuple:
        """Sort key, larger = worse for the claim."""
        return (self.violation, self.ratio, self.kappa_empirical)


def evaluate(inst: Instance, budget: Any, seeds: list[int], device: Any = None) -> Evaluation:
    """The engine's search (:func:`slqc.search.probe`, worst over ``seeds``) plus the candidate points."""
    return evaluate_many([inst], budget, [seeds], device)[0]


def evaluate_many(insts: list[Instance], budget: Any, seeds: list[list[int]], device: Any = None) -> list[Evaluation]:
    """:func:`evaluate` on several instances, ``seeds[i]`` for instance i (one length for all).

    Instances of one shape are searched together (instance batching,
    :func:`slqc.search.probe_batch`); each evaluation equals that of the instance alone up to
    float rounding.
    """
    from .check import search_budget
    from .search import probe_batch

    t0 = time.perf_counter()
    out: list[Evaluation | None] = [None] * len(insts)
    groups: dict[tuple, list[int]] = {}
    for i, inst in enumerate(insts):
        groups.setdefault(inst.shape_key(), []).append(i)  # one family per group, so one set of factors
    for idx in groups.values():
        fs = [objective_of(insts[i], device)[0] for i in idx]
        zs = [insts[i].z.to(fs[0].X.device) for i in idx]
        eps = [float(insts[i].setting["eps"]) for i in idx]
        res = probe_batch(fs, zs, eps, [insts[i].radius for i in idx], budget=search_budget(budget, insts[idx[0]]),
                          device=device, instance_seeds=[[int(s) for s in seeds[i]] for i in idx])
        for i, f, z, e, r in zip(idx, fs, zs, eps, res):
            if isinstance(r, Exception):
                raise r
            out[i] = _with_candidates(insts[i], f, z, e, r, budget, seeds[i])
    secs = (time.perf_counter() - t0) / max(1, len(insts))
    for ev in out:
        ev.seconds = secs
    return out  # type: ignore[return-value]


def _with_candidates(inst: Instance, f, z: torch.Tensor, eps: float, res, budget: Any, seeds: list[int]) -> Evaluation:
    """The evaluation of one searched instance, with its analytic candidate points."""
    claim = get_claim(inst.claim)
    kc = float(claim.kappa(inst.setting))
    points = res.points_evaluated
    strategies = {f"seed{p['seed']}": {"kappa": p["kappa"]} for p in res.searched["per_seed"]}
    strategies[f"seed{res.searched['worst_seed']}"] = {k: v.get("kappa") for k, v in res.strategies.items()}
    ev = Evaluation(inst, kc, res.kappa, res.violation, res.witness, res.witness_gap, res.witness_inner,
                    res.witness_gnorm, points, 0.0)
    if not ev.violation:
        cand = candidate_points(inst.X, inst.z, inst.radius).to(z.device)
        t = slqc_terms(f, cand, z)
        k = kappa_from_terms(t, eps)
        i = int(torch.argmax(k))
        points += cand.shape[0]
        if float(k[i]) > ev.kappa_empirical:
            ev.kappa_empirical, ev.witness = float(k[i]), cand[i]
            ev.gap, ev.inner, ev.gnorm = float(t.gap[i]), float(t.inner[i]), float(t.gnorm[i])
            ev.violation, ev.found_at = math.isinf(float(k[i])), "an analytic candidate point"
    ev.points = points
    ev.searched = {"budget": budget if isinstance(budget, str) else dict(budget), "seeds": list(seeds),
                   "strategies": strategies, "candidates": True}
    if isinstance(budget, str) and inst.search:
        ev.searched["budget_scale"] = inst.search
    return ev


# ---------------------------------------------------------------------------- the adversary
@dataclass
class FalsifyResult:
    """What :func:`falsify` found.

    Attributes:
        claim: claim name.
        worst: the final (re-searched) evaluation of the worst instance.
        evaluations: every instance that got the inner search, worst first.
        screened: instances screened in all.
        witness: path of the saved witness (None when no point has f(x) - f(z) > eps).
        confirmed: what ``slqc verify`` says of the witness (None without one).
        verify_message: its one-line message.
        verify_valid: whether ``slqc verify`` accepts the stored instance (domain, hypotheses).
        verify_kappa_min: kappa_min at the witness recomputed by the numpy re-check (it
            ignores the level set: compare with ``worst.kappa_empirical``).
        seconds: wall time.
        budget, seed: the inputs.
    """

    claim: str
    worst: Evaluation
    evaluations: list
    screened: int
    witness: str | None
    confirmed: bool | None
    verify_message: str
    seconds: float
    budget: str
    seed: int
    verify_valid: bool = True
    verify_kappa_min: float | None = None

    def verdict(self) -> tuple[str, str]:
        """(verdict, note) in ``slqc check``'s vocabulary for the worst instance."""
        w = self.worst
        kc = w.kappa_claimed
        where = f"worst of {self.screened} instances ({w.found_at})"
        if w.violation:
            if self.confirmed:
                return "violated", f"{where}: no kappa works at the witness (f(x)-f(z)={w.gap:.3g} > eps)"
            return "inconclusive", f"{where}: no-kappa point NOT confirmed by slqc verify: {self.verify_message}"
        if not (math.isfinite(kc) and kc > 0):
            return "vacuous", f"{where}: claimed kappa = {kc:.4g} is not positive; empirical {w.kappa_empirical:.4g}"
        if w.kappa_empirical == 0:
            return "vacuous", f"{where}: no point with f(x)-f(z) > eps found"
        if w.kappa_empirical > kc:
            if self.confirmed:
                return "violated", f"{where}: kappa_min = {w.kappa_empirical:.4g} > claimed {kc:.4g}"
            return "inconclusive", f"{where}: excess NOT confirmed by slqc verify: {self.verify_message}"
        return "holds", f"{where}: smallest slack {kc / w.kappa_empirical:.4g} (f(x)-f(z)={w.gap:.3g})"

    def records(self, all_instances: bool = False) -> list[dict]:
        """Records in ``slqc check``'s format (``setting["source"] == "adversary"``): the worst
        instance, and with ``all_instances`` every instance that got the inner search."""
        from .check import Checker

        claim = get_claim(self.claim)
        chk = Checker("quick")
        verdict, note = self.verdict()
        searched = {"source": "adversary", "budget": self.budget, "seed": self.seed, "instances": self.screened,
                    **self.worst.searched}
        w = self.worst
        slack = w.slack if verdict == "holds" else None
        out = [chk.record(claim, w.instance.setting, kappa_claimed=w.kappa_claimed, kappa_empirical=w.kappa_empirical,
                          verdict=verdict, witness=self.witness, points=w.points, seconds=self.seconds, note=note,
                          slack=slack, extra={"searched": searched, "no_kappa_point": bool(w.violation),
                                              "vacuous_as_stated": not (math.isfinite(w.kappa_claimed)
                                                                        and w.kappa_claimed > 0),
                                              "witness_check": {"confirmed": self.confirmed,
                                                                "valid": self.verify_valid,
                                                                "kappa_min_numpy": self.verify_kappa_min,
                                                                "message": self.verify_message}})]
        if all_instances:
            for ev in self.evaluations:
                out.append(chk.record(claim, ev.instance.setting, kappa_claimed=ev.kappa_claimed,
                                      kappa_empirical=ev.kappa_empirical, verdict="inconclusive", witness=None,
                                      points=ev.points, seconds=ev.seconds, slack=None,
                                      note="adversary population (short inner search; not a verdict)",
                                      extra={"searched": dict(ev.searched, source="adversary"),
                                             "ratio": ev.ratio}))
        return out

    def summary(self) -> str:
        """A few lines for the terminal."""
        w = self.worst
        s = w.instance.setting
        keys = [k for k in ("activation", "a", "b", "W", "Wstar", "W1", "W2", "hidden", "k", "m", "d", "eps", "data",
                            "teacher", "wstar", "w2") if k in s]
        desc = " ".join(f"{k}={s[k]:.4g}" if isinstance(s[k], float) else f"{k}={s[k]}" for k in keys)
        slack = w.slack
        verdict, note = self.verdict()
        lines = [f"{self.claim}: {verdict}  ({self.screened} instances screened, {len(self.evaluations)} searched, "
                 f"{self.seconds:.1f} s, budget {self.budget}, seed {self.seed})",
                 f"  worst instance: {desc}",
                 f"  kappa claimed = {w.kappa_claimed:.6g}   kappa empirical = {w.kappa_empirical:.6g}   slack = "
                 + ("-" if slack is None else f"{slack:.6g}") + ("   (no kappa works)" if w.violation else ""),
                 f"  {note}"]
        if self.witness:
            lines.append(f"  witness: {self.witness}")
            if verdict in ("violated", "inconclusive"):
                lines.append(f"  slqc verify: {'CONFIRMED' if self.confirmed else 'NOT confirmed'}: "
                             f"{self.verify_message}")
            else:
                lines.append(f"  slqc verify (a re-check of the worst point, not a violation): {self.verify_message}")
            if self.verify_kappa_min is not None and not w.violation:
                lines.append(f"  kappa_min at the witness, recomputed with numpy: {self.verify_kappa_min:.6g}")
        return "\n".join(lines)


def _tier(budget: str) -> dict:
    if budget not in TIERS:
        raise ValueError(f"unknown budget {budget!r}; choose one of: {', '.join(TIERS)}")
    return TIERS[budget]


def falsify(claim_name: str, *, budget: str = "quick", instances: int | None = None, seed: int = 0, device: Any = None,
            witness_dir: str | None = None, progress: bool = False, fixed: dict | None = None) -> FalsifyResult:
    """Search the instances of a claim for the smallest slack, or a point where no kappa works.

    Args:
        claim_name: one of :data:`SUPPORTED`.
        budget: ``quick`` / ``standard`` / ``thorough`` (see :data:`TIERS`).
        instances: instances screened in all (default: the budget's).
        seed: seed of the adversary (instances, mutations) and base seed of the inner searches.
        device: torch device of the inner search (``cpu``/``cuda``; None = cpu).
        witness_dir: where the worst instance's witness goes (default: a temporary folder).
        progress: one line per generation on stderr.
        fixed: setting values to pin (keys of :data:`FIXABLE`), e.g. ``{"w2": "w2*"}`` for the
            reading of Theorems 4-5 where the fixed outer weights are the teacher's.

    Returns:
        :class:`FalsifyResult`.

    Raises:
        ValueError: unknown claim or budget, instances < 2.
    """
    from .verify import verify_witness
    from .witness import save_witness, witness_name

    claim = get_claim(claim_name)
    if claim.name not in SUPPORTED:
        raise ValueError(f"falsify supports the claims {', '.join(SUPPORTED)}; got {claim.name!r}")
    cfg = _tier(budget)
    total = int(cfg["instances"] if instances is None else instances)
    if total < 2:
        raise ValueError(f"instances must be >= 2, got {total}")
    bad = sorted(set(fixed or {}) - set(FIXABLE))
    if bad:
        raise ValueError(f"cannot pin {', '.join(bad)}; pin any of: {', '.join(FIXABLE)}")
    if device is not None and str(device) != "cpu":
        from . import _validate as V

        device = V.resolve_device(device)
    t0 = time.perf_counter()
    g = torch.Generator()
    g.manual_seed(int(seed))
    gens = int(cfg["generations"])
    per_gen = max(2, total // (gens + 1))
    screened = 0
    evaluated: list[Evaluation] = []
    elites: list[Evaluation] = []
    counter = 0

    def log(msg: str) -> None:
        if progress:
            print(f"[falsify {claim.name}] {msg}", file=sys.stderr, flush=True)

    for gen in range(gens + 1):
        n_new = per_gen if gen < gens else total - screened
        pop: list[Instance] = []
        for j in range(max(0, n_new)):
            ident = f"g{gen}i{counter}"
            counter += 1
            if gen > 0 and elites and j < (2 * n_new) // 3:
                pop.append(mutate(elites[j % len(elites)].instance, g, ident, fixed))
            else:
                pop.append(random_instance(claim.name, g, ident, fixed))
        if not pop:
            break
        screened += len(pop)
        groups: dict[tuple, list[int]] = {}
        for i, inst in enumerate(pop):
            groups.setdefault(inst.shape_key(), []).append(i)
        scores: list[tuple] = [(False, -2.0, 0.0)] * len(pop)
        for idx in groups.values():
            grp = [pop[i] for i in idx]
            for i, (kap, viol) in zip(idx, screen(grp, int(cfg["points"]), g)):
                kc = float(claim.kappa(pop[i].setting))
                if viol:
                    ratio = math.inf
                elif kap == 0:
                    ratio = -2.0
                else:
                    ratio = kap / kc if math.isfinite(kc) and kc > 0 else -1.0
                scores[i] = (viol, ratio, kap)
        order = sorted(range(len(pop)), key=lambda i: scores[i], reverse=True)[: int(cfg["probed"])]
        first = len(evaluated)  # the inner searches of a generation run as one batch per shape
        evaluated.extend(evaluate_many([pop[i] for i in order], cfg["inner"],
                                       [[int(seed) + first + j] for j in range(len(order))], device))
        elites = sorted(evaluated, key=Evaluation.key, reverse=True)[: int(cfg["elites"])]
        b = elites[0]
        log(f"generation {gen}: {screened} screened, {len(evaluated)} searched; worst ratio empirical/claimed = "
            f"{b.ratio:.4g}{' (no kappa works)' if b.violation else ''}")
    worst0 = elites[0]
    seeds = [int(seed) + 1000 + i for i in range(int(cfg["final_seeds"]))]
    worst = evaluate(worst0.instance, cfg["final"], seeds, device)
    if Evaluation.key(worst0) > Evaluation.key(worst):  # keep the point the short search found if it was worse
        worst0.searched = dict(worst0.searched, final=worst.searched)
        worst = worst0
    path, confirmed, msg, valid, kmin = None, None, "no witness: no point with f(x) - f(z) > eps", True, None
    if worst.witness is not None:
        inst = worst.instance
        kc = worst.kappa_claimed
        kind = "slqc" if (math.isfinite(kc) and kc > 0) else "no_kappa"
        wdir = witness_dir or tempfile.mkdtemp(prefix="slqc-falsify-")
        os.makedirs(wdir, exist_ok=True)
        path = os.path.join(wdir, witness_name(claim.name, inst.setting, f"adversary-s{seed}"))
        _, Y = objective_of(inst)
        meta = {"claim": claim.name, "theorem": claim.theorem, "setting": inst.setting, "budget": budget,
                "source": "adversary", "seed": int(seed), "kappa_empirical": worst.kappa_empirical,
                "no_kappa_point": bool(worst.violation)}
        w2s = None if inst.W2s is None or inst.setting.get("w2") == "w2*" else inst.W2s
        save_witness(path, inst.X, Y, inst.z, worst.witness.detach().cpu(), float(inst.setting["eps"]),
                     kc if math.isfinite(kc) else 0.0, dict(model_of(inst), kind=kind),
                     W2=inst.w2, meta=meta, center=None, radius=inst.radius, W2_star=w2s)
        chk = verify_witness(path)
        confirmed, msg, valid, kmin = chk.fails, chk.message, chk.valid, chk.kappa_min
    evaluated.sort(key=Evaluation.key, reverse=True)
    return FalsifyResult(claim.name, worst, evaluated, screened, path, confirmed, msg, time.perf_counter() - t0,
                         budget, int(seed), verify_valid=valid, verify_kappa_min=kmin)
