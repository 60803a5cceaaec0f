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


# ---- the grid grows until the pick is interior (experiments.selection.select_extending) ----

from experiments.selection import LR_MAX, is_interior, select_extending  # noqa: E402


def _bowl(best: float):
    """Validation metric with its minimum at ``lr = best`` (log scale)."""
    return lambda c: (math.log10(c["lr"]) - math.log10(best)) ** 2


@pytest.mark.parametrize("best,expect_added", [
    (3.0, [3.0, 9.0]),          # above the grid: two steps up, then 3 is bracketed
    (0.011, [0.0333333, 0.0111111, 0.0037037]),  # below: three steps down
    (0.3, []),                  # interior from the start: nothing added
])
def test_extension_until_interior(best, expect_added):
    grid = [{"lr": 0.1}, {"lr": 0.3}, {"lr": 1.0}]
    pick, rows = select_extending(_bowl(best), grid, max_extend=5)
    added = sorted((r["lr"] for r in rows if r["added"]), reverse=best < 0.1)
    assert added == pytest.approx(expect_added, rel=1e-5)
    assert is_interior(pick, rows)
    lrs = [r["lr"] for r in rows]
    # brute force: the pick is the argmin of the bowl over every evaluated rate
    assert pick["lr"] == min(lrs, key=lambda lr: _bowl(best)({"lr": lr}))
    assert lrs == sorted(lrs) and sum(r["picked"] for r in rows) == 1


def test_extension_cap_leaves_an_edge_pick():
    pick, rows = select_extending(_bowl(1000.0), [{"lr": 0.1}, {"lr": 0.3}], max_extend=2)
    assert [r["lr"] for r in rows] == pytest.approx([0.1, 0.3, 0.9, 2.7])
    assert pick["lr"] == pytest.approx(2.7) and not is_interior(pick, rows)


def test_diverged_neighbour_brackets_the_pick():
    def metric(c):  # improves with lr until it diverges above 1
        return math.nan if c["lr"] > 1.0 else 1.0 / c["lr"]
    pick, rows = select_extending(metric, [{"lr": 0.1}, {"lr": 0.3}, {"lr": 1.0}], max_extend=4)
    assert pick == {"lr": 1.0}
    assert [r["lr"] for r in rows if r["added"]] == [3.0] and is_interior(pick, rows)


def test_extension_keeps_the_other_fields_and_bounds():
    grid = [{"lr": 0.1, "momentum": 0.5}, {"lr": 0.3, "momentum": 0.5}, {"lr": 0.1, "momentum": 0.9},
            {"lr": 0.3, "momentum": 0.9}]
    pick, rows = select_extending(lambda c: -c["lr"] - c["momentum"], grid, max_extend=1)
    assert pick == {"lr": 0.9, "momentum": 0.9}
    assert [(r["lr"], r["momentum"]) for r in rows if r["added"]] == [(0.9, 0.9)]
    pick, rows = select_extending(lambda c: -c["lr"], [{"lr": LR_MAX / 2}, {"lr": LR_MAX}], max_extend=3)
    assert max(r["lr"] for r in rows) == LR_MAX  # never beyond the bound
    with pytest.raises(ValueError):
        select_extending(lambda c: 0.0, [{"momentum": 0.9}])
