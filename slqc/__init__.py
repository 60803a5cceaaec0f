"""slqc: exact checks of Strictly-Locally-Quasi-Convexity and an empirical-kappa search.

Paper: Sinha et al., "DANTE: Deep AlterNations for Training nEural networks", Neural
Networks 131 (2020), section 3.2 (Definitions 1-4) and Theorems 1-7.

Public API:

* :func:`is_slqc` / :func:`kappa_min` -- Definition 1 / 4 at a batch of points, exact
  (closed-form maximum over the ball, no sampling of y).
* :func:`probe` -- empirical kappa of any differentiable function over a ball.
* :mod:`slqc.activations`, :mod:`slqc.losses`, :mod:`slqc.models`, :mod:`slqc.data`,
  :mod:`slqc.generators` -- the paper's building blocks.
"""

from .definitions import SLQCTerms, is_slqc, kappa_min, slqc_terms, value_and_grad
from .search import BUDGETS, ProbeResult, probe

__all__ = ["is_slqc", "kappa_min", "slqc_terms", "value_and_grad", "SLQCTerms", "probe", "ProbeResult", "BUDGETS"]
from .certify import CertifyResult, certify  # noqa: E402  (issue 11: certified upper bounds)

__all__ += ["certify", "CertifyResult"]
__version__ = "0.1.0"
