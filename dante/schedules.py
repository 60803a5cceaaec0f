"""Schedules: callables ``step -> bool`` that say when a quantity is computed (Cockpit-style)."""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["Schedule", "linear", "logarithmic", "every_step", "never"]

Schedule = Callable[[int], bool]


def linear(every: int, offset: int = 0) -> Schedule:
    """True at ``step = offset, offset + every, ...``.

    Example:
        >>> s = linear(3); [t for t in range(10) if s(t)]
        [0, 3, 6, 9]
    """
    if every < 1:
        raise ValueError(f"schedule interval must be >= 1, got {every}")

    def schedule(step: int) -> bool:
        return step >= offset and (step - offset) % every == 0

    return schedule


def logarithmic(start: int, end: int, steps: int = 50) -> Schedule:
    """True at about ``steps`` log-spaced integers between ``start`` and ``end`` (and at 0).

    Example:
        >>> s = logarithmic(1, 100, 3); [t for t in range(101) if s(t)]
        [0, 1, 10, 100]
    """
    points = set(int(v) for v in np.unique(np.round(np.logspace(np.log10(max(start, 1)), np.log10(max(end, 1)), steps))))
    points.add(0)
    return lambda step: step in points


def every_step() -> Schedule:
    """True at every step."""
    return lambda step: True


def never() -> Schedule:
    """Never true (switches a quantity off)."""
    return lambda step: False
