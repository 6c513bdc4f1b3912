r"""Loss functions J, their gradients ∂J/∂a^L, and the objective that training minimises.

The document measures the error of one sample with the mean squared error

    J(W, b, x, y) = ½ ‖a^L − y‖₂²,

the squared L2 norm of the output error. Over m samples (columns of A and Y)
the document's batch algorithm sums: J = Σ_i ½ ‖a^{i,L} − y_i‖₂².

Its next article adds two losses that pair with an output activation so that
σ'(z^L) cancels from δ^L: cross-entropy with a sigmoid output, and the
log-likelihood with a softmax output. For both, δ^L = a^L − y. Both are
evaluated from z^L, where a rounded a^L = 0 or 1 cannot make log(0).

Each J returns a 0-d array (a NumPy scalar), summed over the samples, so that
a training loop can add the batches' losses without leaving the array library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bp.regularization import l2_gradient, l2_penalty

if TYPE_CHECKING:  # for the annotations only: bp.network imports this module
    from bp.network import Network

Array = np.ndarray


def mse(z: Array, a: Array, y: Array) -> Array:
    r"""J = Σ_i ½ ‖a^{i,L} − y_i‖₂², summed over the columns (samples) of a and y.

    (z^L is not needed; it is an argument so that every loss is called alike.)
    """
    return 0.5 * np.sum(np.square(a - y))


def mse_prime(a: Array, y: Array, out: Array | None = None) -> Array:
    r"""∂J/∂a^L = a^L − y, one column per sample.

    From J = ½ Σ_k (a_k − y_k)², the derivative with respect to a_k is a_k − y_k:
    the ½ is there so that the 2 of the square cancels.
    """
    return np.subtract(a, y, out=out)


def cross_entropy(z: Array, a: Array, y: Array) -> Array:
    r"""J = −Σ [y ln a + (1 − y) ln(1 − a)] for a = σ(z), computed from z.

    With ln σ(z) = −softplus(−z) and ln(1 − σ(z)) = −softplus(z), where
    softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^{−|z|}):
    J = Σ [softplus(z) − y z]. It is finite for every z, even where a has
    rounded to exactly 0 or 1.
    """
    softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    return np.sum(softplus - y * z)


def log_likelihood(z: Array, a: Array, y: Array) -> Array:
    r"""J = −Σ_i Σ_k y_k ln a_k for a = softmax(z), computed from z by log-sum-exp.

    ln a_k = z_k − ln Σ_j e^{z_j}, and ln Σ_j e^{z_j} = z_max + ln Σ_j e^{z_j − z_max}
    never overflows, so J is finite for any z.
    """
    z_max = z.max(axis=0, keepdims=True)
    log_a = z - (z_max + np.log(np.exp(z - z_max).sum(axis=0, keepdims=True)))
    return -np.sum(y * log_a)


def output_minus_target(a: Array, y: Array, out: Array | None = None) -> Array:
    r"""δ^L = a^L − y: what δ^L = ∂J/∂z^L becomes when the loss suits the output activation.

    Cross-entropy with σ(z) = 1/(1 + e^{−z}): ∂J/∂a = (a − y)/(a(1 − a)) and
    σ'(z) = a(1 − a) cancel. Log-likelihood with softmax: ∂J/∂z_k = a_k Σ_j y_j − y_k,
    which is a_k − y_k when each column of y sums to 1.
    """
    return np.subtract(a, y, out=out)


@dataclass(frozen=True)
class Loss:
    """A loss by name: J (summed over samples) and how δ^L is found.

    J : J(z^L, a^L, y), summed over the samples.
    dJ_da : ∂J/∂a^L, for the document's route δ^L = ∂J/∂a^L ⊙ σ'(z^L).
    delta_L : δ^L = ∂J/∂z^L in closed form, for a loss paired with its output.
    output : the output activation the loss needs, or None for any.
    """

    name: str
    J: Callable[[Array, Array, Array], Array]
    dJ_da: Callable[..., Array] = None  # type: ignore[assignment]
    delta_L: Callable[..., Array] | None = None
    output: str | None = None


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", mse, dJ_da=mse_prime),
        Loss("cross_entropy", cross_entropy, delta_L=output_minus_target, output="sigmoid"),
        Loss("log_likelihood", log_likelihood, delta_L=output_minus_target, output="softmax"),
    )
}


def objective(
    net: Network,
    z_L: Array,
    a_L: Array,
    Y: Array,
    reduction: str = "sum",
    l2: float = 0.0,
    weight_decay: float = 0.0,
) -> Array:
    r"""J from the output layer's z^L and a^L: Σ_i J_i + (λ/2) Σ_l ‖W^l‖², or that ÷ m.

    ``reduction="sum"`` is the document's J; ``"mean"`` divides all of it, the
    L2 term included, by the m samples (scikit-learn's convention for λ). The
    reduction and the penalties are ``objective_of``'s.
    """
    return objective_of(net.loss.J(z_L, a_L, Y), net.W, Y.shape[1], reduction, l2, weight_decay)


def objective_of(
    J: Array,
    W: dict[int, Array],
    m: int,
    reduction: str = "sum",
    l2: float = 0.0,
    weight_decay: float = 0.0,
) -> Array:
    r"""The objective from J = Σ_i J_i over m samples, with the weights W^l:

        (J + (λ/2) Σ_l ‖W^l‖²) ÷ c + (λ_wd/2) Σ_l ‖W^l‖²,    c = m ("mean") or 1 ("sum"),

    λ = ``l2`` (scikit-learn's ``alpha``: divided with J) and λ_wd = ``weight_decay``
    (PyTorch's: never divided). Its gradient is ``objective_gradient``'s.
    """
    if l2:
        J = J + l2_penalty(W, l2)
    if reduction == "mean":
        J = J / m
    if weight_decay:
        J = J + l2_penalty(W, weight_decay)
    return J


def objective_gradient(
    net: Network,
    dW: dict[int, Array],
    db: dict[int, Array],
    m: int,
    reduction: str = "sum",
    l2: float = 0.0,
    weight_decay: float = 0.0,
) -> None:
    r"""In place: the summed ∂(Σ_i J_i)/∂W^l, ∂/∂b^l over m samples become the gradient
    of the objective (``objective_of``):

        ∂J/∂W^l ← (∂J/∂W^l + λ W^l) ÷ c + λ_wd W^l,    ∂J/∂b^l ← ∂J/∂b^l ÷ c,

    c = m under "mean", 1 under "sum". This is the one place where the reduction
    and the two conventions of L2 act on a gradient: an optimizer gets the result.
    """
    for l in dW:
        if l2:
            # + λ W^l
            l2_gradient(net.W[l], l2, out=dW[l])
        if reduction == "mean":
            # ÷ m
            dW[l] /= m
            db[l] /= m
        if weight_decay:
            # + λ_wd W^l (PyTorch's weight_decay: after the reduction)
            l2_gradient(net.W[l], weight_decay, out=dW[l])
