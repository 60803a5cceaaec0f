"""Stochastic Normalized Gradient Descent: Algorithm 1 of the DANTE paper (Sinha et al., 2020, section 3.4.1).

The step is ``w <- w - eta * g / ||g||`` where the norm is the Euclidean (Frobenius) norm of the
gradient of *one parameter group*, taken over all parameters of the group together (Hazan, Levy
and Shalev-Shwartz, 2015). DANTE puts one layer (its weight and bias) in each group, so each layer
moves a distance ``eta`` per step, whatever the scale of its gradient (Theorem 8 takes
``eta = epsilon / kappa``).

Momentum (the paper's "DANTE + Momentum", Table 1) is applied to the normalized direction:
``v <- mu v + g / ||g||; w <- w - eta v``. A zero gradient gives a zero direction (no division by
zero): with ``mu = 0`` the weights do not move.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch

__all__ = ["SNGD"]


class SNGD(torch.optim.Optimizer):
    """Stochastic Normalized Gradient Descent (Algorithm 1), one normalization per parameter group.

    Args:
        params: parameters or parameter groups (``torch.optim`` conventions); the norm ``||g||`` is
            taken over each group's gradients jointly. Parameters whose ``.grad`` is ``None`` are
            skipped and do not enter the norm.
        lr: step length ``eta > 0``: each group moves exactly ``eta`` per step when ``momentum = 0``.
        momentum: ``mu in [0, 1)`` applied to the normalized direction.

    Raises:
        ValueError: ``lr <= 0`` or momentum outside ``[0, 1)``.

    Example:
        >>> w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
        >>> opt = SNGD([w], lr=0.5)
        >>> w.grad = torch.tensor([3.0, 4.0]); opt.step(); w.data
        tensor([2.7000, 3.6000])
    """

    def __init__(self, params: Iterable, lr: float = 0.01, momentum: float = 0.0) -> None:
        if not (lr > 0):
            raise ValueError(f"SNGD needs lr > 0, got {lr}")
        if not (0.0 <= momentum < 1.0):
            raise ValueError(f"SNGD needs 0 <= momentum < 1, got {momentum}")
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One normalized step per group.

        Args:
            closure: optional callable that re-evaluates the loss (``torch.optim`` convention).

        Returns:
            The closure's loss, or ``None``.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
            lr, mu = group["lr"], group["momentum"]
            # g / ||g||, and the zero direction when g = 0 (Algorithm 1 would divide by zero).
            scale = 1.0 / norm if norm > 0 else 0.0
            if mu == 0:
                if scale > 0:
                    torch._foreach_add_(params, grads, alpha=-lr * scale)
                continue
            for p, g in zip(params, grads):
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g * scale
                else:
                    buf.mul_(mu).add_(g, alpha=scale)
                p.add_(buf, alpha=-lr)
        return loss
