import numpy as np

from bp import data


def test_xor_truth_table():
    X, Y = data.xor()
    assert X.shape == (2, 4) and Y.shape == (1, 4)
    np.testing.assert_array_equal(Y[0], np.logical_xor(X[0], X[1]))


def test_moons_layout_balance_and_seed():
    X, Y = data.moons(101, seed=3)
    assert X.shape == (2, 101) and Y.shape == (1, 101)
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert abs(Y.sum() - 50) <= 1
    X2, _ = data.moons(101, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, data.moons(101, seed=4)[0])


def test_moons_without_noise_lie_on_the_half_circles():
    X, Y = data.moons(50, noise=0.0, seed=0)
    first = Y[0] == 0
    np.testing.assert_allclose(np.hypot(X[0, first], X[1, first]), 1.0)
    np.testing.assert_allclose(np.hypot(X[0, ~first] - 1.0, X[1, ~first] - 0.5), 1.0)
