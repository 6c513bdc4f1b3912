r"""Gradient descent: the batches of the m columns, and one iteration over them.

The document's update (``update``, from ``bp.optimizers``), for l = 2..L, over
the m samples:

    W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T,    b^l ← b^l − α Σ_i δ^{i,l}.

Batch gradient descent makes one such update per iteration over all m
samples; mini-batch descent one per batch of k samples (⌈m/k⌉ per iteration);
stochastic descent one per sample (k = 1).

``Workspace`` holds the arrays that one ``bp.train`` call writes into: z^l,
a^l and δ^l for a batch, and the gradients. They are allocated once, so the
formulas of ``bp.propagation`` run without allocating. A batch wider than
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
from bp.optimizers import OPTIMIZERS, OptimizerState, update  # noqa: F401 (bp.descent.update)
from bp.propagation import backward, forward, layer_gradients
from bp.regularization import dropout_masks

Array = np.ndarray

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
    """The buffers of one training run: z^l, a^l, δ^l per batch width, and ∂J/∂W^l, ∂J/∂b^l."""

    def __init__(self, net: Network, X: Array, Y: Array, chunk: int = CHUNK) -> None:
        self.net, self.chunk = net, chunk
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
    net: Network, X: Array, Y: Array, cols: Array | slice, work: Workspace, l2: float = 0.0,
    masks: dict[int, Array] | None = None, grad: bool = True, want_J: bool = True,
) -> Any:  # fmt: skip
    r"""J summed over the samples ``cols`` (if ``want_J``), and (if ``grad``) its gradient.

    The gradient of that sum, Σ_i δ^{i,l} (a^{i,l-1})^T + λ W^l and Σ_i δ^{i,l}, goes
    to ``work.dW`` and ``work.db``, in chunks of at most ``work.chunk`` columns.
    """
    J: Any = 0.0 if want_J else None
    for offset, part in _chunks(cols, X.shape[1], work.chunk):
        z, a, delta, x, y = work.layers(w := _width(part, X.shape[1]))
        x, y = _columns(X, part, x), _columns(Y, part, y)
        part_masks = masks and {l: M[:, offset : offset + w] for l, M in masks.items()}
        forward(net, x, z, a, part_masks)
        if want_J:
            J = J + objective(net, z[net.L], a[net.L], y)
        if grad:
            backward(net, z, a, y, delta, part_masks)
            dW, db = (work.dW, work.db) if offset == 0 else work.partials()
            layer_gradients(net, delta, a, l2 if offset == 0 else 0.0, dW, db)
            for l in dW if offset else ():
                work.dW[l] += dW[l]
                work.db[l] += db[l]
    return J


def _width(cols: Array | slice, m: int) -> int:
    if isinstance(cols, slice):
        start, stop, _ = cols.indices(m)
        return stop - start
    return len(cols)


def epoch(
    net: Network, X: Array, Y: Array, alpha: float, k: int, work: Workspace,
    rng: np.random.Generator | None = None, reduction: str = "sum", l2: float = 0.0,
    dropout: tuple[float, np.random.Generator] | None = None, want_J: bool = False,
    optimizer=OPTIMIZERS["gd"], state: OptimizerState | None = None,
) -> Any:  # fmt: skip
    r"""One iteration: the ⌈m/k⌉ updates of one pass over the m samples (shuffled by ``rng``).

    ``dropout`` is (p, rng) or None. Returns the sum of the batches' J, each from its
    own forward pass, if ``want_J``.
    """
    J: Any = 0.0 if want_J else None
    for cols in batches(X.shape[1], k, rng):
        k_batch = cols.stop - cols.start if isinstance(cols, slice) else len(cols)
        masks = dropout and dropout_masks(net, k_batch, *dropout)
        J_batch = batch_gradients(net, X, Y, cols, work, l2, masks, want_J=want_J)
        J = J + J_batch if want_J else None
        # W^l ← W^l − α ∂J/∂W^l (GD: the document's rule), ∂J/∂W^l of the mean: Σ/k
        optimizer.step(
            net, work.dW, work.db, alpha, state, 1 / k_batch if reduction == "mean" else 1
        )
    return J
