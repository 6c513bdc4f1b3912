"""bp.reference (issue 22): the per-sample pseudocode shares train's checks, loop and
objective gradient, so it agrees with train on a full batch under every convention."""

import numpy as np
import pytest

import bp


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_per_sample_equals_train_with_l2_and_weight_decay(reduction):
    X, Y = bp.data.moons(30, seed=0)
    net = bp.Network((2, 4, 1), seed=1)
    kwargs = dict(alpha=0.1, max_iter=4, epsilon=0.0, reduction=reduction, l2=0.2,
                  weight_decay=0.05)  # fmt: skip
    a, b = net.copy(), net.copy()
    ha = bp.train(a, X, Y, **kwargs)
    hb = bp.train_per_sample(b, X, Y, **kwargs)
    # sums of 30 outer products, per sample or as one matrix product: rounding only
    for l in net.W:
        np.testing.assert_allclose(a.W[l], b.W[l], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(a.b[l], b.b[l], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ha.loss, hb.loss, rtol=1e-12)


def test_per_sample_checks_its_arguments_as_train_does():
    X, Y = bp.data.moons(10, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    for bad in (dict(weight_decay=-1.0), dict(alpha=0.0), dict(stop="never")):
        kwargs = dict(alpha=0.1, max_iter=1, epsilon=0.0) | bad
        with pytest.raises(ValueError) as per_sample:
            bp.train_per_sample(net, X, Y, **kwargs)
        with pytest.raises(ValueError) as trained:
            bp.train(net, X, Y, **kwargs)
        assert str(per_sample.value) == str(trained.value)
