"""Closed-form minibatch gradient of one layer seen as a set of GLMs (Sinha et al., 2020, section 5.4).

With every other layer fixed and its input ``a`` cached (DANTE's outer phase, Algorithm 2), the
layer problem is ``f(W, b) = (1/m) sum_i J(phi(a_i W + b), t_i)``, whose gradient is

    delta = dJ/dz  (m, n_l),   grad_W = a^T delta  (n_{l-1}, n_l),   grad_b = sum_i delta_i  (n_l,)

with ``dJ/dz = (2/m) (phi(z) - t) * g(z)`` for the squared loss (``g`` the subgradient of
:mod:`slqc.activations`, ``g(0) = b`` for the generalized ReLU, Definition 3) and
``(softmax(z) - onehot(t)) / m`` for cross-entropy on logits. Writing it out skips building an
autograd graph each step; the tests compare it with autograd and with
:meth:`slqc.models.GLMObjective.value_and_grad` (twins).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .losses import canonical_loss

__all__ = ["glm_step_grads", "supports_closed_form"]


def supports_closed_form(model, layer: int, loss: str) -> bool:
    """Whether :func:`glm_step_grads` covers this layer/loss (else the trainer uses autograd)."""
    phi = model.output_activation if layer == model.n_layers else model.activation
    if canonical_loss(loss) == "ce":
        return layer == model.n_layers and phi.name == "identity"
    return phi.elementwise


@torch.no_grad()
def glm_step_grads(model, layer: int, a: torch.Tensor, t: torch.Tensor, loss: str) -> torch.Tensor:
    """Set ``.grad`` of ``W_l`` (and ``b_l``) to the minibatch gradient; return the minibatch loss.

    Args:
        model: the :class:`dante.model.MLP`.
        layer: 1-based layer ``l``.
        a: layer input ``(m, n_{l-1})``.
        t: targets: ``(m, n_l)`` floats for the squared loss, ``(m,)`` labels for ``ce``.
        loss: ``squared`` (``mse``) | ``ce`` (``cross_entropy``).

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
    if canonical_loss(loss) == "ce":
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
        g = out.mul(1 - out) if phi.name == "sigmoid" else phi.grad(z)  # sigmoid: phi' = phi (1 - phi)
        delta = r.mul_(g).mul_(2.0 / m)
    W.grad = a.T @ delta
    if model.has_bias:
        model.biases[layer - 1].grad = delta.sum(0)
    return value
