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

from .activations import Activation

LOSSES = ("squared", "bce", "ce")


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
