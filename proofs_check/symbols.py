"""Shared sympy symbols and hypothesis intervals (paper sections 3.2-3.3 notation).

Per-sample scalars used in the step models:

* ``delta = <w - w*, x_i>`` (``dl``), ``t = <x_i, w* - v>``, ``n_x = ||x_i|| <= 1``,
  ``r = ||w* - v|| <= eps / kappa``, ``d_w = ||w - w*|| <= 2 W``;
* ``s``: secant slope of the activation, ``phi<w, x_i> - phi<w*, x_i> = s * delta``
  (``s in [a, b]`` for the generalized ReLU, ``s in (0, 1/4]`` for the sigmoid);
* ``g``: the subgradient ``g<w, x_i> in [a, b]`` (Definition 3);
* ``c``: a cosine in ``[-1, 1]`` (Cauchy-Schwarz: ``t = c n_x r``);
* ``E = exp(-eps)`` in the cross-entropy proofs.

Numeric ranges (``num_hi``) only bound the dense numeric search; the symbolic proofs use the
real hypothesis intervals (``b >= a > 0``, ``W > 0``, ``eps > 0``).
"""

from __future__ import annotations

import sympy as sp

from .core import V, Var

a, b = sp.symbols("a b", positive=True)
W, W1, W2 = sp.symbols("W W_1 W_2", positive=True)
eps = sp.Symbol("epsilon", positive=True)
kap = sp.Symbol("kappa", positive=True)
dp = sp.Symbol("d'", positive=True, integer=True)
m = sp.Symbol("m", positive=True)

s, g, g2 = sp.symbols("s g g_2", real=True)
dl, t, c, c1, c2 = sp.symbols("delta t c c_1 c_2", real=True)
nx, r, dw = sp.symbols("n_x r d_w", real=True)
xi, Xi = sp.symbols("xi Xi", real=True)
Q, S, T, E = sp.symbols("Q S T E", real=True)
D, y, p, z = sp.symbols("D y p z", real=True)

#: Hypotheses of the generalized ReLU proofs (Definition 3: 0 < a <= b; W > 0; eps > 0).
A = V(a, 0, sp.oo, lo_open=True, num_hi=2)
B = V(b, a, sp.oo, num_hi=2.5)
WW = V(W, 0, sp.oo, lo_open=True, num_hi=3)
EPS = V(eps, 0, sp.oo, lo_open=True, num_hi=3)
GRELU_BASE: tuple[Var, ...] = (A, B, WW, EPS)


def real(sym: sp.Symbol, bound: object = 3) -> Var:
    """A real variable of either sign; the numeric search uses ``[-bound, bound]``."""
    bnd = sp.sympify(bound)
    return V(sym, -sp.oo, sp.oo, num_lo=-bnd, num_hi=bnd)


def nonneg(sym: sp.Symbol, bound: object = 3) -> Var:
    """A non-negative variable; the numeric search uses ``[0, bound]``."""
    return V(sym, 0, sp.oo, num_hi=sp.sympify(bound))


def grelu_kappa() -> sp.Expr:
    """Theorem 1/2/3 constant ``kappa = 2 b^3 W / a`` (sections 3.2.1-3.2.2)."""
    return 2 * b**3 * W / a
