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
# shared 2-core machine, about half an hour with --jobs 4): the small sets only. Fashion-MNIST
# (the full split) is left to full mode: on this machine, under the load of the other jobs, a
# run_all script got about 0.15 core, and one Fashion-MNIST setting (784-100-10, 3 passes, 2 x ~4
# selection runs + 5 seeds) took about 10 minutes of wall time, 6 such settings per figure.
_SMALL = ["--datasets", "digits"]
BUDGET_ARGS: dict[str, dict[str, list[str]]] = {
    "quick": {},
    "standard": {
        "fig2_leaky_relu": _SMALL,
        "fig5_sigmoid": _SMALL,
        "fig6_cross_entropy": _SMALL,
        "fig7_sngd_epochs": _SMALL,
        "table1_adaptive": _SMALL,
        "table2_altmin": _SMALL,
        "table4_autoencoder": ["--datasets", "digits,wine,breast_cancer"],
        "theory_vs_practice": _SMALL,
    },
    "full": {},
}

# Rough seconds of each script in standard mode on the loaded 2-core machine (orders the parallel
# queue, longest first).
EXPECTED_SECONDS: dict[str, int] = {
    "fig7_sngd_epochs": 1500, "table1_adaptive": 900, "theory_vs_practice": 900, "table4_autoencoder": 700,
    "fig6_cross_entropy": 500, "table2_altmin": 500, "table3_regression": 300, "fig2_leaky_relu": 250,
    "fig5_sigmoid": 250,
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
