"""Witness files: plain ``.npz`` arrays that anyone can re-check without this package.

A witness is a point x where a claim fails (Definition 1 / 4 with the claimed kappa, or
an SNGD run's suboptimality bound). The file holds:

=========  ===========  ================================================================
key        shape        meaning
=========  ===========  ================================================================
X          (m, d)       inputs, rows x_i with ||x_i|| <= 1
Y          (m, k)       targets (k = 1 for a single output)
z          S            reference point (w* (d,), W* (d, k) or W1* (d, h))
x          S            the witness point
eps        ()           eps of the definition
kappa      ()           the claimed kappa that was tested
model      () str       JSON: ``{"model": "glm" | "one_hidden", "activation" | "act1"/"act2":
                        {"name", "a", "b"}, "loss": "squared" | "bce" | "ce", "outputs_1d": bool,
                        "kind": "slqc" | "suboptimality", "bound": float (suboptimality only)}``
W2         (h,)/(h, k)  fixed outer weights (one-hidden-layer models only)
center     S            centre c of the domain B(c, R) that was searched
radius     ()           radius R of that domain
W2_star    (h,)/(h, k)  the teacher's outer weights, when they differ from W2 (optional)
meta       () str       JSON: claim name, setting, and what the search reported
=========  ===========  ================================================================

``model["kind"]`` is ``slqc`` (Definition 1/4 fails with the stored kappa > 0), ``no_kappa``
(f(x) - f(z) > eps and <grad f(x), x - z> < 0 or grad f(x) = 0: no kappa > 0 works; the
stored kappa is the claimed constant, which may be <= 0) or ``suboptimality``.

``slqc verify`` (:mod:`slqc.verify`) refuses a file with any NaN or inf, and rejects a
witness outside B(center, R) or whose stored instance breaks the claim's hypotheses.
Files written before ``center``/``radius`` were stored are checked in the claim's own
domain B(0, W) from ``meta["setting"]`` (see :func:`slqc.verify.domain_of`).

Conventions (paper, section 3.2): a layer computes phi(W^T x) with W of shape (n_in, n_out);
the objective is the mean over samples of the per-sample loss.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

import numpy as np

from .jsonio import encode

REQUIRED = ("X", "Y", "z", "x", "eps", "kappa", "model")


def _arr(t: Any) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t, dtype=np.float64)


def jsonable(obj: Any) -> Any:
    """Recursively make ``obj`` JSON-ready: inf -> "inf", -inf -> "-inf", nan -> None, numpy -> python."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if hasattr(obj, "detach"):
        return jsonable(obj.detach().cpu().tolist())
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    return obj


def save_witness(path: str, X: Any, Y: Any, z: Any, x: Any, eps: float, kappa: float, model: dict,
                 W2: Any = None, meta: dict | None = None, center: Any = None, radius: float | None = None,
                 W2_star: Any = None) -> str:
    """Write a witness file.

    Args:
        path: destination (``.npz`` is appended when missing); parent folders are created.
        X: inputs (m, d). Y: targets (m,) or (m, k) (stored as (m, k)).
        z, x: reference point and witness point (same shape).
        eps, kappa: the eps and the claimed kappa tested.
        model: model description (see the module docstring).
        W2: fixed outer weights of a one-hidden-layer model.
        meta: anything else worth keeping (claim, setting, search figures).
        center: centre of the searched domain (default: the origin when ``radius`` is given).
        radius: radius of the searched domain; None (with center None) stores no domain, and
            ``slqc verify`` then takes the claim's B(0, W) from ``meta["setting"]``.
        W2_star: the teacher's outer weights of a one-hidden-layer instance whose fixed
            outer weights W2 differ from them (lets verify check the labels).

    Returns:
        The path written.

    Raises:
        ValueError: shapes of z and x (or center) differ, the model dict lacks ``model``,
            a center without a radius, radius <= 0, or any NaN / inf in the arrays or in
            eps, kappa, radius (a witness must be finite to be re-checked).
    """
    Xa, Ya, za, xa = _arr(X), _arr(Y), _arr(z), _arr(x)
    if za.shape != xa.shape:
        raise ValueError(f"z and x must have the same shape, got {za.shape} and {xa.shape}")
    if "model" not in model:
        raise ValueError("model must name the model: {'model': 'glm' | 'one_hidden', ...}")
    if Ya.ndim == 1:
        Ya = Ya[:, None]
    if not path.endswith(".npz"):
        path += ".npz"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    arrays = {"X": Xa, "Y": Ya, "z": za, "x": xa, "eps": np.float64(eps), "kappa": np.float64(kappa),
              "model": np.array(json.dumps(encode(model))), "meta": np.array(json.dumps(encode(meta or {})))}
    if W2 is not None:
        arrays["W2"] = _arr(W2)
    if W2_star is not None:
        arrays["W2_star"] = _arr(W2_star)
    if center is not None and radius is None:
        raise ValueError("a center needs a radius: give the domain as center= and radius=")
    if radius is not None:
        if not (math.isfinite(float(radius)) and float(radius) > 0):
            raise ValueError(f"radius must be a finite number > 0, got {radius}")
        ca = np.zeros_like(za) if center is None else _arr(center)
        if ca.shape != za.shape:
            raise ValueError(f"center must have the shape of z {za.shape}, got {ca.shape}")
        arrays["center"], arrays["radius"] = ca, np.float64(radius)
    bad = [k for k, v in arrays.items() if v.dtype.kind == "f" and not np.isfinite(v).all()]
    if bad:
        raise ValueError(f"refusing to write a witness with NaN or inf in {', '.join(bad)}")
    np.savez(path, **arrays)
    return path


def load_witness(path: str):
    """Read a witness file written by :func:`save_witness` (with the refusals of ``slqc verify``).

    Returns:
        :class:`slqc.verify.WitnessArrays` (plain numpy arrays and dicts).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a well-formed witness file (unreadable, missing keys, bad JSON, wrong
            shapes, NaN / inf; see :func:`slqc.verify.load_witness_arrays`).
    """
    from .verify import load_witness_arrays

    return load_witness_arrays(path)


def witness_name(claim: str, setting: dict, tag: str = "") -> str:
    """A file name that identifies the claim and setting: ``thm1-<hash>[-tag].npz``."""
    import hashlib

    h = hashlib.sha1(json.dumps(jsonable(setting), sort_keys=True).encode()).hexdigest()[:10]
    tag = re.sub(r"[^A-Za-z0-9_.=-]+", "_", tag)
    return f"{claim}-{h}{'-' + tag if tag else ''}.npz"
