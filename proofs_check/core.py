"""Step objects and the checker that decides each proof step (paper section 5).

A proof in section 5 of the paper is a chain of (in)equalities. Here every link of such a
chain is a :class:`Step`: the expression before and after as sympy expressions, the relation
the paper claims between them, and the hypotheses as a box of :class:`Var` intervals (whose
end points may depend on earlier variables, e.g. ``b`` in ``[a, oo)``) plus optional extra
``given`` relations.

Most chains are sums over samples ``i`` (and outputs ``j``). A chain of sums follows
term by term, so a step is modelled on one summand with *per-sample* scalars
(``delta = <w - w*, x_i>``, ``t = <x_i, w* - v>``, ...); an *aggregate* step (one that uses
``err >= eps``) is modelled on averages (``Q = mean_i (phi_i - phi*_i)^2``).

:func:`check_step` decides a step in this order:

0. A dense numeric search over the box (vectorized, corners included); a violating point is
   rounded to a short rational and re-checked exactly at 30 digits: ``fails`` with that
   counterexample.
1. ``==``: ``simplify(before - after) == 0`` gives ``verified`` (identity).
2. Inequalities: the difference is re-parametrized so that every hypothesis becomes the
   positivity of fresh symbols (``x in [lo, oo)`` becomes ``lo + p``, ``x in [lo, hi]`` becomes
   ``lo + (hi - lo) p / (1 + p)``, a real of either sign is split into the cases ``+p`` and
   ``-p``), factored, and sympy's assumption system is asked whether it is non-negative.
   A step may carry a *certificate* (an expression equal to the difference that sympy can
   sign), or a *monotone certificate* (value at a start point and the derivative).
3. Otherwise, no counterexample and no symbolic proof: ``verified-numeric``.

The numeric search runs first, so a ``verified`` step has also survived the dense sample; the
tests re-check every ``verified`` step at hypothesis-drawn points (a refutation there is a bug in
the checker).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import sympy as sp

# Status values (the only four a step can end with).
VERIFIED = "verified"
VERIFIED_NUMERIC = "verified-numeric"
FAILS = "fails"
NOTE = "note"
STATUSES = (VERIFIED, VERIFIED_NUMERIC, FAILS, NOTE)

RELATIONS = (">=", ">", "<=", "<", "==")

#: Relative tolerance of the numeric checks (float64 evaluation of short expressions).
NUMERIC_RTOL = 1e-9
#: Number of points of the dense numeric check of one step.
NUMERIC_POINTS = 6000
#: Fraction of coordinates drawn at an end point of their interval.
CORNER_FRACTION = 0.15
#: Offset (fraction of the interval width) used instead of an open end point.
OPEN_OFFSET = 1e-2
#: Largest number of terms of a numerator that the prover still tries to factor.
MAX_FACTOR_TERMS = 40
#: Rounded candidate points re-checked exactly per precision (simplest first).
MAX_EXACT_CHECKS = 12
#: Rounded candidate points looked at per precision (simplest first; most leave the hypotheses).
MAX_CANDIDATES = 200
#: Digits used when the exact re-check of a counterexample needs them.
EXACT_DIGITS = 30


@dataclass(frozen=True)
class Var:
    """One variable of a step with its hypothesis interval.

    Args:
        sym: The sympy symbol.
        lo: Lower end (sympy expression in earlier variables, or ``-oo``).
        hi: Upper end (sympy expression in earlier variables, or ``oo``).
        lo_open: Whether ``lo`` is excluded.
        hi_open: Whether ``hi`` is excluded.
        num_lo: Finite lower end used by the numeric search when ``lo`` is ``-oo``.
        num_hi: Finite upper end used by the numeric search when ``hi`` is ``oo``.
        integer: Integer-valued (the symbolic proof relaxes it to the real interval).
    """

    sym: sp.Symbol
    lo: Any = -sp.oo
    hi: Any = sp.oo
    lo_open: bool = False
    hi_open: bool = False
    num_lo: Any = None
    num_hi: Any = None
    integer: bool = False

    @property
    def name(self) -> str:
        return str(self.sym)


def V(sym: sp.Symbol, lo: Any = -sp.oo, hi: Any = sp.oo, **kw: Any) -> Var:
    """Short constructor for :class:`Var` (sympifies the end points)."""
    return Var(sym, sp.sympify(lo), sp.sympify(hi), **kw)


@dataclass(frozen=True)
class MonoCert:
    """Monotone certificate: ``diff(start) >= 0`` and ``d diff / d var == derivative_cert >= 0``.

    Args:
        var: The variable along which the difference is monotone.
        start: The start point (the difference is checked there, usually it is 0).
        derivative_cert: An expression equal to the derivative that sympy can sign.
    """

    var: sp.Symbol
    start: Any
    derivative_cert: Any


@dataclass(frozen=True)
class Step:
    """One link of a proof chain.

    Args:
        id: Unique id, ``claim.step`` (e.g. ``thm2.s7``).
        label: Where it is in the paper (``"Step 7"``, ``"line after Step 2"``, ...).
        text: The paper's line, shortened, as plain text.
        before: Expression before the relation (sympy).
        after: Expression after the relation (sympy).
        rel: The relation the paper claims: one of ``>=, >, <=, <, ==``.
        vars: Hypotheses as variable intervals, in dependency order.
        given: Extra hypotheses as sympy relationals (numeric check only).
        kind: ``step`` (a proof line), ``statement`` (statement vs proof hypotheses),
            ``constant`` (a check of the claimed constant), ``correction`` (a repaired step) or
            ``reading`` (another reading of an ambiguous line; reported, no effect on the verdict).
        role: ``vacuity`` (verified means: kappa > 0 only where the claim is trivial),
            ``no-kappa`` (verified means: no kappa > 0 rescues the bound), or empty.
        corrected_after: The corrected right-hand side when the printed one fails.
        corrected_rel: The corrected relation when the printed one fails.
        typo: Whether a failure repaired by the correction leaves the rest of the proof
            unchanged (then the status is ``note``); otherwise ``fails``.
        cert: Certificate expression equal to the signed difference.
        mono: Monotone certificate.
        uses: Lemma names the step relies on.
        comment: Why the step holds or how it is modelled (plain text).
        scope: ``per-sample``, ``aggregate`` or ``instance``.
        repaired_by: Ids of ``correction`` steps of the same claim that replace this step when
            it fails (the claim then follows if those verify).
    """

    id: str
    label: str
    text: str
    before: Any
    after: Any
    rel: str
    vars: tuple[Var, ...] = ()
    given: tuple[Any, ...] = ()
    kind: str = "step"
    role: str = ""
    corrected_after: Any = None
    corrected_rel: str | None = None
    typo: bool = False
    cert: Any = None
    mono: MonoCert | None = None
    uses: tuple[str, ...] = ()
    comment: str = ""
    scope: str = "per-sample"
    repaired_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.rel not in RELATIONS:
            raise ValueError(f"{self.id}: unknown relation {self.rel!r}")
        if self.corrected_rel is not None and self.corrected_rel not in RELATIONS:
            raise ValueError(f"{self.id}: unknown corrected relation {self.corrected_rel!r}")

    @property
    def has_correction(self) -> bool:
        return self.corrected_after is not None or self.corrected_rel is not None


@dataclass
class RelationResult:
    """Outcome of checking one relation ``before REL after`` over the hypotheses."""

    ok: bool
    status: str  # verified / verified-numeric / fails
    method: str
    detail: str = ""
    counterexample: dict[str, str] | None = None
    counterexample_float: dict[str, float] | None = None
    values: dict[str, float] | None = None
    points: int = 0
    violators: int = 0


@dataclass
class StepResult:
    """Result of :func:`check_step`: the status plus the evidence."""

    step: Step
    status: str
    printed: RelationResult
    corrected: RelationResult | None = None

    @property
    def counterexample(self) -> dict[str, str] | None:
        return self.printed.counterexample

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (all numbers finite or strings)."""
        s = self.step
        out: dict[str, Any] = {
            "id": s.id,
            "label": s.label,
            "kind": s.kind,
            "role": s.role,
            "scope": s.scope,
            "text": s.text,
            "before": sp.sstr(s.before),
            "relation": s.rel,
            "after": sp.sstr(s.after),
            "hypotheses": hypotheses_text(s),
            "status": self.status,
            "method": self.printed.method,
            "detail": self.printed.detail,
            "uses": list(s.uses),
            "comment": s.comment,
            "counterexample": self.printed.counterexample,
            "counterexample_float": self.printed.counterexample_float,
            "values_at_counterexample": self.printed.values,
            "numeric_points": self.printed.points,
            "numeric_violators": self.printed.violators,
        }
        if self.corrected is not None:
            out["correction"] = {
                "relation": s.corrected_rel or s.rel,
                "after": sp.sstr(s.corrected_after if s.corrected_after is not None else s.after),
                "status": self.corrected.status,
                "method": self.corrected.method,
                "detail": self.corrected.detail,
            }
        return out


# ---------------------------------------------------------------------------------------
# helpers


def hypotheses_text(step: Step) -> list[str]:
    """Human-readable hypotheses of a step (intervals, then the ``given`` relations)."""
    out = []
    for v in step.vars:
        lb = "(" if v.lo_open else "["
        rb = ")" if v.hi_open else "]"
        if v.lo == -sp.oo:
            lb = "("
        if v.hi == sp.oo:
            rb = ")"
        kind = " integer" if v.integer else ""
        out.append(f"{v.name}{kind} in {lb}{sp.sstr(v.lo)}, {sp.sstr(v.hi)}{rb}")
    out.extend(sp.sstr(g) for g in step.given)
    return out


def _difference(before: Any, after: Any, rel: str) -> sp.Expr:
    """Signed difference that must be >= 0 (or > 0, or == 0) for the relation to hold."""
    if rel in (">=", ">", "=="):
        return sp.sympify(before) - sp.sympify(after)
    return sp.sympify(after) - sp.sympify(before)


def _cases(vars: Sequence[Var]) -> list[dict[sp.Symbol, sp.Expr]]:
    """Re-parametrizations that turn the interval hypotheses into positivity of dummies."""
    cases: list[dict[sp.Symbol, sp.Expr]] = [{}]
    for k, v in enumerate(vars):
        new: list[dict[sp.Symbol, sp.Expr]] = []
        for c in cases:
            lo = sp.sympify(v.lo).xreplace(c)
            hi = sp.sympify(v.hi).xreplace(c)
            p = sp.Dummy(f"p{k}", positive=True)
            if lo == -sp.oo and hi == sp.oo:
                opts = [p, -p]
            elif hi == sp.oo:
                opts = [lo + p]
            elif lo == -sp.oo:
                opts = [hi - p]
            elif lo.is_number and hi.is_number and lo < 0 < hi:
                opts = [hi * p / (1 + p), lo * p / (1 + p)]
            else:
                opts = [lo + (hi - lo) * p / (1 + p)]
            for o in opts:
                d = dict(c)
                d[v.sym] = o
                new.append(d)
        cases = new
    return cases


def _poly_sign(num: sp.Expr, strict: bool) -> bool:
    """Whether an expanded polynomial in positive dummies has only non-negative terms."""
    num = sp.expand(num)
    if num == 0:
        return not strict
    terms = sp.Add.make_args(num)
    if all(t.is_nonnegative for t in terms):
        return (not strict) or any(t.is_positive for t in terms)
    return False


def _sign_known(expr: sp.Expr, strict: bool, termwise: bool = True) -> bool:
    """Whether sympy can show ``expr >= 0`` (``> 0`` if strict), trying cheap forms first.

    Order: sympy's assumptions on the expression; numerator/denominator of ``together`` with an
    expanded numerator whose terms all have known sign; ``factor`` of the numerator; finally
    every term of a sum on its own.
    """
    if expr == 0:
        return not strict
    if (expr.is_positive if strict else expr.is_nonnegative):
        return True
    try:
        num, den = sp.fraction(sp.together(expr))
        den_ok = bool(den.is_positive)
        if not den_ok:
            den_s = sp.expand(den)
            if den_s.is_negative:
                num, den, den_ok = -num, -den_s, True
            else:
                den_ok = _poly_sign(den_s, strict=True)
        if den_ok:
            if _poly_sign(num, strict):
                return True
            if len(sp.Add.make_args(sp.expand(num))) <= MAX_FACTOR_TERMS:
                f = sp.factor(num)
                if f.is_positive if strict else f.is_nonnegative:
                    return True
    except (sp.PolynomialError, TypeError, ValueError, RecursionError):  # pragma: no cover
        pass
    if termwise and isinstance(expr, sp.Add) and len(expr.args) <= MAX_FACTOR_TERMS:
        terms = expr.args
        return all(_sign_known(q, False, False) for q in terms) and (
            not strict or any(_sign_known(q, True, False) for q in terms))
    return False


def _symbolic_sign(diff: sp.Expr, vars: Sequence[Var], strict: bool) -> bool:
    """Prove ``diff >= 0`` (``> 0``) on every re-parametrized case."""
    cases = _cases(vars)
    if len(cases) > 64:
        return False
    for c in cases:
        e = sp.sympify(diff).xreplace(c)
        e = e.doit() if e.has(sp.Derivative) else e
        if not _sign_known(e, strict):
            return False
    return True


# ---------------------------------------------------------------------------------------
# numeric machinery


_NUMPY_MODULES: list[Any] = [{"Heaviside": lambda x, h0=1.0: np.heaviside(x, h0)}, "numpy"]


def _lambdify(syms: Sequence[sp.Symbol], expr: Any) -> Callable[..., Any]:
    return _lambdify_cached(tuple(syms), sp.sympify(expr))


@lru_cache(maxsize=4096)
def _lambdify_cached(syms: tuple[sp.Symbol, ...], expr: sp.Expr) -> Callable[..., Any]:
    return sp.lambdify(list(syms), expr, modules=_NUMPY_MODULES)


def _bcast(val: Any, n: int) -> np.ndarray:
    arr = np.asarray(val, dtype=float)
    return np.broadcast_to(arr, (n,)).astype(float) if arr.shape != (n,) else arr


def sample_points(vars: Sequence[Var], n: int, rng: np.random.Generator,
                  unit: np.ndarray | None = None) -> dict[sp.Symbol, np.ndarray]:
    """Draw ``n`` points of the hypothesis box, in dependency order.

    Args:
        vars: The variables.
        n: Number of points.
        rng: Random generator (used when ``unit`` is None).
        unit: Optional array of shape ``(n, len(vars))`` in ``[0, 1]`` that fixes the draws
            (hypothesis tests feed it); otherwise uniform draws with corners mixed in (the
            interval's end points, and 0 where the interval straddles it).

    Returns:
        Mapping symbol -> array of shape ``(n,)``.
    """
    vals: dict[sp.Symbol, np.ndarray] = {}
    syms: list[sp.Symbol] = []
    for k, v in enumerate(vars):
        lo_e = v.num_lo if v.lo == -sp.oo else v.lo
        hi_e = v.num_hi if v.hi == sp.oo else v.hi
        if lo_e is None or hi_e is None:
            raise ValueError(f"variable {v.name} needs a finite numeric range")
        lo = _bcast(_lambdify(syms, lo_e)(*[vals[s] for s in syms]), n)
        hi = _bcast(_lambdify(syms, hi_e)(*[vals[s] for s in syms]), n)
        corner = np.zeros(n, dtype=bool)
        if unit is None:
            u = rng.random(n)
            corner = rng.random(n) < CORNER_FRACTION
            u[corner] = rng.integers(0, 2, size=int(corner.sum())).astype(float)
        else:
            u = np.clip(unit[:, k], 0.0, 1.0)
        width = hi - lo
        lo_off = OPEN_OFFSET * np.abs(width) if (v.lo_open and v.lo != -sp.oo) else 0.0
        hi_off = OPEN_OFFSET * np.abs(width) if (v.hi_open and v.hi != sp.oo) else 0.0
        x = lo + lo_off + u * (width - lo_off - hi_off)
        # 0 is a corner too where the interval straddles it (every third corner draw, no extra
        # random numbers): identities "for u != 0" and sign cases meet there.
        zero = corner & (np.arange(n) % 3 == 0) & (lo < 0) & (hi > 0)
        x = np.where(zero, 0.0, x)
        if v.integer:
            x = np.clip(np.round(x), np.ceil(lo - 1e-12), np.floor(hi + 1e-12))
        vals[v.sym] = x
        syms.append(v.sym)
    return vals


def _eval(expr: Any, syms: Sequence[sp.Symbol], vals: dict[sp.Symbol, np.ndarray], n: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = _lambdify(syms, expr)(*[vals[s] for s in syms])
    return _bcast(np.real_if_close(out), n)


def violation(before: np.ndarray, after: np.ndarray, rel: str) -> np.ndarray:
    """Relative violation of ``before REL after`` (positive = violated), elementwise.

    For strict relations an equality counts as a violation (margin ``2e-6``); the exact
    re-check of :func:`numeric_search` decides whether such a point really breaks the step.
    """
    scale = 1.0 + np.abs(before) + np.abs(after)
    d = (before - after) if rel in (">=", ">", "==") else (after - before)
    if rel == "==":
        v = np.abs(d) / scale
    elif rel in (">", "<"):
        v = -d / scale + 2e-6
    else:
        v = -d / scale
    v = np.where(np.isfinite(v), v, -np.inf)
    return v


def relation_holds_numeric(before: float, after: float, rel: str, rtol: float = NUMERIC_RTOL) -> bool:
    """Float check that a relation holds up to ``rtol`` (strict relations read as non-strict)."""
    scale = 1.0 + abs(before) + abs(after)
    d = (before - after) if rel in (">=", ">", "==") else (after - before)
    if rel == "==":
        return abs(d) <= rtol * scale
    return d >= -rtol * scale


def relation_breaks_numeric(before: float, after: float, rel: str, rtol: float = NUMERIC_RTOL) -> bool:
    """Float check that a relation is violated beyond ``rtol`` (an equality breaks a strict one)."""
    scale = 1.0 + abs(before) + abs(after)
    d = (before - after) if rel in (">=", ">", "==") else (after - before)
    if rel == "==":
        return abs(d) > rtol * scale
    if rel in (">", "<"):
        return d <= rtol * scale
    return d < -rtol * scale


def _given_mask(given: Sequence[Any], syms: Sequence[sp.Symbol], vals: dict[sp.Symbol, np.ndarray],
                n: int) -> np.ndarray:
    mask = np.ones(n, dtype=bool)
    for g in given:
        lhs, rhs, op = g.lhs, g.rhs, g.rel_op
        a = _eval(lhs, syms, vals, n)
        b = _eval(rhs, syms, vals, n)
        with np.errstate(all="ignore"):
            ok = {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b, "==": np.isclose(a, b)}[op]
        mask &= ok & np.isfinite(a) & np.isfinite(b)
    return mask


def _exact_value(expr: Any, point: dict[sp.Symbol, Any]) -> sp.Float:
    return sp.N(sp.sympify(expr).xreplace(point), EXACT_DIGITS)


def _exact_holds(before: Any, after: Any, rel: str, point: dict[sp.Symbol, Any]) -> bool | None:
    """Exact (30-digit) evaluation of the relation at a point; None if not real/finite."""
    bv, av = _exact_value(before, point), _exact_value(after, point)
    if not (bv.is_real and av.is_real) or not (bv.is_finite and av.is_finite):
        return None
    tol = sp.Float(10) ** (-(EXACT_DIGITS - 8)) * (1 + abs(bv) + abs(av))
    d = (bv - av) if rel in (">=", ">", "==") else (av - bv)
    if rel == "==":
        return bool(abs(d) <= tol)
    if rel in (">", "<"):
        return bool(d > tol)
    return bool(d >= -tol)


def point_in_domain(vars: Sequence[Var], given: Sequence[Any], point: dict[sp.Symbol, Any]) -> bool:
    """Exact check that a point satisfies the interval hypotheses and the ``given`` relations."""
    for v in vars:
        x = point[v.sym]
        lo = sp.sympify(v.lo).xreplace(point)
        hi = sp.sympify(v.hi).xreplace(point)
        if lo != -sp.oo and (sp.N(x - lo, EXACT_DIGITS) < 0 or (v.lo_open and sp.N(x - lo, EXACT_DIGITS) <= 0)):
            return False
        if hi != sp.oo and (sp.N(hi - x, EXACT_DIGITS) < 0 or (v.hi_open and sp.N(hi - x, EXACT_DIGITS) <= 0)):
            return False
        if v.integer and not sp.sympify(x).is_integer:
            return False
    for g in given:
        if _exact_holds(g.lhs, g.rhs, g.rel_op, point) is not True:
            return False
    return True


def _round_sig(x: float, digits: int) -> float:
    """``x`` rounded to ``digits`` significant decimal digits (0 stays 0)."""
    return 0.0 if x == 0.0 else float(f"{x:.{digits}g}")


def _rational_text(x: float) -> str:
    """Shortest exact rational of a rounded decimal, printed as sympy prints it (``p/q``)."""
    return str(Fraction(repr(x)))


def _candidates(vars: Sequence[Var], vals: dict[sp.Symbol, np.ndarray], idx: np.ndarray,
                digits: int) -> list[tuple[str, ...]]:
    """Violating points rounded to ``digits`` significant digits, simplest first.

    The order is a total order on the rounded points themselves (printed length, then the
    printed values), so the chosen counterexample depends only on the *set* of violating
    points, not on their order in the sample or on how a sort breaks ties between equal
    violations (that tie order differs between numpy releases and CPU instruction sets).
    """
    cols: list[list[str]] = []
    for v in vars:
        col = vals[v.sym][idx]
        uniq, inv = np.unique(col, return_inverse=True)
        if v.integer:
            txt = [str(int(round(float(u)))) for u in uniq]
        else:
            txt = [_rational_text(_round_sig(float(u), digits)) for u in uniq]
        cols.append([txt[int(k)] for k in np.ravel(inv)])
    points = set(zip(*cols)) if cols else {()}
    return sorted(points, key=lambda pt: (sum(len(t) for t in pt), pt))


def _seed(key: str) -> int:
    return zlib.crc32(key.encode())


def numeric_search(before: Any, after: Any, rel: str, vars: Sequence[Var], given: Sequence[Any],
                   key: str, n: int = NUMERIC_POINTS) -> RelationResult:
    """Dense numeric check; returns ``fails`` with an exact counterexample or ``verified-numeric``.

    The sample is drawn from ``numpy.random.default_rng(crc32(key))``. Every sampled point that
    violates the relation (relative violation above ``1e-6``) is rounded to 1, 2, 3, 4, 6, 10
    and 17 significant digits in turn; at the first precision where some rounded point lies in
    the hypotheses and breaks the relation exactly (30 digits), the simplest such point (see
    :func:`_candidates`) is the counterexample. The text of the result names no sample counts
    (they are in :attr:`RelationResult.points` and :attr:`RelationResult.violators`), so the
    generated reports do not depend on float-level details of a numpy release.
    """
    rng = np.random.default_rng(_seed(key))
    syms = [v.sym for v in vars]
    vals = sample_points(vars, n, rng)
    mask = _given_mask(given, syms, vals, n)
    bv = _eval(before, syms, vals, n)
    av = _eval(after, syms, vals, n)
    viol = violation(bv, av, rel)
    viol = np.where(mask, viol, -np.inf)
    npts = int(mask.sum())
    if npts == 0:
        return RelationResult(False, FAILS, "numeric", "no sampled point satisfies the hypotheses",
                              points=0)
    violators = np.flatnonzero(viol > 1e-6)
    for digits in (1, 2, 3, 4, 6, 10, 17):
        if not violators.size:
            break
        checked = 0
        for pt in _candidates(vars, vals, violators, digits)[:MAX_CANDIDATES]:
            point = {v.sym: sp.Rational(t) for v, t in zip(vars, pt)}
            if not point_in_domain(vars, given, point):
                continue
            checked += 1
            if _exact_holds(before, after, rel, point) is False:
                bx, ax = _exact_value(before, point), _exact_value(after, point)
                return RelationResult(
                    False, FAILS, "counterexample",
                    "violated at a point of the hypotheses (the simplest rounded violating sample "
                    "point, re-checked exactly)",
                    counterexample={str(k): sp.sstr(val) for k, val in point.items()},
                    counterexample_float={str(k): float(val) for k, val in point.items()},
                    values={"before": float(bx), "after": float(ax)},
                    points=npts, violators=int(violators.size),
                )
            if checked >= MAX_EXACT_CHECKS:
                break
    if violators.size:
        # Violations only in floating point: treat as not refuted but say so.
        return RelationResult(True, VERIFIED_NUMERIC, "numeric",
                              "no exact counterexample; float-level near-violations only "
                              f"({n} points drawn, rtol {NUMERIC_RTOL:g})",
                              points=npts, violators=int(violators.size))
    return RelationResult(True, VERIFIED_NUMERIC, "numeric",
                          f"dense numeric check over the hypotheses ({n} points drawn), no violation "
                          f"(rtol {NUMERIC_RTOL:g})", points=npts)


def check_relation(before: Any, after: Any, rel: str, vars: Sequence[Var], given: Sequence[Any] = (),
                   cert: Any = None, mono: MonoCert | None = None, key: str = "") -> RelationResult:
    """Decide ``before REL after`` under the hypotheses (symbolic first, numeric fallback)."""
    before, after = sp.sympify(before), sp.sympify(after)
    diff = _difference(before, after, rel)
    strict = rel in (">", "<")
    # The numeric search runs first: a counterexample settles the step, and a symbolic
    # verification is cross-checked against the same points.
    num = numeric_search(before, after, rel, vars, given, key or sp.sstr(diff))
    if num.status == FAILS:
        return num
    method = ""
    if not given:
        if rel == "==":
            if sp.simplify(diff) == 0:
                method = "identity (simplify(before - after) == 0)"
            elif _identity_by_cases(diff, vars):
                method = "identity on every sign case of the variables"
        elif _symbolic_sign(diff, vars, strict):
            method = "symbolic sign (re-parametrized hypotheses, sympy assumptions)"
        elif cert is not None and sp.simplify(diff - sp.sympify(cert)) == 0 and _symbolic_sign(cert, vars, strict):
            method = f"certificate: before - after == {sp.sstr(cert)}"
        elif mono is not None and _mono_ok(diff, vars, mono, strict):
            method = (f"monotone certificate: difference at {mono.var}={mono.start} is >= 0 and "
                      f"d/d{mono.var} == {sp.sstr(mono.derivative_cert)} > 0")
    if method:
        return RelationResult(True, VERIFIED, method, "cross-checked by the dense numeric check",
                              points=num.points, violators=num.violators)
    return num


def _identity_by_cases(diff: sp.Expr, vars: Sequence[Var]) -> bool:
    cases = _cases(vars)
    if len(cases) > 64:
        return False
    return all(sp.simplify(sp.piecewise_fold(diff.xreplace(c))) == 0 for c in cases)


def _mono_ok(diff: sp.Expr, vars: Sequence[Var], mono: MonoCert, strict: bool) -> bool:
    start = sp.simplify(diff.subs(mono.var, mono.start))
    if not (start == 0 or start.is_nonnegative):
        return False
    deriv = sp.diff(diff, mono.var)
    if sp.simplify(deriv - sp.sympify(mono.derivative_cert)) != 0:
        return False
    return _symbolic_sign(sp.sympify(mono.derivative_cert), vars, strict=True)


def check_step(step: Step) -> StepResult:
    """Check a step as printed and, if it fails and a correction is given, the correction.

    Returns:
        The :class:`StepResult`; status ``note`` when the printed form fails, the corrected
        form holds and the step is marked as a typo; ``fails`` when the printed form fails
        otherwise (the corrected form's status is kept as evidence).
    """
    printed = check_relation(step.before, step.after, step.rel, step.vars, step.given,
                             step.cert, step.mono, key=step.id)
    if printed.ok:
        return StepResult(step, printed.status, printed)
    corrected = None
    status = FAILS
    if step.has_correction:
        c_after = step.corrected_after if step.corrected_after is not None else step.after
        c_rel = step.corrected_rel or step.rel
        corrected = check_relation(step.before, c_after, c_rel, step.vars, step.given,
                                   step.cert, step.mono, key=step.id + ".corrected")
        if corrected.ok and step.typo:
            status = NOTE
    return StepResult(step, status, printed, corrected)


def evaluate_at(step: Step, point: dict[str, Any], corrected: bool = False) -> tuple[float, float]:
    """Float values of (before, after) at a point given by variable names (tests use this)."""
    subs = {v.sym: sp.sympify(point[v.name]) for v in step.vars}
    after = step.after
    if corrected and step.corrected_after is not None:
        after = step.corrected_after
    return (float(sp.N(sp.sympify(step.before).xreplace(subs), 20)),
            float(sp.N(sp.sympify(after).xreplace(subs), 20)))


def kappa_positive_region(kappa: Any, eps: sp.Symbol) -> str:
    """Where a claimed kappa is a positive real number, solved for ``eps`` (text).

    Factors that do not depend on ``eps`` and are positive by assumption are dropped first.
    """
    kappa = sp.sympify(kappa)
    if not kappa.has(eps):
        pos = kappa.is_positive
        return "all eps > 0" if pos else ("never" if pos is False else f"where {sp.sstr(kappa)} > 0")
    rest = sp.Integer(1)
    for f in sp.Mul.make_args(sp.together(kappa)):
        if f.has(eps) or not f.is_positive:
            rest *= f
    if rest.is_positive:
        return "all eps > 0"
    num, den = sp.fraction(sp.together(1 / rest))
    try:  # 1/kappa = num/den > 0  <=>  num * den > 0, a polynomial in eps when kappa is rational
        sol = sp.solve_univariate_inequality(sp.expand(num * den) > 0, eps, relational=False)
    except (NotImplementedError, ValueError, TypeError):
        sol = sp.solve_univariate_inequality(rest > 0, eps, relational=False)
    sol = sp.Intersection(sol, sp.Interval.open(0, sp.oo))
    if sol == sp.Interval.open(0, sp.oo):
        return "all eps > 0"
    if isinstance(sol, sp.Intersection):
        inner = [s_ for s_ in sol.args if s_ != sp.Interval.open(0, sp.oo)]
        if len(inner) == 1 and isinstance(inner[0], sp.Interval) and inner[0].right == sp.oo \
                and sp.sympify(inner[0].left).is_positive:
            sol = inner[0]
    if isinstance(sol, sp.Interval) and sol.right == sp.oo:
        op = ">" if sol.left_open else ">="
        return f"eps {op} {sp.sstr(sol.left)} only"
    return f"eps in {sp.sstr(sol)}"


def iter_counts(results: Iterable[StepResult]) -> dict[str, int]:
    """Status -> count."""
    out = {s: 0 for s in STATUSES}
    for r in results:
        out[r.status] += 1
    return out


__all__ = [
    "VERIFIED", "VERIFIED_NUMERIC", "FAILS", "NOTE", "STATUSES", "RELATIONS",
    "NUMERIC_RTOL", "NUMERIC_POINTS", "Var", "V", "MonoCert", "Step",
    "RelationResult", "StepResult", "check_relation", "check_step", "numeric_search",
    "sample_points", "violation", "relation_holds_numeric", "relation_breaks_numeric", "point_in_domain", "evaluate_at",
    "kappa_positive_region", "hypotheses_text", "iter_counts",
]
