"""Solutions to exercises/03_output_layer.ipynb: δ^L, ∂J/∂W^l, ∂J/∂b^l, two ways each.

Run this file to check them: ``python exercises/solutions/03_output_layer.py``.
"""

import numpy as np

import bp.exercises


def output_delta(dJ_da, z_L, sigma_prime):
    """δ^L = ∂J/∂a^L ⊙ σ'(z^L), the Hadamard product written as einsum."""
    return np.einsum("ki,ki->ki", dJ_da, sigma_prime(z_L))


def output_delta_by_jacobian(dJ_da, z_L, sigma_prime):
    """δ^{i,L} = diag(σ'(z^{i,L})) ∂J/∂a^{i,L} for each sample:
    the diagonal Jacobian of σ."""
    delta = np.empty_like(dJ_da)
    for i in range(dJ_da.shape[1]):
        delta[:, i] = np.diag(sigma_prime(z_L[:, i])) @ dJ_da[:, i]
    return delta


def weight_gradient(delta, a_prev):
    """∂J/∂W^l_jk = Σ_i δ^{i,l}_j a^{i,l-1}_k, as einsum."""
    return np.einsum("ji,ki->jk", delta, a_prev)


def weight_gradient_by_samples(delta, a_prev):
    """Σ_i δ^{i,l} (a^{i,l-1})^T: one outer product per sample, added up."""
    dW = np.zeros((delta.shape[0], a_prev.shape[0]), dtype=delta.dtype)
    for i in range(delta.shape[1]):
        dW += np.outer(delta[:, i], a_prev[:, i])
    return dW


def bias_gradient(delta):
    """Σ_i δ^{i,l} = δ^l 1_m: the row sums as a product with a column of ones."""
    return delta @ np.ones((delta.shape[1], 1), dtype=delta.dtype)


def bias_gradient_by_samples(delta):
    """Σ_i δ^{i,l}, one column at a time."""
    db = np.zeros((delta.shape[0], 1), dtype=delta.dtype)
    for i in range(delta.shape[1]):
        db += delta[:, [i]]
    return db


SOLUTIONS = {
    "output_delta": (output_delta, output_delta_by_jacobian),
    "weight_gradient": (weight_gradient, weight_gradient_by_samples),
    "bias_gradient": (bias_gradient, bias_gradient_by_samples),
}

if __name__ == "__main__":
    for step, functions in SOLUTIONS.items():
        for fn in functions:
            print(bp.exercises.check(step, fn))
