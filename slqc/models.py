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
from ._branch import branch
from .activations import Activation, get_activation, two_slopes
from .losses import Loss, get_loss

# Size of one block of the (P, m*k) intermediate in the fused path, in elements, per device.
# CPU: 2**19 float64 = 4 MiB (two such buffers stay in the last-level cache). Measured with
# `slqc bench` against 2**14 ... 2**21 on the 2-core CI machine: 2**19 gave the best
# fraction_of_gemm (0.82-0.84; 2**16: 0.60-1.0 noisy; 2**21: 0.56-0.63).
# CUDA: 2**27 elements (1 GiB in float64) per buffer, so a block is one pair of large GEMMs
# rather than thousands of small kernel launches.
_BLOCK_ELEMS = 2**19
_CUDA_BLOCK_ELEMS = 2**27

# Fewest points in a block before the samples are split into chunks: with many samples a
# cache-sized block would otherwise hold only a few points, and GEMMs that thin run far below
# peak (issue 15: 19.4 GFLOP/s at m = 1024 fell to 4.2 at m = 131072 with 4 MiB blocks).
_MIN_BLOCK_POINTS = 256

# Above this many elements of the (P, m*k) intermediate, __call__ of a squared-loss objective
# with an elementwise activation runs through a chunked autograd Function (closed-form gradient,
# chunked Hessian-vector product) instead of plain torch, whose graph holds O(P x m) tensors.
_AUTOGRAD_DENSE_MAX = 2**24

# Samples per chunk in the other (loss, activation) pairs' closed forms: elements per chunk.
_DENSE_CHUNK_ELEMS = 2**24

# Activations whose second derivative the chunked Hessian-vector product knows.
_HVP_ACTIVATIONS = ("generalized_relu", "relu", "identity", "sigmoid")


def block_elems(device) -> int:
    """Elements of one block of the fused path on ``device``: cache-sized on CPU, large on CUDA."""
    return _CUDA_BLOCK_ELEMS if branch(device) == "cuda" else _BLOCK_ELEMS


def block_shape(P: int, m: int, k: int, elems: int) -> tuple[int, int]:
    """(points per block, samples per chunk) so that one block of the (P, m, k) intermediate has <= elems entries.

    Few samples: whole samples, as many points as fit (the cache-sized blocks of old). Many
    samples: at least ``_MIN_BLOCK_POINTS`` points (or all P) and the samples in chunks, so the
    GEMMs stay wide and memory stays O(points x chunk) whatever m is.
    """
    keep = min(P, _MIN_BLOCK_POINTS)
    if m * k * keep <= elems:
        return max(1, elems // (m * k)), m
    return keep, max(1, elems // (keep * k))


class GLMObjective:
    """Empirical error of a GLM / single-layer network, batched over weight points.

    Values and gradients stream over the samples as well as the points: the (P, m) or
    (P, m, k) intermediate is never held whole, only blocks of it (see :func:`block_shape`),
    so memory is O(points x chunk) whatever m is (issue 15: Theorem 2 at m = 1e7 and more).

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
        self._Xt = None
        # Fail early on incompatible loss/activation pairs.
        self.loss.per_sample(torch.zeros(1, self.k) if self.multi else torch.zeros(1),
                             torch.zeros(1, self.k) if self.multi else torch.zeros(1), self.act, self.multi)

    @property
    def fused(self) -> bool:
        """True for the squared loss with an elementwise activation (the blocked, in-place path)."""
        return self.loss.name == "squared" and self.act.elementwise

    @property
    def Xt(self) -> torch.Tensor:
        """X^T (d, m), contiguous, computed once."""
        if self._Xt is None:
            self._Xt = self.X.T.contiguous()
        return self._Xt

    # ------------------------------------------------------------------ plain torch (autograd)
    def preactivations(self, W: torch.Tensor) -> torch.Tensor:
        """t = <W, x_i> for every point and sample: (P, m) or (P, m, k)."""
        return self._preact(W, self.X)

    def _preact(self, W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        if self.multi:
            return torch.matmul(X, W)  # (m,d) @ (P,d,k) -> (P,m,k)
        return W @ X.T  # (P,d) @ (d,m) -> (P,m)

    def __call__(self, W: torch.Tensor) -> torch.Tensor:
        """f(W) for a batch of points W (P, *point_shape) -> (P,), differentiable by autograd.

        Small problems run in plain torch. Above ``_AUTOGRAD_DENSE_MAX`` elements of the
        intermediate, the squared loss with generalized ReLU / ReLU / identity / sigmoid runs
        through a chunked autograd Function whose backward is the closed-form gradient and whose
        double backward is a chunked Hessian-vector product (the search's ascent needs both),
        and the other pairs sum over sample chunks.
        """
        W = V.batch_of("W", W, self.point_shape)
        big = W.shape[0] * self.m * self.k > _AUTOGRAD_DENSE_MAX
        if not big:
            return self.loss.per_sample(self.preactivations(W), self.Y, self.act, self.multi).mean(-1)
        if not (torch.is_grad_enabled() and W.requires_grad):
            return self.value(W)
        if self.fused and self.act.name in _HVP_ACTIVATIONS:
            return _SquaredValue.apply(W, self)
        step = max(1, _DENSE_CHUNK_ELEMS // (W.shape[0] * self.k))
        total = 0
        for s in range(0, self.m, step):  # loop over sample chunks, not over samples
            t = self._preact(W, self.X[s:s + step])
            total = total + self.loss.per_sample(t, self.Y[s:s + step], self.act, self.multi).sum(-1)
        return total / self.m

    def predict(self, W: torch.Tensor) -> torch.Tensor:
        """phi(W^T x_i) for a single point W (point_shape) -> (m,) or (m, k)."""
        return self.act.phi(self.preactivations(W.unsqueeze(0)))[0]

    # ------------------------------------------------------------------ closed form
    def value(self, W: torch.Tensor) -> torch.Tensor:
        """f(W) (P,) without gradients, in blocks of points and chunks of samples."""
        W = V.batch_of("W", W, self.point_shape)
        if self.fused:
            return self._squared_blocked(W, with_grad=False)[0]
        return self._dense(W, with_grad=False)[0]

    def value_and_grad(self, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Values (P,) and gradients (P, *point_shape) in closed form.

        grad f(W) = (1/m) sum_i x_i dL/dt_i^T, with dL/dt = 2 (phi(t) - y) g(t) for the
        squared loss (g the paper's subgradient) and dL/dt = p - y for the cross-entropies.
        The squared loss with an elementwise activation runs in blocks of points and chunks
        of samples, in place (:func:`block_shape`; block size per device); the other pairs
        use the same formula over chunks of samples.
        """
        W = V.batch_of("W", W, self.point_shape)
        if self.fused:
            return self._squared_blocked(W)
        return self._dense(W)

    def _backproject(self, dt: torch.Tensor, X: torch.Tensor | None = None) -> torch.Tensor:
        X = self.X if X is None else X
        if self.multi:
            return torch.matmul(X.T, dt)  # (d,m) @ (P,m,k) -> (P,d,k)
        return dt @ X  # (P,m) @ (m,d) -> (P,d)

    def _dense(self, W: torch.Tensor, with_grad: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Unfused pairs (cross-entropies, softmax): the closed form summed over chunks of samples."""
        step = max(1, _DENSE_CHUNK_ELEMS // (W.shape[0] * self.k))
        vals = torch.zeros(W.shape[0], dtype=W.dtype, device=W.device)
        grads = torch.zeros_like(W) if with_grad else None
        with torch.no_grad():
            for s in range(0, self.m, step):  # loop over sample chunks, not over samples
                X, Y = self.X[s:s + step], self.Y[s:s + step]
                t = self._preact(W, X)
                vals += self.loss.per_sample(t, Y, self.act, self.multi).sum(-1)
                if not with_grad:
                    continue
                if self.loss.name == "squared":  # softmax: Jacobian-vector product J^T r = p * (r - <p, r>)
                    p = self.act.phi(t)
                    r = 2 * (p - Y)
                    dt = p * (r - (p * r).sum(-1, keepdim=True))
                elif self.loss.name == "bce":
                    dt = torch.sigmoid(t) - Y
                else:  # ce with softmax, targets may not sum to one
                    dt = torch.softmax(t, -1) * Y.sum(-1, keepdim=True) - Y
                grads += self._backproject(dt, X)
        vals /= self.m
        if with_grad:
            grads /= self.m
        return vals, grads

    def _squared_blocked(self, W: torch.Tensor, with_grad: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        P = W.shape[0]
        vals = torch.empty(P, dtype=W.dtype, device=W.device)
        grads = torch.empty_like(W) if with_grad else None
        block, chunk = block_shape(P, self.m, self.k, block_elems(W.device))
        a, b = self.act.a, self.act.b
        piecewise_linear = self.act.name in ("generalized_relu", "relu")
        rise = self.act._rise(W.dtype) if piecewise_linear else None  # a + rise == b exactly (None: no such step)
        Xt = self.Xt
        Yb = self.Y.reshape(-1) if not self.multi else self.Y
        bufs: dict = {}
        W = W.detach()
        for start in range(0, P, block):  # loop over blocks of points ...
            Wb = W[start:start + block]
            n = Wb.shape[0]
            vb = vals[start:start + n]
            gb = grads[start:start + n] if with_grad else None
            for s in range(0, self.m, chunk):  # ... and chunks of samples, not over points or samples
                c = min(chunk, self.m - s)
                shape = (n, c, self.k) if self.multi else (n, c)
                if bufs.get("shape") != shape:
                    bufs = {"shape": shape, "t": torch.empty(shape, dtype=W.dtype, device=W.device)}
                    bufs["s"] = torch.empty_like(bufs["t"])
                t, sg = bufs["t"], bufs["s"]
                if self.multi:
                    torch.matmul(self.X[s:s + c], Wb, out=t)
                else:
                    torch.mm(Wb, Xt[:, s:s + c], out=t)
                Yc = Yb[s:s + c]
                if piecewise_linear:
                    two_slopes(t, a, b, rise, out=sg)  # the subgradient g, a or b to the last bit
                    t.mul_(sg).sub_(Yc)  # t <- phi(t) - y = g * t - y  (phi(t) = g(t) t)
                else:
                    sg.copy_(self.act.grad(t))
                    t.copy_(self.act.phi(t)).sub_(Yc)
                flat = t.reshape(n, -1)
                part = torch.einsum("pn,pn->p", flat, flat)
                if s == 0:
                    vb.copy_(part)
                else:
                    vb.add_(part)
                if with_grad:
                    t.mul_(sg)  # residual * g
                    gpart = self._backproject(t, self.X[s:s + c])
                    if s == 0:
                        gb.copy_(gpart)
                    else:
                        gb.add_(gpart)
        vals.div_(self.m)
        if with_grad:
            grads.mul_(2.0 / self.m)
        return vals, grads

    def hvp(self, W: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Hessian-vector products H(W_p) v_p for the squared loss, per point, in chunks.

        H v = (2/m) sum_i x_i c_i (x_i^T v) per output, with c = phi'(t)^2 + (phi(t) - y) phi''(t)
        (phi'' = 0 for the generalized ReLU, ReLU and identity, so c = g(t)^2 with the paper's
        subgradient g; phi'' = s (1 - s)(1 - 2 s) for the sigmoid s).

        Args:
            W: points (P, *point_shape).
            v: directions, same shape.

        Returns:
            Tensor of the shape of W.

        Raises:
            ValueError: a loss other than squared, or an activation without a known phi''.
        """
        if not self.fused or self.act.name not in _HVP_ACTIVATIONS:
            raise ValueError(f"hvp supports the squared loss with {', '.join(_HVP_ACTIVATIONS)}")
        W = V.batch_of("W", W, self.point_shape).detach()
        v = v.detach()
        P = W.shape[0]
        out = torch.zeros_like(W)
        block, chunk = block_shape(P, self.m, self.k, block_elems(W.device))
        Yb = self.Y.reshape(-1) if not self.multi else self.Y
        for start in range(0, P, block):
            Wb, vb = W[start:start + block], v[start:start + block]
            for s in range(0, self.m, chunk):
                X = self.X[s:s + chunk]
                t = self._preact(Wb, X)
                g = self.act.grad(t)
                c = g * g
                if self.act.name == "sigmoid":
                    p = torch.sigmoid(t)
                    c += (p - Yb[s:s + chunk]) * p * (1 - p) * (1 - 2 * p)
                u = self._preact(vb, X).mul_(c)
                out[start:start + block] += self._backproject(u, X)
        return out.mul_(2.0 / self.m)


class _SquaredValue(torch.autograd.Function):
    """f(W) with a chunked closed-form backward (whose own backward is a chunked HVP)."""

    @staticmethod
    def forward(ctx, W, obj):
        vals, grads = obj._squared_blocked(W)
        ctx.obj = obj
        ctx.save_for_backward(W, grads)
        return vals

    @staticmethod
    def backward(ctx, gv):
        W, grads = ctx.saved_tensors
        G = _SquaredGrad.apply(W, grads, ctx.obj)
        return gv.reshape((-1,) + (1,) * (W.ndim - 1)) * G, None


class _SquaredGrad(torch.autograd.Function):
    """grad f(W) (precomputed) as a differentiable function of W: its backward is H(W) v."""

    @staticmethod
    def forward(ctx, W, grads, obj):
        ctx.obj = obj
        ctx.save_for_backward(W)
        return grads.clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, gG):
        (W,) = ctx.saved_tensors
        return ctx.obj.hvp(W, gG), None, None


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
