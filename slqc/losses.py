"""Losses of the paper: squared error (section 3.2) and cross-entropy (section 3.3).

Each loss maps pre-activations ``t`` (…, k) or (…,), targets ``y`` of the same shape
and an activation to the per-sample loss, summed over outputs (the paper's
``||y_i - phi(<W, x_i>)||^2`` and ``-sum_j y_ij log p_ij``). The objective of a model is the
mean of these over samples.

Cross-entropy is computed from the logits: binary as softplus(t) - y t (one transcendental
pass), multi-class by log-softmax. Both are stable where p is close to 0 or 1; the binary form's
rounding error is a few ulps of |t| per sample, absolutely (tests/slqc/test_losses_precision.py),
not relative to a tiny per-sample loss, which the checks never need (they compare gaps with eps).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ._branch import branch
from .activations import Activation

LOSSES = ("squared", "bce", "ce")

#: The summed cross-entropies' fast forms (:func:`softplus_sum`, :func:`logsumexp_sum`, on the CPU) take
#: blocks with |t| <= FAST_T_MAX; their logarithms are of products of 2**_HALVINGS factors, each at most
#: k e^64 and at least e^-64, so the products stay normal numbers (8 (64 + log k) < 708 for k < 4e10).
FAST_T_MAX = 64.0
_HALVINGS = 3


def sum_log(e: torch.Tensor) -> torch.Tensor:
    """sum over the last axis of log(e) for positive finite e, as the logarithms of products of up to
    2**_HALVINGS entries (one logarithm per 8 entries; the caller keeps the products finite and
    normal). The rounding adds a few ulps of each product, so the error is a few ulps of 1 per entry
    plus an ulp of each logarithm: that of the per-entry sum."""
    rest = []
    for _ in range(_HALVINGS):
        n = e.shape[-1]
        if n < 2:
            break
        h = n // 2
        if n % 2:
            rest.append(e[..., 2 * h:])
        e = e[..., :h] * e[..., h:2 * h]
    out = torch.log(e).sum(-1)
    for r in rest:
        out += torch.log(r).sum(-1)
    return out


def _fast(t: torch.Tensor, two_sided: bool) -> bool:
    """True when the fast forms take the block t: on the CPU (a host read of its range), every
    entry at most FAST_T_MAX (and, ``two_sided``, at least -FAST_T_MAX); NaN never is."""
    if branch(t.device) != "cpu" or t.numel() == 0:
        return False
    if not two_sided:
        return bool(t.amax() <= FAST_T_MAX)
    lo, hi = torch.aminmax(t)
    return bool((lo >= -FAST_T_MAX) & (hi <= FAST_T_MAX))


def softplus_sum(t: torch.Tensor) -> torch.Tensor:
    """sum over the last axis of softplus(t) = log(1 + e^t): binary cross-entropy's nonlinear part.

    Fast form (:func:`_fast`): the logarithm of products of 1 + e^t (one exponential per entry,
    a logarithm per 8; 2.15-2.35x faster than a log-sigmoid pass in ``docs/pass_bench.py``).
    Elsewhere (entries above FAST_T_MAX, NaN, a GPU): -log s(-t) entry by entry.
    """
    if _fast(t, two_sided=False):
        return sum_log(torch.exp(t).add_(1))
    return F.logsigmoid(-t).sum(-1).neg_()


def logsumexp_sum(t: torch.Tensor, axis: int, weights: torch.Tensor | None = None) -> torch.Tensor:
    """sum_i w_i log sum_j e^(t_ij): the outputs j on ``axis``, the samples i on the last axis of the
    rest (t (..., k, m) with axis -2, say), weights w broadcasting to (..., m) (None: all 1).

    Multi-class cross-entropy's nonlinear part (its linear part sum_ij y_ij t_ij is linear in the
    weights W, see ``GLMStack._loss_at``). Fast form (:func:`_fast`): one exponential per entry,
    without the shift by the maximum, and with unit weights the logarithm of products
    (:func:`sum_log`). Elsewhere: ``torch.logsumexp``.
    """
    if _fast(t, two_sided=True):
        s = torch.exp(t).sum(axis)
        return sum_log(s) if weights is None else (s.log_() * weights).sum(-1)
    lse = torch.logsumexp(t, dim=axis)
    return (lse if weights is None else lse * weights).sum(-1)


@dataclass(frozen=True)
class Loss:
    """A loss by name; :meth:`per_sample` returns the loss of each sample."""

    name: str

    def per_sample(self, t: torch.Tensor, y: torch.Tensor, act: Activation, multi: bool,
                   axis: int = -1) -> torch.Tensor:
        """Per-sample loss.

        Args:
            t: pre-activations, (..., m) for a single output or (..., m, k) for k outputs.
            y: targets broadcastable to ``t``.
            act: the output activation.
            multi: True when ``axis`` of ``t`` indexes outputs.
            axis: the outputs' axis (the last by default; the batched search lays them out
                (..., k, m), with axis -2, so that every pass runs over contiguous memory).

        Returns:
            Tensor (..., m).
        """
        if self.name == "squared":
            p = torch.softmax(t, dim=axis) if act.name == "softmax" else act.phi(t)
            r = p - y
            r2 = r * r
            return r2.sum(axis) if multi else r2
        if self.name == "bce":
            if act.name != "sigmoid":
                raise ValueError("bce (binary cross-entropy) needs the sigmoid activation")
            # -y log s(t) - (1 - y) log s(-t) = softplus(t) - y t, softplus(t) = -log s(-t) without a
            # threshold: one transcendental pass where the two log-sigmoids took two (docs/pass_bench.py)
            ll = F.logsigmoid(-t).neg_().sub_(y * t)
            return ll.sum(axis) if multi else ll
        if self.name == "ce":
            if act.name != "softmax" or not multi:
                raise ValueError("ce (multi-class cross-entropy) needs the softmax activation and 2-D targets (m, k)")
            return -(y * torch.log_softmax(t, dim=axis)).sum(axis)
        raise ValueError(f"unknown loss {self.name!r}; choose one of: {', '.join(LOSSES)}")


def get_loss(name: str) -> Loss:
    """Loss by name: ``squared`` (alias ``mse``), ``bce``, ``ce`` (alias ``cross_entropy``).

    Raises:
        ValueError: unknown name.
    """
    if isinstance(name, Loss):
        return name
    key = {"mse": "squared", "cross_entropy": "ce", "binary_cross_entropy": "bce"}.get(str(name), str(name))
    if key not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(LOSSES)}")
    return Loss(key)
