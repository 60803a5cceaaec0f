"""Input distributions for synthetic problems; every sample lies in the unit ball.

Definition 2 of the paper takes x_i in B = B(0, 1). The distributions here are the
ones a sceptical reviewer asks for:

* ``ball``: uniform in the unit ball of R^d.
* ``sphere``: uniform on the unit sphere (every ||x_i|| = 1, the extreme case of the bound).
* ``nonneg``: nonnegative, sparse, image-like vectors (pixels in [0, 1] with about half
  of them off), scaled by the largest norm in the sample so max ||x_i|| = 1.
* ``digits``: scikit-learn's bundled 8x8 handwritten digits (real data, 64 pixels in
  [0, 16]): m rows drawn without replacement, the d highest-variance pixels kept, scaled
  by the largest norm of the whole data set so ||x_i|| <= 1.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from . import _validate as V

DISTRIBUTIONS = ("ball", "sphere", "nonneg", "digits")


def _generator(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(int(seed))
    return g


@functools.lru_cache(maxsize=1)
def _digits() -> np.ndarray:
    from sklearn.datasets import load_digits

    return load_digits().data.astype(np.float64)


def sample_inputs(distribution: str, m: int, d: int, seed: int = 0, dtype: torch.dtype = torch.float64,
                  device=None) -> torch.Tensor:
    """Draw m inputs of dimension d with ||x_i|| <= 1.

    Args:
        distribution: one of ``ball``, ``sphere``, ``nonneg``, ``digits``.
        m: number of samples (>= 1).
        d: dimension (>= 1; at most 64 for ``digits``).
        seed: RNG seed; the same seed gives the same samples on every device.
        dtype, device: of the returned tensor.

    Returns:
        Tensor X of shape (m, d).

    Raises:
        ValueError: unknown distribution, m or d < 1, d > 64 or m > 1797 for digits.

    Example:
        >>> X = sample_inputs("sphere", 3, 4, seed=0)
        >>> torch.linalg.vector_norm(X, dim=1)
        tensor([1.0000, 1.0000, 1.0000], dtype=torch.float64)
    """
    V.choice("data distribution", distribution, DISTRIBUTIONS)
    m, d = int(m), int(d)
    if m < 1 or d < 1:
        raise ValueError(f"need m >= 1 samples and dimension d >= 1, got m={m}, d={d}")
    g = _generator(seed)
    if distribution in ("ball", "sphere"):
        X = torch.randn(m, d, generator=g, dtype=torch.float64)
        X /= torch.linalg.vector_norm(X, dim=1, keepdim=True).clamp_min(1e-300)
        if distribution == "ball":
            X *= torch.rand(m, 1, generator=g, dtype=torch.float64) ** (1.0 / d)
    elif distribution == "nonneg":
        X = torch.rand(m, d, generator=g, dtype=torch.float64)
        X *= torch.rand(m, d, generator=g, dtype=torch.float64) < 0.5
        X[X.sum(1) == 0, 0] = 1.0  # no all-zero image
        X /= torch.linalg.vector_norm(X, dim=1).max()
    else:
        data = _digits()
        n, full_d = data.shape
        if d > full_d:
            raise ValueError(f"digits has {full_d} pixels; ask for d <= {full_d}, got d={d}")
        if m > n:
            raise ValueError(f"digits has {n} images; ask for m <= {n}, got m={m}")
        cols = np.sort(np.argsort(-data.var(0), kind="stable")[:d])
        scale = np.linalg.norm(data[:, cols], axis=1).max()
        rows = torch.randperm(n, generator=g)[:m].numpy()
        X = torch.from_numpy(data[np.ix_(rows, cols)] / scale)
    return X.to(dtype=dtype, device=device)
