import itertools

import numpy as np
import pytest

import bp
from bp import losses, propagation
from bp.regularization import dropout_masks
from conftest import GRADCHECK_TOL, assert_close_normwise, far_from_kinks, random_case


def dropout_loss(net, X, Y, masks, reduction="sum", l2=0.0):
    """J of the thinned network: the forward pass with a^l = σ(z^l) ⊙ M^l."""
    z, a = propagation.forward(net, X, masks=masks)
    return float(losses.objective(net, z[net.L], a[net.L], Y, reduction, l2))


def dropout_gradients(net, X, Y, masks, reduction="sum", l2=0.0):
    """∂J/∂W^l, ∂J/∂b^l of the thinned network: forward and backward with the masks."""
    z, a = propagation.forward(net, X, masks=masks)
    delta = propagation.backward(net, z, a, Y, masks=masks)
    dW, db = propagation.layer_gradients(net, delta, a, l2)
    if reduction == "mean":
        dW = {l: g / X.shape[1] for l, g in dW.items()}
        db = {l: g / X.shape[1] for l, g in db.items()}
    return dW, db


def test_masks_are_inverted_bernoulli_on_hidden_layers_only():
    net = bp.Network((3, 200, 100, 2), seed=0)
    masks = dropout_masks(net, 500, 0.3, np.random.default_rng(0))
    assert sorted(masks) == [2, 3]
    assert masks[2].shape == (200, 500) and masks[3].shape == (100, 500)
    for M in masks.values():
        assert set(np.unique(M)) == {0.0, 1 / 0.7}
        assert np.mean(M == 0) == pytest.approx(0.3, abs=0.01)
        assert M.mean() == pytest.approx(1.0, abs=0.02)


def test_all_ones_masks_give_the_plain_gradients(small_net):
    net, X, Y = small_net
    masks = {2: np.ones((4, X.shape[1]))}
    dW, db = dropout_gradients(net, X, Y, masks)
    dW0, db0 = bp.gradients(net, X, Y)
    for l in net.W:
        np.testing.assert_allclose(dW[l], dW0[l], rtol=1e-14)
        np.testing.assert_allclose(db[l], db0[l], rtol=1e-14)
    assert dropout_loss(net, X, Y, masks) == pytest.approx(bp.loss(net, X, Y), rel=1e-14)


def _numerical(net, X, Y, masks, reduction, l2, h=1e-5):
    grads = []
    for params in (net.W, net.b):
        g = {}
        for l, theta in params.items():
            g[l] = np.zeros_like(theta)
            for idx in np.ndindex(theta.shape):
                saved = theta[idx]
                theta[idx] = saved + h
                J_plus = dropout_loss(net, X, Y, masks, reduction, l2)
                theta[idx] = saved - h
                J_minus = dropout_loss(net, X, Y, masks, reduction, l2)
                theta[idx] = saved
                g[l][idx] = (J_plus - J_minus) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("seed", range(60))
def test_dropout_gradients_match_central_differences(seed):
    for attempt in range(50):
        net, X, Y = random_case(1000 * attempt + seed)
        if net.L >= 3 and far_from_kinks(net, X):
            break
    rng = np.random.default_rng(seed)
    masks = dropout_masks(net, X.shape[1], 0.4, rng)
    reduction, l2 = ("sum", "mean")[seed % 2], (0.0, 0.3)[seed % 3 == 0]
    err = bp.relative_error(
        *dropout_gradients(net, X, Y, masks, reduction, l2),
        *_numerical(net, X, Y, masks, reduction, l2),
    )
    assert err < GRADCHECK_TOL, f"{net}: relative error {err:.2e}"


def test_a_dropped_unit_gets_no_gradient_from_that_sample():
    net = bp.Network((2, 3, 1), seed=0)
    X, Y = np.ones((2, 1)), np.zeros((1, 1))
    masks = {2: np.array([[2.0], [0.0], [2.0]])}
    dW, db = dropout_gradients(net, X, Y, masks)
    assert np.all(dW[2][1] == 0) and db[2][1, 0] == 0 and dW[3][0, 1] == 0


def test_bad_reduction_and_no_hidden_layer(small_net):
    net, X, Y = small_net
    with pytest.raises(ValueError, match="reduction='avg'"):
        bp.train(net, X, Y, alpha=0.1, max_iter=1, epsilon=0.0, dropout=0.5, reduction="avg")
    with pytest.raises(ValueError, match=r"dropout acts on hidden layers; sizes=\(3, 2\) has none"):
        bp.train(bp.Network((3, 2), seed=0), X, Y, alpha=0.1, max_iter=1, epsilon=0.0, dropout=0.5)


# Missed bug (c) of issue 10: dropout must draw fresh masks for every batch.


def _manual_dropout_training(net, X, Y, alpha, k, p, seed, iterations, fresh=True):
    """Unshuffled mini-batches, one update per batch, masks drawn as bp.train draws them."""
    rng = np.random.default_rng(seed)  # shuffle=False: the masks are its only draws
    masks = None
    for _ in range(iterations):
        for start in range(0, X.shape[1], k):
            cols = slice(start, start + k)
            width = min(start + k, X.shape[1]) - start
            if fresh or masks is None or masks[2].shape[1] != width:
                masks = dropout_masks(net, width, p, rng)
            bp.update(net, *dropout_gradients(net, X[:, cols], Y[:, cols], masks), alpha)


def test_minibatch_dropout_is_the_manual_loop_with_fresh_masks_per_batch():
    X, Y = bp.data.moons(12, seed=0)
    net = bp.Network((2, 6, 5, 1), seed=0)
    fresh, reused = net.copy(), net.copy()
    bp.train(
        net, X, Y, alpha=0.2, max_iter=2, epsilon=0.0, batch_size=4, shuffle=False,
        dropout=0.4, seed=9,
    )  # fmt: skip
    _manual_dropout_training(fresh, X, Y, 0.2, 4, 0.4, seed=9, iterations=2)
    _manual_dropout_training(reused, X, Y, 0.2, 4, 0.4, seed=9, iterations=2, fresh=False)
    for l in net.W:  # 6 updates of sums of ≤ 4 samples in two orders: normwise
        assert_close_normwise(net.W[l], fresh.W[l], 1e-13)
        assert_close_normwise(net.b[l], fresh.b[l], 1e-13)
    assert max(np.abs(net.W[l] - reused.W[l]).max() for l in net.W) > 1e-6


def test_each_batch_forward_pass_gets_its_own_masks(monkeypatch):
    seen = []
    real_forward = bp.descent.forward

    def spy(net, X, z=None, a=None, masks=None):
        seen.append({l: M.copy() for l, M in masks.items()} if masks else None)
        return real_forward(net, X, z, a, masks)

    monkeypatch.setattr(bp.descent, "forward", spy)
    X, Y = bp.data.moons(20, seed=1)
    net = bp.Network((2, 8, 8, 1), seed=0)
    bp.train(net, X, Y, alpha=0.1, max_iter=2, epsilon=0.0, batch_size=5, dropout=0.5, seed=3)
    training = [m for m in seen if m is not None]  # the passes that train, not the loss's
    assert len(training) == 2 * 4  # ⌈20/5⌉ batches per iteration
    for before, after in itertools.pairwise(training):
        assert sorted(before) == sorted(after) == [2, 3]
        assert all(before[l].shape == after[l].shape == (8, 5) for l in before)
        assert any(not np.array_equal(before[l], after[l]) for l in before)
