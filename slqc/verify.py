"""Independent re-check of a witness file with plain numpy (Definitions 1 and 4, section 3.2).

This module imports nothing but numpy, json and the standard library: it shares no code
with the search (``slqc.probe``), the models (``slqc.models``) or the activations, so a
witness it confirms does not rest on the code that found it. It re-implements, from the
paper:

* the models: a layer computes phi(W^T x) (W of shape (n_in, n_out)); the objective is
  the mean over samples of the per-sample loss: squared ||y_i - out_i||^2, binary
  cross-entropy (sigmoid) or cross-entropy (softmax);
* the activations with the paper's subgradient (Definition 3: g(t) = a for t < 0 and
  b for t >= 0; ReLU: 0 and b; sigmoid: s (1 - s));
* the gradient in closed form (chain rule written out below);
* the closed form of Definition 1's "for every y": max_{y in B(z, r)} <g, y - x> =
  <g, z - x> + r ||g|| with r = eps / kappa. The definition fails at x when
  f(x) - f(z) > eps and (g = 0 or <g, z - x> + r ||g|| > 0).

Einsum letters: m = sample, d = input, h = hidden unit, k = output.

Example:
    >>> import numpy as np, json, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> np.savez(p, X=np.eye(2), Y=np.array([[1.0], [0.0]]), z=np.array([1.0, 0.0]), x=np.array([-1.0, 0.0]),
    ...          eps=0.1, kappa=1.0, model=json.dumps({"model": "glm", "activation": {"name": "relu", "b": 1.0},
    ...                                              "loss": "squared", "outputs_1d": True}))
    >>> r = verify_witness(p); (r.fails, r.gnorm)
    (True, 0.0)
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np

#: Relative margin below which a failure is called a float tie rather than confirmed.
MARGIN_RTOL = 1e-9


@dataclass
class VerifyResult:
    """What the numpy re-check found at the witness point.

    Attributes:
        gap: f(x) - f(z).
        inner: <grad f(x), x - z> (Frobenius for matrices).
        gnorm: ||grad f(x)||.
        radius: eps / kappa.
        margin: max_{y in B(z, r)} <g, y - x> = -inner + radius * gnorm (> 0 breaks condition 2).
        fails: True when the definition fails at x (or, for a suboptimality witness,
            when f(x) - f(z) exceeds the bound), by more than :data:`MARGIN_RTOL`.
        kind: ``slqc`` or ``suboptimality``.
        kappa_min: eps ||g|| / <g, x - z> (inf when that is <= 0 or g = 0).
        eps, kappa, bound: the tested values (bound: suboptimality witnesses only).
        message: one line for humans.
    """

    gap: float
    inner: float
    gnorm: float
    radius: float
    margin: float
    fails: bool
    kind: str
    kappa_min: float
    eps: float
    kappa: float
    bound: float | None
    message: str

    def to_dict(self) -> dict:
        def num(v):
            if v is None:
                return None
            v = float(v)
            return "inf" if v == math.inf else ("-inf" if v == -math.inf else (None if math.isnan(v) else v))

        return {"gap": num(self.gap), "inner": num(self.inner), "gnorm": num(self.gnorm), "radius": num(self.radius),
                "margin": num(self.margin), "fails": self.fails, "kind": self.kind, "kappa_min": num(self.kappa_min),
                "eps": num(self.eps), "kappa": num(self.kappa), "bound": num(self.bound), "message": self.message}


# ---------------------------------------------------------------------- activations (Definition 3)
def _phi(act: dict, t: np.ndarray) -> np.ndarray:
    name = act["name"]
    if name == "generalized_relu":
        return np.where(t >= 0, act["b"] * t, act["a"] * t)
    if name == "relu":
        return np.where(t >= 0, act["b"] * t, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-t))
    if name == "identity":
        return t
    if name == "softmax":
        e = np.exp(t - t.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    raise ValueError(f"verify does not know the activation {name!r}")


def _dphi(act: dict, t: np.ndarray) -> np.ndarray:
    """The paper's (sub)gradient of an elementwise activation."""
    name = act["name"]
    if name == "generalized_relu":
        return np.where(t >= 0, act["b"], act["a"])
    if name == "relu":
        return np.where(t >= 0, act["b"], 0.0)
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-t))
        return s * (1 - s)
    if name == "identity":
        return np.ones_like(t)
    raise ValueError(f"activation {name!r} is not elementwise")


def _dloss_dt(act: dict, loss: str, t: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample loss (m,) and its derivative w.r.t. the pre-activations t (m, k)."""
    if loss == "squared":
        if act["name"] == "softmax":
            p = _phi(act, t)
            r = 2 * (p - Y)
            return ((p - Y) ** 2).sum(1), p * (r - (p * r).sum(1, keepdims=True))  # J^T r, J = diag(p) - p p^T
        r = _phi(act, t) - Y
        return (r**2).sum(1), 2 * r * _dphi(act, t)
    if loss == "bce":
        # -[y log s(t) + (1 - y) log(1 - s(t))] = log(1 + e^t) - y t; derivative s(t) - y
        val = (np.logaddexp(0.0, t) - Y * t).sum(1)
        return val, 1.0 / (1.0 + np.exp(-t)) - Y
    if loss == "ce":
        lse = np.logaddexp.reduce(t, axis=1, keepdims=True)
        logp = t - lse
        val = -(Y * logp).sum(1)
        return val, np.exp(logp) * Y.sum(1, keepdims=True) - Y
    raise ValueError(f"verify does not know the loss {loss!r}")


def objective(model: dict, X: np.ndarray, Y: np.ndarray, w: np.ndarray, W2: np.ndarray | None = None
              ) -> tuple[float, np.ndarray]:
    """f(w) and grad f(w) for a GLM / layer or a one-hidden-layer network (W2 fixed).

    Args:
        model: the witness's model dict.
        X: (m, d). Y: (m, k).
        w: (d,) or (d, k) for ``glm``; W1 (d, h) for ``one_hidden``.
        W2: (h,) or (h, k) for ``one_hidden``.

    Returns:
        (value, gradient shaped like w).
    """
    m = X.shape[0]
    loss = model.get("loss", "squared")
    if model["model"] == "glm":
        Wm = w.reshape(X.shape[1], -1)  # (d, k)
        t = X @ Wm  # t_mk = sum_d x_md W_dk
        val, dt = _dloss_dt(model["activation"], loss, t, Y)
        grad = X.T @ dt / m  # dW_dk = 1/m sum_m x_md dt_mk
        return float(val.mean()), grad.reshape(w.shape)
    if model["model"] == "one_hidden":
        if W2 is None:
            raise ValueError("a one_hidden witness needs the fixed outer weights W2")
        a1, a2 = model["act1"], model["act2"]
        W2m = W2.reshape(W2.shape[0], -1)  # (h, k)
        s = X @ w  # (m, h) hidden pre-activations
        H = _phi(a1, s)  # (m, h)
        t = H @ W2m  # (m, k)
        val, dt = _dloss_dt(a2, loss, t, Y)
        dH = dt @ W2m.T  # (m, h)
        ds = dH * _dphi(a1, s)
        grad = X.T @ ds / m  # (d, h)
        return float(val.mean()), grad
    raise ValueError(f"verify does not know the model {model['model']!r}; it re-checks 'glm' and 'one_hidden'")


def check_point(model: dict, X: np.ndarray, Y: np.ndarray, z: np.ndarray, x: np.ndarray, eps: float, kappa: float,
                W2: np.ndarray | None = None, bound: float | None = None) -> VerifyResult:
    """Evaluate Definition 1 / 4 (or a suboptimality bound) at x, from scratch.

    Returns:
        :class:`VerifyResult`.
    """
    Y = Y.reshape(X.shape[0], -1)
    fx, g = objective(model, X, Y, x, W2)
    fz, _ = objective(model, X, Y, z, W2)
    gap = fx - fz
    diff = (x - z).reshape(-1)
    gf = g.reshape(-1)
    inner = float(gf @ diff)
    gnorm = float(np.sqrt(gf @ gf))
    kind = model.get("kind", "slqc")
    radius = eps / kappa if kappa > 0 else math.inf
    margin = -inner + radius * gnorm
    kmin = eps * gnorm / inner if (inner > 0 and gnorm > 0) else math.inf
    scale = max(abs(inner), radius * gnorm, 1e-300)
    if kind == "suboptimality":
        bnd = float(model.get("bound", bound if bound is not None else eps))
        fails = gap > bnd * (1 + MARGIN_RTOL)
        msg = (f"f(x) - f(z) = {gap:.6g} {'>' if fails else '<='} bound {bnd:.6g}: "
               f"{'the suboptimality bound FAILS' if fails else 'the bound holds'} at x")
        return VerifyResult(gap, inner, gnorm, radius, margin, fails, kind, kmin, eps, kappa, bnd, msg)
    above = gap > eps * (1 + MARGIN_RTOL)
    cond2_breaks = gnorm == 0 or margin > MARGIN_RTOL * scale
    fails = bool(above and cond2_breaks)
    if not above:
        msg = f"f(x) - f(z) = {gap:.6g} <= eps = {eps:.6g}: condition 1 holds, the definition holds at x"
    elif gnorm == 0:
        msg = f"f(x) - f(z) = {gap:.6g} > eps and grad f(x) = 0: the definition FAILS at x"
    elif fails:
        msg = (f"f(x) - f(z) = {gap:.6g} > eps = {eps:.6g} and <g, x - z> = {inner:.6g} < (eps/kappa)||g|| = "
               f"{radius * gnorm:.6g}: the definition FAILS at x (kappa_min = {kmin:.6g} > kappa = {kappa:.6g})")
    else:
        msg = (f"f(x) - f(z) = {gap:.6g} > eps but <g, x - z> = {inner:.6g} >= (eps/kappa)||g|| = "
               f"{radius * gnorm:.6g}: "
               f"the definition holds at x (kappa_min = {kmin:.6g})")
    return VerifyResult(gap, inner, gnorm, radius, margin, fails, kind, kmin, eps, kappa, None, msg)


def verify_witness(path: str) -> VerifyResult:
    """Load a witness ``.npz`` and re-check it.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a witness file, or a model this checker does not know.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"no witness file at {path!r}")
    try:
        d = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise ValueError(f"cannot read witness {path!r}: {err}") from None
    with d:
        missing = [k for k in ("X", "Y", "z", "x", "eps", "kappa", "model") if k not in d.files]
        if missing:
            raise ValueError(f"{path} is not a witness file: missing {', '.join(missing)}")
        try:
            model = json.loads(str(d["model"]))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: the 'model' entry is not JSON ({err})") from None
        W2 = d["W2"] if "W2" in d.files else None
        return check_point(model, d["X"].astype(np.float64), d["Y"].astype(np.float64), d["z"].astype(np.float64),
                           d["x"].astype(np.float64), float(d["eps"]), float(d["kappa"]), W2)
