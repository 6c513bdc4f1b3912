r"""Loss functions J and their gradients ∂J/∂a^L.

The document measures the error of one sample with the mean squared error

    J(W, b, x, y) = ½ ‖a^L − y‖₂²,

the squared L2 norm of the output error. Over m samples (columns of A and Y)
the document's batch algorithm sums: J = Σ_i ½ ‖a^{i,L} − y_i‖₂².

Its next article adds two losses that pair with an output activation so that
σ'(z^L) cancels from δ^L: cross-entropy with a sigmoid output, and the
log-likelihood with a softmax output. For both, δ^L = a^L − y.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def mse(a: Array, y: Array) -> float:
    r"""J = Σ_i ½ ‖a^{i,L} − y_i‖₂², summed over the columns (samples) of a and y."""
    return 0.5 * float(np.sum((a - y) ** 2))


def mse_prime(a: Array, y: Array) -> Array:
    r"""∂J/∂a^L = a^L − y, one column per sample.

    From J = ½ Σ_k (a_k − y_k)², the derivative with respect to a_k is a_k − y_k:
    the ½ is there so that the 2 of the square cancels.
    """
    return a - y


def cross_entropy(a: Array, y: Array) -> float:
    r"""J = −Σ_i Σ_k [y_k ln a_k + (1 − y_k) ln(1 − a_k)], for outputs a in (0, 1).

    This is the formula as written; it gives inf or NaN (0 · ln 0) where a
    sigmoid output has rounded to exactly 0 or 1. bp evaluates it from z^L
    instead, with ``cross_entropy_from_z``.
    """
    return -float(np.sum(y * np.log(a) + (1 - y) * np.log1p(-a)))


def cross_entropy_from_z(z: Array, y: Array) -> float:
    r"""The cross-entropy of a = σ(z), computed from z without log(0).

    With ln σ(z) = −softplus(−z) and ln(1 − σ(z)) = −softplus(z), where
    softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^{−|z|}):
    J = Σ [softplus(z) − y z].
    """
    softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
    return float(np.sum(softplus - y * z))


def cross_entropy_prime(a: Array, y: Array) -> Array:
    r"""∂J/∂a^L = (a − y) / (a (1 − a)); times σ'(z) = a(1 − a) it leaves δ^L = a − y."""
    return (a - y) / (a * (1 - a))


def log_likelihood(a: Array, y: Array) -> float:
    r"""J = −Σ_i Σ_k y_k ln a_k, for a softmax output a (each column sums to 1).

    As written it gives NaN (0 · ln 0) where some a_k has rounded to 0; bp
    evaluates it from z^L instead, with ``log_likelihood_from_z``.
    """
    return -float(np.sum(y * np.log(a)))


def log_likelihood_from_z(z: Array, y: Array) -> float:
    r"""The log-likelihood of a = softmax(z), computed from z by log-sum-exp.

    ln a_k = z_k − ln Σ_j e^{z_j}, and ln Σ_j e^{z_j} = z_max + ln Σ_j e^{z_j − z_max}
    never overflows, so J = −Σ_k y_k (z_k − logsumexp(z)) is finite for any z.
    """
    z_max = z.max(axis=0, keepdims=True)
    log_a = z - (z_max + np.log(np.exp(z - z_max).sum(axis=0, keepdims=True)))
    return -float(np.sum(y * log_a))


def log_likelihood_prime(a: Array, y: Array) -> Array:
    r"""∂J/∂a^L_k = −y_k / a_k."""
    return -y / a


def output_minus_target(a: Array, y: Array) -> Array:
    r"""δ^L = a^L − y: what δ^L = ∂J/∂z^L becomes when the loss suits the output activation."""
    return a - y


@dataclass(frozen=True)
class Loss:
    """A loss by name: J (summed over samples) and ∂J/∂a^L side by side.

    J_from_z : the same J computed from z^L, where that is more accurate.
    delta_L : δ^L = ∂J/∂z^L in closed form, for a loss paired with its output.
    output : the output activation the loss needs, or None for any.
    """

    name: str
    J: Callable[[Array, Array], float]
    dJ_da: Callable[[Array, Array], Array]
    J_from_z: Callable[[Array, Array], float] | None = None
    delta_L: Callable[[Array, Array], Array] | None = None
    output: str | None = None


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", mse, mse_prime),
        Loss(
            "cross_entropy",
            cross_entropy,
            cross_entropy_prime,
            cross_entropy_from_z,
            output_minus_target,
            "sigmoid",
        ),
        Loss(
            "log_likelihood",
            log_likelihood,
            log_likelihood_prime,
            log_likelihood_from_z,
            output_minus_target,
            "softmax",
        ),
    )
}


def get_loss(name: str) -> Loss:
    """Look a loss up by name; unknown names get a list of the known ones."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in LOSSES)
        raise ValueError(f"loss={name!r} is not a known loss; expected one of {known}") from None
