r"""The network: layer sizes, the weights W^l and the biases b^l.

The document numbers layers 1..L, with layer 1 the input. Layer l ≥ 2 has a
weight matrix W^l of shape (n_l, n_{l-1}) and a bias column b^l of shape
(n_l, 1), so that z^l = W^l a^{l-1} + b^l. bp indexes them by the document's l:
``net.W[2]`` is the first weight matrix and ``net.W[net.L]`` the last.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bp import _checks
from bp.activations import Activation
from bp.losses import Loss

#: The initialisations, with the fan that W^l_jk ~ N(0, 1/fan) uses.
INITS = ("normal", "xavier", "he")


class Layers(dict):
    """A dict keyed by the document's layer number l (W, b, z, delta: 2..L; a: 1..L)."""

    def __missing__(self, l):
        raise KeyError(f"no layer {l!r} here: the layers are l = {list(self)}")


class Network:
    r"""A fully connected network with layers l = 1..L.

    Parameters
    ----------
    sizes : the number of neurons n_1, ..., n_L of every layer, input first
        (n_1 = n_in) and output last (n_L = n_out); at least two layers.
    activation : σ of the hidden layers 2..L-1 (``"sigmoid"``, ``"tanh"``,
        ``"relu"``, ``"leaky_relu"`` or ``"identity"``).
    output_activation : σ of the output layer L; ``None`` means the same as
        ``activation``, as in the document, which uses one σ throughout.
    loss : the loss J by name; ``"mse"`` is the document's ½‖a^L − y‖²;
        ``"cross_entropy"`` needs a sigmoid output, ``"log_likelihood"`` a
        ``"softmax"`` output (for both, δ^L = a^L − y).
    seed : seeds the initialisation; the same seed gives the same W and b.
    init : how W^l and b^l are drawn (the document only says "random values"):

        - ``"normal"`` (default): W^l_jk ~ N(0, 1/n_{l-1}), b^l_j ~ N(0, 1), the
          choice of Nielsen's ``network2.py``: scaling by 1/√n_{l-1} keeps each
          z^l of order one, so a sigmoid does not start saturated;
        - ``"xavier"`` (Glorot): W^l_jk ~ N(0, 2/(n_{l-1} + n_l)), b^l = 0,
          which keeps the variance of a^l and of δ^l alike across layers for
          sigmoid and tanh;
        - ``"he"``: W^l_jk ~ N(0, 2/n_{l-1}), b^l = 0, for ReLU, which zeroes
          half of its inputs and so halves the variance (the 2 restores it).
    dtype : float64 (default) or float32, for every parameter and computation.

    The attributes ``activation``, ``output_activation`` and ``loss`` hold the
    chosen functions (each with its ``.name``).
    """

    def __init__(
        self, sizes: Sequence[int], activation: str = "sigmoid",
        output_activation: str | None = None, loss: str = "mse",
        seed: int | np.random.Generator | None = None,
        init: str = "normal", dtype=np.float64,
    ) -> None:  # fmt: skip
        self.sizes = _checks.sizes(sizes)
        #: The number of layers, input and output included.
        self.L = len(self.sizes)
        self.activation: Activation = _checks.activation(activation)
        self.output_activation: Activation = _checks.activation(
            activation if output_activation is None else output_activation, "output_activation"
        )
        self.loss: Loss = _checks.loss_pair(loss, self.output_activation)
        self.dtype = _checks.dtype(dtype)
        init = _checks.choice("init", init, INITS)
        rng = np.random.default_rng(_checks.seed(seed))
        self.W, self.b = Layers(), Layers()
        for l in range(2, self.L + 1):
            n, n_prev = self.n(l), self.n(l - 1)
            # W^l_jk ~ N(0, 1/fan), with the fan of the chosen init
            fan = {"normal": n_prev, "xavier": (n_prev + n) / 2, "he": n_prev / 2}[init]
            self.W[l] = (rng.standard_normal((n, n_prev)) / np.sqrt(fan)).astype(self.dtype)
            b = rng.standard_normal((n, 1)) if init == "normal" else np.zeros((n, 1))
            self.b[l] = b.astype(self.dtype)

    def n(self, l: int) -> int:
        """n_l, the number of neurons of layer l (1-based, as in the document)."""
        return self.sizes[l - 1]

    def activation_of(self, l: int) -> Activation:
        """σ of layer l: the output activation for l = L, the hidden one otherwise."""
        return self.output_activation if l == self.L else self.activation

    def to(self, xp) -> Network:
        """A copy whose W^l and b^l live with the array library ``xp``.

        ``"cupy"`` moves them to the GPU (``cupy.asarray``), ``"numpy"`` back to the
        host (``.get()``); a module with an ``asarray`` function also works.
        """
        if isinstance(xp, str) and xp == "numpy":
            move = _checks.host
        else:
            move = _checks.array_module(xp).asarray
        new = self.copy()
        new.W = Layers({l: move(W) for l, W in self.W.items()})
        new.b = Layers({l: move(b) for l, b in self.b.items()})
        return new

    def copy(self) -> Network:
        """An independent copy with equal weights (to train two ways from one start)."""
        new = object.__new__(Network)
        new.__dict__.update(self.__dict__)
        new.W = Layers({l: W.copy() for l, W in self.W.items()})
        new.b = Layers({l: b.copy() for l, b in self.b.items()})
        return new

    def __repr__(self) -> str:
        return (
            f"Network(sizes={self.sizes}, activation={self.activation.name!r}, "
            f"output_activation={self.output_activation.name!r}, loss={self.loss.name!r}, "
            f"dtype={self.dtype.name!r})"
        )
