"""Independent re-check of a witness file with plain numpy (Definitions 1 and 4, section 3.2).

This module imports nothing but numpy and the standard library: it shares no code with
the search (``slqc.probe``), the models (``slqc.models``), the activations or the claim
registry, so a witness it confirms does not rest on the code that found it. It
re-implements, from the paper:

* the models: a layer computes phi(W^T x) (W of shape (n_in, n_out)); the objective is
  the mean over samples of the per-sample loss: squared ||y_i - out_i||^2, binary
  cross-entropy (sigmoid) or cross-entropy (softmax);
* the activations with the paper's subgradient (Definition 3: g(t) = a for t < 0 and
  b for t >= 0; ReLU: 0 and b; sigmoid: s (1 - s));
* the gradient in closed form (chain rule written out below);
* the closed form of Definition 1's "for every y": max_{y in B(z, r)} <g, y - x> =
  <g, z - x> + r ||g|| with r = eps / kappa. The definition fails at x when
  f(x) - f(z) > eps and (g = 0 or <g, z - x> + r ||g|| > 0);
* the claims' hypotheses and constants (:data:`CLAIM_SPECS`, a table written from the
  paper's statements, not imported from :mod:`slqc.claims`).

Before any arithmetic, :func:`load_witness_arrays` refuses a file that is not a witness
(:class:`WitnessError`, a ``ValueError``): unreadable, truncated or garbage bytes, missing
entries, wrong shapes or dtypes, any NaN or inf, eps <= 0, kappa <= 0 (for an SLQC
witness), a bad model description. Then :func:`verify_witness` checks that the stored
instance is one the claim speaks about (see :func:`instance_problems`): the point lies in
the stored domain B(center, R), that domain lies in the claim's domain B(0, W), the inputs
lie in the unit ball, the teacher satisfies its norm bound, 0 < a <= b, the labels equal
the idealized model's prediction at z (within :data:`LABEL_ATOL`) where the claim is
idealized, and the stored kappa is the claim's constant. A witness that fails one of these
is *rejected* (``VerifyResult.valid`` is False, ``fails`` is False).

Domain of an old witness file (written before the centre and radius were stored): the
claim's own domain B(0, W) from the setting in ``meta`` (B(0, W1) for Theorems 4-5,
B(0, ||w*||) for Hazan et al.), or ``meta["radius"]`` around the origin; a file with
neither is refused.

Kinds of witness (``model["kind"]``):

* ``slqc``: Definition 1 / 4 fails at x with the stored kappa > 0;
* ``no_kappa``: no kappa > 0 works at x: f(x) - f(z) > eps and (g = 0 or <g, x - z> < 0).
  The stored kappa is the claimed constant, kept for the record (it may be <= 0, as in
  Theorems 4-5 for small eps); it must be finite;
* ``suboptimality``: f(x) - f(z) exceeds ``model["bound"]`` (Theorem 8's runs).

Einsum letters: m = sample, d = input, h = hidden unit, k = output.

Example:
    >>> import numpy as np, json, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> np.savez(p, X=np.eye(2), Y=np.array([[1.0], [0.0]]), z=np.array([1.0, 0.0]), x=np.array([-1.0, 0.0]),
    ...          eps=0.1, kappa=1.0, center=np.zeros(2), radius=1.0,
    ...          model=json.dumps({"model": "glm", "activation": {"name": "relu", "b": 1.0},
    ...                            "loss": "squared", "outputs_1d": True}))
    >>> r = verify_witness(p); (r.fails, r.gnorm)
    (True, 0.0)
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

#: Relative margin below which a failure is called a float tie rather than confirmed.
MARGIN_RTOL = 1e-9
#: Relative slack of the norm checks (||x_i|| <= 1, ||z|| <= W, ||x - c|| <= R): float rounding only.
NORM_RTOL = 1e-9
#: Absolute tolerance of the idealized-label check |y_i - phi(<z, x_i>)| (float64 rounding of the model).
LABEL_ATOL = 1e-8

REQUIRED = ("X", "Y", "z", "x", "eps", "kappa", "model")
KINDS = ("slqc", "no_kappa", "suboptimality")
_ACTS = {"generalized_relu", "relu", "sigmoid", "identity", "softmax"}
_LOSSES = {"squared", "bce", "ce"}


class WitnessError(ValueError):
    """The file is not a usable witness (unreadable, malformed, non-finite or out-of-range numbers)."""


def _kappa_glm(s):
    return 2 * s["b"] ** 3 * s["W"] / s["a"]


def _kappa_relu(s):
    return 2 * s["b"] ** 2 * s["W"]


def _kappa_oh(s):
    return 1.0 / (s["a"] / (4 * s["b"] ** 5 * s["W2"] ** 2 * s["W1"]) - s["W1"] / s["eps"])


#: The paper's claims as this re-check reads them (sections 3.2-3.4): model, activation(s), loss,
#: the setting key of the domain radius and of the teacher's norm bound, the label model and
#: the claimed kappa (None: not re-derived here). Written from the statements, independently
#: of :mod:`slqc.claims`.
CLAIM_SPECS: dict[str, dict] = {
    "thm1": dict(model="glm", acts=("generalized_relu",), loss="squared", radius="W", bound="W", kappa=_kappa_glm),
    "thm2": dict(model="glm", acts=("generalized_relu",), loss="squared", radius="W", bound="W", kappa=_kappa_glm),
    "thm3": dict(model="glm", acts=("generalized_relu",), loss="squared", radius="W", bound="W", kappa=_kappa_glm),
    "cor1": dict(model="glm", acts=("relu",), loss="squared", radius="W", bound="W", kappa=_kappa_relu),
    "cor2": dict(model="glm", acts=("relu",), loss="squared", radius="W", bound="W", kappa=_kappa_relu),
    "hazan": dict(model="glm", acts=("sigmoid",), loss="squared", radius="Wstar", bound="Wstar",
                  kappa=lambda s: math.exp(s["Wstar"])),
    "thm4": dict(model="one_hidden", acts=("generalized_relu",), loss="squared", radius="W1", bound="W1",
                 kappa=_kappa_oh),
    "thm5": dict(model="one_hidden", acts=("generalized_relu",), loss="squared", radius="W1", bound="W1",
                 kappa=_kappa_oh),
    "thm6": dict(model="glm", acts=("sigmoid",), loss="bce", radius="W", bound="W",
                 kappa=lambda s: s["eps"] / math.expm1(-s["eps"]) ** 2),
    "thm7": dict(model="glm", acts=("softmax",), loss="ce", radius="W", bound="W",
                 kappa=lambda s: s["eps"] * s["k"] / math.expm1(-s["eps"]) ** 2),
    "thm8": dict(model="glm", acts=("generalized_relu", "sigmoid"), loss="squared", radius="W", bound="W",
                 kappa=None),
}


@dataclass
class VerifyResult:
    """What the numpy re-check found at the witness point.

    Attributes:
        gap: f(x) - f(z).
        inner: <grad f(x), x - z> (Frobenius for matrices).
        gnorm: ||grad f(x)||.
        radius: eps / kappa.
        margin: max_{y in B(z, r)} <g, y - x> = -inner + radius * gnorm (> 0 breaks condition 2).
        fails: True when the witness is valid (see ``valid``) and the definition fails at x
            (``no_kappa``: for every kappa; ``suboptimality``: f(x) - f(z) exceeds the bound),
            by more than :data:`MARGIN_RTOL`. This is "confirmed".
        kind: ``slqc``, ``no_kappa`` or ``suboptimality``.
        kappa_min: eps ||g|| / <g, x - z> (inf when that is <= 0 or g = 0).
        eps, kappa, bound: the tested values (bound: suboptimality witnesses only).
        message: one line for humans.
        valid: False when the stored instance is not one the claim speaks about (point
            outside the domain, a hypothesis fails, kappa is not the claim's); the
            definition is then not evaluated as a verdict.
        problems: why the witness is not valid (empty when valid).
        checks: name -> detail of every domain / hypothesis check that was run.
        claim: the claim named in meta (None for a generic witness).
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
    valid: bool = True
    problems: list = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    claim: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict (infinities as "inf", NaN as "nan")."""

        def num(v):
            if v is None:
                return None
            v = float(v)
            return "inf" if v == math.inf else ("-inf" if v == -math.inf else ("nan" if math.isnan(v) else v))

        return {"gap": num(self.gap), "inner": num(self.inner), "gnorm": num(self.gnorm), "radius": num(self.radius),
                "margin": num(self.margin), "fails": self.fails, "kind": self.kind, "kappa_min": num(self.kappa_min),
                "eps": num(self.eps), "kappa": num(self.kappa), "bound": num(self.bound), "message": self.message,
                "valid": self.valid, "problems": list(self.problems), "checks": dict(self.checks),
                "claim": self.claim}


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


def predict(model: dict, X: np.ndarray, w: np.ndarray, W2: np.ndarray | None = None) -> np.ndarray:
    """The model's outputs (m, k) at weights w: phi(w^T x_i), or phi2(W2^T phi1(W1^T x_i))."""
    if model["model"] == "glm":
        return _phi(model["activation"], X @ w.reshape(X.shape[1], -1))
    W2m = W2.reshape(W2.shape[0], -1)
    return _phi(model["act2"], _phi(model["act1"], X @ w) @ W2m)


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

    Raises:
        ValueError: a model, activation or loss this checker does not know.
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

    No domain or hypothesis check here (see :func:`verify_witness`).

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
    scale = max(abs(inner), radius * gnorm if math.isfinite(radius) else 0.0, 1e-300)
    if kind == "suboptimality":
        bnd = float(model.get("bound", bound if bound is not None else eps))
        fails = gap > bnd * (1 + MARGIN_RTOL)
        msg = (f"f(x) - f(z) = {gap:.6g} {'>' if fails else '<='} bound {bnd:.6g}: "
               f"{'the suboptimality bound FAILS' if fails else 'the bound holds'} at x")
        return VerifyResult(gap, inner, gnorm, radius, margin, fails, kind, kmin, eps, kappa, bnd, msg)
    above = gap > eps * (1 + MARGIN_RTOL)
    if kind == "no_kappa":
        dist = float(np.sqrt(diff @ diff))
        no_k = gnorm == 0 or inner < -MARGIN_RTOL * gnorm * dist
        fails = bool(above and no_k)
        if not above:
            msg = f"f(x) - f(z) = {gap:.6g} <= eps = {eps:.6g}: condition 1 holds, the definition holds at x"
        elif fails:
            msg = (f"f(x) - f(z) = {gap:.6g} > eps = {eps:.6g} and " +
                   ("grad f(x) = 0" if gnorm == 0 else f"<g, x - z> = {inner:.6g} < 0") +
                   ": the definition FAILS at x for every kappa > 0 (no kappa works)")
        else:
            msg = (f"f(x) - f(z) = {gap:.6g} > eps but <g, x - z> = {inner:.6g} is not < 0: some kappa works at x "
                   f"(kappa_min = {kmin:.6g})")
        return VerifyResult(gap, inner, gnorm, radius, margin, fails, kind, kmin, eps, kappa, None, msg)
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


# ---------------------------------------------------------------------- loading, with refusals
def _num_array(name: str, a: np.ndarray) -> np.ndarray:
    if a.dtype.kind not in "fiub":
        raise WitnessError(f"entry {name!r} is not numeric (dtype {a.dtype})")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        bad = int((~np.isfinite(a)).sum())
        raise WitnessError(f"entry {name!r} holds {bad} non-finite value(s) (NaN or inf)")
    return a


def _scalar(name: str, a: np.ndarray) -> float:
    a = _num_array(name, a)
    if a.size != 1:
        raise WitnessError(f"entry {name!r} must be a number, got shape {a.shape}")
    return float(a.reshape(()))


def _json_entry(name: str, a: np.ndarray) -> dict:
    if a.dtype.kind not in "US" or a.size != 1:
        raise WitnessError(f"entry {name!r} must be a JSON string")
    try:
        v = json.loads(str(a.reshape(())))
    except (json.JSONDecodeError, ValueError) as err:
        raise WitnessError(f"entry {name!r} is not JSON ({err})") from None
    if not isinstance(v, dict):
        raise WitnessError(f"entry {name!r} must be a JSON object")
    return v


def _check_act(act, where: str) -> dict:
    if not isinstance(act, dict) or act.get("name") not in _ACTS:
        raise WitnessError(f"model {where} must name a known activation ({', '.join(sorted(_ACTS))}), got {act!r}")
    need = {"generalized_relu": ("a", "b"), "relu": ("b",)}.get(act["name"], ())
    for p in need:
        v = act.get(p)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            raise WitnessError(f"model {where} {act['name']} needs a finite number {p!r}, got {v!r}")
    return act


def _check_model(model: dict) -> None:
    kind = model.get("kind", "slqc")
    if kind not in KINDS:
        raise WitnessError(f"model kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if model.get("loss", "squared") not in _LOSSES:
        raise WitnessError(f"model loss must be one of {', '.join(sorted(_LOSSES))}, got {model.get('loss')!r}")
    if model.get("model") == "glm":
        _check_act(model.get("activation"), "activation")
    elif model.get("model") == "one_hidden":
        _check_act(model.get("act1"), "act1")
        _check_act(model.get("act2"), "act2")
    else:
        raise WitnessError(f"verify re-checks the models 'glm' and 'one_hidden', got {model.get('model')!r}")
    if kind == "suboptimality" and "bound" in model:
        b = model["bound"]
        if not isinstance(b, (int, float)) or not math.isfinite(b):
            raise WitnessError(f"the suboptimality bound must be a finite number, got {b!r}")


@dataclass
class WitnessArrays:
    """A witness file, loaded and checked for shape, dtype and finiteness (float64 arrays)."""

    X: np.ndarray
    Y: np.ndarray
    z: np.ndarray
    x: np.ndarray
    eps: float
    kappa: float
    model: dict
    W2: np.ndarray | None
    meta: dict
    center: np.ndarray | None
    radius: float | None
    W2_star: np.ndarray | None


def load_witness_arrays(path: str) -> WitnessArrays:
    """Read a witness ``.npz`` and refuse anything that is not a well-formed witness.

    Raises:
        FileNotFoundError: no such file.
        WitnessError: unreadable, truncated or garbage file; missing entries; wrong shapes or
            dtypes; NaN or inf anywhere; eps <= 0; kappa <= 0 (``slqc`` kind); radius <= 0;
            a model description this checker does not know.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"no witness file at {path!r}")
    if os.path.isdir(path):
        raise WitnessError(f"{path} is a directory, not a witness file")
    if not os.access(path, os.R_OK):
        raise WitnessError(f"cannot read witness {path}: permission denied")
    try:
        if not zipfile.is_zipfile(path):
            raise WitnessError(f"{path} is not a witness file: not an .npz (zip) archive")
        with np.load(path, allow_pickle=False) as d:
            files = set(d.files)
            raw = {k: np.asarray(d[k]) for k in files}
    except WitnessError:
        raise
    except Exception as err:  # noqa: BLE001 - zipfile/zlib/numpy raise many kinds on truncated or odd files
        why = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise WitnessError(f"cannot read witness {path}: {type(err).__name__}: {why}") from None
    if raw.get("kind") is not None and str(raw["kind"]) == "certificate":
        raise WitnessError(f"{path} is a certificate, not a witness (use slqc verify, which dispatches it)")
    missing = [k for k in REQUIRED if k not in files]
    if missing:
        raise WitnessError(f"{path} is not a witness file: missing {', '.join(missing)}")
    model = _json_entry("model", raw["model"])
    meta = _json_entry("meta", raw["meta"]) if "meta" in files else {}
    _check_model(model)
    X, Y, z, x = (_num_array(k, raw[k]) for k in ("X", "Y", "z", "x"))
    eps, kappa = _scalar("eps", raw["eps"]), _scalar("kappa", raw["kappa"])
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise WitnessError(f"X must be (m, d) with m, d >= 1, got shape {X.shape}")
    m, d = X.shape
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != m or Y.shape[1] < 1:
        raise WitnessError(f"Y must be (m, k) with m = {m} rows like X, got shape {Y.shape}")
    k = Y.shape[1]
    if z.shape != x.shape:
        raise WitnessError(f"z and x must have the same shape, got {z.shape} and {x.shape}")
    W2 = _num_array("W2", raw["W2"]) if "W2" in files else None
    W2s = _num_array("W2_star", raw["W2_star"]) if "W2_star" in files else None
    if model["model"] == "glm":
        ok = z.shape == (d, k) or (k == 1 and z.shape == (d,))
        if not ok:
            raise WitnessError(f"a GLM point must be (d,) or (d, k) = ({d}, {k}) for X {X.shape}, Y {Y.shape}; "
                               f"got {z.shape}")
        if model["activation"]["name"] == "softmax" and k < 2:
            raise WitnessError("a softmax witness needs k >= 2 outputs")
    else:
        if z.ndim != 2 or z.shape[0] != d:
            raise WitnessError(f"a one-hidden-layer point W1 must be (d, h) with d = {d}, got {z.shape}")
        h = z.shape[1]
        for name, w in (("W2", W2), ("W2_star", W2s)):
            if name == "W2" and w is None:
                raise WitnessError("a one_hidden witness needs the fixed outer weights W2")
            if w is not None and not (w.shape == (h, k) or (k == 1 and w.shape == (h,))):
                raise WitnessError(f"{name} must be (h,) or (h, k) = ({h}, {k}), got {w.shape}")
    kind = model.get("kind", "slqc")
    if eps <= 0:
        raise WitnessError(f"eps must be > 0, got {eps:g}")
    if kind == "slqc" and kappa <= 0:
        raise WitnessError(f"kappa must be > 0 for an SLQC witness, got {kappa:g} "
                           "(a point where no kappa works is stored with kind 'no_kappa')")
    center = _num_array("center", raw["center"]) if "center" in files else None
    radius = _scalar("radius", raw["radius"]) if "radius" in files else None
    if center is not None and center.shape != z.shape:
        raise WitnessError(f"center must have the shape of z {z.shape}, got {center.shape}")
    if radius is not None and radius <= 0:
        raise WitnessError(f"radius must be > 0, got {radius:g}")
    if center is not None and radius is None:
        raise WitnessError("the file stores a center but no radius")
    return WitnessArrays(X=X, Y=Y, z=z, x=x, eps=eps, kappa=kappa, model=model, W2=W2, meta=meta,
                         center=center, radius=radius, W2_star=W2s)


# ---------------------------------------------------------------------- domain and hypotheses
def _fnorm(a: np.ndarray) -> float:
    return float(np.sqrt((a.astype(np.float64) ** 2).sum()))


def _setting_number(setting: dict, key: str) -> float | None:
    v = setting.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def domain_of(w: WitnessArrays) -> tuple[np.ndarray, float, str]:
    """The domain B(center, R) the witness is checked in, and where it came from.

    Raises:
        WitnessError: no domain stored and none can be read from the claim's setting.
    """
    if w.radius is not None:
        c = w.center if w.center is not None else np.zeros_like(w.z)
        return c, w.radius, "stored"
    setting = w.meta.get("setting") if isinstance(w.meta.get("setting"), dict) else {}
    spec = CLAIM_SPECS.get(str(w.meta.get("claim")))
    if spec is not None:
        r = _setting_number(setting, spec["radius"])
        if r is not None and math.isfinite(r) and r > 0:
            return np.zeros_like(w.z), r, f"B(0, {spec['radius']}) of the claim (old file: no domain stored)"
    r = w.meta.get("radius")
    if isinstance(r, (int, float)) and not isinstance(r, bool) and math.isfinite(r) and r > 0:
        return np.zeros_like(w.z), float(r), "meta radius around 0 (old file: no domain stored)"
    raise WitnessError("the file stores no domain (center, radius) and its meta names no claim setting to take it "
                       "from; re-create it with save_witness(..., center=, radius=)")


def instance_problems(w: WitnessArrays) -> tuple[list[str], dict]:
    """Domain and hypothesis checks on the stored instance.

    Always: x lies in B(center, R) (the stored domain). When meta names a claim of
    :data:`CLAIM_SPECS`: the model is the claim's; the domain lies in the claim's B(0, W);
    ||x_i|| <= 1; the teacher's norm bound; 0 < a <= b (b > 0 for the ReLU) with the
    setting's a, b; the labels equal the model's prediction at z (idealized claims and
    readings), or lie within the noise (Theorem 2), or are the thresholded / argmax /
    binary labels of the cross-entropy readings; the stored eps is the setting's; the
    stored kappa is the claim's constant (SLQC kind).

    Returns:
        (problems, checks): a list of one-line reasons to reject (empty when valid) and
        name -> detail of every check run.

    Raises:
        WitnessError: no domain can be determined (see :func:`domain_of`).
    """
    problems: list[str] = []
    checks: dict[str, str] = {}

    def check(name: str, ok: bool, detail: str) -> None:
        checks[name] = detail
        if not ok:
            problems.append(f"{name} fails: {detail}")

    c, R, src = domain_of(w)
    dist = _fnorm(w.x - c)
    check("x in B(center, R)", dist <= R * (1 + NORM_RTOL) + 1e-12, f"||x - c|| = {dist:.6g}, R = {R:.6g} ({src})")
    claim = w.meta.get("claim")
    spec = CLAIM_SPECS.get(str(claim)) if claim is not None else None
    if spec is None:
        return problems, checks
    s = w.meta.get("setting") if isinstance(w.meta.get("setting"), dict) else {}
    model = w.model
    acts = [model["activation"]] if model["model"] == "glm" else [model["act1"], model["act2"]]
    check("model of the claim", model["model"] == spec["model"] and all(a["name"] in spec["acts"] for a in acts)
          and model.get("loss", "squared") == spec["loss"],
          f"{model['model']} {'/'.join(a['name'] for a in acts)} {model.get('loss', 'squared')} "
          f"(claim {claim}: {spec['model']} {'|'.join(spec['acts'])} {spec['loss']})")
    # the stored domain lies in the claim's domain B(0, W)
    Rc = _setting_number(s, spec["radius"])
    if Rc is None:
        problems.append(f"the setting in meta lacks {spec['radius']!r}, the radius of {claim}'s domain")
    else:
        out = _fnorm(c) + R
        check(f"B(c, R) in B(0, {spec['radius']})", out <= Rc * (1 + NORM_RTOL) + 1e-12,
              f"||c|| + R = {out:.6g}, {spec['radius']} = {Rc:.6g}")
    xn = float(np.sqrt((w.X ** 2).sum(1)).max())
    check("||x_i|| <= 1", xn <= 1 + NORM_RTOL, f"max ||x_i|| = {xn:.6g}")
    Wb = _setting_number(s, spec["bound"])
    zn = _fnorm(w.z)
    if Wb is not None:
        check(f"||z|| <= {spec['bound']}", zn <= Wb * (1 + NORM_RTOL) + 1e-12, f"||z|| = {zn:.6g}, bound {Wb:.6g}")
    if claim == "hazan" and Rc is not None:  # the domain is B(0, ||w*||)
        check("domain radius = ||w*||", R <= zn * (1 + NORM_RTOL) + 1e-12, f"R = {R:.6g}, ||w*|| = {zn:.6g}")
    if spec["model"] == "one_hidden":
        W2b = _setting_number(s, "W2")
        if W2b is not None:
            n2 = _fnorm(w.W2)
            check("||w2|| <= W2", n2 <= W2b * (1 + NORM_RTOL) + 1e-12, f"||w2||_F = {n2:.6g}, W2 = {W2b:.6g}")
            if w.W2_star is not None:
                n2s = _fnorm(w.W2_star)
                check("||W2*|| <= W2", n2s <= W2b * (1 + NORM_RTOL) + 1e-12, f"||W2*||_F = {n2s:.6g}")
    for a in acts:
        if a["name"] == "generalized_relu":
            check("0 < a <= b", 0 < a["a"] <= a["b"], f"a = {a['a']:g}, b = {a['b']:g}")
        elif a["name"] == "relu":
            check("b > 0", a["b"] > 0, f"b = {a['b']:g}")
        for p in ("a", "b"):
            sv = _setting_number(s, p)
            if p in a and sv is not None:
                check(f"{p} of the setting", a[p] == sv, f"model {p} = {a[p]:g}, setting {p} = {sv:g}")
    se = _setting_number(s, "eps")
    if se is not None:
        check("eps of the setting", abs(se - w.eps) <= 1e-12 * abs(se), f"stored {w.eps:g}, setting {se:g}")
    k = w.Y.shape[1]
    sk = _setting_number(s, "k")
    if sk is not None:
        check("k of the setting", int(sk) == k, f"Y has {k} column(s), setting k = {int(sk)}")
    # labels
    kind = model.get("kind", "slqc")
    labels = s.get("labels", "idealized")
    noise = _setting_number(s, "noise") or 0.0
    teacher_W2 = w.W2 if spec["model"] == "glm" or s.get("w2", "w2*") == "w2*" else w.W2_star
    if spec["model"] == "one_hidden" and teacher_W2 is None:
        checks["labels"] = "not checked: the teacher's outer weights W2* are not stored (reading w2=other)"
    else:
        pred = predict(model, w.X, w.z, teacher_W2)
        Yk = w.Y
        if labels == "idealized":
            err = float(np.abs(pred - Yk).max())
            if noise > 0:
                check("|y_i - phi(<w*, x_i>)| <= noise", err <= noise + LABEL_ATOL and noise <= 1,
                      f"max |xi_i| = {err:.3g}, noise = {noise:g}")
            else:
                check("labels = model at z (idealized)", err <= LABEL_ATOL, f"max |y_i - prediction at z| = {err:.3g}")
        elif labels == "threshold":
            err = float(np.abs((pred >= 0.5).astype(np.float64) - Yk).max())
            check("labels = 1{<w*, x_i> >= 0}", err == 0, f"max |y_i - 1{{...}}| = {err:g}")
        elif labels == "argmax":
            oh = np.eye(k)[pred.argmax(1)]
            err = float(np.abs(oh - Yk).max())
            check("labels = one-hot argmax", err == 0, f"max |y_i - onehot| = {err:g}")
        elif labels == "bernoulli":
            binary = bool(np.isin(Yk, (0.0, 1.0)).all()) and (k == 1 or bool((Yk.sum(1) == 1).all()))
            check("labels binary / one-hot", binary, f"labels in {{0, 1}}: {binary}")
        else:
            problems.append(f"unknown labels reading {labels!r} in the setting")
    if spec["loss"] != "squared" or model["activation" if spec["model"] == "glm" else "act2"]["name"] == "sigmoid":
        lo, hi = float(w.Y.min()), float(w.Y.max())
        check("labels in [0, 1]", lo >= 0 and hi <= 1, f"labels in [{lo:.4g}, {hi:.4g}]")
    # the claimed constant
    if kind == "slqc" and spec["kappa"] is not None:
        try:
            kc = float(spec["kappa"](s))
        except (KeyError, TypeError, ZeroDivisionError, OverflowError):
            kc = math.nan
        if math.isnan(kc):
            problems.append(f"the setting in meta does not give {claim}'s kappa")
        else:
            check("kappa = claimed constant", abs(kc - w.kappa) <= 1e-9 * abs(kc),
                  f"stored {w.kappa:.6g}, claim's {kc:.6g}")
    return problems, checks


def verify_witness(path: str) -> VerifyResult:
    """Load a witness ``.npz``, check that it is a valid instance, and re-check the definition at x.

    Returns:
        :class:`VerifyResult`; ``fails`` (confirmed) is True only for a valid witness at which
        the definition fails. An invalid witness (outside its domain, a hypothesis of the claim
        fails on the stored data) comes back with ``valid`` False, ``fails`` False and the
        reasons in ``problems``.

    Raises:
        FileNotFoundError: no such file.
        WitnessError: (a ValueError) not a well-formed witness file; see :func:`load_witness_arrays`.
        ValueError: a model this checker does not know.
    """
    w = load_witness_arrays(path)
    problems, checks = instance_problems(w)
    with np.errstate(over="ignore"):
        r = check_point(w.model, w.X, w.Y, w.z, w.x, w.eps, w.kappa, w.W2)
    r.checks, r.claim = checks, (str(w.meta["claim"]) if "claim" in w.meta else None)
    if problems:
        r.valid, r.problems, r.fails = False, problems, False
        r.message = "REJECTED: " + "; ".join(problems)
    return r
