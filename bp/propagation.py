r"""Forward and back propagation: a^l, δ^l, and the gradients of W^l and b^l.

Forward, for l = 2..L:

    z^l = W^l a^{l-1} + b^l,    a^l = σ(z^l).

Backward: δ^l = ∂J/∂z^l is the error of layer l. The document computes it at
the output, δ^L = (a^L − y) ⊙ σ'(z^L), carries it backwards one layer at a time,

    δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l),

and reads the gradients off it: ∂J/∂W^l = δ^l (a^{l-1})^T and ∂J/∂b^l = δ^l.

With the m samples as the columns of X, one matrix product moves all of them
through a layer, and δ^l (a^{l-1})^T is already the sum over the samples.

These functions check nothing: the checked entry points are ``bp.forward``,
``bp.backward``, ``bp.gradients``, ``bp.loss`` and ``bp.predict``. Each takes
optional buffers (``out=``, or dicts of them) so that ``bp.train`` writes z^l,
a^l, δ^l and the gradients into arrays it allocated once (only σ'(z^l) is still a
temporary); without buffers they return new arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bp.losses import objective, objective_gradient
from bp.network import Layers, Network
from bp.regularization import l2_gradient

Array = np.ndarray
Masks = dict[int, Array] | None
Arrays = dict[int, Array]


def layer_forward(
    W: Array,
    a_prev: Array,
    b: Array,
    sigma: Callable[..., Array],
    z: Array | None = None,
    a: Array | None = None,
) -> tuple[Array, Array]:
    r"""One layer: z^l = W^l a^{l-1} + b^l and a^l = σ(z^l).

    Shapes: W^l (n_l, n_{l-1}), a^{l-1} (n_{l-1}, m), b^l (n_l, 1); z^l and
    a^l are (n_l, m). b^l is added to each of the m columns.
    """
    # z^l = W^l a^{l-1} + b^l
    z = np.matmul(W, a_prev, out=z)
    z += b
    # a^l = σ(z^l)
    return z, sigma(z, out=a)


def forward(
    net: Network, X: Array, z: Layers | None = None, a: Layers | None = None, masks: Masks = None
) -> tuple[Layers, Layers]:
    r"""Propagate X (n_in, m) through the network; return (z, a).

    ``a[1]`` is X itself (the document: "set a^1 to x_i"); ``z[l]`` and ``a[l]``
    for l = 2..L are kept, because back propagation needs every one of them.
    With dropout ``masks``, a^l = σ(z^l) ⊙ M^l on the hidden layers.
    """
    z, a = Layers() if z is None else z, Layers() if a is None else a
    a[1] = X
    for l in range(2, net.L + 1):
        sigma = net.activation_of(l).sigma
        z[l], a[l] = layer_forward(net.W[l], a[l - 1], net.b[l], sigma, z.get(l), a.get(l))
        if masks and l in masks:
            # a^l = σ(z^l) ⊙ M^l
            a[l] *= masks[l]
    return z, a


def loss(
    net: Network,
    X: Array,
    Y: Array,
    reduction: str = "sum",
    l2: float = 0.0,
    weight_decay: float = 0.0,
) -> Array:
    r"""J over the samples in the columns of X and Y: a forward pass, then the objective."""
    z, a = forward(net, X)
    return objective(net, z[net.L], a[net.L], Y, reduction, l2, weight_decay)


def output_delta(
    dJ_da: Array,
    z_L: Array,
    sigma_prime: Callable[..., Array],
    a_L: Array | None = None,
    out: Array | None = None,
) -> Array:
    r"""δ^L = ∂J/∂a^L ⊙ σ'(z^L); for the document's loss, (a^L − y) ⊙ σ'(z^L).

    By the chain rule through a^L = σ(z^L): each a^L_k depends only on z^L_k,
    so ∂J/∂z^L_k = ∂J/∂a^L_k · σ'(z^L_k), an elementwise (Hadamard) product.
    ``a_L`` = σ(z^L), when given, spares σ' recomputing it.
    """
    # δ^L = ∂J/∂a^L ⊙ σ'(z^L)
    return np.multiply(dJ_da, sigma_prime(z_L, a_L), out=out)


def output_error(net: Network, z_L: Array, a_L: Array, Y: Array, out: Array | None = None) -> Array:
    r"""δ^L for ``net``'s loss and output activation.

    The document's general form ∂J/∂a^L ⊙ σ'(z^L) (``output_delta``), or, for
    cross-entropy with a sigmoid and the log-likelihood with a softmax, the
    closed form δ^L = a^L − y, in which σ'(z^L) has cancelled. For a linear
    (identity) output σ'(z^L) = 1, so δ^L = ∂J/∂a^L.
    """
    if net.loss.delta_L is not None:
        return net.loss.delta_L(a_L, Y, out=out)
    dJ_da = net.loss.dJ_da(a_L, Y, out=out)
    if net.output_activation.name == "identity":
        return dJ_da  # σ'(z^L) = 1: δ^L = ∂J/∂a^L, no product with ones
    return output_delta(dJ_da, z_L, net.output_activation.sigma_prime, a_L, out=dJ_da)


def hidden_delta(
    W_next: Array,
    delta_next: Array,
    z: Array,
    sigma_prime: Callable[..., Array],
    a: Array | None = None,
    out: Array | None = None,
) -> Array:
    r"""δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l), for l = L-1, ..., 2.

    Since z^{l+1} = W^{l+1} σ(z^l) + b^{l+1}, the error of layer l+1 flows back
    through W^{l+1} transposed, then through σ elementwise. The matrix product
    is taken first, the Hadamard product second. ``a`` = σ(z^l), when given,
    spares σ' recomputing it.
    """
    # (W^{l+1})^T δ^{l+1}
    out = np.matmul(W_next.T, delta_next, out=out)
    # ⊙ σ'(z^l)
    return np.multiply(out, sigma_prime(z, a), out=out)


def backward(
    net: Network, z: Arrays, a: Arrays, Y: Array, delta: Layers | None = None, masks: Masks = None
) -> Layers:
    r"""δ^l for l = L, L-1, ..., 2 from a forward pass (z, a) and the targets Y (n_out, m).

    With dropout ``masks``: δ^l = (W^{l+1})^T δ^{l+1} ⊙ M^l ⊙ σ'(z^l).
    """
    L, delta = net.L, Layers() if delta is None else delta
    delta[L] = output_error(net, z[L], a[L], Y, out=delta.get(L))
    # The document loops "for l = L to 2"; δ^L is known already, so start at L-1.
    for l in range(L - 1, 1, -1):
        sigma_prime, W_next = net.activation.sigma_prime, net.W[l + 1]
        a_l = None if masks else a[l]  # σ(z^l), unless a dropout mask has changed a^l
        delta[l] = hidden_delta(W_next, delta[l + 1], z[l], sigma_prime, a_l, delta.get(l))
        if masks:
            # ⊙ M^l: a dropped unit passes no error back
            delta[l] *= masks[l]
    return delta


def weight_gradient(delta: Array, a_prev: Array, out: Array | None = None) -> Array:
    r"""∂J/∂W^l = δ^l (a^{l-1})^T, shape (n_l, n_{l-1}).

    For m samples as columns this one product is Σ_i δ^{i,l} (a^{i,l-1})^T.
    """
    # ∂J/∂W^l = δ^l (a^{l-1})^T
    return np.matmul(delta, a_prev.T, out=out)


def bias_gradient(delta: Array, out: Array | None = None, ones: Array | None = None) -> Array:
    r"""∂J/∂b^l = Σ_i δ^{i,l} = δ^l 1, summed over the samples (columns), shape (n_l, 1).

    The sum over the m columns is the product with a column of m ones (``ones``,
    shape (m, 1), made here if not given): one matrix-vector product.
    """
    if ones is None:
        ones = np.ones((delta.shape[1], 1), delta.dtype, like=delta)
    # ∂J/∂b^l = Σ_i δ^{i,l} = δ^l 1
    return np.matmul(delta, ones, out=out)


def layer_gradients(
    net: Network,
    delta: Arrays,
    a: Arrays,
    l2: float = 0.0,
    dW: Layers | None = None,
    db: Layers | None = None,
    ones: Array | None = None,
) -> tuple[Layers, Layers]:
    r"""∂J/∂W^l = δ^l (a^{l-1})^T (+ λ W^l) and ∂J/∂b^l = Σ_i δ^{i,l}, for l = 2..L.

    These are the gradients of the summed J (the document's). ``bp.train`` and
    ``gradients`` pass no λ: ``bp.losses.objective_gradient`` adds λ W^l and
    divides by m for ``reduction="mean"``. ``ones``: a column of m ones, for
    ``bias_gradient``.
    """
    dW, db = Layers() if dW is None else dW, Layers() if db is None else db
    for l in range(2, net.L + 1):
        dW[l] = weight_gradient(delta[l], a[l - 1], out=dW.get(l))
        db[l] = bias_gradient(delta[l], out=db.get(l), ones=ones)
        if l2:
            l2_gradient(net.W[l], l2, out=dW[l])
    return dW, db


def gradients(
    net: Network,
    X: Array,
    Y: Array,
    reduction: str = "sum",
    l2: float = 0.0,
    weight_decay: float = 0.0,
) -> tuple[Layers, Layers]:
    r"""∂J/∂W^l and ∂J/∂b^l for l = 2..L over the samples in the columns of X and Y.

    ``reduction="sum"`` (the document) differentiates J = Σ_i J_i; ``"mean"``
    differentiates J/m, so every gradient is divided by m. With ``l2=λ`` the
    loss has the extra term (λ/2) Σ_l ‖W^l‖², whose gradient λ W^l is added
    to ∂J/∂W^l (before the division by m); the biases are not regularized.
    ``weight_decay`` adds λ_wd W^l after the division (``bp.losses.objective_gradient``).
    """
    z, a = forward(net, X)
    dW, db = layer_gradients(net, backward(net, z, a, Y), a)
    objective_gradient(net, dW, db, X.shape[1], reduction, l2, weight_decay)
    return dW, db
