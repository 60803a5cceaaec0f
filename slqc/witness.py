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
meta       () str       JSON: claim name, setting, and what the search reported
=========  ===========  ================================================================

Conventions (paper, section 3.2): a layer computes phi(W^T x) with W of shape (n_in, n_out);
the objective is the mean over samples of the per-sample loss.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

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
                 W2: Any = None, meta: dict | None = None) -> str:
    """Write a witness file.

    Args:
        path: destination (``.npz`` is appended when missing); parent folders are created.
        X: inputs (m, d). Y: targets (m,) or (m, k) (stored as (m, k)).
        z, x: reference point and witness point (same shape).
        eps, kappa: the eps and the claimed kappa tested.
        model: model description (see the module docstring).
        W2: fixed outer weights of a one-hidden-layer model.
        meta: anything else worth keeping (claim, setting, search figures).

    Returns:
        The path written.

    Raises:
        ValueError: shapes of z and x differ, or the model dict lacks ``model``.
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
              "model": np.array(json.dumps(jsonable(model))), "meta": np.array(json.dumps(jsonable(meta or {})))}
    if W2 is not None:
        arrays["W2"] = _arr(W2)
    np.savez(path, **arrays)
    return path


@dataclass
class Witness:
    """A loaded witness file (plain numpy arrays and dicts)."""

    X: np.ndarray
    Y: np.ndarray
    z: np.ndarray
    x: np.ndarray
    eps: float
    kappa: float
    model: dict
    W2: np.ndarray | None
    meta: dict


def load_witness(path: str) -> Witness:
    """Read a witness file written by :func:`save_witness`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a witness file (missing keys or bad JSON).
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"no witness file at {path!r}")
    try:
        with np.load(path, allow_pickle=False) as d:
            missing = [k for k in REQUIRED if k not in d.files]
            if missing:
                raise ValueError(f"{path} is not a witness file: missing {', '.join(missing)}")
            model = json.loads(str(d["model"]))
            meta = json.loads(str(d["meta"])) if "meta" in d.files else {}
            return Witness(X=d["X"], Y=d["Y"], z=d["z"], x=d["x"], eps=float(d["eps"]), kappa=float(d["kappa"]),
                           model=model, W2=d["W2"] if "W2" in d.files else None, meta=meta)
    except (OSError, json.JSONDecodeError, EOFError) as err:
        raise ValueError(f"cannot read witness {path!r}: {err}") from None


def witness_name(claim: str, setting: dict, tag: str = "") -> str:
    """A file name that identifies the claim and setting: ``thm1-<hash>[-tag].npz``."""
    import hashlib

    h = hashlib.sha1(json.dumps(jsonable(setting), sort_keys=True).encode()).hexdigest()[:10]
    tag = re.sub(r"[^A-Za-z0-9_.=-]+", "_", tag)
    return f"{claim}-{h}{'-' + tag if tag else ''}.npz"
