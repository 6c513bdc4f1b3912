"""Solutions to exercises/01_forward_propagation.ipynb: one layer forward, two ways.

Run this file to check them: ``python exercises/solutions/01_forward_propagation.py``.
"""

import numpy as np

import bp.exercises


def layer_forward(W, a_prev, b, sigma):
    """z^l = W^l a^{l-1} + b^l, a^l = σ(z^l), with the sum over k written as einsum."""
    # z^l_ji = Σ_k W^l_jk a^{l-1}_ki + b^l_j
    z = np.einsum("jk,ki->ji", W, a_prev) + b
    return z, sigma(z)


def layer_forward_by_columns(W, a_prev, b, sigma):
    """The document's loop over the samples: one matrix-vector product per column."""
    m = a_prev.shape[1]
    z = np.empty((W.shape[0], m), dtype=np.result_type(W, a_prev, b))
    for i in range(m):
        z[:, [i]] = W @ a_prev[:, [i]] + b
    return z, sigma(z)


SOLUTIONS = {"layer_forward": (layer_forward, layer_forward_by_columns)}

if __name__ == "__main__":
    for step, functions in SOLUTIONS.items():
        for fn in functions:
            print(bp.exercises.check(step, fn))
