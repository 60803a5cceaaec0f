"""Theorem 8's NGD runs stacked (instance batching, issue 12) equal the runs made one at a time.

Reference: :func:`slqc.claims.sngd.ngd`, the sequential loop whose bookkeeping is plain Python
(itself tested against its torch twin in test_instance_batching.py). The stacked loop keeps a
block of iterates and does the bookkeeping after it, so the blocks are made short here to cross
many block boundaries.
"""

from __future__ import annotations

import math
import tempfile

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import slqc.claims.sngd as sngd
from slqc.activations import get_activation
from slqc.check import _evaluate_batch
from slqc.claims import get_claim
from slqc.claims.sngd import NGDRun, ngd, ngd_many

DT = torch.float64
TARGETS = ("best", "tight", "never")


def _run(g: torch.Generator, act: str, m: int, d: int, T: int, X: torch.Tensor | None = None,
         exact_start: bool = False) -> NGDRun:
    X = torch.randn(m, d, generator=g, dtype=DT) / math.sqrt(d) if X is None else X
    A = get_activation(act, a=0.1 + 0.4 * float(torch.rand((), generator=g)), b=1.0) \
        if act == "generalized_relu" else get_activation(act)
    wstar = torch.randn(d, generator=g, dtype=DT)
    w1 = torch.randn(d, generator=g, dtype=DT)
    # exact_start: the gradient at w1 is zero, so X w1 is formed as the numpy loops form it (torch's
    # product may round differently from numpy's on some CPUs: seen on an AMD EPYC)
    y = A.phi(torch.from_numpy(X.numpy() @ w1.numpy()) if exact_start else X @ wstar)
    f_star = float(((A.phi(X @ wstar) - y) ** 2).mean())
    eps = 10 ** float(-3 * torch.rand((), generator=g))
    thr = dict(zip(TARGETS, (3 * eps, 3 * eps**3, -1.0)))
    radius = float(torch.linalg.vector_norm(w1)) * (0.5 + float(torch.rand((), generator=g)))
    return NGDRun(X, y, A, w1, f_star, eps / (1 + 9 * float(torch.rand((), generator=g))), T, thr, radius)


def _assert_same(one: dict, two: dict) -> None:
    """To the last bit: the stacked products call the same BLAS routine per run as the plain loop."""
    assert one.keys() == two.keys()
    for key, v in one.items():
        if torch.is_tensor(v):
            torch.testing.assert_close(v, two[key], rtol=0, atol=0, equal_nan=True, msg=key)
        elif isinstance(v, float) and math.isnan(v):
            assert math.isnan(two[key]), key
        else:
            assert v == two[key], key


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), act=st.sampled_from(["generalized_relu", "relu", "sigmoid", "identity"]),
       R=st.integers(2, 5), shared=st.booleans(), block=st.integers(1, 40), m=st.integers(1, 40),
       d=st.integers(1, 6), Ts=st.lists(st.integers(1, 150), min_size=5, max_size=5))
def test_stacked_runs_equal_the_runs_one_at_a_time(seed, act, R, shared, block, m, d, Ts):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(m, d, generator=g, dtype=DT) if shared else None
    runs = [_run(g, act, m, d, Ts[i], X) for i in range(R)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sngd, "_NGD_BLOCK", block)
        out = ngd_many(runs)
    for run, res in zip(runs, out):
        _assert_same(ngd(*run), res)


def test_a_zero_gradient_stops_its_run_only(monkeypatch):
    """The first run starts at a zero-residual point: one iteration, as the loop's break; the others go on."""
    monkeypatch.setattr(sngd, "_NGD_BLOCK", 16)
    g = torch.Generator().manual_seed(11)
    runs = [_run(g, "generalized_relu", 30, 4, 100, exact_start=True)] + \
           [_run(g, "generalized_relu", 30, 4, T) for T in (100, 37)]
    out = ngd_many(runs)
    assert out[0]["iterations"] == 1 and [o["iterations"] for o in out[1:]] == [100, 37]
    for run, res in zip(runs, out):
        _assert_same(ngd(*run), res)


def test_runs_group_by_shape_and_activation_and_the_rest_run_alone(monkeypatch):
    """Mixed shapes, and the sigmoid beside the piecewise-linear family: one stacked loop per group."""
    stacked: list[int] = []
    real = sngd._ngd_stacked
    monkeypatch.setattr(sngd, "_ngd_stacked", lambda runs: stacked.append(len(runs)) or real(runs))
    g = torch.Generator().manual_seed(4)
    runs = [_run(g, "generalized_relu", 20, 3, 50), _run(g, "sigmoid", 20, 3, 50), _run(g, "relu", 20, 3, 60),
            _run(g, "generalized_relu", 21, 3, 50), _run(g, "sigmoid", 20, 3, 10)]
    out = ngd_many(runs)
    assert sorted(stacked) == [2, 2]  # (20, 3) piecewise-linear x 2, sigmoid x 2; m = 21 alone
    for run, res in zip(runs, out):
        _assert_same(ngd(*run), res)


def test_theorem8_batch_stacks_its_runs_and_keeps_every_record(monkeypatch):
    """slqc check's instance batch runs Theorem 8's NGD runs as one stacked loop (Claim.prefetch_runs);
    every field of every record equals the one-setting-at-a-time run's (real numbers up to float
    rounding: the search's products round by their batch's shape), and the loop's time is shared out
    by iterations."""
    stacked: list[int] = []
    real = sngd._ngd_stacked
    monkeypatch.setattr(sngd, "_ngd_stacked", lambda runs: stacked.append(len(runs)) or real(runs))
    claim = get_claim("thm8")
    items = [("thm8", dict(s, seed=int(s.get("seed", 0)))) for s in claim.settings("quick")]
    wd = tempfile.mkdtemp()
    batched = _evaluate_batch(items, "quick", None, 0, wd)
    assert stacked == [3]  # two claimed runs and one empirical (the other empirical kappa is 0: no run)
    alone = [_evaluate_batch([it], "quick", None, 0, wd)[0] for it in items]
    assert stacked == [3]  # alone: the plain loop
    for recs_a, recs_b in zip(alone, batched):
        assert len(recs_a) == len(recs_b) == 6
        for a, b in zip(recs_a, recs_b):
            skip = {"seconds", "searched"}
            assert a.keys() == b.keys()
            for k in a.keys() - skip:
                if isinstance(a[k], float) and isinstance(b[k], float) and math.isfinite(a[k]):
                    assert b[k] == pytest.approx(a[k], rel=1e-9), k
                else:
                    assert a[k] == b[k], k
    short = [r for recs in batched for r in recs if r.get("iterations_run") == 11]
    long_ = [r for recs in batched for r in recs if r.get("iterations_run") == 20000 and r["setting"]["eps"] == 0.01]
    assert short and long_ and short[0]["seconds"] < long_[0]["seconds"]


def test_prefetch_runs_without_its_search_declares_none():
    claim = get_claim("thm8")
    s = dict(claim.settings("quick")[0], seed=0)
    assert claim.prefetch_runs(s, claim.build(s), {}, "quick") == []
    assert get_claim("thm1").prefetch_runs(s, claim.build(s), {}, "quick") == []


@pytest.mark.parametrize("T", [0, -3])
def test_a_run_of_no_iterations_is_the_loops_own(T):
    g = torch.Generator().manual_seed(2)
    run = _run(g, "relu", 10, 3, 5)._replace(T=T)
    two = _run(g, "relu", 10, 3, 5)
    out = ngd_many([run, two])
    _assert_same(ngd(*run), out[0])
    assert out[0]["iterations"] == 0


def test_the_stack_bench_checks_its_two_ways_agree_and_refuses_bad_input(capsys):
    """docs/ngd_stack_bench.py (the figures of the stacked loop): JSON rows, identical results, exit 2 on bad input."""
    import json

    from . import docs_scripts

    bench = docs_scripts.load("ngd_stack_bench")
    assert bench.main(["--runs", "1,3", "--iterations", "40", "--repeats", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["m"], out["d"]) == (256, 16)
    assert [r["runs"] for r in out["rows"]] == [1, 3] and all(r["identical"] for r in out["rows"])
    assert all(r["speedup"] == pytest.approx(r["one_at_a_time"] / r["stacked"]) for r in out["rows"])
    for bad in (["--runs", "0"], ["--runs", "two"], ["--iterations", "0"]):
        assert bench.main(bad) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("ngd_stack_bench:")


def test_a_run_that_turns_nan_keeps_the_loops_bookkeeping():
    """A NaN target makes every gap and later iterate NaN: no best, no hit, the largest norm of the
    finite iterates (the loop's max() never takes a NaN); the run beside it is unaffected."""
    g = torch.Generator().manual_seed(8)
    bad = _run(g, "generalized_relu", 12, 3, 30)
    y = bad.y.clone()
    y[4] = math.nan
    runs = [bad._replace(y=y), _run(g, "generalized_relu", 12, 3, 30, X=bad.X)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sngd, "_NGD_BLOCK", 8)
        out = ngd_many(runs)
    ref = ngd(*runs[0])
    assert math.isnan(ref["last_gap"]) and ref["best_gap"] == math.inf and math.isfinite(ref["max_norm"])
    for run, res in zip(runs, out):
        _assert_same(ngd(*run), res)
