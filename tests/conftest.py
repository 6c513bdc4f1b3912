"""Shared helpers: random architectures and data for the property tests."""

from __future__ import annotations

import numpy as np
import pytest

import bp

ACTIVATION_NAMES = sorted(bp.ACTIVATIONS)


def random_case(seed: int, dtype=np.float64):
    """A random network and a batch for it: depth 2..5, widths 1..6, m 1..8, any activations."""
    rng = np.random.default_rng(seed)
    L = int(rng.integers(2, 6))
    sizes = tuple(int(n) for n in rng.integers(1, 7, size=L))
    activation = str(rng.choice(ACTIVATION_NAMES))
    output_activation = str(rng.choice(ACTIVATION_NAMES))
    m = int(rng.integers(1, 9))
    net = bp.Network(sizes, activation, output_activation, seed=seed, dtype=dtype)
    X = rng.standard_normal((sizes[0], m))
    Y = rng.uniform(0.0, 1.0, (sizes[-1], m))
    return net, X.astype(dtype), Y.astype(dtype)


def far_from_kinks(net, X, margin: float = 1e-3) -> bool:
    """True when no (leaky) relu pre-activation z lies within ``margin`` of its kink at 0.

    Central differences straddle a kink if |z| < h times the size of the nudge;
    such a case measures the kink, not back propagation.
    """
    z, _ = bp.forward(net, X)
    return all(np.abs(z[l]).min() > margin for l in z if "relu" in net.activation_of(l).name)


@pytest.fixture
def small_net():
    net = bp.Network((3, 4, 2), seed=0)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, 5))
    Y = rng.uniform(size=(2, 5))
    return net, X, Y
