"""proofs_check: a symbolic audit of every proof in Sinha et al. (2020), section 5.

Each claim (theorem, corollary, lemma) is a list of :class:`~proofs_check.core.Step` objects, one
per line of the paper's chain of (in)equalities, checked with sympy under the proof's hypotheses
(:func:`~proofs_check.core.check_step`). Statuses: ``verified``, ``verified-numeric``, ``fails``
(with an exact counterexample), ``note`` (a typo that does not change the result).

Example:
    >>> from proofs_check import run_claims
    >>> [res] = run_claims(["thm1"])
    >>> res.verdict
    'proof verified'

Command line: ``python -m proofs_check [CLAIM ...] [--json PATH] [--markdown PATH] [--check-json PATH]``.
"""

from .claim import Claim, ClaimResult, evaluate
from .core import FAILS, NOTE, STATUSES, VERIFIED, VERIFIED_NUMERIC, Step, StepResult, Var, check_step
from .report import run_claims

__all__ = ["Claim", "ClaimResult", "evaluate", "Step", "StepResult", "Var", "check_step", "run_claims",
           "VERIFIED", "VERIFIED_NUMERIC", "FAILS", "NOTE", "STATUSES"]
