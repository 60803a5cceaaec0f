"""The ascent's secant retraction: evaluating only the points below the level set (the CPU default)
moves every point exactly where evaluating all of them does, and counts only what it evaluates."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from slqc.generators import make_glm
from slqc.search import _retract, _retract_secant, _Search
from slqc.stack import stack_objectives


def _search(B: int = 3, d: int = 4, eps: float = 0.05) -> _Search:
    fs, zs = [], []
    for b in range(B):
        p = make_glm(d, 64, 1.0, "generalized_relu", a=0.1 * (b + 1), seed=b)
        fs.append(p.objective)
        zs.append(p.w_star)
    z = torch.stack(zs)
    fz = torch.stack([f(zi.unsqueeze(0))[0] for f, zi in zip(fs, zs)])
    return _Search(stack_objectives(fs), z, fz, [eps] * B, torch.zeros_like(z), [2.0] * B, [None] * B, [0] * B)


def _points(S: _Search, P: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """P points around z per instance, a mask of the valid ones, and which lie below the level set
    (both kinds present, so that the tests mean something); S's point counter is left at zero."""
    g = torch.Generator().manual_seed(seed)
    x = S.zf.unsqueeze(1) + 0.4 * torch.randn(S.B, P, S.n, generator=g, dtype=torch.float64)
    valid = torch.rand(S.B, P, generator=g) < 0.8
    below = S.values(x, valid) <= S.eps
    S.points.zero_()
    assert 0 < int(below.sum()) < S.B * P
    return x, valid, below


def test_compacted_retraction_equals_the_full_one_and_counts_fewer_points():
    S_full, S_cmp = _search(), _search()
    x, valid, below = _points(S_full, 40, seed=1)
    slope = torch.rand(x.shape[:2], generator=torch.Generator().manual_seed(3), dtype=torch.float64) + 0.1
    xf, good_f = _retract_secant(S_full, x, slope, valid, compact=False)
    xc, good_c = _retract_secant(S_cmp, x, slope, valid, compact=True)
    torch.testing.assert_close(xc, xf, rtol=1e-12, atol=1e-14)
    assert torch.equal(good_c, good_f)
    # points above the level set stay where they were, and count as retracted
    assert torch.equal(xc[~below], S_cmp.clip(x)[~below])
    assert bool(good_c[~below].all())
    # the full path evaluates every valid point 1 + 5 times; the compacted one only the valid points below
    iters = 5
    per = valid.sum(1)
    per_below = (valid & below).sum(1)
    assert torch.equal(S_full.points, per * (1 + iters))
    assert torch.equal(S_cmp.points, per + per_below * iters)


def test_compacted_retraction_with_no_point_below_evaluates_nothing_more():
    S = _search()
    B, n = S.B, S.n
    far = S.zf.unsqueeze(1) + torch.full((B, 5, n), 0.6, dtype=torch.float64)  # far from z: above the level set
    assert bool((S.values(far) > S.eps).all())
    S.points.zero_()
    out, good = _retract_secant(S, far, torch.ones(B, 5, dtype=torch.float64), None, compact=True)
    assert torch.equal(out, S.clip(far)) and bool(good.all())
    assert torch.equal(S.points, torch.full((B,), 5))


def test_compacted_bisection_retraction_equals_the_full_one():
    """The same for the bisection that starts the kappa ascent (``_retract``)."""
    S_full, S_cmp = _search(), _search()
    x, valid, below = _points(S_full, 30, seed=2)
    xf, good_f = _retract(S_full, x, valid, steps=30, compact=False)
    xc, good_c = _retract(S_cmp, x, valid, steps=30, compact=True)
    torch.testing.assert_close(xc, xf, rtol=1e-12, atol=1e-14)
    assert torch.equal(good_c, good_f)
    per, per_below = valid.sum(1), (valid & below).sum(1)
    assert torch.equal(S_full.points, per * (1 + 31))
    assert torch.equal(S_cmp.points, per + per_below * 31)
    ok = valid & good_c
    assert bool((S_cmp.values(xc) > S_cmp.eps)[ok].all())  # the points that count ended above the level set


@settings(max_examples=25, deadline=None)
@given(B=st.integers(1, 3), P=st.integers(1, 9), spread=st.sampled_from([0.05, 0.4, 2.0]), seed=st.integers(0, 10**6),
       secant=st.booleans())
def test_compaction_never_changes_where_a_point_goes(B, P, spread, seed, secant):
    """Any mix of points (all below the level set, none, some; one instance or several; invalid entries):
    compacted and full retractions agree."""
    S_full, S_cmp = _search(B), _search(B)
    g = torch.Generator().manual_seed(seed)
    x = S_full.zf.unsqueeze(1) + spread * torch.randn(B, P, S_full.n, generator=g, dtype=torch.float64)
    valid = torch.rand(B, P, generator=g) < 0.8
    if secant:
        slope = torch.rand(B, P, generator=g, dtype=torch.float64) + 0.1
        xf, good_f = _retract_secant(S_full, x, slope, valid, compact=False)
        xc, good_c = _retract_secant(S_cmp, x, slope, valid, compact=True)
    else:
        xf, good_f = _retract(S_full, x, valid, steps=20, compact=False)
        xc, good_c = _retract(S_cmp, x, valid, steps=20, compact=True)
    torch.testing.assert_close(xc, xf, rtol=1e-12, atol=1e-14)
    assert torch.equal(good_c, good_f)
    assert bool((S_cmp.points <= S_full.points).all())


def _spy_widths(S: _Search) -> list[int]:
    """The width (points per row) of every evaluation of S without gradients, at points or along rays."""
    widths: list[int] = []
    values, rays, inside = S.values, S.rays, []

    def spy(xx, v=None):
        if not inside:  # not the points of a ray (counted there)
            widths.append(xx.shape[1])
        return values(xx, v)

    def rays_spy(u):
        r = rays(u)
        ray_values = r.values

        def spy_t(t, v=None):
            widths.append(t.shape[1])
            inside.append(1)
            try:
                return ray_values(t, v)
            finally:
                inside.pop()

        r.values = spy_t
        return r

    S.values, S.rays = spy, rays_spy
    return widths


def test_a_stopped_instance_does_not_widen_the_compaction():
    """An instance that has stopped is not evaluated (its gaps read 0 - f(z), below the level set):
    the retraction leaves its points where they are and compacts the others to the largest count of
    valid points below the level set among the instances still taking part, not to every point."""
    S_all, S = _search(), _search()
    x, valid, below = _points(S, 40, seed=1)
    slope = torch.rand(x.shape[:2], generator=torch.Generator().manual_seed(3), dtype=torch.float64) + 0.1
    S.set_live([True, False, True])
    widths = _spy_widths(S)
    out, good = _retract_secant(S, x, slope, valid, compact=True)
    need = int((valid & below)[[0, 2]].sum(1).max())
    assert 0 < need < 40
    assert widths == [40] + [need] * 5  # the gaps of every point, then 5 secant steps at the compacted width
    assert torch.equal(out[1], S.clip(x)[1]) and bool(good[1].all())
    ref, ref_good = _retract_secant(S_all, x, slope, valid, compact=True)
    torch.testing.assert_close(out[[0, 2]], ref[[0, 2]], rtol=1e-12, atol=1e-14)
    assert torch.equal(good[[0, 2]], ref_good[[0, 2]])
    # the bisection that starts the ascent compacts alike
    widths.clear()
    out_b, _ = _retract(S, x, valid, steps=4, compact=True)
    assert widths == [40] + [need] * 5
    assert torch.equal(out_b[1], S.clip(x)[1])
