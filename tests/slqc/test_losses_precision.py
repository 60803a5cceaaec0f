"""Cross-entropy losses against 50-digit references (mpmath): :meth:`slqc.losses.Loss.per_sample`
(binary: softplus(t) - y t; multi-class: log-softmax) errs by a few ulps of (sum of the targets) x
|t| absolutely. That is not relative to a tiny per-sample loss (a confident right prediction),
which the checks never need: they compare gaps with eps."""

from __future__ import annotations

import mpmath
import pytest
import torch

from slqc.activations import get_activation
from slqc.losses import get_loss

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
    """docs/pass_bench.py (the README's figures for the faster passes): each row's speed-up is the
    ratio of its own medians, and the two forms agree to rounding."""
    import json

    from . import docs_scripts

    bench = docs_scripts.load("pass_bench")
    rows = bench.run(repeats=1, inner=1)
    assert {r["case"].split()[0] for r in rows} == {"bce", "ce", "hidden_out", "hidden_out_t"}
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
