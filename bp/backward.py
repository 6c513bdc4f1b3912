r"""Back propagation: δ^L, the recursion for δ^l, and the gradients of W^l and b^l.

δ^l = ∂J/∂z^l is the error of layer l. The document computes it at the output,

    δ^L = (a^L − y) ⊙ σ'(z^L),

carries it backwards one layer at a time,

    δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l),

and reads the gradients off it: ∂J/∂W^l = δ^l (a^{l-1})^T and ∂J/∂b^l = δ^l.
With the samples as columns, δ^l (a^{l-1})^T is already the sum over samples.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bp._validate import as_samples, check_data, check_real, check_reduction, check_targets
from bp.forward import _forward
from bp.network import Layers, Network
from bp.regularization import l2_gradient

Array = np.ndarray


def output_delta(dJ_da: Array, z_L: Array, sigma_prime: Callable[[Array], Array]) -> Array:
    r"""δ^L = ∂J/∂a^L ⊙ σ'(z^L); for the document's loss, (a^L − y) ⊙ σ'(z^L).

    By the chain rule through a^L = σ(z^L): each a^L_k depends only on z^L_k,
    so ∂J/∂z^L_k = ∂J/∂a^L_k · σ'(z^L_k), an elementwise (Hadamard) product.
    """
    # δ^L = ∂J/∂a^L ⊙ σ'(z^L)
    return dJ_da * sigma_prime(z_L)


def output_error(net: Network, z_L: Array, a_L: Array, Y: Array) -> Array:
    r"""δ^L for ``net``'s loss and output activation.

    The document's general form ∂J/∂a^L ⊙ σ'(z^L) (``output_delta``), or, for
    cross-entropy with a sigmoid and the log-likelihood with a softmax, the
    closed form δ^L = a^L − y, in which σ'(z^L) has cancelled.
    """
    if net.cost.delta_L is not None:
        return net.cost.delta_L(a_L, Y)
    return output_delta(net.cost.dJ_da(a_L, Y), z_L, net.output.sigma_prime)


def hidden_delta(
    W_next: Array, delta_next: Array, z: Array, sigma_prime: Callable[[Array], Array]
) -> Array:
    r"""δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l), for l = L-1, ..., 2.

    Since z^{l+1} = W^{l+1} σ(z^l) + b^{l+1}, the error of layer l+1 flows back
    through W^{l+1} transposed, then through σ elementwise. The matrix product
    is taken first, the Hadamard product second.
    """
    # δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l)
    return (W_next.T @ delta_next) * sigma_prime(z)


def weight_gradient(delta: Array, a_prev: Array) -> Array:
    r"""∂J/∂W^l = δ^l (a^{l-1})^T, shape (n_l, n_{l-1}).

    For m samples as columns this one product is Σ_i δ^{i,l} (a^{i,l-1})^T.
    """
    # ∂J/∂W^l = δ^l (a^{l-1})^T
    return delta @ a_prev.T


def bias_gradient(delta: Array) -> Array:
    r"""∂J/∂b^l = δ^l, summed over the samples (columns): Σ_i δ^{i,l}, shape (n_l, 1)."""
    # ∂J/∂b^l = Σ_i δ^{i,l}
    return delta.sum(axis=1, keepdims=True)


def backward(net: Network, z: dict[int, Array], a: dict[int, Array], Y: Array) -> dict[int, Array]:
    r"""δ^l for l = L, L-1, ..., 2 from a forward pass (z, a) and the targets Y (n_out, m)."""
    Y = check_targets(net, as_samples("Y", Y, net.sizes[-1], "n_out", net.dtype))
    if Y.shape != a[net.L].shape:
        raise ValueError(f"Y has shape {Y.shape}; expected {a[net.L].shape}, the shape of a^L")
    return _backward(net, z, a, Y)


def _backward(net: Network, z: dict[int, Array], a: dict[int, Array], Y: Array) -> dict[int, Array]:
    L = net.L
    delta = Layers()
    delta[L] = output_error(net, z[L], a[L], Y)
    # The document loops "for l = L to 2"; δ^L is known already, so start at L-1.
    for l in range(L - 1, 1, -1):
        delta[l] = hidden_delta(net.W[l + 1], delta[l + 1], z[l], net.hidden.sigma_prime)
    return delta


def gradients(
    net: Network, X: Array, Y: Array, reduction: str = "sum", l2: float = 0.0
) -> tuple[dict[int, Array], dict[int, Array]]:
    r"""∂J/∂W^l and ∂J/∂b^l for l = 2..L over the samples in the columns of X and Y.

    ``reduction="sum"`` (the document) differentiates J = Σ_i J_i; ``"mean"``
    differentiates J/m, so every gradient is divided by m. With ``l2=λ`` the
    loss has the extra term (λ/2) Σ_l ‖W^l‖², whose gradient λ W^l is added
    to ∂J/∂W^l (before the division by m); the biases are not regularized.
    """
    check_reduction(reduction)
    X, Y = check_data(net, X, Y)
    return _gradients(net, X, Y, reduction, check_real("l2", l2, positive=False))


def _gradients(
    net: Network, X: Array, Y: Array, reduction: str, l2: float = 0.0
) -> tuple[dict[int, Array], dict[int, Array]]:
    """``gradients`` without the argument checks, for the trainer's inner loop."""
    z, a = _forward(net, X)
    return layer_gradients(net, _backward(net, z, a, Y), a, reduction, l2)


def layer_gradients(
    net: Network, delta: dict[int, Array], a: dict[int, Array], reduction: str, l2: float
) -> tuple[dict[int, Array], dict[int, Array]]:
    r"""∂J/∂W^l = δ^l (a^{l-1})^T (+ λ W^l) and ∂J/∂b^l = Σ_i δ^{i,l}, divided by m for "mean"."""
    scale = 1.0 / delta[net.L].shape[1] if reduction == "mean" else 1.0
    dW, db = Layers(), Layers()
    for l in range(2, net.L + 1):
        dW[l] = weight_gradient(delta[l], a[l - 1])
        if l2:
            dW[l] += l2_gradient(net.W[l], l2)
        dW[l] *= scale
        db[l] = scale * bias_gradient(delta[l])
    return dW, db
