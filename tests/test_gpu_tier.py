"""The gpu tier (issue 12): the engine, the probe, one setting of ``slqc check`` per family of claims,
the Theorem 2 draw path and dante training on cuda against their CPU twins (where points are counted,
the CPU twin runs on the cuda branches, :func:`slqc.testing.cuda_branches`). Selected by
``pytest -m gpu``; never in the default run; skipped cleanly where CUDA is missing.
"""

from __future__ import annotations

import contextlib

import pytest
import torch

import slqc
import slqc.models as M
from slqc.generators import make_glm
from slqc.testing import cuda_branches

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


@pytest.mark.parametrize("m, k, dtype", [(1000, 1, torch.float64), (300000, 1, torch.float64),
                                         (2000, 3, torch.float64), (1000, 1, torch.float32)])
def test_engine_cuda_equals_cpu(m, k, dtype):
    """Large CUDA blocks (and, at m = 3e5, sample chunks) give the CPU's cache-blocked values and gradients."""
    p = make_glm(16, m, 2.0, "generalized_relu", a=0.1, b=1.0, outputs=k, noise=0.3, seed=0, dtype=dtype)
    W = torch.randn((2048,) + tuple(p.objective.point_shape), dtype=dtype, generator=torch.Generator().manual_seed(1))
    v_cpu, g_cpu = p.objective.value_and_grad(W)
    q = make_glm(16, m, 2.0, "generalized_relu", a=0.1, b=1.0, outputs=k, noise=0.3, seed=0, dtype=dtype,
                 device="cuda")
    torch.testing.assert_close(q.X.cpu(), p.X, rtol=0, atol=0)  # the same draw on every device
    v, g = q.objective.value_and_grad(W.cuda())
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(v.cpu(), v_cpu, **tol)
    torch.testing.assert_close(g.cpu(), g_cpu, **tol)


def test_chunked_autograd_cuda_equals_cpu(monkeypatch):
    monkeypatch.setattr(M, "_AUTOGRAD_DENSE_MAX", 0)
    p = make_glm(8, 5000, 1.0, "sigmoid", noise=0.2, seed=3)
    W = torch.randn(64, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    v = torch.randn(64, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    q = make_glm(8, 5000, 1.0, "sigmoid", noise=0.2, seed=3, device="cuda")
    torch.testing.assert_close(q.objective.hvp(W.cuda(), v.cuda()).cpu(), p.objective.hvp(W, v), rtol=1e-9, atol=1e-12)


def test_probe_cuda_equals_cpu():
    """The kappa of the CPU run; the points counted of its twin on the cuda branches (cuda_branches: on
    a GPU the retractions evaluate every point, on the CPU only those below the level set)."""
    p = make_glm(8, 4096, 1.0, "generalized_relu", a=0.5, b=1.0, noise=1.0, seed=0)
    q = make_glm(8, 4096, 1.0, "generalized_relu", a=0.5, b=1.0, noise=1.0, seed=0, device="cuda")
    budget = {"samples": 512, "rays": 64, "steps": 20, "starts": 16}
    r_cpu = slqc.probe(p.objective, p.w_star, 1e-2, 1.0, budget=budget, seed=0)
    with cuda_branches():
        r_twin = slqc.probe(p.objective, p.w_star, 1e-2, 1.0, budget=budget, seed=0)
    r_gpu = slqc.probe(q.objective, q.w_star, 1e-2, 1.0, budget=budget, seed=0, device="cuda")
    assert r_gpu.kappa == pytest.approx(r_cpu.kappa, rel=1e-6)
    assert r_gpu.points_evaluated == r_twin.points_evaluated


@pytest.mark.parametrize("mixed", [False, True])
def test_batched_probe_cuda_equals_cpu(mixed):
    """Instance batching on cuda against the CPU: a GLMStack (batched products, per-instance slopes) and,
    with ``mixed``, a GroupStack that adds a sigmoid GLM with another sample count to the same search."""
    from slqc.search import probe_batch

    budget = {"samples": 512, "rays": 64, "steps": 20, "starts": 16}
    out = {}
    for dev in ("cpu", "twin", "cuda"):  # twin: the CPU on the cuda branches (see test_probe_cuda_equals_cpu)
        on = "cpu" if dev == "twin" else dev
        ps = [make_glm(8, 512, 1.0, "generalized_relu", a=a, b=1.0, noise=0.5, seed=i, device=on)
              for i, a in enumerate((0.1, 0.3, 0.5))]
        if mixed:
            ps.insert(1, make_glm(8, 256, 1.0, "sigmoid", noise=0.5, seed=5, device=on))
        with cuda_branches() if dev == "twin" else contextlib.nullcontext():
            out[dev] = probe_batch([p.objective for p in ps], [p.w_star for p in ps], 1e-2, 1.0, budget=budget,
                                   seed=0, device=on)
    for a, t, b in zip(out["cpu"], out["twin"], out["cuda"]):
        assert b.kappa == pytest.approx(a.kappa, rel=1e-6)
        assert b.points_evaluated == t.points_evaluated


#: one quick setting of each family of claims (as in tests/slqc/test_cuda_branches.py)
FAMILIES = [("thm1", 0), ("thm3", 0), ("thm4", 0), ("thm7", 2), ("thm8", 1)]


@pytest.mark.parametrize("name, i", FAMILIES)
def test_check_one_setting_per_family_cuda_equals_cpu(name, i):
    """``slqc check``'s records of one setting on cuda: the CPU's verdicts and kappas, and the points
    counted of the CPU twin on the cuda branches (within 1 %: cuBLAS rounds otherwise, and a search may
    part after a rounding difference)."""
    from slqc.check import Checker
    from slqc.claims import get_claim

    claim = get_claim(name)
    s = dict(claim.settings("quick")[i])
    cpu = claim.evaluate(s, Checker("quick"))
    with cuda_branches():
        twin = claim.evaluate(s, Checker("quick"))
    gpu = claim.evaluate(s, Checker("quick", device="cuda"))
    assert [r["verdict"] for r in gpu] == [r["verdict"] for r in cpu] and cpu
    for a, t, b in zip(cpu, twin, gpu):
        assert b["kappa_empirical"] == pytest.approx(a["kappa_empirical"], rel=1e-6)
        assert b["points_evaluated"] == pytest.approx(t["points_evaluated"], rel=1e-2)


def test_thm2_draw_cuda_equals_cpu():
    from slqc.check import Checker
    from slqc.claims.noisy_glm import PROOF_M_TRIPLES, Theorem2, proof_m_settings

    s = dict(proof_m_settings(PROOF_M_TRIPLES[1:], (0.9,), probe_budget={"samples": 256, "steps": 5})[0],
             ms=[20000], draws=2)
    recs = {}
    for dev in ("cpu", "cuda"):
        c = Checker("quick", device=dev)
        c.in_draws = True
        (recs[dev],) = Theorem2().evaluate(s, c)
    assert recs["cuda"]["p_slqc"] == recs["cpu"]["p_slqc"]
    assert recs["cuda"]["kappa_empirical"] == pytest.approx(recs["cpu"]["kappa_empirical"], rel=1e-6)


def test_dante_training_cuda_equals_cpu():
    from dante import TrainConfig, load_dataset, train

    digits = load_dataset("digits")
    kw = dict(data=digits, arch="64-16-10", method="dante", lr=0.05, epochs=2, sngd_epochs=1, progress=False)
    gpu = train(TrainConfig(device="cuda", **kw))
    cpu = train(TrainConfig(device="cpu", **kw))
    assert gpu.final["train_loss"] == pytest.approx(cpu.final["train_loss"], rel=1e-4)
    assert next(gpu.model.parameters()).device.type == "cuda"
