"""Closed-form minibatch gradient of one layer seen as a set of GLMs (Sinha et al., 2020, section 5.4).

With every other layer fixed and its input ``a`` cached (DANTE's outer phase, Algorithm 2), the
layer problem is ``f(W, b) = (1/m) sum_i J(phi(a_i W + b), t_i)``, whose gradient is

    delta = dJ/dz  (m, n_l),   grad_W = a^T delta  (n_{l-1}, n_l),   grad_b = sum_i delta_i  (n_l,)

with ``dJ/dz = (2/m) (phi(z) - t) * phi'(z)`` for the squared loss and
``(softmax(z) - onehot(t)) / m`` for cross-entropy on logits. Writing it out skips building an
autograd graph each step; the tests compare it with autograd (a brute-force twin).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["glm_step_grads", "supports_closed_form"]


def supports_closed_form(model, layer: int, loss: str) -> bool:
    """Whether :func:`glm_step_grads` covers this layer/loss (else the trainer uses autograd)."""
    phi = model.output_activation if layer == model.n_layers else model.activation
    if loss == "cross_entropy":
        return layer == model.n_layers and phi.name == "linear"
    return loss == "mse" and hasattr(phi, "derivative")


@torch.no_grad()
def glm_step_grads(model, layer: int, a: torch.Tensor, t: torch.Tensor, loss: str) -> torch.Tensor:
    """Set ``.grad`` of ``W_l`` (and ``b_l``) to the minibatch gradient; return the minibatch loss.

    Args:
        model: the :class:`dante.model.MLP`.
        layer: 1-based layer ``l``.
        a: layer input ``(m, n_{l-1})``.
        t: targets: ``(m, n_l)`` floats for ``mse``, ``(m,)`` labels for ``cross_entropy``.
        loss: ``mse`` | ``cross_entropy``.

    Returns:
        The scalar minibatch loss (same definition as :func:`dante.losses.loss_value`).
    """
    W = model.weights[layer - 1]
    m = a.shape[0]
    if model.has_bias:
        b = model.biases[layer - 1]
        z = torch.addmm(b, a, W)
    else:
        z = a @ W
    if loss == "cross_entropy":
        logp = F.log_softmax(z, dim=1)
        value = -logp.gather(1, t.view(-1, 1)).mean()
        delta = logp.exp_()
        delta[torch.arange(m, device=z.device), t] -= 1.0
        delta /= m
    else:
        phi = model.output_activation if layer == model.n_layers else model.activation
        out = phi(z)
        r = out - t
        value = r.pow(2).sum() / m
        delta = r.mul_(phi.derivative(z, out)).mul_(2.0 / m)
    W.grad = a.T @ delta
    if model.has_bias:
        model.biases[layer - 1].grad = delta.sum(0)
    return value
