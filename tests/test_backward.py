import numpy as np
import pytest
from conftest import far_from_kinks, random_case

import bp
from bp.activations import sigmoid_prime

N_CASES = 120


def _kink_free_case(seed):
    for attempt in range(50):
        net, X, Y = random_case(1000 * attempt + seed)
        if far_from_kinks(net, X):
            return net, X, Y
    raise AssertionError("no kink-free case found")  # pragma: no cover


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("seed", range(N_CASES))
def test_gradients_match_central_differences(seed, reduction):
    net, X, Y = _kink_free_case(seed)
    err = bp.gradient_check(net, X, Y, reduction)
    assert err < 1e-7, f"{net}, m={X.shape[1]}: relative error {err:.2e}"


def test_gradient_shapes_match_parameters():
    net = bp.Network((4, 6, 3, 2), seed=0)
    X, Y = np.ones((4, 5)), np.zeros((2, 5))
    dW, db = bp.gradients(net, X, Y)
    for l in range(2, net.L + 1):
        assert dW[l].shape == net.W[l].shape and db[l].shape == net.b[l].shape


def _sigmoid_prime_by_hand(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


def _sigmoid_net_by_hand(net, X):
    a = X
    for l in range(2, net.L + 1):
        a = 1.0 / (1.0 + np.exp(-(net.W[l] @ a + net.b[l])))
    return a


def test_output_delta_by_hand():
    # σ'(0) = ½ · ½ = 0.25 and σ'(ln 3) = ¾ · ¼ = 0.1875 (σ(ln 3) = 3/4).
    z = np.array([[0.0, np.log(3.0)], [np.log(3.0), 0.0]])
    dJ_da = np.array([[2.0, -4.0], [8.0, 1.0]])
    expected = np.array([[0.5, -0.75], [1.5, 0.25]])
    np.testing.assert_allclose(bp.output_delta(dJ_da, z, sigmoid_prime), expected, rtol=1e-15)


def test_output_delta_is_dJ_dz_by_central_differences():
    # δ^L = ∂J/∂z^L for the document's J = ½ ‖σ(z) − y‖², column by column.
    rng = np.random.default_rng(0)
    y, z = rng.uniform(size=(3, 4)), rng.standard_normal((3, 4))

    def J(z):
        return 0.5 * np.sum((1.0 / (1.0 + np.exp(-z)) - y) ** 2)

    h, numeric = 1e-6, np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[idx] = h
        numeric[idx] = (J(z + e) - J(z - e)) / (2 * h)
    a = 1.0 / (1.0 + np.exp(-z))
    # central differences: h² truncation plus eps·J/h rounding, about 1e-10 absolute
    delta = bp.output_delta(a - y, z, sigmoid_prime)
    np.testing.assert_allclose(delta, numeric, rtol=1e-8, atol=1e-9)


def test_hidden_delta_is_matrix_product_then_hadamard():
    rng = np.random.default_rng(0)
    W_next, delta_next, z = (rng.standard_normal(s) for s in ((2, 3), (2, 4), (3, 4)))
    expected = np.empty((3, 4))
    for i in range(4):
        for j in range(3):
            expected[j, i] = sum(W_next[k, j] * delta_next[k, i] for k in range(2))
            expected[j, i] *= _sigmoid_prime_by_hand(z[j, i])
    np.testing.assert_allclose(bp.hidden_delta(W_next, delta_next, z, sigmoid_prime), expected)


def test_weight_gradient_is_sum_of_outer_products():
    rng = np.random.default_rng(0)
    delta, a_prev = rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    outer_sum = sum(np.outer(delta[:, i], a_prev[:, i]) for i in range(5))
    np.testing.assert_allclose(bp.weight_gradient(delta, a_prev), outer_sum, rtol=1e-13)


def test_bias_gradient_sums_the_samples_by_hand():
    # ∂J/∂b^l = Σ_i δ^{i,l}: the columns (samples) added, one row per neuron.
    delta = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, -6.0]])
    db = bp.bias_gradient(delta)
    assert db.shape == (2, 1)
    np.testing.assert_array_equal(db, [[6.0], [3.0]])


def test_bias_gradients_are_dJ_db_by_central_differences(small_net):
    # The bias half of the gradient against finite differences of J, nothing of bp's backward.
    net, X, Y = small_net
    _, db = bp.gradients(net, X, Y)
    h = 1e-6
    for l in net.b:
        for j in range(net.n(l)):
            plus, minus = net.copy(), net.copy()
            plus.b[l][j, 0] += h
            minus.b[l][j, 0] -= h
            J = [0.5 * np.sum((_sigmoid_net_by_hand(n, X) - Y) ** 2) for n in (plus, minus)]
            assert db[l][j, 0] == pytest.approx((J[0] - J[1]) / (2 * h), rel=1e-7, abs=1e-10)


def test_sum_is_m_times_mean(small_net):
    net, X, Y = small_net
    m = X.shape[1]
    dW_s, db_s = bp.gradients(net, X, Y, "sum")
    dW_m, db_m = bp.gradients(net, X, Y, "mean")
    for l in dW_s:
        np.testing.assert_allclose(dW_s[l], m * dW_m[l], rtol=1e-13)
        np.testing.assert_allclose(db_s[l], m * db_m[l], rtol=1e-13)


def test_backward_gives_every_hidden_layer():
    net = bp.Network((2, 3, 3, 3, 1), seed=0)
    X, Y = np.ones((2, 2)), np.zeros((1, 2))
    z, a = bp.forward(net, X)
    delta = bp.backward(net, z, a, Y)
    assert sorted(delta) == [2, 3, 4, 5]
    assert all(delta[l].shape == (net.n(l), 2) for l in delta)


def test_backward_rejects_targets_of_another_batch():
    net = bp.Network((2, 1), seed=0)
    z, a = bp.forward(net, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Y has shape \(1, 4\); expected \(1, 3\)"):
        bp.backward(net, z, a, np.zeros((1, 4)))


@pytest.mark.parametrize("loss", ["cross_entropy", "log_likelihood"])
@pytest.mark.parametrize("seed", range(60))
def test_paired_losses_match_central_differences(seed, loss):
    rng = np.random.default_rng(seed)
    output = "sigmoid" if loss == "cross_entropy" else "softmax"
    for attempt in range(50):
        net, X, _ = random_case(1000 * attempt + seed)
        if net.sizes[-1] < 2 and output == "softmax":
            continue
        net = bp.Network(net.sizes, net.activation.name, output, loss, seed=seed)
        if far_from_kinks(net, X):
            break
    m = X.shape[1]
    if loss == "cross_entropy":
        Y = rng.uniform(size=(net.sizes[-1], m))
    else:
        Y = np.eye(net.sizes[-1])[:, rng.integers(0, net.sizes[-1], m)]
    reduction = ("sum", "mean")[seed % 2]
    err = bp.gradient_check(net, X, Y, reduction)
    assert err < 1e-7, f"{net}, m={m}: relative error {err:.2e}"
