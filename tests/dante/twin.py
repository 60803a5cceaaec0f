"""Brute-force twin of :func:`dante.instruments.measure_layers` for tests on tiny networks.

Same interface and keys, computed the slow obvious way: the loss and the gradient of each layer
problem are sums of per-point autograd calls (one data point at a time, no batching), and the SLQC
condition 2 of Definition 4 is checked by evaluating ``<g, V - W>`` at many points ``V`` of the
ball ``B(W*, eps/kappa)`` (random points on its sphere, where a linear function peaks, plus the
maximizer ``W* + (eps/kappa) g/||g||``). Use it in float64 (Sinha et al., 2020, section 3.2).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from dante.claims import claimed_kappa
from dante.losses import loss_value

__all__ = ["measure_layers_bruteforce"]

BALL_SAMPLES = 256


def _per_point_loss(model, x, t, loss, weights=None):
    out = model.run(x[None], range(1, model.n_layers + 1), weights=weights)
    return loss_value(loss, out, t[None])


def measure_layers_bruteforce(model, X: torch.Tensor, T: torch.Tensor, loss: str, refs: dict[int, torch.Tensor],
                              layers: Sequence[int], eps: Sequence[float], source: str, claim_info: dict,
                              seed: int = 0) -> dict:
    """Per-point autograd version of the default quantities (see :mod:`dante.quantities`)."""
    m = X.shape[0]
    gen = torch.Generator().manual_seed(seed)
    out: dict = {}
    with torch.no_grad():
        f = sum(float(_per_point_loss(model, X[i], T[i], loss)) for i in range(m)) / m
    out[f"{source}.loss"] = f
    L = model.n_layers
    outer = max(float(model.weights[L - 1].detach().double().norm()),
                float(refs[L].double().norm()) if L in refs else 0.0)
    for l in layers:
        W = model.weights[l - 1].detach().double()
        Wref = refs[l].detach().double()
        g = torch.zeros_like(W)
        for i in range(m):
            w = model.weights[l - 1].detach().clone().requires_grad_(True)
            with torch.enable_grad():
                fi = _per_point_loss(model, X[i], T[i], loss, weights={l: w})
                (gi,) = torch.autograd.grad(fi, [w])
            g += gi.double()
        g /= m
        with torch.no_grad():
            f_ref = sum(float(_per_point_loss(model, X[i], T[i], loss, weights={l: refs[l]})) for i in range(m)) / m
        diff = W - Wref
        gn = math.sqrt(sum(float(v) ** 2 for v in g.flatten()))
        inner = sum(float(a) * float(b) for a, b in zip(g.flatten(), diff.flatten()))
        dist = math.sqrt(sum(float(v) ** 2 for v in diff.flatten()))
        p = f"layer{l}.{source}."
        out[p + "loss_ref"] = f_ref
        out[p + "grad_norm"] = gn
        out[p + "inner"] = inner
        out[p + "dist"] = dist
        out[p + "cosine"] = inner / (gn * dist) if gn * dist > 0 else None
        radius = max(float(W.norm()), float(Wref.norm()))
        for e in eps:
            k = f"{float(e):g}"
            cond2 = e * gn / inner if inner > 0 else math.inf
            out[p + f"kappa_cond2@{k}"] = cond2
            out[p + f"kappa_min@{k}"] = 0.0 if f - f_ref <= e else (cond2 if gn > 0 else math.inf)
            kappa, src = claimed_kappa(l, L, claim_info["activation"], claim_info["output_activation"], claim_info["loss"],
                                       e, radius, outer_radius=outer, n_outputs=claim_info.get("n_outputs"))
            out[p + f"claimed_kappa@{k}"] = kappa
            out[p + f"claim@{k}"] = src
            if kappa is None:
                out[p + f"slqc@{k}"] = None
                continue
            r = e / kappa
            dirs = torch.randn(BALL_SAMPLES, *W.shape, generator=gen, dtype=torch.float64)
            dirs = dirs / dirs.flatten(1).norm(dim=1).view(-1, *[1] * W.dim())
            points = [Wref + r * d for d in dirs]
            if gn > 0:
                points.append(Wref + r * g / gn)
            worst = max(float((g * (V - W)).sum()) for V in points)
            out[p + f"slqc@{k}"] = bool(f - f_ref <= e or (gn > 0 and worst <= 0))
    return out
