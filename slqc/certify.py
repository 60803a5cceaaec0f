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
  the box bound eps gnorm_hi / inner_lo is <= kappa;
* ``coupled`` (GLMs with d k <= 4 weights): K <g, x - z> - eps ||g|| > 0 on the whole box,
  proven with the numerator and the denominator coupled term by term (below), at K = the
  target kappa, or, with no target, K = (1 + tol) lower; the box's bound is then K.

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
at u*). A (generalized) ReLU takes one slope per piece: a on the piece left of 0 (its
closure at u = 0 is the limit from the left), b on the piece that starts at 0, which is the
subgradient phi'(0) = b of the paper and of :mod:`slqc.activations` (the bounds are for that
convention; a term exactly at 0 with slope a is covered too whenever its box reaches u < 0).
||G|| is bounded coordinate-wise from the interval of each r_ij.

The arrangement of kinks (rule ``coupled``). All kink hyperplanes <w, x_i> = 0 pass through
the origin, which lies in the domain B(0, W) of Theorem 1: every box that contains it meets
every cell of the arrangement, and the plain bounds above take slope a for some terms in
<g, w - w*> and slope b for the same terms in ||g||. That mixed bound does not shrink with
the box (0.108 at d = 2, eps = 1e-2, against a supremum of 0.038), so no bisection closes it.
The rule ``coupled`` keeps each term on one piece at a time: on a piece (split at 0 and at
u*) the term's r and r (u - u*) come from the same slope. With a direction net c_j
(:func:`direction_net`: grid points of the faces of the cube, ||v|| <= max_j <c_j, v> /
(gamma ||c_j||) for every v), K <G, x - z> - eps ||G|| > 0 holds on the box when, for every j,

    sum over terms of  min over the term's pieces of  K r (u - u*) - eps_j r <x_i, c_j>   > 0,

eps_j >= eps / (gamma ||c_j||). Terms stay independent of one another (a relaxation: a
pattern of slopes need not be a cell), but each term's numerator and denominator move
together; at the origin that bound is the maximum of eps ||v|| / <v, w*> over the vertices
of a zonotope, 0.014 at d = 2 and 3 against the cells' 0.012. The net costs 2 D (n + 1)^(D-1)
directions (D = d k; n = 8 for D <= 2, 4 for D = 3, 4: :data:`COUPLED_NET`), so the rule is
used for D <= 4 and only on boxes the plain bounds do not discharge, whose plain bound is
at most :data:`COUPLED_RATIO` times K. The numpy checker re-validates it with its own net.

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
sigmoid with binary cross-entropy), :class:`QuadraticForm` and
:class:`~slqc.models.OneHiddenObjective` (Theorems 4-5, W2 fixed: :class:`OneHiddenBounds`,
interval bounds through the hidden layer, sound and loose); softmax with cross-entropy and
k <= 6 outputs (Theorem 7: :class:`SoftmaxCEBounds`, the loss's maximum at the 2^k vertices
of each sample's box, softmax ranges from the pairwise differences).

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
RULES = ("outside", "level", "kappa", "bound", "coupled")
OUTSIDE, LEVEL, KAPPA, BOUND, COUPLED = range(5)


def rounding_eta(n_terms: int) -> float:
    """The inflation factor eta for computations whose longest sum has ``n_terms`` terms."""
    return max(2.0 ** -47, (int(n_terms) + 64) * 2.0 ** -51)


# ---------------------------------------------------------------------- interval helpers
def _pad(lo: torch.Tensor, hi: torch.Tensor, mag: torch.Tensor, eta: float):
    p = eta * mag + TINY
    return lo - p, hi + p


def _inner_gnorm(plow: torch.Tensor, dlo: torch.Tensor, dhi: torch.Tensor, X: torch.Tensor, Xa: torch.Tensor, m: int,
                 eta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per box: a lower bound on <g, w - w*> = (1/m) sum of the per-sample products (lower bounds ``plow``),
    and an upper bound on ||g||, g = (1/m) X^T delta with delta in [dlo, dhi] per sample (midpoint-radius
    form, |X| = ``Xa``), each inflated for float64 rounding."""
    B = plow.shape[0]
    s_ = plow.reshape(B, -1).sum(1)
    s_ = s_ - eta * plow.abs().reshape(B, -1).sum(1) - TINY
    inner_lo = s_ / m
    inner_lo = inner_lo - eta * inner_lo.abs() - TINY
    dc = (dlo + dhi) / 2
    dr = (dhi - dlo) / 2 + eta * (dlo.abs() + dhi.abs()) + TINY
    Gc = torch.matmul(X.T, dc)
    Gr = torch.matmul(Xa.T, dr) + eta * torch.matmul(Xa.T, dc.abs()) + TINY
    gmax = (Gc.abs() + Gr * (1 + eta)).reshape(B, -1)
    gnorm_hi = torch.linalg.vector_norm(gmax, dim=1) * (1 + eta) / m * (1 + eta) + TINY
    return inner_lo, gnorm_hi


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
            raise ValueError(f"GLMBounds does not support the {loss!r} loss (softmax + ce: SoftmaxCEBounds)")
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

    def _slope(self, pl: torch.Tensor, ph: torch.Tensor):
        """phi' over a piece [pl, ph] that does not cross the kink 0 (pieces are split there).

        (Generalized) ReLU: the fixed slope a when pl < 0 (then ph <= 0; at u = 0 the closure
        of the piece, phi(0) = 0 for both slopes), else b (the subgradient phi'(0) = b of the
        paper and of :mod:`slqc.activations`). Sigmoid: unimodal with its peak at 0.
        """
        if self.act.name in ("generalized_relu", "relu"):
            s = torch.where(pl < 0, torch.full_like(pl, self.act.a), torch.full_like(pl, self.act.b))
            return s, s
        return self._dphi_iv(pl, ph)

    def pieces(self, lo: torch.Tensor, hi: torch.Tensor):
        """Per-term enclosures on the pieces of each u_ij interval (split at the kink 0 and at u*_ij).

        Args:
            lo, hi: boxes (B, *point_shape).

        Returns:
            ulo, uhi (B, m, k): the pre-activation ranges; rlo, rhi, plo (3, B, m, k): on each
            piece, r = l'(u) lies in [rlo, rhi] and r (u - u*) >= plo. Every u of [ulo, uhi]
            lies in a piece, with its own slope: the pieces keep r and r (u - u*) of one term
            coupled (the rule ``coupled`` needs that; the plain bounds take the hull).
        """
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
        R_lo, R_hi, P_lo = [], [], []
        for pl, ph in ((ulo, c1), (c1, c2), (c2, uhi)):
            # E = u - u* over the piece
            elo, ehi = _pad(pl - ush, ph - usl, pl.abs().maximum(ph.abs()) + usl.abs().maximum(ush.abs()), eta)
            phlo, phhi = self._phi_iv(pl, ph)
            alo, ahi = _pad(phlo - y, phhi - y, phlo.abs().maximum(phhi.abs()) + y.abs(), eta)
            if self.loss == "squared":
                dlo, dhi = self._slope(pl, ph)
                qlo, qhi = _mul(alo, ahi, dlo, dhi, eta)
                qlo, qhi = 2 * qlo, 2 * qhi  # r = 2 (phi - y) phi'
            else:
                qlo, qhi = alo, ahi  # r = sigmoid(u) - y
            plo_, _ = _mul(qlo, qhi, elo, ehi, eta)
            R_lo.append(qlo)
            R_hi.append(qhi)
            P_lo.append(plo_)
        return ulo, uhi, torch.stack(R_lo), torch.stack(R_hi), torch.stack(P_lo)

    def bounds(self, lo: torch.Tensor, hi: torch.Tensor, z: torch.Tensor | None = None) -> Bounds:
        """Enclosures of f - f(z), <g, x - z> and ||g|| over boxes lo, hi of shape (B, *point_shape)."""
        eta = self.eta
        B = lo.shape[0]
        ulo, uhi, R_lo, R_hi, P_lo = self.pieces(lo, hi)
        rlo, rhi, plow = R_lo.min(0).values, R_hi.max(0).values, P_lo.min(0).values
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

    def coupled(self, lo: torch.Tensor, hi: torch.Tensor, K: float, eps: float, net: torch.Tensor,
                gamma: float) -> torch.Tensor:
        """Rule ``coupled``: whether K <g, x - z> - eps ||g|| > 0 on every box (then kappa_min < K there).

        ||G|| <= max_j <c_j, G> / (gamma ||c_j||) over the direction net (see :func:`direction_net`),
        so it suffices that, for every j, the sum over terms of the smallest value of
        K r (u - u*) - eps_j r <x_i, c_j> (eps_j = eps / (gamma ||c_j||)) over the pieces of the
        term is > 0. The pieces keep r and r (u - u*) of one term together, so a term on the kink
        takes slope a or slope b in both at once (the plain bounds mix them: at the origin,
        where every kink hyperplane passes, that mixing is what kept Theorem 1 at eps = 1e-2
        from closing). Every step is inflated as in :meth:`bounds`.

        Args:
            lo, hi: boxes (B, *point_shape).
            K: the bound to prove (> 0).
            eps: eps of Definition 1.
            net: (J, d k) directions; gamma: their covering constant (both from direction_net).

        Returns:
            (B,) bool.
        """
        eta = self.eta
        B = lo.shape[0]
        J = net.shape[0]
        T = self.m * self.k
        C = net.to(self.X).reshape(J, self.d, self.k)
        alpha = torch.einsum("il,jlc->jic", self.X, C).reshape(J, T)  # <x_i, c_j[:, col]>
        dal = eta * torch.einsum("il,jlc->jic", self.Xa, C.abs()).reshape(J, T) + TINY  # |error of alpha|
        nrm = torch.linalg.vector_norm(net.to(self.X), dim=1)
        epsj = eps / (gamma * nrm * (1 - eta)) * (1 + eta) + TINY  # (J,), rounded up
        ea = epsj[:, None] * alpha  # (J, T)
        pos = alpha >= 0
        # error budget of each T_j (one inflation for the whole chain, see the module docstring):
        # r <x_i, c_j> <= max(rlo alpha, rhi alpha) + |r|max dal; the roundings of the products,
        # the difference and the sum over the T terms are covered by eta times the magnitudes.
        wmag = (alpha.abs() + dal) * epsj[:, None]  # (J, T)
        wdal = dal * epsj[:, None]
        ok = torch.ones(B, dtype=torch.bool, device=lo.device)
        step = max(1, int(2 ** 21 // max(1, J * T)))
        for s0 in range(0, B, step):
            _, _, R_lo, R_hi, P_lo = self.pieces(lo[s0:s0 + step], hi[s0:s0 + step])
            b = R_lo.shape[1]
            R_lo, R_hi, Kp = R_lo.reshape(3, b, 1, T), R_hi.reshape(3, b, 1, T), K * P_lo.reshape(3, b, 1, T)
            best = None
            for q in range(3):
                v = Kp[q] - torch.where(pos, R_hi[q], R_lo[q]) * ea  # (b, J, T)
                best = v if best is None else torch.minimum(best, v)
            tot = best.sum(2)  # (b, J)
            rm = R_lo.abs().maximum(R_hi.abs()).max(0).values[:, 0]  # (b, T)
            km = Kp.abs().max(0).values[:, 0]
            err = eta * (km.sum(1)[:, None] + rm @ wmag.T) + rm @ wdal.T
            err = err * (1 + eta) + TINY
            ok[s0:s0 + step] = (tot - err > 0).all(1)
        return ok


# ---------------------------------------------------------------------- softmax + cross-entropy
class SoftmaxCEBounds:
    """Interval bounds for a :class:`~slqc.models.GLMObjective` with softmax and cross-entropy (Theorem 7).

    Per sample, with u_ic = <x_i, W_c>, s_i = sum_c y_ic (targets >= 0) and p = softmax(u):
    l_i(u) = s_i logsumexp(u) - <y_i, u>, grad = (1/m) X^T R with r_ic = s_i p_ic - y_ic, and
    <grad, W - W*> = (1/m) sum_ic r_ic (u_ic - u*_ic). Over a box each u_i ranges over the
    product of its intervals (the columns W_c are independent coordinates), so:

    * l_i is convex: its maximum over the box is at one of the 2^k vertices (k <= 6);
    * p_ic >= 1 / (1 + sum_{c' != c} exp(uhi_c' - ulo_c)) and <= 1 / (1 + sum exp(ulo_c' - uhi_c));
    * f(z) >= sum_i l_i(mid) - 2 s_i max_c width (l_i is 2 s_i-Lipschitz in the max norm).

    Exponentials get their argument padded and a relative margin 4 eta (>= 256 ulps); the
    rest is inflated as in :class:`GLMBounds`. No ``coupled`` rule (there is no kink).

    Raises:
        ValueError: not softmax + ce, negative targets, or k > 6.
    """

    def __init__(self, objective, z: torch.Tensor, device=None):
        if objective.act.name != "softmax" or objective.loss.name != "ce":
            raise ValueError("SoftmaxCEBounds needs the softmax activation with the ce loss")
        dev = z.device if device is None else torch.device(device)
        self.X = objective.X.to(device=dev, dtype=torch.float64)
        self.Y = objective.Y.to(device=dev, dtype=torch.float64)
        if self.Y.ndim != 2 or bool((self.Y < 0).any()):
            raise ValueError("certify needs targets Y (m, k) >= 0 for softmax + ce")
        self.m, self.d = self.X.shape
        self.k = self.Y.shape[1]
        if self.k > 6:
            raise ValueError(f"certify bounds softmax + ce for k <= 6 outputs (2^k vertices), got k = {self.k}")
        self.point_shape = torch.Size((self.d, self.k))
        self.eta = rounding_eta(self.m * self.k + self.d * self.k + 2 ** self.k)
        self.Xp, self.Xn, self.Xa = self.X.clamp(min=0), self.X.clamp(max=0), self.X.abs()
        s = self.Y.sum(1)
        self.s_lo = s - self.eta * s - TINY
        self.s_hi = s + self.eta * s + TINY
        self.V = torch.tensor([[(v >> c) & 1 for c in range(self.k)] for v in range(2 ** self.k)], dtype=torch.bool,
                              device=dev)  # (2^k, k)
        zz = z.to(dev, torch.float64).reshape(1, self.d, self.k)
        ul, uh = GLMBounds._u(self, zz, zz)
        self.us_lo, self.us_hi = ul[0], uh[0]
        mid = (self.us_lo + self.us_hi) / 2
        lo_mid = self._l(mid, up=False)  # (m,)
        wid = (self.us_hi - self.us_lo).max(1).values
        t = lo_mid - 2 * self.s_hi * wid * (1 + self.eta) - TINY
        tot = t.sum() - self.eta * t.abs().sum() - TINY
        self.fz_lo = float(tot / self.m - self.eta * tot.abs() / self.m - TINY)
        self.z = z

    def _u(self, lo, hi):
        return GLMBounds._u(self, lo, hi)

    def _lse(self, v, up: bool):
        """logsumexp over the last axis, rounded up or down by 4 eta (|max| + |log t| + 1)."""
        mx = v.max(-1).values
        t = torch.exp(v - mx[..., None]).sum(-1)
        lt = torch.log(t)
        pad = 4 * self.eta * (mx.abs() + lt.abs() + 1) + TINY
        return mx + lt + pad if up else mx + lt - pad

    def _l(self, v, up: bool):
        """l_i(v) = s_i lse(v) - <y_i, v> for v (..., m, k), rounded up or down."""
        y = self.Y
        lse = self._lse(v, up)
        s_ = self.s_hi if up else self.s_lo
        a = torch.where(lse >= 0, s_, self.s_lo if up else self.s_hi) * lse
        b = (y * v).sum(-1)
        pad = self.eta * (a.abs() + (y * v).abs().sum(-1)) + TINY
        return a - b + pad if up else a - b - pad

    def bounds(self, lo: torch.Tensor, hi: torch.Tensor, z: torch.Tensor | None = None) -> Bounds:
        """Enclosures of f - f(z), <g, W - W*> and ||g|| over boxes (B, d, k)."""
        eta, y, k = self.eta, self.Y, self.k
        B = lo.shape[0]
        ulo, uhi = self._u(lo.reshape(B, self.d, k), hi.reshape(B, self.d, k))  # (B, m, k)
        # value: the largest vertex of each sample's box
        vert = torch.where(self.V[None, None], uhi[:, :, None, :], ulo[:, :, None, :])  # (B, m, 2^k, k)
        lmax = self._l(vert.transpose(1, 2), up=True).max(1).values  # (B, m)
        v = lmax.sum(1)
        v = v + eta * lmax.abs().sum(1) + TINY
        gap_hi = v / self.m - self.fz_lo
        gap_hi = gap_hi + eta * (v.abs() / self.m + abs(self.fz_lo)) + TINY
        # softmax ranges
        e4 = 4 * eta
        A = uhi[..., None, :] - ulo[..., :, None]  # [c, c'] = uhi_c' - ulo_c
        A = A + eta * (uhi[..., None, :].abs() + ulo[..., :, None].abs()) + TINY
        eye = torch.eye(k, dtype=torch.bool, device=lo.device)
        S = torch.where(eye, torch.zeros_like(A), torch.exp(A) * (1 + e4)).sum(-1) * (1 + eta)
        p_lo = (1 / (1 + S)) * (1 - e4)
        A2 = ulo[..., None, :] - uhi[..., :, None]
        A2 = A2 - eta * (ulo[..., None, :].abs() + uhi[..., :, None].abs()) - TINY
        S2 = torch.where(eye, torch.zeros_like(A2), torch.exp(A2) * (1 - e4)).sum(-1) * (1 - eta)
        p_hi = torch.clamp((1 / (1 + S2)) * (1 + e4), max=1.0)
        rlo, rhi = _pad(p_lo * self.s_lo[:, None] - y, p_hi * self.s_hi[:, None] - y,
                        p_hi * self.s_hi[:, None] + y, eta)
        elo, ehi = _pad(ulo - self.us_hi, uhi - self.us_lo, ulo.abs().maximum(uhi.abs()) + self.us_hi.abs()
                        .maximum(self.us_lo.abs()), eta)
        plow, _ = _mul(rlo, rhi, elo, ehi, eta)
        inner_lo, gnorm_hi = _inner_gnorm(plow, rlo, rhi, self.X, self.Xa, self.m, eta)
        return Bounds(gap_hi=gap_hi, inner_lo=inner_lo, gnorm_hi=gnorm_hi)


# ---------------------------------------------------------------------- one hidden layer
def _act_iv(act, lo, hi, eta):
    """phi over [lo, hi] for a nondecreasing activation, inflated."""
    if act.name == "sigmoid":
        plo, phi_ = torch.sigmoid(lo), torch.sigmoid(hi)
    elif act.name == "identity":
        plo, phi_ = lo.clone(), hi.clone()
    else:
        plo = torch.where(lo >= 0, act.b * lo, act.a * lo)
        phi_ = torch.where(hi >= 0, act.b * hi, act.a * hi)
    return _pad(plo, phi_, plo.abs().maximum(phi_.abs()), eta)


def _dact_iv(act, lo, hi, eta, piece: bool = False):
    """phi' over [lo, hi]. With ``piece`` the interval does not cross 0 and a (generalized)
    ReLU takes the fixed slope a when lo < 0, else b = phi'(0); otherwise both slopes."""
    if act.name == "sigmoid":
        def sp(t):
            return torch.sigmoid(t) * torch.sigmoid(-t)
        top = sp(torch.minimum(torch.maximum(torch.zeros_like(lo), lo), hi))
        return _pad(torch.minimum(sp(lo), sp(hi)), top, top, eta)
    if act.name == "identity":
        return torch.ones_like(lo), torch.ones_like(hi)
    a, b = act.a, act.b
    if piece:
        s_ = torch.where(lo < 0, torch.full_like(lo, a), torch.full_like(lo, b))
        return s_, s_
    return (torch.where(lo >= 0, torch.full_like(lo, b), torch.full_like(lo, a)),
            torch.where(hi >= 0, torch.full_like(hi, b), torch.full_like(hi, a)))


def _matvec_iv(lo, hi, M, eta):
    """[lo, hi] @ M for a fixed matrix M (last axis of lo contracted with M's rows), inflated."""
    Mp, Mn = M.clamp(min=0), M.clamp(max=0)
    rlo = torch.matmul(lo, Mp) + torch.matmul(hi, Mn)
    rhi = torch.matmul(hi, Mp) + torch.matmul(lo, Mn)
    return _pad(rlo, rhi, torch.matmul(lo.abs().maximum(hi.abs()), M.abs()), eta)


class OneHiddenBounds:
    """Interval bounds for :class:`~slqc.models.OneHiddenObjective` (Theorems 4-5), W2 fixed.

    With u_ij = <x_i, W1[:, j]>, H = phi1(u), t = H W2, the per-sample output residual
    rho_ic = 2 (phi2(t_ic) - y_ic) phi2'(t_ic) (squared loss; sigmoid - y for bce),
    S_ij = sum_c rho_ic W2_jc and delta_ij = S_ij phi1'(u_ij):

        grad f = (1/m) X^T delta,     <grad f, W1 - W1*> = (1/m) sum_ij delta_ij (u_ij - u*_ij).

    Every quantity is enclosed by interval arithmetic through the hidden layer (u exactly per
    box, then phi1, the fixed W2, phi2, the loss), inflated as in :class:`GLMBounds`; each
    u_ij range is split at 0 and at u*_ij so that phi1' has one slope and u - u* one sign on
    every piece. The bounds are sound and loose (S_ij ranges over the whole box).

    Args:
        objective: the one-hidden-layer objective.
        z: the reference W1* (d, h).
        device: torch device.

    Raises:
        ValueError: an unsupported activation / loss.
    """

    ACTS = ("generalized_relu", "relu", "sigmoid", "identity")

    def __init__(self, objective, z: torch.Tensor, device=None):
        loss = objective.loss.name
        if objective.act1.name not in self.ACTS or objective.act2.name not in self.ACTS:
            raise ValueError(f"certify supports one-hidden-layer networks with activations among "
                             f"{', '.join(self.ACTS)}, not {objective.act1.name}/{objective.act2.name}")
        if loss not in ("squared", "bce") or (loss == "bce" and objective.act2.name != "sigmoid"):
            raise ValueError(f"certify supports one-hidden-layer networks with the squared loss, or bce with a "
                             f"sigmoid output, not {loss}/{objective.act2.name}")
        dev = z.device if device is None else torch.device(device)
        self.act1, self.act2, self.loss = objective.act1, objective.act2, loss
        self.X = objective.X.to(device=dev, dtype=torch.float64)
        Y = objective.Y.to(device=dev, dtype=torch.float64)
        W2 = objective.W2.to(device=dev, dtype=torch.float64)
        self.multi = Y.ndim == 2
        self.Y = Y if self.multi else Y[:, None]  # (m, k)
        self.W2 = W2 if self.multi else W2[:, None]  # (h, k)
        self.m, self.d = self.X.shape
        self.h, self.k = self.W2.shape
        self.point_shape = torch.Size((self.d, self.h))
        self.eta = rounding_eta(self.m * self.h * self.k + self.d * self.h + self.h * self.k)
        self.Xa = self.X.abs()
        zz = z.to(dev, torch.float64).reshape(1, self.d, self.h)
        self.us_lo, self.us_hi = (t[0] for t in _matvec_iv(zz.transpose(1, 2), zz.transpose(1, 2), self.X.T,
                                                           self.eta))
        self.us_lo, self.us_hi = self.us_lo.T, self.us_hi.T  # (m, h)
        _, _, olo, ohi, tlo, thi = self._forward(zz, zz)
        self.fz_lo = float(self._value_lo(olo[0], ohi[0], tlo[0], thi[0]))
        self.z = z

    def _forward(self, lo, hi):
        """u, H, o, t ranges over boxes (B, d, h): u (B, m, h) via X; t (B, m, k); o = phi2(t)."""
        eta = self.eta
        ulo, uhi = _matvec_iv(lo.transpose(1, 2), hi.transpose(1, 2), self.X.T, eta)  # (B, h, m)
        ulo, uhi = ulo.transpose(1, 2), uhi.transpose(1, 2)
        Hlo, Hhi = _act_iv(self.act1, ulo, uhi, eta)
        tlo, thi = _matvec_iv(Hlo, Hhi, self.W2, eta)  # (B, m, k)
        olo, ohi = _act_iv(self.act2, tlo, thi, eta)
        return ulo, uhi, olo, ohi, tlo, thi

    def _value_lo(self, olo, ohi, tlo, thi):
        """A lower bound of f over the box from the output ranges (one box)."""
        eta, y = self.eta, self.Y
        if self.loss == "squared":
            alo, ahi = _pad(olo - y, ohi - y, olo.abs().maximum(ohi.abs()) + y.abs(), eta)
            t = torch.where((alo <= 0) & (ahi >= 0), torch.zeros_like(alo), alo.square().minimum(ahi.square()))
            t = t - eta * t
        else:  # softplus(t) - y t is (1 + |y|)-Lipschitz in t
            mid = (tlo + thi) / 2
            sp = _softplus(mid)
            t = sp - y * mid - (1 + y.abs()) * (thi - tlo) - eta * (sp.abs() + (y * mid).abs() + thi.abs())
        s_ = t.sum() - eta * t.abs().sum() - TINY
        return s_ / self.m - eta * s_.abs() / self.m - TINY

    def bounds(self, lo: torch.Tensor, hi: torch.Tensor, z: torch.Tensor | None = None) -> Bounds:
        """Enclosures of f - f(z), <g, W1 - W1*> and ||g|| over boxes (B, d, h)."""
        eta, y = self.eta, self.Y
        B = lo.shape[0]
        lo = lo.reshape(B, self.d, self.h)
        hi = hi.reshape(B, self.d, self.h)
        ulo, uhi, olo, ohi, tlo, thi = self._forward(lo, hi)
        alo, ahi = _pad(olo - y, ohi - y, olo.abs().maximum(ohi.abs()) + y.abs(), eta)  # (B, m, k)
        # value
        if self.loss == "squared":
            v = alo.square().maximum(ahi.square())
            v = v + eta * v + TINY
        else:
            vals = []
            for t in (tlo, thi):  # convex in t: the maximum is at an end
                sp = _softplus(t)
                vals.append(sp - y * t + eta * (sp.abs() + (y * t).abs()) + TINY)
            v = torch.maximum(*vals)
        vs = v.reshape(B, -1).sum(1)
        vs = vs + eta * vs.abs() + TINY
        gap_hi = vs / self.m - self.fz_lo
        gap_hi = gap_hi + eta * (vs.abs() / self.m + abs(self.fz_lo)) + TINY
        # rho and S = rho W2^T
        if self.loss == "squared":
            dlo, dhi = _dact_iv(self.act2, tlo, thi, eta)
            rlo, rhi = _mul(alo, ahi, dlo, dhi, eta)
            rlo, rhi = 2 * rlo, 2 * rhi
        else:
            rlo, rhi = alo, ahi
        Slo, Shi = _matvec_iv(rlo, rhi, self.W2.T, eta)  # (B, m, h)
        # pieces of u at 0 and u*
        usl, ush = self.us_lo, self.us_hi
        usm = (usl + ush) / 2
        zero = torch.zeros_like(usm)
        c1 = torch.minimum(torch.maximum(torch.minimum(zero, usm), ulo), uhi)
        c2 = torch.minimum(torch.maximum(torch.maximum(zero, usm), ulo), uhi)
        dl_all = dh_all = plow = None
        for pl, ph in ((ulo, c1), (c1, c2), (c2, uhi)):
            elo, ehi = _pad(pl - ush, ph - usl, pl.abs().maximum(ph.abs()) + usl.abs().maximum(ush.abs()), eta)
            slo, shi = _dact_iv(self.act1, pl, ph, eta, piece=True)
            qlo, qhi = _mul(Slo, Shi, slo, shi, eta)  # delta on the piece
            p_, _ = _mul(qlo, qhi, elo, ehi, eta)
            dl_all = qlo if dl_all is None else torch.minimum(dl_all, qlo)
            dh_all = qhi if dh_all is None else torch.maximum(dh_all, qhi)
            plow = p_ if plow is None else torch.minimum(plow, p_)
        inner_lo, gnorm_hi = _inner_gnorm(plow, dl_all, dh_all, self.X, self.Xa, self.m, eta)
        return Bounds(gap_hi=gap_hi, inner_lo=inner_lo, gnorm_hi=gnorm_hi)


def direction_net(D: int, n: int) -> tuple[torch.Tensor, float]:
    """Directions c_j and gamma > 0 with ||v|| <= max_j <c_j, v> / (gamma ||c_j||) for every v in R^D.

    The net is the grid of spacing 2 / n on the faces of the cube [-1, 1]^D (n a power of 2,
    so every grid point is exact in float64). For a unit v with |v_l| largest, c* = v / |v_l|
    lies on a face and ||c*|| >= 1; the grid point c_j of that face nearest to c* has
    ||c_j - c*|| <= s = sqrt(D - 1) / n, so the angle psi between c_j and c* (= the angle to v)
    has sin psi <= s / ||c*|| <= s and cos psi > 0: <c_j, v> / ||c_j|| >= sqrt(1 - s^2) = gamma.
    The returned gamma is rounded down.

    Args:
        D: dimension (d k weights).
        n: grid cells per cube edge (a power of 2 with sqrt(D - 1) < n).

    Returns:
        (net (J, D) float64 on the CPU, gamma).

    Raises:
        ValueError: n not a power of 2, or too coarse.
    """
    if n < 1 or n & (n - 1) or math.sqrt(D - 1) >= n:
        raise ValueError(f"direction_net needs n a power of 2 with n > sqrt(D - 1), got D={D}, n={n}")
    g = torch.arange(n + 1, dtype=torch.float64) * (2.0 / n) - 1.0
    faces = []
    for l in range(D):
        if D == 1:
            free = torch.zeros(1, 0, dtype=torch.float64)
        else:
            free = torch.cartesian_prod(*([g] * (D - 1))) if D > 2 else g[:, None]
        for sgn in (-1.0, 1.0):
            pts = torch.empty(free.shape[0], D, dtype=torch.float64)
            pts[:, l] = sgn
            pts[:, [i for i in range(D) if i != l]] = free
            faces.append(pts)
    s = math.sqrt(D - 1) / n * (1 + 1e-12)
    gamma = math.sqrt(1 - s * s) * (1 - 1e-12)
    return torch.cat(faces), gamma


#: the rule ``coupled`` is tried on boxes whose plain bound is at most this times the target
#: (further above, it rarely succeeds, and it costs a direction net per box)
COUPLED_RATIO = 4.0
#: grid cells per cube edge of the direction net, by the number of weights D (no entry: rule off)
COUPLED_NET = {1: 1, 2: 8, 3: 4, 4: 4}


def bounder_for(objective, z: torch.Tensor, device=None):
    """The bounding object of ``objective``: itself when it has ``bounds``, GLMBounds for a GLM.

    Raises:
        ValueError: an objective the certifier cannot bound.
    """
    from .models import GLMObjective, OneHiddenObjective

    if isinstance(objective, GLMObjective):
        if objective.loss.name == "ce":
            return SoftmaxCEBounds(objective, z, device)
        return GLMBounds(objective, z, device)
    if hasattr(objective, "bounds"):
        return objective
    if isinstance(objective, OneHiddenObjective):
        return OneHiddenBounds(objective, z, device)
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
            meta: dict | None = None, coupled: bool = True) -> CertifyResult:
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
        coupled: use the rule ``coupled`` (:meth:`GLMBounds.coupled`, a direction net over the
            d k weights) on the boxes the plain bounds do not discharge, where the bounder has
            it and d k <= 4 (:data:`COUPLED_NET`).

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
    net_n = COUPLED_NET.get(n, 0) if coupled and hasattr(bounder, "coupled") else 0
    net, gamma = direction_net(n, net_n) if net_n else (None, 0.0)
    net = None if net is None else net.to(dev)
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
        # lower bound: kappa_min at the centres of the boxes that meet the ball, projected into it
        ins = ~outside
        if bool(ins.any()):
            pts = _project((lo[ins] + hi[ins]) / 2, c, radius).reshape(-1, *shape)
            with torch.no_grad():
                km = kappa_from_terms(slqc_terms(f, pts, z, fz), eps)
            j = int(torch.argmax(km))
            if float(km[j]) > lower:
                lower, witness = float(km[j]), pts[j].detach().clone()
        rule = torch.full_like(nodes, BOUND)
        rule[outside] = OUTSIDE
        rule[level] = LEVEL
        if kappa is not None:
            rule[~outside & ~level & (kb <= kappa * (1 - SAFETY))] = KAPPA
            K_t = kappa * (1 - SAFETY)
        else:
            K_t = (1 + tol) * lower / (1 + SAFETY) * (1 - 1e-12)
        if net is not None and 0 < K_t < math.inf:
            cand = (rule == BOUND) & (kb > K_t) & (kb <= COUPLED_RATIO * K_t)
            if bool(cand.any()):
                ok = bounder.coupled(lo[cand].reshape(-1, *shape), hi[cand].reshape(-1, *shape), K_t, eps, net,
                                     gamma)
                idx = torch.nonzero(cand).flatten()[ok]
                rule[idx] = COUPLED
                kb = kb.clone()
                kb[idx] = K_t
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
    has_bound = (L["rule"] == KAPPA) | (L["rule"] == BOUND) | (L["rule"] == COUPLED)
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
                                                 meta or {}, net_n))
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
    from .models import OneHiddenObjective

    if isinstance(objective, OneHiddenObjective):
        a1, a2 = objective.act1, objective.act2
        return {"model": "one_hidden", "X": objective.X.detach().cpu().numpy().astype(np.float64),
                "Y": objective.Y.detach().cpu().numpy().astype(np.float64),
                "W2": objective.W2.detach().cpu().numpy().astype(np.float64),
                "activation": a1.name, "a": float(a1.a), "b": float(a1.b),
                "activation2": a2.name, "a2": float(a2.a), "b2": float(a2.b), "loss": objective.loss.name}
    return {"model": "custom"}


def _write_certificate(path, objective, z, c, res: CertifyResult, root_lo, root_hi, tree, L, meta,
                       net_n: int = 0) -> Path:
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
        certified=np.array(bool(res.certified)), coupled_n=np.array(int(net_n)),
        root_lo=root_lo.cpu().numpy(), root_hi=root_hi.cpu().numpy(),
        tree_parent=tree["parent"], tree_dim=tree["dim"], tree_side=tree["side"], tree_split=tree["split"],
        leaf_node=L["node"].numpy(), leaf_rule=L["rule"].numpy(), leaf_gap_hi=L["gap_hi"].numpy(),
        leaf_inner_lo=L["inner_lo"].numpy(), leaf_gnorm_hi=L["gnorm_hi"].numpy(), leaf_bound=L["bound"].numpy(),
        meta=np.array(dumps(dict(meta, rules=res.rules, stopped=res.stopped))),
    )
    for k in ("model", "activation", "activation2", "loss"):
        if k in arrays:
            arrays[k] = np.array(arrays[k])
    tmp = p.with_name(p.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(p)
    return p
