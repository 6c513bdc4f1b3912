r"""Loss functions J and their gradients ∂J/∂a^L.

The document measures the error of one sample with the mean squared error

    J(W, b, x, y) = ½ ‖a^L − y‖₂²,

the squared L2 norm of the output error. Over m samples (columns of A and Y)
the document's batch algorithm sums: J = Σ_i ½ ‖a^{i,L} − y_i‖₂².
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


@dataclass(frozen=True)
class Loss:
    """A loss by name: J (summed over samples) and ∂J/∂a^L side by side."""

    name: str
    J: Callable[[Array, Array], float]
    dJ_da: Callable[[Array, Array], Array]


LOSSES: dict[str, Loss] = {loss.name: loss for loss in (Loss("mse", mse, mse_prime),)}


def get_loss(name: str) -> Loss:
    """Look a loss up by name; unknown names get a list of the known ones."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in LOSSES)
        raise ValueError(f"loss={name!r} is not a known loss; expected one of {known}") from None
