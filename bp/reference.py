r"""The document's pseudocode, line by line, one sample at a time: an oracle and a teaching text.

``bp.train`` does the loop over the samples i as matrix products; this module
does it as the document writes it, and gives the same numbers to rounding.
It is not a fast path. It shares ``bp.train``'s argument checks
(``bp._checks.training_arguments``) and outer loop (``bp.training.iterate``: Max,
the ε rules, divergence, the stall diagnosis), and the objective's gradient
(``bp.losses.objective_gradient``: the reduction, L2 and weight decay).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bp import _checks
from bp.descent import Settings
from bp.losses import objective_gradient
from bp.network import Layers, Network
from bp.optimizers import update
from bp.propagation import (
    bias_gradient,
    hidden_delta,
    layer_forward,
    loss,
    output_error,
    weight_gradient,
)
from bp.training import History, iterate

Array = np.ndarray


def per_sample_iteration(
    net: Network, X: Array, Y: Array, alpha: float, reduction: str = "sum", l2: float = 0.0,
    weight_decay: float = 0.0,
) -> None:  # fmt: skip
    r"""One iteration of the document's batch gradient descent, sample by sample."""
    L, m = net.L, X.shape[1]
    sum_dW = Layers({l: np.zeros_like(W) for l, W in net.W.items()})
    sum_db = Layers({l: np.zeros_like(b) for l, b in net.b.items()})
    for i in range(m):
        # a^{i,1} = x_i, then a^{i,l} = σ(z^{i,l}) = σ(W^l a^{i,l-1} + b^l) for l = 2..L
        a, z, delta = {1: X[:, [i]]}, {}, {}
        for l in range(2, L + 1):
            z[l], a[l] = layer_forward(net.W[l], a[l - 1], net.b[l], net.activation_of(l).sigma)
        # δ^{i,L} from the loss; the document's "for l = L to 2" starts at L-1
        delta[L] = output_error(net, z[L], a[L], Y[:, [i]])
        for l in range(L - 1, 1, -1):
            delta[l] = hidden_delta(net.W[l + 1], delta[l + 1], z[l], net.activation.sigma_prime)
        for l in range(2, L + 1):
            sum_dW[l] += weight_gradient(delta[l], a[l - 1])
            sum_db[l] += bias_gradient(delta[l])
    # + λW^l, ÷ m under "mean", + λ_wd W^l: the gradient of the objective
    objective_gradient(net, sum_dW, sum_db, m, reduction, l2, weight_decay)
    # after the loop over i: W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T
    update(net, sum_dW, sum_db, alpha)


class _PerSample:
    """``iterate``'s iteration for ``train_per_sample``: one ``per_sample_iteration``, then J
    over all m (a forward pass of its own)."""

    exact = True
    J_start: Any = None

    def __init__(self, net: Network, X: Array, Y: Array, settings: Settings) -> None:
        self.net, self.X, self.Y, self.s = net, X, Y, settings

    def __call__(self, last: bool) -> Any:
        s = self.s
        per_sample_iteration(self.net, self.X, self.Y, s.alpha, s.reduction, s.l2, s.weight_decay)
        return loss(self.net, self.X, self.Y)

    def weights_changed(self) -> None:
        pass


def train_per_sample(
    net: Network,
    X: Array,
    Y: Array,
    *,
    alpha: float,
    max_iter: int,
    epsilon: float,
    reduction: str = "sum",
    l2: float = 0.0,
    weight_decay: float = 0.0,
    stop: str = "change",
    callback=None,
    verbose: bool = False,
) -> History:
    r"""The document's batch gradient descent, line by line, one sample at a time.

    for iter = 1 to Max:
        for i = 1 to m:
            a^{i,1} = x_i
            for l = 2 to L: a^{i,l} = σ(z^{i,l}) = σ(W^l a^{i,l-1} + b^l)
            δ^{i,L} from the loss
            for l = L-1 down to 2: δ^{i,l} = (W^{l+1})^T δ^{i,l+1} ⊙ σ'(z^{i,l})
        for l = 2 to L:
            W^l = W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T
            b^l = b^l − α Σ_i δ^{i,l}
        stop if every change of W and b is below ε

    It gives the same results as ``train`` with ``batch_size=None``, to rounding.
    The arguments mean what they mean for ``train``.
    """
    checked = _checks.training_arguments(
        net, X, Y, alpha, max_iter, epsilon, reduction, l2, weight_decay, stop
    )
    X, Y, alpha, max_iter, epsilon, reduction, l2, weight_decay, stop = checked
    settings = Settings(alpha, None, reduction, l2, weight_decay)
    return iterate(
        net, X, Y, settings, _PerSample(net, X, Y, settings), lambda n, X_, Y_: loss(n, X_, Y_),
        max_iter=max_iter, epsilon=epsilon, stop=stop, record_loss=True, callback=callback,
        verbose=_checks.flag("verbose", verbose),
    )  # fmt: skip
