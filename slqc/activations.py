"""Activations of the paper with their constants (section 3.2, Definition 3; section 3.3).

Each activation carries what the theorems use: the function phi, the subgradient g that
the paper fixes (Definition 3: g(t) = a for t < 0 and b for t >= 0, so g(0) = b), the
Lipschitz constant, and the bounds a <= g <= b on its slope.

=====================  ==========================  ===========  =========  =========
name                   phi(t)                      Lipschitz    min slope  max slope
=====================  ==========================  ===========  =========  =========
generalized_relu(a,b)  a t (t <= 0), b t (t > 0)   b            a          b
relu(b)                b max(t, 0)                 b            0          b
sigmoid                1 / (1 + e^{-t})            1/4          0 (inf)    1/4
softmax                exp(t_j) / sum_k exp(t_k)   1 (see doc)  --         --
=====================  ==========================  ===========  =========  =========

The leaky ReLU of the experiments is ``generalized_relu(a=0.01, b=1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from . import _validate as V

ACTIVATIONS = ("generalized_relu", "relu", "sigmoid", "softmax", "identity")


@dataclass(frozen=True)
class Activation:
    """Base class: an activation with the constants the paper's proofs use.

    Attributes:
        name: registry name.
        a: lower bound on the subgradient g (inf over R).
        b: upper bound on g (sup over R).
        lipschitz: Lipschitz constant of phi.
        elementwise: True when phi acts on each coordinate separately.
    """

    name: str = field(default="", init=False)
    a: float = field(default=0.0, init=False)
    b: float = field(default=1.0, init=False)
    lipschitz: float = field(default=1.0, init=False)
    elementwise: bool = field(default=True, init=False)

    def phi(self, t: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad(self, t: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        return self.phi(t)

    def to_dict(self) -> dict:
        """JSON-ready description (name and parameters)."""
        return {"name": self.name, "a": self.a, "b": self.b}


def exact_rise(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor | None:
    """A step d with a + d == b exactly in the dtype of a and b (elementwise), or None.

    d is b - a up to a few ulps; it need not exist (when a has finer bits than b, every sum
    a + d can be a tie that rounds to even, and b's last bit is odd).
    """
    d = b - a
    for _ in range(8):
        s = a + d
        if torch.equal(s, b):
            return d
        d = torch.where(s > b, torch.nextafter(d, torch.full_like(d, -math.inf)),
                        torch.where(s < b, torch.nextafter(d, torch.full_like(d, math.inf)), d))
    return None


def two_slopes(t: torch.Tensor, a, b, d=None, out: torch.Tensor | None = None) -> torch.Tensor:
    """g(t) = a for t < 0 (and NaN), b for t >= 0, to the last bit; constant for autograd (g' = 0).

    a, b (and d) are numbers or tensors broadcastable to t (per-instance slopes). With d
    (:func:`exact_rise`: a + d == b exactly) g = [t >= 0] d + a; without it
    g = [t >= 0] b + (1 - [t >= 0]) a, where one product is an exact 0. Either way ``g * t``
    equals ``where(t >= 0, b t, a t)``. The comparison is written straight into a float
    tensor (``out``, a float buffer of t's shape, when given); on CPU this is several times faster
    than ``torch.where``.
    """
    t = t.detach()
    try:
        ge = torch.ge(t, 0, out=torch.empty_like(t) if out is None else out)
    except RuntimeError:  # torch.func transforms (vmap) take no out=
        ge = (t >= 0).to(t.dtype)
    if d is not None:
        return ge.mul_(d).add_(a)
    lt = 1 - ge
    if torch.is_tensor(a):
        return ge.mul_(b).addcmul_(lt, a)
    return ge.mul_(b).add_(lt, alpha=a)


class GeneralizedReLU(Activation):
    """Definition 3: phi(t) = a t for t <= 0 and b t for t > 0, with 0 < a <= b.

    Subgradient (paper's convention): g(t) = a for t < 0, b for t >= 0. Autograd through
    :meth:`phi` selects the ``b`` branch at 0, so autograd gradients match g exactly.
    """

    def __init__(self, a: float = 0.01, b: float = 1.0):
        a = V.positive("a (generalized ReLU slope for t <= 0)", a)
        b = V.positive("b (generalized ReLU slope for t > 0)", b)
        if a > b:
            raise ValueError(f"generalized ReLU needs 0 < a <= b, got a={a} > b={b}")
        object.__setattr__(self, "name", "generalized_relu")
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "lipschitz", b)

    def phi(self, t: torch.Tensor) -> torch.Tensor:
        return self.grad(t) * t

    def grad(self, t: torch.Tensor) -> torch.Tensor:
        return two_slopes(t, self.a, self.b, self._rise(t.dtype))

    def _rise(self, dtype: torch.dtype) -> float | None:
        """d with a + d == b exactly in ``dtype`` (:func:`exact_rise`; cached per dtype), or None."""
        cache = self.__dict__.setdefault("_exact", {})
        if dtype not in cache:
            d = exact_rise(torch.tensor(self.a, dtype=dtype), torch.tensor(self.b, dtype=dtype))
            cache[dtype] = None if d is None else float(d)
        return cache[dtype]

    def __repr__(self) -> str:
        return f"GeneralizedReLU(a={self.a}, b={self.b})"


class ReLU(GeneralizedReLU):
    """Standard ReLU scaled by b (section 3.2.5): g(t) = 0 for t < 0 and b for t >= 0."""

    def __init__(self, b: float = 1.0):
        b = V.positive("b (ReLU slope)", b)
        object.__setattr__(self, "name", "relu")
        object.__setattr__(self, "a", 0.0)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "lipschitz", b)

    def to_dict(self) -> dict:
        return {"name": self.name, "b": self.b}

    def __repr__(self) -> str:
        return f"ReLU(b={self.b})"


class Sigmoid(Activation):
    """phi(t) = 1 / (1 + e^{-t}); phi' = phi (1 - phi) in (0, 1/4]."""

    def __init__(self):
        object.__setattr__(self, "name", "sigmoid")
        object.__setattr__(self, "a", 0.0)
        object.__setattr__(self, "b", 0.25)
        object.__setattr__(self, "lipschitz", 0.25)

    def phi(self, t: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(t)

    def grad(self, t: torch.Tensor) -> torch.Tensor:
        s = torch.sigmoid(t)
        return s * (1 - s)

    def to_dict(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return "Sigmoid()"


class Softmax(Activation):
    """Softmax over the last axis (the outputs of a layer).

    Its Jacobian diag(p) - p p^T has spectral norm <= 1/2, so softmax is 1/2-Lipschitz
    in the Euclidean norm (and 1-Lipschitz as a conservative constant).
    """

    def __init__(self):
        object.__setattr__(self, "name", "softmax")
        object.__setattr__(self, "a", 0.0)
        object.__setattr__(self, "b", 0.5)
        object.__setattr__(self, "lipschitz", 0.5)
        object.__setattr__(self, "elementwise", False)

    def phi(self, t: torch.Tensor) -> torch.Tensor:
        return torch.softmax(t, dim=-1)

    def grad(self, t: torch.Tensor) -> torch.Tensor:
        raise ValueError("softmax is not elementwise; use autograd or its Jacobian diag(p) - p p^T")

    def to_dict(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return "Softmax()"


class Identity(Activation):
    """phi(t) = t (a linear layer); slope 1 everywhere."""

    def __init__(self):
        object.__setattr__(self, "name", "identity")
        object.__setattr__(self, "a", 1.0)
        object.__setattr__(self, "b", 1.0)
        object.__setattr__(self, "lipschitz", 1.0)

    def phi(self, t: torch.Tensor) -> torch.Tensor:
        return t

    def grad(self, t: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(t)

    def to_dict(self) -> dict:
        return {"name": self.name}


def get_activation(name: str, a: float | None = None, b: float | None = None) -> Activation:
    """Build an activation by name.

    Args:
        name: one of ``generalized_relu`` (alias ``grelu``, ``leaky_relu``), ``relu``,
            ``sigmoid``, ``softmax``, ``identity``.
        a: lower slope (generalized ReLU; default 0.01).
        b: upper slope (generalized ReLU and ReLU; default 1).

    Raises:
        ValueError: unknown name or invalid slopes (a <= 0, a > b).

    Example:
        >>> get_activation("generalized_relu", a=0.1, b=1.0).lipschitz
        1.0
    """
    if isinstance(name, Activation):
        return name
    key = str(name).lower().replace("-", "_")
    if key in ("generalized_relu", "grelu", "leaky_relu"):
        return GeneralizedReLU(0.01 if a is None else a, 1.0 if b is None else b)
    if key == "relu":
        if a not in (None, 0, 0.0):
            raise ValueError("relu has a = 0 by definition; use generalized_relu for a > 0")
        return ReLU(1.0 if b is None else b)
    if key == "sigmoid":
        return Sigmoid()
    if key == "softmax":
        return Softmax()
    if key == "identity":
        return Identity()
    raise ValueError(f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}")

