"""The learning-rate pick is the argmin of the validation metric (experiments.selection)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.selection import pick_lr, select

GRID = [0.001, 0.01, 0.1, 1.0]
CASES = [
    # (id, validation metric per grid entry, expected pick)
    {"id": "interior-min", "metric": [0.5, 0.2, 0.3, 0.9], "pick": 0.01},
    {"id": "last", "metric": [0.5, 0.4, 0.3, 0.2], "pick": 1.0},
    {"id": "diverged-largest", "metric": [0.5, 0.4, 0.3, math.nan], "pick": 0.1},
    {"id": "inf-and-none", "metric": [math.inf, None, 0.7, 0.8], "pick": 0.1},
    {"id": "tie-first-wins", "metric": [0.3, 0.2, 0.2, 0.4], "pick": 0.01},
    {"id": "all-diverged-first", "metric": [math.nan, math.nan, math.inf, None], "pick": 0.001},
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_pick_is_argmin_on_fixed_grid(case):
    table = dict(zip(GRID, case["metric"]))
    pick, rows = pick_lr(lambda lr: table[lr], GRID)
    assert pick == case["pick"]
    assert [r["lr"] for r in rows] == GRID
    assert [r["picked"] for r in rows] == [lr == case["pick"] for lr in GRID]
    assert sum(r["picked"] for r in rows) == 1


def test_every_candidate_evaluated_once_in_order():
    seen = []
    select(lambda c: seen.append(c["lr"]) or c["lr"], [{"lr": v} for v in GRID])
    assert seen == GRID


def test_multi_field_candidates_kept():
    grid = [{"lr": 0.1, "momentum": 0.5}, {"lr": 0.1, "momentum": 0.9}]
    pick, rows = select(lambda c: -c["momentum"], grid)
    assert pick == {"lr": 0.1, "momentum": 0.9}
    assert rows[1]["val_metric"] == -0.9


def test_empty_grid_raises():
    with pytest.raises(ValueError):
        select(lambda c: 0.0, [])


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.none()),
                min_size=1, max_size=8))
def test_pick_matches_numpy_argmin(values):
    clean = np.array([math.inf if (v is None or not math.isfinite(v)) else v for v in values], dtype=float)
    grid = [{"lr": float(i + 1)} for i in range(len(values))]
    pick, _ = select(lambda c: values[int(c["lr"]) - 1], grid)
    assert pick["lr"] == float(np.argmin(clean) + 1)
