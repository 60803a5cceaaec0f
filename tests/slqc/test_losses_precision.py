"""Cross-entropy losses against 50-digit references (mpmath): :meth:`slqc.losses.Loss.per_sample`
(binary: softplus(t) - y t; multi-class: log-softmax) errs by a few ulps of (sum of the targets) x
|t| absolutely. That is not relative to a tiny per-sample loss (a confident right prediction),
which the checks never need: they compare gaps with eps."""

from __future__ import annotations

import math

import mpmath
import pytest
import torch

from slqc.activations import get_activation
from slqc.losses import FAST_T_MAX, _fast, get_loss, logsumexp_sum, softplus_sum, sum_log

mpmath.mp.dps = 50
DT = torch.float64


def _bce_ref(t: float, y: float) -> float:
    t, y = mpmath.mpf(t), mpmath.mpf(y)
    s = 1 / (1 + mpmath.e ** (-t))
    return float(-(y * mpmath.log(s) + (1 - y) * mpmath.log(1 - s)))


def _ce_ref(t: list[float], y: list[float]) -> float:
    t = [mpmath.mpf(v) for v in t]
    lse = mpmath.log(sum(mpmath.e ** v for v in t))
    return float(-sum(mpmath.mpf(yj) * (tj - lse) for yj, tj in zip(y, t)))


def _check(got: torch.Tensor, want: list[float], scale: torch.Tensor) -> None:
    want_t = torch.tensor(want, dtype=DT)
    err = (got - want_t).abs()
    assert bool((err <= 8e-16 * (1 + scale)).all()), float((err / (1 + scale)).max())


def test_binary_cross_entropy_against_50_digits():
    g = torch.Generator().manual_seed(0)
    t = torch.cat([torch.linspace(-60, 60, 121, dtype=DT), 3 * torch.randn(300, generator=g, dtype=DT)])
    y = torch.cat([torch.tensor([0.0, 1.0, 0.5], dtype=DT).repeat(41)[:121], torch.rand(300, generator=g, dtype=DT)])
    got = get_loss("bce").per_sample(t, y, get_activation("sigmoid"), False)
    _check(got, [_bce_ref(a, b) for a, b in zip(t.tolist(), y.tolist())], t.abs())


@pytest.mark.parametrize("k", [2, 4, 10])
def test_softmax_cross_entropy_against_50_digits(k):
    g = torch.Generator().manual_seed(k)
    t = torch.cat([8 * torch.randn(100, k, generator=g, dtype=DT), 40 * torch.randn(20, k, generator=g, dtype=DT)])
    y = torch.rand(120, k, generator=g, dtype=DT)
    y[:40] = torch.nn.functional.one_hot(torch.randint(k, (40,), generator=g), k).to(DT)  # hard labels
    y[40:80] /= y[40:80].sum(1, keepdim=True)  # soft labels; the rest need not sum to one
    got = get_loss("ce").per_sample(t, y, get_activation("softmax"), True)
    want = [_ce_ref(a, b) for a, b in zip(t.tolist(), y.tolist())]
    _check(got, want, (y.sum(1) * t.abs().amax(1)))


def test_pass_bench_times_both_forms_of_every_case(capsys, tmp_path):
    """docs/pass_bench.py (docs/speed.md's figures for the faster passes): each row's speed-up is the
    ratio of its own medians, and the two forms agree to rounding."""
    import json

    from . import docs_scripts

    bench = docs_scripts.load("pass_bench")
    rows = bench.run(repeats=1, inner=1)
    assert {r["case"].split()[0] for r in rows} == {"bce", "ce", "plin_phi", "hidden_loss", "hidden_out", "hidden_out_t"}
    for r in rows:
        assert r["speedup"] == pytest.approx(r["old_us"] / r["new_us"])
        assert r["max_abs_diff"] <= 1e-12 * r["max_abs"]
    out = tmp_path / "p.json"
    assert bench.main(["--repeats", "1", "--json", str(out)]) == 0
    assert len(json.loads(out.read_text())) == len(rows)
    capsys.readouterr()
    assert bench.main(["--repeats", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pass_bench:")


def _softplus_ref(t: float) -> mpmath.mpf:
    return mpmath.log(1 + mpmath.e ** mpmath.mpf(t))


@pytest.mark.parametrize("m", [1, 7, 8, 128, 257])
@pytest.mark.parametrize("scale", [3.0, 30.0, 100.0])
def test_softplus_sum_against_50_digits(m, scale):
    """slqc.losses.softplus_sum (the GLM stack's binary cross-entropy): the fast form (logarithms of
    products, |t| <= 64) and the log-sigmoid form beyond it both err by a few ulps of sum |t|."""
    g = torch.Generator().manual_seed(m)
    t = scale * torch.randn(3, m, generator=g, dtype=DT)
    got = softplus_sum(t)
    want = [float(sum(_softplus_ref(v) for v in row)) for row in t.tolist()]
    _check(got, want, 4 * (t.abs().sum(1) + m))
    assert _fast(t, two_sided=False) == bool(t.max() <= FAST_T_MAX)


def test_softplus_sum_takes_the_exact_form_where_the_fast_one_would_overflow():
    t = torch.tensor([[700.0, -700.0, 1.0], [65.0, 0.0, -65.0], [64.0] * 3], dtype=DT)
    assert not _fast(t[:2], two_sided=False) and _fast(t[2:], two_sided=False)
    want = [float(sum(_softplus_ref(v) for v in row)) for row in t.tolist()]
    _check(softplus_sum(t), want, t.abs().sum(1))
    nan = softplus_sum(torch.tensor([[0.0, math.nan]], dtype=DT))
    assert not _fast(torch.tensor([math.nan], dtype=DT), two_sided=False) and torch.isnan(nan).all()


@pytest.mark.parametrize("m", [1, 5, 256])
@pytest.mark.parametrize("scale", [2.0, 20.0, 90.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_logsumexp_sum_against_50_digits(m, scale, weighted):
    """slqc.losses.logsumexp_sum (multi-class cross-entropy's nonlinear part, outputs on axis -2):
    with unit weights (logarithms of products) and per-sample weights, fast and exact forms."""
    k = 4
    g = torch.Generator().manual_seed(m + k)
    t = scale * torch.randn(2, k, m, generator=g, dtype=DT)
    w = 0.5 + torch.rand(2, m, generator=g, dtype=DT) if weighted else None
    got = logsumexp_sum(t, -2, w)
    want = []
    for b in range(2):
        tot = mpmath.mpf(0)
        for i in range(m):
            lse = mpmath.log(sum(mpmath.e ** mpmath.mpf(float(t[b, j, i])) for j in range(k)))
            tot += (1 if w is None else mpmath.mpf(float(w[b, i]))) * lse
        want.append(float(tot))
    _check(got, want, 4 * (1 + (w if w is not None else torch.ones(2, m, dtype=DT)) * t.abs().amax(1)).sum(1))
    assert _fast(t, two_sided=True) == bool(t.abs().max() <= FAST_T_MAX)


def test_sum_log_equals_the_sum_of_logs_up_to_rounding():
    g = torch.Generator().manual_seed(3)
    for m in (1, 2, 3, 9, 16, 17, 100):
        e = torch.exp(4 * torch.randn(5, m, generator=g, dtype=DT))
        keep = e.clone()
        got = sum_log(e)
        assert torch.equal(e, keep)  # the argument is not overwritten
        assert torch.allclose(got, torch.log(e).sum(-1), rtol=0, atol=1e-13 * m)
