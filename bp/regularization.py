r"""Regularization: the L2 penalty (weight decay) and dropout masks.

L2 adds (λ/2) Σ_l ‖W^l‖² to the summed loss, where ‖W^l‖² is the sum of the
squares of W^l's entries (the Frobenius norm squared). The biases are left
out, as in Nielsen's book and scikit-learn. bp defines

    J_sum = Σ_i J_i + (λ/2) Σ_l ‖W^l‖²,    J_mean = J_sum / m,

so that with ``reduction="mean"`` λ is exactly scikit-learn's ``alpha``.

Dropout trains a randomly thinned network and uses the whole one: each hidden
unit of each sample is dropped with probability p during training, and the
kept ones are scaled by 1/(1 − p) ("inverted" dropout). ``bp.propagation``'s
forward and backward passes take the masks: a^l = σ(z^l) ⊙ M^l forward, and
δ^l = (W^{l+1})^T δ^{l+1} ⊙ M^l ⊙ σ'(z^l) backward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # for the annotations only: bp.network imports bp.losses, which imports this
    from bp.network import Network

Array = np.ndarray


def l2_penalty(W: dict[int, Array], l2: float) -> Array:
    r"""(λ/2) Σ_l ‖W^l‖², summed over the layers l = 2..L."""
    return 0.5 * l2 * sum(np.vdot(W_l, W_l) for W_l in W.values())


def l2_gradient(W_l: Array, l2: float, out: Array) -> Array:
    r"""Add ∂/∂W^l of (λ/2) Σ_l ‖W^l‖² = λ W^l to the gradient in ``out`` ("weight decay")."""
    # ∂J/∂W^l += λ W^l
    return np.add(out, np.multiply(W_l, l2), out=out)


def dropout_masks(net: Network, m: int, p: float, rng: np.random.Generator) -> dict[int, Array]:
    r"""Inverted-dropout masks M^l (n_l, m) for the hidden layers l = 2..L-1.

    Each entry is 0 with probability p (the unit is dropped for that sample)
    and 1/(1 − p) otherwise, so E[M^l] = 1: the expected a^l ⊙ M^l is a^l,
    and the trained network is used as it is, with no dropout and no rescaling.
    """
    keep = 1.0 - p
    masks = {
        l: (rng.random((net.n(l), m)) < keep).astype(net.dtype) / net.dtype.type(keep)
        for l in range(2, net.L)
    }
    # drawn on the host, so a GPU run draws the same masks; moved to where W^l lives
    return {l: np.asarray(M, like=net.W[l]) for l, M in masks.items()}
