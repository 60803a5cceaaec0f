"""Empirical kappa of a differentiable function over a ball, by a global adversarial search.

The empirical kappa of f over the domain B(c, R), for reference point z and eps > 0, is

    kappa_emp = sup_{x in B(c, R)} kappa_min(x),   kappa_min as in :mod:`slqc.definitions`,

the smallest kappa for which f is (eps, kappa, z)-SLQC at every point of the domain. It is
a supremum, so the search hunts the worst case rather than an average. Hard points sit just
above the level set f(x) - f(z) = eps where the gradient is badly aligned with x - z, but
also away from z: in a narrow non-convex band, a dip or a spurious bump anywhere in the
ball. The search therefore covers the whole domain, in three stages per seed, each batched
over many points:

1. ``sampling``: scrambled Sobol points over the ball (``torch.quasirandom.SobolEngine``,
   mapped to the ball by Gaussian directions and radius R u^(1/n)), uniform-radius shells,
   and points at log-uniform distances around z (around its projection onto the ball when
   z lies outside).
2. ``rays``: rays from z through the ball (random directions, directions towards random
   ball points, and towards the best points so far); a grid on the part of each ray inside
   the ball finds the first crossing of the level set, and bisection moves onto it from above.
3. ``ascent``: the ball is split into regions (nearest of ``starts`` Sobol anchor points);
   two ascents start from the best points of every region:

   * ``ascent_kappa``: projected normalized-gradient ascent on log kappa_min (a second
     autograd pass), with per-point step sizes, and a retraction along the ray from z back
     above the level set;
   * ``ascent_violation``: descent on the violation objective
     s(x) = (<g, x - z> + 2 max(0, eps' - (f(x) - f(z)))) / (||g|| ||x - z||): it pushes
     <g, x - z> / ||g|| down, measured relative to ||x - z|| (the cosine between g and
     x - z, so that the distance to z does not dominate and misaligned gradients far from
     z are hunted as well as near it; s <= 0 above the level set is a point where no kappa
     works), while the penalty, a first-order distance to the level set, keeps
     f(x) - f(z) > eps;

   then ``restarts``: a second kappa ascent from the best end points of every region and
   from jittered copies of the best point.

Several seeds can be run (``seed`` accepts a sequence); the worst case over them is kept.

Any point with f(x) - f(z) > eps and <grad f(x), x - z> <= 0 is a violation of the
definition for every kappa: the search stops there and returns it as the witness. With
``kappa_stop`` set, a point needing more than kappa_stop also ends the search. The stop
conditions are checked every ``_CHECK_EVERY`` steps on the host; the best point, its
terms and the stop flags live on the search device, so a step makes no host
synchronisation.

Every evaluated point lies in B(c, R) (each batch is clipped onto the ball before f sees
it, also when z lies outside the domain), and every reported value is kappa_min at a point
that was actually evaluated, so the result is a certified lower bound on the true supremum
(up to float rounding). float32 problems run in float32 (all floors come from
``torch.finfo`` of the dtype).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
from tqdm.auto import tqdm

from . import _validate as V
from .definitions import SLQCTerms, f_at, kappa_from_terms, slqc_terms

BUDGETS: dict[str, dict[str, int]] = {
    # samples: ball samples; rays: rays from z; grid: points per ray before bisection;
    # bisect: bisection steps; starts: ascent starts (and regions); steps: ascent iterations.
    "quick": dict(samples=2048, rays=256, grid=24, bisect=40, starts=32, steps=80),
    "standard": dict(samples=8192, rays=1024, grid=32, bisect=50, starts=128, steps=200),
    "thorough": dict(samples=65536, rays=8192, grid=48, bisect=60, starts=1024, steps=500),
}

# Names of the strategies a full search runs (``ProbeResult.searched["strategies"]``).
STRATEGIES = ("sobol", "shells", "near_z", "rays", "ascent_kappa", "ascent_violation", "restarts")

# Relative band above the level set in which ascent steps are projected onto it.
_NEAR_LEVEL = 1e-3

# Points per batched evaluation (bounds memory for large point shapes).
_CHUNK_ELEMS = 2**22

# Stop conditions (violation, kappa_stop, step sizes exhausted) are read on the host every k steps.
_CHECK_EVERY = 10

# Bisection steps of the ascent's retraction onto the level set (relative precision 2**-30).
_RETRACT_STEPS = 30

# The ascent's retraction: secant iterations, and its target gap eps (1 + _SECANT_TARGET) above the level set.
_SECANT_ITERS = 5
_SECANT_TARGET = 1e-6

# The ascent stops early when no point gained more than this (log kappa, or the cosine s) in _CHECK_EVERY steps.
_PLATEAU_GAIN = 1e-7

# Largest dimension of torch's Sobol engine (above it the ball points are pseudo-random).
_SOBOL_MAX_DIM = 21201


@dataclass
class ProbeResult:
    """Outcome of :func:`probe`.

    Attributes:
        kappa: the largest kappa_min found (``math.inf`` on a violation); 0.0 when no point
            of the domain has f(x) - f(z) > eps.
        witness: point (shape of z, inside the domain) where ``kappa`` was attained, or None
            when kappa = 0.
        witness_gap, witness_inner, witness_gnorm: f(x) - f(z), <g, x - z>, ||g|| there.
        violation: True when a point with f(x) - f(z) > eps and <g, x - z> <= 0 was found.
        exceeded: True when a point with kappa_min > kappa_stop was found.
        points_evaluated: number of f evaluations (gradients included), all seeds together.
        strategies: for the worst seed, per stage (``sampling``, ``rays``, ``ascent``): best
            kappa, points evaluated, seconds, and ``parts`` (the same per strategy).
        seconds: wall time.
        eps, radius, budget: the inputs.
        max_gap: the largest f(x) - f(z) seen (if <= eps the SLQC claim is vacuous here).
        searched: what was searched: ``budget`` (name), ``config`` (its numbers), ``seeds``
            (run), ``seeds_requested``, ``strategies`` (names run), ``points``,
            ``z_in_domain``, ``per_seed`` (kappa, violation, points per seed), ``worst_seed``.
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
    searched: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dict (via :func:`slqc.jsonio.encode`: infinities become "inf")."""
        from .jsonio import encode

        return encode({
            "kappa": self.kappa, "violation": self.violation, "exceeded": self.exceeded,
            "witness": self.witness, "witness_gap": self.witness_gap, "witness_inner": self.witness_inner,
            "witness_gnorm": self.witness_gnorm, "points_evaluated": self.points_evaluated,
            "strategies": self.strategies, "seconds": self.seconds, "eps": self.eps, "radius": self.radius,
            "budget": self.budget, "max_gap": self.max_gap, "searched": self.searched,
        })


class _Stop(Exception):
    """Raised inside the search when a violation / kappa_stop excess ends it."""


class _Search:
    """State shared by the strategies of one seed: best point (on the device), counters, stop rule."""

    def __init__(self, f, z, fz, eps, center, radius, kappa_stop, seed: int):
        self.f, self.z, self.fz, self.eps, self.c, self.R = f, z, fz, eps, center, radius
        self.kappa_stop = kappa_stop
        self.seed = int(seed)
        self.gen = torch.Generator()
        self.gen.manual_seed(self.seed)
        self.dev, self.dt = z.device, z.dtype
        fi = torch.finfo(z.dtype)
        self.tiny = fi.tiny
        # clipped points lie at distance <= R (1 - shrink) from c, so ||x - c|| <= R after rounding
        self.shrink = 8 * fi.eps
        self.n = z.numel()
        self.shape = z.shape
        self.zf = z.reshape(-1)
        self.cf = center.reshape(-1)
        zc = self.zf - self.cf
        self.z_in = bool(torch.linalg.vector_norm(zc) <= radius)
        # the point of the domain nearest to z (z itself when z lies inside)
        self.zp = self.clip(z.unsqueeze(0)).reshape(-1)
        self.best_k = torch.zeros((), dtype=self.dt, device=self.dev)
        self.best_x = self.zp.clone()
        self.best_t = torch.zeros(3, dtype=self.dt, device=self.dev)
        self.local_k = torch.zeros((), dtype=self.dt, device=self.dev)
        self.max_gap = torch.full((), -math.inf, dtype=self.dt, device=self.dev)
        self.nonfinite = torch.zeros((), dtype=torch.bool, device=self.dev)
        self.points = 0
        self.violation = False
        self.exceeded = False
        self.chunk = max(1, _CHUNK_ELEMS // max(1, self.n))
        self.pool: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # (x flat, kappa, score)
        self.collect = True

    # -- geometry ---------------------------------------------------------------------------
    def clip(self, x: torch.Tensor) -> torch.Tensor:
        """Projection of each point of x (P, ...) onto B(c, R (1 - shrink)); points inside stay put."""
        P = x.shape[0]
        d = x.reshape(P, self.n) - self.cf
        nrm = torch.linalg.vector_norm(d, dim=1, keepdim=True)
        lim = self.R * (1 - self.shrink)
        scale = torch.clamp(lim / nrm.clamp_min(self.tiny), max=1.0)
        return (self.cf + d * scale).reshape(x.shape)

    def interval(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Entry and exit times [t_in, t_out] (t >= 0) of z + t u in B(c, R) for unit u (P, n); NaN if none."""
        zc = self.zf - self.cf
        bu = u @ zc
        disc = bu * bu - (zc @ zc - self.R**2)
        sq = torch.sqrt(disc.clamp_min(0))
        t_out = -bu + sq
        t_in = (-bu - sq).clamp_min(0)
        ok = (disc >= 0) & (t_out > 0)
        nan = torch.full_like(t_out, float("nan"))
        return torch.where(ok, t_in, nan), torch.where(ok, t_out, nan)

    def random_dirs(self, P: int) -> torch.Tensor:
        u = torch.randn(P, self.n, generator=self.gen, dtype=self.dt).to(self.dev)
        return u / torch.linalg.vector_norm(u, dim=1, keepdim=True).clamp_min(self.tiny)

    def dirs_to(self, pts: torch.Tensor) -> torch.Tensor:
        """Unit directions from z towards points (P, n) (random where a point equals z)."""
        v = pts - self.zf
        nrm = torch.linalg.vector_norm(v, dim=1, keepdim=True)
        return torch.where(nrm > 0, v / nrm.clamp_min(self.tiny), self.random_dirs(pts.shape[0]))

    def ball_points(self, P: int, sobol: bool = False) -> torch.Tensor:
        """P points of B(c, R) (flat, (P, n)), uniform in volume; scrambled Sobol when asked and possible."""
        if sobol and self.n + 1 <= _SOBOL_MAX_DIM:
            eng = torch.quasirandom.SobolEngine(self.n + 1, scramble=True, seed=self.seed)
            q = eng.draw(P, dtype=torch.float64)
            lo, hi = 1e-12, 1 - 1e-12
            g = math.sqrt(2) * torch.erfinv(2 * q[:, :self.n].clamp(lo, hi) - 1)
            u = (g / torch.linalg.vector_norm(g, dim=1, keepdim=True).clamp_min(1e-300)).to(self.dt).to(self.dev)
            r = q[:, self.n].to(self.dt).to(self.dev)
        else:
            u = self.random_dirs(P)
            r = torch.rand(P, generator=self.gen, dtype=self.dt).to(self.dev)
        return self.cf + (self.R * r ** (1.0 / self.n)).unsqueeze(1) * u

    def on_ray(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return (self.zf + t.unsqueeze(-1) * u).reshape((-1,) + tuple(self.shape))

    def unflat(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape((-1,) + tuple(self.shape))

    # -- evaluation -------------------------------------------------------------------------
    def values(self, x: torch.Tensor) -> torch.Tensor:
        """f(x) - f(z) without gradients, at the points clipped onto the domain, chunked."""
        x = self.clip(x)
        out = []
        with torch.no_grad():
            for s in range(0, x.shape[0], self.chunk):
                xb = x[s:s + self.chunk]
                vb = self.f.value(xb) if hasattr(self.f, "value") else self.f(xb)
                out.append(vb - self.fz)
        self.points += x.shape[0]
        gap = torch.cat(out)
        if gap.shape != (x.shape[0],):
            raise ValueError(f"f must map a batch of P={x.shape[0]} points to a tensor of shape "
                             f"({x.shape[0]},), got {tuple(gap.shape)}")
        self.nonfinite = self.nonfinite | ~torch.isfinite(gap).all()
        return gap

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """kappa_min at every point of x (P, *S) after clipping; updates the best point (no host sync)."""
        if x.shape[0] == 0:
            return torch.zeros(0, dtype=self.dt, device=self.dev)
        x = self.clip(x)
        kap = []
        for s in range(0, x.shape[0], self.chunk):
            xb = x[s:s + self.chunk]
            t = slqc_terms(self.f, xb, self.z, self.fz)
            k = kappa_from_terms(t, self.eps)
            kap.append(k)
            self.points += xb.shape[0]
            self.update(xb, t, k)
        return torch.cat(kap)

    def update(self, x: torch.Tensor, t: SLQCTerms, k: torch.Tensor) -> None:
        """Fold a batch into the best point, the strategy's best and max_gap, on the device."""
        k = torch.where(torch.isnan(k), torch.zeros_like(k), k)
        self.max_gap = torch.maximum(self.max_gap, t.gap.max())
        i = torch.argmax(k)
        kv = k[i]
        self.local_k = torch.maximum(self.local_k, kv)
        better = kv > self.best_k
        self.best_k = torch.where(better, kv, self.best_k)
        self.best_x = torch.where(better, x.reshape(x.shape[0], self.n)[i], self.best_x)
        self.best_t = torch.where(better, torch.stack([t.gap[i], t.inner[i], t.gnorm[i]]), self.best_t)
        if self.collect:
            dist = torch.linalg.vector_norm(x.reshape(x.shape[0], self.n) - self.zf, dim=1).clamp_min(self.tiny)
            score = torch.where(t.gap > self.eps, t.inner / (t.gnorm.clamp_min(self.tiny) * dist),
                                torch.full_like(k, math.inf))
            self.pool.append((x.reshape(x.shape[0], self.n).detach(), k.detach(), score.detach()))

    def check(self) -> None:
        """Host-side read of the stop flags (one synchronisation); raises _Stop or ValueError."""
        bk, bad = float(self.best_k), bool(self.nonfinite)
        if bad:
            raise ValueError("f returned NaN or inf inside the search domain; f must be finite on the ball")
        if bk == math.inf:
            self.violation = True
            raise _Stop
        if self.kappa_stop is not None and bk > self.kappa_stop:
            self.exceeded = True
            raise _Stop

    def pooled(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        xs, ks, ss = zip(*self.pool)
        return torch.cat(xs), torch.cat(ks), torch.cat(ss)


# ------------------------------------------------------------------------------- strategies
def _sampling(S: _Search, n: int, parts: dict) -> None:
    """Sobol points over the ball (n/2), uniform-radius shells (n/4), log-uniform distances around z (n/4)."""
    n_sob, n_sh = n // 2, n // 4
    n_z = max(1, n - n_sob - n_sh)
    _part(S, parts, "sobol", lambda: S.evaluate(S.unflat(S.ball_points(n_sob, sobol=True))))

    def shells():
        u = S.random_dirs(n_sh)
        r = torch.rand(n_sh, generator=S.gen, dtype=S.dt).to(S.dev)
        S.evaluate(S.unflat(S.cf + (S.R * r).unsqueeze(1) * u))

    _part(S, parts, "shells", shells)

    def near_z():
        u = S.random_dirs(n_z)
        r = torch.rand(n_z, generator=S.gen, dtype=S.dt).to(S.dev)
        rz = S.R * torch.exp(math.log(1e-4) * r)
        S.evaluate(S.unflat(S.zp + rz.unsqueeze(1) * u))

    _part(S, parts, "near_z", near_z)
    S.check()


def _rays(S: _Search, n: int, grid: int, bisect: int, extra: torch.Tensor | None) -> None:
    """Rays from z through the ball; first level-set crossing on each (grid, then bisection)."""
    half = n // 2 if S.z_in else 0
    u = torch.cat([S.random_dirs(half), S.dirs_to(S.ball_points(n - half))])
    if extra is not None and extra.shape[0]:
        u = torch.cat([S.dirs_to(extra), u])
    t_in, t_out = S.interval(u)
    ok = torch.isfinite(t_out)
    u, t_in, t_out = u[ok], t_in[ok], t_out[ok]
    if u.shape[0] == 0:
        return
    # grid in t on [t_in, t_out]: geometric from 1e-6 of the length (the level set can sit very close to z)
    frac = torch.logspace(-6, 0, grid, dtype=u.dtype, device=u.device)
    T = t_in.unsqueeze(1) + (t_out - t_in).unsqueeze(1) * frac.unsqueeze(0)  # (P, grid)
    P = u.shape[0]
    gap = S.values(S.on_ray(u.repeat_interleave(grid, 0), T.reshape(-1))).reshape(P, grid)
    above = gap > S.eps
    has = above.any(1)
    if not bool(has.any()):  # one host read per stage: only rays that cross the level set are bisected
        S.check()
        return
    u, T, above, t_in = u[has], T[has], above[has], t_in[has]
    has = has[has]
    first = torch.argmax(above.to(torch.int8), dim=1)
    hi = T.gather(1, first.unsqueeze(1)).squeeze(1)
    lo = torch.where(first > 0, T.gather(1, (first - 1).clamp_min(0).unsqueeze(1)).squeeze(1), t_in)
    for _ in range(bisect):
        mid = 0.5 * (lo + hi)
        up = S.values(S.on_ray(u, mid)) > S.eps
        hi = torch.where(up, mid, hi)
        lo = torch.where(up, lo, mid)
    # points just above the level set, and the grid points at and above the crossing on each ray
    S.evaluate(S.on_ray(u, hi))
    idx = torch.arange(grid, device=T.device).unsqueeze(0)
    sel = (idx >= first.unsqueeze(1)) & (idx < first.unsqueeze(1) + 4)
    S.evaluate(S.on_ray(u.repeat_interleave(grid, 0)[sel.reshape(-1)], T[sel]))
    S.check()


def _terms_and_dirs(S: _Search, x: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor, SLQCTerms,
                                                                     torch.Tensor]:
    """Objective and its improving direction at the points x (P, *S), by a second autograd pass.

    ``mode="kappa"``: J = log ||g|| - log <g, x - z> (to increase); near the level set the
    inward part of dJ/dx along g is removed, so a step moves along the level set to first
    order (projected gradient for the constraint f(x) - f(z) >= eps).

    ``mode="violation"``: s = (<g, x - z> + 2 max(0, eps' - gap)) / (||g|| ||x - z||) (to
    decrease; eps' = eps (1 + _NEAR_LEVEL)): the cosine between g and x - z plus a penalty
    below the level set; the direction returned is -ds/dx.

    Returns:
        (objective (P,), direction (P, n), terms, gradient of f (P, n)).
    """
    P = x.shape[0]
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        vals = S.f(xg)
        (g,) = torch.autograd.grad(vals.sum(), xg, create_graph=True)
        gf = g.reshape(P, S.n)
        inner = torch.einsum("pn,pn->p", gf, xg.reshape(P, S.n) - S.zf)
        gnorm = torch.linalg.vector_norm(gf, dim=1)
        if mode == "kappa":
            J = torch.log(gnorm.clamp_min(S.tiny)) - torch.log(inner.clamp_min(S.tiny))
        else:
            deficit = (S.eps * (1 + _NEAR_LEVEL) - (vals - S.fz)).clamp_min(0)
            dist = torch.linalg.vector_norm(xg.reshape(P, S.n) - S.zf, dim=1).clamp_min(S.tiny)
            J = -(inner + 2 * deficit) / (gnorm.clamp_min(S.tiny) * dist)
        (dJ,) = torch.autograd.grad(J.sum(), xg, allow_unused=True)
    if dJ is None:
        dJ = torch.zeros_like(x)
    S.points += P
    t = SLQCTerms(gap=vals.detach() - S.fz, inner=inner.detach(), gnorm=gnorm.detach())
    d = dJ.detach().reshape(P, S.n)
    d = torch.where(torch.isfinite(d), d, torch.zeros_like(d))
    gd = gf.detach()
    if mode == "kappa":
        inward = torch.einsum("pn,pn->p", d, gd).clamp(max=0) / (t.gnorm**2).clamp_min(S.tiny)
        near = t.gap <= S.eps * (1 + _NEAR_LEVEL)
        d = torch.where(near.unsqueeze(1), d - inward.unsqueeze(1) * gd, d)
    S.nonfinite = S.nonfinite | ~torch.isfinite(t.gap).all()
    return J.detach(), d, t, gd


def _retract(S: _Search, x: torch.Tensor, steps: int = _RETRACT_STEPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Move points with f(x) - f(z) <= eps outward along the ray from z to just above the level set.

    All points are processed (no boolean indexing, so no host synchronisation); points
    already above the level set are returned unchanged.

    Returns:
        The new points (P, *S) and a mask of points that ended above the level set.
    """
    x = S.clip(x)
    gap, r, u, t_out = _ray_from_z(S, x)
    below = gap <= S.eps
    ok = torch.isfinite(t_out) & (r > 0) & (t_out >= r)
    hi = torch.where(ok, t_out, r)
    lo = torch.where(ok, r, r)
    up_end = S.values(S.on_ray(u, hi)) > S.eps
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        up = S.values(S.on_ray(u, mid)) > S.eps
        hi = torch.where(up, mid, hi)
        lo = torch.where(up, lo, mid)
    new = S.on_ray(u, hi)
    out = torch.where(below.reshape((-1,) + (1,) * (x.ndim - 1)), new, x)
    good = ~below | (ok & up_end)
    return S.clip(out), good


def _ray_from_z(S: _Search, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each point: its gap f(x) - f(z), its distance r from z, the unit ray u from z through it
    (a random one where x = z), and the ray's exit time from the domain."""
    P = x.shape[0]
    gap = S.values(x)
    v = x.reshape(P, S.n) - S.zf
    r = torch.linalg.vector_norm(v, dim=1)
    u = torch.where((r > 0).unsqueeze(1), v / r.clamp_min(S.tiny).unsqueeze(1), S.random_dirs(P))
    _, t_out = S.interval(u)
    return gap, r, u, t_out


def _retract_secant(S: _Search, x: torch.Tensor, slope: torch.Tensor,
                    iters: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cheap retraction of the ascent: points below the level set move out along the ray from z.

    Root finding on phi(t) = f(z + t u) - f(z) - tau, tau = eps (1 + _SECANT_TARGET), t from
    ||x - z|| outwards: the first step is Newton's with ``slope`` (the directional derivative
    <g, u> at the previous point), doubling until a point above tau brackets the root, then
    Illinois-type regula falsi inside the bracket (the value at an end kept twice in a row is
    halved, so the bracket shrinks from both sides). The result is the evaluated point with
    f - f(z) > eps nearest to z on the ray; points that found none are marked not good.

    Returns:
        The new points (P, *S) and a mask of points that ended above the level set.
    """
    iters = _SECANT_ITERS if iters is None else iters
    gap, r, u, t_out = _ray_from_z(S, x)
    below = gap <= S.eps
    t_out = torch.where(torch.isfinite(t_out) & (t_out > r), t_out, r)
    tau = S.eps * (1 + _SECANT_TARGET)
    lo, flo = r, gap - tau
    hi, fhi = t_out, torch.full_like(r, math.inf)
    known = torch.zeros_like(below)  # a point above tau brackets the root
    side = torch.zeros_like(r)  # -1: lo moved last, +1: hi moved last
    best = torch.where(below, t_out, r)  # nearest t with gap > eps (t_out: none yet)
    found = ~below
    step = (tau - gap).clamp_min(0) / slope.clamp_min(S.tiny)
    t = lo + step
    for _ in range(iters):
        t = torch.where(torch.isfinite(t), t, 0.5 * (lo + hi))
        t = torch.minimum(torch.maximum(t, lo), hi)
        ft = S.values(S.on_ray(u, t)) - tau
        above_eps = ft + tau > S.eps
        closer = above_eps & (t < best)
        best = torch.where(closer, t, best)
        found = found | above_eps
        up = ft > 0
        new_hi, new_lo = up & (t <= hi), ~up & (t >= lo)
        flo = torch.where(new_hi & (side > 0), 0.5 * flo, flo)
        fhi = torch.where(new_lo & (side < 0) & known, 0.5 * fhi, fhi)
        hi, fhi = torch.where(new_hi, t, hi), torch.where(new_hi, ft, fhi)
        lo, flo = torch.where(new_lo, t, lo), torch.where(new_lo, ft, flo)
        side = torch.where(new_hi, torch.ones_like(side), torch.where(new_lo, -torch.ones_like(side), side))
        known = known | up
        falsi = lo - flo * (hi - lo) / (fhi - flo).clamp_min(S.tiny)
        step = step * 2
        t = torch.where(known, falsi, lo + step)
    new = S.on_ray(u, best)
    out = torch.where(below.reshape((-1,) + (1,) * (x.ndim - 1)), new, x)
    return S.clip(out), found


def _ascent(S: _Search, starts: torch.Tensor, steps: int, mode: str, bar: Callable[[int], None]) -> tuple:
    """Batched ascent from ``starts`` (P, *S); returns the end points and their kappa_min.

    Per-point step sizes grow by 1.5 on an accepted step and shrink by 2 otherwise; the
    stop flags and the "every step size exhausted" test are read every ``_CHECK_EVERY`` steps.
    """
    x = S.clip(starts)
    if mode == "kappa":
        x, good0 = _retract(S, x)
    J, dJ, t, g_x = _terms_and_dirs(S, x, mode)
    k = kappa_from_terms(t, S.eps)
    if mode == "kappa":
        k = torch.where(good0, k, torch.zeros_like(k))
    S.update(x, t, k)
    kbest = k
    P = x.shape[0]
    dist = torch.linalg.vector_norm(x.reshape(P, S.n) - S.zf, dim=1)
    lr = 0.05 * dist.clamp(min=1e-8 * S.R, max=S.R)
    bshape = (-1,) + (1,) * (x.ndim - 1)
    J_win = J
    # smallest gain per window that counts as progress: relative for log kappa, a length for s
    tol = _PLATEAU_GAIN  # log kappa and the cosine are both scale-free
    for it in range(steps):
        d = dJ.reshape(P, S.n)
        d = d / torch.linalg.vector_norm(d, dim=1, keepdim=True).clamp_min(S.tiny)
        cand = S.clip(x + (lr.unsqueeze(1) * d).reshape(x.shape))
        if mode == "kappa":
            u = cand.reshape(P, S.n) - S.zf
            slope = torch.einsum("pn,pn->p", g_x, u) / torch.linalg.vector_norm(u, dim=1).clamp_min(S.tiny)
            cand, good = _retract_secant(S, cand, slope)
        else:
            good = torch.ones(P, dtype=torch.bool, device=S.dev)
        Jc, dJc, tc, gc = _terms_and_dirs(S, cand, mode)
        kc = kappa_from_terms(tc, S.eps)
        kc = torch.where(good, kc, torch.zeros_like(kc))
        S.update(cand, tc, kc)
        acc = good & (Jc > J)
        if mode == "kappa":
            acc = acc & (tc.gap > S.eps)
        x = torch.where(acc.reshape(bshape), cand, x)
        J = torch.where(acc, Jc, J)
        dJ = torch.where(acc.unsqueeze(1), dJc, dJ)
        g_x = torch.where(acc.unsqueeze(1), gc, g_x)
        kbest = torch.where(acc, kc, kbest)
        lr = torch.where(acc, lr * 1.5, lr * 0.5)
        bar(1)
        if it % _CHECK_EVERY == _CHECK_EVERY - 1:
            S.check()
            # plateau: every step size exhausted, or no point improved its objective in the last window
            gain = torch.where(torch.isfinite(J) & torch.isfinite(J_win), J - J_win, torch.ones_like(J))
            if bool((lr < 1e-12 * S.R).all() | (gain.max() <= tol)):
                break
            J_win = J
    S.check()
    return x, kbest


def _region_best(S: _Search, X: torch.Tensor, key: torch.Tensor, anchors: torch.Tensor, n: int) -> torch.Tensor:
    """Up to n rows of X: the best (largest ``key``) point of every region, best regions first.

    Regions: nearest anchor point. Rows with key = -inf are never chosen.
    """
    if X.shape[0] == 0:
        return X
    reg = torch.cdist(X, anchors).argmin(1)
    order = torch.argsort(key, descending=True, stable=True)
    reg_o = reg[order]
    by_reg = torch.argsort(reg_o, stable=True)
    reg_s = reg_o[by_reg]
    first = torch.ones_like(reg_s, dtype=torch.bool)
    first[1:] = reg_s[1:] != reg_s[:-1]
    chosen = order[by_reg[first]]
    chosen = chosen[key[chosen] > -math.inf]  # drops -inf and NaN
    chosen = chosen[torch.argsort(key[chosen], descending=True, stable=True)][:n]
    if chosen.shape[0] < n:  # fill with the best remaining points overall
        mask = torch.ones(X.shape[0], dtype=torch.bool, device=X.device)
        mask[chosen] = False
        rest = torch.nonzero(mask & (key > -math.inf)).squeeze(1)
        rest = rest[torch.argsort(key[rest], descending=True, stable=True)][: n - chosen.shape[0]]
        chosen = torch.cat([chosen, rest])
    return X[chosen]


def _ascent_stage(S: _Search, cfg: dict, parts: dict, bar) -> None:
    """Region-wise starts, the two ascents, then restarts from the best end points of every region."""
    X, K, Sc = S.pooled()
    S.collect = False
    n = cfg["starts"]
    anchors = S.ball_points(max(1, n), sobol=True)
    steps1 = max(1, (3 * cfg["steps"]) // 5)
    steps_v = max(1, cfg["steps"] // 2)
    steps2 = max(1, cfg["steps"] - steps1)
    kstarts = _region_best(S, X, torch.where(K > 0, torch.log(K.clamp_min(S.tiny)), torch.full_like(K, -math.inf)),
                           anchors, n)
    # ray-crossing starts when the pool has too few points above the level set
    if kstarts.shape[0] < n:
        u = S.random_dirs(n - kstarts.shape[0])
        t_in, t_out = S.interval(u)
        ok = torch.isfinite(t_out)
        extra = S.on_ray(u[ok], (t_in + 1e-6 * (t_out - t_in))[ok]).reshape(-1, S.n)
        kstarts = torch.cat([kstarts, extra])
    vstarts = _region_best(S, X, torch.where(torch.isfinite(Sc), -Sc, torch.full_like(Sc, -math.inf)), anchors,
                           max(1, n // 2))
    ends = []
    if kstarts.shape[0]:
        xe, ke = _part(S, parts, "ascent_kappa", lambda: _ascent(S, S.unflat(kstarts), steps1, "kappa", bar))
        ends.append((xe.reshape(xe.shape[0], S.n), ke))
    if vstarts.shape[0]:
        _part(S, parts, "ascent_violation", lambda: _ascent(S, S.unflat(vstarts), steps_v, "violation", bar))
    # restarts: best end point of every region, and jittered copies of the best point so far
    if ends:
        xe, ke = ends[0]
        m = max(1, n // 2)
        best = _region_best(S, xe, torch.where(ke > 0, ke, torch.full_like(ke, -math.inf)), anchors, m)
        nj = max(1, m - best.shape[0] // 2)
        scales = S.R * torch.exp(torch.linspace(math.log(1e-4), math.log(1e-1), nj, dtype=S.dt)).to(S.dev)
        jit = S.best_x + scales.unsqueeze(1) * S.random_dirs(nj)
        rs = torch.cat([best[: m - nj] if m > nj else best[:0], jit])
        _part(S, parts, "restarts", lambda: _ascent(S, S.unflat(rs), steps2, "kappa", bar))


def _part(S: _Search, parts: dict, name: str, fn):
    """Run one strategy, recording its best kappa, points and seconds (also when it stops the search)."""
    before, ts = S.points, time.perf_counter()
    S.local_k = torch.zeros((), dtype=S.dt, device=S.dev)
    try:
        return fn()
    finally:
        parts[name] = {"kappa": float(S.local_k), "points": S.points - before, "seconds": time.perf_counter() - ts}


def _one_seed(f, z, fz, eps, center, radius, cfg, seed, kappa_stop, bar) -> tuple[_Search, dict, list[str]]:
    S = _Search(f, z, fz, eps, center, radius, kappa_stop, seed)
    stages: dict[str, dict] = {}
    run: list[str] = []

    def stage(name: str, fn) -> bool:
        parts: dict[str, dict] = {}
        before, ts = S.points, time.perf_counter()
        stopped = False
        try:
            fn(parts)
        except _Stop:
            stopped = True
        if not parts:
            parts[name] = {"kappa": float(S.local_k), "points": S.points - before,
                           "seconds": time.perf_counter() - ts}
        kap = max([p["kappa"] for p in parts.values()] + [0.0])
        stages[name] = {"kappa": kap, "points": S.points - before, "seconds": time.perf_counter() - ts,
                        "parts": parts}
        run.extend(parts)
        return stopped

    stopped = stage("sampling", lambda parts: _sampling(S, cfg["samples"], parts))
    bar(1)
    if not stopped:
        def rays(parts):
            X, K, _ = S.pooled()
            order = torch.argsort(K, descending=True)[: max(1, cfg["rays"] // 16)]
            top = X[order][K[order] > 0]
            _part(S, parts, "rays", lambda: _rays(S, cfg["rays"], cfg["grid"], cfg["bisect"], top))

        stopped = stage("rays", rays)
    bar(1)
    if not stopped and float(S.max_gap) > eps:
        stopped = stage("ascent", lambda parts: _ascent_stage(S, cfg, parts, bar))
    return S, stages, run


def _seeds(seed: Any) -> list[int]:
    """``seed`` as a non-empty list of ints (an int, or a sequence / 1-d tensor of ints)."""
    bad = ValueError(f"seed must be an int or a sequence of ints, got {seed!r}")

    def one(s: Any) -> int:
        if torch.is_tensor(s) and s.ndim == 0 and not s.is_floating_point():
            s = int(s)
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise bad
        return int(s)

    if isinstance(seed, (str, bytes)):
        raise bad
    if isinstance(seed, Sequence) or (torch.is_tensor(seed) and seed.ndim == 1):
        out = [one(s) for s in seed]
        if not out:
            raise ValueError("seed: give at least one seed")
        return out
    return [one(seed)]


def probe(f, z, eps: float, radius: float, center=None, budget: str = "quick", seed: int | Sequence[int] = 0,
          device=None, kappa_stop: float | None = None, progress: bool = False) -> ProbeResult:
    """Measure the empirical kappa of f over the ball B(center, radius).

    Args:
        f: objective mapping a batch (P, *z.shape) to values (P,), differentiable by torch
            autograd; may offer ``value_and_grad`` (closed form) and ``value`` (values only,
            used by the bisections) for speed.
        z: reference point (vector or matrix); may lie outside the domain.
        eps: eps > 0 of Definition 1.
        radius: radius R > 0 of the domain.
        center: centre of the domain; the origin by default (the paper's B(0, W)).
        budget: ``quick``, ``standard`` or ``thorough`` (see :data:`BUDGETS`), or a dict that
            overrides some keys of ``quick`` (e.g. ``{"samples": 512, "steps": 20}``).
        seed: RNG seed of the search, or a sequence of seeds: one full search per seed, the
            worst case over them is kept (the search stops early once a violation or a
            kappa above ``kappa_stop`` is found). Reproducible for fixed seeds.
        device: torch device for the search (``cpu``/``cuda``); z and center are moved there.
            f must accept tensors on that device.
        kappa_stop: stop as soon as a point needs a kappa above this value.
        progress: show a progress bar.

    Returns:
        :class:`ProbeResult`; ``searched`` says what was searched.

    Raises:
        ValueError: eps or radius <= 0, unknown budget, bad seeds, shapes that do not match,
            NaN/inf in z, center or f's values, f returning the wrong shape.

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
    seeds = _seeds(seed)
    if not callable(f):
        raise ValueError("f must be callable: a batch (P, *z.shape) -> values (P,)")
    if kappa_stop is not None:
        kappa_stop = V.positive("kappa_stop", kappa_stop)
    dev = V.resolve_device(device) if device is not None else None
    z = V.as_float_tensor("z", z, device=dev)
    if z.ndim == 0:
        raise ValueError("z must be a vector or a matrix, got a scalar")
    center = torch.zeros_like(z) if center is None else V.as_float_tensor("center", center, dtype=z.dtype,
                                                                          device=z.device)
    if center.shape != z.shape:
        raise ValueError(f"center must have the shape of z {tuple(z.shape)}, got {tuple(center.shape)}")
    fz = f_at(f, z)
    t0 = time.perf_counter()
    bar_ = tqdm(total=len(seeds) * (2 + cfg["steps"] + cfg["steps"] // 2), desc=f"probe[{budget_name}]",
                disable=not progress, leave=False)
    best = None
    per_seed, points, run_seeds = [], 0, []
    try:
        for s in seeds:
            S, stages, run = _one_seed(f, z, fz, eps, center, radius, cfg, s, kappa_stop, bar_.update)
            points += S.points
            run_seeds.append(s)
            kap = float(S.best_k)
            S.violation = S.violation or kap == math.inf
            S.exceeded = S.exceeded or (kappa_stop is not None and kap > kappa_stop)
            per_seed.append({"seed": s, "kappa": kap, "violation": S.violation, "exceeded": S.exceeded,
                             "points": S.points, "max_gap": float(S.max_gap)})
            if best is None or kap > best[1] or (S.max_gap > best[0].max_gap and kap == best[1] == 0):
                best = (S, kap, stages, run)
            if S.violation or S.exceeded:
                break
    finally:
        bar_.close()
    S, kappa, stages, run = best
    if kappa > 0:
        wit = S.best_x.reshape(z.shape).detach().clone()
        gap, inner, gnorm = (float(v) for v in S.best_t)
    else:
        wit, gap, inner, gnorm = None, None, None, None
    max_gap = max(p["max_gap"] for p in per_seed)
    searched = {
        "budget": budget_name, "config": dict(cfg), "seeds": run_seeds, "seeds_requested": seeds,
        "strategies": [n for n in STRATEGIES if n in run], "points": points, "z_in_domain": S.z_in,
        "center_norm": float(torch.linalg.vector_norm(center)), "per_seed": per_seed, "worst_seed": S.seed,
    }
    return ProbeResult(
        kappa=kappa, witness=wit, witness_gap=gap, witness_inner=inner, witness_gnorm=gnorm,
        violation=S.violation, exceeded=S.exceeded, points_evaluated=points, strategies=stages,
        seconds=time.perf_counter() - t0, eps=eps, radius=radius, budget=budget_name, max_gap=max_gap,
        searched=searched,
    )
