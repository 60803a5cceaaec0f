"""Synthetic problems with a planted minimizer (Definition 2; Theorems 1-7 settings).

* :func:`make_glm` -- idealized GLM (y_i = phi(<w*, x_i>), section 3.2, Definition 2) or
  noisy GLM (y_i = phi(<w*, x_i>) + zero-mean noise bounded by ``noise``), single or
  multiple outputs, with ||x_i|| <= 1 and ||w*|| = ``wstar_norm`` <= W.
* :func:`make_one_hidden` -- a one-hidden-layer teacher network (Theorems 4-5):
  y_i = phi2(W2*^T phi1(W1*^T x_i)), ||W1*||_F = W1, ||W2*|| = W2.

Every problem carries its objective (a :class:`~slqc.models.GLMObjective` or
:class:`~slqc.models.OneHiddenObjective`) and a ``meta`` dict of JSON-ready facts,
including whether the labels lie in [0, 1] as Definition 2 asks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from . import _validate as V
from .activations import Activation, get_activation
from .data import chunk_generator, iter_input_chunks, sample_inputs
from .losses import get_loss
from .models import GLMObjective, OneHiddenObjective


def _direction(shape: tuple[int, ...], g: torch.Generator) -> torch.Tensor:
    v = torch.randn(*shape, generator=g, dtype=torch.float64)
    return v / torch.linalg.vector_norm(v)


def _gen(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(int(seed) + 7919)  # decorrelate from the input stream of the same seed
    return g


@dataclass
class GLMProblem:
    """A GLM instance. Shapes: X (m, d); Y and clean_Y (m,) or (m, k); w_star (d,) or (d, k)."""

    X: torch.Tensor
    Y: torch.Tensor
    w_star: torch.Tensor
    objective: GLMObjective
    clean_Y: torch.Tensor
    meta: dict = field(default_factory=dict)


@dataclass
class OneHiddenProblem:
    """A one-hidden-layer teacher. Shapes: X (m, d); Y (m,) or (m, k); W1_star (d, h); W2_star (h,) or (h, k)."""

    X: torch.Tensor
    Y: torch.Tensor
    W1_star: torch.Tensor
    W2_star: torch.Tensor
    objective: OneHiddenObjective
    meta: dict = field(default_factory=dict)


def _labels_meta(Y: torch.Tensor) -> dict:
    return {"label_min": float(Y.min()), "label_max": float(Y.max()),
            "labels_in_unit_interval": bool((Y >= 0).all() and (Y <= 1).all())}


#: Noise distributions of the noisy GLM (Theorem 2 assumes zero-mean, independent, |xi| <= 1),
#: each scaled by the half-width ``noise``:
#:
#: * ``uniform``: uniform on [-noise, noise] (variance noise^2 / 3);
#: * ``rademacher``: +-noise with probability 1/2 each, at the edge of the bound. It has the
#:   largest variance (noise^2) a zero-mean variable in [-noise, noise] can have, and it is
#:   the case where Hoeffding's lemma E exp(s xi) <= exp(s^2 noise^2 / 2) is tight to second
#:   order: the worst case for the proof's Hoeffding step (section 5.3);
#: * ``skewed``: the asymmetric two-point law, -noise with probability q = SKEW_Q and
#:   +noise q / (1 - q) otherwise (zero mean): rare large negative kicks, a heavy lower tail.
NOISE_DISTRIBUTIONS = ("uniform", "rademacher", "skewed")
SKEW_Q = 0.1


def draw_noise(kind: str, shape: tuple[int, ...], noise: float, g: torch.Generator) -> torch.Tensor:
    """Zero-mean noise bounded by ``noise`` (see :data:`NOISE_DISTRIBUTIONS`), float64 on the CPU.

    Raises:
        ValueError: unknown kind.
    """
    V.choice("noise distribution", kind, NOISE_DISTRIBUTIONS)
    u = torch.rand(shape, generator=g, dtype=torch.float64)
    if kind == "uniform":
        return noise * (2 * u - 1)
    if kind == "rademacher":
        return noise * torch.where(u < 0.5, -1.0, 1.0).to(torch.float64)
    return noise * torch.where(u < SKEW_Q, -1.0, SKEW_Q / (1 - SKEW_Q)).to(torch.float64)


def make_glm(d: int, m: int, W: float, activation: Activation | str, outputs: int = 1, loss: str = "squared",
             distribution: str = "ball", noise: float = 0.0, wstar_norm: float | None = None, seed: int = 0,
             dtype: torch.dtype = torch.float64, device=None, a: float | None = None,
             b: float | None = None, noise_dist: str = "uniform") -> GLMProblem:
    """Draw an idealized (noise = 0) or noisy GLM, streamed over the samples.

    Inputs come in row chunks (:func:`slqc.data.iter_input_chunks`); each chunk's labels and
    noise are computed from it and written into X, Y on ``device`` before the next chunk is
    drawn, so a draw at m = 1e8 holds no (m, d) intermediate besides X itself. The noise of
    chunk 0 comes from the generator that drew w* (the unchunked draw of old, for
    m <= ``slqc.data._GEN_ROWS``), that of chunk j >= 1 from its own seeded generator.

    Args:
        d, m: input dimension and number of samples.
        W: the norm bound ||w*|| <= W (Frobenius for several outputs).
        activation: activation or name (with ``a``, ``b`` for the generalized ReLU).
        outputs: 1 for a GLM (Y of shape (m,)), k > 1 for a multi-output layer (Y (m, k)).
        loss: ``squared``, ``bce`` (sigmoid; labels are probabilities phi(<w*, x>)) or
            ``ce`` (softmax; labels are the softmax probabilities).
        distribution: input distribution, see :mod:`slqc.data`.
        noise: half-width of the zero-mean label noise (noisy GLM, Theorem 2).
        wstar_norm: ||w*||; defaults to W (the hardest case the hypotheses allow).
        seed: seed of inputs, w* and noise.
        noise_dist: ``uniform``, ``rademacher`` or ``skewed`` (see :data:`NOISE_DISTRIBUTIONS`).

    Raises:
        ValueError: W <= 0, wstar_norm > W, noise < 0, outputs < 1, unknown noise_dist, and the
            errors of :func:`~slqc.data.sample_inputs`.
    """
    W = V.positive("W", W)
    wn = W if wstar_norm is None else float(wstar_norm)
    if not 0 <= wn <= W:
        raise ValueError(f"wstar_norm must lie in [0, W={W}], got {wstar_norm}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if int(outputs) < 1:
        raise ValueError(f"outputs must be >= 1, got {outputs}")
    V.choice("noise distribution", noise_dist, NOISE_DISTRIBUTIONS)
    act = get_activation(activation, a=a, b=b)
    g = _gen(seed)
    m = int(m)
    chunks = iter_input_chunks(distribution, m, d, seed=seed)
    shape = (d,) if outputs == 1 and act.elementwise else (d, int(outputs))
    w_star = wn * _direction(shape, g)
    to = dict(dtype=dtype, device=device)
    X = Y = clean = None
    max_norm, lo, hi = 0.0, math.inf, -math.inf
    for j, (s, Xc) in enumerate(chunks):
        clean_c = act.phi(Xc @ w_star)
        Yc = clean_c
        if noise > 0:
            Yc = clean_c + draw_noise(noise_dist, tuple(clean_c.shape), noise, g if j == 0 else _gen_chunk(seed, j))
        if X is None:
            if Xc.shape[0] == m:  # one chunk: no copy
                X, Y, clean = Xc.to(**to), Yc.to(**to), clean_c.to(**to)
            else:
                X = torch.empty((m, d), **to)
                Y = torch.empty((m,) + tuple(Yc.shape[1:]), **to)
                clean = torch.empty_like(Y)
        if Xc.shape[0] != m:
            X[s:s + Xc.shape[0]] = Xc.to(**to)
            Y[s:s + Xc.shape[0]] = Yc.to(**to)
            clean[s:s + Xc.shape[0]] = clean_c.to(**to)
        max_norm = max(max_norm, float(torch.linalg.vector_norm(Xc, dim=1).max()))
        lo, hi = min(lo, float(Yc.min())), max(hi, float(Yc.max()))
    obj = GLMObjective(X, Y, act, get_loss(loss))
    meta = {"model": "glm", "d": d, "m": m, "W": W, "wstar_norm": float(torch.linalg.vector_norm(w_star)),
            "outputs": int(outputs), "activation": act.to_dict(), "loss": get_loss(loss).name,
            "distribution": distribution, "noise": float(noise), "noise_dist": noise_dist, "seed": int(seed),
            "max_input_norm": max_norm, "label_min": lo, "label_max": hi,
            "labels_in_unit_interval": bool(lo >= 0 and hi <= 1)}
    return GLMProblem(X=obj.X, Y=obj.Y, w_star=w_star.to(**to), objective=obj, clean_Y=clean, meta=meta)


def _gen_chunk(seed: int, j: int) -> torch.Generator:
    """Noise generator of sample chunk j >= 1 of a streamed draw."""
    return chunk_generator(seed, j, salt=7919)


def make_one_hidden(d: int, hidden: int, m: int, W1: float, W2: float, act1: Activation | str = "generalized_relu",
                    act2: Activation | str = "generalized_relu", outputs: int = 1, loss: str = "squared",
                    distribution: str = "ball", seed: int = 0, dtype: torch.dtype = torch.float64, device=None,
                    w2: torch.Tensor | None = None) -> OneHiddenProblem:
    """Draw a one-hidden-layer teacher network (Theorems 4-5).

    Args:
        d, hidden, m: input dimension, hidden width, samples.
        W1, W2: ||W1*||_F = W1 and ||W2*|| = W2 (the norm bounds, met with equality).
        act1, act2: hidden and output activations (objects or names).
        outputs: 1 (Theorem 4, W2* of shape (h,)) or k > 1 (Theorem 5, W2* (h, k)).
        w2: the outer weights held fixed in the objective; defaults to W2* (the reading
            "w2 = w2*"); pass another tensor to test the reading "any fixed w2".

    Returns:
        OneHiddenProblem whose objective is a function of W1 alone.
    """
    W1 = V.positive("W1", W1)
    W2 = V.positive("W2", W2)
    if int(hidden) < 1 or int(outputs) < 1:
        raise ValueError(f"hidden and outputs must be >= 1, got hidden={hidden}, outputs={outputs}")
    a1, a2 = get_activation(act1), get_activation(act2)
    g = _gen(seed)
    X = sample_inputs(distribution, m, d, seed=seed)
    W1s = W1 * _direction((d, hidden), g)
    W2s = W2 * _direction((hidden,) if outputs == 1 else (hidden, int(outputs)), g)
    Y = a2.phi(a1.phi(X @ W1s) @ W2s)
    to = dict(dtype=dtype, device=device)
    fixed = W2s if w2 is None else V.as_float_tensor("w2", w2)
    obj = OneHiddenObjective(X.to(**to), Y.to(**to), fixed.to(**to), a1, a2, loss)
    meta = {"model": "one_hidden", "d": d, "hidden": int(hidden), "m": m, "W1": W1, "W2": W2,
            "outputs": int(outputs), "act1": a1.to_dict(), "act2": a2.to_dict(), "loss": get_loss(loss).name,
            "distribution": distribution, "seed": int(seed), "w2_is_teacher": w2 is None,
            "max_input_norm": float(torch.linalg.vector_norm(X, dim=1).max()), **_labels_meta(Y)}
    return OneHiddenProblem(X=obj.X, Y=obj.Y, W1_star=W1s.to(**to), W2_star=W2s.to(**to), objective=obj, meta=meta)
