"""Shared helpers: random architectures and data for the property tests."""

from __future__ import annotations

import numpy as np
import pytest

import bp

ACTIVATION_NAMES = sorted(bp.ACTIVATIONS)

EPS = float(np.finfo(np.float64).eps)

# bp.gradient_check, h = 1e-5: each element is off by h²/6·|J'''| (~2e-12·|J'''|) plus the
# rounding of J(θ ± h), a few eps·|J|/h (~1e-11·|J|). Against ‖g‖ that is at most 5e-10
# over the 240 cases of test_backward and 6e-10 over the exercises' (a property of the
# data: other CPUs move J's last bits, so the error by a factor of order 1); a wrong
# gradient gives 1e-3 and more.
GRADCHECK_TOL = 1e-7


def central_difference_atol(h: float, f_scale: float, ulps: float, f3_scale: float = 1.0) -> float:
    """How far (f(x+h) − f(x−h)) / 2h may be from f'(x) in float64, in absolute terms.

    Truncation: h²/6·|f'''|. Rounding: each evaluation of f carries up to ``ulps``
    units of roundoff of |f| (about the number of terms summed, plus a few for exp,
    log or tanh, whose SIMD paths differ between CPUs), and (x+h) − (x−h) is not
    exactly 2h; their difference over 2h is off by about ulps·eps·|f|/h. The bound is
    absolute: an element of f' near 0 keeps all of it.
    """
    return h * h / 6 * f3_scale + ulps * EPS * f_scale / h


def assert_close_normwise(actual, desired, rtol: float) -> None:
    """|actual − desired| ≤ rtol·max|desired| for every element.

    Two orders of summation (a matrix product against a loop, chunked against whole,
    bp.train against a loop written out) differ by about n·eps·Σ|terms|: a bound on the
    array, not on each element. An element that cancels towards 0 keeps the absolute
    error of its terms, so a purely elementwise rtol holds only on some machines' bits.
    Callers choose rtol from the number of terms and of steps.
    """
    desired = np.asarray(desired)
    scale = float(np.abs(desired).max()) if desired.size else 0.0
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=rtol * scale)


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
