"""Hyperparameter selection on a validation split.

The paper (Section 4, first paragraph) "tried different learning rates and picked the best ones
individually for both methods". Here the pick is explicit and reproducible: every candidate of a
fixed grid is trained once on the training part of a validation split, and the candidate with the
smallest validation metric wins. Non-finite metrics (a diverged run) count as ``+inf``; ties go to
the earliest candidate in the grid, so the pick depends only on the grid order and the metrics.
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
