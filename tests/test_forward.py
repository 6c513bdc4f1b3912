import numpy as np
import pytest

import bp


def test_hand_computed_2_2_1():
    net = bp.Network((2, 2, 1))
    net.W[2][...] = [[1.0, -1.0], [0.5, 2.0]]
    net.b[2][...] = [[0.0], [-1.0]]
    net.W[3][...] = [[1.0, 1.0]]
    net.b[3][...] = [[0.5]]
    x = np.array([[1.0], [2.0]])
    z, a = bp.forward(net, x)
    # Worked out by hand (40-digit decimal arithmetic), nothing taken from bp:
    # z^2 = W^2 x + b^2 = (1 − 2 + 0, 0.5 + 4 − 1) = (−1, 3.5)
    np.testing.assert_allclose(z[2], [[-1.0], [3.5]], rtol=1e-15)
    # a^2 = σ(z^2) = (1/(1 + e), 1/(1 + e^{−3.5}))
    a2 = [[0.2689414213699951207488], [0.9706877692486436811347]]
    np.testing.assert_allclose(a[2], a2, rtol=1e-15)
    # z^3 = a^2_1 + a^2_2 + 0.5, a^3 = σ(z^3)
    np.testing.assert_allclose(z[3], [[1.739629190618638801884]], rtol=1e-15)
    np.testing.assert_allclose(a[3], [[0.8506399596622939932654]], rtol=1e-15)
    assert a[1] is not None and np.array_equal(a[1], x)


def test_columns_are_independent_samples():
    net = bp.Network((3, 4, 2), seed=0)
    X = np.random.default_rng(0).standard_normal((3, 6))
    whole = bp.predict(net, X)
    one_by_one = np.hstack([bp.predict(net, X[:, [i]]) for i in range(6)])
    np.testing.assert_allclose(whole, one_by_one, rtol=1e-14)


def test_forward_keeps_every_layer():
    net = bp.Network((3, 4, 5, 2), seed=0)
    X = np.ones((3, 7))
    z, a = bp.forward(net, X)
    assert sorted(z) == [2, 3, 4] and sorted(a) == [1, 2, 3, 4]
    for l in z:
        assert z[l].shape == a[l].shape == (net.n(l), 7)


def test_integer_input_is_accepted_as_float():
    net = bp.Network((2, 1), seed=0)
    np.testing.assert_allclose(
        bp.predict(net, np.array([[1], [0]])), bp.predict(net, np.array([[1.0], [0.0]]))
    )


def test_predict_and_loss_agree():
    net = bp.Network((2, 3, 1), seed=0)
    X, Y = bp.data.xor()
    assert bp.loss(net, X, Y) == pytest.approx(0.5 * np.sum((bp.predict(net, X) - Y) ** 2))
