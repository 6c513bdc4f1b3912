r"""Gradient descent: the batches of the m columns, and one iteration over them.

The document's update (``bp.optimizers.update``), for l = 2..L, over the m samples:

    W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T,    b^l ← b^l − α Σ_i δ^{i,l}.

Batch gradient descent makes one such update per iteration over all m
samples; mini-batch descent one per batch of k samples (⌈m/k⌉ per iteration);
stochastic descent one per sample (k = 1).

``Workspace`` holds one ``bp.train`` call: its network, data and settings, and
the arrays its formulas write into (z^l, a^l and δ^l for a batch, the
gradients), allocated once rather than for every batch. A batch wider than
``CHUNK`` columns is processed in chunks, and its gradient is the sum of the
chunks' gradients: Δ^l (A^{l-1})^T = Σ_i δ^{i,l} (a^{i,l-1})^T splits into
partial sums. That keeps the buffers small, whatever m is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from bp.losses import objective
from bp.network import Layers, Network
from bp.optimizers import OPTIMIZERS, Optimizer, OptimizerState
from bp.propagation import backward, forward, layer_gradients
from bp.regularization import dropout_masks

Array = np.ndarray
Masks = dict[int, Array] | None
Columns = Array | slice

#: The most samples (columns) that one forward and backward pass processes at once.
#: Wider chunks make larger matrix products; narrower ones keep z, a and δ in cache.
CHUNK = 1024


def batches(m: int, k: int, rng: np.random.Generator | None) -> Iterator[Array | slice]:
    r"""The columns of each batch of one iteration: ⌈m/k⌉ batches of k (the last may be shorter).

    With ``rng`` the m samples are shuffled first, so each iteration sees other
    batches; without it the batches are the columns in order.
    """
    order = None if rng is None or k >= m else rng.permutation(m)
    for start in range(0, m, k):
        yield slice(start, min(start + k, m)) if order is None else order[start : start + k]


class Workspace:
    """One training run: the network, the data, the settings of ``bp.train``, and the buffers
    the formulas write into (z^l, a^l, δ^l per batch width; ∂J/∂W^l, ∂J/∂b^l).

    alpha : the step α; k : the batch size (m: the full batch); reduction : "sum" or
    "mean"; l2 : λ; dropout : p (0: none); rng : shuffles and dropout masks come from
    it; shuffle : shuffle the samples every iteration (mini-batches); optimizer, state :
    the update rule (``bp.optimizers``) and what it remembers; chunk : the most columns
    one forward and backward pass takes at once.
    """

    def __init__(
        self, net: Network, X: Array, Y: Array, *, alpha: float = 1.0, k: int | None = None,
        reduction: str = "sum", l2: float = 0.0, dropout: float = 0.0,
        rng: np.random.Generator | None = None, shuffle: bool = True,
        optimizer: Optimizer | None = None, state: OptimizerState | None = None,
        chunk: int = CHUNK,
    ) -> None:  # fmt: skip
        self.net, self.X, self.Y, self.alpha = net, X, Y, alpha
        self.k = X.shape[1] if k is None else k
        self.mean, self.l2, self.dropout = reduction == "mean", l2, dropout
        self.rng = np.random.default_rng() if rng is None else rng
        self.shuffle, self.chunk = shuffle, min(chunk, self.k)
        self.optimizer: Optimizer = OPTIMIZERS["gd"] if optimizer is None else optimizer
        self.state = state or OptimizerState.zeros(self.optimizer.name, self.optimizer.slots, net)
        self.dW = Layers({l: np.empty_like(W) for l, W in net.W.items()})
        self.db = Layers({l: np.empty_like(b) for l, b in net.b.items()})
        self.partial: tuple[Layers, Layers] | None = None  # one chunk's gradients, to add
        self.order = (_order(X), _order(Y))
        self._width: dict[int, tuple] = {}

    def layers(self, w: int) -> tuple[Layers, Layers, Layers, Array, Array]:
        """z, a, δ, and the gathered x and y, for w columns (allocated once per width)."""
        if w not in self._width:
            net = self.net

            def empty(n: int, order: Any = "C") -> Array:
                return np.empty((n, w), net.dtype, order=order, like=net.W[2])

            z, a, delta = (Layers({l: empty(net.n(l)) for l in net.W}) for _ in range(3))
            x, y = empty(net.n(1), self.order[0]), empty(net.n(net.L), self.order[1])
            self._width[w] = (z, a, delta, x, y)
        return self._width[w]

    def partials(self) -> tuple[Layers, Layers]:
        """A second set of gradient buffers, for the chunks after the first."""
        if self.partial is None:
            self.partial = (
                Layers({l: np.empty_like(W) for l, W in self.dW.items()}),
                Layers({l: np.empty_like(b) for l, b in self.db.items()}),
            )
        return self.partial


def _order(M: Array) -> str:
    """The layout in which M's columns (samples) are gathered fastest."""
    return "F" if M.flags.f_contiguous and not M.flags.c_contiguous else "C"


def _columns(M: Array, cols: Array | slice, out: Array) -> Array:
    """M[:, cols], gathered into ``out`` (a view when cols is a slice)."""
    if isinstance(cols, slice):
        return M[:, cols]
    if not isinstance(M, np.ndarray):  # on a GPU: the indices go there too
        return M[:, np.asarray(cols, like=M)]
    if out.flags.f_contiguous and not out.flags.c_contiguous:  # each sample contiguous
        M.T.take(cols, axis=0, out=out.T, mode="clip")
    else:
        M.take(cols, axis=1, out=out, mode="clip")
    return out


def _chunks(cols: Array | slice, m: int, chunk: int) -> Iterator[tuple[int, Array | slice]]:
    """(offset, columns) of each chunk of at most ``chunk`` of the columns ``cols``."""
    if isinstance(cols, np.ndarray) and len(cols) <= chunk:
        yield 0, cols
    elif isinstance(cols, slice):
        start, stop, _ = cols.indices(m)
        for s in range(start, stop, chunk):
            yield s - start, slice(s, min(s + chunk, stop))
    else:
        for s in range(0, len(cols), chunk):
            yield s, cols[s : s + chunk]


def batch_gradients(
    work: Workspace, cols: Columns, masks: Masks = None, grad: bool = True, want_J: bool = True
) -> Any:
    r"""J summed over the samples ``cols`` (if ``want_J``), and (if ``grad``) its gradient.

    The gradient of that sum, Σ_i δ^{i,l} (a^{i,l-1})^T + λ W^l and Σ_i δ^{i,l}, goes
    to ``work.dW`` and ``work.db``, in chunks of at most ``work.chunk`` columns.
    """
    net, J = work.net, 0.0 if want_J else None
    for offset, part in _chunks(cols, work.X.shape[1], work.chunk if grad else CHUNK):
        z, a, delta, x, y = work.layers(w := _width(part, work.X.shape[1]))
        x, y = _columns(work.X, part, x), _columns(work.Y, part, y)
        part_masks = masks and {l: M[:, offset : offset + w] for l, M in masks.items()}
        forward(net, x, z, a, part_masks)
        if want_J:
            J = J + objective(net, z[net.L], a[net.L], y)
        if grad:
            backward(net, z, a, y, delta, part_masks)
            dW, db = (work.dW, work.db) if offset == 0 else work.partials()
            layer_gradients(net, delta, a, work.l2 if offset == 0 else 0.0, dW, db)
            for l in dW if offset else ():
                work.dW[l] += dW[l]
                work.db[l] += db[l]
    return J


def _width(cols: Array | slice, m: int) -> int:
    if isinstance(cols, slice):
        start, stop, _ = cols.indices(m)
        return stop - start
    return len(cols)


def epoch(work: Workspace, want_J: bool = False) -> Any:
    r"""One iteration: the ⌈m/k⌉ updates of one pass over the m samples, batch by batch.

    Returns the sum of the batches' J, each from its own forward pass, if ``want_J``.
    """
    net, m, J = work.net, work.X.shape[1], 0.0 if want_J else None
    for cols in batches(m, work.k, work.rng if work.shuffle else None):
        k = _width(cols, m)
        masks = dropout_masks(net, k, work.dropout, work.rng) if work.dropout else None
        J_batch = batch_gradients(work, cols, masks, want_J=want_J)
        J = J + J_batch if want_J else None
        # W^l ← W^l − α ∂J/∂W^l (the document's rule, or the optimizer's); "mean": ∂J/∂W^l = Σ/k
        work.optimizer.step(net, work.dW, work.db, work.alpha, work.state, k if work.mean else 1)
    return J
