import numpy as np
import pytest
from conftest import far_from_kinks, random_case

import bp
from bp.dropout import dropout_gradients, dropout_loss, dropout_masks


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
    assert err < 1e-7, f"{net}: relative error {err:.2e}"


def test_a_dropped_unit_gets_no_gradient_from_that_sample():
    net = bp.Network((2, 3, 1), seed=0)
    X, Y = np.ones((2, 1)), np.zeros((1, 1))
    masks = {2: np.array([[2.0], [0.0], [2.0]])}
    dW, db = dropout_gradients(net, X, Y, masks)
    assert np.all(dW[2][1] == 0) and db[2][1, 0] == 0 and dW[3][0, 1] == 0


def test_bad_reduction_and_no_hidden_layer(small_net):
    net, X, Y = small_net
    masks = dropout_masks(net, X.shape[1], 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="reduction='avg'"):
        dropout_gradients(net, X, Y, masks, reduction="avg")
    with pytest.raises(ValueError, match="reduction='avg'"):
        dropout_loss(net, X, Y, masks, reduction="avg")
    with pytest.raises(ValueError, match=r"dropout acts on hidden layers; sizes=\(3, 2\) has none"):
        bp.train(bp.Network((3, 2), seed=0), X, Y, 0.1, 1, 0.0, dropout=0.5)
