"""Executors: the local pool and Ray give the same results as a plain loop, streamed per task."""

from __future__ import annotations

import pytest

from slqc.executors import LocalExecutor, make_executor


def _square_plus(x: int, y: int) -> int:
    return x * x + y


ARGS = [(i, 10 * i) for i in range(6)]
EXPECTED = {i: _square_plus(*a) for i, a in enumerate(ARGS)}


def test_local_in_process_matches_loop():
    assert dict(LocalExecutor(jobs=1).map_unordered(_square_plus, ARGS)) == EXPECTED


def test_local_pool_matches_loop():
    assert dict(LocalExecutor(jobs=2).map_unordered(_square_plus, ARGS)) == EXPECTED


@pytest.mark.parametrize("kwargs, match", [(dict(kind="dask"), "unknown executor"), (dict(jobs=0), "jobs must be"),
                                           (dict(kind="local", address="x:1"), "goes with --executor ray")])
def test_bad_input_is_one_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_executor(**kwargs)


def test_ray_local_instance_matches_loop():
    pytest.importorskip("ray")
    ex = make_executor("ray", jobs=2)
    assert dict(ex.map_unordered(_square_plus, ARGS)) == EXPECTED
