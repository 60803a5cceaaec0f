"""Which layers each data pass trains: backprop, DANTE round-robin, DANTE greedy outside-in.

Sinha et al. (2020): Algorithm 2 (one hidden layer: a ``W_2`` phase, then a ``W_1`` phase, each
``T`` epochs of SNGD minibatches), section 3.5 round-robin scheme (each layer in turn; the paper's
choice for classifiers) and Algorithm 3 / Figure 1 (greedy outside-in pairs for autoencoders).

A training run is a list of :class:`Pass` objects, one per pass over the training data, so that every
method spends exactly ``epochs`` data passes (the budget may end in the middle of a round). A pass
says which layers are updated, which layers turn the inputs into the cached phase input (the
layers below the trained one, fixed during the phase), which path runs per step, and which target
the path is fitted to.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Pass", "build_plan", "phase_length", "resolve_order", "BACKPROP_METHODS", "ALTERNATING_METHODS", "METHODS",
           "SCHEMES", "LAYER_ORDERS"]

BACKPROP_METHODS = ("sgd", "momentum", "adam", "adagrad", "rmsprop")
ALTERNATING_METHODS = ("dante", "altmin-sgd")
METHODS = ALTERNATING_METHODS + BACKPROP_METHODS
SCHEMES = ("round-robin", "greedy")
LAYER_ORDERS = ("paper", "backward", "forward")


def resolve_order(order: str, n_layers: int) -> str:
    """``paper``: ``backward`` for one hidden layer (Algorithm 2 solves ``W_2`` then ``W_1``) and
    ``forward`` for deeper nets (section 3.5: round-robin "in the sequence in which the layers
    appear in the network"); other orders are returned unchanged."""
    if order == "paper":
        return "backward" if n_layers <= 2 else "forward"
    return order


def phase_length(method: str, n_layers: int, epochs: int, sngd_epochs: int, scheme: str = "round-robin") -> int:
    """``T`` to use: ``sngd_epochs``, lowered so that every layer of a round-robin run gets a phase.

    With ``T * L > epochs`` the budget would end before the later layers are trained (the silent
    budget cut); then ``T = max(1, epochs // L)``. With ``epochs < L`` no ``T`` helps and
    :func:`build_plan`'s caller is told (see :func:`dante.trainer.prepare`).

    Example:
        >>> phase_length("dante", 2, 5, 5), phase_length("dante", 2, 20, 5), phase_length("sgd", 2, 5, 5)
        (2, 5, 5)
    """
    if method not in ALTERNATING_METHODS or scheme != "round-robin":
        return int(sngd_epochs)
    return max(1, min(int(sngd_epochs), int(epochs) // n_layers))


@dataclass(frozen=True)
class Pass:
    """One pass over the training data.

    Attributes:
        index: 0-based pass number (``epoch`` counts these).
        group: greedy pair number (0 for the other schemes); a converged group is skipped.
        round: alternation round ``t`` of Algorithm 2 within the group.
        phase: running number of the phase (consecutive passes with the same trained layers).
        train_layers: layers (1-based) updated in this pass.
        prefix: layers applied once per phase to the inputs to form the cached phase input.
        path: layers applied per minibatch step to the cached input.
        target_prefix: ``None`` to fit the data set's targets, else layers applied to the inputs to
            form the target (greedy autoencoder pairs reconstruct their own input ``a_{k-1}``).
        first_in_phase: first pass of its phase (the cache is recomputed here).
        last_in_phase: last pass of its phase (``phase`` references are resolved here).
        last_in_round: last pass of its alternation round (the ``|f_t - f_{t-1}|`` test runs here).
    """

    index: int
    group: int
    round: int
    phase: int
    train_layers: tuple[int, ...]
    prefix: tuple[int, ...]
    path: tuple[int, ...]
    target_prefix: tuple[int, ...] | None
    first_in_phase: bool
    last_in_phase: bool
    last_in_round: bool


def _phase_specs_round_robin(n_layers: int, order: str):
    layers = list(range(n_layers, 0, -1)) if order == "backward" else list(range(1, n_layers + 1))
    return [((l,), tuple(range(1, l)), tuple(range(l, n_layers + 1)), None) for l in layers]


def _phase_specs_pair(n_layers: int, k: int):
    """Algorithm 3, pair ``(k, L+1-k)``: outer layer first (on cached ``phi(a_{k-1} W_k)``), then inner."""
    outer = n_layers + 1 - k
    enc = tuple(range(1, k))
    return [((outer,), enc + (k,), (outer,), enc), ((k,), enc, (k, outer), enc)]


def _emit(plan, specs_per_round, budget, start, group, T, phase0):
    """Append passes cycling through ``specs_per_round`` until ``budget`` passes are used."""
    used, rnd, phase = 0, 0, phase0
    while used < budget:
        for j, (train, prefix, path, target) in enumerate(specs_per_round):
            n = min(T, budget - used)
            if n <= 0:
                break
            for i in range(n):
                used += 1
                last_round = (j == len(specs_per_round) - 1 and i == n - 1) or used == budget
                plan.append(Pass(start + used - 1, group, rnd, phase, train, prefix, path, target,
                                 i == 0, i == n - 1, last_round))
            phase += 1
        rnd += 1
    return phase


def build_plan(method: str, n_layers: int, epochs: int, sngd_epochs: int = 5, scheme: str = "round-robin",
               layer_order: str = "paper") -> list[Pass]:
    """The per-pass schedule of a run.

    Args:
        method: one of :data:`METHODS`.
        n_layers: number of weight layers ``L``.
        epochs: total passes over the training data (the budget of every method).
        sngd_epochs: ``T``, passes per phase for alternating methods (Algorithm 2 uses 5).
        scheme: ``round-robin`` or ``greedy`` (Algorithm 3; needs an even ``L``).
        layer_order: round-robin order: ``paper`` (see :func:`resolve_order`), ``backward``
            (``L, ..., 1``; for ``L = 2`` this is Algorithm 2, which solves ``W_2`` before ``W_1``) or
            ``forward`` (``1, ..., L``).

    Returns:
        ``epochs`` :class:`Pass` objects.

    Raises:
        ValueError: unknown method/scheme/order, ``epochs < 1``, ``T < 1``, or greedy with an odd
            number of layers or fewer passes than pairs.

    Example:
        >>> [(p.train_layers, p.prefix, p.path) for p in build_plan("dante", 2, 3, sngd_epochs=2)]
        [((2,), (1,), (2,)), ((2,), (1,), (2,)), ((1,), (), (1, 2))]
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs}")
    if int(sngd_epochs) != sngd_epochs or sngd_epochs < 1:
        raise ValueError(f"sngd_epochs (T) must be an integer >= 1, got {sngd_epochs}")
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if layer_order not in LAYER_ORDERS:
        raise ValueError(f"unknown layer order {layer_order!r}; choose one of {', '.join(LAYER_ORDERS)}")
    epochs, T = int(epochs), int(sngd_epochs)
    everything = tuple(range(1, n_layers + 1))
    plan: list[Pass] = []
    if method in BACKPROP_METHODS:
        for i in range(epochs):
            plan.append(Pass(i, 0, i, i, everything, (), everything, None, True, True, True))
        return plan
    if scheme == "round-robin":
        _emit(plan, _phase_specs_round_robin(n_layers, resolve_order(layer_order, n_layers)), epochs, 0, 0, T, 0)
        return plan
    if n_layers % 2:
        raise ValueError(f"the greedy scheme pairs layers (k, L+1-k); it needs an even number of layers, got L={n_layers}")
    n_pairs = n_layers // 2
    if epochs < n_pairs:
        raise ValueError(f"the greedy scheme needs epochs >= number of pairs ({n_pairs}), got {epochs}")
    phase = 0
    for k in range(1, n_pairs + 1):
        budget = epochs // n_pairs + (1 if k <= epochs % n_pairs else 0)
        phase = _emit(plan, _phase_specs_pair(n_layers, k), budget, len(plan), k - 1, T, phase)
    return plan
