import numpy as np
import pytest

import bp
from bp import losses
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


def _finite_difference(f, a, y, h=1e-6):
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = h
        numeric[idx] = (f(a + e, y) - f(a - e, y)) / (2 * h)
    return numeric


@pytest.mark.parametrize("name", ["cross_entropy", "log_likelihood"])
def test_dJ_da_matches_central_difference(name):
    rng = np.random.default_rng(0)
    loss = get_loss(name)
    a = rng.uniform(0.2, 0.8, (3, 4))
    y = rng.uniform(size=(3, 4))
    np.testing.assert_allclose(loss.dJ_da(a, y), _finite_difference(loss.J, a, y), rtol=1e-7)


def test_cross_entropy_from_z_equals_the_formula_and_survives_saturation():
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((2, 5)), rng.uniform(size=(2, 5))
    a = bp.activations.sigmoid(z)
    assert losses.cross_entropy_from_z(z, y) == pytest.approx(losses.cross_entropy(a, y), rel=1e-12)
    # σ(40) rounds to 1.0, so the formula in a gives inf; from z the loss is exact.
    z, y = np.array([[40.0, -800.0]]), np.array([[0.0, 1.0]])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        J = losses.cross_entropy_from_z(z, y)
    assert J == pytest.approx(40.0 + 800.0, rel=1e-12)


def test_log_likelihood_from_z_equals_the_formula_and_survives_large_z():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 6))
    y = np.eye(4)[:, rng.integers(0, 4, 6)]
    a = bp.activations.softmax(z)
    assert losses.log_likelihood_from_z(z, y) == pytest.approx(
        losses.log_likelihood(a, y), rel=1e-12
    )
    z = np.array([[1000.0], [0.0]])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        assert losses.log_likelihood_from_z(z, np.array([[0.0], [1.0]])) == pytest.approx(1000.0)


def test_softmax_columns_sum_to_one_without_overflow():
    z = np.array([[1000.0, -5.0], [999.0, 5.0], [0.0, 0.0]])
    with np.errstate(over="raise", invalid="raise"):
        a = bp.activations.softmax(z)
    np.testing.assert_allclose(a.sum(axis=0), [1.0, 1.0])
    assert a[0, 0] == pytest.approx(1 / (1 + np.exp(-1.0)), rel=1e-12)


def test_cross_entropy_delta_equals_the_general_formula():
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((3, 4)), rng.uniform(size=(3, 4))
    a = bp.activations.sigmoid(z)
    general = bp.output_delta(losses.cross_entropy_prime(a, y), z, bp.activations.sigmoid_prime)
    np.testing.assert_allclose(general, a - y, rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(loss="cross_entropy", output_activation="identity"),
            "needs output_activation='sigmoid'",
        ),
        (dict(loss="cross_entropy", activation="relu"), "needs output_activation='sigmoid'"),
        (dict(loss="log_likelihood"), "needs output_activation='softmax'"),
        (dict(output_activation="softmax"), "needs loss='log_likelihood'; got loss='mse'"),
        (dict(activation="softmax"), "softmax is not elementwise"),
    ],
)
def test_combinations_that_make_no_sense(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bp.Network((2, 3, 2), **kwargs)
