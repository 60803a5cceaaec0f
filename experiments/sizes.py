"""Problem sizes per mode, chosen so that ``python -m experiments.run_all --full`` finishes on a
2-core CPU machine well within an hour.

* ``quick``: toy sizes for the test suite (seconds per script).
* ``standard``: the default when neither ``--quick`` nor ``--full`` is given (one seed).
* ``full``: the sizes of ``experiments/RESULTS.md`` (three seeds).

``n_train``/``n_test`` cap the training and test sets (a fixed random subset, seed 0; ``None`` keeps
everything); ``epochs`` is the number of passes over the training data for every method.
The 784-input sets (Fashion-MNIST, MNIST, KMNIST) use a documented subset in every mode: the
paper's full 60 000-image protocol does not fit the CPU budget of this machine.
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

SIZES: dict[str, dict[str, Any]] = {
    "quick": {
        "seeds": 2,
        "small": {"n_train": 300, "n_test": 200, "epochs": 2, "batch_size": 32},
        "image": {"n_train": 300, "n_test": 200, "epochs": 1, "batch_size": 32},
        "hidden": [[16]],
    },
    "standard": {
        "seeds": 1,
        "small": {"n_train": None, "n_test": None, "epochs": 20, "batch_size": 32},
        "image": {"n_train": 3000, "n_test": 1000, "epochs": 10, "batch_size": 64},
        "hidden": PAPER_HIDDEN,
    },
    "full": {
        "seeds": 3,
        "small": {"n_train": None, "n_test": None, "epochs": 20, "batch_size": 32},
        "image": {"n_train": 3000, "n_test": 1000, "epochs": 10, "batch_size": 64},
        "hidden": PAPER_HIDDEN,
    },
}


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
