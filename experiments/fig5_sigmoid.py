"""Figure 5 of the paper: DANTE vs SGD with sigmoid activations and squared loss.

The paper's first six MNIST/KMNIST networks (784-100-10 ... 784-400-200-100-10), on the same data
as :mod:`experiments.fig2_leaky_relu`.

Usage: ``python -m experiments.fig5_sigmoid [--quick|--full] [--out DIR] [--seeds N]
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
        "fig5_sigmoid",
        __doc__.splitlines()[0],
        argv,
        variants=[("sigmoid", "mse")],
        paper_hidden=PAPER_HIDDEN[:6],
        paper_claim=FIGURE_CLAIMS["fig5"],
    )


CLAIM = "Fig. 5: DANTE better than SGD (sigmoid, MSE)"


def verdicts(data: dict) -> list[list[str]]:
    """The paper's claim against this run: see :func:`experiments.figure_protocol.verdicts`."""
    return figure_protocol.verdicts(data, CLAIM)


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
