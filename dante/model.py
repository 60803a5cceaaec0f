"""The fully connected network of the DANTE paper (Sinha et al., 2020), section 3.1, Eq. (1).

Layer ``l`` (1-based, as in the paper) has weight ``W_l`` of shape ``(n_{l-1}, n_l)`` and bias
``b_l`` of shape ``(n_l,)`` and computes ``a_l = phi_l(a_{l-1} @ W_l + b_l)`` on a batch
``a_{l-1}`` of shape ``(m, n_{l-1})`` (the paper's ``phi<W_l, a_{l-1}>``; the theory has no bias,
pass ``bias=False`` to match it exactly).

Output layer: ``output_activation=None`` applies the hidden activation too (the paper's theory puts
``phi_2`` on the output, Eq. 4); ``"identity"`` (alias ``"linear"``) gives a linear output (the
trainer's default for classifiers, and logits for cross-entropy, whose softmax sits in the loss,
Theorem 7). Activations are :mod:`slqc.activations` objects (:mod:`dante.activations`), applied
through :mod:`dante.fastops` (the same values and subgradients, bit for bit, on faster kernels).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from .activations import Activation, get_activation
from .fastops import activate

__all__ = ["MLP", "parse_arch"]


def parse_arch(arch: str | Sequence[int]) -> list[int]:
    """Parse an architecture such as ``"784-100-10"`` into layer widths ``[n_0, ..., n_L]``.

    Args:
        arch: dash-separated positive integers (at least two), or a sequence of them.

    Returns:
        The widths as a list of ints.

    Raises:
        ValueError: fewer than two widths, or a width that is not a positive integer.

    Example:
        >>> parse_arch("64-100-10")
        [64, 100, 10]
    """
    if isinstance(arch, str):
        parts = [p.strip() for p in arch.strip().split("-")]
        try:
            widths = [int(p) for p in parts]
        except ValueError:
            raise ValueError(f"bad architecture {arch!r}: expected widths like 784-100-10") from None
    else:
        widths = [int(w) for w in arch]
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise ValueError(f"bad architecture {arch!r}: need at least two positive widths, like 784-100-10")
    return widths


class MLP(torch.nn.Module):
    """Multi-layer perceptron ``f(W; x) = phi_L<W_L, ... phi_1<W_1, x>>`` (Eq. 1).

    Args:
        widths: ``[n_0, ..., n_L]`` (see :func:`parse_arch`).
        activation: hidden activation (name or object), e.g. ``generalized_relu`` (alias
            ``leaky_relu``) with ``a = 0.01, b = 1``.
        output_activation: activation of layer ``L``: ``None`` means the hidden activation
            (paper, Eq. 4), ``"identity"`` (``"linear"``) a linear output / logits.
        bias: whether layers have biases ``b_l``.
        generator: torch RNG for the initialization.
        dtype: parameter dtype (float32 for training, float64 in the twin tests).

    Initialization: ``W_l ~ U(-1/sqrt(n_{l-1}), 1/sqrt(n_{l-1}))`` and the same for ``b_l``
    (PyTorch's ``nn.Linear`` default), drawn from ``generator``.

    Attributes:
        weights: ``ParameterList`` of ``W_l``, shapes ``(n_{l-1}, n_l)``; ``weights[l-1]`` is ``W_l``.
        biases: ``ParameterList`` of ``b_l`` (empty when ``bias=False``).

    Example:
        >>> net = MLP([4, 3, 2], generator=torch.Generator().manual_seed(0))
        >>> net(torch.zeros(5, 4)).shape
        torch.Size([5, 2])
    """

    def __init__(
        self,
        widths: Sequence[int] | str,
        activation: str | Activation = "generalized_relu",
        output_activation: str | Activation | None = None,
        bias: bool = True,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.widths = parse_arch(widths)
        self.activation = get_activation(activation) if isinstance(activation, str) else activation
        if output_activation is None:
            self.output_activation = self.activation
        elif isinstance(output_activation, str):
            self.output_activation = get_activation(output_activation)
        else:
            self.output_activation = output_activation
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for n_in, n_out in zip(self.widths[:-1], self.widths[1:]):
            bound = 1.0 / math.sqrt(n_in)
            w = (torch.rand(n_in, n_out, generator=generator, dtype=dtype) * 2 - 1) * bound
            self.weights.append(torch.nn.Parameter(w))
            if bias:
                b = (torch.rand(n_out, generator=generator, dtype=dtype) * 2 - 1) * bound
                self.biases.append(torch.nn.Parameter(b))
        self.has_bias = bias

    @property
    def n_layers(self) -> int:
        """Number of weight layers ``L``."""
        return len(self.weights)

    def layer_params(self, l: int) -> list[torch.nn.Parameter]:
        """Parameters ``[W_l, b_l]`` of layer ``l`` (1-based)."""
        out = [self.weights[l - 1]]
        if self.has_bias:
            out.append(self.biases[l - 1])
        return out

    def layer_size(self, l: int) -> int:
        """Number of scalar parameters of layer ``l`` (weights and bias)."""
        return sum(p.numel() for p in self.layer_params(l))

    def layer(self, l: int, a: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        """Apply layer ``l`` (1-based) to ``a`` of shape ``(m, n_{l-1})``; returns ``(m, n_l)``.

        Args:
            l: layer index, ``1 <= l <= L``.
            a: input activations.
            weight: optional replacement for ``W_l`` (used by the instruments to evaluate ``f`` at
                a reference ``W_l*``).
        """
        w = self.weights[l - 1] if weight is None else weight
        z = torch.addmm(self.biases[l - 1], a, w) if self.has_bias else a @ w
        phi = self.output_activation if l == self.n_layers else self.activation
        return activate(phi, z)  # phi(z), equal bit for bit to slqc's (dante/fastops.py)

    def run(self, a: torch.Tensor, layers: Sequence[int], weights: dict[int, torch.Tensor] | None = None) -> torch.Tensor:
        """Apply the given layers in order (a path through the network, e.g. ``[l, ..., L]``)."""
        weights = weights or {}
        for l in layers:
            a = self.layer(l, a, weights.get(l))
        return a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Network output, shape ``(m, n_L)``."""
        return self.run(x, range(1, self.n_layers + 1))

    def hidden(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Activations ``a_k`` after layer ``k`` (``k = 0`` returns ``x``), shape ``(m, n_k)``."""
        if not 0 <= k <= self.n_layers:
            raise ValueError(f"layer index {k} outside 0..{self.n_layers}")
        return self.run(x, range(1, k + 1))
