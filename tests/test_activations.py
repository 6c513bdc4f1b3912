import numpy as np
import pytest

from bp import activations as act
from bp.activations import ACTIVATIONS, get_activation

Z = np.linspace(-6, 6, 240).reshape(3, -1)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_central_difference(name):
    f = get_activation(name)
    z = Z[np.abs(Z) > 1e-3] if "relu" in name else Z  # relu has a kink at 0
    h = 1e-6
    numeric = (f.sigma(z + h) - f.sigma(z - h)) / (2 * h)
    np.testing.assert_allclose(f.sigma_prime(z), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_kept(name, dtype):
    f = get_activation(name)
    z = Z.astype(dtype)
    for out in (f.sigma(z), f.sigma_prime(z)):
        assert out.shape == z.shape
        assert out.dtype == dtype


def test_sigmoid_known_values():
    np.testing.assert_allclose(act.sigmoid(np.array([0.0, np.log(3.0)])), [0.5, 0.75])
    np.testing.assert_allclose(act.sigmoid_prime(np.array([0.0])), [0.25])


def test_sigmoid_stable_in_both_tails():
    z = np.array([-1000.0, -40.0, 40.0, 1000.0])
    with np.errstate(all="raise"):
        s = act.sigmoid(z)
        ds = act.sigmoid_prime(z)
    assert s[0] == 0.0 and s[-1] == 1.0
    np.testing.assert_allclose(s[1], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-15)
    np.testing.assert_array_equal(ds[[0, -1]], [0.0, 0.0])


def test_sigmoid_prime_accurate_where_sigma_is_one():
    # The naive σ(1 − σ) returns 0 at z = 40; the exact value is e^{-40}/(1 + e^{-40})².
    z = np.array([20.0, 30.0, 40.0])
    exact = np.exp(-z) / (1 + np.exp(-z)) ** 2
    np.testing.assert_allclose(act.sigmoid_prime(z), exact, rtol=1e-14)
    np.testing.assert_allclose(act.sigmoid_prime(-z), exact, rtol=1e-14)


def test_relu_and_identity():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.relu_prime(z), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(act.identity(z), z)
    np.testing.assert_array_equal(act.identity_prime(z), [1.0, 1.0, 1.0])


def test_leaky_relu():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.leaky_relu(z), [-0.02, 0.0, 3.0])
    np.testing.assert_array_equal(act.leaky_relu_prime(z), [0.01, 0.01, 1.0])


def test_tanh_prime():
    np.testing.assert_allclose(act.tanh_prime(np.array([0.0, 1.0])), [1.0, 1 / np.cosh(1.0) ** 2])


@pytest.mark.parametrize("bad", ["softplus", "Sigmoid", None, 3])
def test_unknown_activation_names_the_known_ones(bad):
    with pytest.raises(ValueError, match=r"activation=.*expected one of 'sigmoid'"):
        get_activation(bad)
