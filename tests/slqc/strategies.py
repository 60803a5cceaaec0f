"""Hypothesis strategies for the engine's own tests (one module, as the house style asks)."""

from __future__ import annotations

import math

import torch
from hypothesis import strategies as st

seeds = st.integers(min_value=0, max_value=2**31 - 1)
eps_values = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False, allow_infinity=False)


@st.composite
def spd_matrices(draw, max_dim: int = 50, max_cond: float = 100.0):
    """(S, lambda_max, lambda_min) with S symmetric positive definite, cond(S) <= max_cond."""
    d = draw(st.integers(min_value=1, max_value=max_dim))
    cond = draw(st.floats(min_value=1.0, max_value=max_cond))
    seed = draw(seeds)
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    ev = torch.exp(torch.rand(d, generator=g, dtype=torch.float64) * math.log(cond))
    ev[0], ev[-1] = 1.0, cond  # attain the drawn condition number
    S = Q @ torch.diag(ev) @ Q.T
    S = 0.5 * (S + S.T)
    return S, float(ev.max()), float(ev.min()), seed
