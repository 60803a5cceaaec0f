"""The engine streams over samples (issue 15): chunked == unchunked, chunked autograd == plain autograd.

References: the unchunked closed form (one block holding every sample), plain torch autograd
through the paper's formula, and per-point autograd (tests/slqc/test_models.py::per_point_twin).
"""

from __future__ import annotations

import pytest
import torch

import slqc.data
import slqc.models as M
from slqc.data import iter_input_chunks, sample_inputs
from slqc.generators import NOISE_DISTRIBUTIONS, SKEW_Q, draw_noise, make_glm

from .test_models import CASES, per_point_twin

TOL = dict(rtol=1e-10, atol=1e-13)


def _points(obj, P, seed=0):
    return torch.randn((P,) + tuple(obj.point_shape), dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def _small_blocks(monkeypatch, elems=60, min_points=4):
    monkeypatch.setattr(M, "_BLOCK_ELEMS", elems)
    monkeypatch.setattr(M, "_MIN_BLOCK_POINTS", min_points)
    monkeypatch.setattr(M, "_DENSE_CHUNK_ELEMS", elems)


def test_block_shape_streams_samples_once_blocks_get_thin():
    assert M.block_shape(4096, 1024, 1, 2**19) == (512, 1024)  # few samples: whole samples, cache-sized blocks
    pb, chunk = M.block_shape(4096, 262144, 1, 2**19)  # many samples: wide point blocks, sample chunks
    assert pb == M._MIN_BLOCK_POINTS and pb * chunk <= 2**19 and chunk < 262144
    assert M.block_shape(3, 10**8, 2, 2**19) == (3, 2**19 // 6)
    assert M.block_elems("cpu") == M._BLOCK_ELEMS and M.block_elems("cuda") == M._CUDA_BLOCK_ELEMS


@pytest.mark.parametrize("act, kw, loss, k", CASES, ids=[f"{c[0]}-{c[2]}-k{c[3]}" for c in CASES])
def test_chunked_equals_unchunked(monkeypatch, act, kw, loss, k):
    p = make_glm(5, 37, 2.0, act, outputs=k, loss=loss, seed=3, **kw)
    obj = p.objective
    W = _points(obj, 23)
    v0, g0 = obj.value_and_grad(W)  # default sizes: one chunk holds all 37 samples
    _small_blocks(monkeypatch)  # now blocks of 4 points x chunks of <= 15 samples (ragged)
    assert M.block_shape(23, 37, k, M._BLOCK_ELEMS)[1] < 37
    v1, g1 = obj.value_and_grad(W)
    torch.testing.assert_close(v1, v0, **TOL)
    torch.testing.assert_close(g1, g0, **TOL)
    torch.testing.assert_close(obj.value(W), v0, **TOL)
    v2, g2 = per_point_twin(obj, W[:5])
    torch.testing.assert_close(v1[:5], v2, **TOL)
    torch.testing.assert_close(g1[:5], g2, **TOL)


@pytest.mark.parametrize("act, kw, loss, k", CASES, ids=[f"{c[0]}-{c[2]}-k{c[3]}" for c in CASES])
def test_chunked_autograd_matches_plain_autograd_to_second_order(monkeypatch, act, kw, loss, k):
    """The search's ascent differentiates log ||grad f|| - log <grad f, x - z> (a second autograd pass)."""
    p = make_glm(4, 29, 1.5, act, outputs=k, loss=loss, seed=4, **kw)
    obj = p.objective
    W = _points(obj, 7, seed=1)
    z = p.w_star

    def ascent_terms(W):
        x = W.clone().requires_grad_(True)
        vals = obj(x)
        (g,) = torch.autograd.grad(vals.sum(), x, create_graph=True)
        gf = g.reshape(x.shape[0], -1)
        inner = (gf * (x - z).reshape(x.shape[0], -1)).sum(1)
        J = torch.log(gf.norm(dim=1)) - torch.log(inner.abs())
        (dJ,) = torch.autograd.grad(J.sum(), x)
        return vals.detach(), g.detach(), dJ

    ref = ascent_terms(W)  # plain torch: P * m * k is far below _AUTOGRAD_DENSE_MAX
    monkeypatch.setattr(M, "_AUTOGRAD_DENSE_MAX", 0)  # every call takes the chunked path
    _small_blocks(monkeypatch)
    got = ascent_terms(W)
    for a_, b_ in zip(got, ref):
        torch.testing.assert_close(a_, b_, rtol=1e-9, atol=1e-12)


def test_chunked_function_passes_gradcheck_and_gradgradcheck(monkeypatch):
    monkeypatch.setattr(M, "_AUTOGRAD_DENSE_MAX", 0)
    _small_blocks(monkeypatch)
    for act, kw in [("sigmoid", {}), ("generalized_relu", dict(a=0.3, b=1.2))]:
        obj = make_glm(3, 17, 1.0, act, noise=0.2, seed=6, **kw).objective
        W = _points(obj, 5, seed=2).requires_grad_(True)
        assert torch.autograd.gradcheck(obj, (W,))
        assert torch.autograd.gradgradcheck(obj, (W,))


def test_hvp_equals_autograd_hessian():
    obj = make_glm(4, 50, 1.0, "sigmoid", noise=0.1, seed=1).objective
    W = _points(obj, 3, seed=5)
    v = _points(obj, 3, seed=6)
    got = obj.hvp(W, v)
    for p in range(3):
        H = torch.autograd.functional.hessian(lambda w: obj(w.unsqueeze(0))[0], W[p])
        torch.testing.assert_close(got[p], H @ v[p], rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match="hvp supports"):
        make_glm(3, 5, 1.0, "sigmoid", loss="bce").objective.hvp(W[:, :3], v[:, :3])


def test_large_calls_without_grad_take_the_value_path(monkeypatch):
    monkeypatch.setattr(M, "_AUTOGRAD_DENSE_MAX", 0)
    obj = make_glm(3, 40, 1.0, "generalized_relu", a=0.5, seed=0).objective
    W = _points(obj, 6)
    with torch.no_grad():
        torch.testing.assert_close(obj(W), obj.value(W), **TOL)


# ----------------------------------------------------------------------------- streamed data
@pytest.mark.parametrize("dist", ["ball", "sphere", "nonneg"])
def test_streamed_inputs_are_chunk_seeded_and_in_the_unit_ball(monkeypatch, dist):
    monkeypatch.setattr(slqc.data, "_GEN_ROWS", 64)
    X = sample_inputs(dist, 300, 5, seed=2)  # 5 chunks, the last one ragged
    parts = list(iter_input_chunks(dist, 300, 5, seed=2))
    assert [s for s, _ in parts] == [0, 64, 128, 192, 256]
    torch.testing.assert_close(torch.cat([c for _, c in parts]), X, rtol=0, atol=0)
    norms = torch.linalg.vector_norm(X, dim=1)
    assert float(norms.max()) <= 1 + 1e-12
    if dist == "nonneg":
        assert float(norms.max()) == pytest.approx(1.0, abs=1e-12)  # scaled by the largest norm of the whole draw
    # chunk 0 is the unchunked draw of its rows: streaming keeps every small draw of old
    monkeypatch.setattr(slqc.data, "_GEN_ROWS", 2**16)
    if dist != "nonneg":
        torch.testing.assert_close(sample_inputs(dist, 64, 5, seed=2), X[:64], rtol=0, atol=0)
    assert not torch.equal(X[:64], X[64:128])  # chunks are not copies of each other


def test_streamed_glm_matches_its_own_chunks(monkeypatch):
    monkeypatch.setattr(slqc.data, "_GEN_ROWS", 50)
    p = make_glm(4, 170, 2.0, "generalized_relu", a=0.5, noise=0.7, seed=9)
    torch.testing.assert_close(p.clean_Y, p.objective.act.phi(p.X @ p.w_star), **TOL)
    xi = p.Y - p.clean_Y
    assert float(xi.abs().max()) <= 0.7 + 1e-12
    assert p.meta["max_input_norm"] == pytest.approx(float(p.X.norm(dim=1).max()))
    assert p.meta["label_min"] == pytest.approx(float(p.Y.min()))
    assert not torch.equal(xi[:50], xi[50:100])


@pytest.mark.parametrize("kind", NOISE_DISTRIBUTIONS)
def test_noise_distributions_are_zero_mean_and_bounded(kind):
    xi = draw_noise(kind, (200000,), 1.0, torch.Generator().manual_seed(0))
    assert float(xi.abs().max()) <= 1.0
    assert abs(float(xi.mean())) < 5 * float(xi.std()) / 200000**0.5  # 5 standard errors
    support = sorted(set(xi.unique().tolist())) if kind != "uniform" else None
    if kind == "rademacher":
        assert support == [-1.0, 1.0]
        assert float(xi.var()) == pytest.approx(1.0, rel=1e-3)  # the largest variance |xi| <= 1 allows
    if kind == "skewed":
        assert support == pytest.approx([-1.0, SKEW_Q / (1 - SKEW_Q)])
        assert float((xi < 0).double().mean()) == pytest.approx(SKEW_Q, abs=0.005)
    if kind == "uniform":
        assert float(xi.var()) == pytest.approx(1 / 3, rel=1e-2)
    with pytest.raises(ValueError, match="noise distribution"):
        draw_noise("gauss", (3,), 1.0, torch.Generator())
