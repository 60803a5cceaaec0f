"""The one list of experiment scripts, what each reproduces, and the budget of each run mode.

Every script ``experiments.<name>`` of :data:`SCRIPTS` has ``main(argv)``, ``headlines(data)``
(sentences) and ``verdicts(data)`` (rows ``[paper's claim, our evidence, verdict]``), both computed
from its own ``results.json``. :mod:`experiments.run_all`, :mod:`experiments.make_results` and
``python -m experiments`` read this module; none of them imports another.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

# name -> what of the paper it re-runs (in the order RESULTS.md shows them)
SCRIPTS: dict[str, str] = {
    "fig2_leaky_relu": "Figure 2: DANTE vs SGD, leaky ReLU, squared loss",
    "fig5_sigmoid": "Figure 5: DANTE vs SGD, sigmoid, squared loss",
    "fig6_cross_entropy": "Figure 6: DANTE vs SGD, cross-entropy",
    "fig7_sngd_epochs": "Figure 7: the SNGD epochs T",
    "table1_adaptive": "Table 1: adaptive learning rates and momentum",
    "table2_altmin": "Table 2: SGD as the inner solver",
    "table3_regression": "Table 3: regression",
    "table4_autoencoder": "Table 4 and Figure 9: autoencoder features + linear SVM, reconstructions",
    "theory_vs_practice": "Theorems 3, 5, 7: kappa estimates during training",
}

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"

# Extra arguments per mode that keep a run_all within its budget. Standard mode (RESULTS.md on the
# shared 2-core machine, about an hour with --jobs 2): the paper's first network on digits and, for
# the scripts whose cost allows it, the FULL Fashion-MNIST split (60 000/10 000, 3 passes): Figures
# 2, 5, 6 and Tables 1, 2. One 784-100-10 run of 3 passes over the full split took 2.5-5 s on an
# idle core (19:26 UTC); Figure 7 (40 passes x 6 methods x ~12 runs, about an hour of CPU), Table 4
# (784-392-784 autoencoders, 50 passes: about 1.3 h of CPU) and the instrumented theory runs are
# left to full mode or --device cuda (commands and estimates in RESULTS.md).
_SMALL = ["--datasets", "digits"]
_FULL_FASHION = ["--datasets", "digits,fashion-mnist"]
BUDGET_ARGS: dict[str, dict[str, list[str]]] = {
    "quick": {},
    "standard": {
        "fig2_leaky_relu": _FULL_FASHION,
        "fig5_sigmoid": _FULL_FASHION,
        "fig6_cross_entropy": _FULL_FASHION,
        "fig7_sngd_epochs": _SMALL,
        "table1_adaptive": _FULL_FASHION,
        "table2_altmin": _FULL_FASHION,
        "table4_autoencoder": ["--datasets", "digits,wine,breast_cancer"],
        "theory_vs_practice": _SMALL,
    },
    "full": {},
}

# Rough seconds of each script in standard mode on the loaded 2-core machine (orders the parallel
# queue, longest first).
EXPECTED_SECONDS: dict[str, int] = {
    "table1_adaptive": 1800, "fig7_sngd_epochs": 1500, "table2_altmin": 1000, "fig6_cross_entropy": 1000,
    "theory_vs_practice": 900, "table4_autoencoder": 700, "fig2_leaky_relu": 500, "fig5_sigmoid": 500,
    "table3_regression": 300,
}


def module(name: str) -> ModuleType:
    """The script module ``experiments.<name>``.

    Raises:
        KeyError: for a name not in :data:`SCRIPTS`.
    """
    if name not in SCRIPTS:
        raise KeyError(f"unknown experiment script {name!r} (known: {', '.join(SCRIPTS)})")
    return importlib.import_module(f"experiments.{name}")


def headlines(name: str, data: dict[str, Any]) -> list[str]:
    """``module(name).headlines(data)``."""
    return list(module(name).headlines(data))


def verdicts(name: str, data: dict[str, Any]) -> list[list[str]]:
    """``module(name).verdicts(data)``."""
    return [list(r) for r in module(name).verdicts(data)]
