"""Activation functions of the DANTE paper (Sinha et al., 2020), section 3.2.1 and section 4.1.

* ``leaky_relu``: the generalized ReLU of Definition 3, ``phi(x) = a x`` for ``x <= 0`` and ``b x``
  for ``x > 0`` with ``0 < a <= b``; the experiments of section 4.1 use ``a = 0.01, b = 1``.
* ``relu``: the standard ReLU (``a = 0``), section 3.2.5 (Corollaries 1-2).
* ``sigmoid``: the logistic function of Hazan et al. (2015), the GLM of Definition 2.
* ``linear``: identity, offered for regression outputs (not used by the paper).

Each activation is an object with ``name``, the slopes ``a`` and ``b`` where they exist, and a
vectorized ``__call__`` on tensors of any shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Activation", "GeneralizedReLU", "Sigmoid", "Identity", "get_activation", "ACTIVATIONS"]


class Activation:
    """Element-wise activation ``phi``; subclasses implement :meth:`__call__`."""

    name: str = "activation"

    def __call__(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def derivative(self, z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """``phi'(z)`` (a subgradient where ``phi`` has a kink), given ``out = phi(z)``; same shape as ``z``."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        """JSON-ready description (used in ``config.json`` and the claimed-kappa formulas)."""
        return {"name": self.name}


@dataclass(frozen=True)
class GeneralizedReLU(Activation):
    """Generalized ReLU of Definition 3 (section 3.2.1): slope ``a`` below zero, ``b`` above.

    ``a = 0.01, b = 1`` is the leaky ReLU of the experiments (section 4.1); ``a = 0`` is the ReLU
    of section 3.2.5, which Definition 3 excludes (it needs ``0 < a <= b``).

    Example:
        >>> GeneralizedReLU(0.01, 1.0)(torch.tensor([-2.0, 3.0]))
        tensor([-0.0200,  3.0000])
    """

    a: float = 0.01
    b: float = 1.0
    name: str = "leaky_relu"

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """Apply ``phi`` element-wise; any shape."""
        if self.b == 1.0:
            if self.a == 0.0:
                return torch.relu(z)
            return torch.nn.functional.leaky_relu(z, self.a)
        return torch.where(z > 0, self.b * z, self.a * z)

    def derivative(self, z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Slope ``b`` where ``z > 0``, ``a`` elsewhere (PyTorch's choice at ``z = 0``; Definition 3's
        ``g`` takes ``b`` there, a measure-zero difference)."""
        return torch.where(z > 0, self.b, self.a).to(z.dtype)

    def to_dict(self) -> dict:
        return {"name": self.name, "a": self.a, "b": self.b}


class Sigmoid(Activation):
    """Logistic sigmoid ``1 / (1 + exp(-z))`` (Hazan et al., 2015; paper section 3.2)."""

    name = "sigmoid"

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z)

    def derivative(self, z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return out * (1 - out)


class Identity(Activation):
    """Identity ``phi(z) = z`` (a linear output layer; not part of the paper's theory)."""

    name = "linear"

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return z

    def derivative(self, z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(z)


ACTIVATIONS = ("leaky_relu", "sigmoid", "relu", "linear")


def get_activation(name: str, a: float = 0.01, b: float = 1.0) -> Activation:
    """Activation by name.

    Args:
        name: ``leaky_relu`` | ``sigmoid`` | ``relu`` | ``linear``.
        a: negative-side slope of the generalized ReLU (Definition 3); ignored otherwise.
        b: positive-side slope of the generalized ReLU; ignored otherwise.

    Returns:
        The activation object.

    Raises:
        ValueError: unknown name, or slopes outside ``0 <= a <= b`` with ``b > 0``.
    """
    if name == "leaky_relu":
        if not (0 < a <= b):
            raise ValueError(f"leaky_relu needs 0 < a <= b (Definition 3), got a={a}, b={b}")
        return GeneralizedReLU(float(a), float(b), "leaky_relu")
    if name == "relu":
        return GeneralizedReLU(0.0, 1.0, "relu")
    if name == "sigmoid":
        return Sigmoid()
    if name == "linear":
        return Identity()
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
