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


#: Rows drawn per chunk by the streamed generator. Chunk 0 comes from the generator seeded
#: with ``seed`` (so draws with m <= _GEN_ROWS are those of an unchunked draw); chunk j >= 1 from
#: :func:`chunk_generator`. The result depends on (distribution, m, d, seed) only, never on how
#: many chunks a caller holds at once.
_GEN_ROWS = 2**16


def chunk_generator(seed: int, j: int, salt: int = 0) -> torch.Generator:
    """The generator of row chunk ``j`` of a streamed draw (chunk 0: seeded with seed + salt itself)."""
    if j == 0:
        return _generator(int(seed) + int(salt))
    return _generator((int(seed) + int(salt)) * 1_000_003 + 7_368_787 * j + 1)


def _raw_chunk(distribution: str, rows: int, d: int, g: torch.Generator) -> torch.Tensor:
    if distribution in ("ball", "sphere"):
        X = torch.randn(rows, d, generator=g, dtype=torch.float64)
        X /= torch.linalg.vector_norm(X, dim=1, keepdim=True).clamp_min(1e-300)
        if distribution == "ball":
            X *= torch.rand(rows, 1, generator=g, dtype=torch.float64) ** (1.0 / d)
        return X
    X = torch.rand(rows, d, generator=g, dtype=torch.float64)  # nonneg, before the global scaling
    X *= torch.rand(rows, d, generator=g, dtype=torch.float64) < 0.5
    X[X.sum(1) == 0, 0] = 1.0  # no all-zero image
    return X


def iter_input_chunks(distribution: str, m: int, d: int, seed: int = 0, rows: int | None = None):
    """Yield the rows of :func:`sample_inputs` in order, as float64 CPU chunks, never all at once.

    Args:
        distribution, m, d, seed: as in :func:`sample_inputs`.
        rows: rows per chunk (default ``_GEN_ROWS``). The values depend on it through the
            chunk seeding: keep the default for the draws of :func:`sample_inputs`.

    Yields:
        (start, X_chunk) with X_chunk of shape (rows_j, d).

    Raises:
        ValueError: as :func:`sample_inputs`.
    """
    V.choice("data distribution", distribution, DISTRIBUTIONS)
    m, d = int(m), int(d)
    if m < 1 or d < 1:
        raise ValueError(f"need m >= 1 samples and dimension d >= 1, got m={m}, d={d}")
    rows = _GEN_ROWS if rows is None else int(rows)
    if distribution == "digits":
        yield 0, _digits_draw(m, d, seed)
        return
    scale = 1.0
    if distribution == "nonneg":  # scaled by the largest norm of the whole draw: one pass to find it
        scale = max(float(torch.linalg.vector_norm(_raw_chunk(distribution, min(rows, m - s), d,
                                                                 chunk_generator(seed, j)), dim=1).max())
                    for j, s in enumerate(range(0, m, rows)))
    for j, s in enumerate(range(0, m, rows)):
        X = _raw_chunk(distribution, min(rows, m - s), d, chunk_generator(seed, j))
        if distribution == "nonneg":
            X /= scale
        yield s, X


def _digits_draw(m: int, d: int, seed: int) -> torch.Tensor:
    data = _digits()
    n, full_d = data.shape
    if d > full_d:
        raise ValueError(f"digits has {full_d} pixels; ask for d <= {full_d}, got d={d}")
    if m > n:
        raise ValueError(f"digits has {n} images; ask for m <= {n}, got m={m}")
    cols = np.sort(np.argsort(-data.var(0), kind="stable")[:d])
    scale = np.linalg.norm(data[:, cols], axis=1).max()
    rows = torch.randperm(n, generator=_generator(seed))[:m].numpy()
    return torch.from_numpy(data[np.ix_(rows, cols)] / scale)


def sample_inputs(distribution: str, m: int, d: int, seed: int = 0, dtype: torch.dtype = torch.float64,
                  device=None) -> torch.Tensor:
    """Draw m inputs of dimension d with ||x_i|| <= 1.

    The draw is streamed (issue 15): rows are generated in chunks of ``_GEN_ROWS`` on the CPU
    in float64 and written into the output on ``device``, so no intermediate larger than one
    chunk exists besides X itself.

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
    chunks = iter_input_chunks(distribution, m, d, seed)
    s, first = next(chunks)
    if first.shape[0] == int(m):
        return first.to(dtype=dtype, device=device)
    X = torch.empty(int(m), int(d), dtype=dtype, device=device)
    X[:first.shape[0]] = first.to(dtype=dtype, device=device)
    for s, c in chunks:
        X[s:s + c.shape[0]] = c.to(dtype=dtype, device=device)
    return X
