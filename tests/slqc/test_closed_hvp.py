"""The closed-form Hessian-vector products of the stacks, and the search directions built on them,
against autograd's double backward (the path every other objective still takes)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from slqc.models import GLMObjective, OneHiddenObjective
from slqc.search import _closed_dirs, _Search, _terms_and_dirs
from slqc.stack import GLMStack, GroupStack, OneHiddenStack, stack_objectives

F64 = torch.float64

# (activation, loss, outputs k, multi): every combination a GLMObjective accepts
KINDS = [
    ("generalized_relu", "squared", 1, False),
    ("relu", "squared", 1, False),
    ("identity", "squared", 1, False),
    ("sigmoid", "squared", 1, False),
    ("sigmoid", "bce", 1, False),
    ("generalized_relu", "squared", 3, True),
    ("sigmoid", "squared", 2, True),
    ("sigmoid", "bce", 2, True),
    ("softmax", "ce", 3, True),
    ("softmax", "squared", 3, True),
]


def _objective(act: str, loss: str, k: int, multi: bool, m: int, d: int, seed: int) -> GLMObjective:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(m, d, generator=g, dtype=F64)
    shape = (m, k) if multi else (m,)
    if loss == "bce" or act == "softmax":
        Y = torch.rand(shape, generator=g, dtype=F64)  # soft targets, not summing to one for ce
    else:
        Y = torch.randn(shape, generator=g, dtype=F64)
    return GLMObjective(X, Y, act, loss)


def _autograd_hvp(F, W: torch.Tensor, V: torch.Tensor):
    """Values, gradients and H V of the stack's autograd path (its __call__)."""
    with torch.enable_grad():
        x = W.detach().requires_grad_(True)
        v = F(x)
        (g,) = torch.autograd.grad(v.sum(), x, create_graph=True)
        (hv,) = torch.autograd.grad((g * V).sum(), x)
    return v.detach(), g.detach(), hv


@pytest.mark.parametrize("act,loss,k,multi", KINDS)
def test_glm_stack_hvp_matches_autograd(act, loss, k, multi):
    d, m, B, P = 5, 37, 3, 6
    fs = [_objective(act, loss, k, multi, m, d, seed=s) for s in range(B)]
    F = stack_objectives(fs)
    assert isinstance(F, GLMStack)
    g = torch.Generator().manual_seed(7)
    shape = (B, P, d, k) if multi else (B, P, d)
    W, V = torch.randn(shape, generator=g, dtype=F64), torch.randn(shape, generator=g, dtype=F64)
    vals, grads, hvp = F.value_grad_hvp(W)
    v_ref, g_ref, hv_ref = _autograd_hvp(F, W, V)
    torch.testing.assert_close(vals, v_ref, rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(grads, g_ref, rtol=1e-11, atol=1e-13)
    torch.testing.assert_close(hvp(V), hv_ref, rtol=1e-10, atol=1e-12)
    # values and gradients are those of value_and_grad, to the bit
    v2, g2 = F.value_and_grad(W)
    assert torch.equal(vals, v2) and torch.equal(grads, g2)
    # linear in V
    torch.testing.assert_close(hvp(2.5 * V - W), 2.5 * hvp(V) - hvp(W), rtol=1e-10, atol=1e-12)


def test_softmax_squared_hvp_against_the_full_hessian():
    """One instance, one point: H from torch.autograd.functional.hessian on the objective itself."""
    f = _objective("softmax", "squared", 3, True, 11, 4, seed=3)
    F = GLMStack([f])
    W = torch.randn(1, 1, 4, 3, generator=torch.Generator().manual_seed(1), dtype=F64)
    H = torch.autograd.functional.hessian(lambda w: f(w.reshape(1, 4, 3))[0], W.reshape(12))
    V = torch.randn(12, generator=torch.Generator().manual_seed(2), dtype=F64)
    _, _, hvp = F.value_grad_hvp(W)
    torch.testing.assert_close(hvp(V.reshape(1, 1, 4, 3)).reshape(12), H @ V, rtol=1e-10, atol=1e-12)


# (hidden activation, output activation, loss, outputs k, multi)
HIDDEN_KINDS = [
    ("generalized_relu", "generalized_relu", "squared", 1, False),
    ("relu", "identity", "squared", 1, False),
    ("sigmoid", "generalized_relu", "squared", 1, False),
    ("generalized_relu", "sigmoid", "squared", 1, False),
    ("sigmoid", "sigmoid", "bce", 1, False),
    ("generalized_relu", "generalized_relu", "squared", 3, True),
    ("sigmoid", "softmax", "ce", 3, True),
    ("generalized_relu", "softmax", "squared", 3, True),
]


def _hidden(act1: str, act2: str, loss: str, k: int, multi: bool, seed: int, m: int = 29, d: int = 4,
            h: int = 3) -> OneHiddenObjective:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(m, d, generator=g, dtype=F64)
    W2 = torch.randn((h, k) if multi else (h,), generator=g, dtype=F64)
    shape = (m, k) if multi else (m,)
    Y = torch.rand(shape, generator=g, dtype=F64) if loss != "squared" else torch.randn(shape, generator=g, dtype=F64)
    return OneHiddenObjective(X, Y, W2, act1, act2, loss)


@pytest.mark.parametrize("act1,act2,loss,k,multi", HIDDEN_KINDS)
def test_one_hidden_stack_gradients_and_hvp_match_autograd(act1, act2, loss, k, multi):
    B, P = 3, 5
    fs = [_hidden(act1, act2, loss, k, multi, seed=s) for s in range(B)]
    F = stack_objectives(fs)
    assert isinstance(F, OneHiddenStack) and hasattr(F, "value_grad_hvp")
    g = torch.Generator().manual_seed(11)
    W, V = torch.randn(B, P, 4, 3, generator=g, dtype=F64), torch.randn(B, P, 4, 3, generator=g, dtype=F64)
    v_ref, g_ref, hv_ref = _autograd_hvp(F, W, V)
    vals, grads, hvp = F.value_grad_hvp(W)
    torch.testing.assert_close(vals, v_ref, rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(grads, g_ref, rtol=1e-11, atol=1e-13)
    torch.testing.assert_close(hvp(V), hv_ref, rtol=1e-10, atol=1e-12)
    v2, g2 = F.value_and_grad(W)
    assert torch.equal(v2, vals)
    torch.testing.assert_close(g2, grads, rtol=1e-14, atol=0)
    # the stacked values are the objectives' own
    for b, f in enumerate(fs):
        torch.testing.assert_close(vals[b], f(W[b]), rtol=1e-13, atol=1e-14)


def test_one_hidden_stack_with_softmax_hidden_units_keeps_autograd():
    fs = [_hidden("softmax", "generalized_relu", "squared", 1, False, seed=s) for s in range(2)]
    F = stack_objectives(fs)
    assert isinstance(F, OneHiddenStack)
    assert not hasattr(F, "value_grad_hvp") and not hasattr(F, "value_and_grad")


def test_group_stack_hvp_joins_its_groups_in_order():
    fs = [_objective("sigmoid", "squared", 1, False, 19, 4, 0), _objective("generalized_relu", "squared", 1, False, 8, 4, 1),
          _objective("sigmoid", "bce", 1, False, 19, 4, 2), _objective("relu", "squared", 1, False, 8, 4, 3)]
    F = stack_objectives(fs)
    assert isinstance(F, GroupStack) and hasattr(F, "value_grad_hvp")
    g = torch.Generator().manual_seed(4)
    W, V = torch.randn(4, 5, 4, generator=g, dtype=F64), torch.randn(4, 5, 4, generator=g, dtype=F64)
    vals, grads, hvp = F.value_grad_hvp(W)
    v_ref, g_ref, hv_ref = _autograd_hvp(F, W, V)
    torch.testing.assert_close(vals, v_ref, rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(grads, g_ref, rtol=1e-11, atol=1e-13)
    torch.testing.assert_close(hvp(V), hv_ref, rtol=1e-10, atol=1e-12)


class _NoClosedForm:
    """A stack seen without its closed form: the search falls back on autograd."""

    def __init__(self, F):
        self.F = F

    def __call__(self, x):
        return self.F(x)

    def value(self, x):
        return self.F.value(x)

    def select(self, idx):
        return _NoClosedForm(self.F.select(idx))


def _search_pair(kind, B: int, seed: int, eps: float) -> tuple[_Search, _Search]:
    d = 4
    if len(kind) == 5:  # one hidden layer of 3 units: points (d, 3)
        fs = [_hidden(*kind, seed=seed + b) for b in range(B)]
        shape = (B, d, 3)
    else:
        act, loss, k, multi = kind
        fs = [_objective(act, loss, k, multi, 23, d, seed + b) for b in range(B)]
        shape = (B, d, k) if multi else (B, d)
    g = torch.Generator().manual_seed(seed)
    z = 0.5 * torch.randn(shape, generator=g, dtype=F64)
    fz = torch.stack([f(z[b].unsqueeze(0))[0] for b, f in enumerate(fs)])
    F = stack_objectives(fs)
    args = (z, fz, [eps] * B, torch.zeros_like(z), [3.0] * B, [None] * B, list(range(B)))
    return _Search(F, *args), _Search(_NoClosedForm(F), *args)


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(KINDS + HIDDEN_KINDS), mode=st.sampled_from(["kappa", "violation"]), seed=st.integers(0, 10**6),
       live=st.lists(st.booleans(), min_size=3, max_size=3).filter(any),
       eps=st.sampled_from([1e-3, 0.05, 0.5]))
def test_search_directions_match_autograd(kind, mode, seed, live, eps):
    """J, dJ/dx and the terms of _terms_and_dirs agree with autograd's, some instances not taking part."""
    S, R = _search_pair(kind, 3, seed, eps)
    for s in (S, R):
        s.set_live(live)
    assert hasattr(S.Fl, "value_grad_hvp") and not hasattr(R.Fl, "value_grad_hvp")
    g = torch.Generator().manual_seed(seed + 1)
    x = S.zf.unsqueeze(1) + torch.randn(3, 9, S.n, generator=g, dtype=F64) * torch.tensor([0.0, 0.1, 1.0], dtype=F64).repeat(3).reshape(1, 9, 1)
    x = S.unflat(x)  # some points equal z (v = 0), others near and far
    valid = torch.rand(3, 9, generator=g) < 0.8
    J, d, t, gd = _terms_and_dirs(S, x, mode, valid)
    Jr, dr, tr, gr = _terms_and_dirs(R, x, mode, valid)
    torch.testing.assert_close(gd, gr, rtol=1e-11, atol=1e-13)
    for name in ("gap", "inner", "gnorm"):
        torch.testing.assert_close(getattr(t, name), getattr(tr, name), rtol=1e-11, atol=1e-12)
    # J is a log or a ratio; the direction is compared relative to its size per point
    torch.testing.assert_close(J, Jr, rtol=1e-9, atol=1e-9)
    scale = dr.norm(dim=2, keepdim=True).clamp_min(1.0)
    torch.testing.assert_close(d / scale, dr / scale, rtol=1e-8, atol=1e-9)
    assert torch.equal(S.points, R.points)
    off = ~torch.tensor(live)
    assert bool((d[off] == 0).all())


def test_directions_at_z_are_autograds():
    """At z itself (v = 0) the violation's ratio overflows: the closed form overflows where autograd's
    double backward does, and the search's filter leaves the same (zero) direction for both."""
    S, R = _search_pair(("generalized_relu", "squared", 1, False), 2, 0, 0.05)
    x = S.unflat(S.zf.unsqueeze(1).expand(2, 3, S.n).clone())
    for mode in ("kappa", "violation"):
        *_, dJ = _closed_dirs(S, x, mode)
        J, d, _, _ = _terms_and_dirs(S, x, mode, None)
        Jr, dr, _, _ = _terms_and_dirs(R, x, mode, None)
        assert bool(torch.isfinite(d).all())
        torch.testing.assert_close(d, dr, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(J, Jr, rtol=1e-12, atol=0)
        if mode == "violation":
            assert not bool(torch.isfinite(dJ).any())  # the overflow, before the filter


def test_the_bench_times_both_directions_and_restores_the_switch(capsys):
    """docs/closed_dirs_bench.py (docs/speed.md's figures for the closed form): both ways, the same verdicts,
    the module switch back on afterwards, one error line and exit 2 on bad input."""
    import json

    import slqc.search as search

    from . import docs_scripts

    bench = docs_scripts.load("closed_dirs_bench")
    assert bench.main(["--claims", "thm1", "--repeats", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert search.CLOSED_FORM_DIRECTIONS is True
    assert out["verdicts_same"] and out["records"] == out["settings"] == 4 and out["kappa_pairs"] >= 1
    assert out["kappa_rel_max"] < 1e-6
    assert out["speedup"] == pytest.approx(out["cpu_seconds"]["autograd"] / out["cpu_seconds"]["closed_form"])
    for bad in (["--repeats", "0"], ["--batch", "0"], ["--claims", "nope"]):
        assert bench.main(bad) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("closed_dirs_bench:")


def test_the_switch_off_takes_autograd(monkeypatch):
    """CLOSED_FORM_DIRECTIONS = False: _terms_and_dirs never calls the closed form."""
    import slqc.search as search

    S, _ = _search_pair(KINDS[0], 2, 0, 0.05)
    calls = []
    monkeypatch.setattr(search, "_closed_dirs", lambda *a: calls.append(1))
    monkeypatch.setattr(search, "CLOSED_FORM_DIRECTIONS", False)
    x = S.unflat(S.zf.unsqueeze(1) + 0.3 * torch.ones(2, 3, S.n, dtype=F64))
    _terms_and_dirs(S, x, "kappa", None)
    assert calls == []


@pytest.mark.parametrize("kind", [KINDS[0], KINDS[4], KINDS[8], HIDDEN_KINDS[2]], ids=lambda k: "-".join(map(str, k)))
def test_closed_form_on_every_device_matches_autograd_there(device, kind):
    """The closed form on the device (the gpu tier's cuda case) against autograd on the same device."""
    B, P = 3, 4
    if len(kind) == 5:
        fs, shape = [_hidden(*kind, seed=s) for s in range(B)], (B, P, 4, 3)
    else:
        act, loss, k, multi = kind
        fs = [_objective(act, loss, k, multi, 37, 5, s) for s in range(B)]
        shape = (B, P, 5, k) if multi else (B, P, 5)
    moved = [OneHiddenObjective(f.X.to(device), f.Y.to(device), f.W2.to(device), f.act1, f.act2, f.loss)
             if len(kind) == 5 else GLMObjective(f.X.to(device), f.Y.to(device), f.act, f.loss) for f in fs]
    F = stack_objectives(moved)
    g = torch.Generator().manual_seed(5)
    W, V = (torch.randn(shape, generator=g, dtype=F64).to(device) for _ in range(2))
    vals, grads, hvp = F.value_grad_hvp(W)
    v_ref, g_ref, hv_ref = _autograd_hvp(F, W, V)
    assert vals.device.type == torch.device(device).type
    torch.testing.assert_close(vals, v_ref, rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(grads, g_ref, rtol=1e-11, atol=1e-13)
    torch.testing.assert_close(hvp(V), hv_ref, rtol=1e-10, atol=1e-12)
