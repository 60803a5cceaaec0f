"""The registry of the paper's SLQC claims: one entry per claim, one module per claim family.

==========  ==================================  =============  ===============================
name        claim                               module         claimed kappa
==========  ==================================  =============  ===============================
hazan       Hazan et al. 2015 (section 3.2)     hazan          e^{||w*||}
thm1        Theorem 1 (3.2.1, proof 5.1)        glm_squared    2 b^3 W / a
thm2        Theorem 2 (3.2.1, proof 5.3)        noisy_glm      2 b^3 W / a, w.p. >= 1 - delta
thm3        Theorem 3 (3.2.2, proof 5.5)        multi_output   2 b^3 W / a
cor1        Corollary 1 (3.2.5, proof 5.2)      glm_squared    2 b^2 W
cor2        Corollary 2 (3.2.5, proof 5.6)      multi_output   2 b^2 W
thm4        Theorem 4 (3.2.3, proof 5.7)        one_hidden     (a / (4 b^5 W2^2 W1) - W1/eps)^-1
thm5        Theorem 5 (3.2.4, proof 5.8)        one_hidden     (a / (4 b^5 W2^2 W1) - W1/eps)^-1
thm6        Theorem 6 (3.3, proof 5.9)          cross_entropy  eps / (1 - e^{-eps})^2
thm7        Theorem 7 (3.3, proof 5.10)         cross_entropy  eps d' / (1 - e^{-eps})^2
thm8        Theorem 8 (3.4.1, from [9])         sngd           T >= kappa^2 ||w1 - w*||^2 / eps^2
==========  ==================================  =============  ===============================

Example:
    >>> from slqc.claims import get_claim
    >>> get_claim("thm1").kappa({"a": 0.1, "b": 1.0, "W": 1.0})
    20.0
"""

from __future__ import annotations

from .base import BUDGETS, CheckerAPI, Claim, Problem
from .cross_entropy import Theorem6, Theorem7
from .glm_squared import Corollary1, Theorem1
from .hazan import Hazan
from .multi_output import Corollary2, Theorem3
from .noisy_glm import Theorem2
from .one_hidden import Theorem4, Theorem5
from .sngd import Theorem8

#: name -> claim, in the order of the paper.
CLAIMS: dict[str, Claim] = {c.name: c for c in (Hazan(), Theorem1(), Theorem2(), Theorem3(), Corollary1(),
                                                 Corollary2(), Theorem4(), Theorem5(), Theorem6(), Theorem7(),
                                                 Theorem8())}


def get_claim(name: str) -> Claim:
    """The claim registered under ``name``.

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    try:
        return CLAIMS[name]
    except KeyError:
        raise ValueError(f"unknown claim {name!r}; choose from: {', '.join(CLAIMS)} (see `slqc list`)") from None


def list_claims() -> list[Claim]:
    """All claims, in the order of the paper."""
    return list(CLAIMS.values())


__all__ = ["BUDGETS", "CLAIMS", "CheckerAPI", "Claim", "Problem", "get_claim", "list_claims"]
