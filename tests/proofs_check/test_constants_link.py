"""The claimed constants of ``slqc.claims`` and of ``proofs_check`` are the same (issue 9).

Each theorem's kappa is written twice: in ``slqc/claims`` (sympy, in ``slqc.claims.base.SYMBOLS``:
``a, b, W, eps, W1, W2, k, Wstar, D``) and in ``proofs_check/proofs`` (``proofs_check.symbols``:
``a, b, W, W_1, W_2, epsilon, d'``). This test maps the symbols and asserts that the difference
simplifies to 0 for every claim that both registries hold, so that neither copy can drift.
"""

from __future__ import annotations

import pytest
import sympy as sp

from proofs_check.proofs import REGISTRY
from slqc.claims import get_claim, list_claims
from slqc.claims.base import SYMBOLS

#: proofs_check symbol name -> slqc symbol name (names that are spelled the same map to themselves).
RENAME = {"epsilon": "eps", "W_1": "W1", "W_2": "W2", "d'": "k"}
#: Per-claim exceptions: in the Hazan et al. entry proofs_check's W is the bound ||w*|| = Wstar.
RENAME_CLAIM = {"hazan": {"W": "Wstar"}}
#: Claims with a constant in both registries (the test fails if one disappears from either).
EXPECTED_SHARED = {"hazan", "thm1", "thm2", "thm3", "cor1", "cor2", "thm4", "thm5", "thm6", "thm7"}
#: Claims with an slqc constant whose proofs_check entry has none: Theorem 8 is about SNGD's
#: iteration count; its proof uses the kappa of Theorem 1, which is checked under ``thm1``.
SLQC_ONLY = {"thm8": "thm1"}


def _slqc_kappas() -> dict[str, sp.Expr]:
    return {c.name: c.kappa_expr() for c in list_claims()}


def _to_slqc(name: str, expr: sp.Expr) -> sp.Expr:
    """proofs_check's expression rewritten in slqc's symbols (positive reals; d' -> k)."""
    rename = {**RENAME, **RENAME_CLAIM.get(name, {})}
    subs = {}
    for sym in sp.sympify(expr).free_symbols:
        target = rename.get(sym.name, sym.name)
        assert target in SYMBOLS, f"{name}: proofs_check symbol {sym.name} has no slqc counterpart"
        subs[sym] = SYMBOLS[target]
    return sp.sympify(expr).xreplace(subs)


def _shared() -> list[str]:
    slqc = _slqc_kappas()
    return [n for n, c in REGISTRY.items() if c.kappa is not None and n in slqc]


SHARED = sorted(set(_shared()) | EXPECTED_SHARED)


def test_shared_claims_are_the_expected_ones():
    """No claim drops out of the link (a new shared claim is checked automatically below)."""
    assert EXPECTED_SHARED <= set(_shared())
    assert set(SLQC_ONLY) <= set(_slqc_kappas()) and all(REGISTRY[n].kappa is None for n in SLQC_ONLY)


@pytest.mark.parametrize("name", SHARED)
def test_claimed_kappa_is_the_same(name):
    ours = _to_slqc(name, REGISTRY[name].kappa)
    theirs = get_claim(name).kappa_expr()
    assert ours.free_symbols == theirs.free_symbols, (name, ours, theirs)
    assert sp.simplify(ours - theirs) == 0, f"{name}: proofs_check {ours} != slqc {theirs}"


@pytest.mark.parametrize("name", sorted(SLQC_ONLY))
def test_slqc_only_constant_is_the_linked_one(name):
    ours = _to_slqc(name, REGISTRY[SLQC_ONLY[name]].kappa)
    assert sp.simplify(ours - get_claim(name).kappa_expr()) == 0


def test_the_link_detects_a_drift():
    """Negative control: a constant off by a factor, or a wrong symbol map, is caught."""
    theirs = get_claim("thm2").kappa_expr()
    assert sp.simplify(_to_slqc("thm2", 2 * REGISTRY["thm2"].kappa) - theirs) != 0
    assert sp.simplify(_to_slqc("thm2", REGISTRY["thm2"].corrected_kappa) - theirs) != 0
    wrong = REGISTRY["thm4"].kappa.xreplace({s: SYMBOLS["W2" if s.name == "W_1" else "W1"]
                                             for s in REGISTRY["thm4"].kappa.free_symbols
                                             if s.name in ("W_1", "W_2")})
    assert sp.simplify(_to_slqc("thm4", wrong) - get_claim("thm4").kappa_expr()) != 0


@pytest.mark.parametrize("name", SHARED)
def test_numeric_twin_at_a_setting(name):
    """Both constants agree numerically at one admissible setting (independent of simplify)."""
    setting = {"a": 0.3, "b": 1.1, "W": 1.7, "eps": 40.0, "W1": 0.9, "W2": 1.3, "k": 3, "Wstar": 1.7, "D": 1.0}
    ours = _to_slqc(name, REGISTRY[name].kappa)
    val = float(ours.xreplace({SYMBOLS[k]: sp.Float(v, 30) for k, v in setting.items()}))
    assert val == pytest.approx(get_claim(name).kappa_sympy(setting), rel=1e-12)
