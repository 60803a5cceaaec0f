"""Shared builders: a claim's setting dict -> a :class:`~slqc.claims.base.Problem`.

The data come from the engine's generators (:func:`slqc.generators.make_glm`,
:func:`slqc.generators.make_one_hidden`); this module adds what a verdict needs on top:
the reading of an ambiguous statement (labels, reference point, fixed w2), the
hypothesis checks on the generated data, and a proven upper bound on sup f - f(z) over
the domain (used to call a claim vacuous without searching).

Conventions (paper, section 3.2): W has shape (d, k) and a layer computes phi(W^T x);
the objective is the mean over samples; norms of matrices are Frobenius.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import torch

from ..activations import get_activation
from ..generators import make_glm, make_one_hidden
from ..models import GLMObjective
from .base import Problem

#: Slack for float rounding in the hypothesis checks (||x_i|| <= 1 after scaling, ...).
HYP_TOL = 1e-12

#: The search budget factors of the one-hidden-layer instances (``Problem.search``).
ONE_HIDDEN_SEARCH = {"vstarts": 4}


def activation_of(setting: Mapping[str, Any]):
    """The activation named in ``setting`` (with its a, b where they apply)."""
    name = setting["activation"]
    if name == "generalized_relu":
        return get_activation(name, a=setting["a"], b=setting["b"])
    if name == "relu":
        return get_activation(name, b=setting["b"])
    return get_activation(name)


def _norm(t: torch.Tensor) -> float:
    return float(torch.linalg.vector_norm(t))


def input_hypothesis(X: torch.Tensor) -> tuple[bool, str]:
    """Definition 2: every x_i lies in the unit ball."""
    mx = float(torch.linalg.vector_norm(X, dim=1).max())
    return mx <= 1 + HYP_TOL, f"max ||x_i|| = {mx:.6g}"


def norm_hypothesis(name: str, t: torch.Tensor, bound: float) -> tuple[bool, str]:
    """||t|| <= bound (Frobenius for matrices)."""
    n = _norm(t)
    return n <= bound * (1 + HYP_TOL), f"{name} = {n:.6g} <= {bound:.6g}"


def squared_gap_upper(X: torch.Tensor, Y: torch.Tensor, act, radius: float, fz: float) -> float:
    """Proven bound on sup_{||W|| <= R} f(W) - f(z) for the squared loss of a GLM layer.

    |phi(t) - y| <= |phi(0) - y| + L |t| and, by Minkowski over the outputs,
    ||phi(W^T x_i) - y_i|| <= ||phi(0) - y_i|| + L R ||x_i||; for the sigmoid also
    |phi(t) - y| <= max(y, 1 - y) when y in [0, 1]. So f(W) <= mean_i (that)^2.
    """
    Y2 = Y.reshape(Y.shape[0], -1)
    phi0 = float(act.phi(torch.zeros(1, dtype=X.dtype))[0])
    xn = torch.linalg.vector_norm(X, dim=1)
    per = torch.linalg.vector_norm(Y2 - phi0, dim=1) + act.lipschitz * radius * xn
    if act.name == "sigmoid" and bool(((Y2 >= 0) & (Y2 <= 1)).all()):
        per = torch.minimum(per, torch.linalg.vector_norm(torch.maximum(Y2, 1 - Y2), dim=1))
    return float((per ** 2).mean()) - fz


def candidate_points(X: torch.Tensor, z: torch.Tensor, radius: float) -> torch.Tensor:
    """Analytic guesses at the worst points of B(0, R) for a layer with weights shaped like z.

    A ReLU-type unit has zero gradient wherever <w, x_i> <= 0 for every sample; such points
    exist as soon as the inputs lie in a half-space (nonnegative data, m < d) and a random
    search rarely hits them in high dimension. The guesses are the directions -mean_i x_i,
    the least-norm solution of X w = -1, and -z (each column of a matrix point gets the same
    direction), at radii R, R/2 and R/4.

    Returns:
        Tensor (P, *z.shape).
    """
    m, d = X.shape
    dirs = [-X.mean(0), torch.linalg.lstsq(X, -torch.ones(m, 1, dtype=X.dtype)).solution[:, 0]]
    zf = z.reshape(d, -1)
    dirs += [-zf[:, j] for j in range(zf.shape[1])]
    k = zf.shape[1]
    pts = []
    for u in dirs:
        n = float(torch.linalg.vector_norm(u))
        if not math.isfinite(n) or n == 0:
            continue
        col = u / n
        point = col.unsqueeze(1).expand(d, k) / math.sqrt(k)  # Frobenius norm 1
        pts += [(radius * s * point).reshape(z.shape) for s in (1.0, 0.5, 0.25)]
    full = -zf / max(float(torch.linalg.vector_norm(zf)), 1e-300)  # the whole matrix -z
    pts += [(radius * s * full).reshape(z.shape) for s in (1.0, 0.5)]
    return torch.stack(pts).to(z.dtype)


def glm_problem(setting: Mapping[str, Any], loss: str = "squared", device: Any = None) -> Problem:
    """An idealized / noisy / relabelled GLM (single or multi-output) from a setting.

    Setting keys: activation, a, b (where they apply), W (domain radius and bound on
    ||w*||), wstar (||w*|| as a fraction of W, default 1), m, d, k (outputs, 1 = vector
    w), distribution, seed, noise (default 0), labels ("idealized", "bernoulli",
    "threshold"/"argmax" for the cross-entropy readings), reference ("w*").
    """
    act = activation_of(setting)
    W = float(setting["W"])
    k = int(setting.get("k", 1))
    wn = W * float(setting.get("wstar", 1.0))
    p = make_glm(int(setting["d"]), int(setting["m"]), W, act, outputs=k, loss=loss,
                 distribution=setting["distribution"], noise=float(setting.get("noise", 0.0)),
                 wstar_norm=wn, seed=int(setting["seed"]), noise_dist=setting.get("noise_dist", "uniform"))
    X, Y, z, obj = p.X, p.Y, p.w_star, p.objective
    labels = setting.get("labels", "idealized")
    if labels != "idealized":
        g = torch.Generator()
        g.manual_seed(int(setting["seed"]) + 104729)
        if labels == "bernoulli":  # y ~ Bernoulli(phi(<w*, x>)) / one-hot draw from the softmax
            if Y.ndim == 1:
                Y = (torch.rand(Y.shape, generator=g, dtype=Y.dtype) < Y).to(Y.dtype)
            else:
                idx = torch.multinomial(Y, 1, generator=g)[:, 0]
                Y = torch.nn.functional.one_hot(idx, Y.shape[1]).to(X.dtype)
        elif labels in ("threshold", "argmax"):  # y = 1{<w*, x> >= 0} / one-hot of the argmax
            if Y.ndim == 1:  # sigmoid(<w*, x>) >= 1/2 iff <w*, x> >= 0
                Y = (Y >= 0.5).to(Y.dtype)
            else:
                Y = torch.nn.functional.one_hot(Y.argmax(1), Y.shape[1]).to(X.dtype)
        else:
            raise ValueError(f"unknown labels reading {labels!r}")
        obj = GLMObjective(X, Y, act, loss)
    fz = float(obj(z.unsqueeze(0))[0])
    hyp = {
        "||x_i|| <= 1": input_hypothesis(X),
        "||w*|| <= W": norm_hypothesis("||w*||", z, W),
    }
    lab_lo, lab_hi = float(Y.min()), float(Y.max())
    if act.name in ("sigmoid", "softmax"):
        hyp["labels in [0, 1]"] = (lab_lo >= 0 and lab_hi <= 1, f"labels in [{lab_lo:.4g}, {lab_hi:.4g}]")
    elif float(setting.get("noise", 0.0)) == 0.0:
        resid = float((obj.predict(z) - Y).abs().max())
        hyp["y_i = phi(<w*, x_i>)"] = (resid <= 1e-12, f"max |y_i - phi(<w*, x_i>)| = {resid:.3g}")
    else:
        noise = float(setting["noise"])
        resid = float((obj.predict(z) - Y).abs().max())
        hyp["|xi_i| <= noise <= 1"] = (resid <= noise + 1e-12 and noise <= 1, f"max |xi_i| = {resid:.3g}")
    gap_upper = squared_gap_upper(X, Y, act, W, fz) if loss == "squared" else None
    model = {"model": "glm", "activation": act.to_dict(), "loss": loss, "outputs_1d": Y.ndim == 1}
    info = {"wstar_norm": _norm(z), "f_z": fz, "label_min": lab_lo, "label_max": lab_hi,
            "labels_in_unit_interval": lab_lo >= 0 and lab_hi <= 1,
            "max_input_norm": float(torch.linalg.vector_norm(X, dim=1).max())}
    return _to_device(Problem(f=obj, z=z, radius=W, X=X, Y=Y, model=model, hypotheses=hyp,
                              gap_upper=gap_upper, info=info, candidates=candidate_points(X, z, W)), device)


def one_hidden_problem(setting: Mapping[str, Any], device: Any = None) -> Problem:
    """A one-hidden-layer teacher, as a function of W1 with the outer weights fixed.

    Setting keys: a, b (both layers generalized ReLU), W1, W2 (norm bounds, met with
    equality by the teacher), hidden, k (outputs), m, d, distribution, seed and
    ``w2``: ``"w2*"`` (the fixed outer weights are the teacher's) or ``"other"`` (a fixed
    w2 with the same norm W2 drawn independently: the reading "for any fixed w2").
    """
    act = activation_of(setting)
    W1, W2 = float(setting["W1"]), float(setting["W2"])
    k = int(setting.get("k", 1))
    h = int(setting["hidden"])
    w2 = None
    if setting.get("w2", "w2*") == "other":
        g = torch.Generator()
        g.manual_seed(int(setting["seed"]) + 15485863)
        v = torch.randn((h,) if k == 1 else (h, k), generator=g, dtype=torch.float64)
        w2 = W2 * v / torch.linalg.vector_norm(v)
    p = make_one_hidden(int(setting["d"]), h, int(setting["m"]), W1, W2, act, act, outputs=k,
                        distribution=setting["distribution"], seed=int(setting["seed"]), w2=w2)
    obj, z = p.objective, p.W1_star
    fz = float(obj(z.unsqueeze(0))[0])
    hyp = {
        "||x_i|| <= 1": input_hypothesis(p.X),
        "||W1*|| <= W1": norm_hypothesis("||W1*||_F", z, W1),
        "||W2*|| <= W2": norm_hypothesis("||W2*||_F", p.W2_star, W2),
        "||w2|| <= W2 (fixed outer weights)": norm_hypothesis("||w2||_F", obj.W2, W2),
    }
    if setting.get("w2", "w2*") == "w2*":
        hyp["f(W1*) = 0 (idealized)"] = (fz <= 1e-20, f"f(W1*) = {fz:.3g}")
    # |phi2(W2^T phi1(W1^T x))| per sample: ||.|| <= b ||W2||_F b ||W1||_F ||x|| (Cauchy-Schwarz twice)
    xn = torch.linalg.vector_norm(p.X, dim=1)
    Y2 = p.Y.reshape(p.Y.shape[0], -1)
    per = torch.linalg.vector_norm(Y2, dim=1) + act.b * act.b * _norm(obj.W2) * W1 * xn
    gap_upper = float((per ** 2).mean()) - fz
    model = {"model": "one_hidden", "act1": act.to_dict(), "act2": act.to_dict(), "loss": "squared",
             "outputs_1d": p.Y.ndim == 1}
    info = {"W1star_norm": _norm(z), "W2star_norm": _norm(p.W2_star), "w2_norm": _norm(obj.W2), "f_z": fz,
            "label_min": float(p.Y.min()), "label_max": float(p.Y.max())}
    # the no-kappa regions of these instances are narrow and near the sphere: 4x the violation ascent's
    # starts finds more of them at little cost (docs/check.md, "Violation starts")
    return _to_device(Problem(f=obj, z=z, radius=W1, X=p.X, Y=p.Y, model=model, W2=obj.W2, W2_star=p.W2_star,
                              hypotheses=hyp, gap_upper=gap_upper, info=info,
                              candidates=candidate_points(p.X, z, W1), search=dict(ONE_HIDDEN_SEARCH)), device)


def _to_device(pb: Problem, device: Any) -> Problem:
    if device is None or str(device) == "cpu":
        return pb
    from ..models import OneHiddenObjective

    dev = torch.device(device)
    X, Y = pb.X.to(dev), pb.Y.to(dev)
    if pb.model["model"] == "glm":
        f = GLMObjective(X, Y, pb.f.act, pb.f.loss)
    else:
        f = OneHiddenObjective(X, Y, pb.W2.to(dev), pb.f.act1, pb.f.act2, pb.f.loss)
    pb.f, pb.z = f, pb.z.to(dev)
    if pb.candidates is not None:
        pb.candidates = pb.candidates.to(dev)
    return pb
