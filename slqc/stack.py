"""Several objectives of one shape evaluated as one: the instance batching of the search.

The search (:mod:`slqc.search`) runs B instances (objectives f_1 ... f_B of the same point
shape S, each with its own reference point and domain) as one batched search. It sees them
through a *stack*: a callable mapping points of shape (B, P, *S), row b evaluated by f_b, to
values (B, P), autograd-differentiable, with optional ``value`` (values only) and
``value_and_grad`` (closed form). :func:`stack_objectives` picks the implementation:

* :class:`GLMStack`: :class:`~slqc.models.GLMObjective` instances that share the sample
  count, input dimension, outputs, activation family and loss (generalized ReLU / ReLU /
  identity with per-instance slopes a and b; sigmoid; softmax). One batched matrix product
  (``torch.matmul`` over the instance axis) per block of points instead of B small ones.
* :class:`OneHiddenStack`: :class:`~slqc.models.OneHiddenObjective` instances (Theorems 4-5)
  that share shapes, activations and loss (hidden slopes per instance).
* :class:`LoopStack`: anything else, one call per instance.
* :class:`GroupStack`: objectives of one point shape from several of the groups above (say a
  Theorem 1 setting with m = 256 samples next to a Theorem 6 setting with m = 8): each group
  keeps its batched products and the search's control work is shared by all of them.

The GLM and one-hidden-layer stacks also give gradients and Hessian-vector products in closed form
(``value_grad_hvp``), which the search's second-order directions use instead of autograd's double
backward.

With ``SLQC_COMPILE=1`` (``slqc check --compile``, ``slqc probe --compile``) the elementwise passes
of the squared loss (generalized ReLU, ReLU, identity, sigmoid) run through ``torch.compile``: one
fused pass instead of five, on CPU (inductor's C++) as on CUDA (Triton). The first call in a
process compiles (a minute or more on 2 CPU cores; inductor caches the result on disk).

Small problems only are stacked (at most ``_STACK_MAX_SAMPLES`` samples times outputs): with
many samples one instance already fills the machine, and the objective's own streamed path
(issue 15) is the right one.

Example:
    >>> import torch
    >>> from slqc.models import GLMObjective
    >>> X = torch.eye(2, dtype=torch.float64)
    >>> fs = [GLMObjective(X, torch.tensor([1.0, 0.0], dtype=torch.float64), "generalized_relu"),
    ...       GLMObjective(X, torch.tensor([0.0, 1.0], dtype=torch.float64), "relu")]
    >>> F = stack_objectives(fs)
    >>> type(F).__name__, tuple(F(torch.zeros(2, 3, 2, dtype=torch.float64)).shape)
    ('GLMStack', (2, 3))
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import torch

from ._branch import branch
from .activations import exact_rise, two_slopes
from .losses import logsumexp_sum, softplus_sum
from .models import GLMObjective, OneHiddenObjective, block_elems

# Largest m * k (samples times outputs) of an instance that is stacked with others.
_STACK_MAX_SAMPLES = 2**14

# Elements of the (B, points, m, k) intermediate per block of points on the CPU: 1 MiB of float64, so
# that the few tensors alive in a block's passes stay in a core's L2 cache (2 MiB here). Blocks of
# 2**21 made a batch of 16 Theorem 7 settings (m = 256, k = 4) run 92 CPU s against 78 s at 2**17,
# (an ad-hoc interleaved timing, 2026-12-01); the standard run's records stayed within 2e-16 of
# those with 2**21 (docs/speed.md).
# On CUDA the blocks are large (:func:`slqc.models.block_elems`): few, wide kernels.
_STACK_BLOCK_ELEMS = 2**17
#: the most pre-activation entries (lines x outputs x samples, or x hidden units) that a stack's ``line``
#: keeps for the lines of one call; above it the search evaluates the points one by one (128 MiB in float64)
_LINE_MAX_ELEMS = 2**24

_PIECEWISE_LINEAR = ("generalized_relu", "relu", "identity")


def _stack_block_elems(device: torch.device) -> int:
    """Elements per block of points of a stack's intermediate: cache-sized on the CPU, large elsewhere."""
    return _STACK_BLOCK_ELEMS if branch(device) == "cpu" else block_elems(device)

#: environment variable that turns on torch.compile for the fused elementwise passes (``--compile``)
COMPILE_ENV = "SLQC_COMPILE"


def compile_enabled() -> bool:
    """True when ``SLQC_COMPILE=1`` (set by ``slqc check --compile`` / ``slqc probe --compile``)."""
    return os.environ.get(COMPILE_ENV, "") == "1"


def _fused_value(t: torch.Tensor, Y: torch.Tensor, a: torch.Tensor, b: torch.Tensor, sig: bool) -> torch.Tensor:
    """Summed squared loss (B, P) of pre-activations t (B, P, k, m): one pass when compiled."""
    p = torch.sigmoid(t) if sig else torch.where(t >= 0, b, a) * t
    r = p - Y
    return (r * r).sum((2, 3))


def _fused_value_grad(t: torch.Tensor, Y: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                      sig: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed squared loss (B, P) and dL/dt = 2 (phi(t) - y) g(t) (B, P, k, m): one pass when compiled."""
    if sig:
        p = torch.sigmoid(t)
        g = p * (1 - p)
    else:
        g = torch.where(t >= 0, b, a)
        p = g * t
    r = p - Y
    return (r * r).sum((2, 3)), 2 * r * g


_COMPILED: dict[str, Any] = {}


def _compiled(name: str):
    """torch.compile of one of the fused passes (compiled once per process, dynamic shapes)."""
    if name not in _COMPILED:
        fn = {"value": _fused_value, "value_grad": _fused_value_grad}[name]
        _COMPILED[name] = torch.compile(fn, dynamic=True)
    return _COMPILED[name]


def _family(act) -> str:
    return "plin" if act.name in _PIECEWISE_LINEAR else act.name


def batch_key(f: Any) -> tuple | None:
    """What must agree for objectives to share one :class:`GLMStack` / :class:`OneHiddenStack`; None = not stackable."""
    if isinstance(f, GLMObjective):
        if f.m * f.k > _STACK_MAX_SAMPLES:
            return None
        return ("glm", _family(f.act), f.loss.name, f.multi, tuple(f.X.shape), tuple(f.Y.shape), f.X.dtype,
                str(f.X.device))
    if isinstance(f, OneHiddenObjective):
        if f.m * f.h * (f.Y.shape[1] if f.multi else 1) > _STACK_MAX_SAMPLES:
            return None
        return ("one_hidden", _family(f.act1), f.act2.name, (f.act2.a, f.act2.b), f.loss.name, f.multi,
                tuple(f.X.shape), tuple(f.Y.shape), tuple(f.W2.shape), f.X.dtype, str(f.X.device))
    return None


def stack_objectives(fs: Sequence[Any]) -> "LoopStack | GLMStack | OneHiddenStack | GroupStack":
    """One stack for the objectives ``fs`` (all of one point shape): batched where they are compatible.

    All of one :func:`batch_key`: a :class:`GLMStack` or :class:`OneHiddenStack`. Several
    keys: a :class:`GroupStack` (one batched stack per key, the objectives without a key in one
    :class:`LoopStack`). No key at all: a :class:`LoopStack`.

    Raises:
        ValueError: no objectives.
    """
    fs = list(fs)
    if not fs:
        raise ValueError("stack_objectives needs at least one objective")
    keys = [batch_key(f) for f in fs]
    if keys[0] is not None and all(k == keys[0] for k in keys):
        return _keyed_stack(fs, keys[0])
    if all(k is None for k in keys):
        return LoopStack(fs)
    return GroupStack(fs, keys)


def _keyed_stack(fs: Sequence[Any], key: tuple) -> "GLMStack | OneHiddenStack":
    return GLMStack(fs) if key[0] == "glm" else OneHiddenStack(fs)


class _SlopeAct:
    """Piecewise-linear activation with per-instance slopes (B, 1, ..., 1): phi = g(t) t, g(0) = b."""

    name = "generalized_relu"
    elementwise = True

    def __init__(self, a: torch.Tensor, b: torch.Tensor):
        self.a, self.b = a, b
        self.d = exact_rise(a, b)
        self.ordered = bool((a <= b).all())

    def grad(self, t: torch.Tensor) -> torch.Tensor:
        return two_slopes(t, self.a, self.b, self.d)

    def phi(self, t: torch.Tensor) -> torch.Tensor:
        """g(t) t. Without autograd (and a <= b) as the larger of a t and b t: the same two products,
        bit for bit, in three passes where g(t) t takes five (docs/pass_bench.py), except at t = +inf
        with a = 0 (NaN for inf; either is not finite). With autograd g(t) t, whose gradient is g(t)
        (a maximum's gradient at the tie t = 0 would be (a + b) / 2)."""
        if self.ordered and not t.requires_grad:
            v = t * self.b
            return torch.maximum(v, t * self.a, out=v)
        return self.grad(t) * t


def _xt_times(Xt: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """X^T G^T per instance: Xt (B, d, m), G (B, r, m) -> (B, d, r), one (d, m) @ (m, r) product each.

    The backward products of the stacks. G's rows are the points (times outputs or units); taking
    them as the columns of the product, with the long side m inside, ran 1.3-2.5x faster than
    G @ X, the (r, m) @ (m, d) product with d as the short output side (fp64, one thread, d = 16-32,
    m = 128-256; ``python docs/line_bench.py``). The same dot products, summed in another order.
    """
    return torch.bmm(Xt, G.transpose(1, 2))


def _slopes(acts, ndim: int, like: torch.Tensor) -> _SlopeAct:
    shape = (len(acts),) + (1,) * (ndim - 1)
    a = torch.tensor([float(x.a) for x in acts], dtype=like.dtype, device=like.device).reshape(shape)
    b = torch.tensor([float(x.b) for x in acts], dtype=like.dtype, device=like.device).reshape(shape)
    return _SlopeAct(a, b)


class _Selectable:
    """``select(idx)``: the stack of some of the instances (cached per index tuple)."""

    fs: list

    def select(self, idx: Sequence[int]):
        """The stack of instances ``idx`` (in that order); the search evaluates only instances still running."""
        idx = tuple(int(i) for i in idx)
        if idx == tuple(range(len(self.fs))):
            return self
        cache = self.__dict__.setdefault("_selected", {})
        if idx not in cache:
            cache[idx] = self._restack([self.fs[i] for i in idx])
        return cache[idx]

    def _restack(self, fs: list):
        return type(self)(fs)


class LoopStack(_Selectable):
    """B objectives evaluated one after the other (the fallback for objectives that cannot be stacked).

    Args:
        fs: objectives mapping (P, *S) -> (P,).
    """

    def __init__(self, fs: Sequence[Any]):
        self.fs = list(fs)
        self.B = len(self.fs)
        if all(hasattr(f, "value_and_grad") for f in self.fs):
            self.value_and_grad = self._value_and_grad

    @staticmethod
    def _shape(v: Any, P: int) -> torch.Tensor:
        if not torch.is_tensor(v) or tuple(v.shape) != (P,):
            got = tuple(v.shape) if torch.is_tensor(v) else type(v).__name__
            raise ValueError(f"f must map a batch of P={P} points to a tensor of shape ({P},), got {got}")
        return v

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        P = x.shape[1]
        return torch.stack([self._shape(f(x[i]), P) for i, f in enumerate(self.fs)])

    def value(self, x: torch.Tensor) -> torch.Tensor:
        P = x.shape[1]
        out = []
        with torch.no_grad():
            for i, f in enumerate(self.fs):  # one call per instance, not per point
                out.append(self._shape(f.value(x[i]) if hasattr(f, "value") else f(x[i]), P))
        return torch.stack(out)

    def line(self, z: torch.Tensor, U: torch.Tensor) -> None:
        """No line form: the search evaluates the points of a line one by one (see :meth:`GLMStack.line`)."""
        return None

    def _value_and_grad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        P = x.shape[1]
        vals, grads = [], []
        for i, f in enumerate(self.fs):
            v, g = f.value_and_grad(x[i])
            vals.append(self._shape(v, P))
            grads.append(g)
        return torch.stack(vals), torch.stack(grads)


class GLMStack(_Selectable):
    """B :class:`~slqc.models.GLMObjective` instances of one shape, evaluated by batched matrix products.

    Points are (B, P, d) for one output or (B, P, d, k) for k outputs; values (B, P). Inside,
    pre-activations are laid out (B, P, k, m) (k = 1 for one output): one (P k, d) @ (d, m)
    product per instance, and every elementwise pass runs over contiguous memory (the
    (m, d) @ (d, k) product per point of the plain layout was 3-4x slower at k = 3). The
    closed form is the one of :meth:`GLMObjective.value_and_grad` (squared loss:
    dL/dt = 2 (phi(t) - y) g(t); binary / multi-class cross-entropy: p - y; softmax with the
    squared loss: J^T r), over blocks of points so that the intermediate stays small.
    """

    def __init__(self, fs: Sequence[GLMObjective]):
        self.fs = list(fs)
        f0 = self.fs[0]
        self.B, self.m, self.d, self.k, self.multi = len(self.fs), f0.m, f0.d, f0.k, f0.multi
        self.loss = f0.loss
        self.X = torch.stack([f.X for f in self.fs])  # (B, m, d)
        self.Xt = self.X.transpose(1, 2).contiguous()  # (B, d, m)
        Y = torch.stack([f.Y for f in self.fs])  # (B, m[, k])
        Y = Y.unsqueeze(-1) if not self.multi else Y  # (B, m, k)
        self.Ykm = Y.transpose(1, 2).unsqueeze(1).contiguous()  # (B, 1, k, m)
        fam = _family(f0.act)
        self.act = _slopes([f.act for f in self.fs], 4, self.X) if fam == "plin" else f0.act
        self.elementwise = self.act.elementwise
        self.fused = self.loss.name == "squared" and self.elementwise
        # the compiled fused passes (SLQC_COMPILE=1) know the piecewise-linear family and the sigmoid
        self.compilable = self.fused and (fam == "plin" or f0.act.name == "sigmoid")
        one = torch.ones((), dtype=self.X.dtype, device=self.X.device)
        self._ab = (self.act.a, self.act.b) if fam == "plin" else (one, one)
        self._sig = f0.act.name == "sigmoid"
        # the cross-entropies' term sum_ij y_ij t_ij is linear in W: <W, X^T Y>, a product with d k numbers
        # per instance instead of a pass over the (points, k, m) intermediate
        self._XtY = torch.bmm(self.Xt, Y) if self.loss.name in ("bce", "ce") else None  # (B, d, k)
        # multi-class: sum_i s_i logsumexp_j t_ij with s_i = sum_j y_ij, None when every s_i is 1
        s = Y.sum(2)  # (B, m)
        self._s = None if self.loss.name != "ce" or bool((s == 1).all()) else s.unsqueeze(1)

    def _preact(self, W: torch.Tensor) -> torch.Tensor:
        """Pre-activations (B, P, k, m) of points W (B, P, d[, k])."""
        B, P = W.shape[0], W.shape[1]
        if self.multi:
            Wk = W.transpose(2, 3).reshape(B, P * self.k, self.d)
        else:
            Wk = W
        return torch.bmm(Wk, self.Xt).reshape(B, P, self.k, self.m)

    def _loss(self, t: torch.Tensor) -> torch.Tensor:
        """Summed per-sample losses (B, P) of pre-activations t (B, P, k, m) (not yet divided by m)."""
        if self.elementwise:  # the loss of every (output, sample) pair, summed: any layout will do
            return self.loss.per_sample(t, self.Ykm, self.act, False).sum((2, 3))
        return self.loss.per_sample(t, self.Ykm, self.act, True, axis=2).sum(-1)  # softmax over the outputs' axis

    def _loss_at(self, t: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
        """:meth:`_loss` of t = the pre-activations of W, without gradients. The cross-entropies
        take their linear term from W: binary sum_i softplus(t_i) - <W, X^T y>, multi-class
        sum_i s_i logsumexp_j t_ij - <W, X^T Y> (:meth:`slqc.losses.Loss.per_sample` summed over
        the samples; :func:`slqc.losses.softplus_sum`, :func:`slqc.losses.logsumexp_sum`)."""
        if self._XtY is None:
            return self._loss(t)
        return self._loss_lin(t, self._lin(W))

    def _lin(self, W: torch.Tensor) -> torch.Tensor:
        """The cross-entropies' linear term <W, X^T Y> (B, P) of points W (B, P, d[, k])."""
        return torch.bmm(W, self._XtY).squeeze(2) if not self.multi else (W * self._XtY.unsqueeze(1)).sum((2, 3))

    def _loss_lin(self, t: torch.Tensor, lin: torch.Tensor) -> torch.Tensor:
        """:meth:`_loss_at` with the linear term ``lin`` (B, P) given."""
        if self.loss.name == "bce":
            return softplus_sum(t).sum(2).sub_(lin)
        return logsumexp_sum(t, 2, self._s).sub_(lin)

    def _summed(self, t: torch.Tensor, W: torch.Tensor | None = None, lin: torch.Tensor | None = None) -> torch.Tensor:
        """Summed losses (B, n) of a block of pre-activations t (B, n, k, m), not yet divided by m, without
        gradients; the cross-entropies take their linear term from the points W, or as ``lin`` (B, n)."""
        if self.compilable and compile_enabled():
            return _compiled("value")(t, self.Ykm, *self._ab, self._sig)
        if self.fused:
            r = self.act.phi(t).sub_(self.Ykm).flatten(2)
            return torch.linalg.vector_norm(r, dim=2).square_()
        return self._loss_at(t, W) if lin is None else self._loss_lin(t, lin)

    def line(self, z: torch.Tensor, U: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """Values along the lines z_b + s U[b, p] (z (B, *S), U (B, P, *S)): a function of the times
        s (B, P, G) that returns f_b(z_b + s U[b, p]) (B, P, G), without gradients.

        The pre-activations are linear in the point, so those of z and of U are made once (one
        product per line, not one per point) and every time costs one elementwise pass
        t_z + s t_U before the loss: the search's rays, bisections and secant retractions evaluate
        many points of each line. Equal to :meth:`value` at the points z + s U up to the rounding
        of the products. None when the pre-activations of U would pass ``_LINE_MAX_ELEMS``.
        """
        B, P = U.shape[0], U.shape[1]
        if B * P * self.k * self.m > _LINE_MAX_ELEMS:
            return None
        with torch.no_grad():
            tz, tU = self._preact(z.detach().unsqueeze(1)).unsqueeze(2), self._preact(U.detach()).unsqueeze(2)
            lz = lU = None
            if self._XtY is not None:
                lz, lU = self._lin(z.detach().unsqueeze(1)).unsqueeze(2), self._lin(U.detach()).unsqueeze(2)

        def values(s: torch.Tensor) -> torch.Tensor:
            G = s.shape[2]
            out = torch.empty((B, P, G), dtype=tU.dtype, device=tU.device)
            step = max(1, _stack_block_elems(tU.device) // (B * G * self.k * self.m))
            with torch.no_grad():
                for a in range(0, P, step):  # loop over blocks of lines, not over points
                    n = min(step, P - a)
                    sb = s[:, a:a + n]
                    t = torch.addcmul(tz, sb.reshape(B, n, G, 1, 1), tU[:, a:a + n]).reshape(B, n * G, self.k, self.m)
                    lin = None if lz is None else torch.addcmul(lz, sb, lU[:, a:a + n]).reshape(B, n * G)
                    out[:, a:a + n] = self._summed(t, lin=lin).reshape(B, n, G)
            return out / self.m

        return values

    def __call__(self, W: torch.Tensor) -> torch.Tensor:
        """f_b(W[b, p]) for every instance and point, differentiable by autograd -> (B, P)."""
        return self._loss(self._preact(W)) / self.m

    def _blocks(self, W: torch.Tensor):
        P = W.shape[1]
        step = max(1, _stack_block_elems(W.device) // (self.B * self.m * self.k))
        for s in range(0, P, step):  # loop over blocks of points, not over points
            yield s, min(step, P - s)

    def value(self, W: torch.Tensor) -> torch.Tensor:
        """f_b(W[b, p]) (B, P) without gradients, in blocks of points."""
        W = W.detach()
        vals = torch.empty(W.shape[:2], dtype=W.dtype, device=W.device)
        with torch.no_grad():
            for s, n in self._blocks(W):
                vals[:, s:s + n] = self._summed(self._preact(W[:, s:s + n]), W[:, s:s + n])
        return vals / self.m

    def value_and_grad(self, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Values (B, P) and gradients (B, P, *S) in closed form."""
        W = W.detach()
        vals = torch.empty(W.shape[:2], dtype=W.dtype, device=W.device)
        grads = torch.empty_like(W)
        comp = self.compilable and compile_enabled()
        with torch.no_grad():
            for s, n in self._blocks(W):
                t = self._preact(W[:, s:s + n])  # (B, n, k, m)
                if comp:
                    vals[:, s:s + n], dt = _compiled("value_grad")(t, self.Ykm, *self._ab, self._sig)
                else:
                    dt, _, r = loss_derivatives(self.loss, self.act, t, self.Ykm, axis=2, curvature=False)
                    vals[:, s:s + n] = (torch.linalg.vector_norm(r.flatten(2), dim=2).square_() if self.fused
                                        else self._loss_at(t, W[:, s:s + n]))
                grads[:, s:s + n] = self._back(dt)
        return vals / self.m, grads / self.m

    def _back(self, dt: torch.Tensor) -> torch.Tensor:
        """X^T per point: dt (B, n, k, m) -> (B, n, d[, k]), the layout of the points (not divided by m).

        One (d, m) @ (m, n k) product per instance (:func:`_xt_times`), returned as a view."""
        B, n = dt.shape[0], dt.shape[1]
        gk = _xt_times(self.Xt, dt.reshape(B, n * self.k, self.m))  # (B, d, n k)
        return gk.reshape(B, self.d, n, self.k).permute(0, 2, 1, 3) if self.multi else gk.transpose(1, 2)

    def value_grad_hvp(self, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """Values (B, P), gradients (B, P, *S) and V -> H V (B, P, *S), the Hessians at W, in closed form.

        With t = <W, x_i> the pre-activations (B, P, k, m), H V = X^T C[X V] / m, where C is the
        loss's second derivative in t (:func:`loss_derivatives`). Values and gradients are those of
        :meth:`value_and_grad` (the same passes); the search's second-order directions
        (:func:`slqc.search._terms_and_dirs`) take one such product per step instead of autograd's
        double-backward graph. The curvature is kept for every point of W, (B, P, k, m), as the
        graph would be.
        """
        W = W.detach()
        with torch.no_grad():
            t = self._preact(W)  # (B, P, k, m)
            dt, curv, r = loss_derivatives(self.loss, self.act, t, self.Ykm, axis=2)
            vals = torch.linalg.vector_norm(r.flatten(2), dim=2).square_() if self.fused else self._loss_at(t, W)
            grads = self._back(dt)

        def hvp(V: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                return self._back(curv(self._preact(V.detach()))) / self.m

        return vals / self.m, grads / self.m, hvp


def has_curvature(act: Any) -> bool:
    """True for the activations whose second derivative :func:`loss_derivatives` knows."""
    return act.name in _PIECEWISE_LINEAR or act.name in ("sigmoid", "softmax")


def loss_derivatives(loss: Any, act: Any, t: torch.Tensor, Y: torch.Tensor, axis: int,
                     curvature: bool = True) -> tuple[torch.Tensor, Any, torch.Tensor | None]:
    """dL/dt and the curvature u -> (d^2 L / dt^2) u of the per-sample loss L(act(t), y), in closed form.

    t holds pre-activations with the outputs along ``axis`` (any layout for elementwise
    activations); Y broadcasts to t. Per sample:

    * elementwise activations: L''(t) u elementwise. The squared loss has
      L'' = 2 (phi'^2 + r phi''), r = phi(t) - y, with phi'' = 0 on the piecewise-linear family
      (autograd's convention: g(t) t with g constant) and phi'' = phi' (1 - 2 phi) for the
      sigmoid; binary cross-entropy has L'' = p (1 - p).
    * softmax over the outputs, with J = diag p - p p^T: cross-entropy s J (s = sum_j y_j, the
      gradient being s p - y); the squared loss J ((2 p + w - <w, p>) (u - <p, u>)) with
      w = 2 (p - y), that is 2 J J u plus the curvature of p weighted by w.

    The curvature function may overwrite its argument; with ``curvature=False`` it is None and its
    terms are not computed. Returns (dL/dt, curvature, r) with r the residual phi(t) - y for the
    squared loss of an elementwise activation (None otherwise).

    Raises:
        ValueError: an activation without a known second derivative, or a loss it does not take.
    """
    if not has_curvature(act):
        raise ValueError(f"no closed-form curvature for the activation {act.name!r}")
    if act.elementwise:
        if loss.name == "squared":
            g = act.grad(t)
            p = g * t if act.name in _PIECEWISE_LINEAR else act.phi(t)  # phi = g t there, to the bit
            r = p - Y
            dt = (r * g).mul_(2)
            if curvature:
                c = g * g
                if act.name == "sigmoid":  # phi'' = g (1 - 2 p)
                    c = c.add_(r * g * (1 - 2 * p))
                c = c.mul_(2)
        elif loss.name == "bce":
            p, r = torch.sigmoid(t), None
            dt = p - Y
            c = p * (1 - p) if curvature else None
        else:
            raise ValueError(f"no closed-form curvature for the loss {loss.name!r} with {act.name!r}")
        return dt, ((lambda u: u.mul_(c)) if curvature else None), r
    p = torch.softmax(t, dim=axis)
    if loss.name == "squared":
        w = 2 * (p - Y)
        dt = p * (w - (p * w).sum(axis, keepdim=True))
        if not curvature:
            return dt, None, None
        v = (2 * p).add_(w).sub_((w * p).sum(axis, keepdim=True))

        def curv(u: torch.Tensor) -> torch.Tensor:
            q = (u - (p * u).sum(axis, keepdim=True)).mul_(v)
            return q.sub_((p * q).sum(axis, keepdim=True)).mul_(p)
        return dt, curv, None
    s = Y.sum(axis, keepdim=True)  # ce; the targets may not sum to one
    dt = p * s - Y
    if not curvature:
        return dt, None, None
    ps = p * s
    return dt, (lambda u: u.sub_((p * u).sum(axis, keepdim=True)).mul_(ps)), None


class OneHiddenStack(_Selectable):
    """B :class:`~slqc.models.OneHiddenObjective` instances of one shape (points (B, P, d, h)).

    Units first, samples last: hidden pre-activations are laid out (B, h, P, m), from one
    (h P, d) @ (d, m) product per instance, and the outputs (B, k, P, m), from one
    (k, h) @ (h, P m) product. Every product then has a long side of P m (the samples-first layout's
    (m P, h) @ (h, k) with k = 3 ran 4-6x slower, docs/pass_bench.py), and the loss sums over
    contiguous samples.
    Gradients and Hessian-vector products are in closed form (backpropagation written out,
    :meth:`value_grad_hvp`) when the hidden activation is elementwise and both activations'
    second derivatives are known (:func:`has_curvature`); otherwise the search differentiates
    ``__call__`` by autograd.
    """

    def __init__(self, fs: Sequence[OneHiddenObjective]):
        self.fs = list(fs)
        f0 = self.fs[0]
        self.B, self.multi, self.loss, self.act2 = len(self.fs), f0.multi, f0.loss, f0.act2
        self.m, self.d, self.h = f0.m, f0.d, f0.h
        self.X = torch.stack([f.X for f in self.fs])  # (B, m, d)
        self.Xt = self.X.transpose(1, 2).contiguous()  # (B, d, m)
        W2 = torch.stack([f.W2 for f in self.fs])  # (B, h[, k])
        self.W2 = W2 if self.multi else W2.unsqueeze(-1)  # (B, h, k)
        self.W2t = self.W2.transpose(1, 2).contiguous()  # (B, k, h)
        self.k = self.W2.shape[2]
        Y = torch.stack([f.Y for f in self.fs])  # (B, m[, k])
        Y = Y if self.multi else Y.unsqueeze(2)  # (B, m, k)
        self.Y = Y.transpose(1, 2).unsqueeze(2).contiguous()  # (B, k, 1, m)
        self.act1 = _slopes([f.act1 for f in self.fs], 4, self.X) if _family(f0.act1) == "plin" else f0.act1
        if _family(self.act2) == "plin":  # one slope pair for all (batch_key), broadcast to any layout
            self.act2 = _slopes([self.act2], 1, self.X)
        if (f0.act1.elementwise and has_curvature(f0.act1) and has_curvature(self.act2)
                and (self.act2.elementwise or self.multi)):
            self.value_and_grad = self._value_and_grad
            self.value_grad_hvp = self._value_grad_hvp

    def _pre(self, W1: torch.Tensor) -> torch.Tensor:
        """Hidden pre-activations (B, h, P, m) of points W1 (B, P, d, h)."""
        B, P = W1.shape[0], W1.shape[1]
        Wr = W1.permute(0, 3, 1, 2).reshape(B, self.h * P, self.d)
        return torch.bmm(Wr, self.Xt).reshape(B, self.h, P, self.m)

    def _out(self, H: torch.Tensor) -> torch.Tensor:
        """Output pre-activations (B, k, P, m) of hidden units H (B, h, P, m): W2^T H."""
        B, P, m = H.shape[0], H.shape[2], H.shape[3]
        return torch.bmm(self.W2t, H.reshape(B, self.h, P * m)).reshape(B, self.k, P, m)

    def _out_t(self, D: torch.Tensor) -> torch.Tensor:
        """W2 D (B, h, P, m) of D (B, k, P, m): back through the outer weights (one output: a
        broadcast product)."""
        B, P, m = D.shape[0], D.shape[2], D.shape[3]
        if self.k == 1:
            return D * self.W2.reshape(B, self.h, 1, 1)
        return torch.bmm(self.W2, D.reshape(B, self.k, P * m)).reshape(B, self.h, P, m)

    def _back(self, G: torch.Tensor) -> torch.Tensor:
        """X^T G per point: G (B, h, P, m) -> (B, P, d, h) (not divided by m; a view, :func:`_xt_times`)."""
        B, P = G.shape[0], G.shape[2]
        return _xt_times(self.Xt, G.reshape(B, self.h * P, self.m)).reshape(B, self.d, self.h, P).permute(0, 3, 1, 2)

    def _per(self, t: torch.Tensor) -> torch.Tensor:
        """Mean loss (B, P) of output pre-activations t (B, k, P, m)."""
        if self.act2.elementwise:  # the loss of every (output, sample) pair: summed over the samples, then the outputs
            return self.loss.per_sample(t, self.Y, self.act2, False).sum(3).sum(1) / self.m
        return self.loss.per_sample(t, self.Y, self.act2, True, axis=1).mean(-1)  # softmax over the outputs

    def __call__(self, W1: torch.Tensor) -> torch.Tensor:
        return self._of_pre(self._pre(W1))

    def _of_pre(self, pre: torch.Tensor) -> torch.Tensor:
        """Values (B, P) from the hidden pre-activations ``pre`` (B, h, P, m) of the points."""
        return self._per(self._out(self.act1.phi(pre)))

    def value(self, W1: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():  # loop over blocks of points, not over points
            return torch.cat([self(W1[:, s:s + n]) for s, n in self._blocks(W1)], dim=1)

    def line(self, z: torch.Tensor, U: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """Values along the lines z_b + s U[b, p] as a function of s (B, P, G) -> (B, P, G); see
        :meth:`GLMStack.line`. The hidden pre-activations are linear in the first layer's weights."""
        B, P, h, m = U.shape[0], U.shape[1], self.h, self.m
        if B * P * h * m > _LINE_MAX_ELEMS:
            return None
        with torch.no_grad():
            tz, tU = self._pre(z.detach().unsqueeze(1)).unsqueeze(3), self._pre(U.detach()).unsqueeze(3)

        def values(s: torch.Tensor) -> torch.Tensor:
            G = s.shape[2]
            out = torch.empty((B, P, G), dtype=tU.dtype, device=tU.device)
            step = max(1, _stack_block_elems(tU.device) // (B * G * m * h))
            with torch.no_grad():
                for a in range(0, P, step):  # loop over blocks of lines, not over points
                    n = min(step, P - a)
                    pre = torch.addcmul(tz, s[:, a:a + n].reshape(B, 1, n, G, 1), tU[:, :, a:a + n])
                    out[:, a:a + n] = self._of_pre(pre.reshape(B, h, n * G, m)).reshape(B, n, G)
            return out

        return values

    def _blocks(self, W1: torch.Tensor):
        P = W1.shape[1]
        step = max(1, _stack_block_elems(W1.device) // (self.B * self.m * self.h))
        for s in range(0, P, step):
            yield s, min(step, P - s)

    def _forward(self, W1: torch.Tensor, curvature: bool) -> tuple:
        """Values (B, P), the hidden pre-activations and slopes, dL/dH (B, h, P, m) and the output curvature."""
        pre = self._pre(W1)
        t = self._out(self.act1.phi(pre))
        dt, curv, _ = loss_derivatives(self.loss, self.act2, t, self.Y, axis=1, curvature=curvature)
        return self._per(t), pre, self.act1.grad(pre), self._out_t(dt), curv

    def _value_and_grad(self, W1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Values (B, P) and gradients (B, P, d, h) by backpropagation written out, in blocks of points."""
        W1 = W1.detach()
        vals = torch.empty(W1.shape[:2], dtype=W1.dtype, device=W1.device)
        grads = torch.empty_like(W1)
        with torch.no_grad():
            for s, n in self._blocks(W1):
                v, _, g1, dH, _ = self._forward(W1[:, s:s + n], curvature=False)
                vals[:, s:s + n] = v
                grads[:, s:s + n] = self._back(dH.mul_(g1))
        return vals, grads / self.m

    def _value_grad_hvp(self, W1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """Values (B, P), gradients and V -> H V (B, P, d, h) in closed form.

        With pre = X W1, H = phi1(pre), t = H W2 and delta = dL/dt: the gradient is
        X^T (g1 * (delta W2^T)) / m, g1 = phi1'(pre); along V, d pre = X V, dt = (g1 * d pre) W2,
        d delta = C[dt] (:func:`loss_derivatives`), and
        H V = X^T (g1 * (d delta W2^T) + phi1''(pre) * d pre * (delta W2^T)) / m, the last term
        0 on the piecewise-linear family and phi1' (1 - 2 phi1) for the sigmoid.
        """
        W1 = W1.detach()
        with torch.no_grad():
            vals, pre, g1, dH, curv = self._forward(W1, curvature=True)
            grads = self._back(dH * g1) / self.m
            h2 = None
            if self.act1.name == "sigmoid":
                h2 = dH.mul_(g1 * (1 - 2 * self.act1.phi(pre)))  # phi1'' (delta W2^T)

        def hvp(V: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                dpre = self._pre(V.detach())
                G = self._out_t(curv(self._out(g1 * dpre))).mul_(g1)
                if h2 is not None:
                    G.addcmul_(h2, dpre)
                return self._back(G) / self.m

        return vals, grads, hvp


class GroupStack(_Selectable):
    """B objectives of one point shape but of several :func:`batch_key` groups, evaluated as one stack.

    Each group is a batched stack of its own (:class:`GLMStack`, :class:`OneHiddenStack`; the
    objectives without a key share one :class:`LoopStack`); rows come back in the order of
    ``fs``. The search's control work (steps, retractions, stop rules) is shared by all B
    instances, while each group's products stay batched: settings of different sample counts
    or activation families (Theorem 1 next to Theorem 6, say) run as one search.

    Args:
        fs: objectives mapping (P, *S) -> (P,), all of one point shape S.
        keys: their :func:`batch_key` (computed when not given).
    """

    def _restack(self, fs: list):
        return stack_objectives(fs)  # a selection may fall into one group

    def __init__(self, fs: Sequence[Any], keys: Sequence[tuple | None] | None = None):
        self.fs = list(fs)
        self.B = len(self.fs)
        keys = [batch_key(f) for f in self.fs] if keys is None else list(keys)
        groups: dict[Any, list[int]] = {}
        for i, k in enumerate(keys):
            groups.setdefault(("loop",) if k is None else k, []).append(i)
        self.parts = [(idx, LoopStack([self.fs[i] for i in idx]) if key == ("loop",)
                       else _keyed_stack([self.fs[i] for i in idx], key)) for key, idx in groups.items()]
        order = [i for idx, _ in self.parts for i in idx]
        self._inv = sorted(range(self.B), key=order.__getitem__)  # row b of the result is row _inv[b] of the parts'
        self._index: dict[str, tuple[list[torch.Tensor], torch.Tensor]] = {}
        # groups that are runs of consecutive rows, in order (probe_batch orders its instances so): the
        # batched groups then take views of their rows, and the results are a plain concatenation
        self._runs = order == list(range(self.B))
        self._first = [idx[0] for idx, _ in self.parts]
        if all(hasattr(st, "value_grad_hvp") for _, st in self.parts):
            self.value_grad_hvp = self._value_grad_hvp

    def _idx(self, device: torch.device) -> tuple[list[torch.Tensor], torch.Tensor]:
        key = str(device)
        if key not in self._index:
            self._index[key] = ([torch.tensor(idx, device=device) for idx, _ in self.parts],
                                torch.tensor(self._inv, device=device))
        return self._index[key]

    def _rows(self, x: torch.Tensor, j: int, r: torch.Tensor) -> torch.Tensor:
        """The rows of x of group j (index tensor r): a view for a batched group whose rows are a run,
        a copy otherwise (a LoopStack's objectives, the user's, get rows of their own)."""
        idx, st = self.parts[j]
        if self._runs and not isinstance(st, LoopStack):
            return x.narrow(0, self._first[j], len(idx))
        return x.index_select(0, r)

    def _map(self, x: torch.Tensor, fn) -> list:
        rows, _ = self._idx(x.device)
        return [fn(st, self._rows(x, j, r)) for j, (r, (_, st)) in enumerate(zip(rows, self.parts))]

    def _join(self, outs: list[torch.Tensor]) -> torch.Tensor:
        out = torch.cat(outs, dim=0)
        return out if self._runs else out.index_select(0, self._idx(outs[0].device)[1])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """f_b(x[b, p]) for every instance and point, differentiable by autograd -> (B, P)."""
        return self._join(self._map(x, lambda st, xr: st(xr)))

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """Values (B, P) without gradients."""
        with torch.no_grad():
            return self._join(self._map(x, lambda st, xr: st.value(xr)))

    def line(self, z: torch.Tensor, U: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """:meth:`GLMStack.line`, group by group; None when a group has no line form."""
        rows, _ = self._idx(z.device)
        fns = [st.line(self._rows(z, j, r), self._rows(U, j, r)) for j, (r, (_, st)) in enumerate(zip(rows, self.parts))]
        if any(fn is None for fn in fns):
            return None
        return lambda s: self._join([fn(self._rows(s, j, r)) for j, (r, fn) in enumerate(zip(rows, fns))])

    def value_and_grad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Values (B, P) and gradients (B, P, *S): closed form where a group has one, autograd elsewhere."""
        pairs = self._map(x.detach(), _value_and_grad_of)
        return self._join([v for v, _ in pairs]), self._join([g for _, g in pairs])

    def _value_grad_hvp(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """Values, gradients and Hessian-vector products (see :meth:`GLMStack.value_grad_hvp`), group by group."""
        rows, _ = self._idx(x.device)
        outs = [st.value_grad_hvp(self._rows(x, j, r)) for j, (r, (_, st)) in enumerate(zip(rows, self.parts))]

        def hvp(V: torch.Tensor) -> torch.Tensor:
            return self._join([h(self._rows(V, j, r)) for j, (r, (_, _, h)) in enumerate(zip(rows, outs))])

        return self._join([v for v, _, _ in outs]), self._join([g for _, g, _ in outs]), hvp


def _value_and_grad_of(stack: Any, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if hasattr(stack, "value_and_grad"):
        return stack.value_and_grad(x)
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        v = stack(xg)
        (g,) = torch.autograd.grad(v.sum(), xg)
    return v.detach(), g
