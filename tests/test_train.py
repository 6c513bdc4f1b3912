import importlib

import numpy as np
import pytest
from conftest import random_case

import bp

# The module bp/train.py; the name bp.train is the function.
train_module = importlib.import_module("bp.train")


def _max_diff(net_a, net_b):
    return max(
        max(np.abs(net_a.W[l] - net_b.W[l]).max(), np.abs(net_a.b[l] - net_b.b[l]).max())
        for l in net_a.W
    )


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("seed", range(20))
def test_per_sample_pseudocode_equals_matrix_form(seed, reduction):
    net, X, Y = random_case(seed)
    twin = net.copy()
    h1 = bp.train(net, X, Y, alpha=0.01, max_iter=15, epsilon=0.0, reduction=reduction)
    h2 = bp.train_per_sample(twin, X, Y, alpha=0.01, max_iter=15, epsilon=0.0, reduction=reduction)
    assert _max_diff(net, twin) < 1e-12
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=1e-12, atol=1e-14)
    assert h1.iterations == h2.iterations == 15


def test_one_full_batch_step_is_the_update_rule(small_net):
    net, X, Y = small_net
    start = net.copy()
    dW, db = bp.gradients(start, X, Y)
    bp.train(net, X, Y, alpha=0.3, max_iter=1, epsilon=0.0)
    for l in net.W:
        np.testing.assert_allclose(net.W[l], start.W[l] - 0.3 * dW[l], rtol=1e-14)
        np.testing.assert_allclose(net.b[l], start.b[l] - 0.3 * db[l], rtol=1e-14)


def test_max_rule_runs_exactly_max_iter(small_net):
    net, X, Y = small_net
    h = bp.train(net, X, Y, alpha=0.1, max_iter=7, epsilon=0.0)
    assert h.iterations == 7 and len(h.loss) == 7 and not h.converged


def test_epsilon_rule_stops_when_every_change_is_below_epsilon(small_net):
    net, X, Y = small_net
    epsilon = 1e-3
    h = bp.train(net, X, Y, alpha=0.5, max_iter=100_000, epsilon=epsilon)
    assert h.converged and h.iterations < 100_000
    assert h.max_change[-1] < epsilon
    assert all(c >= epsilon for c in h.max_change[:-1])


def test_epsilon_compares_the_largest_element_change(small_net):
    net, X, Y = small_net
    before = net.copy()
    h = bp.train(net, X, Y, alpha=0.1, max_iter=1, epsilon=0.0)
    largest = max(bp.max_change(before.W, net.W), bp.max_change(before.b, net.b))
    assert h.max_change == [largest]
    # A threshold just above the largest change stops after one iteration.
    h = bp.train(before, X, Y, alpha=0.1, max_iter=5, epsilon=largest * 1.0001)
    assert h.converged and h.iterations == 1


def test_loss_decreases_on_xor():
    X, Y = bp.data.xor()
    net = bp.Network((2, 4, 1), seed=3)
    h = bp.train(net, X, Y, alpha=2.0, max_iter=3000, epsilon=0.0)
    assert h.loss[-1] < 0.01 * h.loss[0]
    np.testing.assert_array_equal(bp.predict(net, X) > 0.5, Y > 0.5)


def test_history_records_loss_after_each_iteration(small_net):
    net, X, Y = small_net
    h = bp.train(net, X, Y, alpha=0.1, max_iter=3, epsilon=0.0)
    assert h.loss[-1] == pytest.approx(bp.loss(net, X, Y), rel=1e-14)


@pytest.mark.parametrize("batch_size, updates", [(None, 1), (1, 10), (3, 4), (5, 2), (10, 1)])
def test_updates_per_iteration(batch_size, updates, monkeypatch):
    X = np.random.default_rng(0).standard_normal((2, 10))
    Y = np.zeros((1, 10))
    calls = []
    real_update = train_module.update
    monkeypatch.setattr(train_module, "update", lambda *a: calls.append(1) or real_update(*a))
    bp.train(bp.Network((2, 1), seed=0), X, Y, 0.1, 2, 0.0, batch_size=batch_size)
    assert len(calls) == 2 * updates


def test_stochastic_mean_equals_sum_with_batch_of_one():
    X, Y = bp.data.moons(20, seed=1)
    a, b = bp.Network((2, 3, 1), seed=0), bp.Network((2, 3, 1), seed=0)
    bp.train(a, X, Y, 0.2, 3, 0.0, batch_size=1, reduction="sum", seed=5)
    bp.train(b, X, Y, 0.2, 3, 0.0, batch_size=1, reduction="mean", seed=5)
    assert _max_diff(a, b) == 0.0


def test_minibatch_is_deterministic_given_seed_and_shuffles():
    X, Y = bp.data.moons(30, seed=1)
    runs = []
    for seed in (4, 4, 5):
        net = bp.Network((2, 3, 1), seed=0)
        bp.train(net, X, Y, 0.1, 3, 0.0, batch_size=4, seed=seed)
        runs.append(net)
    assert _max_diff(runs[0], runs[1]) == 0.0
    assert _max_diff(runs[0], runs[2]) > 0.0


def test_unshuffled_minibatches_equal_manual_loop():
    X, Y = bp.data.moons(10, seed=1)
    net = bp.Network((2, 3, 1), seed=0)
    manual = net.copy()
    bp.train(net, X, Y, 0.1, 1, 0.0, batch_size=4, shuffle=False)
    for start in (0, 4, 8):
        dW, db = bp.gradients(manual, X[:, start : start + 4], Y[:, start : start + 4])
        bp.update(manual, dW, db, 0.1)
    assert _max_diff(net, manual) < 1e-15


def test_callback_sees_each_iteration_and_can_stop(small_net):
    net, X, Y = small_net
    seen = []

    def callback(iteration, net_, history):
        seen.append((iteration, len(history.loss)))
        return iteration == 4

    h = bp.train(net, X, Y, 0.1, 100, 0.0, callback=callback)
    assert seen == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert h.iterations == 4 and not h.converged


def test_interrupt_keeps_last_completed_iteration(small_net):
    net, X, Y = small_net
    reference = net.copy()
    bp.train(reference, X, Y, 0.1, 3, 0.0)

    def interrupt_after_three(iteration, *_):
        if iteration == 3:
            raise KeyboardInterrupt

    h = bp.train(net, X, Y, 0.1, 100, 0.0, callback=interrupt_after_three)
    assert h.interrupted and h.iterations == 3
    assert _max_diff(net, reference) == 0.0


def test_interrupt_mid_iteration_restores_previous_weights(small_net, monkeypatch):
    net, X, Y = small_net
    reference = net.copy()
    bp.train(reference, X, Y, 0.1, 2, 0.0, batch_size=1, seed=0)
    calls = []
    real_update = train_module.update

    def update(*args):
        calls.append(1)
        if len(calls) == 2 * X.shape[1] + 2:  # inside iteration 3
            raise KeyboardInterrupt
        real_update(*args)

    monkeypatch.setattr(train_module, "update", update)
    h = bp.train(net, X, Y, 0.1, 10, 0.0, batch_size=1, seed=0)
    assert h.interrupted and h.iterations == 2
    assert _max_diff(net, reference) == 0.0


def test_divergence_is_reported_and_weights_stay_finite():
    X, Y = bp.data.moons(50, seed=0)
    net = bp.Network((2, 8, 1), activation="identity", seed=0)
    with pytest.raises(
        FloatingPointError, match=r"diverged at iteration \d+.*alpha=1000000.0"
    ) as err:
        bp.train(net, X, Y, alpha=1e6, max_iter=100, epsilon=0.0)
    history = err.value.history
    assert f"diverged at iteration {history.iterations + 1}:" in str(err.value)
    assert len(history.loss) == history.iterations and np.isfinite(history.loss).all()
    assert all(np.isfinite(W).all() for W in net.W.values())
    assert all(np.isfinite(b).all() for b in net.b.values())


def test_verbose_prints_progress_and_is_silent_by_default(small_net, capsys):
    net, X, Y = small_net
    bp.train(net.copy(), X, Y, 0.1, 20, 0.0)
    assert capsys.readouterr().err == ""
    bp.train(net, X, Y, 0.1, 20, 0.0, verbose=True)
    err = capsys.readouterr().err
    assert "iteration 20/20" in err and "J = " in err and "stopped, after 20 iteration(s)" in err
    assert err.count("\n") <= 13


def test_float32_training_stays_float32():
    X, Y = bp.data.xor()
    net = bp.Network((2, 3, 1), seed=0, dtype=np.float32)
    h = bp.train(net, X, Y, 0.5, 10, 0.0)
    assert all(W.dtype == np.float32 for W in net.W.values())
    assert np.isfinite(h.loss).all()


def test_relative_change_rule_is_scale_free(small_net):
    net, X, Y = small_net
    h = bp.train(net, X, Y, alpha=0.5, max_iter=100_000, epsilon=1e-3, stop="relative_change")
    assert h.converged
    largest = max(max(np.abs(net.W[l]).max(), np.abs(net.b[l]).max()) for l in net.W)
    assert h.max_change[-1] < 1e-3 * largest
    assert h.max_change[-2] >= 1e-3 * largest * 0.5  # it did not stop long after


def test_loss_rule_stops_on_small_loss_change(small_net):
    net, X, Y = small_net
    J0 = bp.loss(net, X, Y)
    h = bp.train(net, X, Y, alpha=0.5, max_iter=100_000, epsilon=1e-6, stop="loss")
    assert h.converged
    J = [J0, *h.loss]
    assert abs(J[-2] - J[-1]) < 1e-6
    assert all(abs(J[k - 1] - J[k]) >= 1e-6 for k in range(1, len(J) - 1))


def test_unknown_stop_rule(small_net):
    with pytest.raises(ValueError, match=r"stop='weights'; expected one of 'change'"):
        bp.train(*small_net, alpha=0.1, max_iter=1, epsilon=0.0, stop="weights")


def test_validation_loss_is_recorded_each_iteration(small_net):
    net, X, Y = small_net
    X_val, Y_val = X[:, :2] + 0.1, Y[:, :2]
    h = bp.train(net, X, Y, 0.1, 4, 0.0, validation=(X_val, Y_val))
    assert len(h.validation_loss) == 4
    assert h.validation_loss[-1] == pytest.approx(bp.loss(net, X_val, Y_val), rel=1e-14)
    assert h.best_iteration == 1 + int(np.argmin(h.validation_loss))
    assert not h.stopped_early


def test_early_stopping_restores_the_best_weights():
    # A tiny, noisy training set over-fits: the validation loss turns up and training stops.
    X, Y = bp.data.sine(m=200, noise=0.3, seed=1)
    (X_train, Y_train), (X_val, Y_val) = bp.data.split(X, Y, (0.1, 0.9), seed=0)
    net = bp.Network((1, 128, 1), "tanh", "identity", seed=0)
    best = {}

    def remember(iteration, net_, history):
        if history.best_iteration == iteration:
            best["W"] = {l: W.copy() for l, W in net_.W.items()}

    h = bp.train(
        net, X_train, Y_train, 0.05, 5000, 0.0, validation=(X_val, Y_val),
        early_stopping=50, reduction="mean", callback=remember,
    )  # fmt: skip
    assert h.stopped_early and h.iterations == h.best_iteration + 50 < 5000
    assert min(h.validation_loss) == h.validation_loss[h.best_iteration - 1]
    for l in net.W:
        np.testing.assert_array_equal(net.W[l], best["W"][l])
    assert bp.loss(net, X_val, Y_val, "mean") == pytest.approx(min(h.validation_loss), rel=1e-12)


def test_early_stopping_needs_validation(small_net):
    with pytest.raises(ValueError, match=r"early_stopping needs validation=\(X_val, Y_val\)"):
        bp.train(*small_net, 0.1, 5, 0.0, early_stopping=3)
    with pytest.raises(TypeError, match="validation must be a pair"):
        bp.train(*small_net, 0.1, 5, 0.0, validation=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"X has shape \(2, 3\)"):
        bp.train(*small_net, 0.1, 5, 0.0, validation=(np.ones((2, 3)), np.ones((2, 3))))


def test_dropout_training_uses_fresh_masks_and_is_seeded(small_net):
    net, X, Y = small_net
    runs = []
    for seed in (1, 1, 2):
        twin = net.copy()
        bp.train(twin, X, Y, 0.1, 5, 0.0, dropout=0.5, seed=seed)
        runs.append(twin)
    assert _max_diff(runs[0], runs[1]) == 0.0
    assert _max_diff(runs[0], runs[2]) > 0.0
    plain = net.copy()
    bp.train(plain, X, Y, 0.1, 5, 0.0)
    assert _max_diff(runs[0], plain) > 0.0


def test_dropout_step_is_the_masked_gradient(small_net):
    net, X, Y = small_net
    start = net.copy()
    bp.train(net, X, Y, 0.1, 1, 0.0, dropout=0.3, seed=7)
    rng = np.random.default_rng(7)  # full batch: no shuffle draws before the masks
    masks = bp.dropout.dropout_masks(start, X.shape[1], 0.3, rng)
    dW, _ = bp.dropout.dropout_gradients(start, X, Y, masks)
    for l in net.W:
        np.testing.assert_allclose(net.W[l], start.W[l] - 0.1 * dW[l], rtol=1e-13)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_must_be_a_probability(small_net, p):
    with pytest.raises(ValueError, match="dropout must be"):
        bp.train(*small_net, 0.1, 1, 0.0, dropout=p)


@pytest.mark.parametrize("batch_size, dropout", [(None, 0.0), (4, 0.0), (4, 0.3)])
def test_record_loss_false_skips_J_and_changes_nothing_else(batch_size, dropout, capsys):
    X, Y = bp.data.moons(30, seed=0)
    a, b = bp.Network((2, 5, 5, 1), seed=0), bp.Network((2, 5, 5, 1), seed=0)
    kwargs = dict(batch_size=batch_size, dropout=dropout, seed=3, epsilon=1e-3)
    h_a = bp.train(a, X, Y, 0.3, 40, **kwargs)
    h_b = bp.train(b, X, Y, 0.3, 40, record_loss=False, verbose=True, **kwargs)
    assert _max_diff(a, b) == 0.0
    assert h_b.loss == [] and len(h_a.loss) == h_a.iterations
    assert h_a.max_change == h_b.max_change and h_a.converged == h_b.converged
    assert "J = " not in capsys.readouterr().err


def test_loss_rule_needs_the_loss(small_net):
    with pytest.raises(ValueError, match=r"stop='loss' .* needs record_loss=True"):
        bp.train(*small_net, 0.1, 5, 1e-3, stop="loss", record_loss=False)


def test_divergence_is_caught_without_the_loss():
    X, Y = bp.data.moons(50, seed=0)
    net = bp.Network((2, 8, 1), activation="identity", seed=0)
    with pytest.raises(FloatingPointError, match="diverged"):
        bp.train(net, X, Y, alpha=1e6, max_iter=200, epsilon=0.0, record_loss=False)
    assert all(np.isfinite(W).all() for W in net.W.values())
