"""Align a teacher network with a student, up to the network's symmetries.

A fully connected network ``phi_L<W_L, ... phi_1<W_1, x>>`` (Sinha et al., 2020, Eq. 1) computes the
same function after

* a permutation of the hidden units of any layer ``l < L`` (columns of ``W_l``, rows of ``W_{l+1}``);
* for a positively homogeneous hidden activation (generalized ReLU of Definition 3, ReLU:
  ``phi(c t) = c phi(t)`` for ``c > 0``), a rescaling of unit ``j``'s incoming weights (and bias) by
  ``c_j > 0`` together with its outgoing weights by ``1 / c_j``.

So the distance from a student to "the" teacher depends on which of these equivalent teachers one
picks. :func:`align_teacher` picks, layer by layer from the input,

1. the permutation maximizing the summed cosine between matched units' incoming weights (an
   assignment problem, :func:`scipy.optimize.linear_sum_assignment`); in deeper nets each layer's
   units are then put on the student's scale (incoming least squares) before the next layer's
   permutation is chosen;
2. for homogeneous activations, per unit the scale ``c > 0`` minimizing
   ``||c u - s||^2 + ||v / c - r||^2`` (``u, v``: the teacher unit's incoming and outgoing weights,
   ``s, r``: the student's), in closed form: the positive root of
   ``A c^4 - B c^3 + D c - C = 0`` with ``A = ||u||^2, B = <u, s>, C = ||v||^2, D = <v, r>``
   that minimizes the objective. With one hidden layer this minimizes ``||W - W*||^2`` over both
   layers exactly (for the chosen permutation); deeper nets repeat it by coordinate descent over
   the layers until the scales settle (:data:`SWEEP_RTOL`, at most :data:`MAX_SWEEPS` sweeps).

Shapes: ``W_l`` is ``(n_{l-1}, n_l)``; layers are 1-based; einsum letters ``i`` (unit of the
student), ``j`` (unit of the teacher), ``k`` (coordinate of a weight vector).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

__all__ = ["Alignment", "align_teacher", "unit_scale", "HOMOGENEOUS"]

#: hidden activations (slqc names) for which per-unit positive rescaling is a symmetry
HOMOGENEOUS = ("generalized_relu", "relu", "identity")
SCALE_RANGE = (1e-6, 1e6)
MAX_SWEEPS = 500          # coordinate descent over the layers' scales (deeper nets)
SWEEP_RTOL = 1e-12        # stop when no scale changes by more than this, relatively


@dataclass
class Alignment:
    """A teacher aligned with a student.

    Attributes:
        weights: ``{l: W_l*}`` of the aligned teacher (float64, the student's shapes).
        biases: ``{l: b_l*}`` when the teacher has biases.
        perms: ``{l: perm}`` for hidden layers ``l < L``: student unit ``i`` is matched with teacher
            unit ``perm[i]``.
        scales: ``{l: c}`` per-unit scales of hidden layer ``l`` (ones without rescaling).
        cosine: ``{l: mean cosine}`` between matched incoming weight vectors after permuting.
    """

    weights: dict[int, torch.Tensor]
    biases: dict[int, torch.Tensor] = field(default_factory=dict)
    perms: dict[int, np.ndarray] = field(default_factory=dict)
    scales: dict[int, np.ndarray] = field(default_factory=dict)
    cosine: dict[int, float] = field(default_factory=dict)


def _objective(c: np.ndarray, A, B, C, D) -> np.ndarray:
    """``||c u - s||^2 + ||v/c - r||^2`` up to the constant ``||s||^2 + ||r||^2``."""
    return A * c ** 2 - 2 * B * c + C / c ** 2 - 2 * D / c


def unit_scale(A: np.ndarray, B: np.ndarray, C: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Per-unit minimizer over ``c > 0`` of ``A c^2 - 2 B c + C / c^2 - 2 D / c`` (vectorized over units).

    The stationarity condition times ``c^3 / 2`` is the quartic ``A c^4 - B c^3 + D c - C = 0``; the
    roots come from the eigenvalues of its companion matrices (batched), and the positive real root
    with the smallest objective wins (clipped to :data:`SCALE_RANGE`, which also covers ``A = 0`` or
    ``C = 0``, where the infimum lies at an end).

    Args:
        A, B, C, D: arrays of shape ``(h,)`` (``A, C >= 0``).

    Returns:
        ``c`` of shape ``(h,)``.

    Example:
        >>> round(float(unit_scale(np.array([1.0]), np.array([2.0]), np.array([4.0]), np.array([2.0]))[0]), 12)
        2.0
    """
    A, B, C, D = (np.asarray(v, dtype=np.float64) for v in (A, B, C, D))
    h = A.shape[0]
    lo, hi = SCALE_RANGE
    cands = [np.full(h, lo), np.full(h, hi), np.ones(h)]
    ok = A > 0
    if ok.any():
        a = A[ok]
        comp = np.zeros((a.shape[0], 4, 4))
        comp[:, 1:, :3] = np.eye(3)  # companion matrix of c^4 + p3 c^3 + p2 c^2 + p1 c + p0
        comp[:, 0, 0] = B[ok] / a   # -p3, p3 = -B/A
        comp[:, 0, 1] = 0.0         # -p2
        comp[:, 0, 2] = -D[ok] / a  # -p1, p1 = D/A
        comp[:, 0, 3] = C[ok] / a   # -p0, p0 = -C/A
        roots = np.linalg.eigvals(comp)  # (h_ok, 4)
        real = np.where(np.abs(roots.imag) <= 1e-9 * (1 + np.abs(roots.real)), roots.real, np.nan)
        for k in range(4):
            col = np.full(h, np.nan)
            col[ok] = real[:, k]
            cands.append(np.where(col > 0, np.clip(col, lo, hi), np.nan))
    cand = np.stack(cands, axis=1)  # (h, n_candidates)
    vals = np.where(np.isnan(cand), np.inf, _objective(np.nan_to_num(cand, nan=1.0), A[:, None], B[:, None],
                                                       C[:, None], D[:, None]))
    return cand[np.arange(h), np.argmin(vals, axis=1)]


def _cosine_matrix(S: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``cos(S[:, i], T[:, j])``, shape ``(h, h)``; zero columns give cosine 0."""
    sn = np.linalg.norm(S, axis=0)
    tn = np.linalg.norm(T, axis=0)
    num = np.einsum("ki,kj->ij", S, T)
    den = np.outer(sn, tn)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def align_teacher(student: dict[int, torch.Tensor], teacher: dict[int, torch.Tensor], homogeneous: bool,
                  student_biases: dict[int, torch.Tensor] | None = None,
                  teacher_biases: dict[int, torch.Tensor] | None = None) -> Alignment:
    """The teacher equivalent to ``teacher`` (same function) closest to ``student`` (see the module doc).

    Args:
        student: ``{l: W_l}`` for ``l = 1..L``, shapes ``(n_{l-1}, n_l)``.
        teacher: ``{l: W_l*}``, same shapes.
        homogeneous: the hidden activation is positively homogeneous (rescaling is a symmetry).
        student_biases: ``{l: b_l}`` (``(n_l,)``) or ``None``; biases join the incoming weights.
        teacher_biases: ``{l: b_l*}`` or ``None`` (a teacher without biases is aligned on weights only).

    Returns:
        The :class:`Alignment` (weights in float64 on the CPU).

    Raises:
        ValueError: the layers or shapes of student and teacher differ.
    """
    L = len(student)
    if sorted(student) != list(range(1, L + 1)) or sorted(teacher) != sorted(student):
        raise ValueError("student and teacher must give W_1..W_L")
    S = {l: student[l].detach().double().cpu().numpy() for l in student}
    T = {l: teacher[l].detach().double().cpu().numpy().copy() for l in teacher}
    for l in S:
        if S[l].shape != T[l].shape:
            raise ValueError(f"layer {l}: student {S[l].shape} and teacher {T[l].shape} differ")
    use_b = bool(student_biases) and bool(teacher_biases)
    Sb = {l: student_biases[l].detach().double().cpu().numpy() for l in S} if use_b else {}
    Tb = {l: teacher_biases[l].detach().double().cpu().numpy().copy() for l in S} if use_b else {}

    def incoming(W, b, l):
        return np.vstack([W[l], b[l][None, :]]) if use_b else W[l]

    out = Alignment(weights={})
    pre = {l: np.ones(S[l].shape[1]) for l in range(1, L)}  # scales applied while permuting (deeper nets)
    for l in range(1, L):  # permutations, from the input up (rows of T[l] already follow layer l-1)
        C = _cosine_matrix(incoming(S, Sb, l), incoming(T, Tb, l))
        rows, cols = linear_sum_assignment(C, maximize=True)
        perm = cols[np.argsort(rows)]
        T[l] = T[l][:, perm]
        T[l + 1] = T[l + 1][perm, :]
        if use_b:
            Tb[l] = Tb[l][perm]
        out.perms[l] = perm
        out.cosine[l] = float(C[np.arange(len(perm)), perm].mean())
        if homogeneous and l < L - 1:
            # the next layer's rows must be on the student's scale before its permutation is chosen:
            # scale each unit by its incoming least-squares factor <u, s> / ||u||^2 (refined below)
            u, sv = incoming(T, Tb, l), incoming(S, Sb, l)
            c = np.clip(np.einsum("kj,kj->j", u, sv) / np.maximum(np.einsum("kj,kj->j", u, u), 1e-300), *SCALE_RANGE)
            T[l] = T[l] * c[None, :]
            T[l + 1] = T[l + 1] / c[:, None]
            if use_b:
                Tb[l] = Tb[l] * c
            pre[l] = c
    scales = {l: np.ones(S[l].shape[1]) for l in range(1, L)}
    if homogeneous and L > 1:
        P, Pb = {l: T[l].copy() for l in T}, {l: Tb[l].copy() for l in Tb}
        sweeps = 1 if L == 2 else MAX_SWEEPS
        for _ in range(sweeps):
            before = {l: c.copy() for l, c in scales.items()}
            for l in range(1, L):
                prev = scales.get(l - 1, np.ones(S[l].shape[0]))  # c_{l-1} (ones for the input)
                nxt = scales.get(l + 1, np.ones(S[l + 1].shape[1]))  # c_{l+1} (ones for the output)
                u = P[l] / prev[:, None]  # incoming of each unit, before its own scale
                v = P[l + 1] * nxt[None, :]  # outgoing of each unit, before 1/c
                s, r = S[l], S[l + 1]
                A = np.einsum("kj,kj->j", u, u)
                B = np.einsum("kj,kj->j", u, s)
                if use_b:
                    A = A + Pb[l] ** 2
                    B = B + Pb[l] * Sb[l]
                Cc = np.einsum("jk,jk->j", v, v)
                D = np.einsum("jk,jk->j", v, r)
                scales[l] = unit_scale(A, B, Cc, D)
            if max(float(np.max(np.abs(scales[l] / before[l] - 1))) for l in scales) <= SWEEP_RTOL:
                break
        for l in range(1, L + 1):
            prev = scales.get(l - 1, np.ones(S[l].shape[0]))
            own = scales.get(l, np.ones(S[l].shape[1]))
            T[l] = P[l] / prev[:, None] * own[None, :]
            if use_b:
                Tb[l] = Pb[l] * own
        scales = {l: scales[l] * pre[l] for l in scales}
    out.scales = scales
    out.weights = {l: torch.from_numpy(T[l]) for l in T}
    out.biases = {l: torch.from_numpy(Tb[l]) for l in Tb}
    return out
