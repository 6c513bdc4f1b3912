r"""Activation functions σ and their derivatives σ'.

The document never fixes σ: it writes a^l = σ(z^l) and uses σ'(z^l) through a
Hadamard product, "because we do not know the form of the activation". Every
activation here is elementwise, so σ'(z) is a vector of the same shape as z and
the Hadamard product ⊙ is NumPy's ``*``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def sigmoid(z: Array) -> Array:
    r"""σ(z) = 1 / (1 + e^{-z}), computed without overflow in either tail.

    For z ≥ 0 it uses 1 / (1 + e^{-z}); for z < 0 the equal form
    e^{z} / (1 + e^{z}). Both only ever exponentiate a non-positive number,
    so z = ±1000 gives 0 and 1 with no warning. e^{-|z|} underflows to 0 for
    |z| > 745, which is the right answer, so underflow is not reported.
    """
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_prime(z: Array) -> Array:
    r"""σ'(z) = σ(z) σ(−z).

    The textbook σ(z)(1 − σ(z)) loses every digit where σ(z) ≈ 1, since
    1 − σ(z) is then a difference of nearly equal numbers; σ(−z) is computed
    directly and keeps full relative accuracy (σ'(40) ≈ 4.2e-18, not 0).
    """
    return sigmoid(z) * sigmoid(-z)


def tanh(z: Array) -> Array:
    r"""σ(z) = tanh(z) = (e^{z} − e^{-z}) / (e^{z} + e^{-z})."""
    return np.tanh(z)


def tanh_prime(z: Array) -> Array:
    r"""σ'(z) = 1 − tanh²(z)."""
    return 1.0 - np.tanh(z) ** 2


def relu(z: Array) -> Array:
    r"""σ(z) = max(0, z)."""
    return np.maximum(z, 0.0)


def relu_prime(z: Array) -> Array:
    r"""σ'(z) = 1 for z > 0, else 0 (the subgradient 0 is taken at z = 0)."""
    return (z > 0).astype(z.dtype)


LEAKY_SLOPE = 0.01


def leaky_relu(z: Array) -> Array:
    r"""σ(z) = z for z > 0, else 0.01 z: a ReLU whose negative side still passes a gradient."""
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def leaky_relu_prime(z: Array) -> Array:
    r"""σ'(z) = 1 for z > 0, else 0.01."""
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)


def identity(z: Array) -> Array:
    r"""σ(z) = z: a linear output layer, for regression."""
    return z


def identity_prime(z: Array) -> Array:
    r"""σ'(z) = 1."""
    return np.ones_like(z)


def softmax(z: Array) -> Array:
    r"""a_k = e^{z_k} / Σ_j e^{z_j}, column by column: each column of a sums to 1.

    Subtracting the column's largest z first leaves a unchanged and keeps every
    exponent ≤ 0, so nothing overflows. Softmax is not elementwise: a_k depends
    on every z_j, so it has a Jacobian, not a σ'. bp uses it only as the output
    of the log-likelihood loss, where δ^L = a^L − y needs no σ'.
    """
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@dataclass(frozen=True)
class Activation:
    """An activation by name: σ and σ' side by side (σ' is None for softmax)."""

    name: str
    sigma: Callable[[Array], Array]
    sigma_prime: Callable[[Array], Array] | None


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


SOFTMAX = Activation("softmax", softmax, None)


def get_activation(name: str, argument: str = "activation") -> Activation:
    """Look an activation up by name; unknown names get a list of the known ones.

    ``"softmax"`` exists only as an ``output_activation``.
    """
    if name == "softmax":
        if argument == "output_activation":
            return SOFTMAX
        raise ValueError(
            f"{argument}='softmax' is not allowed: softmax is not elementwise, so bp uses it "
            "only as output_activation, with loss='log_likelihood'"
        )
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(
            f"{argument}={name!r} is not a known activation; expected one of {known}"
        ) from None
