"""Definitions 1 and 4 of the paper (section 3.2): Strictly-Locally-Quasi-Convex functions.

For a differentiable f, a reference point z, eps > 0 and kappa > 0, f is
(eps, kappa, z)-SLQC at x when

1. f(x) - f(z) <= eps, or
2. ||grad f(x)|| > 0 and <grad f(x), y - x> <= 0 for every y in the closed ball B(z, eps/kappa).

Definition 4 is the same statement for matrices with the Frobenius inner product; the
code treats a point of any shape as a flat vector, so one implementation serves both.

The "for every y" has a closed form, which is what makes the check exact:

    max_{y in B(z, r)} <g, y - x> = <g, z - x> + r ||g||,

so condition 2 reads <g, x - z> >= (eps/kappa) ||g||. Solving for kappa gives the
smallest kappa for which the definition holds at x:

    kappa_min(x) = 0                           if f(x) - f(z) <= eps
                 = inf                         if g = 0 or <g, x - z> <= 0
                 = eps ||g|| / <g, x - z>      otherwise.

Shapes: ``z`` has any shape S; a batch ``x`` has shape (P, *S); f maps (P, *S) -> (P,).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from . import _validate as V

Objective = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class SLQCTerms:
    """The three numbers Definition 1 needs at each point of a batch.

    Attributes:
        gap: f(x) - f(z), shape (P,).
        inner: <grad f(x), x - z>, shape (P,).
        gnorm: ||grad f(x)|| (Frobenius for matrices), shape (P,).
    """

    gap: torch.Tensor
    inner: torch.Tensor
    gnorm: torch.Tensor


def value_and_grad(f: Objective, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Values f(x) (P,) and gradients (P, *S) for a batch of points.

    Uses ``f.value_and_grad`` when the objective provides a closed form; otherwise one
    autograd pass: since row p of f(x) depends only on x[p], the gradient of the sum
    is the batch of per-point gradients.

    Raises:
        ValueError: if f returns the wrong shape or non-finite values.
    """
    if hasattr(f, "value_and_grad"):
        vals, grads = f.value_and_grad(x)
    else:
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            vals = f(xg)
            _check_values(vals, x.shape[0])
            (grads,) = torch.autograd.grad(vals.sum(), xg)
        vals = vals.detach()
    _check_values(vals, x.shape[0])
    if not bool(torch.isfinite(grads).all()):
        raise ValueError("the gradient of f is NaN or inf at some point; f must be differentiable on the domain")
    return vals, grads


def _check_values(vals: torch.Tensor, P: int) -> None:
    if not torch.is_tensor(vals) or tuple(vals.shape) != (P,):
        shape = tuple(vals.shape) if torch.is_tensor(vals) else type(vals).__name__
        raise ValueError(f"f must map a batch of P={P} points to a tensor of shape ({P},), got {shape}")
    if not bool(torch.isfinite(vals).all()):
        raise ValueError("f returned NaN or inf; f must be finite on the domain")


def f_at(f: Objective, z: torch.Tensor) -> torch.Tensor:
    """f at a single point z, as a 0-dim tensor."""
    with torch.no_grad():
        v = f(z.unsqueeze(0))
    _check_values(v, 1)
    return v[0]


def slqc_terms(f: Objective, x: torch.Tensor, z: torch.Tensor, fz: torch.Tensor | None = None) -> SLQCTerms:
    """Evaluate gap, inner product and gradient norm at every point of the batch ``x``.

    Args:
        f: objective, (P, *S) -> (P,).
        x: batch of points, (P, *S).
        z: reference point, S.
        fz: f(z) if already known.

    Returns:
        SLQCTerms with tensors of shape (P,).
    """
    vals, g = value_and_grad(f, x)
    if fz is None:
        fz = f_at(f, z)
    flat_g = g.reshape(g.shape[0], -1)
    diff = (x - z).reshape(x.shape[0], -1)
    inner = torch.einsum("pn,pn->p", flat_g, diff)
    gnorm = torch.linalg.vector_norm(flat_g, dim=1)
    return SLQCTerms(gap=vals - fz, inner=inner, gnorm=gnorm)


def kappa_from_terms(t: SLQCTerms, eps: float) -> torch.Tensor:
    """kappa_min from precomputed terms (see the module docstring for the closed form)."""
    kappa = eps * t.gnorm / t.inner
    # Condition 2 cannot hold: zero gradient or gradient not pointing away from z.
    kappa = torch.where((t.inner <= 0) | (t.gnorm == 0), torch.full_like(kappa, float("inf")), kappa)
    # Condition 1 holds: any kappa works.
    return torch.where(t.gap <= eps, torch.zeros_like(kappa), kappa)


def _prepare(f: Objective, x, z, eps) -> tuple[torch.Tensor, torch.Tensor, float]:
    eps = V.positive("eps", eps)
    z = V.as_float_tensor("z", z)
    x = V.as_float_tensor("x", x, dtype=z.dtype, device=z.device)
    x = V.batch_of("x", x, z.shape)
    if not callable(f):
        raise ValueError("f must be callable: a batch (P, *z.shape) -> values (P,)")
    return x, z, eps


def kappa_min(f: Objective, x, z, eps: float) -> torch.Tensor:
    """The smallest kappa for which f is (eps, kappa, z)-SLQC at each point of ``x``.

    Args:
        f: objective mapping (P, *S) -> (P,), differentiable by autograd.
        x: points, (P, *S) (a single point of shape S is accepted).
        z: reference point, shape S.
        eps: eps > 0.

    Returns:
        Tensor (P,): 0 where f(x) - f(z) <= eps, inf where no kappa works, else
        eps ||g|| / <g, x - z>.

    Raises:
        ValueError: eps <= 0, shapes that do not match z, NaN/inf input or values.

    Example:
        >>> import torch, slqc
        >>> f = lambda x: (x ** 2).sum(1)
        >>> slqc.kappa_min(f, torch.tensor([[1.0, 0.0], [0.1, 0.0]], dtype=torch.float64),
        ...                torch.zeros(2, dtype=torch.float64), eps=0.25)
        tensor([0.2500, 0.0000], dtype=torch.float64)
    """
    x, z, eps = _prepare(f, x, z, eps)
    return kappa_from_terms(slqc_terms(f, x, z), eps)  # eps ||g|| / <g, x - z>: condition 2 solved for kappa


def is_slqc(f: Objective, x, z, eps: float, kappa: float) -> torch.Tensor:
    """Exact test of Definition 1 / 4 at each point of ``x``.

    Args:
        f: objective mapping (P, *S) -> (P,).
        x: points, (P, *S).
        z: reference point, shape S.
        eps: eps > 0.
        kappa: kappa > 0.

    Returns:
        Bool tensor (P,): True where f is (eps, kappa, z)-SLQC at x.

    Raises:
        ValueError: eps <= 0 or kappa <= 0, mismatched shapes, non-finite input.

    Example:
        >>> import torch, slqc
        >>> f = lambda x: (x ** 2).sum(1)
        >>> x = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
        >>> slqc.is_slqc(f, x, torch.zeros(2, dtype=torch.float64), eps=0.25, kappa=0.3)
        tensor([True])
    """
    kappa = V.positive("kappa", kappa)
    x, z, eps = _prepare(f, x, z, eps)
    t = slqc_terms(f, x, z)
    # Condition 2 via the closed-form maximum over the ball: <g, z - x> + (eps/kappa) ||g|| <= 0.
    cond2 = (t.gnorm > 0) & (-t.inner + (eps / kappa) * t.gnorm <= 0)
    return (t.gap <= eps) | cond2
