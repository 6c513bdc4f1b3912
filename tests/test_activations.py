import decimal
import warnings

import numpy as np
import pytest

import bp
from bp import activations as act
from bp._checks import activation as get_activation
from bp.activations import ACTIVATIONS
from conftest import central_difference_atol

Z = np.linspace(-6, 6, 240).reshape(3, -1)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_central_difference(name):
    f = get_activation(name)
    z = Z[np.abs(Z) > 1e-3] if "relu" in name else Z  # relu has a kink at 0
    h = 1e-6
    numeric = (f.sigma(z + h) - f.sigma(z - h)) / (2 * h)
    # h = 1e-6: h²/6·|σ'''| ≤ 4e-13 (|tanh'''| ≤ 2); σ(z ± h) off by ~2 ulps (exp or tanh, +, ÷),
    # 8 for an exp of up to 4 ulps on other CPUs: 8 eps·max|σ|/h ≈ 2e-9 (sigmoid, tanh)
    atol = central_difference_atol(h, float(np.abs(f.sigma(z)).max()), ulps=8, f3_scale=2.0)
    np.testing.assert_allclose(f.sigma_prime(z), numeric, rtol=1e-7, atol=atol)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_kept(name, dtype):
    f = get_activation(name)
    z = Z.astype(dtype)
    for out in (f.sigma(z), f.sigma_prime(z)):
        assert out.shape == z.shape
        assert out.dtype == dtype


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_out_buffers_and_the_forward_a_give_the_same_values(name):
    f = get_activation(name)
    z = Z.copy()
    a = f.sigma(z)
    out = np.empty_like(z)
    assert f.sigma(z, out=out) is out
    np.testing.assert_array_equal(out, a)
    np.testing.assert_array_equal(z, Z)  # z itself untouched
    for given_a in (None, a):
        out = np.full_like(z, np.nan)
        assert f.sigma_prime(z, given_a, out=out) is out
        np.testing.assert_array_equal(out, f.sigma_prime(z))


def test_sigmoid_known_values():
    np.testing.assert_allclose(act.sigmoid(np.array([0.0, np.log(3.0)])), [0.5, 0.75])
    np.testing.assert_allclose(act.sigmoid_prime(np.array([0.0])), [0.25])


def test_sigmoid_stable_in_both_tails():
    z = np.array([-1000.0, -40.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = act.sigmoid(z)
        ds = act.sigmoid_prime(z)
    assert s[0] == 0.0 and s[-1] == 1.0
    np.testing.assert_allclose(s[1], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-15)
    np.testing.assert_array_equal(ds[[0, -1]], [0.0, 0.0])


def test_sigmoid_raises_nothing_even_under_errstate_all_raise():
    z = np.array([-1000.0, -40.0, 40.0, 1000.0])
    with np.errstate(all="raise"):
        s = act.sigmoid(z)
        ds = act.sigmoid_prime(z)
    assert s[0] == 0.0 and s[-1] == 1.0
    np.testing.assert_array_equal(ds[[0, -1]], [0.0, 0.0])


def _exact_sigmoid_prime(z: float) -> float:
    """σ'(z) = e^{-|z|} / (1 + e^{-|z|})², in 40-digit decimal arithmetic, rounded once."""
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        e = (-abs(decimal.Decimal(float(z)))).exp()
        return float(e / (1 + e) ** 2)


def test_sigmoid_prime_from_a_is_as_accurate_as_promised():
    # σ'(z) = a(1 − a) with a = σ(z) from the forward pass: one exponential per layer, as
    # scikit-learn and Nielsen do. 1 − a cancels where a ≈ 1, so the promise is absolute:
    # an error of at most one unit of roundoff of 1 (2^-52) everywhere, and σ'(z) = 0 where
    # σ(z) rounds to 1 (z > 37). Relative accuracy holds where σ'(z) is large against 2^-52.
    z = np.concatenate([np.linspace(-40.0, 40.0, 1601), [-745.0, -709.0, -100.0, 100.0, 709.0]])
    exact = np.array([_exact_sigmoid_prime(v) for v in z])
    got = act.sigmoid_prime(z)
    assert np.abs(got - exact).max() <= 2.0**-52
    relative = np.abs(got - exact) / exact
    # the absolute bound 2^-52 over the smallest σ' there, σ'(9) ≈ 1.2e-4: 1.8e-12
    assert relative[(z >= -40) & (z <= 9)].max() <= 2.0**-52 / _exact_sigmoid_prime(9.0)
    # no cancellation in the left tail (down to where σ'(z) becomes subnormal)
    assert relative[(z >= -709) & (z <= 0)].max() <= 1e-14
    assert np.all(got[z > 37] == 0.0) and np.all(exact[z > 37] < 2.0**-52)


def test_sigmoid_prime_is_finite_and_silent_far_out():
    z = np.array([-1000.0, -745.0, 745.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got = act.sigmoid_prime(z)
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_prime_from_the_forward_a_equals_sigmoid_prime_of_z(dtype):
    z = np.linspace(-50, 50, 1001, dtype=dtype)
    np.testing.assert_array_equal(act.sigmoid_prime(z, a=act.sigmoid(z)), act.sigmoid_prime(z))


_SCALAR_CASES = [
    (name, kind)
    for name in sorted(n + p for n in ACTIVATIONS for p in ("", "_prime"))
    for kind in ("float", "numpy scalar", "0-d array")
]


@pytest.mark.parametrize("name, kind", _SCALAR_CASES)
def test_one_number_gives_the_value_of_a_one_element_array(name, kind):
    f = getattr(act, name)
    z = {"float": 0.5, "numpy scalar": np.float64(0.5), "0-d array": np.array(0.5)}[kind]
    assert float(f(z)) == float(f(np.array([0.5]))[0])


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
    with pytest.raises(ValueError, match=r"activation=.*expected one of 'sigmoid'"):
        bp.Network((2, 3, 1), activation=bad)
