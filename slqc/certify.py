"""Certified upper bound on the worst-case kappa over a ball, by batched branch and bound.

``probe`` (slqc.search) gives a *lower* bound on the empirical kappa

    kappa_emp = sup_{x in B(c, R), f(x) - f(z) > eps} eps ||g(x)|| / <g(x), x - z>

(Definition 1 / 4 of the paper, section 3.2, solved for kappa). :func:`certify` proves an
*upper* bound, so that a claimed constant (Theorem 1, 3, 6, Hazan et al.) is certified on
an instance with no sampling left in the argument. The idea is that of the neural-network
verifiers (auto_LiRPA / alpha-beta-CROWN: bounds on a network's outputs over input boxes,
branch and bound batched over many boxes on any torch device) applied to our question.

Algorithm. Boxes cover the ball (the root is the bounding box [c - R, c + R]). For each box
the objective's ``bounds`` give rigorous enclosures of

* ``gap_hi``   >= max over the box of f(x) - f(z),
* ``inner_lo`` <= min over the box of <g, x - z>,
* ``gnorm_hi`` >= max over the box of ||g||,

and the box is discharged (a leaf of the certificate) by the first rule that applies:

* ``outside``: the box misses the ball;
* ``level``: gap_hi <= eps, so condition 1 of Definition 1 holds on the whole box;
* ``kappa`` (only with a target ``kappa``): inner_lo - (eps / kappa) gnorm_hi >= 0, i.e.
  the box bound eps gnorm_hi / inner_lo is <= kappa.

Every other box keeps the bound eps gnorm_hi / inner_lo (inf when inner_lo <= 0); ``upper``
is the largest bound over the cover. The box with the worst bound is bisected first, along
its widest coordinate, K boxes at a time in one batched evaluation. kappa_min at the centre
of every evaluated box (projected into the ball) gives ``lower``, a value attained at a
point, so ``lower <= kappa_emp <= upper``.

Structure used (GLMs, Theorems 1, 3, 6, Hazan et al.). With u_ij = <x_{:,j}, x_i> (sample i,
output j) the objective is a mean of per-term losses l(u_ij), the gradient is
G = (1/m) X^T R with r_ij = l'(u_ij), and

    <G, x - z> = (1/m) sum_ij r_ij (u_ij - u*_ij),      u*_ij = <z_{:,j}, x_i>.

Over a box every u_ij ranges over an interval computed exactly (u_lo = X+ lo + X- hi). Each
term's interval is split at the kink 0 and at u*_ij; on each piece phi and phi' are
monotone, so (phi(u) - y) phi'(u) (u - u*) is bounded by interval products whose factors
have a known sign (for idealized data the product is >= 0 and its lower bound is exactly 0
at u*). At the kink of a (generalized) ReLU the piece that ends at 0 takes phi' in [a, b]:
both one-sided slopes, so the bound holds for the paper's subgradient g(0) = b and for any
other choice. ||G|| is bounded coordinate-wise from the interval of each r_ij.

Rounding (rigour). All arithmetic is float64. Every interval endpoint is *inflated by a
margin proven to cover float64 rounding*, not rounded outward op by op:

* +, -, *, /, sqrt are correctly rounded (IEEE 754): relative error <= u = 2^-53;
* exp / log1p / sigmoid are assumed accurate to <= 8 u (glibc and SLEEF: <= 1 ulp; CUDA
  documents <= 2 ulp for exp and log1p; sigmoid is exp, one add and one divide);
* a sum or dot product of N terms, in any order and with or without FMA (cuBLAS, MKL),
  errs by at most gamma_N sum |terms|, gamma_N = N u / (1 - N u) (Higham, Thm 3.1).

Each computed endpoint v is moved outward by ``eta * mag + TINY``, where ``mag`` bounds the
absolute values of every intermediate of the step (for sums: sum |terms|), TINY = 2^-1000
covers underflow (subnormal results err by at most 2^-1075 per op), and

    eta = max(2^-47, (N + 64) 2^-51),   N = m k + d k (the longest sum),

which is at least twice the worst case of any step (<= 16 roundings of <= 8 u each, or
gamma_N), the other half covering the rounding of the inflation itself. Discharge tests
then use a relative safety margin ``SAFETY`` = 1e-7 (level: gap_hi <= eps (1 - SAFETY);
kappa: bound <= kappa (1 - SAFETY); ``upper`` is the largest bound times 1 + SAFETY) so
that :mod:`slqc.certificate`, which re-validates every box with its own interval
arithmetic (directed rounding by ``nextafter``), agrees box by box.

Any object with ``bounds(lo, hi, z) -> (gap_hi, inner_lo, gnorm_hi)`` (tensors (B,) for
boxes lo, hi of shape (B, *z.shape)) plugs in; built in: :class:`~slqc.models.GLMObjective`
(generalized ReLU, ReLU, sigmoid, identity with the squared loss, one or several outputs;
sigmoid with binary cross-entropy) and :class:`QuadraticForm`. ``OneHiddenObjective``
(Theorems 4-5) is not supported (see the report of issue 11).

Example:
    >>> import torch
    >>> q = QuadraticForm(torch.eye(2, dtype=torch.float64))
    >>> r = certify(q, torch.zeros(2, dtype=torch.float64), eps=0.25, radius=1.0, tol=0.1)
    >>> r.lower <= 0.5 <= r.upper <= 1.1 * r.lower          # kappa_emp = sqrt(eps) = 0.5
    True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import _validate as V
from .definitions import f_at, kappa_from_terms, slqc_terms

#: Underflow cover added to every inflation (>= the absolute error of a subnormal result).
TINY = 2.0 ** -1000
#: Relative safety margin of the discharge tests (see the module docstring).
SAFETY = 1e-7
#: Rule codes of the certificate leaves.
RULES = ("outside", "level", "kappa", "bound")
OUTSIDE, LEVEL, KAPPA, BOUND = range(4)


def rounding_eta(n_terms: int) -> float:
    """The inflation factor eta for computations whose longest sum has ``n_terms`` terms."""
    return max(2.0 ** -47, (int(n_terms) + 64) * 2.0 ** -51)


# ---------------------------------------------------------------------- interval helpers
def _pad(lo: torch.Tensor, hi: torch.Tensor, mag: torch.Tensor, eta: float):
    p = eta * mag + TINY
    return lo - p, hi + p


def _mul(alo, ahi, blo, bhi, eta):
    """Interval product [a] * [b] (four corners), inflated."""
    c = torch.stack((alo * blo, alo * bhi, ahi * blo, ahi * bhi))
    lo, hi = c.min(0).values, c.max(0).values
    return _pad(lo, hi, c.abs().max(0).values, eta)


def _softplus(t: torch.Tensor) -> torch.Tensor:
    # log(1 + e^t) without the threshold shortcut of torch's softplus (which errs by ~e^-20)
    return torch.clamp(t, min=0) + torch.log1p(torch.exp(-t.abs()))


@dataclass
class Bounds:
    """Rigorous enclosures over each box of a batch, shape (B,) each."""

    gap_hi: torch.Tensor
    inner_lo: torch.Tensor
    gnorm_hi: torch.Tensor


# ---------------------------------------------------------------------- quadratic forms
class QuadraticForm:
    """f(x) = (x - z)^T A (x - z) with A symmetric positive semidefinite (points (P, n)).

    The analytic worst case: kappa_min(x) = eps ||A v|| / (v^T A v) with v = x - z, and over
    a ball that contains the level set v^T A v = eps around z, kappa_emp = sqrt(lambda_max eps).

    Args:
        A: (n, n) symmetric matrix.
        z: minimizer (n,), the origin by default.
    """

    def __init__(self, A, z=None):
        self.A = V.as_float_tensor("A", A, dtype=torch.float64)
        if self.A.ndim != 2 or self.A.shape[0] != self.A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {tuple(self.A.shape)}")
        if not torch.allclose(self.A, self.A.T):
            raise ValueError("A must be symmetric")
        n = self.A.shape[0]
        self.z = torch.zeros(n, dtype=torch.float64, device=self.A.device) if z is None else \
            V.as_float_tensor("z", z, dtype=torch.float64, device=self.A.device)
        self.point_shape = torch.Size((n,))

    def to(self, device) -> "QuadraticForm":
        return QuadraticForm(self.A.to(device), self.z.to(device))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        v = x - self.z
        return torch.einsum("pi,ij,pj->p", v, self.A, v)

    def value_and_grad(self, x: torch.Tensor):
        v = x - self.z
        Av = v @ self.A
        return (v * Av).sum(1), 2 * Av

    def bounds(self, lo: torch.Tensor, hi: torch.Tensor, z: torch.Tensor) -> Bounds:
        """Enclosures of f - f(z), <g, x - z> = 2 v^T A v and ||g|| = 2 ||A v|| over boxes (B, n)."""
        if not torch.equal(z.to(self.z), self.z):
            raise ValueError("QuadraticForm.bounds needs z equal to the form's minimizer")
        n = lo.shape[1]
        eta = rounding_eta(2 * n)
        vlo, vhi = _pad(lo - self.z, hi - self.z, lo.abs().maximum(hi.abs()) + self.z.abs(), eta)
        # squares (exact range of v_j^2) and cross products v_j v_l
        sq_hi = vlo.square().maximum(vhi.square())
        sq_lo = torch.where((vlo <= 0) & (vhi >= 0), torch.zeros_like(vlo), vlo.square().minimum(vhi.square()))
        plo, phi_ = _mul(vlo[:, :, None], vhi[:, :, None], vlo[:, None, :], vhi[:, None, :], eta)  # (B, n, n)
        eye = torch.eye(n, dtype=torch.bool, device=lo.device)
        plo = torch.where(eye, sq_lo[:, :, None].expand_as(plo), plo)
        phi_ = torch.where(eye, sq_hi[:, :, None].expand_as(phi_), phi_)
        Apos, Aneg = self.A.clamp(min=0), self.A.clamp(max=0)
        qlo = (Apos * plo + Aneg * phi_).sum((1, 2))
        qhi = (Apos * phi_ + Aneg * plo).sum((1, 2))
        mag = (self.A.abs() * plo.abs().maximum(phi_.abs())).sum((1, 2))
        qlo, qhi = _pad(qlo, qhi, mag, eta)
        # ||2 A v||: centre-radius enclosure of A v
        vc, vr = (vlo + vhi) / 2, (vhi - vlo) / 2
        vr = vr + eta * (vlo.abs() + vhi.abs()) + TINY
        Avc = vc @ self.A
        Avr = vr @ self.A.abs() + eta * (vc.abs() @ self.A.abs()) + TINY
        gn = torch.linalg.vector_norm(Avc.abs() + Avr, dim=1)
        gnorm_hi = 2 * gn * (1 + eta) + TINY
        return Bounds(gap_hi=qhi, inner_lo=2 * qlo - eta * 2 * qlo.abs() - TINY, gnorm_hi=gnorm_hi)


# ---------------------------------------------------------------------- GLMs
class GLMBounds:
    """Interval bounds for :class:`~slqc.models.GLMObjective` (see the module docstring).

    Supports the squared loss with generalized ReLU, ReLU, sigmoid or identity (one output,
    or several with the activation applied elementwise: Theorems 1, 3, Corollaries 1-2,
    Hazan et al.) and the sigmoid with binary cross-entropy (Theorem 6).

    Args:
        objective: the GLM objective.
        z: the reference point (shape of a point of the objective).
        device: torch device for the bounds.

    Raises:
        ValueError: an unsupported activation / loss pair.
    """

    def __init__(self, objective, z: torch.Tensor, device=None):
        act, loss = objective.act, objective.loss.name
        if loss == "squared" and act.name not in ("generalized_relu", "relu", "sigmoid", "identity"):
            raise ValueError(f"certify supports the squared loss with generalized_relu, relu, sigmoid or identity, "
                             f"not {act.name}")
        if loss == "bce" and act.name != "sigmoid":
            raise ValueError("certify supports bce with the sigmoid only")
        if loss not in ("squared", "bce"):
            raise ValueError(f"certify does not support the {loss!r} loss (softmax / ce: Theorem 7 is not covered)")
        dev = z.device if device is None else torch.device(device)
        self.act, self.loss = act, loss
        self.X = objective.X.to(device=dev, dtype=torch.float64)
        Y = objective.Y.to(device=dev, dtype=torch.float64)
        self.multi = Y.ndim == 2
        self.Y = Y if self.multi else Y[:, None]  # (m, k)
        self.m, self.d = self.X.shape
        self.k = self.Y.shape[1]
        self.point_shape = torch.Size((self.d, self.k)) if self.multi else torch.Size((self.d,))
        self.eta = rounding_eta(self.m * self.k + self.d * self.k)
        self.Xp, self.Xn, self.Xa = self.X.clamp(min=0), self.X.clamp(max=0), self.X.abs()
        zz = z.to(dev, torch.float64).reshape(self.d, self.k)
        self.us_lo, self.us_hi = self._u(zz[None], zz[None])
        self.us_lo, self.us_hi = self.us_lo[0], self.us_hi[0]  # (m, k)
        self.fz_lo = self._fz_lower()
        self.z = z

    # -- pieces of the computation
    def _u(self, lo, hi):
        """Exact range of u_ij = <x_i, w_j> over boxes (B, d, k), inflated: (B, m, k) each."""
        ulo = torch.matmul(self.Xp, lo) + torch.matmul(self.Xn, hi)
        uhi = torch.matmul(self.Xp, hi) + torch.matmul(self.Xn, lo)
        mag = torch.matmul(self.Xa, lo.abs().maximum(hi.abs()))
        return _pad(ulo, uhi, mag, self.eta)

    def _phi(self, t):
        if self.act.name == "sigmoid":
            return torch.sigmoid(t)
        if self.act.name == "identity":
            return t.clone()
        return torch.where(t >= 0, self.act.b * t, self.act.a * t)

    def _phi_iv(self, lo, hi):
        """phi over [lo, hi] (phi is nondecreasing), inflated."""
        plo, phi_ = self._phi(lo), self._phi(hi)
        return _pad(plo, phi_, plo.abs().maximum(phi_.abs()), self.eta)

    def _dphi_iv(self, lo, hi):
        """phi' over [lo, hi]: both one-sided slopes at a kink; sigmoid' is unimodal with its peak at 0."""
        if self.act.name == "sigmoid":
            def sp(t):
                return torch.sigmoid(t) * torch.sigmoid(-t)
            e1, e2, top = sp(lo), sp(hi), sp(torch.minimum(torch.maximum(torch.zeros_like(lo), lo), hi))
            dlo = torch.minimum(e1, e2)
            return _pad(dlo, top, top, self.eta)
        if self.act.name == "identity":
            return torch.ones_like(lo), torch.ones_like(hi)
        a, b = self.act.a, self.act.b  # g nondecreasing: g(lo) <= g <= g(hi); g(0) = b
        return (torch.where(lo >= 0, torch.full_like(lo, b), torch.full_like(lo, a)),
                torch.where(hi >= 0, torch.full_like(hi, b), torch.full_like(hi, a)))

    def _loss_hi(self, lo, hi):
        """Upper bound of the per-term loss over [lo, hi] (convex in u for bce, |phi - y|^2 monotone pieces)."""
        y = self.Y
        if self.loss == "squared":
            plo, phi_ = self._phi_iv(lo, hi)
            alo, ahi = _pad(plo - y, phi_ - y, plo.abs().maximum(phi_.abs()) + y.abs(), self.eta)
            v = alo.square().maximum(ahi.square())
            return v + self.eta * v + TINY
        vals = []
        for t in (lo, hi):
            sp = _softplus(t)
            vals.append(sp - y * t + self.eta * (sp.abs() + (y * t).abs()) + TINY)
        return torch.maximum(*vals)

    def _fz_lower(self):
        """A lower bound of f(z) (one number)."""
        y, lo, hi = self.Y, self.us_lo, self.us_hi
        if self.loss == "squared":
            plo, phi_ = self._phi_iv(lo, hi)
            alo, ahi = _pad(plo - y, phi_ - y, plo.abs().maximum(phi_.abs()) + y.abs(), self.eta)
            terms = torch.where((alo <= 0) & (ahi >= 0), torch.zeros_like(alo), alo.square().minimum(ahi.square()))
            terms = terms - self.eta * terms
        else:  # l(u) = softplus(u) - y u is (1 + |y|)-Lipschitz
            mid = (lo + hi) / 2
            sp = _softplus(mid)
            terms = sp - y * mid - (1 + y.abs()) * (hi - lo) - self.eta * (sp.abs() + (y * mid).abs() + hi.abs())
        s = terms.sum()
        s = s - self.eta * terms.abs().sum() - TINY
        return float(s / self.m - self.eta * s.abs() / self.m - TINY)

    def bounds(self, lo: torch.Tensor, hi: torch.Tensor, z: torch.Tensor | None = None) -> Bounds:
        """Enclosures of f - f(z), <g, x - z> and ||g|| over boxes lo, hi of shape (B, *point_shape)."""
        eta, y = self.eta, self.Y
        B = lo.shape[0]
        lo = lo.reshape(B, self.d, self.k)
        hi = hi.reshape(B, self.d, self.k)
        ulo, uhi = self._u(lo, hi)  # (B, m, k)
        usl, ush = self.us_lo, self.us_hi
        usm = (usl + ush) / 2
        zero = torch.zeros_like(usm)
        s1 = torch.minimum(zero, usm)
        s2 = torch.maximum(zero, usm)
        c1 = torch.minimum(torch.maximum(s1, ulo), uhi)
        c2 = torch.minimum(torch.maximum(s2, ulo), uhi)
        pieces = ((ulo, c1), (c1, c2), (c2, uhi))
        rlo = rhi = plow = None
        for pl, ph in pieces:
            # E = u - u* over the piece
            elo, ehi = _pad(pl - ush, ph - usl, pl.abs().maximum(ph.abs()) + usl.abs().maximum(ush.abs()), eta)
            phlo, phhi = self._phi_iv(pl, ph)
            alo, ahi = _pad(phlo - y, phhi - y, phlo.abs().maximum(phhi.abs()) + y.abs(), eta)
            if self.loss == "squared":
                dlo, dhi = self._dphi_iv(pl, ph)
                qlo, qhi = _mul(alo, ahi, dlo, dhi, eta)
                qlo, qhi = 2 * qlo, 2 * qhi  # r = 2 (phi - y) phi'
            else:
                qlo, qhi = alo, ahi  # r = sigmoid(u) - y
            plo_, _ = _mul(qlo, qhi, elo, ehi, eta)
            rlo = qlo if rlo is None else torch.minimum(rlo, qlo)
            rhi = qhi if rhi is None else torch.maximum(rhi, qhi)
            plow = plo_ if plow is None else torch.minimum(plow, plo_)
        # <g, x - z> = (1/m) sum r (u - u*)
        s = plow.reshape(B, -1).sum(1)
        s = s - eta * plow.abs().reshape(B, -1).sum(1) - TINY
        inner_lo = s / self.m
        inner_lo = inner_lo - eta * inner_lo.abs() - TINY
        # f(x) - f(z)
        v = self._loss_hi(ulo, uhi).reshape(B, -1).sum(1)
        v = v + eta * v.abs() + TINY
        gap_hi = v / self.m - self.fz_lo
        gap_hi = gap_hi + eta * (v.abs() / self.m + abs(self.fz_lo)) + TINY
        # ||G||, G = (1/m) X^T R with R in [rlo, rhi]: centre-radius per coordinate
        rc = (rlo + rhi) / 2
        rr = (rhi - rlo) / 2 + eta * (rlo.abs() + rhi.abs()) + TINY
        Gc = torch.matmul(self.X.T, rc)  # (d, m) @ (B, m, k) -> (B, d, k)
        Gr = torch.matmul(self.Xa.T, rr) + eta * torch.matmul(self.Xa.T, rc.abs()) + TINY
        gmax = (Gc.abs() + Gr * (1 + eta)).reshape(B, -1)
        gnorm_hi = torch.linalg.vector_norm(gmax, dim=1) * (1 + eta) / self.m * (1 + eta) + TINY
        return Bounds(gap_hi=gap_hi, inner_lo=inner_lo, gnorm_hi=gnorm_hi)


def bounder_for(objective, z: torch.Tensor, device=None):
    """The bounding object of ``objective``: itself when it has ``bounds``, GLMBounds for a GLM.

    Raises:
        ValueError: an objective the certifier cannot bound.
    """
    from .models import GLMObjective, OneHiddenObjective

    if isinstance(objective, GLMObjective):
        return GLMBounds(objective, z, device)
    if hasattr(objective, "bounds"):
        return objective
    if isinstance(objective, OneHiddenObjective):
        raise ValueError("certify does not support OneHiddenObjective (Theorems 4-5) yet")
    raise ValueError(f"certify needs a GLMObjective, a QuadraticForm or an object with bounds(lo, hi, z); "
                     f"got {type(objective).__name__}")


# ---------------------------------------------------------------------- result
@dataclass
class CertifyResult:
    """Outcome of :func:`certify`.

    Attributes:
        lower: kappa_min at an evaluated point of the ball (inf: a violation of Definition 1).
        upper: proven bound on sup kappa_min over the ball (inf when not closed).
        certified: upper <= kappa (None when no target kappa was given).
        boxes: leaves of the final cover.
        seconds: wall time.
        certificate: path of the certificate file, or None.
        kappa, eps, radius: the inputs.
        witness: the point where ``lower`` was attained (or None).
        rules: leaves per discharge rule.
        stopped: why the search stopped (certified, closed, refuted, violation, exhausted,
            max_boxes, time_limit, cpu_limit).
        cpu_seconds: CPU time of this process during the run.
        evaluated: boxes evaluated (internal nodes included).
    """

    lower: float
    upper: float
    certified: bool | None
    boxes: int
    seconds: float
    certificate: str | None
    kappa: float | None
    eps: float
    radius: float
    witness: torch.Tensor | None = None
    rules: dict = field(default_factory=dict)
    stopped: str = ""
    evaluated: int = 0
    cpu_seconds: float = 0.0

    @property
    def ratio(self) -> float:
        """upper / lower (inf when lower is 0; 1 when both are inf: a violation, the bracket is exact)."""
        if self.lower == self.upper:
            return 1.0
        if self.lower == 0:
            return math.inf if self.upper > 0 else 1.0
        return self.upper / self.lower

    def to_dict(self) -> dict:
        from .jsonio import encode

        return encode({"lower": self.lower, "upper": self.upper, "ratio": self.ratio, "certified": self.certified,
                       "kappa": self.kappa, "eps": self.eps, "radius": self.radius, "boxes": self.boxes,
                       "evaluated": self.evaluated, "rules": self.rules, "stopped": self.stopped,
                       "seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "certificate": self.certificate})


# ---------------------------------------------------------------------- branch and bound
def _project(x, c, R):
    v = x - c
    n = torch.linalg.vector_norm(v, dim=1, keepdim=True)
    return c + v * torch.clamp(R / n.clamp(min=1e-300), max=1.0) * (1 - 1e-15)


def certify(objective, z, eps: float, radius: float, center=None, kappa: float | None = None, tol: float = 0.1,
            max_boxes: int = 200_000, device=None, certificate: str | Path | None = None, batch: int = 2048,
            time_limit: float | None = None, cpu_limit: float | None = None,
            meta: dict | None = None) -> CertifyResult:
    """Certified bracket lower <= sup_{x in B(center, radius)} kappa_min(x) <= upper.

    Args:
        objective: a :class:`~slqc.models.GLMObjective`, a :class:`QuadraticForm`, or any
            callable objective (P, *S) -> (P,) with ``bounds(lo, hi, z)`` (see the module
            docstring); it must also evaluate f and its gradient (``value_and_grad`` or autograd).
        z: reference point (shape S).
        eps: eps > 0 of Definition 1.
        radius: R > 0; the domain is the closed ball B(center, R).
        center: centre of the domain (origin by default).
        kappa: target kappa; boxes whose bound is <= kappa are discharged, and the run stops
            once every box is (certified) or a point needs more (refuted).
        tol: without ``kappa``, stop when upper <= (1 + tol) lower.
        max_boxes: stop when the cover has this many leaves (``upper`` is then still valid).
        device: torch device of the bounds (``cpu``, ``cuda``).
        certificate: write the certificate (``.npz``) here (see :mod:`slqc.certificate`).
        batch: boxes split per step (2 batch evaluated at once).
        time_limit: stop after this many seconds of wall time.
        cpu_limit: stop after this many seconds of this process's CPU time (all threads; a
            measure that does not depend on other jobs sharing the machine).
        meta: extra JSON-ready information stored in the certificate.

    Returns:
        :class:`CertifyResult`.

    Raises:
        ValueError: eps, radius or kappa not positive, tol < 0, shapes that do not match,
            an objective that cannot be bounded.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    eps = V.positive("eps", eps)
    radius = V.positive("radius", radius)
    if kappa is not None:
        kappa = V.positive("kappa", kappa)
    if not (isinstance(tol, (int, float)) and tol >= 0 and math.isfinite(tol)):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    if int(max_boxes) < 1 or int(batch) < 1:
        raise ValueError("max_boxes and batch must be >= 1")
    dev = V.resolve_device(device) if device is not None else None
    z = V.as_float_tensor("z", z, dtype=torch.float64)
    dev = dev or z.device
    z = z.to(dev)
    shape = z.shape
    n = z.numel()
    c = torch.zeros(n, dtype=torch.float64, device=dev) if center is None else \
        V.as_float_tensor("center", center, dtype=torch.float64, device=dev).reshape(-1)
    if c.numel() != n:
        raise ValueError(f"center must have the shape of z {tuple(shape)}")
    from .models import GLMObjective

    f = objective
    if isinstance(objective, QuadraticForm):
        f = objective.to(dev)
    elif isinstance(objective, GLMObjective) and objective.X.device != dev:  # same data on the bounds' device
        f = GLMObjective(objective.X.to(dev), objective.Y.to(dev), objective.act, objective.loss)
    bounder = bounder_for(f, z, dev)
    eta = rounding_eta(n + 64)
    fz = f_at(f, z)

    # root box [c - R, c + R], rounded outward
    root_lo = torch.nextafter(c - radius, torch.full_like(c, -math.inf))
    root_hi = torch.nextafter(c + radius, torch.full_like(c, math.inf))
    # tree: node 0 is the root; node i > 0 has parent, dim, side (0 lower / 1 upper half) and split value
    tree_parent, tree_dim, tree_side, tree_split = [torch.tensor([-1])], [torch.tensor([-1])], \
        [torch.tensor([-1])], [torch.tensor([math.nan], dtype=torch.float64)]
    next_id = 1
    leaves: dict[str, list] = {k: [] for k in ("node", "rule", "gap_hi", "inner_lo", "gnorm_hi", "bound")}
    act_lo = act_hi = act_node = act_bound = act_b = None
    lower, witness = 0.0, None
    R2_hi = radius * radius * (1 + eta) + TINY
    evaluated = 0
    stopped = ""

    def evaluate(lo, hi, nodes):
        nonlocal lower, witness, act_lo, act_hi, act_node, act_bound, act_b, evaluated
        evaluated += lo.shape[0]
        dist = torch.maximum(torch.maximum(lo - c, c - hi), torch.zeros_like(lo))
        d2_lo = (dist * dist).sum(1) * (1 - eta) - TINY
        outside = d2_lo > R2_hi
        bd = bounder.bounds(lo.reshape(-1, *shape), hi.reshape(-1, *shape), z)
        kb = eps * bd.gnorm_hi / bd.inner_lo
        kb = torch.where(bd.inner_lo > 0, kb * (1 + eta) + TINY, torch.full_like(kb, math.inf))
        kb = torch.where(torch.isnan(kb), torch.full_like(kb, math.inf), kb)
        level = ~outside & (bd.gap_hi <= eps * (1 - SAFETY))
        rule = torch.full_like(nodes, BOUND)
        rule[outside] = OUTSIDE
        rule[level] = LEVEL
        if kappa is not None:
            rule[~outside & ~level & (kb <= kappa * (1 - SAFETY))] = KAPPA
        done = rule != BOUND
        for key, val in (("node", nodes), ("rule", rule), ("gap_hi", bd.gap_hi), ("inner_lo", bd.inner_lo),
                         ("gnorm_hi", bd.gnorm_hi), ("bound", kb)):
            leaves[key].append(val[done].cpu())
        keep = ~done
        if act_lo is None:
            act_lo, act_hi, act_node, act_bound = lo[keep], hi[keep], nodes[keep], kb[keep]
            act_b = [v[keep] for v in (bd.gap_hi, bd.inner_lo, bd.gnorm_hi)]
        else:
            act_lo = torch.cat((act_lo, lo[keep]))
            act_hi = torch.cat((act_hi, hi[keep]))
            act_node = torch.cat((act_node, nodes[keep]))
            act_bound = torch.cat((act_bound, kb[keep]))
            act_b = [torch.cat((a, v[keep])) for a, v in zip(act_b, (bd.gap_hi, bd.inner_lo, bd.gnorm_hi))]
        # lower bound: kappa_min at the centres of the boxes that meet the ball, projected into it
        ins = ~outside
        if bool(ins.any()):
            pts = _project((lo[ins] + hi[ins]) / 2, c, radius).reshape(-1, *shape)
            with torch.no_grad():
                km = kappa_from_terms(slqc_terms(f, pts, z, fz), eps)
            j = int(torch.argmax(km))
            if float(km[j]) > lower:
                lower, witness = float(km[j]), pts[j].detach().clone()

    evaluate(root_lo[None], root_hi[None], torch.zeros(1, dtype=torch.long, device=dev))
    while True:
        if lower == math.inf:
            stopped = "violation"
            break
        if kappa is not None and lower > kappa:
            stopped = "refuted"
            break
        if act_lo.shape[0] == 0:
            stopped = "certified" if kappa is not None else "exhausted"
            break
        if kappa is not None:
            need = act_bound > kappa * (1 - SAFETY)
        else:
            need = act_bound * (1 + SAFETY) > (1 + tol) * lower
        n_need = int(need.sum())
        if n_need == 0:
            stopped = "closed"
            break
        n_leaves = sum(int(t.numel()) for t in leaves["node"]) + act_lo.shape[0]
        if n_leaves >= max_boxes:
            stopped = "max_boxes"
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            stopped = "time_limit"
            break
        if cpu_limit is not None and time.process_time() - c0 > cpu_limit:
            stopped = "cpu_limit"
            break
        K = min(n_need, int(batch), max(1, int(max_boxes) - n_leaves))
        score = torch.where(need, act_bound, torch.full_like(act_bound, -1.0))
        idx = torch.topk(score, K).indices
        sel = torch.zeros(act_lo.shape[0], dtype=torch.bool, device=dev)
        sel[idx] = True
        lo, hi, nodes = act_lo[sel], act_hi[sel], act_node[sel]
        act_lo, act_hi, act_node, act_bound = act_lo[~sel], act_hi[~sel], act_node[~sel], act_bound[~sel]
        act_b = [a[~sel] for a in act_b]
        width = hi - lo
        dim = torch.argmax(width, dim=1)
        ar = torch.arange(lo.shape[0], device=dev)
        l_d, h_d = lo[ar, dim], hi[ar, dim]
        mid = l_d + (h_d - l_d) / 2
        if not bool(((mid > l_d) & (mid < h_d)).all()):
            stopped = "resolution"  # boxes at float resolution: cannot split further
            act_lo, act_hi, act_node = torch.cat((act_lo, lo)), torch.cat((act_hi, hi)), torch.cat((act_node, nodes))
            act_bound = torch.cat((act_bound, torch.full((lo.shape[0],), math.inf, dtype=torch.float64, device=dev)))
            act_b = [torch.cat((a, torch.full((lo.shape[0],), math.nan, dtype=torch.float64, device=dev)))
                     for a in act_b]
            break
        hi0 = hi.clone()
        hi0[ar, dim] = mid
        lo1 = lo.clone()
        lo1[ar, dim] = mid
        kids = torch.arange(next_id, next_id + 2 * lo.shape[0], device=dev)
        next_id += 2 * lo.shape[0]
        tree_parent.append(torch.cat((nodes, nodes)).cpu())
        tree_dim.append(torch.cat((dim, dim)).cpu())
        tree_side.append(torch.cat((torch.zeros_like(dim), torch.ones_like(dim))).cpu())
        tree_split.append(torch.cat((mid, mid)).cpu())
        evaluate(torch.cat((lo, lo1)), torch.cat((hi0, hi)), kids)

    # the active boxes are leaves with rule "bound"
    for key, val in (("node", act_node), ("rule", torch.full_like(act_node, BOUND)), ("gap_hi", act_b[0]),
                     ("inner_lo", act_b[1]), ("gnorm_hi", act_b[2]), ("bound", act_bound)):
        leaves[key].append(val.cpu())
    L = {k: torch.cat(v) for k, v in leaves.items()}
    has_bound = (L["rule"] == KAPPA) | (L["rule"] == BOUND)
    upper = float(L["bound"][has_bound].max()) * (1 + SAFETY) if bool(has_bound.any()) else 0.0
    if lower > upper:  # cannot happen for a sound bound: the evaluated point lies in a leaf
        raise RuntimeError(f"certify: lower {lower} > upper {upper}; the bounds are unsound (please report)")
    certified = None if kappa is None else bool(upper <= kappa)
    rules = {name: int((L["rule"] == i).sum()) for i, name in enumerate(RULES)}
    res = CertifyResult(lower=lower, upper=upper, certified=certified, boxes=int(L["node"].numel()),
                        seconds=0.0, certificate=None, kappa=kappa, eps=eps, radius=radius, witness=witness,
                        rules=rules, stopped=stopped, evaluated=evaluated)
    if certificate is not None:
        tree = {"parent": torch.cat(tree_parent).numpy(), "dim": torch.cat(tree_dim).numpy(),
                "side": torch.cat(tree_side).numpy(), "split": torch.cat(tree_split).numpy()}
        res.certificate = str(_write_certificate(certificate, objective, z, c, res, root_lo, root_hi, tree, L,
                                                 meta or {}))
    res.seconds = time.perf_counter() - t0
    res.cpu_seconds = time.process_time() - c0
    return res


# ``slqc/__init__`` exports the function under the module's own name, so ``slqc.certify`` is the
# function; these attributes keep ``slqc.certify.certify`` / ``.QuadraticForm`` working too.
certify.certify = certify  # type: ignore[attr-defined]
certify.QuadraticForm = QuadraticForm  # type: ignore[attr-defined]
certify.CertifyResult = CertifyResult  # type: ignore[attr-defined]


def _model_arrays(objective) -> dict:
    from .models import GLMObjective

    if isinstance(objective, GLMObjective):
        act = objective.act
        return {"model": "glm", "X": objective.X.detach().cpu().numpy().astype(np.float64),
                "Y": objective.Y.detach().cpu().numpy().astype(np.float64), "activation": act.name,
                "a": float(act.a), "b": float(act.b), "loss": objective.loss.name}
    if isinstance(objective, QuadraticForm):
        return {"model": "quadratic", "A": objective.A.detach().cpu().numpy()}
    return {"model": "custom"}


def _write_certificate(path, objective, z, c, res: CertifyResult, root_lo, root_hi, tree, L, meta) -> Path:
    from .jsonio import dumps

    p = Path(path)
    if p.exists() and p.is_dir():
        raise ValueError(f"certificate path {path} is a directory; give a file path")
    p.parent.mkdir(parents=True, exist_ok=True)
    w = res.witness.detach().cpu().numpy() if res.witness is not None else np.full(z.shape, np.nan)
    arrays = dict(
        kind=np.array("certificate"), version=np.array(1), **_model_arrays(objective),
        z=z.detach().cpu().numpy(), center=c.detach().cpu().numpy(), radius=np.array(res.radius),
        eps=np.array(res.eps), kappa=np.array(np.nan if res.kappa is None else res.kappa),
        upper=np.array(res.upper), lower=np.array(res.lower), lower_point=w,
        certified=np.array(bool(res.certified)),
        root_lo=root_lo.cpu().numpy(), root_hi=root_hi.cpu().numpy(),
        tree_parent=tree["parent"], tree_dim=tree["dim"], tree_side=tree["side"], tree_split=tree["split"],
        leaf_node=L["node"].numpy(), leaf_rule=L["rule"].numpy(), leaf_gap_hi=L["gap_hi"].numpy(),
        leaf_inner_lo=L["inner_lo"].numpy(), leaf_gnorm_hi=L["gnorm_hi"].numpy(), leaf_bound=L["bound"].numpy(),
        meta=np.array(dumps(dict(meta, rules=res.rules, stopped=res.stopped))),
    )
    for k in ("model", "activation", "loss"):
        if k in arrays:
            arrays[k] = np.array(arrays[k])
    tmp = p.with_name(p.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(p)
    return p
