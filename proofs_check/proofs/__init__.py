"""Registry of the audited claims: one module per proof (sections 3.2-3.4 and 5 of the paper).

Claim names are shared with the ``slqc check`` registry: ``hazan``, ``thm1``, ``thm2``, ``cor1``,
``cor2``, ``thm3``, ``thm4``, ``thm5``, ``thm6``, ``thm7``, ``thm8``; the lemma entries follow.
"""

from __future__ import annotations

from ..claim import Claim
from . import cor1, cor2, hazan, lemmas, thm1, thm2, thm3, thm4, thm5, thm6, thm7, thm8

THEOREMS: list[Claim] = [hazan.CLAIM, thm1.CLAIM, thm2.CLAIM, cor1.CLAIM, cor2.CLAIM, thm3.CLAIM,
                         thm4.CLAIM, thm5.CLAIM, thm6.CLAIM, thm7.CLAIM, thm8.CLAIM]
LEMMAS: list[Claim] = list(lemmas.CLAIMS)
REGISTRY: dict[str, Claim] = {c.name: c for c in THEOREMS + LEMMAS}
CLAIM_NAMES: list[str] = list(REGISTRY)

__all__ = ["THEOREMS", "LEMMAS", "REGISTRY", "CLAIM_NAMES"]
