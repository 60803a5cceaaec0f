"""Problem sizes per mode.

* ``quick``: toy sizes for the test suite (seconds per script): 2 seeds, one selection seed, no
  grid extension.
* ``standard``: the budget of ``experiments/RESULTS.md`` on the 2-core CPU machine (about half an
  hour with ``run_all --jobs 2``): the full protocol (5 reporting seeds, 2 selection seeds, grids
  extended until the pick is interior, the full Fashion-MNIST split) on the paper's first network
  only (:data:`STANDARD_HIDDEN`) and 3 passes over Fashion-MNIST.
* ``full``: every network of the paper, 10 passes over the full Fashion-MNIST split; hours on
  2 CPU cores, minutes on a GPU (``python -m experiments.run_all --full --device cuda``).

``n_train``/``n_test`` cap the training and test sets (a fixed random subset, seed 0; ``None`` keeps
everything); ``epochs`` is the number of passes over the training data for every method.
"""

from __future__ import annotations

from typing import Any

# Hidden layers of the paper's MNIST/KMNIST networks (Section 4.1, Figure 2), in order.
PAPER_HIDDEN: list[list[int]] = [
    [100],
    [250],
    [400],
    [600],
    [400, 200],
    [400, 200, 100],
    [600, 400, 200, 100, 50],
]

IMAGE_SETS = ("fashion-mnist", "mnist", "kmnist", "cifar10", "svhn")

# The standard (2-core) budget's networks: the paper's first one (n_0-100-10) only, on every set
# (the shared 2-core machine gives a run_all about 0.3 core; every other network is in full mode).
STANDARD_HIDDEN: dict[str, list[list[int]]] = {
    "small": [[100]],
    "image": [[100]],
}

SIZES: dict[str, dict[str, Any]] = {
    "quick": {
        "seeds": 2,
        "select_seeds": [0],
        "max_extend": 0,
        "small": {"n_train": 300, "n_test": 200, "epochs": 2, "batch_size": 32},
        "image": {"n_train": 300, "n_test": 200, "epochs": 1, "batch_size": 32},
        "hidden": [[16]],
    },
    "standard": {
        "seeds": 5,
        "select_seeds": [0, 1],
        "max_extend": 2,
        "small": {"n_train": None, "n_test": None, "epochs": 20, "batch_size": 32},
        "image": {"n_train": None, "n_test": None, "epochs": 3, "batch_size": 64},
        "hidden": PAPER_HIDDEN,
        "hidden_subset": STANDARD_HIDDEN,
    },
    "full": {
        "seeds": 5,
        "select_seeds": [0, 1],
        "max_extend": 3,
        "small": {"n_train": None, "n_test": None, "epochs": 20, "batch_size": 32},
        "image": {"n_train": None, "n_test": None, "epochs": 10, "batch_size": 64},
        "hidden": PAPER_HIDDEN,
    },
}


def networks(mode: str, dataset: str, paper_hidden: list[list[int]]) -> list[list[int]]:
    """The hidden layers run for ``dataset`` in ``mode``: the paper's list, cut to the mode's
    subset where it has one (standard mode; the first of the paper's list if none is in it).

    Example:
        >>> networks("standard", "digits", PAPER_HIDDEN), networks("full", "digits", PAPER_HIDDEN[:2])
        ([[100]], [[100], [250]])
    """
    sub = SIZES[mode].get("hidden_subset", {}).get(kind(dataset))
    if sub is None:
        return [list(h) for h in paper_hidden]
    kept = [list(h) for h in paper_hidden if list(h) in sub]
    return kept or [list(paper_hidden[0])]


def protocol_args(mode: str) -> dict[str, Any]:
    """The :func:`experiments.protocol.run_setting` keywords of ``mode`` (selection seeds, grid
    extension)."""
    return {"select_seeds": list(SIZES[mode]["select_seeds"]), "max_extend": int(SIZES[mode]["max_extend"])}


def kind(dataset: str) -> str:
    """``"image"`` for the 784/3072-input image sets, else ``"small"``."""
    return "image" if dataset in IMAGE_SETS else "small"


def arch(d_in: int, hidden: list[int], d_out: int) -> str:
    """The architecture string of :func:`dante.parse_arch`, e.g. ``"64-100-10"``."""
    return "-".join(str(n) for n in [d_in, *hidden, d_out])


PAPER_T = 5  # "we chose T = 5 for all our experiments" (Section 4.2.3)


def sngd_epochs_for(n_layers: int, epochs: int, rounds: int = 2) -> int:
    """``T`` for a DANTE run of ``epochs`` passes on an ``n_layers``-layer net.

    Every method gets the same number of passes over the data (``epochs``), and a round-robin
    round costs ``T * n_layers`` passes; the paper's ``T = 5`` is used when the budget allows at
    least ``rounds`` full rounds, otherwise the largest ``T`` that does (at least 1). Without this,
    a 5-pass budget with ``T = 5`` would train only the output layer.

    Example:
        >>> [sngd_epochs_for(L, 20) for L in (2, 3, 4, 6)]
        [5, 3, 2, 1]
    """
    return max(1, min(PAPER_T, epochs // (rounds * n_layers)))
