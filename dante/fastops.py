"""Fast kernels for the activations of :mod:`slqc.activations`, with the same values and subgradients.

``slqc``'s generalized ReLU (Definition 3 of Sinha et al., 2020) is written with ``torch.where``
for clarity: ``phi(t) = where(t >= 0, b t, a t)``, ``g(t) = a`` for ``t < 0`` and ``b`` for
``t >= 0`` (``g(0) = b``). On this project's CPU build ``where`` and the comparison behind it are
slow: a forward and backward on a ``64 x 100`` minibatch cost 2-4x what ``F.leaky_relu`` costs, a
forward on ``8192 x 100`` 20-45x (``python -m dante.bench --micro``; docs/dante/bench_micro.txt).
:mod:`dante` therefore applies the activations through this module, which gives, for
the unit generalized ReLU (``b = 1``; the paper's experiments use ``a = 0.01, b = 1``):

* the same values: ``F.leaky_relu(t, a)`` is ``t`` for ``t > 0`` and ``a t`` otherwise, and
  ``where(t >= 0, 1 * t, a t)`` is ``t`` for ``t >= 0`` and ``a t`` otherwise; they differ only at
  ``t = 0``, where both are ``0`` (``a * 0 = 0``, ``a * -0 = -0 = 1 * -0``), so the two are equal
  bit for bit;
* the same subgradient, ``g(0) = b`` included: ``leaky_relu_backward`` multiplies by ``a`` where
  ``t <= 0``, which differs from Definition 3 only where ``t`` is exactly ``0`` (or ``-0``); a
  minibatch with such an entry (``count_nonzero``) takes the ``where`` path instead (off the CPU
  the ``where`` path is always taken: the zero test would synchronize the device every step).

Every other activation (``b != 1``, ReLU, sigmoid, identity, softmax) uses ``slqc``'s own code, so
this module changes no number anywhere; ``tests/dante/test_fastops.py`` checks it against ``slqc``
bit for bit, at zeros and signed zeros included.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from slqc.activations import Activation

__all__ = ["activate", "grad_mul", "unit_generalized_relu"]


def unit_generalized_relu(act: Activation) -> bool:
    """Whether ``act`` is the generalized ReLU with ``b = 1`` (the case this module speeds up)."""
    return act.name == "generalized_relu" and act.b == 1.0


def _grelu_backward(delta: torch.Tensor, z: torch.Tensor, a: float) -> torch.Tensor:
    """``delta * g(z)`` for the unit generalized ReLU, ``g(t) = a`` (``t < 0``), ``1`` (``t >= 0``).

    On the CPU the zero test reads one number back; on an accelerator that would synchronize every
    step, so there ``where`` (fast there) is used directly.
    """
    if z.device.type == "cpu" and int(torch.count_nonzero(z)) == z.numel():  # no t = 0 (nor -0): t > 0 is t >= 0
        return torch.ops.aten.leaky_relu_backward(delta, z, a, False)
    return torch.where(z >= 0, delta, delta * a)


class _UnitGeneralizedReLU(torch.autograd.Function):
    """Autograd node of the unit generalized ReLU: ``F.leaky_relu`` forward, Definition 3 backward."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, a: float) -> torch.Tensor:  # noqa: D102
        ctx.save_for_backward(z)
        ctx.a = a
        return F.leaky_relu(z, a)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        (z,) = ctx.saved_tensors
        return _grelu_backward(grad, z, ctx.a), None


def activate(act: Activation, z: torch.Tensor) -> torch.Tensor:
    """``act.phi(z)``, through a fast kernel for the unit generalized ReLU (equal bit for bit).

    Args:
        act: an :mod:`slqc.activations` object.
        z: pre-activations.

    Returns:
        ``phi(z)``; under autograd its gradient is ``g(z)`` of Definition 3 (``g(0) = b``).
    """
    if unit_generalized_relu(act):
        if z.requires_grad and torch.is_grad_enabled():
            return _UnitGeneralizedReLU.apply(z, act.a)
        return F.leaky_relu(z, act.a)
    return act.phi(z)


def grad_mul(act: Activation, z: torch.Tensor, delta: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """``delta * g(z)``, the chain rule through an elementwise activation (may reuse ``delta``'s storage).

    Args:
        act: an elementwise :mod:`slqc.activations` object.
        z: pre-activations.
        delta: the gradient with respect to ``phi(z)``; modified in place except on the fast path.
        out: ``phi(z)`` if already computed (the sigmoid's ``phi' = phi (1 - phi)`` uses it).

    Returns:
        The gradient with respect to ``z``.
    """
    if unit_generalized_relu(act):
        return _grelu_backward(delta, z, act.a)
    if act.name == "identity":
        return delta
    if act.name == "sigmoid":
        s = torch.sigmoid(z) if out is None else out
        return delta.mul_(s.mul(1 - s))
    return delta.mul_(act.grad(z))
