"""Values along lines (the search's rays, bisections and secant steps): a stack's ``line`` form, which
takes the pre-activations of z and of the directions once, equals the objectives evaluated at the points
z + s u one by one (models.py, a separate implementation), and the search's rays give the same values,
counts and flags with the line form as without it.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import slqc.stack as stack_mod
from slqc.activations import get_activation
from slqc.models import GLMObjective, OneHiddenObjective
from slqc.search import _Search
from slqc.stack import GLMStack, GroupStack, LoopStack, OneHiddenStack, stack_objectives

DT = torch.float64


def _glms(act: str, loss: str, k: int, B: int = 3, m: int = 20, d: int = 5, seed: int = 0) -> list[GLMObjective]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(B):
        X = torch.randn(m, d, generator=g, dtype=DT)
        Y = torch.rand(m, k, generator=g, dtype=DT) if k > 1 else torch.rand(m, generator=g, dtype=DT)
        if loss == "ce":
            Y = Y / Y.sum(1, keepdim=True) * (1 + i)  # soft labels whose rows do not sum to 1
        A = get_activation(act, a=0.1 * (i + 1), b=1.0 + i) if act == "generalized_relu" else get_activation(act)
        out.append(GLMObjective(X, Y, A, loss))
    return out


def _hidden(k: int, B: int = 3, seed: int = 0) -> list[OneHiddenObjective]:
    g = torch.Generator().manual_seed(seed)
    return [OneHiddenObjective(torch.randn(20, 5, generator=g, dtype=DT),
                               torch.rand(20, k, generator=g, dtype=DT) if k > 1 else torch.rand(20, generator=g, dtype=DT),
                               torch.randn(4, k, generator=g, dtype=DT) if k > 1 else torch.randn(4, generator=g, dtype=DT),
                               get_activation("generalized_relu", a=0.1 * (i + 1)), "generalized_relu")
            for i in range(B)]


def _reference(fs, z, U, s) -> torch.Tensor:
    """f_b(z_b + s U[b, p]) (B, P, G), each objective at each point."""
    B, P, G = s.shape
    shape = tuple(z.shape[1:])
    out = torch.empty(B, P, G, dtype=DT)
    for b, f in enumerate(fs):
        pts = z[b].reshape(1, 1, -1) + s[b].unsqueeze(2) * U[b].reshape(P, 1, -1)  # (P, G, n)
        out[b] = f(pts.reshape((P * G,) + shape)).reshape(P, G)
    return out


CASES = [("generalized_relu", "squared", 1), ("relu", "squared", 3), ("sigmoid", "squared", 1),
         ("sigmoid", "bce", 1), ("sigmoid", "bce", 2), ("softmax", "ce", 4), ("softmax", "squared", 3),
         ("identity", "squared", 2)]


@pytest.mark.parametrize("act,loss,k", CASES)
@pytest.mark.parametrize("G", [1, 5])
def test_glm_line_equals_each_objective_at_the_points(act, loss, k, G):
    fs = _glms(act, loss, k)
    F = stack_objectives(fs)
    assert isinstance(F, GLMStack)
    g = torch.Generator().manual_seed(7)
    z = torch.randn((3,) + tuple(fs[0].point_shape), generator=g, dtype=DT)
    U = torch.randn((3, 6) + tuple(fs[0].point_shape), generator=g, dtype=DT)
    s = 2 * torch.rand(3, 6, G, generator=g, dtype=DT) - 0.5
    line = F.line(z, U)
    torch.testing.assert_close(line(s), _reference(fs, z, U, s), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("k", [1, 3])
def test_one_hidden_line_equals_each_objective_at_the_points(k):
    fs = _hidden(k)
    F = stack_objectives(fs)
    assert isinstance(F, OneHiddenStack)
    g = torch.Generator().manual_seed(8)
    z, U = torch.randn(3, 5, 4, generator=g, dtype=DT), torch.randn(3, 7, 5, 4, generator=g, dtype=DT)
    s = torch.rand(3, 7, 3, generator=g, dtype=DT)
    torch.testing.assert_close(F.line(z, U)(s), _reference(fs, z, U, s), rtol=1e-12, atol=1e-13)


def test_line_blocks_of_lines_give_the_same_values(monkeypatch):
    """Blocks of one line at a time (a block size below one line's entries) change nothing."""
    fs = _glms("generalized_relu", "squared", 1) + _glms("generalized_relu", "squared", 1, seed=1)[:1]
    F = stack_objectives(fs[:3])
    g = torch.Generator().manual_seed(9)
    z, U, s = torch.randn(3, 5, generator=g, dtype=DT), torch.randn(3, 9, 5, generator=g, dtype=DT), \
        torch.rand(3, 9, 4, generator=g, dtype=DT)
    whole = F.line(z, U)(s)
    monkeypatch.setattr(stack_mod, "_STACK_BLOCK_ELEMS", 1)
    torch.testing.assert_close(F.line(z, U)(s), whole, rtol=1e-14, atol=0)
    monkeypatch.setattr(stack_mod, "_LINE_MAX_ELEMS", 3 * 9 * 20 - 1)  # the lines' pre-activations would not fit
    assert F.line(z, U) is None


def test_group_stack_line_joins_its_groups_and_a_loop_group_has_none():
    fs = (_glms("generalized_relu", "squared", 1, B=2) + _glms("sigmoid", "squared", 1, B=1, seed=1)
          + _glms("relu", "squared", 1, B=2, m=8, seed=2))
    fs = [fs[2], fs[0], fs[3], fs[1], fs[4]]  # interleaved groups
    F = stack_objectives(fs)
    assert isinstance(F, GroupStack)
    g = torch.Generator().manual_seed(10)
    z, U, s = torch.randn(5, 5, generator=g, dtype=DT), torch.randn(5, 4, 5, generator=g, dtype=DT), \
        torch.rand(5, 4, 2, generator=g, dtype=DT)
    torch.testing.assert_close(F.line(z, U)(s), _reference(fs, z, U, s), rtol=1e-12, atol=1e-13)

    def quad(x):
        return ((x - 0.3) ** 2).sum(1)

    assert isinstance(stack_objectives([quad]), LoopStack) and stack_objectives([quad]).line(z[:1], U[:1]) is None
    assert stack_objectives(fs[:2] + [quad]).line(z[:3], U[:3]) is None


def _search(fs, eps: float = 0.05) -> _Search:
    B = len(fs)
    z = torch.stack([torch.full(tuple(fs[0].point_shape), 0.1 * (b + 1), dtype=DT) for b in range(B)])
    fz = torch.stack([f(z[b].unsqueeze(0))[0] for b, f in enumerate(fs)])
    return _Search(stack_objectives(fs), z, fz, [eps] * B, torch.zeros_like(z), [2.0] * B, [None] * B, [0] * B)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), G=st.sampled_from([0, 1, 4]), live=st.sampled_from([(1, 1, 1), (1, 0, 1), (0, 0, 1)]))
def test_rays_with_the_line_form_equal_the_points_one_by_one(seed, G, live):
    """The search's rays: values f(z + t u) - f(z), points counted and non-finite flags alike with the
    line form and without it (the points evaluated through _Search.values), for any instances taking
    part and times of shape (B, P) or (B, P, G)."""
    fs = _glms("generalized_relu", "squared", 1, seed=seed % 7)
    S_line, S_pts = _search(fs), _search(fs)
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(3, 6, 5, generator=g, dtype=DT)
    u = u / torch.linalg.vector_norm(u, dim=2, keepdim=True)
    t = torch.rand((3, 6) + ((G,) if G else ()), generator=g, dtype=DT)
    valid = torch.rand(t.shape, generator=g) < 0.7
    for S in (S_line, S_pts):
        S.set_live([bool(a) for a in live])
    rays_pts = S_pts.rays(u)
    rays_pts._line = lambda: None  # as a stack without a line form
    got, ref = S_line.rays(u).values(t, valid), rays_pts.values(t, valid)
    mask = torch.tensor(live, dtype=torch.bool).reshape((3,) + (1,) * (t.ndim - 1)).expand(t.shape)
    torch.testing.assert_close(got[mask], ref[mask], rtol=1e-11, atol=1e-13)
    assert torch.equal(S_line.points, S_pts.points)
    assert torch.equal(S_line.points, (valid & mask).reshape(3, -1).sum(1))
    assert torch.equal(S_line.nonfinite, S_pts.nonfinite) and not bool(S_line.nonfinite.any())


def test_rays_follow_the_instances_taking_part():
    """A ray set made while all instances take part is re-made for the instances taking part later."""
    fs = _glms("generalized_relu", "squared", 1)
    S = _search(fs)
    g = torch.Generator().manual_seed(3)
    u = torch.randn(3, 4, 5, generator=g, dtype=DT)
    u = u / torch.linalg.vector_norm(u, dim=2, keepdim=True)
    t = torch.rand(3, 4, generator=g, dtype=DT)
    rays = S.rays(u)
    both = rays.values(t)
    S.set_live([False, True, True])
    later = rays.values(t)
    torch.testing.assert_close(later[1:], both[1:], rtol=1e-13, atol=1e-15)
    assert torch.equal(S.points, torch.tensor([4, 8, 8]))


def test_rays_flag_non_finite_values():
    """A line whose values are not finite (an infinite time) is flagged as _Search.values flags it."""
    fs = _glms("generalized_relu", "squared", 1)
    S = _search(fs)
    u = torch.ones(3, 2, 5, dtype=DT) / 5**0.5
    t = torch.tensor([[0.5, 0.5], [float("inf"), 0.5], [0.5, 0.5]], dtype=DT)
    S.rays(u).values(t)
    assert S.nonfinite.tolist() == [False, True, False]


def test_line_bench_times_both_ways_and_both_agree(capsys, tmp_path):
    """docs/line_bench.py (docs/speed.md's figures for the line form): both ways give the same search
    results (kappa to rounding, the same points), each ratio is that of its own medians, and the
    backward products agree to rounding."""
    import json

    from . import docs_scripts

    bench = docs_scripts.load("line_bench")
    rows = bench.search(["thm1"], repeats=1, sizes=(2,))
    assert len(rows) == 1 and rows[0]["B"] == 2
    r = rows[0]
    assert r["speedup"] == pytest.approx(r["points_cpu_s"] / r["line_cpu_s"], rel=1e-2)
    assert r["kappa_line"] == pytest.approx(r["kappa_points"], rel=1e-9)
    assert r["points_evaluated"][0] == r["points_evaluated"][1] > 0
    for p in bench.products(repeats=1, inner=1):
        assert p["max_abs_diff"] <= 1e-12 * 256
    out = tmp_path / "l.json"
    assert bench.main(["--claims", "thm1", "--repeats", "1", "--json", str(out)]) == 0
    assert {r["B"] for r in json.loads(out.read_text())["search"]} == {1, 8}
    capsys.readouterr()
    for bad in (["--repeats", "0"], ["--claims", "nope"]):
        assert bench.main(bad) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("line_bench:")
