"""Solutions to exercises/02_loss.ipynb: the loss J and ∂J/∂a^L, two ways each.

Run this file to check them: ``python exercises/solutions/02_loss.py``.
"""

import numpy as np

import bp.exercises


def loss(z, a, y):
    """J = Σ_i ½ ‖a^{i,L} − y_i‖²: the squares of every entry, summed with einsum."""
    e = a - y
    return 0.5 * np.einsum("ki,ki->", e, e)


def loss_by_samples(z, a, y):
    """The same sum, one sample (column) at a time:
    J_i = ½ (a_i − y_i)^T (a_i − y_i)."""
    J = 0.0
    for i in range(a.shape[1]):
        e = a[:, i] - y[:, i]
        J += 0.5 * float(e @ e)
    return J


def loss_gradient(a, y):
    """∂J/∂a^L = a^L − y: the ½ cancels the 2 of the square."""
    return a - y


def loss_gradient_by_entries(a, y):
    """∂J/∂a_ki = a_ki − y_ki, entry by entry."""
    out = np.empty_like(a)
    for k, i in np.ndindex(a.shape):
        out[k, i] = a[k, i] - y[k, i]
    return out


SOLUTIONS = {
    "loss": (loss, loss_by_samples),
    "loss_gradient": (loss_gradient, loss_gradient_by_entries),
}

if __name__ == "__main__":
    for step, functions in SOLUTIONS.items():
        for fn in functions:
            print(bp.exercises.check(step, fn))
