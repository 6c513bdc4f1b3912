"""Solutions to exercises/06_algorithm.ipynb: one iteration, the ε test, two ways each.

Run this file to check them: ``python exercises/solutions/06_algorithm.py``.
"""

import numpy as np

import bp.exercises


def iteration(net, X, Y, alpha):
    """The document's box, line by line:
    every sample forward and back, then one update."""
    L, m = net.L, X.shape[1]
    sum_dW = {l: np.zeros_like(W) for l, W in net.W.items()}
    sum_db = {l: np.zeros_like(b) for l, b in net.b.items()}
    for i in range(m):
        a, z = {1: X[:, [i]]}, {}
        for l in range(2, L + 1):
            z[l] = net.W[l] @ a[l - 1] + net.b[l]
            a[l] = net.activation_of(l).sigma(z[l])
        delta = {L: (a[L] - Y[:, [i]]) * net.activation_of(L).sigma_prime(z[L])}
        for l in range(L - 1, 1, -1):
            sigma_prime = net.activation_of(l).sigma_prime
            delta[l] = (net.W[l + 1].T @ delta[l + 1]) * sigma_prime(z[l])
        for l in range(2, L + 1):
            sum_dW[l] += delta[l] @ a[l - 1].T
            sum_db[l] += delta[l]
    for l in range(2, L + 1):
        net.W[l] -= alpha * sum_dW[l]
        net.b[l] -= alpha * sum_db[l]


def iteration_by_matrices(net, X, Y, alpha):
    """The same with the m samples as columns:
    each loop over i becomes a matrix product."""
    L = net.L
    z, a = {}, {1: X}
    for l in range(2, L + 1):
        z[l] = np.einsum("jk,ki->ji", net.W[l], a[l - 1]) + net.b[l]
        a[l] = net.activation_of(l).sigma(z[l])
    delta = {L: (a[L] - Y) * net.activation_of(L).sigma_prime(z[L])}
    for l in range(L - 1, 1, -1):
        sigma_prime = net.activation_of(l).sigma_prime
        delta[l] = (delta[l + 1].T @ net.W[l + 1]).T * sigma_prime(z[l])
    gradients = {
        l: (delta[l] @ a[l - 1].T, delta[l].sum(axis=1, keepdims=True)) for l in delta
    }
    for l, (dW, db) in gradients.items():
        net.W[l] = net.W[l] - alpha * dW
        net.b[l] = net.b[l] - alpha * db


def should_stop(W_before, b_before, W_after, b_after, epsilon):
    """True when every element of every W^l and b^l changed by less than ε."""
    pairs = [(W_before[l], W_after[l]) for l in W_before] + [
        (b_before[l], b_after[l]) for l in b_before
    ]
    return all(
        bool(np.all(np.abs(after - before) < epsilon)) for before, after in pairs
    )


def should_stop_by_largest(W_before, b_before, W_after, b_after, epsilon):
    """The largest |change| of all the elements, compared with ε once."""
    changes = [
        np.abs(after[l] - before[l]).ravel()
        for before, after in ((W_before, W_after), (b_before, b_after))
        for l in before
    ]
    return bool(np.concatenate(changes).max() < epsilon)


SOLUTIONS = {
    "iteration": (iteration, iteration_by_matrices),
    "should_stop": (should_stop, should_stop_by_largest),
}

if __name__ == "__main__":
    for step, functions in SOLUTIONS.items():
        for fn in functions:
            print(bp.exercises.check(step, fn))
