r"""Dropout: train a randomly thinned network, use the whole one.

During training each hidden unit of each sample is dropped with probability p:
its activation is multiplied by 0, and the kept ones by 1/(1 − p) ("inverted"
dropout), so that the expected activation is unchanged and the trained network
needs no rescaling. The masks M^l are drawn anew for every batch. The output
layer and the input are never dropped.
"""

from __future__ import annotations

import numpy as np

from bp._validate import check_reduction
from bp.backward import hidden_delta, layer_gradients, output_error
from bp.forward import layer_forward, objective
from bp.network import Layers, Network

Array = np.ndarray


def dropout_masks(net: Network, m: int, p: float, rng: np.random.Generator) -> dict[int, Array]:
    r"""Inverted-dropout masks M^l (n_l, m) for the hidden layers l = 2..L-1.

    Each entry is 0 with probability p (the unit is dropped for that sample)
    and 1/(1 − p) otherwise, so E[M^l] = 1: the expected a^l ⊙ M^l is a^l,
    and the trained network is used as it is, with no dropout and no rescaling.
    """
    keep = 1.0 - p
    return {
        l: (rng.random((net.n(l), m)) < keep).astype(net.dtype) / net.dtype.type(keep)
        for l in range(2, net.L)
    }


def dropout_forward(
    net: Network, X: Array, masks: dict[int, Array]
) -> tuple[dict[int, Array], dict[int, Array]]:
    r"""Forward propagation with dropout: a^l = σ(z^l) ⊙ M^l on the hidden layers."""
    z, a = Layers(), Layers({1: X})
    for l in range(2, net.L + 1):
        z[l], a[l] = layer_forward(net.W[l], a[l - 1], net.b[l], net.activation_of(l).sigma)
        if l in masks:
            # a^l = σ(z^l) ⊙ M^l
            a[l] = a[l] * masks[l]
    return z, a


def dropout_gradients(
    net: Network,
    X: Array,
    Y: Array,
    masks: dict[int, Array],
    reduction: str = "sum",
    l2: float = 0.0,
) -> tuple[dict[int, Array], dict[int, Array]]:
    r"""∂J/∂W^l and ∂J/∂b^l of the network thinned by the masks M^l.

    Since a^l = σ(z^l) ⊙ M^l, the chain rule puts M^l into the recursion:
    δ^l = (W^{l+1})^T δ^{l+1} ⊙ M^l ⊙ σ'(z^l). A dropped unit passes no error
    back, and its weights get no gradient from that sample.
    """
    check_reduction(reduction)
    z, a = dropout_forward(net, X, masks)
    delta = Layers({net.L: output_error(net, z[net.L], a[net.L], Y)})
    for l in range(net.L - 1, 1, -1):
        # δ^l = (W^{l+1})^T δ^{l+1} ⊙ M^l ⊙ σ'(z^l)
        delta[l] = hidden_delta(net.W[l + 1], delta[l + 1], z[l], net.hidden.sigma_prime) * masks[l]
    return layer_gradients(net, delta, a, reduction, l2)


def dropout_loss(
    net: Network,
    X: Array,
    Y: Array,
    masks: dict[int, Array],
    reduction: str = "sum",
    l2: float = 0.0,
) -> float:
    r"""J of the network thinned by the masks (what ``dropout_gradients`` differentiates)."""
    check_reduction(reduction)
    z, a = dropout_forward(net, X, masks)
    return objective(net, z[net.L], a[net.L], Y, reduction, l2)
