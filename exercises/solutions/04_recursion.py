"""Solutions to exercises/04_recursion.ipynb: δ^l and the backward pass, two ways each.

Run this file to check them: ``python exercises/solutions/04_recursion.py``.
"""

import numpy as np

import bp.exercises


def hidden_delta(W_next, delta_next, z, sigma_prime):
    """δ^l = ((δ^{l+1})^T W^{l+1})^T ⊙ σ'(z^l):
    the document's row form, transposed back."""
    return (delta_next.T @ W_next).T * sigma_prime(z)


def hidden_delta_by_jacobian(W_next, delta_next, z, sigma_prime):
    """δ^{i,l} = (∂z^{l+1}/∂z^l)^T δ^{i,l+1}
    with ∂z^{l+1}/∂z^l = W^{l+1} diag(σ'(z^{i,l}))."""
    delta = np.empty_like(z)
    for i in range(z.shape[1]):
        jacobian = W_next @ np.diag(sigma_prime(z[:, i]))
        delta[:, i] = jacobian.T @ delta_next[:, i]
    return delta


def backward(net, z, a, Y):
    """δ^L = (a^L − y) ⊙ σ'(z^L), then δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l)
    for l = L−1, …, 2."""
    L = net.L
    delta = {L: (a[L] - Y) * net.output_activation.sigma_prime(z[L])}
    for l in range(L - 1, 1, -1):
        back = np.einsum("kj,ki->ji", net.W[l + 1], delta[l + 1])
        delta[l] = back * net.activation.sigma_prime(z[l])
    return delta


def backward_by_samples(net, z, a, Y):
    """The same, one sample (column) at a time, as the document's loop over i."""
    L, m = net.L, Y.shape[1]
    delta = {l: np.empty_like(z[l]) for l in range(2, L + 1)}
    for i in range(m):
        d = (a[L][:, i] - Y[:, i]) * net.activation_of(L).sigma_prime(z[L][:, i])
        delta[L][:, i] = d
        for l in range(L - 1, 1, -1):
            d = (net.W[l + 1].T @ d) * net.activation_of(l).sigma_prime(z[l][:, i])
            delta[l][:, i] = d
    return delta


SOLUTIONS = {
    "hidden_delta": (hidden_delta, hidden_delta_by_jacobian),
    "backward": (backward, backward_by_samples),
}

if __name__ == "__main__":
    for step, functions in SOLUTIONS.items():
        for fn in functions:
            print(bp.exercises.check(step, fn))
