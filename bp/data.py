r"""Small built-in tasks, made with NumPy and seeded, in bp's layout.

Every function returns (X, Y) with the samples as columns: X is (n_in, m) and
Y is (n_out, m). The same seed gives the same data.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def xor() -> tuple[Array, Array]:
    r"""The four XOR samples: X (2, 4), Y (1, 4) with y = x_1 XOR x_2."""
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    return X, Y


def moons(m: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[Array, Array]:
    r"""Two interleaving half circles in the plane: X (2, m), Y (1, m) with labels 0 and 1.

    Samples alternate between the moons (first moon for even i); Gaussian noise
    of standard deviation ``noise`` is added to both coordinates.
    """
    rng = np.random.default_rng(seed)
    label = np.arange(m) % 2
    t = rng.uniform(0.0, np.pi, m)
    x1 = np.where(label == 0, np.cos(t), 1.0 - np.cos(t))
    x2 = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    X = np.vstack([x1, x2]) + noise * rng.standard_normal((2, m))
    return X, label[np.newaxis, :].astype(float)
