import numpy as np
import pytest

import bp
from bp.regularization import l2_gradient, l2_penalty
from conftest import GRADCHECK_TOL, assert_close_normwise, far_from_kinks, random_case


def test_l2_penalty_by_hand():
    W = {2: np.array([[1.0, 2.0]]), 3: np.array([[3.0]])}
    assert l2_penalty(W, 0.5) == pytest.approx(0.25 * (1 + 4 + 9))
    # l2_gradient adds λW^l to the gradient it is given, in place
    grad = np.array([[10.0, 20.0]])
    assert l2_gradient(W[2], 0.5, out=grad) is grad
    np.testing.assert_array_equal(grad, [[10.5, 21.0]])


def test_loss_adds_the_penalty_and_mean_divides_all_of_it(small_net):
    net, X, Y = small_net
    m, lam = X.shape[1], 0.3
    penalty = 0.5 * lam * sum(np.sum(W**2) for W in net.W.values())
    J_sum = bp.loss(net, X, Y, "sum", l2=lam)
    assert J_sum == pytest.approx(bp.loss(net, X, Y) + penalty, rel=1e-13)
    assert bp.loss(net, X, Y, "mean", l2=lam) == pytest.approx(J_sum / m, rel=1e-13)


def test_gradient_adds_lambda_W_and_leaves_biases_alone(small_net):
    net, X, Y = small_net
    dW0, db0 = bp.gradients(net, X, Y)
    dW, db = bp.gradients(net, X, Y, l2=0.7)
    for l in net.W:
        np.testing.assert_allclose(dW[l], dW0[l] + 0.7 * net.W[l], rtol=1e-13)
        np.testing.assert_array_equal(db[l], db0[l])


@pytest.mark.parametrize("seed", range(100))
def test_l2_gradients_match_central_differences(seed):
    for attempt in range(50):
        net, X, Y = random_case(1000 * attempt + seed)
        if far_from_kinks(net, X):
            break
    lam = float(np.random.default_rng(seed).uniform(0.01, 2.0))
    err = bp.gradient_check(net, X, Y, ("sum", "mean")[seed % 2], l2=lam)
    assert err < GRADCHECK_TOL, f"{net}, λ={lam}: relative error {err:.2e}"


@pytest.mark.parametrize("l2", [-0.1, np.nan])
def test_l2_must_not_be_negative(small_net, l2):
    with pytest.raises(ValueError, match="l2 must be finite and >= 0"):
        bp.gradients(*small_net, l2=l2)
    with pytest.raises(ValueError, match="l2 must be finite and >= 0"):
        bp.loss(*small_net, l2=l2)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_training_with_l2_is_the_regularized_update(small_net, reduction):
    net, X, Y = small_net
    manual = net.copy()
    h = bp.train(
        net, X, Y, alpha=0.1, max_iter=3, epsilon=0.0, batch_size=2, shuffle=False,
        reduction=reduction, l2=0.5, record_loss="exact",
    )  # fmt: skip
    for _ in range(3):
        for start in range(0, X.shape[1], 2):
            cols = slice(start, start + 2)
            bp.update(manual, *bp.gradients(manual, X[:, cols], Y[:, cols], reduction, l2=0.5), 0.1)
    for l in net.W:  # 9 updates of sums of ≤ 2 samples in two orders: normwise
        assert_close_normwise(net.W[l], manual.W[l], 1e-13)
    assert h.loss[-1] == pytest.approx(bp.loss(net, X, Y, reduction, l2=0.5), rel=1e-13)


def test_per_sample_trainer_with_l2_equals_train(small_net):
    net, X, Y = small_net
    twin = net.copy()
    bp.train(net, X, Y, alpha=0.1, max_iter=5, epsilon=0.0, l2=0.3)
    bp.train_per_sample(twin, X, Y, alpha=0.1, max_iter=5, epsilon=0.0, l2=0.3)
    for l in net.W:  # 5 updates, matrix form against a per-sample loop: normwise
        assert_close_normwise(net.W[l], twin.W[l], 1e-12)


def test_l2_shrinks_the_weights():
    X, Y = bp.data.moons(100, seed=0)
    plain, decayed = bp.Network((2, 16, 1), seed=0), bp.Network((2, 16, 1), seed=0)
    bp.train(plain, X, Y, alpha=0.5, max_iter=300, epsilon=0.0, reduction="mean")
    bp.train(decayed, X, Y, alpha=0.5, max_iter=300, epsilon=0.0, reduction="mean", l2=0.5)
    norm = lambda net: sum(np.sum(W**2) for W in net.W.values())  # noqa: E731
    assert norm(decayed) < 0.8 * norm(plain)


def test_dropout_masks_have_the_networks_dtype():
    # float32 training stays float32: each entry is 0 or 1/(1 − p) in the network's dtype.
    net = bp.Network((2, 5, 4, 1), seed=0, dtype=np.float32)
    masks = bp.regularization.dropout_masks(net, 7, 0.3, np.random.default_rng(0))
    assert sorted(masks) == [2, 3]
    for l, M in masks.items():
        assert M.dtype == np.float32 and M.shape == (net.n(l), 7)
        assert set(np.unique(M)) <= {np.float32(0), np.float32(1) / np.float32(0.7)}


class _Draws:
    """A generator stand-in whose uniform draws are all ``u``."""

    def __init__(self, u):
        self.u = u

    def random(self, shape):
        return np.full(shape, self.u)


def test_dropout_keeps_a_unit_only_when_its_draw_is_below_one_minus_p():
    # u uniform on [0, 1): P(u < 1 − p) = 1 − p exactly; u = 1 − p itself drops the unit
    net = bp.Network((2, 3, 1), seed=0)
    for u, kept in ((0.5 - 2.0**-53, True), (0.5, False)):
        M = bp.regularization.dropout_masks(net, 4, 0.5, _Draws(u))[2]
        np.testing.assert_array_equal(M, np.full((3, 4), 2.0 if kept else 0.0))
