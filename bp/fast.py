r"""The fast path of ``bp.train``: the arithmetic of ``bp.gradients`` and ``bp.loss``
with preallocated buffers.

The readable functions (``forward``, ``backward``, ``gradients``) are the
document's formulas, and each of them allocates a new array for every
intermediate result: e^{-|z|}, the mask z ≥ 0, 1 + e, σ(z), σ(−z), their
product, ... On thousands of samples these temporaries, not the matrix
products, are what costs time. This module computes the same quantities

    z^l = W^l a^{l-1} + b^l,   a^l = σ(z^l),   σ'(z^l)
    δ^L = ∂J/∂a^L ⊙ σ'(z^L),   δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l)
    ∂J/∂W^l = δ^l (a^{l-1})^T,  ∂J/∂b^l = Σ_i δ^{i,l}

writing each result into a buffer allocated once (``np.matmul(..., out=)``,
``np.exp(..., out=)``). It walks the samples in chunks of at most ``CHUNK``
columns, so that its buffers do not grow with m and the elementwise work runs
on data still in the CPU cache. The gradient of a batch larger than a chunk
is the sum of the chunks' gradients: Δ^l (A^{l-1})^T = Σ_i δ^{i,l} (a^{i,l-1})^T,
split into partial sums. The update rule W^l ← W^l − α ∂J/∂W^l is
``bp.update``'s, applied in place: α multiplies δ^L, so the gradient arrives
multiplied by α and is subtracted without a temporary.

Two more savings keep the semantics of ``bp.train``:

* full batch: the forward pass that gives J after iteration k (History.loss)
  is the forward pass at the very weights that iteration k+1 differentiates,
  so it is done once, and its gradient is kept for the next iteration
  (recomputed if the weights changed in between, e.g. in a callback);
* mini-batches: J over all m samples after each iteration is a forward-only
  pass in chunks, which keeps no activations.

It covers the activations and (output activation, loss) pairs that have
kernels below; ``supports(net)`` is False for anything else, and ``bp.train``
then takes the readable path. tests/test_fast.py checks that both paths agree
to rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bp.activations import ACTIVATIONS, LEAKY_SLOPE, SOFTMAX
from bp.losses import LOSSES
from bp.network import Layers, Network
from bp.regularization import l2_penalty

Array = np.ndarray

#: The most samples (columns) processed at once, forward and backward. Smaller
#: chunks keep z, a and σ' in the CPU's cache; larger ones make larger GEMMs, which
#: BLAS splits between threads better. On 2 cores 1024 was best for 128-wide layers.
CHUNK = 1024
#: The same for a forward-only pass (J after a mini-batch iteration), which keeps
#: no σ' and no a^l for the backward pass.
FORWARD_CHUNK = 1024


# -- z^l = W^l a^{l-1} + b^l, σ and σ', in place ------------------------------------------
# A kernel takes Wa = W^l a^{l-1} (which it overwrites), b^l and a buffer for a^l. It adds
# the bias and returns (a^l, σ'(z^l)) with σ'(z^l) written over Wa, or (a^l, None) when σ'
# is not wanted or is 1. The returned a^l may be the Wa array itself.

# e^{-z} is taken of z ≥ -CLAMP only, where e^{CLAMP} is finite: below that σ(z) is under
# 1e-304 (float64) or 2e-35 (float32) either way, and no inf · 0 can make a NaN.
_CLAMP = {np.dtype(np.float64): 700.0, np.dtype(np.float32): 80.0}


def _sigmoid(Wa: Array, b: Array, a: Array, prime: bool) -> tuple[Array, Array | None]:
    """σ(z) = 1 / (1 + e^{-z});  σ'(z) = σ(z) σ(−z) = e^{-z} / (1 + e^{-z})²."""
    return _logistic(np.subtract(-b, Wa, out=Wa), a, prime)  # from −z = −b − W a


def _logistic(u: Array, a: Array, prime: bool) -> tuple[Array, Array | None]:
    """σ(z) and σ'(z) from u = −z (overwritten)."""
    clamp = _CLAMP[u.dtype]
    if u.max() > clamp:  # rare: only then pay for the clamp
        np.minimum(u, clamp, out=u)
    np.exp(u, out=u)  # u ← e^{-z}
    np.add(u, 1.0, out=a)
    np.divide(1.0, a, out=a)  # a ← σ(z)
    if not prime:
        return a, None
    np.multiply(u, a, out=u)  # u ← e^{-z} / (1 + e^{-z}) = σ(−z), accurate in both tails
    np.multiply(u, a, out=u)  # u ← σ(z) σ(−z)
    return a, u


def _tanh(Wa: Array, b: Array, a: Array, prime: bool) -> tuple[Array, Array | None]:
    """σ(z) = tanh z;  σ'(z) = 1 − tanh² z."""
    z = np.add(b, Wa, out=Wa)
    np.tanh(z, out=a)
    if not prime:
        return a, None
    np.square(a, out=z)
    np.subtract(1.0, z, out=z)
    return a, z


def _relu(Wa: Array, b: Array, a: Array, prime: bool) -> tuple[Array, Array | None]:
    """σ(z) = max(0, z);  σ'(z) = 1 for z > 0, else 0."""
    z = np.add(b, Wa, out=Wa)
    if not prime:
        return np.maximum(z, 0.0, out=a), None
    np.maximum(z, 0.0, out=a)
    np.greater(z, 0.0, out=z)
    return a, z


def _leaky_relu(Wa: Array, b: Array, a: Array, prime: bool) -> tuple[Array, Array | None]:
    """σ(z) = max(z, 0.01 z);  σ'(z) = 1 for z > 0, else 0.01."""
    z = np.add(b, Wa, out=Wa)
    if a is z:  # forward only, in place
        return np.multiply(z, LEAKY_SLOPE, out=z, where=z < 0), None
    np.multiply(z, LEAKY_SLOPE, out=a)
    np.maximum(z, a, out=a)
    if not prime:
        return a, None
    np.greater(z, 0.0, out=z)
    np.maximum(z, LEAKY_SLOPE, out=z)
    return a, z


def _identity(Wa: Array, b: Array, a: Array, prime: bool) -> tuple[Array, Array | None]:
    """σ(z) = z;  σ'(z) = 1, so the Hadamard product with it is skipped."""
    return np.add(b, Wa, out=Wa), None


#: In-place kernels by the activation they compute (``net.hidden``, ``net.output``).
ACTIVATION_KERNELS: dict = {
    ACTIVATIONS["sigmoid"]: _sigmoid,
    ACTIVATIONS["tanh"]: _tanh,
    ACTIVATIONS["relu"]: _relu,
    ACTIVATIONS["leaky_relu"]: _leaky_relu,
    ACTIVATIONS["identity"]: _identity,
}


# -- the output layer and the loss ---------------------------------------------------------
# A head takes W^L a^{L-1} (which it overwrites) and b^L, a buffer for a^L, the targets y, a
# buffer r and a spare buffer tmp, all (n_out, w). It computes a^L and returns J summed over
# the columns (0.0 unless want_J) and, if grad, leaves δ^L = ∂J/∂z^L in r. J must be a sum
# over the samples, so that chunks add up.


def _mse_head(sigma: Callable) -> Callable:
    def head(Wa, b, a, y, r, grad, want_J, tmp):
        """J = Σ_i ½ ‖a^{i,L} − y_i‖²;  δ^L = (a^L − y) ⊙ σ'(z^L)."""
        a, prime = sigma(Wa, b, a, grad)
        np.subtract(a, y, out=r)
        J = 0.5 * float(np.vdot(r, r)) if want_J else 0.0
        if grad and prime is not None:
            np.multiply(r, prime, out=r)
        return J

    return head


def _cross_entropy_head(Wa, b, a, y, r, grad, want_J, tmp):
    """J = Σ [softplus(z) − y z] from z (as ``cross_entropy_from_z``);  δ^L = σ(z^L) − y."""
    z = np.add(b, Wa, out=Wa)
    J = 0.0
    if want_J:
        # softplus(z) = max(z, 0) + ln(1 + e^{−|z|})
        np.abs(z, out=tmp)
        np.negative(tmp, out=tmp)
        np.exp(tmp, out=tmp)
        np.log1p(tmp, out=tmp)
        np.maximum(z, 0.0, out=r)
        np.add(tmp, r, out=tmp)
        np.multiply(y, z, out=r)
        np.subtract(tmp, r, out=tmp)
        J = float(np.sum(tmp))
    a, _ = _logistic(np.negative(z, out=z), a, False)
    np.subtract(a, y, out=r)
    return J


def _log_likelihood_head(Wa, b, a, y, r, grad, want_J, tmp):
    """J = −Σ y ⊙ ln softmax(z) by log-sum-exp (as ``log_likelihood_from_z``);  δ^L = a^L − y."""
    z = np.add(b, Wa, out=Wa)
    col = tmp[:1]  # one number per column (sample)
    np.max(z, axis=0, keepdims=True, out=col)
    np.subtract(z, col, out=z)  # z − max_j z_j ≤ 0
    np.exp(z, out=a)
    np.sum(a, axis=0, keepdims=True, out=col)
    np.divide(a, col, out=a)  # a = softmax(z)
    J = 0.0
    if want_J:
        np.log(col, out=col)
        np.subtract(z, col, out=z)  # ln a = z − max − ln Σ_j e^{z_j − max}
        np.multiply(y, z, out=r)
        J = -float(np.sum(r))
    np.subtract(a, y, out=r)
    return J


#: Heads by (output activation, loss): every elementwise σ with "mse", and the two pairs
#: for which σ'(z^L) cancels from δ^L.
HEAD_KERNELS: dict = {(act, LOSSES["mse"]): _mse_head(k) for act, k in ACTIVATION_KERNELS.items()}
HEAD_KERNELS[ACTIVATIONS["sigmoid"], LOSSES["cross_entropy"]] = _cross_entropy_head
HEAD_KERNELS[SOFTMAX, LOSSES["log_likelihood"]] = _log_likelihood_head


def supports(net: Network) -> bool:
    """True when ``net``'s hidden σ, output σ and loss all have kernels here."""
    hidden = net.L == 2 or net.hidden in ACTIVATION_KERNELS
    return hidden and (net.output, net.cost) in HEAD_KERNELS


class Engine:
    r"""Forward and backward passes of ``net`` over columns of (X, Y), into reused buffers.

    ``run(X, Y, cols, grad, want_J, l2, factor)`` processes the samples ``cols`` (a
    slice or an index array) in chunks of at most ``chunk`` columns. It returns J
    summed over them, without the L2 penalty, and, if ``grad``, leaves the gradient
    of that sum plus (λ/2) Σ_l ‖W^l‖², times ``factor``,

        dW^l = factor · (Σ_i ∂J_i/∂W^l + λ W^l),   db^l = factor · Σ_i ∂J_i/∂b^l,

    in ``self.dW`` and ``self.db``. With factor = α/k (α under "sum"), ``apply()``
    is then the update rule. The weights are read from ``net`` at every call.
    """

    def __init__(self, net: Network, chunk: int = CHUNK, forward_chunk: int = FORWARD_CHUNK):
        if not supports(net):
            raise ValueError(f"no fast kernels for {net!r}; use the readable functions")
        self.net, self.chunk, self.L = net, int(chunk), net.L
        self.forward_chunk = max(int(forward_chunk), self.chunk)
        self.kernels = [None, None] + [ACTIVATION_KERNELS[net.hidden]] * (net.L - 2)
        self.head = HEAD_KERNELS[net.output, net.cost]
        self.dW = Layers({l: np.empty_like(W) for l, W in net.W.items()})
        self.db = Layers({l: np.empty_like(b) for l, b in net.b.items()})
        self.ones = np.ones((self.chunk, 1), net.dtype)  # Σ_i δ^{i,l} = δ^l 1
        self._partial: tuple[Layers, Layers] | None = None  # one chunk's dW, db while summing
        self._flat: dict[str, Array] = {}
        self._views: dict[tuple, Array] = {}
        self._layouts: dict[tuple[int, bool], tuple] = {}

    def _view(self, name: str, shape: tuple[int, int], capacity: int) -> Array:
        """A contiguous array of ``shape`` at the start of the flat buffer ``name``.

        The flat buffer holds ``capacity`` elements and is allocated on first use;
        views are kept, so a width seen once costs nothing the next time.
        """
        key = (name, shape)
        view = self._views.get(key)
        if view is None:
            if name not in self._flat:
                self._flat[name] = np.empty(capacity, self.net.dtype)
            view = self._views[key] = self._flat[name][: shape[0] * shape[1]].reshape(shape)
        return view

    def _layout(self, w: int, grad: bool) -> tuple:
        """The buffers for a chunk of w columns: z^l (then σ'(z^l)), a^l, r, tmp and 1.

        Forward only, a^l is computed over z^l, and two buffers are used in turn.
        """
        layout = self._layouts.get((w, grad))
        if layout is None:
            sizes, c = self.net.sizes, self.chunk if grad else self.forward_chunk
            z, a = [None, None], [None, None]
            widest = max(sizes[1:])
            for l in range(2, self.L + 1):
                n = sizes[l - 1]
                if grad:
                    z.append(self._view(f"z{l}", (n, w), n * c))
                    a.append(self._view(f"a{l}", (n, w), n * c))
                else:
                    z.append(self._view(f"f{l % 2}", (n, w), widest * c))
                    a.append(z[l])
            n_out, mode = sizes[-1], "" if grad else "f"
            if not grad:  # the head's a^L needs a buffer of its own
                a[-1] = self._view("aL", (n_out, w), n_out * c)
            r = self._view("r" + mode, (n_out, w), n_out * c)
            tmp = self._view("tmp" + mode, (n_out, w), n_out * c)
            layout = self._layouts[(w, grad)] = (z, a, r, tmp, self.ones[:w])
        return layout

    def _gather(self, M: Array, cols: Array, name: str) -> Array:
        """M[:, cols] in a reused buffer."""
        n, w = M.shape[0], len(cols)
        if M.flags.f_contiguous and not M.flags.c_contiguous:
            # Each sample is contiguous (X = rows.T, as bp.data.mnist returns it):
            # copy whole samples, as rows of M^T.
            out = self._view(name + "T", (w, n), n * self.chunk)
            M.T.take(cols, axis=0, out=out, mode="clip")  # cols is in range: no check
            return out.T
        if M.flags.c_contiguous:
            out = self._view(name, (n, w), n * self.chunk)
            M.take(cols, axis=1, out=out, mode="clip")
            return out
        return M[:, cols]

    def run(
        self,
        X: Array,
        Y: Array,
        cols,
        grad: bool,
        want_J: bool,
        l2: float = 0.0,
        factor: float = 1.0,
    ) -> float:
        if isinstance(cols, slice):
            start, stop, _ = cols.indices(X.shape[1])
            n = stop - start
        else:
            start, n = 0, len(cols)
        forward_only = not grad and isinstance(cols, slice)
        chunk = self.forward_chunk if forward_only else self.chunk
        if n <= chunk:  # one chunk, as for every mini-batch up to CHUNK samples
            if isinstance(cols, slice):
                x, y = X[:, cols], Y[:, cols]
            else:
                x, y = self._gather(X, cols, "x"), self._gather(Y, cols, "y")
            J = self._chunk(x, y, grad, want_J, factor, True)
        else:
            J = 0.0
            for s in range(0, n, chunk):
                e = min(s + chunk, n)
                if isinstance(cols, slice):
                    x, y = X[:, start + s : start + e], Y[:, start + s : start + e]
                else:
                    part = cols[s:e]
                    x, y = self._gather(X, part, "x"), self._gather(Y, part, "y")
                J += self._chunk(x, y, grad, want_J, factor, s == 0)
        if grad and l2:
            # + λ W^l, the gradient of (λ/2) Σ_l ‖W^l‖²
            tmp = self._partials()[0]
            for l, W in self.net.W.items():
                np.multiply(W, l2 * factor, out=tmp[l])
                np.add(self.dW[l], tmp[l], out=self.dW[l])
        return J

    def apply(self) -> None:
        """W^l ← W^l − dW^l and b^l ← b^l − db^l, in place: ``bp.update`` for a gradient
        that ``run`` has already multiplied by α (its ``factor``)."""
        net = self.net
        for l in self.dW:
            np.subtract(net.W[l], self.dW[l], out=net.W[l])
            np.subtract(net.b[l], self.db[l], out=net.b[l])

    def _chunk(self, x, y, grad: bool, want_J: bool, factor: float, first: bool) -> float:
        """Forward (and backward) over the columns x, y; the gradient goes to dW, db if
        ``first``, else it is added to them."""
        W, b, L, kernels = self.net.W, self.net.b, self.L, self.kernels
        z, a_buf, r, tmp, ones = self._layout(x.shape[1], grad)
        a, prime = [None, x], [None, None]
        for l in range(2, L):
            # z^l = W^l a^{l-1} + b^l ; a^l = σ(z^l) and σ'(z^l)
            np.matmul(W[l], a[l - 1], out=z[l])
            a_l, prime_l = kernels[l](z[l], b[l], a_buf[l], grad)
            a.append(a_l)
            prime.append(prime_l)
        np.matmul(W[L], a[L - 1], out=z[L])
        # a^L, J and δ^L = ∂J/∂z^L (in r)
        J = self.head(z[L], b[L], a_buf[L], y, r, grad, want_J, tmp)
        if not grad:
            return J
        delta = r
        if factor != 1.0:  # every gradient below is linear in δ^L
            np.multiply(delta, factor, out=delta)
        dW, db = (self.dW, self.db) if first else self._partials()
        for l in range(L, 1, -1):
            # ∂J/∂W^l = δ^l (a^{l-1})^T ; ∂J/∂b^l = Σ_i δ^{i,l} = δ^l 1
            np.matmul(delta, a[l - 1].T, out=dW[l])
            np.matmul(delta, ones, out=db[l])
            if l > 2:
                # δ^{l-1} = (W^l)^T δ^l ⊙ σ'(z^{l-1}), over a^{l-1}'s buffer: a^{l-1} was
                # last needed for ∂J/∂W^l, just above.
                g = a_buf[l - 1]
                np.matmul(W[l].T, delta, out=g)
                if prime[l - 1] is not None:
                    np.multiply(g, prime[l - 1], out=g)
                delta = g
        if not first:
            for l in dW:
                np.add(self.dW[l], dW[l], out=self.dW[l])
                np.add(self.db[l], db[l], out=self.db[l])
        return J

    def _partials(self) -> tuple[Layers, Layers]:
        if self._partial is None:
            self._partial = (
                Layers({l: np.empty_like(W) for l, W in self.dW.items()}),
                Layers({l: np.empty_like(b) for l, b in self.db.items()}),
            )
        return self._partial


def _is_readable_update(step: Callable) -> bool:
    """True for ``bp.update`` itself, not for a wrapper or a replacement of it."""
    return (
        getattr(step, "__module__", None) == "bp.train"
        and getattr(step, "__qualname__", None) == "update"
    )


class _Steps:
    """What the two loops share: the gradient times α, and the update rule.

    ``run`` multiplies δ^L by the step α (α/k under "mean"), so the gradient arrives
    as α ∂J/∂W^l and the update is W^l − 1 · (α ∂J/∂W^l). ``bp.update`` would compute
    that with a temporary array for 1 · dW; on a large network the allocation and the
    extra pass cost more than the subtraction, so when ``step`` is ``bp.update`` itself
    ``Engine.apply`` subtracts in place, to the same bits. Any other ``step`` (a wrapper,
    a spy in a test) is called as ``step(net, dW, db, 1.0)``.
    """

    def __init__(self, engine: Engine, X: Array, Y: Array, l2: float, step: Callable) -> None:
        self.engine, self.X, self.Y, self.l2, self.step = engine, X, Y, l2, step
        self.in_place = _is_readable_update(step)

    def gradient(self, cols, alpha: float, want_J: bool = False) -> float:
        """α times the gradient over the samples ``cols``; returns their J if wanted."""
        return self.engine.run(self.X, self.Y, cols, True, want_J, self.l2, alpha)

    def update(self) -> None:
        engine = self.engine
        if self.in_place:
            engine.apply()
        else:
            self.step(engine.net, engine.dW, engine.db, 1.0)


class _FullBatch(_Steps):
    """The document's batch gradient descent: one update per iteration, over all m samples.

    ``loss()`` (J after an iteration) runs forward and backward at the new weights, so
    the next iteration (a call) only applies the update. The gradient is recomputed if
    the weights changed after ``loss()`` (a callback may change them).
    """

    def __init__(self, engine, X, Y, alpha, mean, l2, step, max_iter) -> None:
        super().__init__(engine, X, Y, l2, step)
        m = X.shape[1]
        self.scale = 1.0 / m if mean else 1.0
        self.alpha = alpha * self.scale  # the step on the summed gradient: α/m under "mean"
        self.max_iter, self.updates = max_iter, 0
        net = engine.net
        self.W_at = {l: np.empty_like(W) for l, W in net.W.items()}
        self.b_at = {l: np.empty_like(b) for l, b in net.b.items()}
        self.pending = False  # engine.dW, db hold the gradient at W_at, b_at

    def _pending(self) -> bool:
        net = self.engine.net
        return self.pending and all(
            np.array_equal(net.W[l], self.W_at[l]) and np.array_equal(net.b[l], self.b_at[l])
            for l in self.W_at
        )

    def __call__(self) -> None:
        if not self._pending():
            self.gradient(slice(None), self.alpha)
        self.pending = False
        self.update()
        self.updates += 1

    def loss(self) -> float:
        net = self.engine.net
        if self.updates < self.max_iter:  # forward, J, and the next iteration's gradient
            J = self.gradient(slice(None), self.alpha, want_J=True)
            for l in self.W_at:
                np.copyto(self.W_at[l], net.W[l])
                np.copyto(self.b_at[l], net.b[l])
            self.pending = True
        else:  # no iteration follows the last one
            J = self.engine.run(self.X, self.Y, slice(None), False, True)
        if self.l2:
            J += l2_penalty(net.W, self.l2)
        return J * self.scale


class _MiniBatch(_Steps):
    """Mini-batch (k < m) and stochastic (k = 1) gradient descent: ⌈m/k⌉ updates per iteration."""

    def __init__(self, engine, X, Y, alpha, k, mean, l2, rng, shuffle, step) -> None:
        super().__init__(engine, X, Y, l2, step)
        self.alpha, self.k, self.mean, self.rng, self.shuffle = alpha, k, mean, rng, shuffle

    def __call__(self) -> None:
        m, k = self.X.shape[1], self.k
        # The same draws from rng as the readable path, so the same batches.
        order = self.rng.permutation(m) if self.shuffle else None
        for start in range(0, m, k):
            stop = min(start + k, m)
            # α on the batch's summed gradient: α/k' under "mean" (k' = this batch's size)
            alpha = self.alpha / (stop - start) if self.mean else self.alpha
            self.gradient(slice(start, stop) if order is None else order[start:stop], alpha)
            self.update()

    def loss(self) -> float:
        J = self.engine.run(self.X, self.Y, slice(None), False, True)
        if self.l2:
            J += l2_penalty(self.engine.net.W, self.l2)
        return J / self.X.shape[1] if self.mean else J


def trainer(
    net: Network,
    X: Array,
    Y: Array,
    alpha: float,
    k: int,
    reduction: str,
    l2: float,
    rng: np.random.Generator,
    shuffle: bool,
    step: Callable,
    max_iter: int,
    chunk: int = CHUNK,
) -> _FullBatch | _MiniBatch:
    """One iteration of ``bp.train`` (a call) and J after it (``.loss()``), by an ``Engine``.

    A call makes the ⌈m/k⌉ updates of one pass over the samples by the update rule
    ``step`` (``bp.update``, applied in place; see ``_Steps``); ``.loss()`` returns J
    over all m samples at the current weights, with the reduction and the L2
    penalty, as ``bp.loss`` does. With k < m the samples are shuffled with ``rng``
    exactly as the readable path shuffles them (unless ``shuffle`` is False).
    ``max_iter`` only spares the gradient after the last iteration.
    """
    engine = Engine(net, min(chunk, k, X.shape[1]))  # buffers no wider than a batch
    mean = reduction == "mean"
    if k >= X.shape[1]:
        return _FullBatch(engine, X, Y, alpha, mean, l2, step, max_iter)
    return _MiniBatch(engine, X, Y, alpha, k, mean, l2, rng, shuffle, step)
