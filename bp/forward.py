r"""Forward propagation: a^l = σ(z^l) = σ(W^l a^{l-1} + b^l), for l = 2..L.

With the m samples as the columns of X, one matrix product moves all of them
through a layer at once: column i of Z^l is z^{i,l}, and the bias column b^l
is added to every column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bp._validate import check_data, check_real, check_reduction
from bp.network import Layers, Network
from bp.regularization import l2_penalty


def layer_forward(
    W: np.ndarray, a_prev: np.ndarray, b: np.ndarray, sigma: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    r"""One layer: z^l = W^l a^{l-1} + b^l and a^l = σ(z^l).

    Shapes: W^l (n_l, n_{l-1}), a^{l-1} (n_{l-1}, m), b^l (n_l, 1); z^l and
    a^l are (n_l, m). b^l is added to each of the m columns.
    """
    # z^l = W^l a^{l-1} + b^l
    z = W @ a_prev + b
    # a^l = σ(z^l)
    return z, sigma(z)


def forward(net: Network, X: np.ndarray) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    r"""Propagate X (n_in, m) through the network; return (z, a).

    ``a[1]`` is X itself (the document: "set a^1 to x_i"); ``z[l]`` and ``a[l]``
    for l = 2..L are kept because back propagation needs every one of them.
    """
    return _forward(net, check_data(net, X))


def _forward(net: Network, X: np.ndarray) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    z, a = Layers(), Layers({1: X})
    for l in range(2, net.L + 1):
        z[l], a[l] = layer_forward(net.W[l], a[l - 1], net.b[l], net.activation_of(l).sigma)
    return z, a


def predict(net: Network, X: np.ndarray) -> np.ndarray:
    r"""The network's output a^L for the samples in the columns of X, shape (n_out, m)."""
    _, a = forward(net, X)
    return a[net.L]


def loss(
    net: Network, X: np.ndarray, Y: np.ndarray, reduction: str = "sum", l2: float = 0.0
) -> float:
    r"""The loss over the m samples.

    ``reduction="sum"`` (the document): J = Σ_i J(W, b, x_i, y_i) + (λ/2) Σ_l ‖W^l‖²,
    with λ = ``l2`` (0 by default: no regularization);
    ``reduction="mean"``: that whole sum divided by m.
    """
    check_reduction(reduction)
    X, Y = check_data(net, X, Y)
    return _loss(net, X, Y, reduction, check_real("l2", l2, positive=False))


def _loss(net: Network, X: np.ndarray, Y: np.ndarray, reduction: str, l2: float = 0.0) -> float:
    z, a = _forward(net, X)
    return objective(net, z[net.L], a[net.L], Y, reduction, l2)


def objective(
    net: Network, z_L: np.ndarray, a_L: np.ndarray, Y: np.ndarray, reduction: str, l2: float
) -> float:
    r"""J from the output layer's z^L and a^L: Σ_i J_i (+ (λ/2) Σ_l ‖W^l‖²), or that / m.

    A loss that has a form in z^L (the cross-entropies) is computed from z^L,
    where it cannot take the log of a rounded 0.
    """
    cost = net.cost
    J = cost.J(a_L, Y) if cost.J_from_z is None else cost.J_from_z(z_L, Y)
    if l2:
        J += l2_penalty(net.W, l2)
    return J / Y.shape[1] if reduction == "mean" else J
