"""bp.propagation (issue 22): the plain-formula forms of Σ_i δ^{i,l} and of δ^L for a linear
output. (test_forward.py and test_backward.py hold the passes themselves.)"""

import numpy as np

import bp
from bp import propagation


def test_the_bias_gradient_is_delta_times_a_column_of_ones():
    delta = np.random.default_rng(0).standard_normal((4, 7))
    ones = np.ones((7, 1))
    # a sum of 7 terms, in two orders: a few eps of the largest partial sum
    expected = delta.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(propagation.bias_gradient(delta), expected, rtol=1e-14, atol=1e-15)
    out = np.empty((4, 1))
    assert propagation.bias_gradient(delta, out=out, ones=ones) is out
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-15)


def test_a_linear_output_takes_dJ_da_as_delta_L_without_a_product():
    net = bp.Network((2, 3, 2), output_activation="identity", seed=0)
    X = np.random.default_rng(1).standard_normal((2, 5))
    Y = np.random.default_rng(2).standard_normal((2, 5))
    z, a = propagation.forward(net, X)
    # σ'(z^L) = 1: δ^L is a^L − y exactly (the subtraction is the only rounding)
    np.testing.assert_array_equal(propagation.output_error(net, z[3], a[3], Y), a[3] - Y)
