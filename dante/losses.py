"""Losses of the DANTE paper (Sinha et al., 2020): squared error (Eq. 3-4) and cross-entropy (section 3.3).

* ``mse``: ``f = (1/m) sum_i ||y_i - yhat_i||_2^2``: the empirical error of Definition 2 and
  Theorems 3-5 (mean over samples, *sum* over outputs), with one-hot targets for classifiers.
  Note: this is ``n_out`` times PyTorch's ``MSELoss`` (which also averages over outputs).
* ``cross_entropy``: ``f = -(1/m) sum_i log softmax(z_i)[y_i]`` on the output layer's pre-activations
  ``z`` (Theorem 7's softmax output), computed stably with ``log_softmax``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "loss_value", "one_hot"]

LOSSES = ("mse", "cross_entropy")


def one_hot(y: torch.Tensor, n_classes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """One-hot targets, shape ``(m, n_classes)``, for the squared loss of a classifier."""
    return F.one_hot(y.long(), n_classes).to(dtype)


def loss_value(name: str, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean loss over a batch.

    Args:
        name: ``mse`` or ``cross_entropy``.
        output: network output, shape ``(m, k)``: activations for ``mse``, logits for ``cross_entropy``.
        target: shape ``(m, k)`` float targets for ``mse``; shape ``(m,)`` int64 labels for
            ``cross_entropy``.

    Returns:
        Scalar tensor.

    Raises:
        ValueError: unknown loss name.

    Example:
        >>> float(loss_value("mse", torch.zeros(2, 3), torch.ones(2, 3)))
        3.0
    """
    if name == "mse":
        return (output - target).pow(2).sum(dim=1).mean()
    if name == "cross_entropy":
        return F.cross_entropy(output, target)
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
