"""Teacher alignment (dante.align): planted cases, a brute-force twin over all permutations, invariances."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar

from dante import MLP, TrainConfig, make_synthetic, train
from dante.align import align_teacher, unit_scale
from dante.instruments import Instrumenter
from dante.schedules import every_step

PLANTED_ATOL = 1e-10      # float64 reconstruction of a planted teacher
SCALE_RTOL = 1e-6         # closed-form per-unit scale vs a bounded scalar minimizer
COSINE_RTOL = 1e-12       # assignment vs brute force, summed cosine

ALIGN_CASES = [dict(id=f"h{h}-seed{s}", h=h, seed=s) for h in (2, 3, 4, 5, 6) for s in (0, 1)]


def _teacher(widths, seed):
    g = torch.Generator().manual_seed(seed)
    return {l: torch.randn(widths[l - 1], widths[l], generator=g, dtype=torch.float64) for l in range(1, len(widths))}


def _permute_rescale(W, seed, rescale=True):
    """A network computing the same function (homogeneous activations): permute and rescale hidden units."""
    g = torch.Generator().manual_seed(seed + 100)
    L = len(W)
    S = {l: W[l].clone() for l in W}
    truth = {}
    for l in range(1, L):
        h = S[l].shape[1]
        perm = torch.randperm(h, generator=g)
        c = torch.rand(h, generator=g, dtype=torch.float64) * 2.7 + 0.3 if rescale else torch.ones(h, dtype=torch.float64)
        S[l] = S[l][:, perm] * c
        S[l + 1] = S[l + 1][perm, :] / c[:, None]
        truth[l] = (perm.numpy(), c.numpy())
    return S, truth


@pytest.mark.parametrize("widths", [[5, 4, 3], [6, 6, 2], [4, 5, 3, 2]], ids=["5-4-3", "6-6-2", "4-5-3-2"])
def test_planted_permuted_rescaled_copy_aligns_to_distance_zero(widths):
    T = _teacher(widths, seed=len(widths))
    S, truth = _permute_rescale(T, seed=1)
    al = align_teacher(S, T, homogeneous=True)
    for l in S:
        torch.testing.assert_close(al.weights[l], S[l], rtol=0, atol=PLANTED_ATOL)
    for l, (perm, c) in truth.items():
        assert np.array_equal(al.perms[l], perm.astype(al.perms[l].dtype))
        np.testing.assert_allclose(al.scales[l], c, rtol=1e-8)
        assert al.cosine[l] == pytest.approx(1.0, rel=1e-12)


def test_planted_case_through_the_instruments():
    """A student initialised at a permuted, rescaled teacher: aligned distance 0, loss = loss at W* = 0,
    kappa_min = 0 (condition 1), and the raw distance is ||W_student - W_teacher||."""
    ds = make_synthetic("6-5-3", seed=0, n_train=64, n_test=16)
    T = {l: ds.teacher[f"W{l}"].double() for l in (1, 2)}
    S, _ = _permute_rescale(T, seed=3)
    net = MLP("6-5-3", "generalized_relu", bias=False, dtype=torch.float64)
    with torch.no_grad():
        for l in (1, 2):
            net.weights[l - 1].copy_(S[l])
    X, Y = ds.X_train.double(), ds.y_train.double()
    instr = Instrumenter(net, X, Y, X, Y, "squared", "teacher", every_step(), eps=(0.1,),
                         teacher={"W1": T[1], "W2": T[2]}, sources=("full",),
                         claim_info={"n_layers": 2, "activation": net.activation.to_dict(),
                                     "output_activation": net.output_activation.to_dict(), "loss": "squared",
                                     "n_outputs": 3})
    instr.on_step(0, {}, torch.arange(4), [1, 2])
    rec = instr.records[0]
    assert rec["full.loss"] == pytest.approx(0.0, abs=1e-12)  # targets were computed in float32
    for l in (1, 2):
        p = f"layer{l}.full."
        assert rec[p + "dist"] == pytest.approx(0.0, abs=PLANTED_ATOL)
        assert rec[p + "loss_ref"] == pytest.approx(0.0, abs=1e-12)
        assert rec[p + "kappa_min@0.1"] == 0.0
        assert rec[p + "dist_raw"] == pytest.approx(float((S[l] - T[l]).norm()), rel=1e-12)
        assert rec[p + "dist_raw"] > 0.1
    assert rec["layer1.perm_changes"] is None and rec["layer1.align_cosine"] == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("case", ALIGN_CASES, ids=[c["id"] for c in ALIGN_CASES])
def test_assignment_equals_brute_force_over_all_permutations(case):
    """Twin: the permutation maximizing the summed cosine of incoming weights, by enumerating all h!."""
    h = case["h"]
    g = torch.Generator().manual_seed(case["seed"])
    S = {1: torch.randn(4, h, generator=g, dtype=torch.float64), 2: torch.randn(h, 3, generator=g, dtype=torch.float64)}
    T = {1: torch.randn(4, h, generator=g, dtype=torch.float64), 2: torch.randn(h, 3, generator=g, dtype=torch.float64)}
    s, t = S[1].numpy(), T[1].numpy()
    cos = np.array([[s[:, i] @ t[:, j] / (np.linalg.norm(s[:, i]) * np.linalg.norm(t[:, j])) for j in range(h)]
                    for i in range(h)])
    best = max(itertools.permutations(range(h)), key=lambda p: sum(cos[i, p[i]] for i in range(h)))
    best_val = sum(cos[i, best[i]] for i in range(h))
    al = align_teacher(S, T, homogeneous=True)
    got_val = sum(cos[i, al.perms[1][i]] for i in range(h))
    assert got_val == pytest.approx(best_val, rel=COSINE_RTOL)
    assert tuple(al.perms[1]) == best  # continuous random data: the maximizer is unique
    # the scales: each unit's closed form equals a bounded scalar minimization of ||c u - s||^2 + ||v/c - r||^2
    u, v = t[:, list(best)], T[2].numpy()[list(best), :]
    r = S[2].numpy()
    for i in range(h):
        f = lambda lc: np.sum((math.exp(lc) * u[:, i] - s[:, i]) ** 2) + np.sum((v[i] / math.exp(lc) - r[i]) ** 2)  # noqa: E731
        ref = minimize_scalar(f, bounds=(-12, 12), method="bounded", options={"xatol": 1e-12})
        assert al.scales[1][i] == pytest.approx(math.exp(ref.x), rel=SCALE_RTOL)
        assert f(math.log(al.scales[1][i])) <= ref.fun * (1 + 1e-9) + 1e-12


def test_unit_scale_closed_form_examples():
    # u = s, v = r: c = 1; u = s / 2 and v = 2 r: c = 2 (both terms vanish)
    one = unit_scale(np.array([1.0]), np.array([1.0]), np.array([1.0]), np.array([1.0]))
    assert one[0] == pytest.approx(1.0, rel=1e-12)
    two = unit_scale(np.array([0.25]), np.array([0.5]), np.array([4.0]), np.array([2.0]))
    assert two[0] == pytest.approx(2.0, rel=1e-12)


def test_alignment_is_invariant_to_how_the_teacher_was_drawn():
    """Metamorphic: permuting/rescaling the teacher first changes nothing after alignment."""
    T = _teacher([5, 4, 3], seed=7)
    S = _teacher([5, 4, 3], seed=8)
    T2, _ = _permute_rescale(T, seed=9)
    a, b = align_teacher(S, T, True), align_teacher(S, T2, True)
    for l in (1, 2):
        torch.testing.assert_close(a.weights[l], b.weights[l], rtol=1e-9, atol=1e-12)


def test_non_homogeneous_activation_only_permutes():
    T = _teacher([5, 4, 3], seed=1)
    S, truth = _permute_rescale(T, seed=2, rescale=False)
    al = align_teacher(S, T, homogeneous=False)
    assert np.all(al.scales[1] == 1.0)
    for l in (1, 2):
        torch.testing.assert_close(al.weights[l], S[l], rtol=0, atol=PLANTED_ATOL)


def test_training_default_teacher_reference_is_aligned(tmp_path):
    """--reference teacher aligns; teacher-raw does not; both log the same raw distance at step 0."""
    ds = make_synthetic("6-5-3", seed=0, n_train=100, n_test=20)
    kw = dict(data=ds, arch="6-5-3", task="regress", bias=False, method="dante", lr=0.05, epochs=2,
              batch_size=50, instrument=True, instrument_every=1, progress=False, dtype="float64")
    al = train(TrainConfig(reference="teacher", **kw)).instruments
    raw = train(TrainConfig(reference="teacher-raw", **kw)).instruments
    for a, r in zip(al, raw):
        for l in (1, 2):
            assert a[f"layer{l}.full.dist_raw"] == pytest.approx(r[f"layer{l}.full.dist"], rel=1e-12)
            assert a[f"layer{l}.full.dist"] <= a[f"layer{l}.full.dist_raw"] + 1e-12 or a["layer1.perm_changes"] is not None
