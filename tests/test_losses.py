import numpy as np
import pytest

import bp
from bp.losses import get_loss, mse, mse_prime


def test_mse_by_hand():
    a = np.array([[0.5, 1.0], [0.0, 2.0]])
    y = np.array([[1.0, 1.0], [1.0, 0.0]])
    # ½ (0.25 + 1) + ½ (0 + 4)
    assert mse(a, y) == pytest.approx(0.625 + 2.0)


def test_mse_prime_matches_central_difference():
    rng = np.random.default_rng(0)
    a, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    h = 1e-6
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = h
        numeric[idx] = (mse(a + e, y) - mse(a - e, y)) / (2 * h)
    np.testing.assert_allclose(mse_prime(a, y), numeric, rtol=1e-7)


def test_loss_sum_is_m_times_mean(small_net):
    net, X, Y = small_net
    m = X.shape[1]
    assert bp.loss(net, X, Y, "sum") == pytest.approx(m * bp.loss(net, X, Y, "mean"), rel=1e-12)


def test_loss_is_sum_of_per_sample_losses(small_net):
    net, X, Y = small_net
    per_sample = [bp.loss(net, X[:, [i]], Y[:, [i]]) for i in range(X.shape[1])]
    assert bp.loss(net, X, Y) == pytest.approx(sum(per_sample), rel=1e-12)


def test_unknown_loss():
    with pytest.raises(
        ValueError, match=r"loss='hinge' is not a known loss; expected one of 'mse'"
    ):
        get_loss("hinge")
    with pytest.raises(ValueError, match="loss='hinge'"):
        bp.Network((2, 1), loss="hinge")
