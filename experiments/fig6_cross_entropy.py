"""Figure 6 of the paper: DANTE vs SGD with cross-entropy loss, leaky ReLU and sigmoid hidden layers.

The paper's seven MNIST networks with softmax + cross-entropy output, on the same data as
:mod:`experiments.fig2_leaky_relu`.

Usage: ``python -m experiments.fig6_cross_entropy [--quick|--full] [--out DIR] [--seeds N]
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
        "fig6_cross_entropy",
        __doc__.splitlines()[0],
        argv,
        variants=[("leaky_relu", "cross_entropy"), ("sigmoid", "cross_entropy")],
        paper_hidden=PAPER_HIDDEN,
        paper_claim=FIGURE_CLAIMS["fig6"],
    )


CLAIM = "Fig. 6: DANTE vs SGD with cross-entropy (no claim; competitive)"


def verdicts(data: dict) -> list[list[str]]:
    """The paper's claim against this run: see :func:`experiments.figure_protocol.verdicts`."""
    return figure_protocol.verdicts(data, CLAIM)


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
