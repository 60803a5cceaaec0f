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
RULE_NAMES = ("outside", "level", "kappa", "bound")
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
        # per-term r and r (u - u*) over pieces split at 0 and at the midpoint of u*
        mid = 0.5 * (self.zl + self.zh)
        cuts = np.sort(np.stack((np.zeros_like(mid), mid)), axis=0)
        e1 = np.clip(cuts[0], ul, uh)
        e2 = np.clip(cuts[1], ul, uh)
        r_lo = r_hi = p_lo = None
        for pl, ph in ((ul, e1), (e1, e2), (e2, uh)):
            al, ah = self._resid(pl, ph)
            if self.loss == "squared":
                dl, dh = self._dphi_iv(pl, ph)
                ql, qh = _imul(al, ah, dl, dh)
                ql, qh = 2 * ql, 2 * qh
            else:
                ql, qh = al, ah
            el, eh = _dn(pl - self.zh), _up(ph - self.zl)
            pr, _ = _imul(ql, qh, el, eh)
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
    except KeyError as e:
        raise ValueError(f"{path}: malformed certificate, missing {e}") from None
    info = dict(upper=upper, lower=lower, kappa=kappa, eps=eps, radius=R, boxes=int(nodes.size),
                rules={n: int((rule == i).sum()) for i, n in enumerate(RULE_NAMES)})
    if model == "glm":
        mdl = _GLM(data["X"], data["Y"], str(data["activation"]), float(data["a"]), float(data["b"]), str(data["loss"]))
    elif model == "quadratic":
        mdl = _Quadratic(data["A"])
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
                     f"rule {RULE_NAMES[rule[first]] if 0 <= rule[first] < 4 else rule[first]})", **info)
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
