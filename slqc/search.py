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
   two ascents start from the best points of every region (``starts`` of them for the kappa
   ascent, ``vstarts`` for the violation ascent; beyond one per region, the best overall):

   * ``ascent_kappa``: projected normalized-gradient ascent on log kappa_min (second order:
     a closed-form Hessian-vector product for the GLM and one-hidden-layer stacks, autograd's
     double backward for other objectives), with per-point step sizes, and a retraction along the ray from z back
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

Instance batching: :func:`probe_batch` searches B instances (objectives of one point shape,
each with its own z, eps, domain and kappa_stop) as one search, every tensor with a leading
instance axis and the objectives evaluated by batched products (:mod:`slqc.stack`). Each
instance draws from its own generator, stops on its own, and leaves an ascent at its own
plateau, so it follows the path it follows alone: :func:`probe` is the case B = 1.

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
from ._branch import branch
from .definitions import SLQCTerms, f_at, kappa_from_terms
from .stack import batch_key, stack_objectives

BUDGETS: dict[str, dict[str, int]] = {
    # samples: ball samples; rays: rays from z; grid: points per ray before bisection;
    # bisect: bisection steps; starts: ascent starts (and regions); steps: ascent iterations;
    # vstarts: starts of the violation ascent (half the ascent starts; a claim's problems may ask
    # for more through ``Problem.search``, see :mod:`slqc.claims.base`).
    "quick": dict(samples=2048, rays=256, grid=24, bisect=40, starts=32, steps=80, vstarts=16),
    "standard": dict(samples=8192, rays=1024, grid=32, bisect=50, starts=128, steps=200, vstarts=64),
    "thorough": dict(samples=65536, rays=8192, grid=48, bisect=60, starts=1024, steps=500, vstarts=512),
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

# Device types on which the ascent's retractions evaluate only the points below the level set (one host
# read per call: free on the CPU; on CUDA a synchronisation per ascent step, so every point is evaluated).
COMPACT_DEVICES: tuple[str, ...] = ("cpu",)

#: the ascents' second-order directions from the stacks' closed-form Hessian-vector products where
#: they have one (``value_grad_hvp``); False takes autograd's double backward everywhere, as before
#: (``docs/closed_dirs_bench.py`` times the two in one process)
CLOSED_FORM_DIRECTIONS = True

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
            ``z_in_domain``, ``per_seed`` (kappa, violation, points per seed), ``worst_seed``,
            and ``batch_instances`` when the instance was searched in a batch (then ``seconds``
            is its share of the batch's wall time).
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
    """Raised inside the search when every instance has stopped (violation, kappa_stop, error)."""


def _entry_exit(bu: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Roots t_in <= t_out (t >= 0) of t^2 + 2 bu t + c = 0: where the ray z + t u (u unit, bu = <u, z - center>,
    c = ||z - center||^2 - R^2) enters and leaves the ball; NaN where it misses it."""
    disc = bu * bu - c
    sq = torch.sqrt(disc.clamp_min(0))
    t_out = -bu + sq
    t_in = (-bu - sq).clamp_min(0)
    ok = (disc >= 0) & (t_out > 0)
    nan = torch.full_like(t_out, float("nan"))
    return torch.where(ok, t_in, nan), torch.where(ok, t_out, nan)


def _pad(rows: Sequence[torch.Tensor | None], n: int, dt, dev) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack per-instance (count_b, n) tensors into (B, max count, n) and a (B, max count) valid mask.

    Missing rows (None: the instance draws nothing) count 0. Padding repeats an instance's
    first row (or is 0 when it has none): padded points are real points that are evaluated
    but never counted, never kept as best points and never pooled.
    """
    counts = [0 if r is None else int(r.shape[0]) for r in rows]
    Q = max(counts + [0])
    out = torch.zeros(len(rows), Q, n, dtype=dt, device=dev)
    valid = torch.zeros(len(rows), Q, dtype=torch.bool, device=dev)
    for b, r in enumerate(rows):  # loop over instances (setup, not the hot path)
        c = counts[b]
        if c:
            out[b, :c] = r
            out[b, c:] = r[0]
            valid[b, :c] = True
    return out, valid


class _Search:
    """State of one seed of the search over B instances: best points (on the device), counters, stop rule.

    Every per-instance quantity has a leading instance axis: points are (B, P, n) (flat), values
    (B, P). ``mask`` (B,) says which instances take part in what runs now (not stopped, and in
    the current stage / ascent); ``live`` is its host copy. Only taking-part instances draw
    random numbers, are counted, and update their best point, so an instance follows exactly
    the path it follows when searched alone (same seed, same draws, same decisions).
    """

    def __init__(self, F, z, fz, eps, center, radius, kappa_stop, seeds: Sequence[int]):
        self.F = F
        self.B = z.shape[0]
        self.shape = z.shape[1:]
        self.dev, self.dt = z.device, z.dtype
        fi = torch.finfo(self.dt)
        self.tiny = fi.tiny
        # clipped points lie at distance <= R (1 - shrink) from c, so ||x - c|| <= R after rounding
        self.shrink = 8 * fi.eps
        self.n = int(math.prod(self.shape))
        self.seeds = [int(s) for s in seeds]
        self.gens = []
        for s in self.seeds:
            g = torch.Generator()
            g.manual_seed(s)
            self.gens.append(g)
        self.zf = z.reshape(self.B, self.n)
        self.cf = center.reshape(self.B, self.n)
        self.Rl = [float(r) for r in radius]
        self.R = torch.tensor(self.Rl, dtype=self.dt, device=self.dev)
        self.lim = torch.tensor([r * (1 - self.shrink) for r in self.Rl], dtype=self.dt, device=self.dev)
        self.epsl = [float(e) for e in eps]
        self.eps = torch.tensor(self.epsl, dtype=self.dt, device=self.dev).unsqueeze(1)  # (B, 1)
        self.fz = fz.reshape(self.B, 1)
        self.kappa_stop = list(kappa_stop)
        zc = self.zf - self.cf
        self.z_in = (torch.linalg.vector_norm(zc, dim=1) <= self.R).tolist()
        # the point of the domain nearest to z (z itself when z lies inside)
        self.zp = self.clip(self.zf.unsqueeze(1)).reshape(self.B, self.n)
        B = self.B
        self.best_k = torch.zeros(B, dtype=self.dt, device=self.dev)
        self.best_x = self.zp.clone()
        self.best_t = torch.zeros(B, 3, dtype=self.dt, device=self.dev)
        self.local_k = torch.zeros(B, dtype=self.dt, device=self.dev)
        self.max_gap = torch.full((B,), -math.inf, dtype=self.dt, device=self.dev)
        self.nonfinite = torch.zeros(B, dtype=torch.bool, device=self.dev)
        self.points = torch.zeros(B, dtype=torch.int64, device=self.dev)
        self.violation = [False] * B
        self.exceeded = [False] * B
        self.error: list[str | None] = [None] * B
        self.alive = [True] * B
        self.set_live([True] * B)
        self.chunk = max(1, _CHUNK_ELEMS // max(1, self.n * B))
        self.pool: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # (x flat, kappa, score), (B, P, ...)
        self.collect = True
        self.orig = list(range(B))  # the instance each row is (rows of stopped instances are dropped, see retire)
        self.retired: dict[int, dict] = {}
        self._vc_key: torch.Tensor | None = None  # see _valid_counts
        self._vc: list[int] = []

    # -- rows of instances that stopped -------------------------------------------------------
    _ROW_TENSORS = ("zf", "cf", "R", "lim", "eps", "fz", "zp", "best_k", "best_x", "best_t", "local_k", "max_gap",
                    "nonfinite", "points")
    _ROW_LISTS = ("gens", "seeds", "Rl", "epsl", "kappa_stop", "z_in", "violation", "exceeded", "error", "alive",
                  "orig")

    def _result(self, b: int) -> dict:
        return {"kappa": float(self.best_k[b]), "points": int(self.points[b]), "max_gap": float(self.max_gap[b]),
                "x": self.best_x[b], "t": self.best_t[b], "violation": self.violation[b],
                "exceeded": self.exceeded[b], "error": self.error[b], "z_in": self.z_in[b]}

    def retire(self) -> None:
        """Drop the rows of the instances that stopped (violation, kappa_stop, error), keeping their results.

        Called between stages: the instances still searching then run without the padding of the
        stopped ones in every tensor (their own paths do not change).
        """
        keep = [b for b in range(self.B) if self.alive[b]]
        if not keep or len(keep) == self.B:
            return
        for b in range(self.B):
            if not self.alive[b]:
                self.retired[self.orig[b]] = self._result(b)
        kt = torch.tensor(keep, dtype=torch.long, device=self.dev)
        for name in self._ROW_TENSORS:
            setattr(self, name, getattr(self, name).index_select(0, kt))
        for name in self._ROW_LISTS:
            rows = getattr(self, name)
            setattr(self, name, [rows[b] for b in keep])
        self.pool = [tuple(t.index_select(0, kt) for t in entry) for entry in self.pool]
        self.F = self.F.select(keep)
        self.B = len(keep)
        self.chunk = max(1, _CHUNK_ELEMS // max(1, self.n * self.B))
        self.set_live(self.alive)

    def results(self, B: int) -> list[dict]:
        """Per instance (all B of the start, in order): best kappa, points, max_gap, best point and terms, flags."""
        out = dict(self.retired)
        for b in range(self.B):
            out[self.orig[b]] = self._result(b)
        return [out[j] for j in range(B)]

    def set_live(self, live: Sequence[bool]) -> None:
        """Instances that take part from now on (never one that stopped)."""
        self.live = [bool(a) and bool(b) for a, b in zip(live, self.alive)]
        self.mask = torch.tensor(self.live, dtype=torch.bool, device=self.dev)
        # only the instances taking part are evaluated: Fl is the stack of those (idx in F)
        self.idx = [b for b in range(self.B) if self.live[b]]
        self.all_live = len(self.idx) == self.B
        self.Fl = self.F if self.all_live else (self.F.select(self.idx) if self.idx else None)
        self.idx_t = torch.tensor(self.idx, dtype=torch.long, device=self.dev)

    def sub(self, x: torch.Tensor) -> torch.Tensor:
        """The rows of x (B, ...) of the instances taking part."""
        return x if self.all_live else x.index_select(0, self.idx_t)

    def full(self, v: torch.Tensor) -> torch.Tensor:
        """Rows of the instances taking part back into a (B, ...) tensor (zeros elsewhere); differentiable."""
        if self.all_live:
            return v
        return torch.zeros((self.B,) + tuple(v.shape[1:]), dtype=v.dtype, device=v.device).index_copy(0, self.idx_t, v)

    # -- random draws, per instance from its own generator ------------------------------------
    def _dirs1(self, b: int, P: int) -> torch.Tensor:
        u = torch.randn(P, self.n, generator=self.gens[b], dtype=self.dt).to(self.dev)
        return u / torch.linalg.vector_norm(u, dim=1, keepdim=True).clamp_min(self.tiny)

    def _dirs_to1(self, b: int, pts: torch.Tensor) -> torch.Tensor:
        """Unit directions from z_b towards points (P, n) (random where a point equals z)."""
        v = pts - self.zf[b]
        nrm = torch.linalg.vector_norm(v, dim=1, keepdim=True)
        return torch.where(nrm > 0, v / nrm.clamp_min(self.tiny), self._dirs1(b, pts.shape[0]))

    def _ball1(self, b: int, P: int, sobol: bool = False) -> torch.Tensor:
        """P points of B(c_b, R_b) (flat, (P, n)), uniform in volume; scrambled Sobol when asked and possible."""
        if sobol and self.n + 1 <= _SOBOL_MAX_DIM:
            eng = torch.quasirandom.SobolEngine(self.n + 1, scramble=True, seed=self.seeds[b])
            q = eng.draw(P, dtype=torch.float64)
            lo, hi = 1e-12, 1 - 1e-12
            g = math.sqrt(2) * torch.erfinv(2 * q[:, :self.n].clamp(lo, hi) - 1)
            u = (g / torch.linalg.vector_norm(g, dim=1, keepdim=True).clamp_min(1e-300)).to(self.dt).to(self.dev)
            r = q[:, self.n].to(self.dt).to(self.dev)
        else:
            u = self._dirs1(b, P)
            r = torch.rand(P, generator=self.gens[b], dtype=self.dt).to(self.dev)
        return self.cf[b] + (self.Rl[b] * r ** (1.0 / self.n)).unsqueeze(1) * u

    def per_instance(self, fn: Callable[[int], torch.Tensor | None]) -> tuple[torch.Tensor, torch.Tensor]:
        """fn(b) for every taking-part instance (the others draw nothing), padded: (B, Q, n) and valid (B, Q)."""
        rows = [fn(b) if self.live[b] else None for b in range(self.B)]
        return _pad(rows, self.n, self.dt, self.dev)

    def random_dirs(self, P: int, valid: torch.Tensor | None = None) -> torch.Tensor:
        """Random unit directions for the valid points of each taking-part instance (zeros elsewhere): (B, P, n).

        An instance draws one direction per valid point (P when ``valid`` is None), in order, so
        it draws what it draws when searched alone, where its points are exactly its valid ones
        (a padded batch must not advance its generator further: every later draw would shift).
        """
        out = torch.zeros(self.B, P, self.n, dtype=self.dt, device=self.dev)
        counts = [P] * self.B if valid is None else self._valid_counts(valid)
        for b in range(self.B):  # loop over instances: each draws from its own generator
            if not self.live[b] or counts[b] == 0:
                continue
            if counts[b] == P:
                out[b] = self._dirs1(b, P)
            else:
                out[b, valid[b]] = self._dirs1(b, counts[b])
        return out

    def _valid_counts(self, valid: torch.Tensor) -> list[int]:
        """Valid points per instance (a host read, cached for the last ``valid`` seen: one per ascent)."""
        if self._vc_key is not valid:
            self._vc_key, self._vc = valid, valid.sum(1).tolist()
        return self._vc

    # -- geometry ---------------------------------------------------------------------------
    def clip(self, x: torch.Tensor) -> torch.Tensor:
        """Projection of each point of x (B, P, ...) onto B(c_b, R_b (1 - shrink)); points inside stay put."""
        B, P = x.shape[0], x.shape[1]
        d = x.reshape(B, P, self.n) - self.cf.unsqueeze(1)
        nrm = torch.linalg.vector_norm(d, dim=2, keepdim=True)
        scale = torch.clamp(self.lim.reshape(B, 1, 1) / nrm.clamp_min(self.tiny), max=1.0)
        return (self.cf.unsqueeze(1) + d * scale).reshape(x.shape)

    def interval(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Entry and exit times [t_in, t_out] (t >= 0) of z + t u in the domain for unit u (B, P, n); NaN if none."""
        zc = self.zf - self.cf
        return _entry_exit(torch.linalg.vecdot(u, zc.unsqueeze(1)), ((zc * zc).sum(1) - self.R**2).unsqueeze(1))

    def interval_one(self, b: int, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`interval` for the rays u (P, n) of instance b alone."""
        zc = self.zf[b] - self.cf[b]
        return _entry_exit(u @ zc, zc @ zc - self.Rl[b] ** 2)

    def on_ray(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """z_b + t u for u (B, P, n), t (B, P) -> points (B, P, *S)."""
        return (self.zf.unsqueeze(1) + t.unsqueeze(-1) * u).reshape((self.B, -1) + tuple(self.shape))

    def rays(self, u: torch.Tensor) -> "_Rays":
        """The rays z_b + t u (u (B, P, n), unit) for values at many times t (:class:`_Rays`)."""
        return _Rays(self, u)

    def unflat(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape((self.B, -1) + tuple(self.shape))

    def _counted(self, valid: torch.Tensor | None, P: int) -> torch.Tensor:
        """(B, P) mask of the points that count: valid ones of taking-part instances."""
        m = self.mask.unsqueeze(1).expand(self.B, P)
        return m if valid is None else m & valid

    # -- evaluation -------------------------------------------------------------------------
    def values(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """f(x) - f(z) (B, P) without gradients, at the points clipped onto the domain, chunked."""
        x = self.clip(x)
        P = x.shape[1]
        out = []
        if self.Fl is None:
            return torch.zeros(x.shape[:2], dtype=self.dt, device=self.dev)
        xs = self.sub(x)
        with torch.no_grad():
            for s in range(0, P, self.chunk):  # loop over chunks of points, not over points
                xb = xs[:, s:s + self.chunk]
                vb = self.Fl.value(xb) if hasattr(self.Fl, "value") else self.Fl(xb)
                if tuple(vb.shape) != tuple(xb.shape[:2]):
                    raise ValueError(f"f must map a batch of P={xb.shape[1]} points to a tensor of shape "
                                     f"({xb.shape[1]},), got {tuple(vb.shape[1:])}")
                out.append(self.full(vb) - self.fz)
        return self._tally(torch.cat(out, dim=1), valid)

    def _tally(self, gap: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
        """Count the points of ``gap`` (B, P) that count, flag their non-finite values; returns ``gap``."""
        counted = self._counted(valid, gap.shape[1])
        self.points += counted.sum(1)
        self.nonfinite = self.nonfinite | (~torch.isfinite(gap) & counted).any(1)
        return gap

    def terms(self, x: torch.Tensor) -> tuple[SLQCTerms, torch.Tensor]:
        """gap, <g, x - z>, ||g|| at points x (B, P, *S) (closed form when the stack has one), and a
        (B, P) mask of points where the value or the gradient is not finite."""
        B, P = x.shape[0], x.shape[1]
        if self.Fl is None:
            vals, g = torch.zeros(x.shape[:2], dtype=self.dt, device=self.dev), torch.zeros_like(x)
        elif hasattr(self.Fl, "value_and_grad"):
            vals, g = self.Fl.value_and_grad(self.sub(x))
        else:
            with torch.enable_grad():
                xg = self.sub(x).detach().requires_grad_(True)
                vals = self.Fl(xg)
                (g,) = torch.autograd.grad(vals.sum(), xg)
            vals = vals.detach()
        vals, g = self.full(vals), self.full(g)
        gf = g.reshape(B, P, self.n)
        inner = torch.linalg.vecdot(gf, x.reshape(B, P, self.n) - self.zf.unsqueeze(1))
        gnorm = torch.linalg.vector_norm(gf, dim=2)
        bad = ~torch.isfinite(vals) | ~torch.isfinite(gnorm)
        return SLQCTerms(gap=vals - self.fz, inner=inner, gnorm=gnorm), bad

    def evaluate(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """kappa_min at every point of x (B, P, *S) after clipping; updates the best points (no host sync)."""
        if x.shape[1] == 0:
            return torch.zeros(self.B, 0, dtype=self.dt, device=self.dev)
        x = self.clip(x)
        kap = []
        for s in range(0, x.shape[1], self.chunk):  # loop over chunks of points, not over points
            xb = x[:, s:s + self.chunk]
            vb = None if valid is None else valid[:, s:s + self.chunk]
            t, bad = self.terms(xb)
            k = kappa_from_terms(t, self.eps)
            kap.append(k)
            counted = self._counted(vb, xb.shape[1])
            self.points += counted.sum(1)
            self.nonfinite = self.nonfinite | (bad & counted).any(1)
            self.update(xb, t, k, vb)
        return torch.cat(kap, dim=1)

    def update(self, x: torch.Tensor, t: SLQCTerms, k: torch.Tensor, valid: torch.Tensor | None = None) -> None:
        """Fold a batch into the best points, the strategy's best and max_gap, on the device."""
        B, P = k.shape
        ok = self._counted(valid, P)
        k = torch.where(torch.isnan(k), torch.zeros_like(k), k)
        km = torch.where(ok, k, torch.full_like(k, -math.inf))
        gm = torch.where(ok, t.gap, torch.full_like(k, -math.inf))
        self.max_gap = torch.maximum(self.max_gap, gm.max(1).values)
        i = torch.argmax(km, dim=1)
        ar = torch.arange(B, device=self.dev)
        kv = km[ar, i]
        self.local_k = torch.maximum(self.local_k, kv)
        better = kv > self.best_k
        xf = x.reshape(B, P, self.n)
        self.best_k = torch.where(better, kv, self.best_k)
        self.best_x = torch.where(better.unsqueeze(1), xf[ar, i], self.best_x)
        tb = torch.stack([t.gap[ar, i], t.inner[ar, i], t.gnorm[ar, i]], dim=1)
        self.best_t = torch.where(better.unsqueeze(1), tb, self.best_t)
        if self.collect:
            dist = torch.linalg.vector_norm(xf - self.zf.unsqueeze(1), dim=2).clamp_min(self.tiny)
            score = torch.where(t.gap > self.eps, t.inner / (t.gnorm.clamp_min(self.tiny) * dist),
                                torch.full_like(k, math.inf))
            score = torch.where(ok, score, torch.full_like(k, math.inf))
            self.pool.append((xf.detach(), km.detach(), score.detach()))

    def check(self, raise_stop: bool = True) -> None:
        """Host-side read of the stop flags (one synchronisation): stops instances.

        Raises:
            _Stop: (with ``raise_stop``) this check stopped the last instance taking part.
        """
        bk, bad = self.best_k.tolist(), self.nonfinite.tolist()
        stopped = False
        for b in range(self.B):  # loop over instances, not points
            if not self.live[b]:
                continue
            if bad[b]:
                self.error[b] = "f returned NaN or inf inside the search domain; f must be finite on the ball"
            elif bk[b] == math.inf:
                self.violation[b] = True
            elif self.kappa_stop[b] is not None and bk[b] > self.kappa_stop[b]:
                self.exceeded[b] = True
            else:
                continue
            self.alive[b] = False
            stopped = True
        if stopped:
            self.set_live(self.live)
            if raise_stop and not any(self.live):
                raise _Stop

    def pooled(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        xs, ks, ss = zip(*self.pool)
        return torch.cat(xs, dim=1), torch.cat(ks, dim=1), torch.cat(ss, dim=1)


class _Rays:
    """Rays z_b + t u[b, p] of a search, evaluated at many times t (grids, bisections, secant steps).

    When the stack of the instances taking part has a line form (``line``: GLMs and first layers,
    whose pre-activations are linear in the point, :meth:`slqc.stack.GLMStack.line`), the
    pre-activations of z and of u are made once per ray and every time t costs an elementwise
    pass instead of a matrix product per point. Otherwise the points are evaluated one by one
    (:meth:`_Search.values`). Either way the values are f(z + t u) - f(z): the points are not
    clipped, which moves nothing but rounding, since every time asked for lies in [0, t_out] of
    the domain's ball (:meth:`_Search.interval`) and a clip moves such a point by at most
    8 ulps of the radius. Counted and checked for non-finite values as :meth:`_Search.values` (``_tally``).
    """

    def __init__(self, S: "_Search", u: torch.Tensor):
        self.S, self.u = S, u
        self._key: tuple | None = None
        self._fn: Callable[[torch.Tensor], torch.Tensor] | None = None

    def _line(self) -> Callable[[torch.Tensor], torch.Tensor] | None:
        S = self.S
        key = tuple(S.idx)  # the instances taking part (their stack) may change between calls
        if key != self._key:
            line = getattr(S.Fl, "line", None)
            shape = tuple(S.shape)
            self._fn = None if line is None else line(S.sub(S.zf).reshape((-1,) + shape),
                                                      S.sub(self.u).reshape((len(key), -1) + shape))
            self._key = key
        return self._fn

    def values(self, t: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """f(z + t u) - f(z) at times t (B, P) or (B, P, G) (G times per ray); ``valid`` of t's shape."""
        S = self.S
        B, P = t.shape[0], t.shape[1]
        G = t.shape[2] if t.ndim == 3 else 1
        vf = None if valid is None else valid.reshape(B, P * G)
        fn = self._line() if S.Fl is not None else None
        if fn is None:
            u = self.u if G == 1 else self.u.repeat_interleave(G, 1)
            return S.values(S.on_ray(u, t.reshape(B, P * G)), vf).reshape(t.shape)
        with torch.no_grad():
            vals = S.full(fn(S.sub(t.reshape(B, P, G)))).reshape(B, P * G)
        return S._tally(vals - S.fz, vf).reshape(t.shape)


# ------------------------------------------------------------------------------- strategies
def _sampling(S: _Search, n: int, parts: list[dict]) -> None:
    """Sobol points over the ball (n/2), uniform-radius shells (n/4), log-uniform distances around z (n/4)."""
    n_sob, n_sh = n // 2, n // 4
    n_z = max(1, n - n_sob - n_sh)

    def sobol():
        x, v = S.per_instance(lambda b: S._ball1(b, n_sob, True))
        S.evaluate(S.unflat(x), v)

    _part(S, parts, "sobol", sobol)

    def radial(count: int, centre: Callable, dist: Callable) -> None:
        """count points per instance at random directions from centre(b), at distances dist(b, uniform)."""
        def one(b):
            u = S._dirs1(b, count)
            r = torch.rand(count, generator=S.gens[b], dtype=S.dt).to(S.dev)
            return centre(b) + dist(b, r).unsqueeze(1) * u

        x, v = S.per_instance(one)
        S.evaluate(S.unflat(x), v)

    _part(S, parts, "shells", lambda: radial(n_sh, lambda b: S.cf[b], lambda b, r: S.Rl[b] * r))
    _part(S, parts, "near_z", lambda: radial(n_z, lambda b: S.zp[b],
                                             lambda b, r: S.Rl[b] * torch.exp(math.log(1e-4) * r)))
    S.check()


def _rays(S: _Search, n: int, grid: int, bisect: int, extra: list[torch.Tensor | None]) -> None:
    """Rays from z through the ball; first level-set crossing on each (grid, then bisection)."""
    rows = []
    for b in range(S.B):  # loop over instances (setup of the stage)
        if not S.live[b]:
            rows.append(None)
            continue
        half = n // 2 if S.z_in[b] else 0
        u = torch.cat([S._dirs1(b, half), S._dirs_to1(b, S._ball1(b, n - half))])
        if extra[b] is not None and extra[b].shape[0]:
            u = torch.cat([S._dirs_to1(b, extra[b]), u])
        rows.append(u)
    u, valid = _pad(rows, S.n, S.dt, S.dev)
    if u.shape[1] == 0:
        return
    t_in, t_out = S.interval(u)
    valid = valid & torch.isfinite(t_out)
    u, valid, t_in, t_out = _compact(valid, u, t_in, t_out)
    if u.shape[1] == 0:
        return
    # grid in t on [t_in, t_out]: geometric from 1e-6 of the length (the level set can sit very close to z)
    frac = torch.logspace(-6, 0, grid, dtype=u.dtype, device=u.device)
    T = t_in.unsqueeze(2) + (t_out - t_in).unsqueeze(2) * frac  # (B, P, grid)
    B, P = u.shape[0], u.shape[1]
    gap = S.rays(u).values(T, valid.unsqueeze(2).expand(B, P, grid))
    above = (gap > S.eps.unsqueeze(2)) & valid.unsqueeze(2)
    has = above.any(2)
    if not bool(has.any()):  # one host read per stage: only rays that cross the level set are bisected
        S.check()
        return
    u, has, T, above, t_in = _compact(has, u, T, above, t_in)
    first = torch.argmax(above.to(torch.int8), dim=2)
    hi = T.gather(2, first.unsqueeze(2)).squeeze(2)
    lo = torch.where(first > 0, T.gather(2, (first - 1).clamp_min(0).unsqueeze(2)).squeeze(2), t_in)
    rays = S.rays(u)
    for _ in range(bisect):
        mid = 0.5 * (lo + hi)
        up = rays.values(mid, has) > S.eps
        hi = torch.where(up, mid, hi)
        lo = torch.where(up, lo, mid)
    # points just above the level set, and the grid points at and above the crossing on each ray
    S.evaluate(S.on_ray(u, hi), has)
    j = first.unsqueeze(2) + torch.arange(4, device=T.device)  # (B, P, 4)
    sel = (j < grid) & has.unsqueeze(2)
    Tj = T.gather(2, j.clamp(max=grid - 1))
    B, P = u.shape[0], u.shape[1]
    S.evaluate(S.on_ray(u.repeat_interleave(4, 1), Tj.reshape(B, -1)), sel.reshape(B, -1))
    S.check()


def _compact(keep: torch.Tensor, *ts: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Move the kept entries (B, P) of each tensor (B, P, ...) to the front, in order, and cut the padding.

    Returns the tensors in the order given, with ``keep`` compacted in place of the first
    one's mask (second position): (ts[0], keep, ts[1], ...). One host read (the largest count).
    """
    order, newkeep = _front(keep)
    out = [_gather_rows(t, order) for t in ts]
    return (out[0], newkeep, *out[1:])


def _front(keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (B, Q) that put the kept entries of each row of ``keep`` (B, P) first, in order (Q the
    largest count; one host read), and the mask (B, Q) of the kept ones among them."""
    B = keep.shape[0]
    counts = keep.sum(1)
    Q = int(counts.max()) if B else 0
    order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)[:, :Q]
    return order, torch.arange(Q, device=keep.device).unsqueeze(0) < counts.unsqueeze(1)


def _gather_rows(t: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """Entries ``order`` (B, Q) of t (B, P, ...) along its second axis."""
    B, Q = order.shape
    return t.gather(1, order.reshape((B, Q) + (1,) * (t.ndim - 2)).expand((B, Q) + tuple(t.shape[2:])))


def _below_first(below: torch.Tensor, valid: torch.Tensor | None, *ts: torch.Tensor) -> tuple:
    """The compaction of the retractions: the points below the level set first in each row.

    Returns (order (B, Q), need (B, Q): the entries that are points below, valid (B, Q): those of
    them that count, and each of ``ts`` (B, P, ...) gathered to (B, Q, ...)).
    """
    order, need = _front(below)
    valid_ = need if valid is None else need & _gather_rows(valid, order)
    return (order, need, valid_, *(_gather_rows(t, order) for t in ts))


def _terms_and_dirs(S: _Search, x: torch.Tensor, mode: str,
                    valid: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, SLQCTerms, torch.Tensor]:
    """Objective and its improving direction at the points x (B, P, *S), a second-order quantity.

    dJ/dx comes from the stack's closed-form Hessian-vector product where it has one
    (``value_grad_hvp``: the GLM and one-hidden-layer stacks, :func:`_closed_dirs`), otherwise
    from a second autograd pass through the stack's ``__call__``. The two agree to rounding
    (``tests/slqc/test_closed_hvp.py``).

    ``mode="kappa"``: J = log ||g|| - log <g, x - z> (to increase); near the level set the
    inward part of dJ/dx along g is removed, so a step moves along the level set to first
    order (projected gradient for the constraint f(x) - f(z) >= eps).

    ``mode="violation"``: s = (<g, x - z> + 2 max(0, eps' - gap)) / (||g|| ||x - z||) (to
    decrease; eps' = eps (1 + _NEAR_LEVEL)): the cosine between g and x - z plus a penalty
    below the level set; the direction returned is -ds/dx.

    Returns:
        (objective (B, P), direction (B, P, n), terms, gradient of f (B, P, n)).
    """
    B, P = x.shape[0], x.shape[1]
    zf = S.zf.unsqueeze(1)
    if S.Fl is None:
        z0 = torch.zeros(B, P, dtype=S.dt, device=S.dev)
        return z0, torch.zeros(B, P, S.n, dtype=S.dt, device=S.dev), SLQCTerms(z0, z0, z0), \
            torch.zeros(B, P, S.n, dtype=S.dt, device=S.dev)
    if CLOSED_FORM_DIRECTIONS and hasattr(S.Fl, "value_grad_hvp"):
        vals, gf, inner, gnorm, J, dJ = _closed_dirs(S, x, mode)
    else:
        with torch.enable_grad():
            xs = S.sub(x).detach().requires_grad_(True)  # only the instances taking part are evaluated
            vs = S.Fl(xs)
            (gs,) = torch.autograd.grad(vs.sum(), xs, create_graph=True)
            xg = xs if S.all_live else x.detach().index_copy(0, S.idx_t, xs)  # differentiable in the live rows
            vals, g = S.full(vs), S.full(gs)
            gf = g.reshape(B, P, S.n)
            inner = torch.linalg.vecdot(gf, xg.reshape(B, P, S.n) - zf)
            gnorm = torch.linalg.vector_norm(gf, dim=2)
            if mode == "kappa":
                J = torch.log(gnorm.clamp_min(S.tiny)) - torch.log(inner.clamp_min(S.tiny))
            else:
                deficit = (S.eps * (1 + _NEAR_LEVEL) - (vals - S.fz)).clamp_min(0)
                dist = torch.linalg.vector_norm(xg.reshape(B, P, S.n) - zf, dim=2).clamp_min(S.tiny)
                J = -(inner + 2 * deficit) / (gnorm.clamp_min(S.tiny) * dist)
            (dJ,) = torch.autograd.grad(J.sum(), xs, allow_unused=True)
        dJ = torch.zeros_like(x) if dJ is None else S.full(dJ)
    counted = S._counted(valid, P)
    S.points += counted.sum(1)
    t = SLQCTerms(gap=vals.detach() - S.fz, inner=inner.detach(), gnorm=gnorm.detach())
    d = dJ.detach().reshape(B, P, S.n)
    d = torch.where(torch.isfinite(d), d, torch.zeros_like(d))
    gd = gf.detach()
    if mode == "kappa":
        inward = torch.linalg.vecdot(d, gd).clamp(max=0) / (t.gnorm**2).clamp_min(S.tiny)
        near = t.gap <= S.eps * (1 + _NEAR_LEVEL)
        d = torch.where(near.unsqueeze(2), d - inward.unsqueeze(2) * gd, d)
    S.nonfinite = S.nonfinite | (~torch.isfinite(t.gap) & counted).any(1)
    return J.detach(), d, t, gd


def _closed_dirs(S: _Search, x: torch.Tensor, mode: str) -> tuple[torch.Tensor, ...]:
    """The objective J and dJ/dx of :func:`_terms_and_dirs` from the stack's closed-form Hessian-vector
    product (``value_grad_hvp``), without autograd.

    With g the gradient, H the Hessian and v = x - z: d||g|| = H g / ||g||, d<g, v> = H v + g,
    d||v|| = v / ||v||, so dJ is H applied to one combination of g and v, plus multiples of g and v.
    Where autograd's clamp_min stops the gradient (a value below ``S.tiny``; the deficit below 0),
    its term is 0 here too. Rows of instances not taking part get dJ = 0, as from autograd.

    Returns:
        (values (B, P), gradients (B, P, n), <g, v>, ||g||, J (B, P), dJ (B, P, *S)).
    """
    B, P, n, tiny = x.shape[0], x.shape[1], S.n, S.tiny
    vs, gs, hvp = S.Fl.value_grad_hvp(S.sub(x))
    vals, gf = S.full(vs), S.full(gs).reshape(B, P, n)
    v = x.reshape(B, P, n) - S.zf.unsqueeze(1)
    inner = torch.linalg.vecdot(gf, v)
    gnorm = torch.linalg.vector_norm(gf, dim=2)
    gn = gnorm.clamp_min(tiny)
    on_g = gnorm >= tiny  # where clamp_min passes the gradient
    zero = torch.zeros((), dtype=x.dtype, device=x.device)
    if mode == "kappa":
        ic = inner.clamp_min(tiny)
        J = torch.log(gn) - torch.log(ic)
        a_g = torch.where(on_g, (1 / gn) / gn, zero)  # d log||g|| = H g / ||g||^2
        b = torch.where(inner >= tiny, 1 / ic, zero)  # d log<g, v> = (H v + g) / <g, v>
        Hc = a_g.unsqueeze(2) * gf - b.unsqueeze(2) * v
        rest = -b.unsqueeze(2) * gf
    else:
        e = S.eps * (1 + _NEAR_LEVEL) - (vals - S.fz)
        N = inner + 2 * e.clamp_min(0)
        vn = torch.linalg.vector_norm(v, dim=2)
        dist = vn.clamp_min(tiny)
        D = gn * dist
        J = -N / D
        # dJ = -dN / D + q dD with q = N / D^2 (autograd's order: (N / D) / D, which overflows where
        # autograd's does), dN = H v + g - 2 [e >= 0] g, dD = dist H g / ||g|| + ||g|| v / ||v||
        q = (N / D) / D
        a_g = torch.where(on_g, (q * dist) / gn, zero)
        Hc = a_g.unsqueeze(2) * gf - (1 / D).unsqueeze(2) * v
        sign = torch.where(e >= 0, -1.0, 1.0).to(x.dtype)
        c_v = torch.where(vn >= tiny, (q * gn) / dist, zero)
        rest = -(sign / D).unsqueeze(2) * gf + c_v.unsqueeze(2) * v
    Hv = S.full(hvp(S.sub(Hc.reshape(x.shape)))).reshape(B, P, n)
    dJ = Hv + rest
    if not S.all_live:
        dJ = dJ * S.mask.reshape(B, 1, 1).to(dJ.dtype)
    return vals, gf, inner, gnorm, J, dJ.reshape(x.shape)


def _retract(S: _Search, x: torch.Tensor, valid: torch.Tensor | None,
             steps: int = _RETRACT_STEPS, compact: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Move points with f(x) - f(z) <= eps outward along the ray from z to just above the level set.

    Points already above the level set are returned unchanged. With ``compact`` (by default on
    the CPU, ``COMPACT_DEVICES``) only the points below the level set are bisected; on a GPU
    every point is (no boolean indexing, so no host synchronisation); see
    :func:`_retract_secant`.

    Returns:
        The new points (B, P, *S) and a mask of points that ended above the level set.
    """
    compact = branch(S.dev) in COMPACT_DEVICES if compact is None else bool(compact)
    x = S.clip(x)
    gap, r, u, t_out = _ray_from_z(S, x, valid)
    below = _moving(S, gap, valid)
    ok = torch.isfinite(t_out) & (r > 0) & (t_out >= r)
    order = None
    if compact:
        order, _, valid_, u_, r_, t_out_, ok_ = _below_first(below, valid, u, r, t_out, ok)
    else:
        u_, r_, t_out_, ok_, valid_ = u, r, t_out, ok, valid
    hi = torch.where(ok_, t_out_, r_)
    lo = r_
    moving = order is None or order.shape[1] > 0  # compacted to nothing: no point to move
    rays = S.rays(u_)
    up_end = rays.values(hi, valid_) > S.eps if moving else ok_
    for _ in range(steps if moving else 0):
        mid = 0.5 * (lo + hi)
        up = rays.values(mid, valid_) > S.eps
        hi = torch.where(up, mid, hi)
        lo = torch.where(up, lo, mid)
    end = ok_ & up_end
    if order is not None:  # back to every point (padding entries land on points above the level set)
        hi = r.scatter(1, order, hi)
        end = torch.zeros_like(below).scatter(1, order, end)
    new = S.on_ray(u, hi)
    out = torch.where(below.reshape(below.shape + (1,) * (x.ndim - 2)), new, x)
    good = ~below | end
    return S.clip(out), good


def _moving(S: _Search, gap: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    """The points a retraction moves (B, P): below the level set, valid, and of an instance taking part.

    The others stay where they are. Rows of instances not taking part hold gaps of 0 - f(z) (their
    values are not evaluated), which would count as below the level set: with them, a compacted
    retraction would evaluate every live row at the full width P as soon as one instance of the
    batch had stopped (twice the work of the instances alone, in the quick check's largest batch).
    """
    below = (gap <= S.eps) & S.mask.unsqueeze(1)
    return below if valid is None else below & valid


def _ray_from_z(S: _Search, x: torch.Tensor,
                valid: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each point: its gap f(x) - f(z), its distance r from z, the unit ray u from z through it
    (a random one where x = z), and the ray's exit time from the domain."""
    B, P = x.shape[0], x.shape[1]
    gap = S.values(x, valid)
    v = x.reshape(B, P, S.n) - S.zf.unsqueeze(1)
    r = torch.linalg.vector_norm(v, dim=2)
    u = torch.where((r > 0).unsqueeze(2), v / r.clamp_min(S.tiny).unsqueeze(2), S.random_dirs(P, valid))
    _, t_out = S.interval(u)
    return gap, r, u, t_out


def _retract_secant(S: _Search, x: torch.Tensor, slope: torch.Tensor, valid: torch.Tensor | None,
                    iters: int | None = None, compact: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cheap retraction of the ascent: points below the level set move out along the ray from z.

    Root finding on phi(t) = f(z + t u) - f(z) - tau, tau = eps (1 + _SECANT_TARGET), t from
    ||x - z|| outwards: the first step is Newton's with ``slope`` (the directional derivative
    <g, u> at the previous point), doubling until a point above tau brackets the root, then
    Illinois-type regula falsi inside the bracket (the value at an end kept twice in a row is
    halved, so the bracket shrinks from both sides). The result is the evaluated point with
    f - f(z) > eps nearest to z on the ray; points that found none are marked not good.

    With ``compact`` (by default on the device types of ``COMPACT_DEVICES``: the CPU) only the
    points below the level set are evaluated in the iterations (moved to the front of each instance's row, padded to the
    largest count), which costs a host read per call: free on the CPU, a synchronisation per
    ascent step on a GPU, where every point is evaluated instead. Both give the same points up
    to the rounding of the matrix products; ``S.points`` counts what was evaluated.

    Returns:
        The new points (B, P, *S) and a mask of points that ended above the level set.
    """
    iters = _SECANT_ITERS if iters is None else iters
    compact = branch(S.dev) in COMPACT_DEVICES if compact is None else bool(compact)
    gap, r, u, t_out = _ray_from_z(S, x, valid)
    below = _moving(S, gap, valid)
    t_out = torch.where(torch.isfinite(t_out) & (t_out > r), t_out, r)
    tau = S.eps * (1 + _SECANT_TARGET)
    order = None
    if compact:  # only the points below the level set move: the others are not evaluated
        order, below_, valid_, r_, gap_, t_out_, slope_, u_ = _below_first(below, valid, r, gap, t_out, slope, u)
    else:
        r_, gap_, t_out_, slope_, u_, valid_, below_ = r, gap, t_out, slope, u, valid, below
    moving = order is None or order.shape[1] > 0  # compacted to nothing: no point to move
    lo, flo = r_, gap_ - tau
    hi, fhi = t_out_, torch.full_like(r_, math.inf)
    known = torch.zeros_like(below_)  # a point above tau brackets the root
    side = torch.zeros_like(r_)  # -1: lo moved last, +1: hi moved last
    best = torch.where(below_, t_out_, r_)  # nearest t with gap > eps (t_out: none yet)
    found = ~below_
    step = (tau - gap_).clamp_min(0) / slope_.clamp_min(S.tiny)
    t = lo + step
    rays = S.rays(u_)
    for _ in range(iters if moving else 0):
        t = torch.where(torch.isfinite(t), t, 0.5 * (lo + hi))
        t = torch.minimum(torch.maximum(t, lo), hi)
        ft = rays.values(t, valid_) - tau
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
    if order is not None:  # back to every point (padding entries land on points above the level set)
        best = r.scatter(1, order, torch.where(below_, best, r_))
        found = (~below) | torch.zeros_like(below).scatter(1, order, found & below_)
    new = S.on_ray(u, best)
    out = torch.where(below.reshape(below.shape + (1,) * (x.ndim - 2)), new, x)
    return S.clip(out), found


def _ascent(S: _Search, starts: torch.Tensor, valid: torch.Tensor, steps: int, mode: str,
            bar: Callable[[int], None]) -> tuple:
    """Batched ascent from ``starts`` (B, P, *S) (``valid`` (B, P)); returns the end points and their kappa_min.

    Per-point step sizes grow by 1.5 on an accepted step and shrink by 2 otherwise; the stop
    flags and, per instance, the "every step size exhausted / no progress" test are read every
    ``_CHECK_EVERY`` steps; an instance that stops or reaches a plateau leaves the ascent there
    (its points stay where they are), the others go on.
    """
    stage_live = list(S.live)
    S.set_live([a and bool(v) for a, v in zip(stage_live, valid.any(1).tolist())])
    try:
        return _ascent_run(S, starts, valid, steps, mode, bar)
    finally:
        S.set_live(stage_live)


def _ascent_run(S: _Search, starts, valid, steps, mode, bar):
    x = S.clip(starts)
    B, P = x.shape[0], x.shape[1]
    if mode == "kappa":
        x, good0 = _retract(S, x, valid)
    J, dJ, t, g_x = _terms_and_dirs(S, x, mode, valid)
    k = kappa_from_terms(t, S.eps)
    if mode == "kappa":
        k = torch.where(good0, k, torch.zeros_like(k))
    S.update(x, t, k, valid)
    kbest = k
    dist = torch.linalg.vector_norm(x.reshape(B, P, S.n) - S.zf.unsqueeze(1), dim=2)
    R = S.R.unsqueeze(1)
    lr = 0.05 * torch.minimum(torch.maximum(dist, 1e-8 * R), R)
    bshape = (B, P) + (1,) * (x.ndim - 2)
    J_win = J
    # smallest gain per window that counts as progress: log kappa and the cosine are both scale-free
    tol = _PLATEAU_GAIN
    if not any(S.live):
        return x, kbest
    for it in range(steps):
        run = S.mask.unsqueeze(1)  # instances still ascending; the others keep their points
        d = dJ.reshape(B, P, S.n)
        d = d / torch.linalg.vector_norm(d, dim=2, keepdim=True).clamp_min(S.tiny)
        cand = S.clip(x + (lr.unsqueeze(2) * d).reshape(x.shape))
        if mode == "kappa":
            u = cand.reshape(B, P, S.n) - S.zf.unsqueeze(1)
            slope = torch.linalg.vecdot(g_x, u) / torch.linalg.vector_norm(u, dim=2).clamp_min(S.tiny)
            cand, good = _retract_secant(S, cand, slope, valid)
        else:
            good = torch.ones(B, P, dtype=torch.bool, device=S.dev)
        Jc, dJc, tc, gc = _terms_and_dirs(S, cand, mode, valid)
        kc = kappa_from_terms(tc, S.eps)
        kc = torch.where(good, kc, torch.zeros_like(kc))
        S.update(cand, tc, kc, valid)
        acc = good & (Jc > J) & run
        if mode == "kappa":
            acc = acc & (tc.gap > S.eps)
        x = torch.where(acc.reshape(bshape), cand, x)
        J = torch.where(acc, Jc, J)
        dJ = torch.where(acc.unsqueeze(2), dJc, dJ)
        g_x = torch.where(acc.unsqueeze(2), gc, g_x)
        kbest = torch.where(acc, kc, kbest)
        lr = torch.where(run, torch.where(acc, lr * 1.5, lr * 0.5), lr)
        bar(1)
        if it % _CHECK_EVERY == _CHECK_EVERY - 1:
            S.check(raise_stop=False)  # an instance that stops leaves the ascent; the others go on
            if not any(S.live):
                break
            # plateau: every step size exhausted, or no point improved its objective in the last window
            gain = torch.where(torch.isfinite(J) & torch.isfinite(J_win), J - J_win, torch.ones_like(J))
            gain = torch.where(valid, gain, torch.full_like(gain, -math.inf))
            tiny_lr = torch.where(valid, lr < 1e-12 * R, torch.ones_like(valid))
            done = (tiny_lr.all(1) | (gain.max(1).values <= tol)).tolist()
            S.set_live([a and not dn for a, dn in zip(S.live, done)])
            if not any(S.live):
                break
            J_win = J
    S.check(raise_stop=False)
    return x, kbest


def _region_best(X: torch.Tensor, key: torch.Tensor, anchors: torch.Tensor, n: int) -> torch.Tensor:
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


def _ascent_stage(S: _Search, cfg: dict, parts: list[dict], bar) -> None:
    """Region-wise starts, the two ascents, then restarts from the best end points of every region."""
    X, K, Sc = S.pooled()
    S.collect = False
    n = cfg["starts"]
    steps1 = max(1, (3 * cfg["steps"]) // 5)
    steps_v = max(1, cfg["steps"] // 2)
    steps2 = max(1, cfg["steps"] - steps1)
    anchors: list[torch.Tensor | None] = [None] * S.B
    kst: list[torch.Tensor | None] = [None] * S.B
    vst: list[torch.Tensor | None] = [None] * S.B
    for b in range(S.B):  # loop over instances: ragged start sets (setup of the stage)
        if not S.live[b]:
            continue
        anchors[b] = S._ball1(b, max(1, n), sobol=True)
        Kb = K[b]
        ks = _region_best(X[b], torch.where(Kb > 0, torch.log(Kb.clamp_min(S.tiny)), torch.full_like(Kb, -math.inf)),
                          anchors[b], n)
        # ray-crossing starts when the pool has too few points above the level set
        if ks.shape[0] < n:
            u = S._dirs1(b, n - ks.shape[0])
            t_in, t_out = S.interval_one(b, u)
            ok = torch.isfinite(t_out)
            extra = (S.zf[b] + (t_in + 1e-6 * (t_out - t_in)).unsqueeze(1) * u)[ok]
            ks = torch.cat([ks, extra])
        kst[b] = ks
        Sb = Sc[b]
        vst[b] = _region_best(X[b], torch.where(torch.isfinite(Sb), -Sb, torch.full_like(Sb, -math.inf)), anchors[b],
                              max(1, cfg["vstarts"]))
    live = list(S.live)
    kx, kv = _pad(kst, S.n, S.dt, S.dev)
    vx, vv = _pad(vst, S.n, S.dt, S.dev)
    ends = None
    if bool(kv.any()):
        xe, ke = _part(S, parts, "ascent_kappa", lambda: _ascent(S, S.unflat(kx), kv, steps1, "kappa", bar),
                       who=kv.any(1).tolist())
        ends = (xe.reshape(S.B, -1, S.n), ke, kv)
    if bool(vv.any()):
        _part(S, parts, "ascent_violation", lambda: _ascent(S, S.unflat(vx), vv, steps_v, "violation", bar),
              who=vv.any(1).tolist())
    # restarts: best end point of every region, and jittered copies of the best point so far
    if ends is None:
        return
    xe, ke, ve = ends
    m = max(1, n // 2)
    rst: list[torch.Tensor | None] = [None] * S.B
    had = ve.any(1).tolist()
    for b in range(S.B):  # loop over instances (setup of the restarts)
        if not (S.live[b] and live[b] and had[b]):
            continue
        xb, kb = xe[b][ve[b]], ke[b][ve[b]]
        best = _region_best(xb, torch.where(kb > 0, kb, torch.full_like(kb, -math.inf)), anchors[b], m)
        nj = max(1, m - best.shape[0] // 2)
        scales = S.Rl[b] * torch.exp(torch.linspace(math.log(1e-4), math.log(1e-1), nj, dtype=S.dt)).to(S.dev)
        jit = S.best_x[b] + scales.unsqueeze(1) * S._dirs1(b, nj)
        rst[b] = torch.cat([best[: m - nj] if m > nj else best[:0], jit])
    rx, rv = _pad(rst, S.n, S.dt, S.dev)
    if bool(rv.any()):
        _part(S, parts, "restarts", lambda: _ascent(S, S.unflat(rx), rv, steps2, "kappa", bar), who=rv.any(1).tolist())


def _part(S: _Search, parts: list[dict], name: str, fn, who: Sequence[bool] | None = None):
    """Run one strategy, recording per taking-part instance its best kappa, points and seconds."""
    takes = [bool(a) and (who is None or bool(w)) for a, w in zip(S.live, who or S.live)]
    before, ts = S.points.clone(), time.perf_counter()
    S.local_k = torch.zeros(S.B, dtype=S.dt, device=S.dev)
    try:
        return fn()
    finally:
        secs = time.perf_counter() - ts
        lk, pts = S.local_k.tolist(), (S.points - before).tolist()
        for b in range(S.B):
            if takes[b]:
                parts[b][name] = {"kappa": lk[b], "points": pts[b], "seconds": secs}


def _one_seed(S: _Search, cfg: dict, bar) -> tuple[list[dict], list[list[str]]]:
    """The three stages of one seed for every instance of S; per instance its stage records and strategies run."""
    stages: list[dict[str, dict]] = [{} for _ in range(S.B)]  # per instance (S.orig), not per row
    run: list[list[str]] = [[] for _ in range(S.B)]

    def stage(name: str, fn, live: Sequence[bool]) -> None:
        S.set_live(live)
        takes = list(S.live)
        if not any(takes):
            return
        parts: list[dict] = [{} for _ in range(S.B)]
        before, ts = S.points.clone(), time.perf_counter()
        S.local_k = torch.zeros(S.B, dtype=S.dt, device=S.dev)
        try:
            fn(parts)
        except _Stop:
            pass
        secs = time.perf_counter() - ts
        lk, pts = S.local_k.tolist(), (S.points - before).tolist()
        for b in range(S.B):
            if not takes[b]:
                continue
            if not parts[b]:
                parts[b][name] = {"kappa": lk[b], "points": pts[b], "seconds": secs}
            kap = max([p["kappa"] for p in parts[b].values()] + [0.0])
            stages[S.orig[b]][name] = {"kappa": kap, "points": pts[b], "seconds": secs, "parts": parts[b]}
            run[S.orig[b]].extend(parts[b])
        S.retire()

    stage("sampling", lambda parts: _sampling(S, cfg["samples"], parts), [True] * S.B)
    bar(1)

    def rays(parts):
        X, K, _ = S.pooled()
        top: list[torch.Tensor | None] = []
        for b in range(S.B):  # loop over instances: the best pooled points of each
            order = torch.argsort(K[b], descending=True, stable=True)[: max(1, cfg["rays"] // 16)]
            top.append(X[b][order][K[b][order] > 0])
        _part(S, parts, "rays", lambda: _rays(S, cfg["rays"], cfg["grid"], cfg["bisect"], top))

    stage("rays", rays, S.alive)
    bar(1)
    gaps = S.max_gap.tolist()
    stage("ascent", lambda parts: _ascent_stage(S, cfg, parts, bar),
          [a and g > e for a, g, e in zip(S.alive, gaps, S.epsl)])
    return stages, run


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


def _budget(budget: Any) -> tuple[dict, str]:
    if isinstance(budget, dict):
        unknown = set(budget) - set(BUDGETS["quick"])
        if unknown:
            raise ValueError(f"unknown budget keys {sorted(unknown)}; allowed: {', '.join(BUDGETS['quick'])}")
        cfg = {**BUDGETS["quick"], **{k: int(v) for k, v in budget.items()}}
        if "vstarts" not in budget:  # half the ascent starts, as in every named budget
            cfg["vstarts"] = max(1, cfg["starts"] // 2)
        if min(cfg.values()) < 1:
            raise ValueError("budget entries must be >= 1")
        return cfg, "custom"
    V.choice("budget", budget, tuple(BUDGETS))
    return BUDGETS[budget], budget


def _per_instance(name: str, v: Any, B: int) -> list:
    if isinstance(v, (list, tuple)):
        if len(v) != B:
            raise ValueError(f"{name}: give one value or one per instance ({B}), got {len(v)}")
        return list(v)
    return [v] * B


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
            overrides some keys of ``quick`` (e.g. ``{"samples": 512, "steps": 20}``; ``vstarts``,
            when not given, is half of ``starts``).
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
    out = probe_batch([f], [z], eps, radius, centers=None if center is None else [center], budget=budget, seed=seed,
                      device=device, kappa_stop=kappa_stop, progress=progress)[0]
    if isinstance(out, Exception):
        raise out
    return out


def probe_batch(fs: Sequence[Any], zs: Sequence[Any], eps: float | Sequence[float], radius: float | Sequence[float],
                centers: Sequence[Any] | None = None, budget: str | dict = "quick", seed: int | Sequence[int] = 0,
                device=None, kappa_stop: float | None | Sequence[float | None] = None,
                progress: bool = False, instance_seeds: Sequence[Any] | None = None) -> list[ProbeResult | ValueError]:
    """:func:`probe` on B instances at once (instance batching): one batched search, one result each.

    The instances share the point shape (z's shape) and the budget and seeds; everything else
    is per instance (objective, z, eps, radius, center, kappa_stop). Objectives that
    :func:`slqc.stack.stack_objectives` can stack (GLMs, one-hidden-layer networks of one
    shape) are evaluated by batched matrix products, B instances x P points per kernel; the
    others one after the other. Each instance draws from its own generator and follows the
    path it follows alone, so each result equals that of :func:`probe` on the instance alone
    with the same seed, up to float rounding of the batched products (tested); a rounding that
    decides one of the search's comparisons with eps can send it down a slightly different path.

    Args:
        fs, zs: objectives and reference points (one per instance, all z of one shape).
        eps, radius, kappa_stop: one value for all, or one per instance.
        centers: centres of the domains (None: the origin for every instance).
        budget, seed, device, progress: as in :func:`probe`.
        instance_seeds: instead of ``seed``, one seed (or one sequence of seeds, all of one
            length) per instance.

    Returns:
        One :class:`ProbeResult` per instance, in order; an instance whose objective returned
        NaN or inf gets the ValueError instead (the others are unaffected).

    Raises:
        ValueError: invalid arguments (as in :func:`probe`), instances of different shapes.
    """
    fs = list(fs)
    B = len(fs)
    if B == 0 or len(zs) != B:
        raise ValueError(f"probe_batch needs one z per objective, got {B} objectives and {len(zs)} points")
    epsl = [V.positive("eps", e) for e in _per_instance("eps", eps, B)]
    radl = [V.positive("radius", r) for r in _per_instance("radius", radius, B)]
    ksl = [None if k is None else V.positive("kappa_stop", k) for k in _per_instance("kappa_stop", kappa_stop, B)]
    cfg, budget_name = _budget(budget)
    if instance_seeds is None:
        seeds = _seeds(seed)
        sl = [seeds] * B
    else:
        sl = [_seeds(s) for s in _per_instance("instance_seeds", list(instance_seeds), B)]
        if len({len(s) for s in sl}) != 1:
            raise ValueError("instance_seeds: give every instance the same number of seeds")
        seeds = sl[0]
    for f in fs:
        if not callable(f):
            raise ValueError("f must be callable: a batch (P, *z.shape) -> values (P,)")
    dev = V.resolve_device(device) if device is not None else None
    z0 = V.as_float_tensor("z", zs[0], device=dev)
    zl = [z0] + [V.as_float_tensor("z", z, dtype=z0.dtype, device=z0.device) for z in zs[1:]]
    if z0.ndim == 0:
        raise ValueError("z must be a vector or a matrix, got a scalar")
    if any(z.shape != z0.shape for z in zl):
        raise ValueError("probe_batch: every z must have the same shape")
    if centers is None:
        cl = [torch.zeros_like(z0) for _ in range(B)]
    else:
        if len(centers) != B:
            raise ValueError(f"centers: give one per instance ({B}), got {len(centers)}")
        cl = [torch.zeros_like(z0) if c is None else V.as_float_tensor("center", c, dtype=z0.dtype, device=z0.device)
              for c in centers]
        for c in cl:
            if c.shape != z0.shape:
                raise ValueError(f"center must have the shape of z {tuple(z0.shape)}, got {tuple(c.shape)}")
    fzl = [f_at(f, z) for f, z in zip(fs, zl)]
    t0 = time.perf_counter()
    bar_ = tqdm(total=len(sl[0]) * (2 + cfg["steps"] + cfg["steps"] // 2), desc=f"probe[{budget_name}]",
                disable=not progress, leave=False)
    per_seed: list[list[dict]] = [[] for _ in range(B)]
    best: list[tuple | None] = [None] * B
    points, ran = [0] * B, [[] for _ in range(B)]
    done = [False] * B
    errors: list[str | None] = [None] * B
    # the instances of one batch_key side by side: a GroupStack's groups are then runs of rows (views)
    rank: dict[Any, int] = {}
    group = [rank.setdefault(("loop",) if k is None else k, len(rank)) for k in map(batch_key, fs)]
    try:
        for j_pass in range(len(sl[0])):
            idx = sorted((b for b in range(B) if not done[b]), key=lambda b: (group[b], b))
            if not idx:
                break
            F = stack_objectives([fs[b] for b in idx])
            S = _Search(F, torch.stack([zl[b] for b in idx]), torch.stack([fzl[b] for b in idx]),
                        [epsl[b] for b in idx], torch.stack([cl[b] for b in idx]), [radl[b] for b in idx],
                        [ksl[b] for b in idx], [sl[b][j_pass] for b in idx])
            stages, run = _one_seed(S, cfg, bar_.update)
            res = S.results(len(idx))
            for j, b in enumerate(idx):  # loop over instances: bookkeeping of the results
                s, rj = sl[b][j_pass], res[j]
                if rj["error"] is not None:
                    errors[b], done[b] = rj["error"], True
                    continue
                points[b] += rj["points"]
                ran[b].append(s)
                kap = rj["kappa"]
                vio = rj["violation"] or kap == math.inf
                exc = rj["exceeded"] or (ksl[b] is not None and kap > ksl[b])
                per_seed[b].append({"seed": s, "kappa": kap, "violation": vio, "exceeded": exc, "points": rj["points"],
                                    "max_gap": rj["max_gap"]})
                one = dict(kappa=kap, violation=vio, exceeded=exc, max_gap=rj["max_gap"], stages=stages[j], run=run[j],
                           seed=s, x=rj["x"], t=rj["t"], z_in=rj["z_in"])
                prev = best[b]
                if prev is None or kap > prev["kappa"] or (rj["max_gap"] > prev["max_gap"] and kap == prev["kappa"] == 0):
                    best[b] = one
                if vio or exc:
                    done[b] = True
    finally:
        bar_.close()
    secs = time.perf_counter() - t0
    out: list[ProbeResult | ValueError] = []
    for b in range(B):  # loop over instances: one result each
        if errors[b] is not None:
            out.append(ValueError(errors[b]))
            continue
        r = best[b]
        kappa = r["kappa"]
        if kappa > 0:
            wit = r["x"].reshape(z0.shape).detach().clone()
            gap, inner, gnorm = (float(v) for v in r["t"])
        else:
            wit, gap, inner, gnorm = None, None, None, None
        searched = {
            "budget": budget_name, "config": dict(cfg), "seeds": ran[b], "seeds_requested": sl[b],
            "strategies": [n for n in STRATEGIES if n in r["run"]], "points": points[b], "z_in_domain": r["z_in"],
            "center_norm": float(torch.linalg.vector_norm(cl[b])), "per_seed": per_seed[b], "worst_seed": r["seed"],
        }
        if B > 1:
            searched["batch_instances"] = B  # searched together; seconds is this instance's share of the batch
        out.append(ProbeResult(
            kappa=kappa, witness=wit, witness_gap=gap, witness_inner=inner, witness_gnorm=gnorm,
            violation=r["violation"], exceeded=r["exceeded"], points_evaluated=points[b], strategies=r["stages"],
            seconds=secs / B, eps=epsl[b], radius=radl[b], budget=budget_name,
            max_gap=max(p["max_gap"] for p in per_seed[b]), searched=searched,
        ))
    return out
