"""A learner's mistake gets a diagnosis: training that went wrong is never reported as converged,
and errors blame the real cause (issue 11, points 1, 2, 7, 8, 9)."""

import numpy as np
import pytest

import bp
from bp import data

OUTPUTS = [
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("relu", "mse"),
    ("identity", "mse"),
    ("softmax", "log_likelihood"),
    ("sigmoid", "cross_entropy"),
]


def _task(output, loss, m=120):
    X, Y = data.moons(m, seed=1)
    if output == "softmax":
        Y = data.one_hot(data.labels_of(Y), 2)
    if output == "tanh":
        Y = 2 * Y - 1
    return bp.Network((2, 8, Y.shape[0]), "sigmoid", output, loss, seed=3), X, Y


@pytest.mark.parametrize("output, loss", OUTPUTS)
@pytest.mark.parametrize("batch_size", [None, 16])
def test_a_huge_step_is_never_converged(output, loss, batch_size):
    net, X, Y = _task(output, loss)
    try:
        h = bp.train(net, X, Y, alpha=1e4, max_iter=50, epsilon=1e-3, batch_size=batch_size, seed=0)
    except bp.TrainingDiverged as err:
        assert "alpha=10000.0" in str(err)
        assert isinstance(err, FloatingPointError) and isinstance(err.history, bp.History)
        assert not err.history.converged
    else:
        assert not h.converged and h.stalled
        assert "α is probably too large" in h.reason


@pytest.mark.parametrize("output, loss", OUTPUTS)
@pytest.mark.parametrize("batch_size", [None, 16])
def test_a_good_step_raises_no_false_alarm(output, loss, batch_size):
    net, X, Y = _task(output, loss)
    alpha = 0.05 if output in ("relu", "identity") else 0.5
    h = bp.train(
        net, X, Y, alpha=alpha, max_iter=200, epsilon=1e-5, batch_size=batch_size, seed=0,
        reduction="mean",
    )  # fmt: skip
    assert not h.stalled, h.reason
    assert h.loss[-1] < h.loss[0]


def test_saturated_sigmoid_stall_is_named_with_counts():
    X, Y = data.moons(160, seed=0)
    net = bp.Network((2, 8, 8, 1), seed=0)
    h = bp.train(net, X, Y, alpha=20.0, max_iter=3000, epsilon=1e-6)
    assert h.stalled and not h.converged
    assert "J rose from" in h.reason and "output units saturated on the wrong side" in h.reason


def test_without_recorded_loss_the_stall_is_judged_by_saturation():
    X, Y = data.moons(160, seed=0)
    net = bp.Network((2, 8, 8, 1), seed=0)
    h = bp.train(net, X, Y, alpha=20.0, max_iter=3000, epsilon=1e-6, record_loss=False)
    assert h.stalled and not h.converged and h.loss == []
    assert "J was not recorded: judged by saturation" in h.reason


def test_exploding_weights_raise_naming_alpha():
    X, Y = data.moons(160, seed=0)
    net = bp.Network((2, 8, 8, 1), seed=0)
    with pytest.raises(bp.TrainingDiverged, match=r"alpha=1e\+308"):
        bp.train(net, X, Y, alpha=1e308, max_iter=50, epsilon=0.0)
    assert all(np.isfinite(W).all() for W in net.W.values())


def test_converged_runs_say_which_rule_stopped_them():
    X, Y = data.moons(160, seed=0)
    net = bp.Network((2, 8, 8, 1), seed=0)
    h = bp.train(net, X, Y, alpha=0.02, max_iter=10000, epsilon=1e-4)
    assert h.converged and not h.stalled and h.reason.startswith("the ε rule")
    h = bp.train(net, X, Y, alpha=0.02, max_iter=3, epsilon=0.0)
    assert not h.converged and h.reason == "Max: 3 iterations ran"


# -- errors blame the real cause ----------------------------------------------------------


@pytest.fixture
def net_xy():
    X, Y = data.moons(20, seed=0)
    return bp.Network((2, 3, 1), seed=0), X, Y


@pytest.mark.parametrize("call", ["train", "predict", "gradients"])
def test_nan_weight_set_by_hand_is_named(net_xy, call):
    net, X, Y = net_xy
    net.W[2][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"net\.W\[2\] holds NaN or inf"):
        _call(call, net, X, Y)


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda n: n.W.__setitem__(2, np.zeros((3, 3))), ValueError, r"net\.W\[2\] has shape"),
        (lambda n: n.b.__setitem__(3, np.zeros(1)), ValueError, r"net\.b\[3\] has shape"),
        (lambda n: n.W.__setitem__(3, np.zeros((1, 3), np.float32)), TypeError, "dtype float32"),
        (lambda n: n.W[2].setflags(write=False), ValueError, r"net\.W\[2\] is read-only"),
        (lambda n: n.W.__setitem__(2, [[1.0, 2.0]] * 3), TypeError, r"net\.W\[2\] must be"),
    ],
)
@pytest.mark.parametrize("call", ["train", "predict", "gradients"])
def test_weights_changed_by_hand_are_named(net_xy, change, error, match, call):
    net, X, Y = net_xy
    change(net)
    if call != "train" and "read-only" in match:
        pytest.skip("only training writes the weights")
    with pytest.raises(error, match=match):
        _call(call, net, X, Y)


def test_read_only_weights_still_predict(net_xy):
    net, X, _ = net_xy
    expected = bp.predict(net, X)
    net.W[2].setflags(write=False)
    np.testing.assert_array_equal(bp.predict(net, X), expected)


def _call(call, net, X, Y):
    if call == "train":
        return bp.train(net, X, Y, alpha=0.1, max_iter=2, epsilon=0.0)
    if call == "predict":
        return bp.predict(net, X)
    return bp.gradients(net, X, Y)


@pytest.mark.parametrize("name", ["X", "Y"])
def test_values_that_overflow_J_are_named_not_blamed_on_alpha(net_xy, name):
    net, X, Y = net_xy
    big = {"X": (X * 1e200, Y), "Y": (X, Y * 1e200)}[name]
    with pytest.raises(ValueError, match=rf"^{name} has values up to .*rescale {name}"):
        bp.train(net, *big, alpha=0.1, max_iter=2, epsilon=0.0)


@pytest.mark.parametrize(
    "seed, error", [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)]
)
def test_bad_seed_is_named(net_xy, seed, error):
    net, X, Y = net_xy
    with pytest.raises(error, match="seed"):
        bp.Network((2, 3, 1), seed=seed)
    with pytest.raises(error, match="seed"):
        bp.train(net, X, Y, alpha=0.1, max_iter=1, epsilon=0.0, batch_size=4, seed=seed)


def test_float32_soft_labels_summing_to_one_within_rounding_are_accepted():
    K, m = 1000, 7
    rng = np.random.default_rng(0)
    P = rng.random((K, m)).astype(np.float32)
    P /= P.sum(axis=0, keepdims=True)
    assert np.abs(P.sum(axis=0, dtype=np.float32) - 1).max() > 1e-6  # float32 rounding shows
    net = bp.Network((3, K), "sigmoid", "softmax", "log_likelihood", seed=0, dtype=np.float32)
    X = rng.standard_normal((3, m)).astype(np.float32)
    assert np.isfinite(bp.loss(net, X, P))
    with pytest.raises(ValueError, match="sums to"):
        bp.loss(net, X, P * 1.01)


# -- bp.plot checks its own inputs ----------------------------------------------------------


def test_plot_names_the_users_data_not_its_grid(net_xy):
    from bp import plot

    net, X, Y = net_xy
    with pytest.raises(ValueError, match="resolution must be an integer >= 2"):
        plot.decision_boundary(net, X, Y, resolution=1)
    bad = X.copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match=r"^X holds NaN or inf"):
        plot.decision_boundary(net, bad, Y)
    with pytest.raises(ValueError, match=r"^Y_test must have shape"):
        plot.decision_boundary(net, X, Y, X_test=X, Y_test=Y[:, :3])
    with pytest.raises(TypeError, match="n must be an integer"):
        plot.misclassified(np.zeros((64, 3)), [0, 1, 2], [1, 1, 2], n=2.5)


def test_a_dead_start_is_blamed_on_the_initialisation_not_alpha():
    X, Y = data.moons(120, seed=1)
    net = bp.Network((2, 8, 1), "sigmoid", "relu", seed=0)
    z, _ = bp.forward(net, X)
    assert (z[net.L] <= 0).all()  # every output unit starts dead: σ' = 0 everywhere
    h = bp.train(net, X, Y, alpha=0.05, max_iter=50, epsilon=1e-6, reduction="mean")
    assert h.stalled and not h.converged
    assert "(from the start)" in h.reason and "try another init or seed" in h.reason


def test_a_dead_relu_layer_is_named():
    X, Y = data.moons(120, seed=1)
    Y = data.one_hot(data.labels_of(Y), 2)
    net = bp.Network((2, 16, 2), "relu", "softmax", "log_likelihood", seed=0, init="he")
    h = bp.train(net, X, Y, alpha=20.0, max_iter=30, epsilon=0.0, reduction="mean")
    _, a = bp.forward(net, X)
    assert not a[2].any()  # every hidden unit outputs 0 for every sample
    assert (
        h.stalled and "hidden layer 2 is dead" in h.reason and "α is probably too large" in h.reason
    )
    net = bp.Network((2, 16, 2), "relu", "softmax", "log_likelihood", seed=0, init="he")
    net.b[2][...] = -100.0  # dead before the first step: no gradient ever reaches W^2, b^2
    h = bp.train(net, X, Y, alpha=0.1, max_iter=5, epsilon=0.0, reduction="mean")
    assert h.stalled and "hidden layer 2 is dead (every ReLU unit outputs 0) (from the start)" in (
        h.reason
    )
    assert "try another init or seed" in h.reason


# Issue 23, C16: the ε rule firing because the step was too small to move anything is no
# convergence: the run is marked stalled, saying why.
def _moons_accuracy(net, X, Y):
    return float(((bp.predict(net, X) > 0.5) == Y).mean())


@pytest.mark.parametrize("stop", ["change", "loss", "relative_change"])
def test_a_step_too_small_to_move_anything_is_not_convergence(stop):
    X, Y = data.moons(120, seed=0)
    net = bp.Network((2, 8, 8, 1), seed=0)
    history = bp.train(net, X, Y, alpha=1e-8, max_iter=1000, epsilon=1e-4, stop=stop)
    assert _moons_accuracy(net, X, Y) == 0.5
    assert not history.converged and history.stalled
    assert "J fell by only" in history.reason and "% of J at the start" in history.reason
    assert "α is probably too small for this ε" in history.reason


def test_a_deep_sigmoid_net_that_learned_nothing_is_not_converged():
    X, Y = data.moons(120, seed=0)
    net = bp.Network((2, 8, 8, 8, 8, 8, 1), seed=0)
    history = bp.train(net, X, Y, alpha=0.01, max_iter=5000, epsilon=1e-4)
    assert _moons_accuracy(net, X, Y) == 0.5
    assert not history.converged and history.stalled
    assert "learned nothing" in history.reason


def test_all_zero_weights_are_named_as_a_symmetric_start():
    X = np.array([[0.0, 0, 1, 1], [0, 1, 0, 1]])
    Y = np.array([[0.0, 1, 1, 0]])
    net = bp.Network((2, 3, 1), seed=0)
    for l in net.W:
        net.W[l][...] = 0
        net.b[l][...] = 0
    history = bp.train(net, X, Y, alpha=0.5, max_iter=1000, epsilon=1e-4)
    assert not history.converged and history.stalled
    assert "J did not fall" in history.reason and "symmetric start" in history.reason


def test_a_run_resumed_at_its_converged_weights_is_still_converged():
    X, Y = data.moons(200, seed=0)
    net = bp.Network((2, 8, 8, 1), seed=0)
    first = bp.train(net, X, Y, alpha=0.02, max_iter=10000, epsilon=1e-3)
    again = bp.train(net, X, Y, alpha=0.02, max_iter=10000, epsilon=1e-3)
    assert first.converged and again.converged and again.iterations == 1


# Issue 23, C18: J's rounding and SGD's noise at a minimum are no rise and no divergence.
def test_rounding_noise_at_an_exact_fit_is_not_divergence():
    rng = np.random.default_rng(0)
    X = 1e4 * rng.normal(size=(3, 50))
    X[:, 0] = 1e-3  # one sample fits to J ~ 1e-38, the others carry rounding ~ 1e-23
    net = bp.Network((3, 3, 1), "identity", seed=0)
    net.W[2][...], net.b[2][...], net.b[3][...] = np.eye(3), 0, 0
    net.W[3][...] = rng.normal(size=(1, 3))
    Y = bp.predict(net, X)
    Y[0, 0] = np.nextafter(Y[0, 0], np.inf)
    for batch_size in (1, 5):
        history = bp.train(net.copy(), X, Y, alpha=1e-9, max_iter=20, epsilon=0,
                           batch_size=batch_size, seed=0)  # fmt: skip
        assert not history.stalled and history.reason.startswith("Max")


def test_sgd_started_at_the_least_squares_optimum_is_not_stalled():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 50))
    Y = rng.normal(size=(1, 3)) @ X + 0.5 + 0.01 * rng.normal(size=(1, 50))
    A = np.vstack([X, np.ones((1, 50))])
    solution = np.linalg.lstsq(A.T, Y.T, rcond=None)[0].T
    net = bp.Network((3, 1), "identity", seed=0)
    net.W[2][...], net.b[2][...] = solution[:, :3], solution[:, 3:]
    for batch_size, record_loss in ((1, "exact"), (5, True)):
        history = bp.train(net.copy(), X, Y, alpha=0.001, max_iter=20, epsilon=1e-12,
                           batch_size=batch_size, seed=0, record_loss=record_loss)  # fmt: skip
        assert not history.stalled, history.reason
