"""Activations used by DANTE: :mod:`slqc.activations` (one implementation, the paper's convention).

The network and the closed-form layer gradients use the objects of :mod:`slqc.activations`, so
the generalized ReLU of Definition 3 (section 3.2.1) has the subgradient the paper fixes,
``g(t) = a`` for ``t < 0`` and ``b`` for ``t >= 0`` (``g(0) = b``), in training, in the
instruments and in the theory checks alike.

Names: the canonical names are slqc's (``generalized_relu``, ``relu``, ``sigmoid``, ``identity``);
the names ``dante`` users know are aliases: ``leaky_relu`` = ``generalized_relu`` (slopes ``a, b``,
``a = 0.01, b = 1`` in the paper's experiments, section 4.1) and ``linear`` = ``identity``.
"""

from __future__ import annotations

from slqc.activations import Activation, GeneralizedReLU, Identity, ReLU, Sigmoid
from slqc.activations import get_activation as _slqc_get_activation

__all__ = ["Activation", "GeneralizedReLU", "ReLU", "Sigmoid", "Identity", "get_activation", "canonical_name",
           "ACTIVATIONS", "ALIASES"]

#: canonical names accepted for hidden layers and outputs (slqc's names)
ACTIVATIONS = ("generalized_relu", "relu", "sigmoid", "identity")
#: names accepted on the command line and in configs, mapped to the canonical ones
ALIASES = {"leaky_relu": "generalized_relu", "grelu": "generalized_relu", "linear": "identity"}


def canonical_name(name: str) -> str:
    """The slqc name of an activation (``leaky_relu`` -> ``generalized_relu``, ``linear`` -> ``identity``).

    Raises:
        ValueError: unknown name.

    Example:
        >>> canonical_name("leaky_relu"), canonical_name("linear")
        ('generalized_relu', 'identity')
    """
    key = str(name).lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        known = ", ".join(ACTIVATIONS + tuple(ALIASES))
        raise ValueError(f"unknown activation {name!r}; choose one of {known}")
    return key


def get_activation(name: str, a: float = 0.01, b: float = 1.0) -> Activation:
    """The :mod:`slqc.activations` object for a name or alias.

    Args:
        name: ``generalized_relu`` (alias ``leaky_relu``) | ``relu`` | ``sigmoid`` | ``identity``
            (alias ``linear``).
        a: negative-side slope of the generalized ReLU (Definition 3); ignored otherwise.
        b: positive-side slope of the generalized ReLU and of the ReLU; ignored otherwise.

    Returns:
        The activation object (``__call__`` applies phi, ``grad`` is the paper's subgradient g).

    Raises:
        ValueError: unknown name, or slopes outside ``0 < a <= b``.

    Example:
        >>> get_activation("leaky_relu").to_dict()
        {'name': 'generalized_relu', 'a': 0.01, 'b': 1.0}
    """
    if isinstance(name, Activation):
        return name
    key = canonical_name(name)
    if key == "generalized_relu":
        if not (0 < a <= b):
            raise ValueError(f"generalized_relu (leaky_relu) needs 0 < a <= b (Definition 3), got a={a}, b={b}")
        return _slqc_get_activation(key, a=float(a), b=float(b))
    if key == "relu":
        return _slqc_get_activation(key, b=float(b))
    return _slqc_get_activation(key)
