"""Empirical kappa of a differentiable function over a ball, by adversarial search.

The empirical kappa of f over the domain B(c, R), for reference point z and eps > 0, is

    kappa_emp = sup_{x in B(c, R)} kappa_min(x),   kappa_min as in :mod:`slqc.definitions`,

the smallest kappa for which f is (eps, kappa, z)-SLQC at every point of the domain. It is
a supremum, so the search hunts the worst case rather than an average. The hard points
sit just above the level set f(x) - f(z) = eps where the gradient is badly aligned with
x - z. Three strategies run in turn, each batched over many points:

1. ``sampling``: uniform points of the ball, uniform radii (interior shells), and points
   at log-uniform distances around z.
2. ``rays``: rays from z in random directions (and towards the best points so far); a
   grid along each ray finds the first crossing of the level set, and bisection moves
   onto it from above.
3. ``ascent``: projected normalized-gradient ascent on log kappa_min (through a
   second autograd pass) from the best points found, with per-point step sizes,
   backtracking, and a retraction along the ray from z back above the level set.

Any point with f(x) - f(z) > eps and <grad f(x), x - z> <= 0 is a violation of the
definition for every kappa: the search stops there and returns it as the witness. With
``kappa_stop`` set, a point needing more than kappa_stop also ends the search.

Every reported value is kappa_min at a point that was actually evaluated, so the
result is a certified lower bound on the true supremum (up to float rounding).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from tqdm.auto import tqdm

from . import _validate as V
from .definitions import SLQCTerms, f_at, kappa_from_terms, slqc_terms

BUDGETS: dict[str, dict[str, int]] = {
    # samples: ball samples; rays: rays from z; grid: points per ray before bisection;
    # bisect: bisection steps; starts: ascent starts; steps: ascent iterations.
    "quick": dict(samples=2048, rays=256, grid=24, bisect=40, starts=32, steps=80),
    "standard": dict(samples=8192, rays=1024, grid=32, bisect=50, starts=128, steps=200),
    "thorough": dict(samples=65536, rays=8192, grid=48, bisect=60, starts=1024, steps=500),
}

# Relative band above the level set in which ascent steps are projected onto it.
_NEAR_LEVEL = 1e-3

# Points per batched evaluation (bounds memory for large point shapes).
_CHUNK_ELEMS = 2**22


@dataclass
class ProbeResult:
    """Outcome of :func:`probe`.

    Attributes:
        kappa: the largest kappa_min found (``math.inf`` on a violation); 0.0 when no point
            of the domain has f(x) - f(z) > eps.
        witness: point (shape of z) where ``kappa`` was attained, or None when kappa = 0.
        witness_gap, witness_inner, witness_gnorm: f(x) - f(z), <g, x - z>, ||g|| there.
        violation: True when a point with f(x) - f(z) > eps and <g, x - z> <= 0 was found.
        exceeded: True when a point with kappa_min > kappa_stop was found.
        points_evaluated: number of f evaluations (gradients included).
        strategies: per strategy: best kappa, points evaluated, seconds.
        seconds: wall time.
        eps, radius, budget: the inputs.
        max_gap: the largest f(x) - f(z) seen (if <= eps the SLQC claim is vacuous here).
    """

    kappa: float
    witness: torch.Tensor | None
    witness_gap: float | None
    witness_inner: float | None
    witness_gnorm: float | None
    violation: bool
    exceeded: bool
    points_evaluated: int
    strategies: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0
    eps: float = 0.0
    radius: float = 0.0
    budget: str = "quick"
    max_gap: float = -math.inf

    def to_dict(self) -> dict:
        """JSON-ready dict; infinities become the string "inf"."""

        def num(v):
            if v is None:
                return None
            return "inf" if v == math.inf else ("-inf" if v == -math.inf else float(v))

        return {
            "kappa": num(self.kappa), "violation": self.violation, "exceeded": self.exceeded,
            "witness": None if self.witness is None else self.witness.detach().cpu().tolist(),
            "witness_gap": num(self.witness_gap), "witness_inner": num(self.witness_inner),
            "witness_gnorm": num(self.witness_gnorm), "points_evaluated": self.points_evaluated,
            "strategies": {k: {kk: num(vv) if isinstance(vv, float) else vv for kk, vv in v.items()}
                           for k, v in self.strategies.items()},
            "seconds": self.seconds, "eps": self.eps, "radius": self.radius, "budget": self.budget,
            "max_gap": num(self.max_gap),
        }


class _Stop(Exception):
    """Raised inside the search when a violation / kappa_stop excess ends it."""


class _Search:
    """State shared by the strategies: best point so far, counters, stopping rule."""

    def __init__(self, f, z, eps, center, radius, kappa_stop, gen):
        self.f, self.z, self.eps, self.c, self.R = f, z, eps, center, radius
        self.kappa_stop = kappa_stop
        self.gen = gen
        self.fz = f_at(f, z)
        self.n = z.numel()
        self.shape = z.shape
        self.best = (0.0, None, None)  # (kappa, x, terms-tuple)
        self.local_best = 0.0  # best kappa of the strategy now running
        self.points = 0
        self.max_gap = -math.inf
        self.violation = False
        self.exceeded = False
        self.chunk = max(1, _CHUNK_ELEMS // max(1, self.n))

    # -- evaluation -------------------------------------------------------------------------
    def values(self, x: torch.Tensor) -> torch.Tensor:
        """f(x) - f(z) without gradients, chunked."""
        out = []
        with torch.no_grad():
            for s in range(0, x.shape[0], self.chunk):
                xb = x[s:s + self.chunk]
                vb = self.f.value(xb) if hasattr(self.f, "value") else self.f(xb)
                out.append(vb - self.fz)
        self.points += x.shape[0]
        gap = torch.cat(out)
        if not bool(torch.isfinite(gap).all()):
            raise ValueError("f returned NaN or inf inside the search domain; f must be finite on the ball")
        return gap

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """kappa_min at every point of x (P, *S); updates the best point; may raise _Stop."""
        kap = []
        for s in range(0, x.shape[0], self.chunk):
            xb = x[s:s + self.chunk]
            t = slqc_terms(self.f, xb, self.z, self.fz)
            k = kappa_from_terms(t, self.eps)
            kap.append(k)
            self.points += xb.shape[0]
            self.max_gap = max(self.max_gap, float(t.gap.max()))
            self._update(xb, t, k)
        return torch.cat(kap)

    def _update(self, x: torch.Tensor, t: SLQCTerms, k: torch.Tensor) -> None:
        i = int(torch.argmax(k))
        kv = float(k[i])
        self.local_best = max(self.local_best, kv)
        if kv > self.best[0]:
            self.best = (kv, x[i].detach().clone(), (float(t.gap[i]), float(t.inner[i]), float(t.gnorm[i])))
        if kv == math.inf:
            self.violation = True
            raise _Stop
        if self.kappa_stop is not None and kv > self.kappa_stop:
            self.exceeded = True
            raise _Stop

    # -- geometry ---------------------------------------------------------------------------
    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Euclidean projection onto B(c, R), per point."""
        d = (x - self.c).reshape(x.shape[0], -1)
        nrm = torch.linalg.vector_norm(d, dim=1, keepdim=True)
        scale = torch.clamp(self.R / nrm.clamp_min(1e-300), max=1.0)
        return self.c + (d * scale).reshape(x.shape)

    def exit_time(self, u: torch.Tensor) -> torch.Tensor:
        """Largest t >= 0 with z + t u in B(c, R), for unit directions u (P, n); NaN if none."""
        zc = (self.z - self.c).reshape(-1)
        bu = u @ zc
        disc = bu * bu - (zc @ zc - self.R**2)
        t = -bu + torch.sqrt(disc.clamp_min(0))
        return torch.where((disc >= 0) & (t > 0), t, torch.full_like(t, float("nan")))

    def random_dirs(self, P: int) -> torch.Tensor:
        u = torch.randn(P, self.n, generator=self.gen, dtype=self.z.dtype).to(self.z.device)
        return u / torch.linalg.vector_norm(u, dim=1, keepdim=True)

    def on_ray(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return (self.z.reshape(1, -1) + t.unsqueeze(-1) * u).reshape((-1,) + tuple(self.shape))


# ------------------------------------------------------------------------------- strategies
def _sampling(S: _Search, n: int) -> None:
    dev, dt = S.z.device, S.z.dtype
    k = n // 3
    u = S.random_dirs(n)
    r = torch.rand(n, generator=S.gen, dtype=dt).to(dev)
    radii = torch.cat([S.R * r[:k] ** (1.0 / S.n), S.R * r[k:2 * k]])  # uniform in ball; uniform radius
    pts_ball = S.c.reshape(1, -1) + radii.unsqueeze(1) * u[:2 * k]
    # log-uniform distances around z, projected onto the ball
    rz = S.R * torch.exp(math.log(1e-4) * r[2 * k:])
    pts_z = S.z.reshape(1, -1) + rz.unsqueeze(1) * u[2 * k:]
    x = torch.cat([pts_ball, pts_z]).reshape((-1,) + tuple(S.shape))
    S.evaluate(S.project(x))


def _rays(S: _Search, n: int, grid: int, bisect: int, extra_dirs: torch.Tensor | None) -> None:
    u = S.random_dirs(n)
    if extra_dirs is not None and extra_dirs.shape[0]:
        u = torch.cat([extra_dirs, u])[:max(n, extra_dirs.shape[0])]
    tmax = S.exit_time(u)
    ok = torch.isfinite(tmax)
    u, tmax = u[ok], tmax[ok]
    if u.shape[0] == 0:
        return
    # grid in t: geometric from 1e-6 tmax up to tmax (the level set can sit very close to z)
    frac = torch.logspace(-6, 0, grid, dtype=u.dtype, device=u.device)
    T = tmax.unsqueeze(1) * frac.unsqueeze(0)  # (P, grid)
    P = u.shape[0]
    gap = S.values(S.on_ray(u.repeat_interleave(grid, 0), T.reshape(-1))).reshape(P, grid)
    above = gap > S.eps
    has = above.any(1)
    if not bool(has.any()):
        return
    u, T, above = u[has], T[has], above[has]
    first = torch.argmax(above.to(torch.int8), dim=1)
    hi = T.gather(1, first.unsqueeze(1)).squeeze(1)
    lo = torch.where(first > 0, T.gather(1, (first - 1).clamp_min(0).unsqueeze(1)).squeeze(1), torch.zeros_like(hi))
    for _ in range(bisect):
        mid = 0.5 * (lo + hi)
        up = S.values(S.on_ray(u, mid)) > S.eps
        hi = torch.where(up, mid, hi)
        lo = torch.where(up, lo, mid)
    # points just above the level set, and the grid points above the crossing on each ray
    S.evaluate(S.on_ray(u, hi))
    idx = torch.arange(T.shape[1], device=T.device).unsqueeze(0)
    sel = (idx >= first.unsqueeze(1)) & (idx < first.unsqueeze(1) + 4)
    S.evaluate(S.on_ray(u.repeat_interleave(T.shape[1], 0)[sel.reshape(-1)], T[sel]))


def _log_kappa_and_grad(S: _Search, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, SLQCTerms]:
    """J(x) = log ||g|| - log <g, x - z> and an ascent direction for J via a second autograd pass.

    Near the level set f(x) - f(z) = eps (the constraint of the search), the inward part
    of dJ/dx along g = grad f(x) is removed, so a step moves along the level set to first
    order (projected gradient for the constraint f(x) - f(z) >= eps).
    """
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        vals = S.f(xg)
        (g,) = torch.autograd.grad(vals.sum(), xg, create_graph=True)
        gf = g.reshape(x.shape[0], -1)
        inner = torch.einsum("pn,pn->p", gf, (xg - S.z).reshape(x.shape[0], -1))
        gnorm = torch.linalg.vector_norm(gf, dim=1)
        J = torch.log(gnorm.clamp_min(1e-300)) - torch.log(inner.clamp_min(1e-300))
        (dJ,) = torch.autograd.grad(J.sum(), xg, allow_unused=True)
    if dJ is None:
        dJ = torch.zeros_like(x)
    S.points += x.shape[0]
    t = SLQCTerms(gap=vals.detach() - S.fz, inner=inner.detach(), gnorm=gnorm.detach())
    g = gf.detach()
    d = dJ.detach().reshape(x.shape[0], -1)
    inward = torch.einsum("pn,pn->p", d, g).clamp(max=0) / (gnorm.detach() ** 2).clamp_min(1e-300)
    near = t.gap <= S.eps * (1 + _NEAR_LEVEL)
    d = torch.where(near.unsqueeze(1), d - inward.unsqueeze(1) * g, d)
    return J.detach(), d.reshape(x.shape), t


def _retract(S: _Search, x: torch.Tensor, steps: int = 30) -> tuple[torch.Tensor, torch.Tensor]:
    """Move points with f(x) - f(z) <= eps outward along the ray from z to just above the level set.

    Returns the new points and a mask of points that ended above the level set.
    """
    gap = S.values(x)
    below = gap <= S.eps
    if not bool(below.any()):
        return x, torch.ones_like(below)
    v = (x[below] - S.z).reshape(int(below.sum()), -1)
    r = torch.linalg.vector_norm(v, dim=1)
    u = v / r.clamp_min(1e-300).unsqueeze(1)
    tmax = S.exit_time(u)
    ok = torch.isfinite(tmax) & (r > 0)
    tmax = torch.where(ok, tmax, r)
    up_end = S.values(S.on_ray(u, tmax)) > S.eps
    lo, hi = r.clone(), tmax.clone()
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        up = S.values(S.on_ray(u, mid)) > S.eps
        hi = torch.where(up, mid, hi)
        lo = torch.where(up, lo, mid)
    x = x.clone()
    x[below] = S.on_ray(u, hi)
    good = torch.ones_like(below)
    good[below] = ok & up_end
    return x, good


def _ascent(S: _Search, starts: torch.Tensor, steps: int, bar: Callable[[int], None]) -> None:
    x = starts
    J, dJ, t = _log_kappa_and_grad(S, x)
    S._update(x, t, kappa_from_terms(t, S.eps))
    lr = 0.05 * torch.linalg.vector_norm((x - S.z).reshape(x.shape[0], -1), dim=1).clamp_min(1e-8 * S.R)
    for _ in range(steps):
        d = dJ.reshape(x.shape[0], -1)
        d = d / torch.linalg.vector_norm(d, dim=1, keepdim=True).clamp_min(1e-300)
        cand = S.project(x + (lr.unsqueeze(1) * d).reshape(x.shape))
        cand, good = _retract(S, cand)
        Jc, dJc, tc = _log_kappa_and_grad(S, cand)
        kc = kappa_from_terms(tc, S.eps)
        kc = torch.where(good, kc, torch.zeros_like(kc))
        S._update(cand, tc, kc)
        acc = good & (tc.gap > S.eps) & (Jc > J)
        x = torch.where(acc.reshape((-1,) + (1,) * (x.ndim - 1)), cand, x)
        J = torch.where(acc, Jc, J)
        dJ = torch.where(acc.reshape((-1,) + (1,) * (dJ.ndim - 1)), dJc, dJ)
        lr = torch.where(acc, lr * 1.5, lr * 0.5)
        bar(1)
        if bool((lr < 1e-12 * S.R).all()):
            break


def probe(f, z, eps: float, radius: float, center=None, budget: str = "quick", seed: int = 0, device=None,
          kappa_stop: float | None = None, progress: bool = False) -> ProbeResult:
    """Measure the empirical kappa of f over the ball B(center, radius).

    Args:
        f: objective mapping a batch (P, *z.shape) to values (P,), differentiable by torch
            autograd; may offer ``value_and_grad`` (closed form) and ``value`` (values only,
            used by the bisections) for speed.
        z: reference point (vector or matrix).
        eps: eps > 0 of Definition 1.
        radius: radius R > 0 of the domain.
        center: centre of the domain; the origin by default (the paper's B(0, W)).
        budget: ``quick``, ``standard`` or ``thorough`` (see :data:`BUDGETS`), or a dict that
            overrides some keys of ``quick`` (e.g. ``{"samples": 512, "steps": 20}``).
        seed: RNG seed of the search; results are reproducible for a fixed seed.
        device: torch device for the search (``cpu``/``cuda``); z and center are moved there.
            f must accept tensors on that device.
        kappa_stop: stop as soon as a point needs a kappa above this value.
        progress: show a progress bar.

    Returns:
        :class:`ProbeResult`.

    Raises:
        ValueError: eps or radius <= 0, unknown budget, shapes that do not match, NaN/inf
            in z, center or f's values, f returning the wrong shape.

    Example:
        >>> import torch, slqc
        >>> f = lambda x: (x ** 2).sum(1)      # kappa_emp = sqrt(eps * lambda_max) = sqrt(0.25)
        >>> r = slqc.probe(f, torch.zeros(3, dtype=torch.float64), eps=0.25, radius=2.0)
        >>> round(r.kappa, 6)
        0.5
    """
    eps = V.positive("eps", eps)
    radius = V.positive("radius", radius)
    if isinstance(budget, dict):
        unknown = set(budget) - set(BUDGETS["quick"])
        if unknown:
            raise ValueError(f"unknown budget keys {sorted(unknown)}; allowed: {', '.join(BUDGETS['quick'])}")
        cfg = {**BUDGETS["quick"], **{k: int(v) for k, v in budget.items()}}
        if min(cfg.values()) < 1:
            raise ValueError("budget entries must be >= 1")
        budget_name = "custom"
    else:
        V.choice("budget", budget, tuple(BUDGETS))
        cfg = BUDGETS[budget]
        budget_name = budget
    if not callable(f):
        raise ValueError("f must be callable: a batch (P, *z.shape) -> values (P,)")
    if kappa_stop is not None:
        kappa_stop = V.positive("kappa_stop", kappa_stop)
    dev = V.resolve_device(device) if device is not None else None
    z = V.as_float_tensor("z", z, device=dev)
    if z.ndim == 0:
        raise ValueError("z must be a vector or a matrix, got a scalar")
    center = torch.zeros_like(z) if center is None else V.as_float_tensor("center", center, dtype=z.dtype, device=z.device)
    if center.shape != z.shape:
        raise ValueError(f"center must have the shape of z {tuple(z.shape)}, got {tuple(center.shape)}")
    gen = torch.Generator()
    gen.manual_seed(int(seed))
    S = _Search(f, z, eps, center, radius, kappa_stop, gen)
    strategies: dict[str, dict] = {}
    t0 = time.perf_counter()
    bar = tqdm(total=3 + cfg["steps"], desc=f"probe[{budget_name}]", disable=not progress, leave=False)

    def run(name: str, fn) -> bool:
        before_pts, ts = S.points, time.perf_counter()
        S.local_best = 0.0
        try:
            fn()
            stopped = False
        except _Stop:
            stopped = True
        strategies[name] = {"kappa": S.local_best, "points": S.points - before_pts, "seconds": time.perf_counter() - ts}
        return stopped

    stopped = run("sampling", lambda: _sampling(S, cfg["samples"]))
    bar.update(1)
    if not stopped:
        extra = None
        if S.best[1] is not None:
            v = (S.best[1] - z).reshape(1, -1)
            if float(torch.linalg.vector_norm(v)) > 0:
                extra = v / torch.linalg.vector_norm(v)
        stopped = run("rays", lambda: _rays(S, cfg["rays"], cfg["grid"], cfg["bisect"], extra))
    bar.update(1)
    if not stopped and S.max_gap > eps:
        starts = _ascent_starts(S, cfg["starts"], cfg["bisect"])
        if starts is not None:
            stopped = run("ascent", lambda: _ascent(S, starts, cfg["steps"], bar.update))
    bar.close()
    kappa, wit, terms = S.best
    if S.violation:
        kappa = math.inf
    return ProbeResult(
        kappa=kappa, witness=wit, witness_gap=None if terms is None else terms[0],
        witness_inner=None if terms is None else terms[1], witness_gnorm=None if terms is None else terms[2],
        violation=S.violation, exceeded=S.exceeded, points_evaluated=S.points, strategies=strategies,
        seconds=time.perf_counter() - t0, eps=eps, radius=radius, budget=budget_name, max_gap=S.max_gap,
    )


def _ascent_starts(S: _Search, n: int, bisect: int) -> torch.Tensor | None:
    """Start points: the best point so far, and level-set crossings of random rays."""
    pts = []
    if S.best[1] is not None:
        pts.append(S.best[1].unsqueeze(0))
    u = S.random_dirs(max(n * 4, 8))
    tmax = S.exit_time(u)
    ok = torch.isfinite(tmax)
    u, tmax = u[ok], tmax[ok]
    if u.shape[0]:
        x, good = _retract(S, S.on_ray(u, tmax * 1e-6), steps=bisect)
        pts.append(x[good][: max(0, n - len(pts))])
    if not pts:
        return None
    x = torch.cat(pts)
    return x if x.shape[0] else None
