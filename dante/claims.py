"""The kappa that the DANTE paper claims for each layer problem (Sinha et al., 2020, sections 3.2-3.3).

SLQC (Definitions 1 and 4): ``f`` is ``(eps, kappa, W*)``-SLQC at ``W`` if ``f(W) - f(W*) <= eps``,
or ``||g|| > 0`` and ``<g, V - W> <= 0`` for every ``V`` in the ball ``B(W*, eps/kappa)``. The
largest ``<g, V - W>`` over the ball is ``<g, W* - W> + (eps/kappa) ||g||``, so condition 2 reads
``<g, W - W*> >= (eps/kappa) ||g||``: it holds exactly when the *kappa estimate*
``eps ||g|| / <g, W - W*>`` is positive and at most ``kappa``.

Claimed kappa per layer problem (``W`` is a radius with ``||W*||_F <= W`` and ``||W_l||_F <= W``;
we use the smallest such radius, ``max(||W_l||_F, ||W_l*||_F)``):

* output layer, generalized ReLU (slopes ``a, b``), squared loss: Theorem 3, ``kappa = 2 b^3 W / a``;
  a linear (identity) output is the case ``a = b = 1``, ``kappa = 2 W``;
* output layer, sigmoid, squared loss: Hazan et al. (2015) as quoted in section 3.2, ``kappa = e^W``;
* output layer, softmax + cross-entropy: Theorem 7, ``kappa = eps d' / (1 - e^{-eps})^2`` (``d'`` outputs);
* first layer of a one-hidden-layer net, generalized ReLU, squared loss: Theorem 5,
  ``kappa = (a / (4 b^5 W_2^2 W_1) - W_1 / eps)^{-1}``; when the bracket is ``<= 0`` the formula gives
  no positive kappa and the claim is recorded as vacuous (``None``);
* every other layer (middle layers of deeper nets, ReLU with ``a = 0``): no claim (``None``).

The theory has no biases; the network's biases are held fixed in each layer problem.
"""

from __future__ import annotations

import math

from slqc.claims import get_claim  # the one registry of the paper's constants

from .activations import canonical_name
from .losses import canonical_loss

__all__ = ["claimed_kappa"]


def claimed_kappa(layer: int, n_layers: int, activation: dict, output_activation: dict, loss: str, eps: float,
                  radius: float, outer_radius: float | None = None, n_outputs: int | None = None) -> tuple[float | None, str]:
    """Claimed kappa for layer ``layer`` of an ``n_layers``-layer net.

    Args:
        layer: 1-based layer index.
        n_layers: ``L``.
        activation: ``Activation.to_dict()`` of the hidden layers.
        output_activation: ``Activation.to_dict()`` of the output layer (``identity`` for cross-entropy).
        loss: ``squared`` (``mse``) or ``ce`` (``cross_entropy``).
        eps: the ``epsilon`` of the SLQC definition.
        radius: ``W`` for this layer, ``max(||W_l||_F, ||W_l*||_F)``.
        outer_radius: ``W_2`` of Theorem 5 (radius of the outer layer), needed for the first layer.
        n_outputs: ``d'`` of Theorem 7.

    Returns:
        ``(kappa or None, source)`` where ``source`` names the theorem (``"none"`` when no claim).

    Example:
        >>> g = {"name": "generalized_relu", "a": 0.01, "b": 1.0}
        >>> claimed_kappa(2, 2, g, g, "squared", 0.1, radius=3.0)
        (600.0, 'Theorem 3')
    """
    loss = canonical_loss(loss)
    hidden, output = canonical_name(activation.get("name")), canonical_name(output_activation.get("name"))
    if layer == n_layers:
        if loss == "squared" and output in ("generalized_relu", "identity"):
            # the identity is the generalized ReLU with a = b = 1 (Definition 3 allows a = b)
            a, b = (output_activation["a"], output_activation["b"]) if output == "generalized_relu" else (1.0, 1.0)
            return get_claim("thm3").kappa({"a": a, "b": b, "W": radius}), "Theorem 3"
        if loss == "squared" and output == "sigmoid":
            kappa = get_claim("hazan").kappa({"Wstar": radius}) if radius < 700 else math.inf
            return kappa, "Hazan et al. 2015 (sigmoid GLM)"
        if loss == "ce" and output == "identity" and n_outputs:
            return get_claim("thm7").kappa({"eps": eps, "k": n_outputs}), "Theorem 7"
        return None, "none"
    if (layer == 1 and n_layers == 2 and loss == "squared" and hidden == "generalized_relu"
            and output == "generalized_relu" and outer_radius):
        a, b = activation["a"], activation["b"]
        W1, W2 = radius, outer_radius
        if W1 <= 0 or a / (4 * b ** 5 * W2 ** 2 * W1) - W1 / eps <= 0:  # the bracket of Theorem 5
            return None, "Theorem 5 (vacuous)"
        return get_claim("thm5").kappa({"a": a, "b": b, "W1": W1, "W2": W2, "eps": eps}), "Theorem 5"
    return None, "none"
