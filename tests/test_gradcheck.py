import numpy as np
import pytest

import bp
from conftest import GRADCHECK_TOL


def test_numerical_gradient_of_a_linear_net_is_exact():
    # J = ½ (w x + b − y)², so ∂J/∂w = (w x + b − y) x and ∂J/∂b = w x + b − y.
    net = bp.Network((1, 1), activation="identity")
    net.W[2][...] = 2.0
    net.b[2][...] = 0.5
    dW, db = bp.numerical_gradients(net, np.array([[3.0]]), np.array([[1.0]]))
    assert dW[2][0, 0] == pytest.approx((6.5 - 1) * 3, rel=1e-9)
    assert db[2][0, 0] == pytest.approx(6.5 - 1, rel=1e-9)


def test_parameters_restored_exactly(small_net):
    net, X, Y = small_net
    before = net.copy()
    bp.numerical_gradients(net, X, Y)
    for l in net.W:
        np.testing.assert_array_equal(net.W[l], before.W[l])
        np.testing.assert_array_equal(net.b[l], before.b[l])


def test_the_check_detects_a_wrong_gradient(small_net, monkeypatch):
    net, X, Y = small_net
    assert bp.gradient_check(net, X, Y) < GRADCHECK_TOL
    # A backward pass that forgets σ'(z^l) in the recursion must be caught.
    monkeypatch.setattr(
        bp.propagation, "hidden_delta", lambda W, d, z, sp, a=None, out=None: W.T @ d
    )
    assert bp.gradient_check(net, X, Y) > 1e-3


def test_relative_error_properties():
    dW = {2: np.array([[1.0, 2.0]])}
    db = {2: np.array([[3.0]])}
    assert bp.relative_error(dW, db, dW, db) == 0.0
    zero = {2: np.zeros((1, 2))}, {2: np.zeros((1, 1))}
    assert bp.relative_error(*zero, *zero) == 0.0
    assert bp.relative_error(dW, db, *zero) == 1.0


def test_h_must_be_positive(small_net):
    with pytest.raises(ValueError, match=r"h must be finite and > 0; got 0\.0"):
        bp.numerical_gradients(*small_net, h=0.0)
