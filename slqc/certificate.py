"""Independent plain-numpy checker of ``slqc certify`` certificates (issue 11).

A certificate (``.npz`` with ``kind == "certificate"``, written by :func:`slqc.certify.certify`)
claims

    sup_{x in B(c, R), f(x) - f(z) > eps} eps ||grad f(x)|| / <grad f(x), x - z>  <=  upper

(Definition 1 / 4 of the paper, section 3.2, solved for kappa) for a stored model (a GLM
layer of Theorems 1, 3, 6 or Hazan et al., or a quadratic form), and, with a target
kappa, that upper <= kappa (the claim "certified" on that instance).

:func:`verify_certificate` re-checks it with no code shared with :mod:`slqc.certify` and no
torch:

1. the cover: the box tree is rebuilt from the root and the stored splits (each internal
   node has exactly two children that split it at one value of one coordinate), so the
   leaves cover the root exactly, and the root contains [c - R, c + R];
2. every leaf, with its own interval arithmetic: *directed rounding* emulated with
   ``numpy.nextafter`` (each correctly rounded +, -, *, /, sqrt moved one ulp outward,
   exp / log1p eight ulps, sums by the bound gamma_N sum |terms|), recomputing the rule
   that discharged it: ``outside`` (the box misses the ball), ``level`` (f - f(z) <= eps on
   the box), ``kappa`` (eps ||g|| / <g, x - z> <= kappa on the box) or ``bound`` (the same
   ratio <= upper);
3. the stated lower bound: kappa_min at the stored point, recomputed in plain float64.

Example:
    >>> r = verify_certificate("cert.npz")           # doctest: +SKIP
    >>> r.confirmed, r.message                        # doctest: +SKIP
    (True, '768 boxes cover B(c, 1) ...')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

U = 2.0 ** -53
RULE_NAMES = ("outside", "level", "kappa", "bound", "coupled")
#: ulps assumed for exp / log1p (libm, SIMD and CUDA implementations: <= 2 ulp).
ULP_TRANSCENDENTAL = 8
#: leaves checked per vectorized chunk
CHUNK = 512


def _dn(x, k: int = 1):
    for _ in range(k):
        x = np.nextafter(x, -np.inf)
    return x


def _up(x, k: int = 1):
    for _ in range(k):
        x = np.nextafter(x, np.inf)
    return x


def _gamma(n: int) -> float:
    return _up((n + 2) * U / (1 - (n + 2) * U), 2)


def _sum_dn(t, axis):
    """A lower bound of the exact sum of the (float) terms t along axis."""
    n = t.shape[axis]
    err = _up(_gamma(n) * _up(np.sum(np.abs(t), axis=axis) * (1 + 4 * n * U)))
    return _dn(np.sum(t, axis=axis) - err)


def _sum_up(t, axis):
    n = t.shape[axis]
    err = _up(_gamma(n) * _up(np.sum(np.abs(t), axis=axis) * (1 + 4 * n * U)))
    return _up(np.sum(t, axis=axis) + err)


def _imul(alo, ahi, blo, bhi):
    """Directed interval product."""
    c = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
    lo = _dn(np.minimum(np.minimum(c[0], c[1]), np.minimum(c[2], c[3])))
    hi = _up(np.maximum(np.maximum(c[0], c[1]), np.maximum(c[2], c[3])))
    return lo, hi


def _sigmoid(t, up: bool):
    """sigmoid(t) rounded up (up=True) or down; 1 / (1 + e^-t) with exp widened."""
    if up:
        e = _dn(np.exp(-t), ULP_TRANSCENDENTAL)
        e = np.maximum(e, 0.0)
        return np.minimum(_up(1.0 / _dn(1.0 + e)), 1.0)
    e = _up(np.exp(-t), ULP_TRANSCENDENTAL)
    return np.maximum(_dn(1.0 / _up(1.0 + e)), 0.0)


def _softplus(t, up: bool):
    """log(1 + e^t) = max(t, 0) + log1p(e^-|t|), directed."""
    if up:
        e = _up(np.exp(-np.abs(t)), ULP_TRANSCENDENTAL)
        return _up(np.maximum(t, 0.0) + _up(np.log1p(e), ULP_TRANSCENDENTAL))
    e = np.maximum(_dn(np.exp(-np.abs(t)), ULP_TRANSCENDENTAL), 0.0)
    return _dn(np.maximum(t, 0.0) + np.maximum(_dn(np.log1p(e), ULP_TRANSCENDENTAL), 0.0))


@dataclass
class CertificateCheck:
    """Result of :func:`verify_certificate`.

    Attributes:
        confirmed: the cover is valid and every leaf is confirmed by its rule (so
            sup kappa_min over the ball <= upper), and, when the file says "certified",
            upper <= kappa.
        message: one line saying why.
        upper, lower, kappa, eps, radius: the stored numbers.
        boxes: leaves; box_ok: per leaf, whether its rule was confirmed.
        rules: leaves per rule; failed: leaves whose rule was not confirmed.
        lower_recomputed: kappa_min at the stored lower point, in plain float64.
    """

    confirmed: bool
    message: str
    upper: float = float("nan")
    lower: float = float("nan")
    kappa: float = float("nan")
    eps: float = float("nan")
    radius: float = float("nan")
    boxes: int = 0
    rules: dict = field(default_factory=dict)
    failed: int = 0
    lower_recomputed: float = float("nan")
    box_ok: np.ndarray | None = None
    kind: str = "certificate"

    def to_dict(self) -> dict:
        def num(v):
            v = float(v)
            return v if np.isfinite(v) else ("nan" if np.isnan(v) else ("inf" if v > 0 else "-inf"))

        return {"kind": self.kind, "confirmed": bool(self.confirmed), "message": self.message,
                "upper": num(self.upper), "lower": num(self.lower), "kappa": num(self.kappa), "eps": num(self.eps),
                "radius": num(self.radius), "boxes": int(self.boxes), "rules": dict(self.rules),
                "failed": int(self.failed), "lower_recomputed": num(self.lower_recomputed)}


# ---------------------------------------------------------------------- the models
class _GLM:
    """f(W) = (1/m) sum_i sum_j l(<x_i, W_j>, y_ij) with l the squared loss or bce."""

    def __init__(self, X, Y, act, a, b, loss):
        self.X = np.asarray(X, np.float64)
        Y = np.asarray(Y, np.float64)
        self.Y = Y if Y.ndim == 2 else Y[:, None]
        self.m, self.d = self.X.shape
        self.k = self.Y.shape[1]
        self.act, self.a, self.b, self.loss = act, a, b, loss
        if act not in ("generalized_relu", "relu", "sigmoid", "identity") or loss not in ("squared", "bce"):
            raise ValueError(f"unsupported model {act}/{loss}")

    # exact float evaluation (for the lower point)
    def _phi(self, t):
        if self.act == "sigmoid":
            return 1 / (1 + np.exp(-t))
        if self.act == "identity":
            return t
        return np.where(t >= 0, self.b * t, self.a * t)

    def _dphi(self, t):
        if self.act == "sigmoid":
            s = 1 / (1 + np.exp(-t))
            return s * (1 - s)
        if self.act == "identity":
            return np.ones_like(t)
        return np.where(t >= 0, self.b, self.a)

    def value_grad(self, w):
        W = np.asarray(w, np.float64).reshape(self.d, self.k)
        t = self.X @ W
        if self.loss == "squared":
            r = self._phi(t) - self.Y
            return float((r * r).sum() / self.m), (self.X.T @ (2 * r * self._dphi(t)) / self.m).reshape(-1)
        sp = np.logaddexp(0, t)
        grad = self.X.T @ (1 / (1 + np.exp(-t)) - self.Y) / self.m
        return float((sp - self.Y * t).sum() / self.m), grad.reshape(-1)

    # directed interval pieces
    def _u(self, lo, hi):
        """u_ij over boxes (L, d, k) -> (L, m, k), directed."""
        p1 = self.X[None, :, :, None] * lo[:, None, :, :]
        p2 = self.X[None, :, :, None] * hi[:, None, :, :]
        return _sum_dn(np.minimum(p1, p2), 2), _sum_up(np.maximum(p1, p2), 2)

    def _phi_lo(self, t):
        if self.act == "sigmoid":
            return _sigmoid(t, up=False)
        if self.act == "identity":
            return t
        return _dn(np.where(t >= 0, self.b * t, self.a * t))

    def _phi_hi(self, t):
        if self.act == "sigmoid":
            return _sigmoid(t, up=True)
        if self.act == "identity":
            return t
        return _up(np.where(t >= 0, self.b * t, self.a * t))

    def _dphi_iv(self, lo, hi):
        if self.act == "sigmoid":  # s(t) s(-t), unimodal with its maximum at 0
            def dlo(t):
                return _dn(_sigmoid(t, False) * _sigmoid(-t, False))

            def dhi(t):
                return _up(_sigmoid(t, True) * _sigmoid(-t, True))
            top = dhi(np.clip(0.0, lo, hi))
            return np.minimum(dlo(lo), dlo(hi)), top
        if self.act == "identity":
            return np.ones_like(lo), np.ones_like(hi)
        return np.where(lo >= 0, self.b, self.a), np.where(hi >= 0, self.b, self.a)

    def _resid(self, lo, hi):
        return _dn(self._phi_lo(lo) - self.Y), _up(self._phi_hi(hi) - self.Y)

    def setup(self, z):
        Z = np.asarray(z, np.float64).reshape(1, self.d, self.k)
        self.zl, self.zh = self._u(Z, Z)
        self.zl, self.zh = self.zl[0], self.zh[0]
        if self.loss == "squared":
            rl, rh = self._resid(self.zl, self.zh)
            t = np.where((rl <= 0) & (rh >= 0), 0.0, _dn(np.minimum(rl * rl, rh * rh)))
        else:  # l(u) = softplus(u) - y u is (1 + |y|)-Lipschitz: l >= l(zl) - (1 + |y|)(zh - zl)
            lip = _up((1 + np.abs(self.Y)) * _up(self.zh - self.zl))
            t = _dn(_dn(_softplus(self.zl, False) - _up(self.Y * self.zl)) - lip)
        self.fz_lo = float(_dn(_sum_dn(t.reshape(-1), 0) / self.m))

    def _slope(self, pl, ph):
        """phi' on a piece that does not cross 0: a when it lies left of 0 (pl < 0), else b = phi'(0)."""
        if self.act in ("generalized_relu", "relu"):
            s = np.where(pl < 0, self.a, self.b)
            return s, s
        return self._dphi_iv(pl, ph)

    def pieces(self, ul, uh):
        """[(r_lo, r_hi, p_lo)] on the pieces of [ul, uh] split at 0 and at (the midpoint of) u*:
        on each piece r = l'(u) lies in [r_lo, r_hi] and r (u - u*) >= p_lo."""
        mid = 0.5 * (self.zl + self.zh)
        cuts = np.sort(np.stack((np.zeros_like(mid), mid)), axis=0)
        e1 = np.clip(cuts[0], ul, uh)
        e2 = np.clip(cuts[1], ul, uh)
        out = []
        for pl, ph in ((ul, e1), (e1, e2), (e2, uh)):
            al, ah = self._resid(pl, ph)
            if self.loss == "squared":
                dl, dh = self._slope(pl, ph)
                ql, qh = _imul(al, ah, dl, dh)
                ql, qh = 2 * ql, 2 * qh
            else:
                ql, qh = al, ah
            el, eh = _dn(pl - self.zh), _up(ph - self.zl)
            pr, _ = _imul(ql, qh, el, eh)
            out.append((ql, qh, pr))
        return out

    def coupled(self, lo, hi, K, eps, n):
        """Rule ``coupled`` at the bound K (one per leaf): for every direction c_j of the net
        of cube-face grid points (spacing 2 / n), sum over terms of min over pieces of
        K r (u - u*) - e_j r <x_i, c_j> > 0, with e_j >= eps / (gamma ||c_j||) and
        gamma = sqrt(1 - (D - 1) / n^2) (then K <g, x - z> > eps ||g|| on the box)."""
        D = self.d * self.k
        if n < 1 or (n & (n - 1)) or (D - 1) >= n * n:
            raise ValueError(f"bad direction net n={n} for D={D}")
        net, gamma = _net(D, n)
        nrm = _dn(np.sqrt(_sum_dn(net * net, 1)))
        e = _up(eps / _dn(gamma * nrm))  # (J,)
        C = net.reshape(-1, self.d, self.k)
        prod = self.X[None, :, :, None] * C[:, None, :, :]  # (J, m, d, k)
        al = _sum_dn(_dn(prod), 2).reshape(net.shape[0], -1)  # (J, T)
        ah = _sum_up(_up(prod), 2).reshape(net.shape[0], -1)
        L = lo.shape[0]
        ul, uh = self._u(lo.reshape(L, self.d, self.k), hi.reshape(L, self.d, self.k))
        best = None
        for ql, qh, pr in self.pieces(ul, uh):
            ql, qh, pr = (t.reshape(L, 1, -1) for t in (ql, qh, pr))
            _, tmax = _imul(ql, qh, al[None], ah[None])  # r <x_i, c_j> <= tmax
            v = _dn(_dn(np.asarray(K)[:, None, None] * pr) - _up(e[None, :, None] * tmax))
            best = v if best is None else np.minimum(best, v)
        return np.all(_sum_dn(best, 2) > 0, axis=1)

    def bounds(self, lo, hi):
        L = lo.shape[0]
        lo = lo.reshape(L, self.d, self.k)
        hi = hi.reshape(L, self.d, self.k)
        ul, uh = self._u(lo, hi)
        y = self.Y
        # value upper bound
        if self.loss == "squared":
            rl, rh = self._resid(ul, uh)
            v = _up(np.maximum(rl * rl, rh * rh))
        else:
            v = np.maximum(_up(_softplus(ul, True) - _dn(y * ul)), _up(_softplus(uh, True) - _dn(y * uh)))
        gap_hi = _up(_up(_sum_up(v.reshape(L, -1), 1) / self.m) - self.fz_lo)
        r_lo = r_hi = p_lo = None
        for ql, qh, pr in self.pieces(ul, uh):
            r_lo = ql if r_lo is None else np.minimum(r_lo, ql)
            r_hi = qh if r_hi is None else np.maximum(r_hi, qh)
            p_lo = pr if p_lo is None else np.minimum(p_lo, pr)
        inner_lo = _dn(_sum_dn(p_lo.reshape(L, -1), 1) / self.m)
        # G_lj = (1/m) sum_i x_il r_ij: interval per coordinate
        x = self.X[None, :, :, None]  # (1, m, d, 1)
        a1, a2 = x * r_lo[:, :, None, :], x * r_hi[:, :, None, :]  # (L, m, d, k)
        gl = _sum_dn(np.minimum(a1, a2), 1)
        gh = _sum_up(np.maximum(a1, a2), 1)
        gabs = np.maximum(np.abs(gl), np.abs(gh)).reshape(L, -1)
        gnorm_hi = _up(_up(np.sqrt(_sum_up(_up(gabs * gabs), 1))) / self.m)
        return gap_hi, inner_lo, gnorm_hi


class _Act:
    """A nondecreasing activation with directed enclosures (generalized ReLU, ReLU, sigmoid, identity)."""

    def __init__(self, name, a, b):
        if name not in ("generalized_relu", "relu", "sigmoid", "identity"):
            raise ValueError(f"unsupported activation {name}")
        self.name, self.a, self.b = name, a, b

    def phi(self, t):
        if self.name == "sigmoid":
            return 1 / (1 + np.exp(-t))
        if self.name == "identity":
            return t
        return np.where(t >= 0, self.b * t, self.a * t)

    def dphi(self, t):
        if self.name == "sigmoid":
            s = 1 / (1 + np.exp(-t))
            return s * (1 - s)
        if self.name == "identity":
            return np.ones_like(t)
        return np.where(t >= 0, self.b, self.a)

    def iv(self, lo, hi):
        if self.name == "sigmoid":
            return _sigmoid(lo, up=False), _sigmoid(hi, up=True)
        if self.name == "identity":
            return lo, hi
        return (_dn(np.where(lo >= 0, self.b * lo, self.a * lo)), _up(np.where(hi >= 0, self.b * hi, self.a * hi)))

    def diff_iv(self, lo, hi, piece=False):
        """phi' on [lo, hi]; with piece=True the interval does not cross 0 (fixed ReLU slope)."""
        if self.name == "sigmoid":
            def dl(t):
                return _dn(_sigmoid(t, False) * _sigmoid(-t, False))

            def dh(t):
                return _up(_sigmoid(t, True) * _sigmoid(-t, True))
            return np.minimum(dl(lo), dl(hi)), dh(np.clip(0.0, lo, hi))
        if self.name == "identity":
            return np.ones_like(lo), np.ones_like(hi)
        if piece:
            s = np.where(lo < 0, self.a, self.b)
            return s, s
        return np.where(lo >= 0, self.b, self.a), np.where(hi >= 0, self.b, self.a)


def _dot_iv(lo, hi, M):
    """Directed enclosure of [lo, hi] @ M (fixed M): lo, hi (..., n), M (n, p) -> (..., p)."""
    p1 = lo[..., :, None] * M
    p2 = hi[..., :, None] * M
    return _sum_dn(_dn(np.minimum(p1, p2)), -2), _sum_up(_up(np.maximum(p1, p2)), -2)


class _OneHidden:
    """f(W1) = (1/m) sum_i l(y_i, phi2(W2^T phi1(W1^T x_i))), W2 fixed (Theorems 4-5)."""

    def __init__(self, X, Y, W2, act1, act2, loss):
        self.X = np.asarray(X, np.float64)
        Y = np.asarray(Y, np.float64)
        W2 = np.asarray(W2, np.float64)
        self.Y = Y if Y.ndim == 2 else Y[:, None]
        self.W2 = W2 if W2.ndim == 2 else W2[:, None]
        self.m, self.d = self.X.shape
        self.h, self.k = self.W2.shape
        self.act1, self.act2, self.loss = act1, act2, loss
        if loss not in ("squared", "bce") or (loss == "bce" and act2.name != "sigmoid"):
            raise ValueError(f"unsupported model {loss}/{act2.name}")

    def value_grad(self, w):
        W1 = np.asarray(w, np.float64).reshape(self.d, self.h)
        u = self.X @ W1
        H = self.act1.phi(u)
        t = H @ self.W2
        if self.loss == "squared":
            r = self.act2.phi(t) - self.Y
            val = (r * r).sum() / self.m
            rho = 2 * r * self.act2.dphi(t)
        else:
            val = (np.logaddexp(0, t) - self.Y * t).sum() / self.m
            rho = 1 / (1 + np.exp(-t)) - self.Y
        delta = (rho @ self.W2.T) * self.act1.dphi(u)
        return float(val), (self.X.T @ delta / self.m).reshape(-1)

    def _forward(self, lo, hi):
        ul, uh = _dot_iv(np.swapaxes(lo, -1, -2), np.swapaxes(hi, -1, -2), self.X.T)  # (L, h, m)
        ul, uh = np.swapaxes(ul, -1, -2), np.swapaxes(uh, -1, -2)
        Hl, Hh = self.act1.iv(ul, uh)
        tl, th = _dot_iv(Hl, Hh, self.W2)
        ol, oh = self.act2.iv(tl, th)
        return ul, uh, tl, th, ol, oh

    def setup(self, z):
        Z = np.asarray(z, np.float64).reshape(1, self.d, self.h)
        ul, uh, tl, th, ol, oh = self._forward(Z, Z)
        self.zl, self.zh = ul[0], uh[0]
        if self.loss == "squared":
            rl, rh = _dn(ol[0] - self.Y), _up(oh[0] - self.Y)
            t = np.where((rl <= 0) & (rh >= 0), 0.0, _dn(np.minimum(rl * rl, rh * rh)))
        else:
            lip = _up((1 + np.abs(self.Y)) * _up(th[0] - tl[0]))
            t = _dn(_dn(_softplus(tl[0], False) - _up(self.Y * tl[0])) - lip)
        self.fz_lo = float(_dn(_sum_dn(t.reshape(-1), 0) / self.m))

    def bounds(self, lo, hi):
        L = lo.shape[0]
        lo = lo.reshape(L, self.d, self.h)
        hi = hi.reshape(L, self.d, self.h)
        ul, uh, tl, th, ol, oh = self._forward(lo, hi)
        y = self.Y
        al, ah = _dn(ol - y), _up(oh - y)
        if self.loss == "squared":
            v = _up(np.maximum(al * al, ah * ah))
            dl, dh = self.act2.diff_iv(tl, th)
            rl, rh = _imul(al, ah, dl, dh)
            rl, rh = 2 * rl, 2 * rh
        else:
            v = np.maximum(_up(_softplus(tl, True) - _dn(y * tl)), _up(_softplus(th, True) - _dn(y * th)))
            rl, rh = al, ah
        gap_hi = _up(_up(_sum_up(v.reshape(L, -1), 1) / self.m) - self.fz_lo)
        Sl, Sh = _dot_iv(rl, rh, self.W2.T)  # (L, m, h)
        mid = 0.5 * (self.zl + self.zh)
        cuts = np.sort(np.stack((np.zeros_like(mid), mid)), axis=0)
        e1 = np.clip(cuts[0], ul, uh)
        e2 = np.clip(cuts[1], ul, uh)
        q_lo = q_hi = p_lo = None
        for pl, ph in ((ul, e1), (e1, e2), (e2, uh)):
            sl, sh = self.act1.diff_iv(pl, ph, piece=True)
            ql, qh = _imul(Sl, Sh, sl, sh)
            pr, _ = _imul(ql, qh, _dn(pl - self.zh), _up(ph - self.zl))
            q_lo = ql if q_lo is None else np.minimum(q_lo, ql)
            q_hi = qh if q_hi is None else np.maximum(q_hi, qh)
            p_lo = pr if p_lo is None else np.minimum(p_lo, pr)
        inner_lo = _dn(_sum_dn(p_lo.reshape(L, -1), 1) / self.m)
        x = self.X[None, :, :, None]  # (1, m, d, 1)
        a1, a2 = x * q_lo[:, :, None, :], x * q_hi[:, :, None, :]  # (L, m, d, h)
        gl = _sum_dn(_dn(np.minimum(a1, a2)), 1)
        gh = _sum_up(_up(np.maximum(a1, a2)), 1)
        gabs = np.maximum(np.abs(gl), np.abs(gh)).reshape(L, -1)
        gnorm_hi = _up(_up(np.sqrt(_sum_up(_up(gabs * gabs), 1))) / self.m)
        return gap_hi, inner_lo, gnorm_hi


class _SoftmaxCE:
    """f(W) = (1/m) sum_i [s_i logsumexp(X W)_i - <y_i, (X W)_i>], s_i = sum_c y_ic (Theorem 7)."""

    def __init__(self, X, Y):
        self.X = np.asarray(X, np.float64)
        self.Y = np.asarray(Y, np.float64)
        if self.Y.ndim != 2 or np.any(self.Y < 0) or self.Y.shape[1] > 6:
            raise ValueError("softmax/ce needs targets (m, k) >= 0 with k <= 6")
        self.m, self.d = self.X.shape
        self.k = self.Y.shape[1]
        self.s = self.Y.sum(1)
        self.s_lo, self.s_hi = _sum_dn(self.Y, 1), _sum_up(self.Y, 1)

    def value_grad(self, w):
        W = np.asarray(w, np.float64).reshape(self.d, self.k)
        t = self.X @ W
        mx = t.max(1, keepdims=True)
        lse = mx[:, 0] + np.log(np.exp(t - mx).sum(1))
        p = np.exp(t - lse[:, None])
        val = (self.s * lse - (self.Y * t).sum(1)).sum() / self.m
        return float(val), (self.X.T @ (p * self.s[:, None] - self.Y) / self.m).reshape(-1)

    def _u(self, lo, hi):
        p1 = self.X[None, :, :, None] * lo[:, None, :, :]
        p2 = self.X[None, :, :, None] * hi[:, None, :, :]
        return _sum_dn(_dn(np.minimum(p1, p2)), 2), _sum_up(_up(np.maximum(p1, p2)), 2)

    def _lse(self, v, up):
        """Directed logsumexp over the last axis (exp, log within 8 ulps)."""
        mx = v.max(-1)
        if up:
            e = _up(np.exp(_up(v - mx[..., None])), ULP_TRANSCENDENTAL)
            return _up(mx + _up(np.log(_sum_up(e, -1)), ULP_TRANSCENDENTAL))
        e = np.maximum(_dn(np.exp(_dn(v - mx[..., None])), ULP_TRANSCENDENTAL), 0.0)
        t = np.maximum(_sum_dn(e, -1), 1.0)  # the max term is exp(0) = 1 exactly
        return _dn(mx + _dn(np.log(t), ULP_TRANSCENDENTAL))

    def _l(self, v, up):
        lse = self._lse(v, up)
        if up:
            a = np.maximum(_up(self.s_hi * lse), _up(self.s_lo * lse))
            b = _sum_dn(_dn(self.Y * v), -1)
            return _up(a - b)
        a = np.minimum(_dn(self.s_hi * lse), _dn(self.s_lo * lse))
        b = _sum_up(_up(self.Y * v), -1)
        return _dn(a - b)

    def setup(self, z):
        Z = np.asarray(z, np.float64).reshape(1, self.d, self.k)
        zl, zh = self._u(Z, Z)
        self.zl, self.zh = zl[0], zh[0]
        mid = 0.5 * (self.zl + self.zh)
        wid = _up(np.max(_up(self.zh - self.zl), 1))
        t = _dn(self._l(mid, up=False) - _up(2 * _up(self.s_hi * wid)))
        self.fz_lo = float(_dn(_sum_dn(t, 0) / self.m))

    def bounds(self, lo, hi):
        L, k = lo.shape[0], self.k
        ul, uh = self._u(lo.reshape(L, self.d, k), hi.reshape(L, self.d, k))  # (L, m, k)
        V = ((np.arange(2 ** k)[:, None] >> np.arange(k)[None]) & 1).astype(bool)  # (2^k, k)
        vert = np.where(V[None, :, None, :], uh[:, None], ul[:, None])  # (L, 2^k, m, k)
        lmax = self._l(vert, up=True).max(1)  # (L, m)
        gap_hi = _up(_up(_sum_up(lmax, 1) / self.m) - self.fz_lo)
        off = ~np.eye(k, dtype=bool)
        S = _sum_up(np.where(off, _up(np.exp(_up(uh[..., None, :] - ul[..., :, None])), ULP_TRANSCENDENTAL), 0.0), -1)
        p_lo = np.maximum(_dn(1.0 / _up(1.0 + S)), 0.0)
        S2 = _sum_dn(np.where(off, np.maximum(_dn(np.exp(_dn(ul[..., None, :] - uh[..., :, None])),
                                                  ULP_TRANSCENDENTAL), 0.0), 0.0), -1)
        S2 = np.maximum(S2, 0.0)
        p_hi = np.minimum(_up(1.0 / _dn(1.0 + S2)), 1.0)
        r_lo = _dn(_dn(p_lo * self.s_lo[:, None]) - self.Y)
        r_hi = _up(_up(p_hi * self.s_hi[:, None]) - self.Y)
        pr, _ = _imul(r_lo, r_hi, _dn(ul - self.zh), _up(uh - self.zl))
        inner_lo = _dn(_sum_dn(pr.reshape(L, -1), 1) / self.m)
        x = self.X[None, :, :, None]
        a1, a2 = x * r_lo[:, :, None, :], x * r_hi[:, :, None, :]
        gl = _sum_dn(_dn(np.minimum(a1, a2)), 1)
        gh = _sum_up(_up(np.maximum(a1, a2)), 1)
        gabs = np.maximum(np.abs(gl), np.abs(gh)).reshape(L, -1)
        gnorm_hi = _up(_up(np.sqrt(_sum_up(_up(gabs * gabs), 1))) / self.m)
        return gap_hi, inner_lo, gnorm_hi


def _net(D, n):
    """Grid points of spacing 2 / n on the faces of [-1, 1]^D (exact for n a power of 2), and
    gamma (rounded down) with <c_j, v> >= gamma ||c_j|| ||v|| for the best c_j of every v."""
    g = -1.0 + (2.0 / n) * np.arange(n + 1)
    free = np.stack(np.meshgrid(*([g] * (D - 1)), indexing="ij"), -1).reshape(-1, D - 1) if D > 1 \
        else np.zeros((1, 0))
    pts = []
    for axis in range(D):
        for sgn in (-1.0, 1.0):
            p = np.insert(free, axis, sgn, axis=1)
            pts.append(p)
    s2 = _up(_up(float(D - 1)) / _dn(float(n * n)))  # s^2 = (D - 1) / n^2, rounded up
    return np.concatenate(pts), float(_dn(np.sqrt(_dn(1.0 - s2))))


class _Quadratic:
    """f(x) = (x - z)^T A (x - z)."""

    def __init__(self, A):
        self.A = np.asarray(A, np.float64)

    def setup(self, z):
        self.z = np.asarray(z, np.float64).reshape(-1)

    def value_grad(self, x):
        v = np.asarray(x, np.float64).reshape(-1) - self.z
        return float(v @ self.A @ v), 2 * self.A @ v

    def bounds(self, lo, hi):
        vl, vh = _dn(lo - self.z), _up(hi - self.z)
        n = vl.shape[1]
        pl, ph = _imul(vl[:, :, None], vh[:, :, None], vl[:, None, :], vh[:, None, :])
        sql = np.where((vl <= 0) & (vh >= 0), 0.0, _dn(np.minimum(vl * vl, vh * vh)))
        sqh = _up(np.maximum(vl * vl, vh * vh))
        idx = np.arange(n)
        pl[:, idx, idx] = sql
        ph[:, idx, idx] = sqh
        A = self.A[None]
        tl, th = np.minimum(_dn(A * pl), _dn(A * ph)), np.maximum(_up(A * pl), _up(A * ph))
        L = lo.shape[0]
        ql = _sum_dn(tl.reshape(L, -1), 1)
        qh = _sum_up(th.reshape(L, -1), 1)
        # (A v)_j interval
        a1, a2 = A * vl[:, None, :], A * vh[:, None, :]
        gl = _sum_dn(np.minimum(a1, a2), 2)
        gh = _sum_up(np.maximum(a1, a2), 2)
        gabs = np.maximum(np.abs(gl), np.abs(gh))
        gnorm_hi = _up(2 * _up(np.sqrt(_sum_up(_up(gabs * gabs), 1))))
        return qh, _dn(2 * ql), gnorm_hi


# ---------------------------------------------------------------------- the checker
def _fail(msg, **kw) -> CertificateCheck:
    return CertificateCheck(confirmed=False, message=msg, **kw)


def _boxes(root_lo, root_hi, parent, dim, side, split):
    """Rebuild every node's box from the root and the splits; check the tree. Returns lo, hi, is_leaf."""
    N = parent.shape[0]
    n = root_lo.shape[0]
    if N < 1 or parent[0] != -1:
        raise ValueError("node 0 must be the root")
    ids = np.arange(N)
    if N > 1 and not np.all((parent[1:] >= 0) & (parent[1:] < ids[1:])):
        raise ValueError("every node's parent must come before it")
    if N > 1 and not np.all((dim[1:] >= 0) & (dim[1:] < n) & np.isin(side[1:], (0, 1))):
        raise ValueError("bad split dimension or side")
    # each internal node: exactly two children, same dim and split, sides 0 and 1
    nchild = np.bincount(parent[1:], minlength=N) if N > 1 else np.zeros(N, int)
    if np.any((nchild != 0) & (nchild != 2)):
        raise ValueError("an internal node without exactly two children")
    if N > 1:
        order = np.lexsort((side[1:], parent[1:]))
        ch = ids[1:][order]
        c0, c1 = ch[0::2], ch[1::2]
        if not (np.all(parent[c0] == parent[c1]) and np.all(side[c0] == 0) and np.all(side[c1] == 1)
                and np.all(dim[c0] == dim[c1]) and np.all(split[c0] == split[c1])):
            raise ValueError("the two children of a node do not split it at one value of one coordinate")
    lo = np.empty((N, n))
    hi = np.empty((N, n))
    lo[0], hi[0] = root_lo, root_hi
    done = np.zeros(N, bool)
    done[0] = True
    while not done.all():
        ready = ~done & done[np.maximum(parent, 0)]
        r = ids[ready]
        p = parent[r]
        lo[r], hi[r] = lo[p], hi[p]
        up_side = side[r] == 1
        lo[r[up_side], dim[r[up_side]]] = split[r[up_side]]
        hi[r[~up_side], dim[r[~up_side]]] = split[r[~up_side]]
        done[r] = True
    if N > 1:
        q = parent[1:]
        if not np.all((lo[q, dim[1:]] <= split[1:]) & (split[1:] <= hi[q, dim[1:]])):
            raise ValueError("a split value outside its parent box")
    return lo, hi, nchild == 0


def verify_certificate(path: str | Path) -> CertificateCheck:
    """Re-validate a certificate file box by box with plain numpy (see the module docstring).

    Args:
        path: the ``.npz`` written by ``slqc certify`` / :func:`slqc.certify.certify`.

    Returns:
        :class:`CertificateCheck` (``.confirmed``, ``.message``, ``.to_dict()``, ``.box_ok``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a certificate, or a malformed one.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no certificate file {path}")
    try:
        z = np.load(p, allow_pickle=False)
        data = {k: z[k] for k in z.files}
    except Exception as e:  # noqa: BLE001 - any unreadable file is a bad file
        raise ValueError(f"{path} is not a readable .npz file ({type(e).__name__})") from None
    if str(data.get("kind", "")) != "certificate":
        raise ValueError(f"{path} is not a certificate (kind={str(data.get('kind', ''))!r})")
    try:
        eps, R = float(data["eps"]), float(data["radius"])
        kappa, upper, lower = float(data["kappa"]), float(data["upper"]), float(data["lower"])
        c = np.asarray(data["center"], np.float64).reshape(-1)
        zref = np.asarray(data["z"], np.float64)
        model = str(data["model"])
        rule = np.asarray(data["leaf_rule"], np.int64)
        nodes = np.asarray(data["leaf_node"], np.int64)
        root_lo, root_hi = np.asarray(data["root_lo"], np.float64), np.asarray(data["root_hi"], np.float64)
        tree = [np.asarray(data[k]) for k in ("tree_parent", "tree_dim", "tree_side", "tree_split")]
        bound = np.asarray(data["leaf_bound"], np.float64)
        coupled_n = int(data["coupled_n"]) if "coupled_n" in data else 0
    except KeyError as e:
        raise ValueError(f"{path}: malformed certificate, missing {e}") from None
    info = dict(upper=upper, lower=lower, kappa=kappa, eps=eps, radius=R, boxes=int(nodes.size),
                rules={n: int((rule == i).sum()) for i, n in enumerate(RULE_NAMES)})
    if model == "glm" and str(data["activation"]) == "softmax":
        mdl = _SoftmaxCE(data["X"], data["Y"])
    elif model == "glm":
        mdl = _GLM(data["X"], data["Y"], str(data["activation"]), float(data["a"]), float(data["b"]), str(data["loss"]))
    elif model == "quadratic":
        mdl = _Quadratic(data["A"])
    elif model == "one_hidden":
        mdl = _OneHidden(data["X"], data["Y"], data["W2"],
                         _Act(str(data["activation"]), float(data["a"]), float(data["b"])),
                         _Act(str(data["activation2"]), float(data["a2"]), float(data["b2"])), str(data["loss"]))
    else:
        return _fail(f"model {model!r} has no independent checker", **info)
    mdl.setup(zref)
    # 1. the cover
    try:
        lo_all, hi_all, is_leaf = _boxes(root_lo, root_hi, tree[0].astype(np.int64), tree[1].astype(np.int64),
                                         tree[2].astype(np.int64), tree[3].astype(np.float64))
    except ValueError as e:
        return _fail(f"invalid box tree: {e}", **info)
    if not (np.all(root_lo <= _dn(c - R)) and np.all(root_hi >= _up(c + R))):
        return _fail("the root box does not contain the ball", **info)
    leaf_ids = np.flatnonzero(is_leaf)
    if nodes.size != leaf_ids.size or not np.array_equal(np.sort(nodes), leaf_ids):
        return _fail("the listed boxes are not exactly the leaves of the tree", **info)
    # 2. every leaf
    ok = np.zeros(nodes.size, bool)
    R2 = _up(R * R)
    for s in range(0, nodes.size, CHUNK):
        nd, rl = nodes[s:s + CHUNK], rule[s:s + CHUNK]
        lo, hi = lo_all[nd], hi_all[nd]
        dist = np.maximum(np.maximum(_dn(lo - c), _dn(c - hi)), 0.0)
        d2 = _sum_dn(_dn(dist * dist), 1)
        res = np.zeros(nd.size, bool)
        res[rl == 0] = d2[rl == 0] > R2
        other = rl != 0
        if other.any():
            gap_hi, inner_lo, gnorm_hi = mdl.bounds(lo[other], hi[other])
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                kb = np.where(inner_lo > 0, _up(_up(eps * gnorm_hi) / inner_lo), np.inf)
            r_o = rl[other]
            res_o = np.where(r_o == 1, gap_hi <= eps,
                             np.where(r_o == 2, kb <= kappa, np.where(r_o == 3, kb <= upper, False)))
            cp = r_o == 4
            if cp.any():
                if not hasattr(mdl, "coupled") or coupled_n < 1:
                    res_o[cp] = False
                else:
                    Kb = bound[s:s + CHUNK][other][cp]
                    lo_c, hi_c = lo[other][cp], hi[other][cp]
                    okc = np.zeros(Kb.size, bool)
                    for t in range(0, Kb.size, 32):
                        okc[t:t + 32] = mdl.coupled(lo_c[t:t + 32], hi_c[t:t + 32], Kb[t:t + 32], eps, coupled_n)
                    res_o[cp] = okc & (Kb > 0) & (Kb <= upper)
            res[other] = res_o
        ok[s:s + CHUNK] = res
    # 3. the lower point
    lower_re = float("nan")
    lp = np.asarray(data.get("lower_point", np.array(np.nan)), np.float64).reshape(-1)
    if lp.size == c.size and np.all(np.isfinite(lp)):
        f_x, g = mdl.value_grad(lp)
        f_z, _ = mdl.value_grad(zref)
        inner = float(g @ (lp - zref.reshape(-1)))
        gn = float(np.linalg.norm(g))
        lower_re = 0.0 if f_x - f_z <= eps else (float(eps * gn / inner) if inner > 0 and gn > 0 else float("inf"))
    failed = int((~ok).sum())
    info.update(failed=failed, lower_recomputed=lower_re, box_ok=ok)
    if failed:
        first = int(np.flatnonzero(~ok)[0])
        return _fail(f"{failed} of {nodes.size} boxes fail their rule (first: leaf {first}, "
                     f"rule {RULE_NAMES[rule[first]] if 0 <= rule[first] < len(RULE_NAMES) else rule[first]})", **info)
    claimed = bool(data.get("certified", np.array(False)))
    if claimed and not upper <= kappa:
        return _fail(f"the file says certified but upper {upper:.6g} > kappa {kappa:.6g}", **info)
    verdict = (f"; upper {upper:.6g} <= kappa {kappa:.6g}: certified" if np.isfinite(kappa) and upper <= kappa
               else (f"; upper {upper:.6g} > kappa {kappa:.6g}: not certified" if np.isfinite(kappa) else ""))
    meta = {}
    try:
        meta = json.loads(str(data.get("meta", "{}")))
    except ValueError:
        pass
    claim = f" [{meta.get('claim')}]" if isinstance(meta, dict) and meta.get("claim") else ""
    return CertificateCheck(confirmed=True, message=(
        f"{claim.strip() + ': ' if claim else ''}{nodes.size} boxes cover B(c, {R:g}) "
        f"({', '.join(f'{k} {v}' for k, v in info['rules'].items())}); "
        f"sup kappa_min <= {upper:.6g} (lower {lower:.6g} at a stored point, recomputed {lower_re:.6g}){verdict}"),
        **info)
