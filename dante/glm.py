"""Closed-form minibatch gradient of one layer seen as a set of GLMs (Sinha et al., 2020, section 5.4).

With every other layer fixed and its input ``a`` cached (DANTE's outer phase, Algorithm 2), the
layer problem is ``f(W, b) = (1/m) sum_i J(phi(a_i W + b), t_i)``, whose gradient is

    delta = dJ/dz  (m, n_l),   grad_W = a^T delta  (n_{l-1}, n_l),   grad_b = sum_i delta_i  (n_l,)

with ``dJ/dz = (2/m) (phi(z) - t) * g(z)`` for the squared loss (``g`` the subgradient of
:mod:`slqc.activations`, ``g(0) = b`` for the generalized ReLU, Definition 3) and
``(softmax(z) - onehot(t)) / m`` for cross-entropy on logits. Writing it out skips building an
autograd graph each step; the tests compare it with autograd and with
:meth:`slqc.models.GLMObjective.value_and_grad` (twins).

The inner phase of DANTE trains the first layer of a path ``l, l+1, ..., L`` (or the inner layer
``k`` of a greedy pair ``(k, L+1-k)``) with the layers after it fixed: :func:`path_step_grads` writes
that gradient out by the chain rule, ``delta_j = (delta_{j+1} W_{j+1}^T) * g(z_j)``, without an
autograd graph, and touches no fixed layer's parameters (no ``grad_W`` of the outer layer is formed).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .fastops import activate, grad_mul
from .losses import canonical_loss

__all__ = ["glm_step_grads", "path_step_grads", "supports_closed_form", "supports_closed_form_path"]


def _phi(model, layer: int):
    return model.output_activation if layer == model.n_layers else model.activation


def supports_closed_form(model, layer: int, loss: str) -> bool:
    """Whether :func:`glm_step_grads` covers this layer/loss (else the trainer uses autograd)."""
    phi = _phi(model, layer)
    if canonical_loss(loss) == "ce":
        return layer == model.n_layers and phi.name == "identity"
    return phi.elementwise


def supports_closed_form_path(model, path, loss: str) -> bool:
    """Whether :func:`path_step_grads` covers this path/loss: elementwise activations on the path,
    and for ``ce`` a path ending in the linear output layer."""
    path = tuple(path)
    if not path or not all(_phi(model, l).elementwise for l in path):
        return False
    if canonical_loss(loss) == "ce":
        return path[-1] == model.n_layers and _phi(model, path[-1]).name == "identity"
    return True


def _output_delta(model, layer: int, z: torch.Tensor, out: torch.Tensor, t: torch.Tensor, loss: str):
    """``(loss value, dJ/dz)`` at the last layer of a path (mean over the ``m`` rows)."""
    m = z.shape[0]
    if canonical_loss(loss) == "ce":
        logp = F.log_softmax(z, dim=1)
        value = -logp.gather(1, t.view(-1, 1)).mean()
        delta = logp.exp_()
        delta[torch.arange(m, device=z.device), t] -= 1.0
        delta /= m
        return value, delta
    r = out - t
    value = r.pow(2).sum() / m
    delta = grad_mul(_phi(model, layer), z, r, out).mul_(2.0 / m)  # sigmoid: phi' = phi (1 - phi)
    return value, delta


def _set_grads(model, layer: int, a: torch.Tensor, delta: torch.Tensor) -> None:
    model.weights[layer - 1].grad = a.T @ delta
    if model.has_bias:
        model.biases[layer - 1].grad = delta.sum(0)


def _pre(model, layer: int, a: torch.Tensor) -> torch.Tensor:
    W = model.weights[layer - 1]
    return torch.addmm(model.biases[layer - 1], a, W) if model.has_bias else a @ W


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
    return path_step_grads(model, (layer,), a, t, loss)


@torch.no_grad()
def path_step_grads(model, path, a: torch.Tensor, t: torch.Tensor, loss: str) -> torch.Tensor:
    """Set ``.grad`` of the first layer of ``path`` to the minibatch gradient, the others fixed.

    The loss is ``(1/m) sum_i J(phi_L(... phi_l(a_i W_l + b_l) ...), t_i)`` over the layers of
    ``path`` (DANTE's inner phase, Algorithm 2, trains ``W_1`` through the fixed ``W_2``); forward
    once, then ``delta`` is carried back through the fixed layers by the chain rule and only
    ``grad_{W_l}, grad_{b_l}`` of the first layer are formed.

    Args:
        model: the :class:`dante.model.MLP`.
        path: the layers applied to ``a``, in order; ``path[0]`` is trained.
        a: input of ``path[0]``, ``(m, n_{l-1})``.
        t: targets: ``(m, n_L)`` floats for the squared loss, ``(m,)`` labels for ``ce``.
        loss: ``squared`` (``mse``) | ``ce`` (``cross_entropy``).

    Returns:
        The scalar minibatch loss (same definition as :func:`dante.losses.loss_value`).
    """
    path = tuple(path)
    zs, outs, h = [], [], a
    for l in path:
        z = _pre(model, l, h)
        h = activate(_phi(model, l), z)
        zs.append(z)
        outs.append(h)
    value, delta = _output_delta(model, path[-1], zs[-1], outs[-1], t, loss)
    for j in range(len(path) - 1, 0, -1):
        delta = delta @ model.weights[path[j] - 1].T
        delta = grad_mul(_phi(model, path[j - 1]), zs[j - 1], delta, outs[j - 1])
    _set_grads(model, path[0], a, delta)
    return value
