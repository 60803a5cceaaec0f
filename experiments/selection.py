"""Hyperparameter selection on a validation split.

The paper (Section 4, first paragraph) "tried different learning rates and picked the best ones
individually for both methods". Here the pick is explicit and reproducible: every candidate of a
fixed grid is trained once on the training part of a validation split, and the candidate with the
smallest validation metric wins. Non-finite metrics (a diverged run) count as ``+inf``; ties go to
the earliest candidate in the grid, so the pick depends only on the grid order and the metrics.

:func:`select_extending` grows the learning-rate grid until the pick is interior: while the best
candidate sits at an end of the grid, one more learning rate is tried beyond that end (one grid
ratio further), up to a cap. A pick at the edge of a fixed grid says only that the best rate lies
somewhere beyond it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any


def _finite_or_inf(value: float | None) -> float:
    """Map ``None``/NaN/inf to ``+inf`` so that a diverged candidate never wins."""
    if value is None:
        return math.inf
    value = float(value)
    return value if math.isfinite(value) else math.inf


def select(
    evaluate: Callable[[dict[str, Any]], float | None],
    grid: Sequence[dict[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Evaluate every candidate of ``grid`` and return the argmin of the validation metric.

    Args:
        evaluate: maps a candidate (e.g. ``{"lr": 0.1}``) to its validation metric (lower is better).
        grid: the candidates, in a fixed order (the order breaks ties).

    Returns:
        ``(pick, table)``: the winning candidate and one row per candidate,
        ``{**candidate, "val_metric": value, "picked": bool}`` (``value`` as returned, possibly NaN).

    Raises:
        ValueError: if the grid is empty.

    Example:
        >>> select(lambda c: (c["lr"] - 0.1) ** 2, [{"lr": 0.01}, {"lr": 0.1}, {"lr": 1.0}])[0]
        {'lr': 0.1}
    """
    if len(grid) == 0:
        raise ValueError("empty hyperparameter grid")
    rows: list[dict[str, Any]] = []
    best_i, best_v = 0, math.inf
    for i, cand in enumerate(grid):
        value = evaluate(dict(cand))
        rows.append({**cand, "val_metric": None if value is None else float(value)})
        v = _finite_or_inf(value)
        if v < best_v:
            best_i, best_v = i, v
    for i, row in enumerate(rows):
        row["picked"] = i == best_i
    return dict(grid[best_i]), rows


def pick_lr(
    evaluate: Callable[[float], float | None], grid: Sequence[float]
) -> tuple[float, list[dict[str, Any]]]:
    """Learning-rate-only form of :func:`select`.

    Example:
        >>> pick_lr(lambda lr: {0.01: 0.5, 0.1: 0.2, 1.0: float("nan")}[lr], [0.01, 0.1, 1.0])[0]
        0.1
    """
    pick, rows = select(lambda c: evaluate(c["lr"]), [{"lr": float(lr)} for lr in grid])
    return pick["lr"], rows


LR_MIN, LR_MAX = 1e-6, 1e3  # never extend beyond these


_ROW_KEYS = ("lr", "val_metric", "picked", "added")


def _others(cand: dict[str, Any]) -> tuple:
    """The candidate's fields other than ``lr`` (and the table's own columns)."""
    return tuple(sorted((k, v) for k, v in cand.items() if k not in _ROW_KEYS))


def is_interior(pick: dict[str, Any], evaluated: Sequence[dict[str, Any]]) -> bool:
    """True if some evaluated candidate with the same non-``lr`` fields has a smaller and some a
    larger ``lr`` than ``pick`` (the pick is bracketed).

    Example:
        >>> is_interior({"lr": 0.1}, [{"lr": 0.03}, {"lr": 0.1}, {"lr": 0.3}]), is_interior({"lr": 0.3}, [{"lr": 0.1}, {"lr": 0.3}])
        (True, False)
    """
    lrs = [c["lr"] for c in evaluated if _others(c) == _others(pick)]
    return any(lr < pick["lr"] for lr in lrs) and any(lr > pick["lr"] for lr in lrs)


def select_extending(
    evaluate: Callable[[dict[str, Any]], float | None],
    grid: Sequence[dict[str, Any]],
    max_extend: int = 3,
    ratio: float | None = None,
    evaluate_many: Callable[[list[dict[str, Any]]], list[float | None]] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """:func:`select`, then extend the ``lr`` axis until the pick is interior.

    While the pick has the smallest (largest) ``lr`` among the evaluated candidates with its other
    fields (e.g. its momentum), the candidate with ``lr / ratio`` (``lr * ratio``) is evaluated too,
    at most ``max_extend`` times in all and never outside ``[LR_MIN, LR_MAX]``. A diverged candidate
    beyond the pick brackets it as well as any other.

    Args:
        evaluate: maps a candidate to its validation metric (lower is better; non-finite loses).
        grid: the starting candidates, each with an ``"lr"``.
        max_extend: the most candidates added.
        ratio: the step between learning rates (default: the ratio of the two smallest distinct
            ``lr`` of ``grid``, else 3).
        evaluate_many: maps the whole starting grid to its metrics at once (so that an executor can
            run the candidates in parallel); the result must equal ``[evaluate(c) for c in grid]``.
            The extension steps still go one candidate at a time through ``evaluate``.

    Returns:
        ``(pick, table)``: rows sorted by (other fields, ``lr``); each row is
        ``{**candidate, "val_metric", "picked", "added"}`` (``added``: tried by the extension;
        ``val_metric`` NaN where the evaluation returned None). Whether the pick ended interior
        is :func:`is_interior` of the pick and the rows.

    Raises:
        ValueError: if the grid is empty or a candidate has no ``"lr"``.

    Example:
        >>> pick, rows = select_extending(lambda c: (c["lr"] - 3.0) ** 2, [{"lr": 0.1}, {"lr": 0.3}, {"lr": 1.0}])
        >>> pick, [r["lr"] for r in rows if r["added"]]
        ({'lr': 3.0}, [3.0, 9.0])
    """
    if len(grid) == 0:
        raise ValueError("empty hyperparameter grid")
    if any("lr" not in c for c in grid):
        raise ValueError("every candidate needs an 'lr'")
    lrs = sorted({float(c["lr"]) for c in grid})
    step = ratio if ratio is not None else (lrs[1] / lrs[0] if len(lrs) > 1 and lrs[0] > 0 else 3.0)
    cands = [dict(c) for c in grid]
    first = evaluate_many([dict(c) for c in cands]) if evaluate_many is not None else \
        [evaluate(dict(c)) for c in cands]
    values: list[float] = [math.nan if v is None else float(v) for v in first]
    added = [False] * len(cands)
    for _ in range(max_extend):
        best = min(range(len(cands)), key=lambda i: (_finite_or_inf(values[i]), i))
        pick = cands[best]
        same = [c["lr"] for c in cands if _others(c) == _others(pick)]
        if pick["lr"] <= min(same):
            new_lr = pick["lr"] / step
        elif pick["lr"] >= max(same):
            new_lr = pick["lr"] * step
        else:
            break
        if not LR_MIN <= new_lr <= LR_MAX:
            break
        new = {**pick, "lr": float(f"{new_lr:.6g}")}
        cands.append(new)
        v = evaluate(dict(new))
        values.append(math.nan if v is None else float(v))
        added.append(True)
    best = min(range(len(cands)), key=lambda i: (_finite_or_inf(values[i]), i))
    rows = [{**c, "val_metric": v, "picked": i == best, "added": a}
            for i, (c, v, a) in enumerate(zip(cands, values, added))]
    rows.sort(key=lambda r: (_others(r), r["lr"]))
    return dict(cands[best]), rows
