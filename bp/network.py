r"""The network: layer sizes, the weights W^l and the biases b^l.

The document numbers layers 1..L, with layer 1 the input. Layer l ≥ 2 has a
weight matrix W^l of shape (n_l, n_{l-1}) and a bias column b^l of shape
(n_l, 1), so that z^l = W^l a^{l-1} + b^l. bp indexes them by the document's l:
``net.W[2]`` is the first weight matrix and ``net.W[net.L]`` the last.
"""

from __future__ import annotations

import numbers
import os
import zipfile
from collections.abc import Sequence

import numpy as np

from bp.activations import Activation, get_activation
from bp.losses import Loss, get_loss

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
    dtype : float64 (default) or float32, for every parameter and computation.
    init : how W^l and b^l are drawn (the document only says "random values"):

        - ``"normal"`` (default): W^l_jk ~ N(0, 1/n_{l-1}), b^l_j ~ N(0, 1), the
          choice of Nielsen's ``network2.py``: scaling by 1/√n_{l-1} keeps each
          z^l of order one, so a sigmoid does not start saturated;
        - ``"xavier"`` (Glorot): W^l_jk ~ N(0, 2/(n_{l-1} + n_l)), b^l = 0,
          which keeps the variance of a^l and of δ^l alike across layers for
          sigmoid and tanh;
        - ``"he"``: W^l_jk ~ N(0, 2/n_{l-1}), b^l = 0, for ReLU, which zeroes
          half of its inputs and so halves the variance (the 2 restores it).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        output_activation: str | None = None,
        loss: str = "mse",
        seed: int | None = None,
        dtype: type | str | np.dtype = np.float64,
        init: str = "normal",
    ) -> None:
        self.sizes = _check_sizes(sizes)
        self.hidden: Activation = get_activation(activation)
        self.output: Activation = get_activation(
            activation if output_activation is None else output_activation, "output_activation"
        )
        self.cost: Loss = get_loss(loss)
        _check_pair(self.cost, self.output)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype={dtype!r}; expected float64 or float32")
        if init not in INITS:
            raise ValueError(f"init={init!r}; expected one of {', '.join(map(repr, INITS))}")
        rng = np.random.default_rng(seed)
        self.W: dict[int, np.ndarray] = Layers()
        self.b: dict[int, np.ndarray] = Layers()
        for l in range(2, self.L + 1):
            n_l, n_prev = self.sizes[l - 1], self.sizes[l - 2]
            # W^l_jk ~ N(0, 1/fan), with the fan of the chosen init
            fan = {"normal": n_prev, "xavier": (n_prev + n_l) / 2, "he": n_prev / 2}[init]
            self.W[l] = (rng.standard_normal((n_l, n_prev)) / np.sqrt(fan)).astype(self.dtype)
            b = rng.standard_normal((n_l, 1)) if init == "normal" else np.zeros((n_l, 1))
            self.b[l] = b.astype(self.dtype)

    @property
    def L(self) -> int:
        """The number of layers, input and output included."""
        return len(self.sizes)

    def n(self, l: int) -> int:
        """n_l, the number of neurons of layer l (1-based, as in the document)."""
        return self.sizes[l - 1]

    def activation_of(self, l: int) -> Activation:
        """σ of layer l: the output activation for l = L, the hidden one otherwise."""
        return self.output if l == self.L else self.hidden

    def copy(self) -> Network:
        """An independent copy with equal weights (to train two ways from one start)."""
        new = object.__new__(Network)
        new.__dict__.update(self.__dict__)
        new.W = Layers({l: W.copy() for l, W in self.W.items()})
        new.b = Layers({l: b.copy() for l, b in self.b.items()})
        return new

    def __repr__(self) -> str:
        return (
            f"Network(sizes={self.sizes}, activation={self.hidden.name!r}, "
            f"output_activation={self.output.name!r}, loss={self.cost.name!r}, "
            f"dtype={self.dtype.name!r})"
        )


def _check_pair(loss: Loss, output: Activation) -> None:
    """A loss that cancels σ' needs its own output activation; softmax needs its loss."""
    if loss.output is not None and output.name != loss.output:
        raise ValueError(
            f"loss={loss.name!r} needs output_activation={loss.output!r} "
            f"(δ^L = a^L − y holds only for that pair); got output_activation={output.name!r}"
        )
    if output.sigma_prime is None and loss.output != output.name:
        raise ValueError(
            f"output_activation={output.name!r} needs loss='log_likelihood'; got loss={loss.name!r}"
        )


def _check_sizes(sizes) -> tuple[int, ...]:
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise TypeError(
            f"sizes must be a sequence of layer sizes like (2, 3, 1); got {sizes!r}"
        ) from None
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layers (input and output); got {sizes!r}")
    for l, n in enumerate(sizes, start=1):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(
                f"sizes[{l - 1}] (layer {l}) must be an integer >= 1; got {n!r} in sizes={sizes!r}"
            )
    return tuple(int(n) for n in sizes)


FORMAT = "bp-network-1"
_NAMES = ("activation", "output_activation", "loss", "dtype")


def save(net: Network, path: str | os.PathLike) -> None:
    r"""Write ``net`` to one ``.npz`` file at ``path``.

    It holds the sizes, activations, loss, dtype and every W^l and b^l.

    Only arrays of numbers and strings are stored (no pickle), so loading the
    file runs no code. The file is written whole or not at all.
    """
    arrays = {
        "format": np.array(FORMAT),
        "sizes": np.array(net.sizes),
        "activation": np.array(net.hidden.name),
        "output_activation": np.array(net.output.name),
        "loss": np.array(net.cost.name),
        "dtype": np.array(net.dtype.name),
    }
    for l in range(2, net.L + 1):
        arrays[f"W{l}"], arrays[f"b{l}"] = net.W[l], net.b[l]
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class ModelFileError(ValueError):
    """A file that ``load`` cannot read as a bp network: truncated, corrupt or foreign."""


def load(path: str | os.PathLike) -> Network:
    r"""Read a network written by ``save``; the round trip is exact.

    A missing file raises FileNotFoundError; a truncated, corrupt or foreign
    file raises ModelFileError (a ValueError) saying what is wrong with it.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no bp model file at {path!r}")
    try:
        with np.load(path, allow_pickle=False) as f:
            stored = {key: f[key] for key in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ModelFileError(
            f"{path!r} is not a readable .npz file (truncated or corrupt?): {err}"
        ) from None
    for key, value in stored.items():
        if not isinstance(value, np.ndarray):
            raise ModelFileError(f"{path!r}: entry {key!r} is not a NumPy array (corrupt file?)")
    if stored.get("format", np.array("")).tolist() != FORMAT:
        raise ModelFileError(f"{path!r} is not a bp model file: it has no format={FORMAT!r} entry")
    sizes = stored.get("sizes", np.array([]))
    if sizes.ndim != 1 or not np.issubdtype(sizes.dtype, np.integer):
        raise ModelFileError(f"{path!r}: sizes must be a 1-D integer array; got {sizes!r}")
    try:
        net = Network(
            sizes.tolist(),
            **{key: str(stored[key].item()) for key in _NAMES},
        )
    except (KeyError, ValueError, TypeError) as err:
        raise ModelFileError(f"{path!r} holds no valid bp network: {err}") from None
    for l in range(2, net.L + 1):
        for name, params in (("W", net.W), ("b", net.b)):
            key = f"{name}{l}"
            if key not in stored:
                raise ModelFileError(f"{path!r} is missing {key}, needed for sizes={net.sizes}")
            value = stored[key]
            if value.shape != params[l].shape:
                raise ModelFileError(
                    f"{path!r}: {key} has shape {value.shape}; "
                    f"expected {params[l].shape} for sizes={net.sizes}"
                )
            if not np.issubdtype(value.dtype, np.floating) or not np.isfinite(value).all():
                raise ModelFileError(
                    f"{path!r}: {key} must hold finite floats; got dtype {value.dtype}"
                )
            params[l] = value.astype(net.dtype)
    return net
