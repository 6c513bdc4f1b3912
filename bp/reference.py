r"""The document's pseudocode, line by line, one sample at a time: an oracle and a teaching text.

``bp.train`` does the loop over the samples i as matrix products; this module
does it as the document writes it, and gives the same numbers to rounding.
It is not a fast path.
"""

from __future__ import annotations

import numpy as np

from bp import _checks
from bp.descent import Workspace
from bp.network import Layers, Network
from bp.optimizers import update
from bp.propagation import bias_gradient, hidden_delta, layer_forward, output_error, weight_gradient
from bp.regularization import l2_gradient
from bp.training import STOP_RULES, History, _Run

Array = np.ndarray


def per_sample_iteration(
    net: Network, X: Array, Y: Array, alpha: float, reduction: str = "sum", l2: float = 0.0
) -> None:
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
    for l in sum_dW if l2 else ():
        l2_gradient(net.W[l], l2, out=sum_dW[l])
    # after the loop over i: W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T (α/m under "mean")
    update(net, sum_dW, sum_db, alpha / m if reduction == "mean" else alpha)


class _PerSample(_Run):
    """``train``'s outer loop (Max, ε, progress, divergence) around ``per_sample_iteration``."""

    def iteration(self, last: bool, record_loss: bool | str) -> Array | None:
        work = self.work
        reduction = "mean" if work.mean else "sum"
        per_sample_iteration(self.net, self.X, self.Y, work.alpha, reduction, work.l2)
        return self.data_loss() if record_loss else None


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
    _checks.network(net, training=True)
    X, Y = _checks.check_data(net, X, Y)
    alpha = _checks.check_real("alpha", alpha, positive=True)
    max_iter = _checks.check_integer("max_iter", max_iter, 1)
    epsilon = _checks.check_real("epsilon", epsilon, positive=False)
    reduction = _checks.check_reduction(reduction)
    l2 = _checks.check_real("l2", l2, positive=False)
    stop = _checks.choice("stop", stop, STOP_RULES)
    work = Workspace(net, X, Y, alpha=alpha, reduction=reduction, l2=l2)
    run = _PerSample(work)
    return run.iterate(max_iter, epsilon, stop, True, None, callback, verbose)
