"""Search-strength benchmark (``slqc bench --search``): found / true kappa on analytic functions.

Each case is a function with a known supremum of kappa_min (Definition 1/4) over its
domain B(c, R), derived in the docstring of its builder. Two kinds:

* ``finite``: the supremum is a finite number; the probe's result is reported as
  found / true (the probe returns kappa_min at evaluated points, so found / true <= 1 up to
  rounding; the goal at the standard budget is >= 0.95).
* ``violation``: a violation is planted (a point with f(x) - f(z) > eps and
  <grad f(x), x - z> <= 0, given in closed form), so the supremum is inf. The planted
  regions sit away from z and have a tiny volume (1e-8 to 1e-6 of the ball, estimated by Monte
  Carlo inside a small ball around them, see :func:`violation_volume`; a uniform sample of
  20000 points of the ball misses them); the probe must find a violation.

Common notation: u = x - z; for a point set of shape S the variable is flattened.
A fact used several times: if f(z + t u) - f(z) is increasing in t >= 0 and kappa_min is
eps ||g|| / <g, u>, the supremum over {gap > eps} is approached on the level set gap = eps.

Goal (issue 10): at the ``standard`` budget, seed 0, every finite case reaches >= 0.95 of the
truth and every planted violation is found.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from . import _validate as V
from .search import BUDGETS, probe

GOAL_RATIO = 0.95
GOAL_BUDGET = "standard"
GOAL_SEED = 0

_DT = torch.float64


@dataclass
class Case:
    """One benchmark function.

    Attributes:
        name: short name.
        kind: ``finite`` or ``violation``.
        f: objective, (P, *S) -> (P,).
        z: reference point (shape S).
        center, radius: the domain B(center, radius).
        eps: eps of Definition 1.
        truth: the supremum of kappa_min over the domain (inf for planted violations).
        point: a closed-form point of the domain: where the supremum is approached (finite)
            or a planted violation (violation).
        region: (centre p, radius rho) of a ball of the domain that holds the planted
            violation region (violation cases), for :func:`violation_volume`.
        note: one line on what makes the case hard.
    """

    name: str
    kind: str
    f: Callable[[torch.Tensor], torch.Tensor]
    z: torch.Tensor
    center: torch.Tensor
    radius: float
    eps: float
    truth: float
    point: torch.Tensor
    region: tuple[torch.Tensor, float] | None = None
    note: str = ""
    meta: dict = field(default_factory=dict)


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1)


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / torch.linalg.vector_norm(v)


def _rotation(n: int, seed: int) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(n, n, dtype=_DT, generator=torch.Generator().manual_seed(seed)))
    return q


def _gauss(x: torch.Tensor, p: torch.Tensor, s: float) -> torch.Tensor:
    return torch.exp(-((_flat(x) - p) ** 2).sum(1) / (2 * s * s))


# ------------------------------------------------------------------------------ finite cases
def quadratic_cond1e3() -> Case:
    """f(x) = (x - z)^T S (x - z), S = Q diag(logspace(0, 3, 10)) Q^T (condition 1e3), n = 10.

    Derivation: g = 2 S u, <g, u> = 2 u^T S u, so kappa_min = eps ||S u|| / (u^T S u). Along
    a ray u = t v it equals eps ||S v|| / (t v^T S v), decreasing in t, so the supremum over
    {gap > eps} is approached on the level set u^T S u = eps, where kappa = ||S u||. Its
    maximum over the ellipsoid u^T S u = eps is sqrt(eps lambda_max) (u along the top
    eigenvector q_1, ||u|| = sqrt(eps / lambda_max) = 0.0032, inside the ball). Truth:
    sqrt(0.01 * 1000) = 3.1623. z = 0.3 w (w a unit vector), c = 0, R = 1.5, eps = 0.01.
    """
    n, eps = 10, 0.01
    Q = _rotation(n, 1)
    lam = torch.logspace(0, 3, n, dtype=_DT)
    S = Q @ torch.diag(lam) @ Q.T
    z = 0.3 * _unit(torch.randn(n, dtype=_DT, generator=torch.Generator().manual_seed(2)))
    f = lambda x: torch.einsum("pi,ij,pj->p", x - z, S, x - z)
    q1 = Q[:, -1]
    return Case("quadratic_cond1e3", "finite", f, z, torch.zeros(n, dtype=_DT), 1.5, eps,
                math.sqrt(eps * float(lam.max())), z + math.sqrt(eps / float(lam.max())) * 1.000001 * q1,
                note="condition 1e3: the worst points are a thin cap of the level set along q_1")


def quartic() -> Case:
    """f(x) = ||x - z||^4, n = 6, z = (0.5, 0, ...), c = 0, R = 1, eps = 1e-3.

    Derivation: g = 4 ||u||^2 u, ||g|| = 4 ||u||^3, <g, u> = 4 ||u||^4, so
    kappa_min = eps / ||u||, largest at the smallest ||u|| with ||u||^4 > eps, i.e.
    ||u|| -> eps^(1/4) = 0.178 (the sphere ||u|| = 0.178 around z lies inside B(0, 1), since
    ||z|| + 0.178 < 1). Truth: eps^(3/4) = 0.005623.
    Not strongly convex at z (the Hessian vanishes there).
    """
    n, eps = 6, 1e-3
    z = torch.zeros(n, dtype=_DT)
    z[0] = 0.5
    f = lambda x: ((x - z) ** 2).sum(1) ** 2
    e = torch.zeros(n, dtype=_DT)
    e[1] = 1.0
    return Case("quartic", "finite", f, z, torch.zeros(n, dtype=_DT), 1.0, eps, eps ** 0.75,
                z + eps ** 0.25 * 1.000001 * e, note="degenerate (quartic) minimum")


def pseudo_huber() -> Case:
    """f(x) = sqrt(1 + u^T S u) - 1, S = Q diag(logspace(0, 2, 8)) Q^T, n = 8, eps = 0.05.

    Convex, not strongly convex (it grows linearly). Derivation: g = S u / s with
    s = sqrt(1 + u^T S u), so kappa_min = eps ||S u|| / (u^T S u), decreasing along rays; gap > eps
    iff u^T S u > c = (1 + eps)^2 - 1. The supremum is the maximum over u^T S u = c of
    eps ||S u|| / c = eps sqrt(lambda_max / c) (top eigenvector, ||u|| = sqrt(c / lambda_max)
    = 0.032). Truth: 0.05 sqrt(100 / 0.1025) = 1.5617. z random with ||z|| = 0.5, R = 1.
    """
    n, eps = 8, 0.05
    Q = _rotation(n, 3)
    lam = torch.logspace(0, 2, n, dtype=_DT)
    S = Q @ torch.diag(lam) @ Q.T
    z = 0.5 * _unit(torch.randn(n, dtype=_DT, generator=torch.Generator().manual_seed(4)))
    f = lambda x: torch.sqrt(1 + torch.einsum("pi,ij,pj->p", x - z, S, x - z)) - 1
    c = (1 + eps) ** 2 - 1
    lmax = float(lam.max())
    return Case("pseudo_huber", "finite", f, z, torch.zeros(n, dtype=_DT), 1.0, eps, eps * math.sqrt(lmax / c),
                z + math.sqrt(c / lmax) * 1.000001 * Q[:, -1], note="convex, linear growth, condition 100")


def logcosh_ridge() -> Case:
    """f(x) = 2 log cosh(<a, u> / 2), ||a|| = 3, n = 8, eps = 0.02: flat in 7 directions.

    Not strongly convex (rank-one curvature, linear growth). With s = <a, u>:
    h(s) = 2 log cosh(s / 2), h'(s) = tanh(s / 2), g = h'(s) a, <g, u> = h'(s) s > 0 for s != 0,
    ||g|| = |h'(s)| ||a||, so kappa_min = eps ||a|| / |s|; gap > eps iff |s| > s_eps with
    h(s_eps) = eps, s_eps = 2 arccosh(exp(eps / 2)) = 0.2833. Truth: eps ||a|| / s_eps = 0.2118 (the slab
    |s| in (s_eps, s_eps (1 + delta)) meets the ball). z = 0.4 w, c = 0, R = 1.
    """
    n, eps = 8, 0.02
    a = 3.0 * _unit(torch.randn(n, dtype=_DT, generator=torch.Generator().manual_seed(5)))
    z = 0.4 * _unit(torch.randn(n, dtype=_DT, generator=torch.Generator().manual_seed(6)))
    f = lambda x: 2 * torch.log(torch.cosh(((x - z) @ a) / 2))
    s_eps = 2 * math.acosh(math.exp(eps / 2))
    return Case("logcosh_ridge", "finite", f, z, torch.zeros(n, dtype=_DT), 1.0, eps, eps * 3.0 / s_eps,
                z + s_eps * 1.000001 * a / 9.0, note="not strongly convex: flat in 7 of 8 directions")


def pl_max() -> Case:
    """f(x) = max_j <a_j, x - z>, 12 pieces in n = 5 with norms in [0.5, 2], eps = 0.05.

    Piecewise linear. In the open region of piece j (a cone with apex z), g = a_j and
    <g, u> = <a_j, u> = gap, so kappa_min = eps ||a_j|| / gap < ||a_j|| when gap > eps, and it
    tends to ||a_j|| as the point moves along its ray towards z until gap -> eps (the ray stays
    in the cone and, near z, in the ball). Piece j is active at u = a_j when
    ||a_j||^2 > <a_i, a_j> for every i != j (checked at construction). Truth:
    max_j ||a_j|| over the active pieces (= 2.0 here, the norm of the largest piece).
    z = 0.3 w, c = 0, R = 1.
    """
    n, eps, m = 5, 0.05, 12
    gen = torch.Generator().manual_seed(7)
    A = torch.randn(m, n, dtype=_DT, generator=gen)
    A = A / torch.linalg.vector_norm(A, dim=1, keepdim=True)
    A = A * torch.linspace(0.5, 2.0, m, dtype=_DT).unsqueeze(1)
    G = A @ A.T
    active = (G.diagonal().unsqueeze(0) > G - torch.eye(m, dtype=_DT) * 1e9).all(0)  # ||a_j||^2 > <a_i, a_j>, i != j
    nrm = torch.linalg.vector_norm(A, dim=1)
    j = int(torch.argmax(torch.where(active, nrm, torch.zeros_like(nrm))))
    z = 0.3 * _unit(torch.randn(n, dtype=_DT, generator=gen))
    f = lambda x: ((x - z) @ A.T).max(1).values
    pt = z + eps * 1.000001 * A[j] / float(nrm[j]) ** 2
    return Case("pl_max", "finite", f, z, torch.zeros(n, dtype=_DT), 1.0, eps, float(nrm[j]), pt,
                note="piecewise linear, 12 pieces", meta={"active_pieces": int(active.sum())})


def matrix_quadratic() -> Case:
    """f(W) = ||A (W - Z) B||_F^2, W of shape (4, 3), A (4 x 4, condition 30), B (3 x 3, condition 10).

    vec(A U B) = (B^T kron A) vec(U), so f is the quadratic u^T S u with S = (B B^T) kron (A^T A),
    lambda_max(S) = sigma_max(A)^2 sigma_max(B)^2. As in :func:`quadratic_cond1e3`, the truth is
    sqrt(eps lambda_max(S)) = sqrt(eps) sigma_max(A) sigma_max(B), approached at
    U = sqrt(eps) / (sigma_max(A) sigma_max(B)) * v_A w_B^T (top singular vectors) with ||U|| small.
    Z random with ||Z||_F = 0.5, c = 0, R = 1.5, eps = 0.01. Frobenius norms throughout (Definition 4).
    """
    eps = 0.01
    QA, QB = _rotation(4, 8), _rotation(3, 9)
    sa = torch.tensor([30.0, 8.0, 3.0, 1.0], dtype=_DT)
    sb = torch.tensor([10.0, 3.0, 1.0], dtype=_DT)
    A = QA @ torch.diag(sa) @ _rotation(4, 10)
    B = _rotation(3, 11) @ torch.diag(sb) @ QB
    Z = torch.randn(4, 3, dtype=_DT, generator=torch.Generator().manual_seed(12))
    Z = 0.5 * Z / torch.linalg.vector_norm(Z)
    f = lambda W: ((A @ (W - Z) @ B) ** 2).sum((1, 2))
    # worst direction: U = v w^T, v the top right singular vector of A, w the top left one of B
    _, sva, vah = torch.linalg.svd(A)
    ub, svb, _ = torch.linalg.svd(B)
    U = vah[0].unsqueeze(1) @ ub[:, 0].unsqueeze(0)
    scale = math.sqrt(eps) / float(sva[0] * svb[0]) * 1.000001
    return Case("matrix_quadratic", "finite", f, Z, torch.zeros(4, 3, dtype=_DT), 1.5, eps,
                math.sqrt(eps) * float(sva[0] * svb[0]), Z + scale * U, note="matrix variable (4 x 3), condition 300")


def saddle() -> Case:
    """f(x) = x_1^2 - x_2^2 + x_3^2 + x_4^2, z = c = 0, R = 1, eps = 0.01: a saddle at z.

    f is homogeneous of degree 2, so <g, x> = 2 f(x) (Euler) and ||g|| = 2 ||x||:
    kappa_min = eps ||x|| / gap < ||x|| <= R when gap > eps, and it tends to R on the points of the
    sphere ||x|| = R where gap -> eps (x_1^2 - x_2^2 + x_3^2 + x_4^2 = eps has points of norm R
    since eps < R^2). Truth: R = 1. The worst points are the thin strip of the sphere next to the
    cone {f = eps}; z is a saddle, not a minimizer.
    """
    n, eps = 4, 0.01
    sg = torch.tensor([1.0, -1.0, 1.0, 1.0], dtype=_DT)
    f = lambda x: (sg * x * x).sum(1)
    # x_1^2 - x_2^2 = eps(1+d), x_1^2 + x_2^2 = 1 (1 - tiny)
    r2 = 1.0 - 1e-9
    x1 = math.sqrt((r2 + eps * 1.000001) / 2)
    x2 = math.sqrt((r2 - eps * 1.000001) / 2)
    pt = torch.tensor([x1, x2, 0.0, 0.0], dtype=_DT)
    return Case("saddle", "finite", f, torch.zeros(n, dtype=_DT), torch.zeros(n, dtype=_DT), 1.0, eps, 1.0, pt,
                note="saddle at z; supremum on the boundary sphere")


def outside_domain() -> Case:
    """f(x) = ||x||^2, z = 0 OUTSIDE the domain B((3, 0, 0), 1), eps = 0.01 (issue 10's soundness case).

    Every point of the domain has gap = ||x||^2 >= 4 > eps; kappa_min = eps ||2x|| / (2 ||x||^2)
    = eps / ||x||, largest at the point of the domain nearest to z, ||x|| = 2. Truth: eps / 2 = 0.005.
    A search that leaves the domain reports more (any point nearer to z).
    """
    n, eps = 3, 0.01
    c = torch.tensor([3.0, 0.0, 0.0], dtype=_DT)
    f = lambda x: (x**2).sum(1)
    return Case("outside_domain", "finite", f, torch.zeros(n, dtype=_DT), c, 1.0, eps, eps / 2.0,
                torch.tensor([2.0 + 1e-9, 0.0, 0.0], dtype=_DT), note="z outside the domain")


# --------------------------------------------------------------------------- violation cases
def dip() -> Case:
    """A dip away from z: f = ||u||^2 - A G(x; p, s), n = 8, eps = 0.01.

    G(x; p, s) = exp(-||x - p||^2 / (2 s^2)), A = 0.5, s = 0.15; z = -0.3 e_1, p = 0.6 e_1 + 0.1 e_2
    (|p - z| = t_p = 0.906), c = 0, R = 1. Planted violation: on the ray from z through p,
    x = z + t v (v = (p - z) / t_p), h(t) = f(z + t v) has h'(t) = 2t + (A / s^2)(t - t_p) G. At
    t = t_p - s: h' = 2 (0.756) - (A / s) e^(-1/2) = 1.51 - 2.02 < 0, so <g, x - z> = t h'(t) < 0,
    while gap = t^2 - A e^(-1/2) = 0.571 - 0.303 > eps. Truth: inf. In 8 dimensions the violation
    region (within 0.3 of p) is about 7e-9 of the ball (:func:`violation_volume`), though the dip
    bends the gradients over a much larger region.
    """
    n, eps = 8, 0.01
    z = torch.zeros(n, dtype=_DT)
    z[0] = -0.3
    p = torch.zeros(n, dtype=_DT)
    p[0], p[1] = 0.6, 0.1
    A, s = 0.5, 0.15
    f = lambda x: ((_flat(x) - z) ** 2).sum(1) - A * _gauss(x, p, s)
    v = _unit(p - z)
    tp = float(torch.linalg.vector_norm(p - z))
    return Case("dip", "violation", f, z, torch.zeros(n, dtype=_DT), 1.0, eps, math.inf, z + (tp - s) * v,
                region=(p, 0.3), note="dip (width 0.15) 0.91 from z, n = 8")


def bump() -> Case:
    """A spurious bump: f = ||u||^2 + A G(x; p, s), n = 6, eps = 0.01.

    A = 0.3, s = 0.08; z = 0 = c, p = 0.6 e_2, R = 1. Beyond the bump (away from z) the bump
    pulls the gradient back towards z. Planted violation: x = (t_p + s) e_2, t_p = 0.6, where
    h'(t) = 2t - (A / s) e^(-1/2) = 1.36 - 2.27 < 0 (so <g, x> < 0), and gap = t^2 + A e^(-1/2) > eps.
    Truth: inf. The violation region lies within 0.2 of p (about 4e-7 of the ball).
    """
    n, eps = 6, 0.01
    z = torch.zeros(n, dtype=_DT)
    p = torch.zeros(n, dtype=_DT)
    p[1] = 0.6
    A, s = 0.3, 0.08
    f = lambda x: (_flat(x) ** 2).sum(1) + A * _gauss(x, p, s)
    return Case("bump", "violation", f, z, torch.zeros(n, dtype=_DT), 1.0, eps, math.inf,
                (0.6 + s) * _unit(p), region=(p, 0.2), note="bump (width 0.08) 0.6 from z, n = 6")


def band() -> Case:
    """A narrow non-convex band: f = ||u||^2 - A sigmoid((<e_1, x> - b)/w) G_perp(x), n = 5, eps = 0.01.

    G_perp(x) = exp(-||P(x - p)||^2 / (2 s^2)) with P the projection orthogonal to e_1,
    p = (b, 0.3, 0, 0, 0), b = 0.6, w = 0.01, s = 0.1, A = 0.1; z = c = 0, R = 1. Across the
    band f drops by up to A within a width ~w (a step down, limited laterally to ~s).
    Planted violation at x = p: there sigmoid' = 1/4 and grad G_perp = 0, so
    g = 2 p - (A / (4 w)) e_1 and <g, p> = 2 ||p||^2 - A b / (4 w) = 0.9 - 1.5 < 0, while
    gap = 0.45 - A / 2 = 0.4 > eps. Truth: inf. The violation region is a slab of width ~0.03
    times a 4-ball of radius ~0.1: about 1.4e-6 of the ball.
    """
    n, eps = 5, 0.01
    b, w, s, A = 0.6, 0.01, 0.1, 0.1
    p = torch.tensor([b, 0.3, 0.0, 0.0, 0.0], dtype=_DT)

    def f(x):
        xf = _flat(x)
        perp = ((xf[:, 1:] - p[1:]) ** 2).sum(1)
        return (xf**2).sum(1) - A * torch.sigmoid((xf[:, 0] - b) / w) * torch.exp(-perp / (2 * s * s))

    return Case("band", "violation", f, torch.zeros(n, dtype=_DT), torch.zeros(n, dtype=_DT), 1.0, eps, math.inf,
                p.clone(), region=(p, 0.25), note="narrow band (width 0.01) 0.67 from z")


def saddle_planted() -> Case:
    """A saddle point of f away from z: f = ||u||^2 - (2 <u_p, x - p> + C (x - p)_4^2) H(x; p, s), n = 4.

    H(x; p, s) = exp(-(||x - p||^2 / (2 s^2))^2) is a flat-topped bump (H = 1 - O(|d|^4), grad H =
    O(|d|^3), d = x - p). z = 0 = c, p = (0, 0, 0.7, 0), u_p = p - z, s = 0.05, C = 3, R = 1,
    eps = 0.01. At x = p, g(p) = 2 u_p - 2 u_p = 0 and the Hessian is
    2 I - 2 C e_4 e_4^T = diag(2, 2, 2, -4): a saddle point, where gap = ||p||^2 = 0.49 > eps and
    no kappa works (Definition 1 needs ||g|| > 0). Near p, g = 2 d - 2 C d_4 e_4 + O(|d|^3 / s^2),
    so the points with <d, p> < -|d|^2 (the side of p facing z) are violations as well. Truth: inf.
    The region lies within 0.1 of p (about 7e-8 of the ball).
    """
    n, eps = 4, 0.01
    z = torch.zeros(n, dtype=_DT)
    p = torch.tensor([0.0, 0.0, 0.7, 0.0], dtype=_DT)
    s, C = 0.05, 3.0
    up = p - z

    def f(x):
        xf = _flat(x)
        d = xf - p
        H = torch.exp(-(((d**2).sum(1) / (2 * s * s)) ** 2))
        return ((xf - z) ** 2).sum(1) - (2 * (d @ up) + C * d[:, 3] ** 2) * H

    return Case("saddle_planted", "violation", f, z, torch.zeros(n, dtype=_DT), 1.0, eps, math.inf, p.clone(),
                region=(p, 0.1), note="saddle point of f (width 0.05) 0.7 from z")


BUILDERS: dict[str, Callable[[], Case]] = {
    "quadratic_cond1e3": quadratic_cond1e3, "quartic": quartic, "pseudo_huber": pseudo_huber,
    "logcosh_ridge": logcosh_ridge, "pl_max": pl_max, "matrix_quadratic": matrix_quadratic, "saddle": saddle,
    "outside_domain": outside_domain, "dip": dip, "bump": bump, "band": band, "saddle_planted": saddle_planted,
}


def cases(names: list[str] | None = None) -> list[Case]:
    """The benchmark cases (all by default), in float64 on the CPU.

    Raises:
        ValueError: an unknown case name.
    """
    names = list(names or BUILDERS)
    for n in names:
        V.choice("case", n, tuple(BUILDERS))
    return [BUILDERS[n]() for n in names]


def violation_volume(case: Case, samples: int = 200_000, seed: int = 0) -> float:
    """Monte Carlo estimate of the planted violation region's share of the domain's volume.

    Samples uniformly in the ball B(p, rho) of ``case.region`` (assumed to hold the whole
    violation region inside the domain) and scales by (rho / R)^n.
    """
    from .definitions import kappa_min

    if case.region is None:
        raise ValueError(f"case {case.name} has no planted region")
    p, rho = case.region
    n = p.numel()
    gen = torch.Generator().manual_seed(seed)
    g = torch.randn(samples, n, dtype=_DT, generator=gen)
    u = g / torch.linalg.vector_norm(g, dim=1, keepdim=True)
    r = rho * torch.rand(samples, dtype=_DT, generator=gen) ** (1.0 / n)
    x = p.reshape(-1) + r.unsqueeze(1) * u
    inside = torch.linalg.vector_norm(x - case.center.reshape(-1), dim=1) <= case.radius
    k = kappa_min(case.f, x.reshape((-1,) + tuple(case.z.shape)), case.z, case.eps)
    frac = float((torch.isinf(k) & inside).to(_DT).mean())
    return frac * (rho / case.radius) ** n


def _budget_arg(b: Any):
    if isinstance(b, dict):
        return b
    V.choice("budget", b, tuple(BUDGETS))
    return b


def run(budgets=("quick", "standard"), seeds=(0,), names: list[str] | None = None, device: Any = None,
        progress: bool = False) -> dict:
    """Run every case at every budget and seed (one probe per seed).

    Args:
        budgets: budget names (or custom budget dicts) of :func:`slqc.probe`.
        seeds: search seeds; each is run and reported on its own.
        names: case names (all by default).
        device: torch device of the search.
        progress: print one line per probe.

    Returns:
        ``{"rows": [...], "summary": [...], "goal": {...}}``: a row per (case, budget, seed)
        with found, truth, ratio (found / truth for finite cases), found_violation (violation
        cases), ok, points, seconds; a summary per (budget, seed): the smallest ratio over the
        finite cases, whether every planted violation was found, and whether the goal holds.
    """
    dev = V.resolve_device(device) if device is not None else None
    rows = []
    cs = cases(names)
    for b in budgets:
        _budget_arg(b)
        bname = b if isinstance(b, str) else "custom"
        for s in seeds:
            for c in cs:
                t0 = time.perf_counter()
                z = c.z.to(dev) if dev is not None else c.z
                cen = c.center.to(dev) if dev is not None else c.center
                r = probe(c.f, z, c.eps, c.radius, center=cen, budget=b, seed=int(s), device=dev)
                dist = (None if r.witness is None else
                        float(torch.linalg.vector_norm((r.witness - cen).reshape(-1).double())))
                row = {"case": c.name, "kind": c.kind, "budget": bname, "seed": int(s), "found": r.kappa,
                       "truth": c.truth, "points": r.points_evaluated, "seconds": time.perf_counter() - t0,
                       "witness_in_domain": dist is None or dist <= c.radius, "note": c.note}
                if c.kind == "finite":
                    row["ratio"] = r.kappa / c.truth
                    row["ok"] = bool(GOAL_RATIO <= row["ratio"] <= 1 + 1e-9 and row["witness_in_domain"])
                else:
                    row["found_violation"] = bool(r.violation)
                    row["ok"] = bool(r.violation and row["witness_in_domain"])
                rows.append(row)
                if progress:
                    print(_row_line(row), flush=True)
    summary = []
    for b in budgets:
        bname = b if isinstance(b, str) else "custom"
        for s in seeds:
            rs = [r for r in rows if r["budget"] == bname and r["seed"] == int(s)]
            fin = [r["ratio"] for r in rs if r["kind"] == "finite"]
            vio = [r["found_violation"] for r in rs if r["kind"] == "violation"]
            summary.append({"budget": bname, "seed": int(s), "min_ratio": min(fin) if fin else None,
                            "violations_found": sum(vio), "violations_planted": len(vio),
                            "all_ok": all(r["ok"] for r in rs),
                            "points": sum(r["points"] for r in rs), "seconds": sum(r["seconds"] for r in rs)})
    goal = [s for s in summary if s["budget"] == GOAL_BUDGET and s["seed"] == GOAL_SEED]
    return {"rows": rows, "summary": summary,
            "goal": {"budget": GOAL_BUDGET, "seed": GOAL_SEED, "ratio": GOAL_RATIO,
                     "met": goal[0]["all_ok"] if goal else None}}


def _fmt(v: float) -> str:
    return "inf" if v == math.inf else f"{v:.6g}"


def _row_line(r: dict) -> str:
    if r["kind"] == "finite":
        res = f"found/true {r['ratio']:.4f}"
    else:
        res = "violation FOUND" if r["found_violation"] else "violation MISSED"
    return (f"{r['case']:18s} {r['budget']:8s} seed {r['seed']:<3d} found {_fmt(r['found']):>10s}  "
            f"true {_fmt(r['truth']):>8s}  {res:22s} {'ok' if r['ok'] else 'FAIL':4s} "
            f"{r['points']:>8d} pts {r['seconds']:6.2f} s")


def run_cli(args) -> int:
    """``slqc bench --search [--budget quick,standard] [--seeds 0,1] [--json PATH]``."""
    from .jsonio import write

    budgets = [b.strip() for b in (args.budget or "quick,standard").split(",") if b.strip()]
    for b in budgets:
        V.choice("budget", b, tuple(BUDGETS))
    try:
        seeds = [int(s) for s in (args.seeds or "0").split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"--seeds must be comma-separated integers, got {args.seeds!r}") from None
    if not seeds:
        raise ValueError("--seeds: give at least one seed")
    out = run(budgets, seeds, device=getattr(args, "device", None), progress=True)
    print()
    for s in out["summary"]:
        mr = "-" if s["min_ratio"] is None else f"{s['min_ratio']:.4f}"
        print(f"summary {s['budget']:8s} seed {s['seed']:<3d} min found/true {mr}  violations found "
              f"{s['violations_found']}/{s['violations_planted']}  {'all ok' if s['all_ok'] else 'NOT all ok'}  "
              f"({s['points']} points, {s['seconds']:.1f} s)")
    g = out["goal"]
    if g["met"] is not None:
        print(f"goal ({g['budget']}, seed {g['seed']}: >= {g['ratio']} of the truth on every finite case, "
              f"every planted violation found): {'MET' if g['met'] else 'NOT MET'}")
    if getattr(args, "json", None):
        write(args.json, out)
        print(f"wrote {args.json}")
    return 0
