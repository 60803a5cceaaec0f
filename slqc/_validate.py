"""Input validation shared by the public API: one clear ValueError per mistake.

Every public entry point of :mod:`slqc` calls these helpers, so a user who passes
eps <= 0, mismatched shapes or non-finite data gets a message that says what to
change instead of a traceback from deep inside torch.
"""

from __future__ import annotations

import math
from typing import Any

import torch


def positive(name: str, value: Any) -> float:
    """Return ``value`` as a float after checking it is a finite number > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def finite_tensor(name: str, t: torch.Tensor) -> torch.Tensor:
    """Raise if ``t`` holds NaN or inf."""
    if not torch.is_tensor(t):
        raise ValueError(f"{name} must be a torch tensor, got {type(t).__name__}")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or inf; clean the data before checking SLQC")
    return t


def as_float_tensor(name: str, t: Any, dtype: torch.dtype | None = None, device: Any = None) -> torch.Tensor:
    """Convert array-likes to a floating tensor (float64 unless ``t`` already floats)."""
    if not torch.is_tensor(t):
        try:
            t = torch.as_tensor(t)
        except Exception:
            raise ValueError(f"{name} must be array-like, got {type(t).__name__}") from None
    if dtype is None:
        dtype = t.dtype if t.is_floating_point() else torch.float64
    t = t.to(dtype=dtype, device=device if device is not None else t.device)
    return finite_tensor(name, t)


def batch_of(name: str, x: torch.Tensor, point_shape: torch.Size) -> torch.Tensor:
    """Check ``x`` is a batch ``(P, *point_shape)``; a single point is promoted to ``(1, ...)``."""
    if tuple(x.shape) == tuple(point_shape):
        x = x.unsqueeze(0)
    if tuple(x.shape[1:]) != tuple(point_shape):
        raise ValueError(
            f"{name} must have shape (P, {', '.join(map(str, point_shape))}) to match z, got {tuple(x.shape)}"
        )
    return x


def resolve_device(device: Any) -> torch.device:
    """Turn ``None``/"cpu"/"cuda" into a torch.device, with a clear error when CUDA is absent."""
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use 'cpu' or 'cuda'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but no CUDA GPU is available; use --device cpu")
    return dev


def choice(name: str, value: str, options: tuple[str, ...] | list[str]) -> str:
    """Check ``value`` is one of ``options``."""
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of: {', '.join(options)}")
    return value
