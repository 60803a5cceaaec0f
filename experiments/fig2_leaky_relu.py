"""Figure 2 of the paper: DANTE vs SGD, leaky ReLU (a = 0.01, b = 1), squared loss.

The paper's MNIST/KMNIST networks (784-100-10 ... 784-600-400-200-100-50-10) on Fashion-MNIST when
installed (a documented subset, see :mod:`experiments.sizes`), the same hidden layers with 64
inputs on scikit-learn's ``digits``, and MNIST/KMNIST with ``--datasets mnist --data-dir DIR``.

Usage: ``python -m experiments.fig2_leaky_relu [--quick|--full] [--out DIR] [--seeds N]
[--data-dir DIR] [--datasets digits,fashion-mnist]``
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import cli
from . import figure_protocol
from .figure_protocol import headlines, run_curves  # noqa: F401 (headlines: read through experiments.registry)
from .paper_numbers import FIGURE_CLAIMS
from .sizes import PAPER_HIDDEN


def main(argv: Sequence[str] | None = None) -> int:
    return run_curves(
        "fig2_leaky_relu",
        __doc__.splitlines()[0],
        argv,
        variants=[("leaky_relu", "mse")],
        paper_hidden=PAPER_HIDDEN,
        paper_claim=FIGURE_CLAIMS["fig2"],
        quick_hidden=[[16], [16, 8]],
    )


CLAIM = "Fig. 2: DANTE lower loss and higher test accuracy than SGD (leaky ReLU, MSE)"


def verdicts(data: dict) -> list[list[str]]:
    """The paper's claim against this run: see :func:`experiments.figure_protocol.verdicts`."""
    return figure_protocol.verdicts(data, CLAIM)


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
