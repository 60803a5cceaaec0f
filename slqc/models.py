"""Objectives of the paper as batched functions of the weights.

Conventions (paper, section 3.2): a layer with weights W of shape (n_in, n_out) computes
phi(W^T x); inputs x_i are rows of X (m, d); the objective is the MEAN over samples of the
per-sample loss (``err_hat`` of Definition 2 and Theorems 1-7).

Einsum letters used in this module: p = point of the batch, m = sample, d = input,
h = hidden unit, k = output.

* :class:`GLMObjective` -- a layer without hidden units: f(W) = 1/m sum_i loss(y_i, phi(W^T x_i)).
  Points are (P, d) for a single output (Y of shape (m,)) or (P, d, k) for k outputs.
  It has a closed-form :meth:`GLMObjective.value_and_grad` that works in cache-sized
  blocks of points and in place; ``__call__`` is plain torch and autograd-differentiable
  (the search's adversarial ascent differentiates through it).
* :class:`OneHiddenObjective` -- Theorems 4-5: f(W1) = 1/m sum_i loss(y_i, phi2(W2^T phi1(W1^T x_i)))
  with W2 held fixed; points are (P, d, h).
"""

from __future__ import annotations

import torch

from . import _validate as V
from .activations import Activation, get_activation
from .losses import Loss, get_loss

# Size of one block of the (P, m*k) intermediate in the fused path, in elements:
# 2**19 float64 = 4 MiB (two such buffers stay in the last-level cache). Measured with
# `slqc bench` against 2**14 ... 2**21 on the 2-core CI machine: 2**19 gave the best
# fraction_of_gemm (0.82-0.84; 2**16: 0.60-1.0 noisy; 2**21: 0.56-0.63).
_BLOCK_ELEMS = 2**19


class GLMObjective:
    """Empirical error of a GLM / single-layer network, batched over weight points.

    Args:
        X: inputs (m, d).
        Y: targets (m,) for one output or (m, k) for k outputs.
        activation: an :class:`~slqc.activations.Activation` or its name.
        loss: ``squared``, ``bce`` (sigmoid) or ``ce`` (softmax).

    Raises:
        ValueError: mismatched shapes, NaN/inf data, incompatible loss/activation.

    Example:
        >>> import torch
        >>> X = torch.eye(2, dtype=torch.float64); Y = torch.tensor([1.0, 0.0], dtype=torch.float64)
        >>> f = GLMObjective(X, Y, "generalized_relu")
        >>> f(torch.zeros(1, 2, dtype=torch.float64))
        tensor([0.5000], dtype=torch.float64)
    """

    def __init__(self, X: torch.Tensor, Y: torch.Tensor, activation: Activation | str, loss: Loss | str = "squared"):
        self.X = V.as_float_tensor("X", X)
        self.Y = V.as_float_tensor("Y", Y, dtype=self.X.dtype, device=self.X.device)
        if self.X.ndim != 2:
            raise ValueError(f"X must be (m, d), got shape {tuple(self.X.shape)}")
        if self.Y.ndim not in (1, 2) or self.Y.shape[0] != self.X.shape[0]:
            raise ValueError(f"Y must be (m,) or (m, k) with m = {self.X.shape[0]} rows like X, got {tuple(self.Y.shape)}")
        self.act = get_activation(activation)
        self.loss = get_loss(loss)
        self.multi = self.Y.ndim == 2
        if not self.act.elementwise and not self.multi:
            raise ValueError("softmax needs several outputs: give Y as (m, k)")
        self.m, self.d = self.X.shape
        self.k = self.Y.shape[1] if self.multi else 1
        self.point_shape = torch.Size((self.d, self.k) if self.multi else (self.d,))
        # Fail early on incompatible loss/activation pairs.
        self.loss.per_sample(torch.zeros(1, self.k) if self.multi else torch.zeros(1),
                             torch.zeros(1, self.k) if self.multi else torch.zeros(1), self.act, self.multi)

    # ------------------------------------------------------------------ plain torch (autograd)
    def preactivations(self, W: torch.Tensor) -> torch.Tensor:
        """t = <W, x_i> for every point and sample: (P, m) or (P, m, k)."""
        if self.multi:
            return torch.matmul(self.X, W)  # (m,d) @ (P,d,k) -> (P,m,k)
        return W @ self.X.T  # (P,d) @ (d,m) -> (P,m)

    def __call__(self, W: torch.Tensor) -> torch.Tensor:
        """f(W) for a batch of points W (P, *point_shape) -> (P,)."""
        W = V.batch_of("W", W, self.point_shape)
        return self.loss.per_sample(self.preactivations(W), self.Y, self.act, self.multi).mean(-1)

    def predict(self, W: torch.Tensor) -> torch.Tensor:
        """phi(W^T x_i) for a single point W (point_shape) -> (m,) or (m, k)."""
        return self.act.phi(self.preactivations(W.unsqueeze(0)))[0]

    # ------------------------------------------------------------------ closed form
    def value(self, W: torch.Tensor) -> torch.Tensor:
        """f(W) (P,) without gradients; the squared loss runs in the same cache-sized blocks."""
        W = V.batch_of("W", W, self.point_shape)
        if self.loss.name == "squared" and self.act.elementwise:
            return self._squared_blocked(W, with_grad=False)[0]
        with torch.no_grad():
            return self(W)

    def value_and_grad(self, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Values (P,) and gradients (P, *point_shape) in closed form.

        grad f(W) = (1/m) sum_i x_i dL/dt_i^T, with dL/dt = 2 (phi(t) - y) g(t) for the
        squared loss (g the paper's subgradient) and dL/dt = p - y for the cross-entropies.
        The squared loss with an elementwise activation runs in cache-sized blocks of
        points, in place; the other pairs use the same formula unblocked.
        """
        W = V.batch_of("W", W, self.point_shape)
        if self.loss.name == "squared" and self.act.elementwise:
            return self._squared_blocked(W)
        t = self.preactivations(W)
        vals = self.loss.per_sample(t, self.Y, self.act, self.multi).mean(-1)
        if self.loss.name == "squared":  # softmax: Jacobian-vector product J^T r = p * (r - <p, r>)
            p = self.act.phi(t)
            r = 2 * (p - self.Y)
            dt = p * (r - (p * r).sum(-1, keepdim=True))
        elif self.loss.name == "bce":
            dt = torch.sigmoid(t) - self.Y
        else:  # ce with softmax, targets may not sum to one
            dt = torch.softmax(t, -1) * self.Y.sum(-1, keepdim=True) - self.Y
        return vals, self._backproject(dt) / self.m

    def _backproject(self, dt: torch.Tensor) -> torch.Tensor:
        if self.multi:
            return torch.matmul(self.X.T, dt)  # (d,m) @ (P,m,k) -> (P,d,k)
        return dt @ self.X  # (P,m) @ (m,d) -> (P,d)

    def _squared_blocked(self, W: torch.Tensor, with_grad: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        P = W.shape[0]
        vals = torch.empty(P, dtype=W.dtype, device=W.device)
        grads = torch.empty_like(W) if with_grad else None
        block = max(1, _BLOCK_ELEMS // (self.m * self.k))
        a, b = self.act.a, self.act.b
        piecewise_linear = self.act.name in ("generalized_relu", "relu")
        Xt = self.X.T.contiguous()
        Yb = self.Y.reshape(-1) if not self.multi else self.Y
        t = s = None
        for start in range(0, P, block):  # loop over cache-sized blocks, not over points
            Wb = W[start:start + block]
            n = Wb.shape[0]
            if t is None or t.shape[0] != n:
                t = torch.empty((n, self.m, self.k) if self.multi else (n, self.m), dtype=W.dtype, device=W.device)
                s = torch.empty_like(t)
            if self.multi:
                torch.matmul(self.X, Wb, out=t)
            else:
                torch.mm(Wb, Xt, out=t)
            if piecewise_linear:
                torch.ge(t, 0, out=s)  # s = 1{t >= 0}; subgradient g = a + (b - a) s
                s.mul_(b - a).add_(a)
                t.mul_(s).sub_(Yb)  # t <- phi(t) - y = g * t - y  (phi(t) = g(t) t)
            else:
                s.copy_(self.act.grad(t))
                t.copy_(self.act.phi(t)).sub_(Yb)
            flat = t.reshape(n, -1)
            vals[start:start + n] = torch.einsum("pn,pn->p", flat, flat)
            if with_grad:
                t.mul_(s)  # residual * g
                grads[start:start + n] = self._backproject(t)
        vals.div_(self.m)
        if with_grad:
            grads.mul_(2.0 / self.m)
        return vals, grads


class OneHiddenObjective:
    """Error of a one-hidden-layer network as a function of W1, with W2 fixed (Theorems 4-5).

    f(W1) = 1/m sum_i loss(y_i, phi2(W2^T phi1(W1^T x_i))).

    Args:
        X: inputs (m, d).
        Y: targets (m,) (single output, Theorem 4) or (m, k) (Theorem 5).
        W2: outer weights, (h,) for a single output or (h, k).
        act1, act2: hidden and output activations.
        loss: ``squared`` by default.

    Points W1 have shape (P, d, h).
    """

    def __init__(self, X, Y, W2, act1: Activation | str, act2: Activation | str, loss: Loss | str = "squared"):
        self.X = V.as_float_tensor("X", X)
        self.Y = V.as_float_tensor("Y", Y, dtype=self.X.dtype, device=self.X.device)
        self.W2 = V.as_float_tensor("W2", W2, dtype=self.X.dtype, device=self.X.device)
        if self.X.ndim != 2:
            raise ValueError(f"X must be (m, d), got shape {tuple(self.X.shape)}")
        self.multi = self.Y.ndim == 2
        if self.Y.shape[0] != self.X.shape[0] or self.Y.ndim not in (1, 2):
            raise ValueError(f"Y must be (m,) or (m, k) with m = {self.X.shape[0]}, got {tuple(self.Y.shape)}")
        if self.multi and (self.W2.ndim != 2 or self.W2.shape[1] != self.Y.shape[1]):
            raise ValueError(f"W2 must be (h, k) with k = {self.Y.shape[1]} outputs, got {tuple(self.W2.shape)}")
        if not self.multi and self.W2.ndim != 1:
            raise ValueError(f"W2 must be (h,) for a single output, got {tuple(self.W2.shape)}")
        self.act1 = get_activation(act1)
        self.act2 = get_activation(act2)
        self.loss = get_loss(loss)
        self.m, self.d = self.X.shape
        self.h = self.W2.shape[0]
        self.point_shape = torch.Size((self.d, self.h))

    def __call__(self, W1: torch.Tensor) -> torch.Tensor:
        """f(W1) for a batch (P, d, h) -> (P,)."""
        W1 = V.batch_of("W1", W1, self.point_shape)
        H = self.act1.phi(torch.matmul(self.X, W1))  # (m,d) @ (P,d,h) -> (P,m,h)
        t = H @ self.W2  # (P,m,h) @ (h,[k]) -> (P,m[,k])
        return self.loss.per_sample(t, self.Y, self.act2, self.multi).mean(-1)
