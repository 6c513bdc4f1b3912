r"""Activation functions σ and their derivatives σ'.

The document never fixes σ: it writes a^l = σ(z^l) and uses σ'(z^l) through a
Hadamard product. Every activation here is elementwise, so σ'(z) has the shape
of z and the Hadamard product ⊙ is NumPy's ``*``.

Each function takes an optional ``out=`` array of z's shape and writes its
result there (``out=z`` computes in place). Each σ' takes z and, optionally,
a = σ(z) from the forward pass, from which σ'(z) needs no second exponential:
σ'(z) = a(1 − a) for the sigmoid, 1 − a² for tanh. ``bp.train`` passes σ the
buffers it allocated once; called with one argument, each function returns a new
array, as in the notebooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray

#: The slope of leaky ReLU for z ≤ 0.
LEAKY_SLOPE = 0.01


def sigmoid(z: Array, out: Array | None = None) -> Array:
    r"""σ(z) = 1 / (1 + e^{−z}).

    For z < −709, e^{−z} overflows to inf and σ(z) = 1/(1 + inf) = 0, which is
    the right answer (σ(−709) ≈ 1e-308), so the overflow is not reported; nor is
    the underflow of e^{−z} to 0 for z > 745, where σ(z) = 1.
    """
    out = np.empty_like(z) if out is None else out
    with np.errstate(over="ignore", under="ignore"):
        # e^{−z}
        np.exp(np.negative(z, out=out), out=out)
    # σ(z) = 1 / (1 + e^{−z})
    np.add(out, 1.0, out=out)
    return np.divide(1.0, out, out=out)


def sigmoid_prime(z: Array, a: Array | None = None, out: Array | None = None) -> Array:
    r"""σ'(z) = σ(z)(1 − σ(z)).

    Pass ``a`` = σ(z) when the forward pass has it: then no exponential is needed.
    Where σ(z) has rounded to 1 (from z ≈ 36.7 in float64), 1 − σ(z) and so σ'(z)
    are 0; the exact value there is at most 1.1e-16, under anything training sees.
    """
    if a is None:
        a = sigmoid(z)
    out = np.empty_like(z) if out is None else out
    # σ'(z) = σ(z)(1 − σ(z))
    np.subtract(1.0, a, out=out)
    return np.multiply(a, out, out=out)


def tanh(z: Array, out: Array | None = None) -> Array:
    r"""σ(z) = tanh z = (e^{z} − e^{−z}) / (e^{z} + e^{−z})."""
    return np.tanh(z, out=out)


def tanh_prime(z: Array, a: Array | None = None, out: Array | None = None) -> Array:
    r"""σ'(z) = 1 − tanh² z (from ``a`` = tanh z when it is given)."""
    out = np.empty_like(z) if out is None else out
    np.square(np.tanh(z, out=out) if a is None else a, out=out)
    return np.subtract(1.0, out, out=out)


def relu(z: Array, out: Array | None = None) -> Array:
    r"""σ(z) = max(0, z)."""
    return np.maximum(z, 0.0, out=out)


def relu_prime(z: Array, a: Array | None = None, out: Array | None = None) -> Array:
    r"""σ'(z) = 1 for z > 0, else 0 (the subgradient 0 is taken at z = 0); ``a`` is not needed."""
    if out is None:
        out = np.empty_like(z)
    return np.greater(z, 0.0, out=out)


def leaky_relu(z: Array, out: Array | None = None) -> Array:
    r"""σ(z) = z for z > 0, else 0.01 z: a ReLU whose negative side still passes a gradient."""
    # max(z, 0.01 z) is z for z > 0 and 0.01 z otherwise
    slope_z = np.multiply(z, LEAKY_SLOPE)
    return np.maximum(z, slope_z, out=out)


def leaky_relu_prime(z: Array, a: Array | None = None, out: Array | None = None) -> Array:
    r"""σ'(z) = 1 for z > 0, else 0.01 (``a`` is not needed)."""
    if out is None:
        out = np.empty_like(z)
    np.greater(z, 0.0, out=out)
    return np.maximum(out, LEAKY_SLOPE, out=out)


def identity(z: Array, out: Array | None = None) -> Array:
    r"""σ(z) = z: a linear output layer, for regression (a copy of z, or z written into out)."""
    return np.positive(z, out=out)


def identity_prime(z: Array, a: Array | None = None, out: Array | None = None) -> Array:
    r"""σ'(z) = 1."""
    if out is None:
        return np.ones_like(z)
    out.fill(1.0)
    return out


def softmax(z: Array, out: Array | None = None) -> Array:
    r"""a_k = e^{z_k} / Σ_j e^{z_j}, column by column: each column of a sums to 1.

    Subtracting the column's largest z first leaves a unchanged and keeps every
    exponent ≤ 0, so nothing overflows. Softmax is not elementwise: a_k depends
    on every z_j, so it has a Jacobian, not a σ'. bp uses it only as the output
    of the log-likelihood loss, where δ^L = a^L − y needs no σ'.
    """
    out = np.empty_like(z) if out is None else out
    # e^{z_k − max_j z_j}
    np.subtract(z, z.max(axis=0, keepdims=True), out=out)
    np.exp(out, out=out)
    # ÷ Σ_j e^{z_j − max_j z_j}
    return np.divide(out, out.sum(axis=0, keepdims=True), out=out)


@dataclass(frozen=True)
class Activation:
    """An activation by name: σ and σ' side by side (σ' is None only for SOFTMAX)."""

    name: str
    sigma: Callable[..., Array]
    sigma_prime: Callable[..., Array]


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", sigmoid, sigmoid_prime),
        Activation("tanh", tanh, tanh_prime),
        Activation("relu", relu, relu_prime),
        Activation("leaky_relu", leaky_relu, leaky_relu_prime),
        Activation("identity", identity, identity_prime),
    )
}

#: Softmax, allowed only as an output activation (with loss="log_likelihood").
SOFTMAX = Activation("softmax", softmax, None)  # type: ignore[arg-type]
