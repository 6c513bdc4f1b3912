"""Solutions to exercises/05_update_rule.ipynb: every layer's gradients and the update.

Run this file to check them: ``python exercises/solutions/05_update_rule.py``.
"""

import numpy as np

import bp.exercises


def layer_gradients(net, delta, a):
    """∂J/∂W^l = Δ^l (A^{l-1})^T and ∂J/∂b^l = Δ^l 1_m, for l = 2..L, as einsum."""
    dW, db = {}, {}
    for l in range(2, net.L + 1):
        dW[l] = np.einsum("ji,ki->jk", delta[l], a[l - 1])
        db[l] = np.einsum("ji->j", delta[l])[:, None]
    return dW, db


def layer_gradients_by_samples(net, delta, a):
    """Σ_i δ^{i,l} (a^{i,l-1})^T and Σ_i δ^{i,l}:
    the document's sums over the samples."""
    dW = {l: np.zeros_like(W) for l, W in net.W.items()}
    db = {l: np.zeros_like(b) for l, b in net.b.items()}
    for i in range(a[1].shape[1]):
        for l in range(2, net.L + 1):
            dW[l] += np.outer(delta[l][:, i], a[l - 1][:, i])
            db[l] += delta[l][:, [i]]
    return dW, db


def update(net, dW, db, alpha):
    """W^l ← W^l − α ∂J/∂W^l and b^l ← b^l − α ∂J/∂b^l,
    writing into the arrays themselves."""
    for l in net.W:
        np.subtract(net.W[l], alpha * dW[l], out=net.W[l])
        np.subtract(net.b[l], alpha * db[l], out=net.b[l])


def update_by_assignment(net, dW, db, alpha):
    """The same, assigning new arrays to net.W[l] and net.b[l]."""
    for l in range(net.L, 1, -1):
        net.W[l] = net.W[l] - alpha * dW[l]
        net.b[l] = net.b[l] - alpha * db[l]


SOLUTIONS = {
    "layer_gradients": (layer_gradients, layer_gradients_by_samples),
    "update": (update, update_by_assignment),
}

if __name__ == "__main__":
    for step, functions in SOLUTIONS.items():
        for fn in functions:
            print(bp.exercises.check(step, fn))
