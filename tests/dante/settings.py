"""Test cases as data (one list per contract) and named tolerances for the dante tests."""

from __future__ import annotations

EXACT_RTOL = 1e-12          # "exact" float64 identities, up to one rounding of a fused multiply-add
TWIN_RTOL = 1e-6            # fast instruments vs the per-point autograd twin, float64
CACHE_RTOL = 1e-9           # cached vs uncached phase input, float64 (row subsets may round differently)
PATH_RTOL = 1e-7            # closed-form vs autograd training path after ~40 float64 steps (op order differs)
PATH_ATOL = 1e-10

# (id, seed, architecture, activation, loss, output activation) for the instrument twin tests
INSTRUMENT_CASES = [
    dict(id="leaky-mse-2layer", seed=0, arch="4-3-2", activation="leaky_relu", loss="mse", out=None),
    dict(id="leaky-mse-3layer", seed=1, arch="3-4-3-2", activation="leaky_relu", loss="mse", out=None),
    dict(id="sigmoid-mse", seed=2, arch="4-3-2", activation="sigmoid", loss="mse", out=None),
    dict(id="relu-mse", seed=3, arch="4-5-2", activation="relu", loss="mse", out=None),
    dict(id="leaky-xent", seed=4, arch="4-3-3", activation="leaky_relu", loss="cross_entropy", out="linear"),
]

# every method of the trainer, with a learning rate that trains digits 64-32-10
METHOD_CASES = [
    dict(id="dante", method="dante", lr=0.05),
    dict(id="altmin-sgd", method="altmin-sgd", lr=0.1),
    dict(id="sgd", method="sgd", lr=0.1),
    dict(id="momentum", method="momentum", lr=0.02),
    dict(id="adam", method="adam", lr=0.003),
    dict(id="adagrad", method="adagrad", lr=0.03),
    dict(id="rmsprop", method="rmsprop", lr=0.001),
]
