r"""Gradient descent: the batches of the m columns, and one iteration over them.

The document's update (``bp.optimizers.update``), for l = 2..L, over the m samples:

    W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T,    b^l ← b^l − α Σ_i δ^{i,l}.

Batch gradient descent makes one such update per iteration over all m
samples; mini-batch descent one per batch of k samples (⌈m/k⌉ per iteration);
stochastic descent one per sample (k = 1). All three are ``epoch``: the
document's full batch is one batch of k = m columns.

``epoch`` gets three things apart, as scikit-learn's ``_backprop`` gets its
buffer lists:

- ``Settings``: the hyperparameters (α, k, the reduction, λ, the weight decay,
  dropout, shuffling, the optimizer), fixed for a run;
- ``RunState``: what a run changes besides the weights (the random generator,
  the optimizer's memory);
- ``Buffers``: the arrays the formulas write into (z^l, a^l, δ^l per batch
  width, the gradients), allocated once per ``bp.train`` call. A batch wider
  than ``CHUNK`` columns is processed in chunks (``Buffers.chunks``), and its
  gradient is the sum of the chunks' gradients: Δ^l (A^{l-1})^T =
  Σ_i δ^{i,l} (a^{i,l-1})^T splits into partial sums. That keeps the buffers
  small, whatever m is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from bp.losses import objective, objective_gradient
from bp.network import Layers, Network
from bp.optimizers import GD, Optimizer, OptimizerState
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


@dataclass(frozen=True)
class Settings:
    """The hyperparameters of one run: what an iteration does (``bp.train``'s arguments).

    alpha : the step α; batch_size : k (None: the full batch of m); reduction : "sum"
    or "mean"; l2 : λ (divided with J under "mean"); weight_decay : λ_wd (PyTorch's:
    added to the reduced gradient); dropout : p (0: none); shuffle : shuffle the
    samples every iteration (mini-batches); optimizer : the update rule.
    """

    alpha: float
    batch_size: int | None = None
    reduction: str = "sum"
    l2: float = 0.0
    weight_decay: float = 0.0
    dropout: float = 0.0
    shuffle: bool = True
    optimizer: Optimizer = field(default_factory=GD)


@dataclass
class RunState:
    """What a run changes besides the weights: the random generator (shuffles, dropout
    masks) and the optimizer's memory (``bp.optimizers.OptimizerState``)."""

    rng: np.random.Generator
    optimizer: OptimizerState

    @classmethod
    def fresh(cls, net: Network, optimizer: Optimizer, seed: Any = None) -> RunState:
        """A generator from ``seed`` and a zero optimizer state for ``net``."""
        state = OptimizerState.zeros(optimizer.name, optimizer.slots, net)
        return cls(np.random.default_rng(seed), state)


class Chunk(NamedTuple):
    """One chunk of a batch: its gathered columns x, y, the buffers z, a, δ of its width,
    the gradient buffers it writes (the batch's own for the first chunk), its dropout
    masks, and a column of ones of its width (for Σ_i δ^{i,l} = δ^l 1)."""

    x: Array
    y: Array
    z: Layers
    a: Layers
    delta: Layers
    dW: Layers
    db: Layers
    masks: Masks
    ones: Array


class Buffers:
    """The arrays that the formulas of one ``bp.train`` call write into: z^l, a^l, δ^l
    and the gathered x and y for each batch width, and the gradients ∂J/∂W^l, ∂J/∂b^l
    (``dW``, ``db``). No hyperparameter lives here.

    X, Y : the data (their layout decides how batches are gathered); k : the widest
    batch; chunk : the most columns one forward and backward pass takes at once.
    """

    def __init__(self, net: Network, X: Array, Y: Array, k: int, chunk: int = CHUNK) -> None:
        self.net, self.chunk = net, min(chunk, k)
        self.dW = Layers({l: np.empty_like(W) for l, W in net.W.items()})
        self.db = Layers({l: np.empty_like(b) for l, b in net.b.items()})
        self.partial: tuple[Layers, Layers] | None = None  # a later chunk's gradients, to add
        #: True when dW, db hold the summed gradient of the full batch at today's weights
        #: (``bp.train`` computed it with J after the last update); ``chunks`` then skips it.
        self.ahead = False
        self.order = (_order(X), _order(Y))
        self._width: dict[int, tuple] = {}

    def layers(self, w: int) -> tuple[Layers, Layers, Layers, Array, Array, Array]:
        """z, a, δ, the gathered x and y, and a column of w ones, for w columns (allocated
        once per width)."""
        if w not in self._width:
            net = self.net

            def empty(n: int, order: Any = "C") -> Array:
                return np.empty((n, w), net.dtype, order=order, like=net.W[2])

            z, a, delta = (Layers({l: empty(net.n(l)) for l in net.W}) for _ in range(3))
            x, y = empty(net.n(1), self.order[0]), empty(net.n(net.L), self.order[1])
            ones = np.ones((w, 1), net.dtype, like=net.W[2])
            self._width[w] = (z, a, delta, x, y, ones)
        return self._width[w]

    def partials(self) -> tuple[Layers, Layers]:
        """A second set of gradient buffers, for the chunks after the first."""
        if self.partial is None:
            self.partial = (
                Layers({l: np.empty_like(W) for l, W in self.dW.items()}),
                Layers({l: np.empty_like(b) for l, b in self.db.items()}),
            )
        return self.partial

    def chunks(
        self, X: Array, Y: Array, cols: Columns, masks: Masks = None, forward_only: bool = False
    ) -> Iterator[Chunk]:
        """The chunks of at most ``self.chunk`` columns of the batch ``cols``, gathered. After
        each chunk but the first is used, its gradients are added to ``dW``, ``db``: at the
        end they hold the batch's summed gradient.

        Yields nothing (and clears ``ahead``) when ``ahead`` says that ``dW``, ``db``
        already hold this full batch's gradient at today's weights. ``forward_only``
        (a J-only pass): chunks of ``CHUNK`` columns, and no gradients.
        """
        m = X.shape[1]
        if self.ahead and not forward_only and _width(cols, m) == m:
            self.ahead = False
            return
        for offset, part in _chunks(cols, m, CHUNK if forward_only else self.chunk):
            z, a, delta, x, y, ones = self.layers(w := _width(part, m))
            dW, db = (self.dW, self.db) if offset == 0 or forward_only else self.partials()
            part_masks = masks and {l: M[:, offset : offset + w] for l, M in masks.items()}
            x, y = _columns(X, part, x), _columns(Y, part, y)
            yield Chunk(x, y, z, a, delta, dW, db, part_masks, ones)
            if offset and not forward_only:
                for l in dW:
                    self.dW[l] += dW[l]
                    self.db[l] += db[l]


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


def _width(cols: Array | slice, m: int) -> int:
    if isinstance(cols, slice):
        start, stop, _ = cols.indices(m)
        return stop - start
    return len(cols)


def batch_gradients(
    net: Network,
    X: Array,
    Y: Array,
    cols: Columns,
    buffers: Buffers,
    masks: Masks = None,
    want_J: bool = True,
) -> Any:
    r"""J = Σ_i J_i over the samples ``cols`` (0 unless ``want_J``), and its gradient
    Σ_i δ^{i,l} (a^{i,l-1})^T and Σ_i δ^{i,l}, into ``buffers.dW`` and ``buffers.db``.

    Chunk by chunk (``buffers.chunks`` gathers the columns and adds the chunks' gradients).
    """
    J = 0.0
    for c in buffers.chunks(X, Y, cols, masks):
        forward(net, c.x, c.z, c.a, c.masks)
        if want_J:
            J = J + objective(net, c.z[net.L], c.a[net.L], c.y)
        backward(net, c.z, c.a, c.y, c.delta, c.masks)
        layer_gradients(net, c.delta, c.a, 0.0, c.dW, c.db, c.ones)
    return J


def data_loss(net: Network, X: Array, Y: Array, buffers: Buffers) -> Any:
    r"""J = Σ_i J_i over all m samples at today's weights: forward passes only, in chunks."""
    J = 0.0
    for c in buffers.chunks(X, Y, slice(None), forward_only=True):
        forward(net, c.x, c.z, c.a)
        J = J + objective(net, c.z[net.L], c.a[net.L], c.y)
    return J


def epoch(
    net: Network,
    X: Array,
    Y: Array,
    settings: Settings,
    state: RunState,
    buffers: Buffers,
    want_J: bool = False,
) -> Any:
    r"""One iteration: the ⌈m/k⌉ updates of one pass over the m samples, batch by batch.

    Returns the sum of the batches' J, each from its own forward pass, if ``want_J``.
    """
    s, m, J = settings, X.shape[1], 0.0
    for cols in batches(m, s.batch_size or m, state.rng if s.shuffle else None):
        k = _width(cols, m)
        masks = dropout_masks(net, k, s.dropout, state.rng) if s.dropout else None
        J = J + batch_gradients(net, X, Y, cols, buffers, masks, want_J)
        # the objective's gradient: (Σ_i ∇J_i + λW^l) ÷ k under "mean", + λ_wd W^l
        objective_gradient(net, buffers.dW, buffers.db, k, s.reduction, s.l2, s.weight_decay)
        # W^l ← W^l − α ∂J/∂W^l (the document's rule, or the optimizer's)
        s.optimizer.step(net, buffers.dW, buffers.db, s.alpha, state.optimizer)
    return J if want_J else None
