"""Losses used by DANTE: :mod:`slqc.losses` (squared error, Eq. 3-4; cross-entropy, section 3.3).

One implementation: the per-sample losses are slqc's :class:`slqc.losses.Loss`, whose objective is
the mean over samples of the loss *summed* over outputs (``err_hat`` of Definition 2):

* ``squared`` (alias ``mse``): ``f = (1/m) sum_i ||y_i - yhat_i||_2^2`` with one-hot targets for
  classifiers; this is ``n_out`` times PyTorch's ``MSELoss`` (which also averages over outputs).
* ``ce`` (alias ``cross_entropy``): ``f = -(1/m) sum_i log softmax(z_i)[y_i]`` on the output layer's
  pre-activations ``z`` (Theorem 7's softmax output), computed from the logits with ``log_softmax``.

The trainer keeps the names users know (``mse``, ``cross_entropy``) as aliases; :func:`canonical_loss`
maps them to slqc's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from slqc.activations import Identity, Softmax
from slqc.losses import LOSSES as _SLQC_LOSSES
from slqc.losses import get_loss

__all__ = ["LOSSES", "ALIASES", "canonical_loss", "loss_value", "one_hot"]

#: losses a network can be trained with (slqc names)
LOSSES = ("squared", "ce")
#: names accepted in configs and on the command line
ALIASES = {"mse": "squared", "cross_entropy": "ce"}

_IDENTITY, _SOFTMAX = Identity(), Softmax()


def canonical_loss(name: str) -> str:
    """slqc's name of a loss (``mse`` -> ``squared``, ``cross_entropy`` -> ``ce``).

    Raises:
        ValueError: unknown name, or a loss slqc has that DANTE does not train with (``bce``).

    Example:
        >>> canonical_loss("mse"), canonical_loss("cross_entropy")
        ('squared', 'ce')
    """
    key = ALIASES.get(str(name), str(name))
    if key not in LOSSES:
        known = ", ".join(LOSSES + tuple(ALIASES))
        extra = f" ({key} is an slqc loss without a DANTE network)" if key in _SLQC_LOSSES else ""
        raise ValueError(f"unknown loss {name!r}; choose one of {known}{extra}")
    return key


def one_hot(y: torch.Tensor, n_classes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """One-hot targets, shape ``(m, n_classes)``, for the squared loss of a classifier."""
    return F.one_hot(y.long(), n_classes).to(dtype)


def loss_value(name: str, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean loss over a batch, by :meth:`slqc.losses.Loss.per_sample`.

    Args:
        name: ``squared`` / ``mse`` or ``ce`` / ``cross_entropy``.
        output: network output, shape ``(m, k)``: activations for the squared loss, logits for ``ce``.
        target: shape ``(m, k)`` float targets for the squared loss; shape ``(m,)`` int64 labels
            (or ``(m, k)`` one-hot rows) for ``ce``.

    Returns:
        Scalar tensor.

    Raises:
        ValueError: unknown loss name.

    Example:
        >>> float(loss_value("mse", torch.zeros(2, 3), torch.ones(2, 3)))
        3.0
    """
    loss = get_loss(canonical_loss(name))
    if loss.name == "squared":  # the output is phi(t) already: squared loss of the identity on it
        return loss.per_sample(output, target, _IDENTITY, True).mean()
    if target.ndim == 1:
        target = one_hot(target, output.shape[1], output.dtype)
    return loss.per_sample(output, target, _SOFTMAX, True).mean()
