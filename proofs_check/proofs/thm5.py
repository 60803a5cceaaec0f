"""Theorem 5 (section 3.2.4; proof in section 5.8): inner layer, d'' outputs.

Statement: with ``||W1*||_F <= W1`` and ``||W2*||_F <= W2``, ``err(W1, W2)`` is
``(eps, (a / (4 b^5 W2^2 W1) - W1 / eps)^{-1}, W1*)``-SLQC in ``W1``. The proof splits the error
into the ``d''`` single-output errors and applies Theorem 4 to each, which needs *each* of them to
be at least ``eps``; the statement only bounds their sum.
"""

from __future__ import annotations

import sympy as sp

from ..claim import Claim
from ..core import Step, V
from ..symbols import EPS, a, b, eps, nonneg, real
from .thm4 import BASE, EPS_ALL, KAPPA, MAX_ERR, THRESHOLD

dpp = sp.Symbol("d''", positive=True, integer=True)
e1, e2, y1, y2, f1, f2, p1, p2 = sp.symbols("e_1 e_2 y_1 y_2 f_1 f_2 p_1 p_2", real=True)


def build() -> list[Step]:
    DPP = V(dpp, 2, 6, integer=True)
    return [
        Step("thm5.split", "first display (5.8)", "||y - phi2<W2, h>||^2 = sum_j (y_j - phi2<w2_j, h>)^2 (d'' = 2)",
             sp.Matrix([y1 - f1, y2 - f2]).norm() ** 2, (y1 - f1) ** 2 + (y2 - f2) ** 2, "==",
             tuple(real(q) for q in (y1, y2, f1, f2))),
        Step("thm5.column_norm", "after the display", "||w2_j||^2 <= ||W2||_F^2 (p_j = ||w2_j||)",
             p1**2, p1**2 + p2**2, "<=", (real(p1), real(p2))),
        Step("thm5.per_output_error", "statement vs 5.8",
             "statement: sum_j err_j >= eps; Theorem 4 applied to output j needs err_j >= eps",
             e1, eps, ">=", (EPS, nonneg(e1, 4), nonneg(e2, 4)), given=(sp.Ge(e1 + e2, eps),),
             kind="statement", scope="aggregate"),
        Step("thm5.sum", "last line", "sum_j (a/b) eps = (a/b) eps d''",
             dpp * a * eps / b, a * eps * dpp / b, "==", BASE[:2] + (EPS, DPP)),
        Step("thm5.kappa_positive", "statement", "kappa > 0 for every eps > 0", KAPPA, 0, ">",
             BASE + (EPS_ALL,), kind="constant"),
        Step("thm5.vacuity", "statement",
             "kappa > 0 needs eps > 4b^5W2^2W1^2/a >= 4b^4 W1^2 ||W2||_F^2 >= err (sum over outputs)",
             THRESHOLD, MAX_ERR, ">=", BASE, kind="constant", role="vacuity"),
    ]


CLAIM = Claim(
    "thm5", "Theorem 5 (inner layer, d'' outputs)", "3.2.4; proof 5.8",
    "||W1*||_F <= W1, ||W2*||_F <= W2: err(W1, W2) is (eps, (a/(4b^5W2^2W1) - W1/eps)^-1, W1*)-SLQC "
    "in W1 for all W1 in B(0, W1)",
    build, kappa=KAPPA, depends=("thm4",),
)
