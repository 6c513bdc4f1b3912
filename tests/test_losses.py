import numpy as np
import pytest

import bp
from bp import losses
from bp._checks import activation, loss_pair
from bp.activations import SOFTMAX, sigmoid, sigmoid_prime, softmax
from bp.losses import mse, mse_prime
from conftest import central_difference_atol


def test_mse_by_hand():
    a = np.array([[0.5, 1.0], [0.0, 2.0]])
    y = np.array([[1.0, 1.0], [1.0, 0.0]])
    # ½ (0.25 + 1) + ½ (0 + 4)
    assert mse(None, a, y) == pytest.approx(0.625 + 2.0)


def test_every_J_returns_a_numpy_scalar():
    z = np.array([[0.5, -1.0], [2.0, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    for name, a in (("mse", sigmoid(z)), ("cross_entropy", sigmoid(z)), ("log_likelihood", None)):
        a = softmax(z) if a is None else a
        J = bp.LOSSES[name].J(z, a, y)
        assert np.ndim(J) == 0 and isinstance(float(J), float)


def test_mse_prime_matches_central_difference():
    rng = np.random.default_rng(0)
    a, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    h = 1e-6
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = h
        numeric[idx] = (mse(None, a + e, y) - mse(None, a - e, y)) / (2 * h)
    # J is quadratic (no truncation); it sums 12 squares: 12 eps·|J|/h of rounding, absolute
    atol = central_difference_atol(h, mse(None, a, y), ulps=a.size, f3_scale=0.0)
    np.testing.assert_allclose(mse_prime(a, y), numeric, rtol=1e-7, atol=atol)
    out = np.empty_like(a)
    assert mse_prime(a, y, out=out) is out
    np.testing.assert_array_equal(out, mse_prime(a, y))


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
        loss_pair("hinge", activation("sigmoid"))
    with pytest.raises(ValueError, match="loss='hinge'"):
        bp.Network((2, 1), loss="hinge")


def _finite_difference_in_z(J, z, y, sigma, h=1e-6):
    numeric = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[idx] = h
        numeric[idx] = (J(z + e, sigma(z + e), y) - J(z - e, sigma(z - e), y)) / (2 * h)
    return numeric


@pytest.mark.parametrize("name", ["cross_entropy", "log_likelihood"])
def test_delta_L_is_dJ_dz_by_central_differences(name):
    # For the paired losses δ^L = ∂J/∂z^L = a^L − y in closed form.
    rng = np.random.default_rng(0)
    loss = bp.LOSSES[name]
    sigma = sigmoid if name == "cross_entropy" else softmax
    z = rng.standard_normal((3, 4))
    y = rng.uniform(size=(3, 4)) if name == "cross_entropy" else np.eye(3)[:, [0, 2, 1, 2]]
    numeric = _finite_difference_in_z(loss.J, z, y, sigma)
    # h = 1e-6: h²/6·|J'''| ≤ 2e-13; J sums 12 terms with exp and log: (12 + 8) eps·|J|/h
    atol = central_difference_atol(1e-6, float(loss.J(z, sigma(z), y)), ulps=z.size + 8)
    np.testing.assert_allclose(loss.delta_L(sigma(z), y), numeric, rtol=1e-7, atol=atol)


def test_cross_entropy_from_z_equals_the_formula_and_survives_saturation():
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((2, 5)), rng.uniform(size=(2, 5))
    a = 1.0 / (1.0 + np.exp(-z))
    formula = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
    assert losses.cross_entropy(z, a, y) == pytest.approx(formula, rel=1e-12)
    # σ(40) rounds to 1.0, so the formula in a gives inf; from z the loss is exact.
    z, y = np.array([[40.0, -800.0]]), np.array([[0.0, 1.0]])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        J = losses.cross_entropy(z, sigmoid(z), y)
    assert J == pytest.approx(40.0 + 800.0, rel=1e-12)


def test_log_likelihood_from_z_equals_the_formula_and_survives_large_z():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 6))
    y = np.eye(4)[:, rng.integers(0, 4, 6)]
    e = np.exp(z)
    formula = -np.sum(y * np.log(e / e.sum(axis=0)))
    assert losses.log_likelihood(z, softmax(z), y) == pytest.approx(formula, rel=1e-12)
    z = np.array([[1000.0], [0.0]])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        J = losses.log_likelihood(z, softmax(z), np.array([[0.0], [1.0]]))
    assert J == pytest.approx(1000.0)


def test_softmax_columns_sum_to_one_without_overflow():
    z = np.array([[1000.0, -5.0], [999.0, 5.0], [0.0, 0.0]])
    with np.errstate(over="raise", invalid="raise"):
        a = bp.activations.softmax(z)
    np.testing.assert_allclose(a.sum(axis=0), [1.0, 1.0])
    assert a[0, 0] == pytest.approx(1 / (1 + np.exp(-1.0)), rel=1e-12)


# Missed bug (a) of issue 10: a softmax without the max subtraction overflows at large logits.
Z_LARGE = np.array([[1000.0, -1000.0], [1001.0, -999.0], [999.0, -1001.0]])
# softmax is unchanged by a shift: softmax(1000 + (0, 1, −1)) = (1, e, 1/e) / (1 + e + 1/e)
A_LARGE = np.array([[1.0], [np.e], [1 / np.e]]) / (1 + np.e + 1 / np.e) * np.ones((1, 2))


def test_softmax_at_logits_near_1000_by_hand():
    with np.errstate(all="ignore"):  # let an overflow through, so that its NaN is seen
        a = softmax(Z_LARGE)
    np.testing.assert_allclose(a, A_LARGE, rtol=1e-14)
    out = np.empty_like(Z_LARGE)
    with np.errstate(all="ignore"):
        assert softmax(Z_LARGE, out=out) is out
    np.testing.assert_allclose(out, A_LARGE, rtol=1e-14)


def test_log_likelihood_at_logits_near_1000_by_hand():
    Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    # J = Σ_i −ln a_{y_i}: class 1 of column 1, class 3 of column 2
    expected = -np.log(A_LARGE[0, 0]) - np.log(A_LARGE[2, 0])
    with np.errstate(all="ignore"):
        J = losses.log_likelihood(Z_LARGE, softmax(Z_LARGE), Y)
        objective = losses.objective(
            bp.Network((2, 3), output_activation="softmax", loss="log_likelihood", seed=0),
            Z_LARGE, softmax(Z_LARGE), Y, "mean",
        )  # fmt: skip
    assert float(J) == pytest.approx(expected, rel=1e-13)
    assert float(objective) == pytest.approx(expected / 2, rel=1e-13)


def test_training_a_softmax_output_on_large_inputs_stays_finite():
    # Logits of order 1000 from large inputs: J, δ^L and the step stay finite and correct.
    net = bp.Network((2, 3), output_activation="softmax", loss="log_likelihood", seed=0)
    net.W[2][...] = [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
    net.b[2][...] = 0.0
    X = np.array([[1000.0, 0.0, 400.0, 500.0], [0.0, 1000.0, 600.0, 500.0]])
    Y = np.eye(3)[:, [1, 2, 0, 1]]  # mostly the wrong class, by hundreds of units of z
    h = bp.train(net, X, Y, alpha=1e-5, max_iter=3, epsilon=0.0)
    assert np.isfinite(h.loss).all() and all(np.isfinite(W).all() for W in net.W.values())
    z = net.W[2] @ X + net.b[2]
    z_max = z.max(axis=0)
    J = np.sum(z_max + np.log(np.exp(z - z_max).sum(axis=0)) - np.sum(Y * z, axis=0))
    assert h.loss[-1] == pytest.approx(J, rel=1e-12)
    assert h.loss[-1] < h.loss[0] and h.loss[0] > 100


def test_cross_entropy_delta_equals_the_general_formula():
    # ∂J/∂a = (a − y) / (a(1 − a)) for J = −Σ [y ln a + (1 − y) ln(1 − a)], written out here;
    # through the document's δ^L = ∂J/∂a ⊙ σ'(z) it is the closed form a − y.
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((3, 4)), rng.uniform(size=(3, 4))
    a = sigmoid(z)
    dJ_da = (a - y) / (a * (1 - a))
    general = bp.output_delta(dJ_da, z, sigmoid_prime)
    np.testing.assert_allclose(general, a - y, rtol=1e-12)
    np.testing.assert_allclose(bp.LOSSES["cross_entropy"].delta_L(a, y), general, rtol=1e-12)


def test_softmax_has_no_sigma_prime():
    assert SOFTMAX.sigma_prime is None and SOFTMAX.name == "softmax"


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


def test_objective_of_without_penalties_is_the_summed_J():
    W = {2: np.array([[3.0, -4.0]]), 3: np.array([[12.0]])}
    J = np.float64(2.5)
    assert losses.objective_of(J, W, 5) == 2.5  # defaults: sum, λ = 0, λ_wd = 0
    assert losses.objective_of(J, W, 5, l2=2.0) == 2.5 + (25.0 + 144.0)  # (λ/2) Σ ‖W^l‖²
    assert losses.objective_of(J, W, 5, weight_decay=2.0) == 2.5 + (25.0 + 144.0)


def test_output_minus_target_writes_into_out():
    a = np.array([[0.25, 1.0], [0.5, 0.0]])
    y = np.array([[1.0, 1.0], [0.0, 0.5]])
    out = np.full((2, 2), 9.0)
    assert losses.output_minus_target(a, y, out=out) is out
    np.testing.assert_array_equal(out, [[-0.75, 0.0], [0.5, -0.5]])
