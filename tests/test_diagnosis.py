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


# -- survivors of mutation testing (tests/README.md, "Mutation testing") -----------------
# What sits stuck: bp.training._stuck looks at the first 1024 samples and reports the output
# units saturated on the wrong side when they are over a quarter of them.


def _saturated_sigmoid(Y):
    """A one-layer sigmoid network with z = 10 for every sample (σ(10) ≈ 1, σ'(10) ≈ 5e-5,
    under 1 % of σ'(0) = ¼): a sample with target 0 is saturated on the wrong side, one with
    target 1 is right."""
    net = bp.Network((1, 1), seed=0)
    net.W[2][...], net.b[2][...] = 1.0, 0.0
    return net, np.full((1, Y.shape[1]), 10.0)


@pytest.mark.parametrize("wrong, stuck", [(256, False), (257, True)])
def test_stuck_outputs_count_over_a_quarter_of_the_first_1024_samples(wrong, stuck):
    # 1100 samples: `wrong` of the first 1024 have target 0, and so do the last 76, which are
    # not looked at (over all 1100, 256 + 76 = 332 would be over a quarter of 1100). A quarter
    # of 1024 is 256: exactly a quarter is not over it.
    Y = np.ones((1, 1100))
    Y[0, :wrong] = 0.0
    Y[0, 1024:] = 0.0
    net, X = _saturated_sigmoid(Y)
    want = f"{wrong} of 1024 output units saturated on the wrong side" if stuck else ""
    assert bp.training._stuck(net, X, Y) == want


def test_the_sigmoid_saturates_where_its_slope_is_under_a_hundredth_of_its_largest():
    # σ'(z) < ¼/100 from |z| = ln((1 + √0.99) / (1 − √0.99)) ≈ 5.99 on: z = 5.9 is not
    # saturated, z = 6.1 is (and −6.1 on the other side). All are more than ½ from target.
    edge = np.log((1 + np.sqrt(0.99)) / (1 - np.sqrt(0.99)))
    assert 5.9 < edge < 6.1
    net = bp.Network((1, 1), seed=0)
    z = np.array([[5.9, 6.1, -6.1]])
    a = bp.activations.sigmoid(z)
    Y = np.array([[0.0, 0.0, 1.0]])
    assert bp.training._stuck_outputs(net, z, a, Y) == (2, 3)


def test_a_dead_relu_output_must_be_more_than_a_half_from_its_target_to_be_stuck():
    # z < 0: a = 0 and σ' = 0. A target ½ away is not stuck (it is not more than ½ away).
    net = bp.Network((1, 1), "relu", seed=0)
    z = np.array([[-1.0, -1.0]])
    Y = np.array([[0.5, 0.75]])
    assert bp.training._stuck_outputs(net, z, bp.activations.relu(z), Y) == (1, 2)


@pytest.mark.parametrize(
    "output, loss", [("leaky_relu", "mse"), ("identity", "mse"), ("softmax", "log_likelihood")]
)
def test_outputs_that_never_saturate_are_never_stuck(output, loss):
    # Leaky ReLU's slope is 0.01 for z ≤ 0: exactly a hundredth of its largest, 1, which is
    # not under it. Identity's slope is 1; softmax has no σ'. Every unit is far from target.
    net = bp.Network((1, 2), "sigmoid", output, loss, seed=0)
    z = np.array([[-100.0], [100.0]])
    a = net.output_activation.sigma(z)
    Y = np.array([[1.0], [0.0]])
    assert bp.training._stuck_outputs(net, z, a, Y) == (0, 2)
    assert bp.training._stuck(net, np.zeros((1, 1)), Y) == ""


# A run that learned nothing (bp.training._learned_nothing): the ε rule fired while J had
# fallen by less than 10 % of J_start, J is above 90 % of J_const (the J of the constant output
# ȳ), and the last iteration lowered J by no more than 1 % of J_start.


def _learned_nothing(stop):
    X, Y = data.moons(40, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    start = net.copy()
    h = bp.train(net, X, Y, alpha=1e-4, max_iter=100, epsilon=1e-3, stop=stop)
    return h, bp.loss(start, X, Y), bp.loss(net, X, Y), Y


@pytest.mark.parametrize(
    "stop, rule",
    [
        ("change", "the ε rule"),
        ("relative_change", "the relative ε rule"),
        ("loss", "the loss rule"),
    ],
)
def test_a_run_that_learned_nothing_says_which_rule_stopped_it_and_by_how_much_J_fell(stop, rule):
    h, J_start, J_end, Y = _learned_nothing(stop)
    fall = J_start - J_end
    assert h.stalled and not h.converged and 0 < fall < 0.01 * J_start
    percent = 100 * fall / J_start
    assert f"{percent:.2g}" != f"{1.01 * percent:.2g}"  # the message shows a 1 % error
    J_const = 0.5 * np.sum(np.square(Y - Y.mean()))  # mse of the constant output ȳ
    assert h.reason == (
        f"{rule} stopped a run that learned nothing: J fell by only {fall:.3g} "
        f"({percent:.2g} % of J at the start), no better than outputting the mean target for "
        f"every sample (J = {J_const:.4g}); α is probably too small for this ε (try a larger "
        "alpha or a smaller epsilon)"
    )


def test_all_zero_weights_are_blamed_in_full():
    # XOR from all-zero weights: every unit outputs σ(0) = ½ and no gradient separates them.
    # J_i = ½ (½ − y_i)² = ⅛ for each of the 4 samples, J = ½, and ȳ = ½ gives J_const = ½.
    X = np.array([[0.0, 0, 1, 1], [0, 1, 0, 1]])
    Y = np.array([[0.0, 1, 1, 0]])
    net = bp.Network((2, 3, 1), seed=0)
    for l in net.W:
        net.W[l][...] = 0
        net.b[l][...] = 0
    h = bp.train(net, X, Y, alpha=0.5, max_iter=10, epsilon=1e-4)
    assert h.reason == (
        "the ε rule stopped a run that learned nothing: J did not fall (0.5 at the start, 0.5 "
        "at the end), no better than outputting the mean target for every sample (J = 0.5); "
        "hidden layer 2's units are all alike (a symmetric start such as all-zero weights "
        "stays symmetric under gradient descent): initialise with random weights"
    )


def test_a_run_that_learned_nothing_is_diagnosed_without_a_recorded_loss():
    X, Y = data.moons(40, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    recorded = bp.train(net.copy(), X, Y, alpha=1e-4, max_iter=100, epsilon=1e-3)
    h = bp.train(net, X, Y, alpha=1e-4, max_iter=100, epsilon=1e-3, record_loss=False)
    assert h.loss == [] and h.stalled and not h.converged
    assert h.iterations == recorded.iterations and h.reason == recorded.reason


def test_the_learned_nothing_diagnosis_counts_the_l2_term_in_J():
    # α = 1e-300 moves no weight: J (with its L2 term) did not fall, and J_const is shown
    # with the same L2 term, (λ/2) Σ_l ‖W^l‖², as every J of the run.
    X, Y = data.moons(40, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    l2 = 1.0
    J = bp.loss(net, X, Y, l2=l2)
    penalty = l2 / 2 * sum(float(np.sum(np.square(W))) for W in net.W.values())
    J_const = 0.5 * np.sum(np.square(Y - Y.mean())) + penalty
    assert f"{J_const:.4g}" != f"{J_const - penalty:.4g}"
    h = bp.train(net, X, Y, alpha=1e-300, max_iter=1, epsilon=1e-3, l2=l2)
    assert h.stalled and not h.converged
    assert h.reason.startswith(
        f"the ε rule stopped a run that learned nothing: J did not fall ({J:.4g} at the start, "
        f"{J:.4g} at the end), no better than outputting the mean target for every sample "
        f"(J = {J_const:.4g}); "
    )


def test_a_large_epsilon_that_stops_a_run_still_learning_leaves_it_converged():
    # The ε rule fires at iteration 2, J has fallen by less than 10 % and is still within
    # 10 % of J_const, but iteration 2 lowered J by more than 1 % of J_start: the step moved J,
    # ε was large. The ε lies between the changes of iterations 1 and 2.
    X, Y = data.moons(120, seed=0)
    net = bp.Network((2, 8, 1), seed=0)
    J_start, J_const = bp.loss(net, X, Y, "mean"), 0.5 * np.mean(np.square(Y - Y.mean()))
    first = bp.train(net.copy(), X, Y, alpha=1.0, max_iter=2, epsilon=0.0, reduction="mean")
    change_1, change_2 = first.max_change
    assert change_2 < change_1
    h = bp.train(net, X, Y, alpha=1.0, max_iter=100, epsilon=(change_1 + change_2) / 2,
                 reduction="mean")  # fmt: skip
    assert h.iterations == 2 and h.loss == first.loss
    J_1, J_2 = h.loss
    assert J_2 > 0.9 * J_start and J_2 > 0.9 * J_const and J_1 - J_2 > 0.01 * J_start
    assert h.converged and not h.stalled, h.reason


def test_a_running_loss_is_not_taken_for_the_last_steps_change_of_J():
    # Mini-batches with dropout record the running loss: each batch's J with its own dropout
    # mask, not J at the end of the iteration. α = 1e-6 moves nothing; the running loss of
    # iteration 1 is over 1 % of J_start above J at the end, and that is no step that moved J.
    X, Y = data.moons(120, seed=0)
    net = bp.Network((2, 8, 1), seed=0)
    J_start = bp.loss(net, X, Y)
    run = dict(alpha=1e-6, batch_size=30, dropout=0.5, seed=1)
    first = bp.train(net.copy(), X, Y, max_iter=2, epsilon=0.0, **run)
    change_1, change_2 = first.max_change
    assert change_2 < change_1
    h = bp.train(net, X, Y, max_iter=100, epsilon=(change_1 + change_2) / 2, **run)
    assert h.iterations == 2 and h.loss[0] - bp.loss(net, X, Y) > 0.01 * J_start
    assert h.stalled and not h.converged and "learned nothing" in h.reason


@pytest.mark.parametrize("m, record_loss", [(60, True), (60, False), (200, True)])
def test_early_stopping_that_keeps_an_early_iteration_does_not_hide_that_J_fell(m, record_loss):
    # Validation targets that disagree with the training targets: the best validation loss
    # comes early, and those weights are kept. But J had halved when the ε rule fired: the run
    # learned, and no advice that α is too small fits it, whatever m and record_loss (the
    # run was judged at the weights put back, except for a shortcut taken when m ≤ 64).
    X, Y = data.moons(m, seed=0)
    net = bp.Network((2, 8, 1), seed=0)
    h = bp.train(net, X, Y, alpha=0.5, max_iter=3000, epsilon=2e-3, reduction="mean",
                 validation=(X, 1 - Y), early_stopping=10000,
                 record_loss=record_loss)  # fmt: skip
    assert h.best_iteration < h.iterations
    if record_loss:
        assert h.loss[-1] < 0.6 * h.loss[0]
    assert h.converged and not h.stalled, h.reason


# The rule's boundaries, exactly: ``iterate`` runs an iteration that sets the weights of a
# one-layer identity network (a = W x + b) to given values, and J = ½ Σ (a − y)², with
# dyadic residuals, is exact. J's rounding level (the floor, ε_mach ½ Σ ‖y‖², see
# bp.training._floor) is added to the 10 % thresholds, and a J at the threshold is below it.


class _Jumps:
    """``iterate``'s iteration: set (W, b) to the next of ``weights``; J over all m after it."""

    exact, J_start = True, None

    def __init__(self, net, X, Y, weights):
        self.net, self.X, self.Y, self.weights = net, X, Y, iter(weights)

    def __call__(self, last):
        self.net.W[2][...], self.net.b[2][...] = next(self.weights)
        return bp.loss(self.net, self.X, self.Y)

    def weights_changed(self):
        pass


def _jumps(X, Y, start, weights, epsilon):
    net = bp.Network((X.shape[0], 1), "identity", seed=0)
    net.W[2][...], net.b[2][...] = start
    return bp.training.iterate(
        net, X, Y, bp.descent.Settings(alpha=1.0), _Jumps(net, X, Y, weights),
        lambda n, X_, Y_: bp.loss(n, X_, Y_), max_iter=len(weights), epsilon=epsilon,
        stop="change", record_loss=True,
    )  # fmt: skip


def _threshold(Y):
    """90 % of ½ Σ y² = 640, plus the floor ε_mach ½ Σ y²: 576 + 2⁻⁴³ (0.9 × 640 rounds to 576,
    and 640 ε_mach = 1.25 × 2⁻⁴³ to one unit in the last place of 576, 2⁻⁴³)."""
    half_sum = 0.5 * np.sum(np.square(Y))
    assert half_sum == 640
    threshold = 0.9 * half_sum + np.finfo(float).eps * half_sum
    assert threshold == 576 + 2.0**-43
    return threshold


@pytest.mark.parametrize("above", [0, 1])
def test_J_fallen_by_10_percent_of_J_start_to_within_rounding_is_convergence(above):
    # y = 16 for 5 samples and a = 0 at the start: J_start = ½ · 5 · 16² = 640 (J_const = 0).
    # Then a − y = (24, 24, 2⁻²¹ if above, 2⁻²¹, 0): J = 576 + 2⁻⁴³ (+ 2⁻⁴³ if above).
    Y = np.full((1, 5), 16.0)
    X = np.array([[40.0, 40.0, 16 + above * 2.0**-21, 16 + 2.0**-21, 16.0]])
    h = _jumps(X, Y, start=(0.0, 0.0), weights=[(1.0, 0.0)] * 2, epsilon=0.5)
    assert h.iterations == 2 and h.loss[-1] == _threshold(Y) + above * 2.0**-43
    assert h.stalled == bool(above) and h.converged == (not above), h.reason


@pytest.mark.parametrize("above", [0, 1])
def test_J_at_90_percent_of_J_const_to_within_rounding_is_better_than_the_constant(above):
    # y = (24, −24, 8, −8): ȳ = 0 and J_const = ½ Σ y² = 640. At the end a − y = (24, 24,
    # 2⁻²¹ if above, 2⁻²¹): J = 576 + 2⁻⁴³ (+ 2⁻⁴³ if above); at the start a is ½ higher and
    # J ≈ 600.5, so J fell by less than 10 % of J_start.
    Y = np.array([[24.0, -24.0, 8.0, -8.0]])
    X = np.array([[48.0, 0.0, 8 + above * 2.0**-21, -8 + 2.0**-21]])
    h = _jumps(X, Y, start=(1.0, 0.5), weights=[(1.0, 0.0)] * 2, epsilon=0.25)
    assert h.iterations == 2 and h.loss[-1] == _threshold(Y) + above * 2.0**-43
    assert h.loss[-1] > 0.9 * (0.5 * np.sum(np.square(X + 0.5 - Y)))  # J_start
    assert h.stalled == bool(above) and h.converged == (not above), h.reason


@pytest.mark.parametrize("end, stalled", [((1.0, 0.0), True), ((1.0, 0.5), False)])
def test_a_last_step_that_lowered_J_by_exactly_1_percent_of_J_start_moved_nothing(end, stalled):
    # y = 0, a = W x with x = (13, 1), (5, −3), (2, −2): from W = (1, 1), a = (14, 2, 0) and
    # J_start = ½ (196 + 4) = 100; to W = (1, 0), a = (13, 5, 2) and J = ½ (169 + 25 + 4) = 99,
    # lower by 1 = 1 % of J_start; to W = (1, ½), J = 97.75. The ε rule fires at iteration 1.
    X = np.array([[13.0, 5.0, 2.0], [1.0, -3.0, -2.0]])
    Y = np.zeros((1, 3))
    h = _jumps(X, Y, start=([[1.0, 1.0]], 0.0), weights=[([end], 0.0)], epsilon=2.0)
    assert h.iterations == 1 and h.loss == [99.0 if stalled else 97.75]
    assert h.stalled == stalled and h.converged == (not stalled), h.reason


# -- survivors of mutation testing, second run (bp.training._diagnose, _Start.below) --------
# The reason of a stalled run, word for word: each sign, "; " between them, then the advice.


def _sigmoid_jumps(start, weights, epsilon, recorded=True):
    """``iterate`` on a one-unit sigmoid network a = σ(w x + b), x = 1 and y = 1 for 4
    samples (J = ½ Σ (a − y)²), its (w, b) set by each iteration to the next of ``weights``;
    J is not recorded unless ``recorded``."""
    X, Y = np.ones((1, 4)), np.ones((1, 4))
    net = bp.Network((1, 1), "sigmoid", seed=0)
    net.W[2][...], net.b[2][...] = start
    jumps = _Jumps(net, X, Y, weights) if recorded else _UnrecordedJumps(net, X, Y, weights)
    return bp.training.iterate(
        net, X, Y, bp.descent.Settings(alpha=1.0), jumps,
        lambda n, X_, Y_: bp.loss(n, X_, Y_), max_iter=len(weights), epsilon=epsilon,
        stop="change", record_loss=recorded,
    )  # fmt: skip


class _UnrecordedJumps(_Jumps):
    def __call__(self, last):
        super().__call__(last)
        return None


def test_a_rise_and_outputs_saturated_since_are_both_named_then_blamed_on_alpha():
    # From a = σ(0) = ½ (J_start = ½ · 4 · ¼ = 0.5) to b = −20: a = σ(−20) ≈ 2e-9 for the
    # targets 1, so J ≈ 2 and σ'(−20) ≈ 2e-9 < 1/400: all 4 outputs stuck, but not at the start.
    # The ε rule (a change of 20 < 100) fired, so the outputs are looked at.
    h = _sigmoid_jumps(start=(0.0, 0.0), weights=[(0.0, -20.0)], epsilon=100.0)
    assert h.stalled and not h.converged
    assert h.reason == (
        "J rose from 0.5 to 2; 4 of 4 output units saturated on the wrong side; "
        "α is probably too large"
    )


def test_outputs_saturated_from_the_start_without_a_rise_are_blamed_on_the_start():
    # b from −20 to −20.5: J rises by about 1e-9 of J ≈ 2, under the 0.1 % that is a rise.
    h = _sigmoid_jumps(start=(0.0, -20.0), weights=[(0.0, -20.5)], epsilon=100.0)
    assert h.stalled and not h.converged
    assert h.reason == (
        "4 of 4 output units saturated on the wrong side (from the start); "
        "the initial weights are stuck already: try another init or seed"
    )


def test_without_recorded_loss_the_saturation_alone_names_the_stall_in_full():
    h = _sigmoid_jumps(start=(0.0, 0.0), weights=[(0.0, -20.0)], epsilon=0.0, recorded=False)
    assert h.stalled and not h.converged and h.loss == []
    assert h.reason == (
        "4 of 4 output units saturated on the wrong side; α is probably too large "
        "(J was not recorded: judged by saturation)"
    )


def test_a_run_stopped_by_max_with_J_recorded_is_judged_by_J_not_by_saturation():
    # The outputs are saturated on the wrong side, but the run claims no convergence and J did
    # not rise: saturation is looked at only for a converged run, an unrecorded J, or ReLUs.
    h = _sigmoid_jumps(start=(0.0, -20.0), weights=[(0.0, -20.5)], epsilon=0.0)
    assert not h.stalled and not h.converged
    assert h.reason == "Max: 1 iterations ran"


@pytest.mark.parametrize("above", [0, 1])
def test_J_above_its_start_by_exactly_the_rounding_floor_is_no_rise(above):
    # y = 1 = a at the start for x = (1, 1): J_start = 0, and the floor is ε_mach ½ Σ y² = 2⁻⁵².
    # Then b = 2⁻²⁶ (2⁻²⁵ if above): J = ½ · 2 · 2⁻⁵² = 2⁻⁵², the floor (2⁻⁵⁰, 4 floors, if above).
    X, Y = np.ones((1, 2)), np.ones((1, 2))
    h = _jumps(X, Y, start=(1.0, 0.0), weights=[(1.0, 2.0 ** (-26 + above))], epsilon=0.0)
    assert h.loss == [2.0 ** (-52 + 2 * above)]
    assert h.stalled == bool(above)
    assert h.reason == (
        "J rose from 0 to 8.882e-16; α is probably too large" if above else "Max: 1 iterations ran"
    )


def test_a_full_batch_rise_is_seen_even_below_the_estimate_from_the_first_samples():
    # a = w x + b from w = 1, b = 0; the first 64 samples have x = 1, the last 64 x = 0, and
    # y = 0: J_start = 32, but the first 64 samples estimate 2 · 32 = 64. One step of α = 0.015
    # overshoots to J ≈ 56.6: a rise, though below the estimate. The full batch knows J_start
    # from its first gradient, so it need not trust the estimate.
    X = np.repeat([[1.0, 0.0]], 64, axis=1)
    Y = np.zeros((1, 128))
    net = bp.Network((1, 1), "identity", seed=0)
    net.W[2][...], net.b[2][...] = 1.0, 0.0
    h = bp.train(net, X, Y, alpha=0.015, max_iter=1, epsilon=0.0)
    J_end = bp.loss(net, X, Y)
    assert 32 * 1.001 < J_end < 64 and h.loss == [pytest.approx(J_end, rel=1e-14)]
    assert h.stalled
    assert h.reason == f"J rose from 32 to {J_end:.4g}; α is probably too large"


def test_a_rise_seen_in_the_running_loss_is_stated_with_J_at_the_end_and_its_l2_term():
    # SGD on a = w x + b, x = (1, 1), y = 0, from w = 1, b = 0 with λ = 0.5: J_start = ½ · 2
    # + (λ/2) w² = 1.25. α = 1.5 overshoots; the reason states J over all m at the end with
    # the L2 term (λ/2) w², not the running loss.
    X, Y = np.ones((1, 2)), np.zeros((1, 2))
    net = bp.Network((1, 1), "identity", seed=0)
    net.W[2][...], net.b[2][...] = 1.0, 0.0
    h = bp.train(net, X, Y, alpha=1.5, max_iter=1, epsilon=0.0, batch_size=1, shuffle=False,
                 l2=0.5)  # fmt: skip
    J_end = bp.loss(net, X, Y) + 0.25 * float(net.W[2][0, 0]) ** 2
    assert J_end != pytest.approx(h.loss[-1], rel=1e-3)  # the running loss is another number
    assert h.stalled
    assert h.reason == f"J rose from 1.25 to {J_end:.4g}; α is probably too large"


# -- survivors of mutation testing, third run (bp.training.iterate, _divergence, _floor) ----
# TrainingDiverged's rules and message, exactly, with ``_Jumps`` setting the weights of a
# one-layer identity (or sigmoid) network: a = w x + b, J = ½ Σ (a − y)², dyadic and exact.


def _line(X, Y, start, weights, recorded=True, reduction="sum", stop="change", epsilon=0.0,
          jumps=None, data_loss=None, **kwargs):  # fmt: skip
    """``iterate`` on a = w x + b from (w, b) = ``start``, set by each iteration to the next
    of ``weights``; returns (net, History)."""
    net = bp.Network((1, 1), "identity", seed=0)
    net.W[2][...], net.b[2][...] = start
    jumps = (jumps or (_Jumps if recorded else _UnrecordedJumps))(net, X, Y, weights)
    h = bp.training.iterate(
        net, X, Y, bp.descent.Settings(alpha=1.0, reduction=reduction), jumps,
        data_loss or (lambda n, X_, Y_: bp.loss(n, X_, Y_)), max_iter=len(weights),
        epsilon=epsilon, stop=stop, record_loss=recorded, **kwargs,
    )  # fmt: skip
    return net, h


class _Unchecked(_Jumps):
    """``_Jumps`` for a = w x + b with J by hand (``bp.loss`` refuses NaN weights), or None
    when ``recorded`` is False."""

    recorded = True

    def __call__(self, last):
        W, b = next(self.weights)
        self.net.W[2][...], self.net.b[2][...] = W, b
        return 0.5 * np.sum(np.square(W * self.X + b - self.Y)) if self.recorded else None


class _UncheckedUnrecorded(_Unchecked):
    recorded = False


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("recorded", [True, False])
def test_a_nan_weight_raises_training_diverged_naming_it_alpha_and_the_weights_kept(
    reduction, recorded
):
    # w = NaN at iteration 2 (b stays finite): J is NaN too, or not recorded at all; either
    # way the run diverged. The advice to try reduction="mean" is given only under "sum".
    X, Y = np.ones((1, 2)), np.zeros((1, 2))
    with pytest.raises(bp.TrainingDiverged) as err:
        jumps = _Unchecked if recorded else _UncheckedUnrecorded
        _line(X, Y, (1.0, 0.0), [(0.5, 0.0), (np.nan, 0.0)], recorded, reduction, jumps=jumps)
    advice = "" if reduction == "mean" else ", or reduction='mean'"
    assert str(err.value) == (
        "training diverged at iteration 2: J or a weight became NaN or inf; alpha=1.0 is too "
        f"large for this network and data (try a smaller alpha{advice}). The network keeps "
        "the weights of iteration 1."
    )
    h = err.value.history
    assert h.reason == "J or a weight became NaN or inf"
    assert h.iterations == 1 and h.max_change == [0.5]
    assert h.loss == ([0.25 if reduction == "sum" else 0.125] if recorded else [])


def _halves(first, last):
    """128 samples: x = ``first`` for the first 64 (the sample that bounds J_start from
    below), x = ``last`` for the other 64; y = 0."""
    return np.repeat([[first, last]], 64, axis=1), np.zeros((1, 128))


@pytest.mark.parametrize("w, diverged", [(1000.0, False), (1001.0, True)])
def test_J_diverged_when_above_a_million_times_J_start_not_at_it(w, diverged):
    # From w = 1: J_start = ½ · 64 = 32 from the last 64 samples, and the first 64 bound it by
    # 0 from below (J of those is 0, so any J above 10⁶ × the floor is checked). w = 1000:
    # J = 32 · 10⁶ exactly, no divergence; w = 1001: J = 32 · 1002001, diverged.
    X, Y = _halves(0.0, 1.0)
    if not diverged:
        net, h = _line(X, Y, (1.0, 0.0), [(w, 0.0)])
        assert h.loss == [32e6] and h.iterations == 1 and not h.converged
        assert np.all(net.W[2] == w)
        return
    with pytest.raises(bp.TrainingDiverged, match=r"^training diverged at iteration 1: ") as err:
        _line(X, Y, (1.0, 0.0), [(w, 0.0)])
    assert err.value.history.reason == f"J rose from 32 to {32.0 * w * w:.4g}"
    assert err.value.history.reason == "J rose from 32 to 3.206e+07"


def _counting(m):
    """A ``data_loss`` for ``iterate`` that counts its passes over all m samples."""
    passes = []

    def data_loss(n, X_, Y_):
        passes.append(X_.shape[1]) if X_.shape[1] == m else None
        return bp.loss(n, X_, Y_)

    return data_loss, passes


@pytest.mark.parametrize("w, diverged", [(1000.0, False), (1001.0, True)])
def test_J_at_a_million_times_its_lower_bound_costs_no_pass_over_all_m(w, diverged):
    # The first 64 samples (x = 1) hold all of J_start = 32: its lower bound is 32 too. J_start
    # is evaluated (a pass over all m) only when J exceeds 10⁶ × the bound: not at J = 32 · 10⁶
    # (w = 1000). Iteration 2 (w = 1.25, J = 50, below the estimate 64) needs no pass either.
    X, Y = _halves(1.0, 0.0)
    data_loss, passes = _counting(128)
    if not diverged:
        _, h = _line(X, Y, (1.0, 0.0), [(w, 0.0), (1.25, 0.0)], data_loss=data_loss)
        assert h.loss == [32e6, 50.0] and h.iterations == 2
        assert passes == []
        return
    with pytest.raises(bp.TrainingDiverged, match=r"J rose from 32 to 3\.206e"):
        _line(X, Y, (1.0, 0.0), [(w, 0.0), (1.25, 0.0)], data_loss=data_loss)
    assert passes == [128]


class _KnownStart(_Jumps):
    """``_Jumps`` whose J_start (Σ_i J_i at the start: ½ · 64 for ``_halves(0, 1)`` and
    w = 1) the trainer knows for free."""

    J_start = 32.0


@pytest.mark.parametrize("stop", ["change", "loss"])
def test_a_J_start_the_iteration_knows_costs_no_pass_over_all_m(stop):
    # J = 32 · 1001² exceeds 10⁶ × the lower bound 0: J_start is needed (for the loss rule,
    # from the start) and taken from the iteration, not from a forward pass over all m.
    X, Y = _halves(0.0, 1.0)
    data_loss, passes = _counting(128)
    with pytest.raises(bp.TrainingDiverged, match=r"J rose from 32 to 3\.206e"):
        _line(X, Y, (1.0, 0.0), [(1001.0, 0.0)], stop=stop, jumps=_KnownStart,
              data_loss=data_loss)  # fmt: skip
    assert passes == []


@pytest.mark.parametrize(
    "start, end, diverged",
    [(1.0, 1e6, False), (1.0, 1.5e6, True), (0.25, 1e6, False), (2.0, 2e6, False),
     (2.0, 2.5e6, True)],
)  # fmt: skip
def test_a_weight_diverged_when_above_a_million_times_the_largest_start_weight_or_1(
    start, end, diverged
):
    # J is not recorded: the weights alone decide. The threshold is 10⁶ × max(largest |w|, |b|
    # at the start, 1), and a weight at it has not diverged.
    X, Y = np.ones((1, 2)), np.zeros((1, 2))
    if not diverged:
        net, h = _line(X, Y, (start, 0.0), [(end, 0.0)], recorded=False)
        assert h.iterations == 1 and np.all(net.W[2] == end)
        return
    with pytest.raises(
        bp.TrainingDiverged, match=r"^training diverged at iteration 1: the la"
    ) as err:
        _line(X, Y, (start, 0.0), [(end, 0.0)], recorded=False)
    assert err.value.history.reason == f"the largest weight grew from {start:g} to {end:g}"


@pytest.mark.parametrize("b, rose", [(2.0**-26, False), (1.25 * 2.0**-26, True)])
def test_under_mean_the_rounding_floor_is_divided_by_m(b, rose):
    # y = 1 = a at the start for x = (1, 1): J_start = 0. Under "mean" the floor is
    # ε_mach ½ Σ y² / m = 2⁻⁵³. b = 2⁻²⁶: J = ½ · 2 · 2⁻⁵² / 2 = 2⁻⁵³, the floor: no rise;
    # b = 1.25 · 2⁻²⁶: J = 1.5625 · 2⁻⁵³, a rise (below the floor 2⁻⁵² of "sum").
    X, Y = np.ones((1, 2)), np.ones((1, 2))
    _, h = _line(X, Y, (1.0, 0.0), [(1.0, b)], reduction="mean")
    assert h.loss == [b * b / 2]
    assert h.stalled == rose
    assert h.reason == (
        f"J rose from 0 to {b * b / 2:.4g}; α is probably too large"
        if rose
        else "Max: 1 iterations ran"
    )


@pytest.mark.parametrize(
    "stop, boundary", [("change", 1.0), ("relative_change", 0.5), ("loss", 0.5)]
)
@pytest.mark.parametrize("above", [False, True])
def test_each_stop_rule_fires_only_strictly_below_epsilon(stop, boundary, above):
    # x = 1, y = 2, from w = 1 (J = ½) to w = 2 (J = 0): the change is 1, the largest weight 2,
    # and J changed by ½. ε at the boundary (change < ε, change < ε × 2, |ΔJ| < ε) does not
    # stop the run; the next float above it does.
    X, Y = np.ones((1, 1)), np.full((1, 1), 2.0)
    epsilon = np.nextafter(boundary, 2.0) if above else boundary
    _, h = _line(X, Y, (1.0, 0.0), [(2.0, 0.0)], stop=stop, epsilon=epsilon)
    assert h.loss == [0.0] and h.max_change == [1.0]
    assert h.converged == above and not h.stalled
    assert h.reason == (
        bp.training._STOPPED_BY[stop].format(epsilon=epsilon) if above else "Max: 1 iterations ran"
    )


def test_iterate_prints_nothing_unless_verbose(capsys):
    X, Y = np.ones((1, 1)), np.full((1, 1), 2.0)
    _line(X, Y, (1.0, 0.0), [(2.0, 0.0)])
    assert capsys.readouterr() == ("", "")
    _line(X, Y, (1.0, 0.0), [(2.0, 0.0)], verbose=True)
    assert "Max: 1 iterations ran" in capsys.readouterr().err
