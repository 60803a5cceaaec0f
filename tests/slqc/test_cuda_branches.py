"""The branches slqc takes on a CUDA device, run on the CPU (:func:`slqc.testing.cuda_branches`).

Three choices depend on the device type: the retractions' compaction (CPU only), the block sizes,
and the losses' fast forms (CPU only). No GPU has run this project's gpu tier yet, so these
tests run the cuda branches on the CPU and compare them with the CPU's own: the same kappas and
verdicts, with more points counted where the retractions evaluate every point. The gpu tier
(tests/test_gpu_tier.py) then compares a cuda run with this CPU twin, points counted included.
"""

from __future__ import annotations

import contextlib

import pytest
import torch

import slqc
import slqc.losses as losses
import slqc.models as models
import slqc.search as search
import slqc.stack as stack
from slqc._branch import branch
from slqc.check import Checker
from slqc.claims import get_claim
from slqc.generators import make_glm
from slqc.search import probe_batch
from slqc.testing import cuda_branches

BUDGET = {"samples": 512, "rays": 64, "steps": 20, "starts": 16}


def _choices() -> tuple:
    cpu = torch.device("cpu")
    return (branch(cpu) in search.COMPACT_DEVICES, models.block_elems(cpu), stack._stack_block_elems("cpu"),
            losses._fast(torch.zeros(4, dtype=torch.float64), True))


def test_cuda_branches_switch_the_three_choices_and_restore_them():
    before = _choices()
    assert before == (True, models._BLOCK_ELEMS, stack._STACK_BLOCK_ELEMS, True)
    with pytest.raises(RuntimeError), cuda_branches():
        assert _choices() == (False, models._CUDA_BLOCK_ELEMS, models._CUDA_BLOCK_ELEMS, False)
        raise RuntimeError("leaves the context")
    assert _choices() == before


def test_probe_takes_the_same_path_and_counts_every_retracted_point():
    """The same kappa; on the cuda branch the retractions evaluate every point of their rows, so the
    probe counts more points (on the CPU only those below the level set are evaluated)."""
    p = make_glm(8, 4096, 1.0, "generalized_relu", a=0.5, b=1.0, noise=1.0, seed=0)
    cpu = slqc.probe(p.objective, p.w_star, 1e-2, 1.0, budget=BUDGET, seed=0)
    with cuda_branches():
        twin = slqc.probe(p.objective, p.w_star, 1e-2, 1.0, budget=BUDGET, seed=0)
    assert twin.kappa == pytest.approx(cpu.kappa, rel=1e-9)
    assert twin.points_evaluated > cpu.points_evaluated


def test_batched_probe_of_a_group_stack_agrees():
    """A batch of three generalized-ReLU GLMs and a sigmoid GLM with another sample count (a GroupStack)."""
    ps = [make_glm(8, 512, 1.0, "generalized_relu", a=a, b=1.0, noise=0.5, seed=i) for i, a in enumerate((0.1, 0.3))]
    ps.insert(1, make_glm(8, 256, 1.0, "sigmoid", noise=0.5, seed=5))
    args = ([p.objective for p in ps], [p.w_star for p in ps], 1e-2, 1.0)
    cpu = probe_batch(*args, budget=BUDGET, seed=0)
    with cuda_branches():
        twin = probe_batch(*args, budget=BUDGET, seed=0)
    for a, b in zip(cpu, twin):
        assert b.kappa == pytest.approx(a.kappa, rel=1e-9)
        assert b.points_evaluated >= a.points_evaluated


#: one quick setting of each family of claims: a GLM, k outputs (softmax-free), a hidden layer,
#: softmax with cross-entropy, the probability claim (Theorem 2), and SNGD (Theorem 8)
FAMILIES = [("thm1", 0), ("thm3", 0), ("thm4", 0), ("thm7", 2), ("thm2", 0), ("thm8", 1)]


@pytest.mark.parametrize("name, i", FAMILIES)
def test_check_one_setting_per_family_gives_the_same_records(name, i):
    """``slqc check``'s records of one setting: the same verdicts and kappas (Theorem 7's softmax
    within 1e-8: the entry-by-entry logsumexp rounds otherwise than the fast form)."""
    claim = get_claim(name)
    s = dict(claim.settings("quick")[i])
    cpu = claim.evaluate(s, Checker("quick"))
    with cuda_branches():
        twin = claim.evaluate(s, Checker("quick"))
    assert [r["verdict"] for r in twin] == [r["verdict"] for r in cpu] and cpu
    for a, b in zip(cpu, twin):
        assert b["kappa_empirical"] == pytest.approx(a["kappa_empirical"], rel=1e-8)


def _host_reads(monkeypatch) -> list[int]:
    """Count every read of a tensor's value into Python (bool, int, float, item, tolist): on a GPU each is
    a synchronisation with the device."""
    n = [0]
    for name in ("__bool__", "__int__", "__float__", "__index__", "item", "tolist"):
        real = getattr(torch.Tensor, name)

        def counted(self, *a, _real=real, **k):
            n[0] += 1
            return _real(self, *a, **k)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return n


def test_no_host_read_per_ascent_step_on_the_cuda_branches(monkeypatch):
    """Issue 12's loop without a synchronisation per step: on the cuda branches the ascent reads the
    device only at its checks, every ``_CHECK_EVERY`` steps (stop flags, plateau: two reads), so 60 more
    steps per ascent add at most 2 x 6 reads per ascent; on the CPU branch the compaction of the
    retractions reads once per step."""
    p = make_glm(8, 4096, 1.0, "generalized_relu", a=0.5, b=1.0, noise=1.0, seed=0)
    runs = [0]
    real_run = search._ascent_run

    def ascent_run(*a, **k):
        runs[0] += 1
        return real_run(*a, **k)

    monkeypatch.setattr(search, "_ascent_run", ascent_run)
    reads = _host_reads(monkeypatch)
    growth = {}
    for branch in ("cuda", "cpu"):
        counts = []
        for steps in (20, 80):
            reads[0], runs[0] = 0, 0
            with cuda_branches() if branch == "cuda" else contextlib.nullcontext():
                slqc.probe(p.objective, p.w_star, 1e-2, 1.0, budget=dict(BUDGET, steps=steps), seed=0)
            counts.append(reads[0])
        growth[branch] = counts[1] - counts[0]
        assert runs[0] >= 1
    assert growth["cuda"] <= 2 * runs[0] * (60 // search._CHECK_EVERY)
    assert growth["cpu"] > growth["cuda"]
