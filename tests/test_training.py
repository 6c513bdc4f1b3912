import itertools
import sys
import warnings

import numpy as np
import pytest

import bp
from conftest import EPS, assert_close_normwise, random_case


def _patch_update(monkeypatch, replacement):
    """Replace the update rule in every bp module that calls it (full batch and per batch)."""
    real = bp.optimizers.update
    for module in list(sys.modules.values()):
        if module.__name__.startswith("bp.") and getattr(module, "update", None) is real:
            monkeypatch.setattr(module, "update", replacement)


def _largest(net):
    return max(max(np.abs(net.W[l]).max(), np.abs(net.b[l]).max()) for l in net.W)


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
    for l in net.W:  # W − 0.3·dW, dW summed in two orders: a few ulps of max|W|, normwise
        assert_close_normwise(net.W[l], start.W[l] - 0.3 * dW[l], 1e-14)
        assert_close_normwise(net.b[l], start.b[l] - 0.3 * db[l], 1e-14)


def test_max_rule_runs_exactly_max_iter(small_net):
    net, X, Y = small_net
    h = bp.train(net, X, Y, alpha=0.1, max_iter=7, epsilon=0.0)
    assert h.iterations == 7 and len(h.loss) == 7 and not h.converged


def _snapshot(net):
    return {
        "W": {l: W.copy() for l, W in net.W.items()},
        "b": {l: b.copy() for l, b in net.b.items()},
    }


def _changes(before, after):
    """Every |after − before| of every element of every W^l and b^l, as one flat array."""
    return np.concatenate(
        [np.abs(after[k][l] - before[k][l]).ravel() for k in ("W", "b") for l in before[k]]
    )


def test_epsilon_rule_stops_when_every_change_is_below_epsilon(small_net):
    net, X, Y = small_net
    epsilon = 1e-3
    snapshots = [_snapshot(net)]
    h = bp.train(
        net, X, Y, alpha=0.5, max_iter=100_000, epsilon=epsilon,
        callback=lambda iteration, net_, history: snapshots.append(_snapshot(net_)),
    )  # fmt: skip
    changes = [_changes(b, a) for b, a in itertools.pairwise(snapshots)]
    largest = [float(np.max(c)) for c in changes]  # the document: max over every element
    assert h.converged and h.iterations == len(changes) < 100_000
    assert largest[-1] < epsilon
    assert all(c >= epsilon for c in largest[:-1])
    assert np.sum(changes[-1]) >= epsilon  # a rule that summed the changes would go on
    assert h.max_change == largest


def test_epsilon_compares_the_largest_element_change(small_net):
    net, X, Y = small_net
    before = net.copy()
    h = bp.train(net, X, Y, alpha=0.1, max_iter=1, epsilon=0.0)
    changes = _changes(_snapshot(before), _snapshot(net))
    largest = float(np.max(changes))
    assert h.max_change == [largest]
    assert np.sum(changes) > 2 * largest  # here the sum and the max are far apart
    # A threshold just above the largest change stops after one iteration...
    h = bp.train(before.copy(), X, Y, alpha=0.1, max_iter=5, epsilon=largest * 1.0001)
    assert h.converged and h.iterations == 1
    # ...and one just below it does not: no change may be left out of the max.
    h = bp.train(before.copy(), X, Y, alpha=0.1, max_iter=1, epsilon=largest * 0.9999)
    assert not h.converged


def test_epsilon_rule_takes_the_max_not_the_sum_of_the_changes():
    # A case built so that every change is below ε but their sum is far above it: the document's
    # rule ("every element changed by less than ε") stops; a sum would not.
    net = bp.Network((20, 30, 10), seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 8)), rng.uniform(size=(10, 8))
    before = net.copy()
    bp.train(net, X, Y, alpha=0.01, max_iter=1, epsilon=0.0)
    changes = _changes(_snapshot(before), _snapshot(net))
    epsilon = 1.01 * float(np.max(changes))
    assert np.sum(changes) > 50 * epsilon
    h = bp.train(before, X, Y, alpha=0.01, max_iter=10, epsilon=epsilon)
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
    real_update = bp.optimizers.update
    _patch_update(monkeypatch, lambda *a: calls.append(1) or real_update(*a))
    bp.train(
        bp.Network((2, 1), seed=0), X, Y, alpha=0.1, max_iter=2, epsilon=0.0, batch_size=batch_size
    )
    assert len(calls) == 2 * updates


def test_stochastic_mean_equals_sum_with_batch_of_one():
    X, Y = bp.data.moons(20, seed=1)
    a, b = bp.Network((2, 3, 1), seed=0), bp.Network((2, 3, 1), seed=0)
    bp.train(a, X, Y, alpha=0.2, max_iter=3, epsilon=0.0, batch_size=1, reduction="sum", seed=5)
    bp.train(b, X, Y, alpha=0.2, max_iter=3, epsilon=0.0, batch_size=1, reduction="mean", seed=5)
    assert _max_diff(a, b) == 0.0


def test_minibatch_is_deterministic_given_seed_and_shuffles():
    X, Y = bp.data.moons(30, seed=1)
    runs = []
    for seed in (4, 4, 5):
        net = bp.Network((2, 3, 1), seed=0)
        bp.train(net, X, Y, alpha=0.1, max_iter=3, epsilon=0.0, batch_size=4, seed=seed)
        runs.append(net)
    assert _max_diff(runs[0], runs[1]) == 0.0
    assert _max_diff(runs[0], runs[2]) > 0.0


def test_unshuffled_minibatches_equal_manual_loop():
    X, Y = bp.data.moons(10, seed=1)
    net = bp.Network((2, 3, 1), seed=0)
    manual = net.copy()
    bp.train(net, X, Y, alpha=0.1, max_iter=1, epsilon=0.0, batch_size=4, shuffle=False)
    for start in (0, 4, 8):
        dW, db = bp.gradients(manual, X[:, start : start + 4], Y[:, start : start + 4])
        bp.update(manual, dW, db, 0.1)
    # 3 updates, each W − α·dW a few ulps of max|W| apart at most (sums of 4 in two orders)
    assert _max_diff(net, manual) <= 16 * EPS * _largest(manual)


def test_callback_sees_each_iteration_and_can_stop(small_net):
    net, X, Y = small_net
    seen = []

    def callback(iteration, net_, history):
        seen.append((iteration, len(history.loss)))
        return iteration == 4

    h = bp.train(net, X, Y, alpha=0.1, max_iter=100, epsilon=0.0, callback=callback)
    assert seen == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert h.iterations == 4 and not h.converged


def test_interrupt_keeps_last_completed_iteration(small_net):
    net, X, Y = small_net
    reference = net.copy()
    bp.train(reference, X, Y, alpha=0.1, max_iter=3, epsilon=0.0)

    def interrupt_after_three(iteration, *_):
        if iteration == 3:
            raise KeyboardInterrupt

    h = bp.train(net, X, Y, alpha=0.1, max_iter=100, epsilon=0.0, callback=interrupt_after_three)
    assert h.interrupted and h.iterations == 3
    assert _max_diff(net, reference) == 0.0


def test_interrupt_mid_iteration_restores_previous_weights(small_net, monkeypatch):
    net, X, Y = small_net
    reference = net.copy()
    bp.train(reference, X, Y, alpha=0.1, max_iter=2, epsilon=0.0, batch_size=1, seed=0)
    calls = []
    real_update = bp.optimizers.update

    def update(*args):
        calls.append(1)
        if len(calls) == 2 * X.shape[1] + 2:  # inside iteration 3
            raise KeyboardInterrupt
        real_update(*args)

    _patch_update(monkeypatch, update)
    h = bp.train(net, X, Y, alpha=0.1, max_iter=10, epsilon=0.0, batch_size=1, seed=0)
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
    bp.train(net.copy(), X, Y, alpha=0.1, max_iter=20, epsilon=0.0)
    assert capsys.readouterr().err == ""
    bp.train(net, X, Y, alpha=0.1, max_iter=20, epsilon=0.0, verbose=True)
    err = capsys.readouterr().err
    assert "iteration 20/20" in err and "J = " in err and "stopped after 20 iteration(s)" in err
    assert err.count("\n") <= 13


def test_float32_training_stays_float32():
    X, Y = bp.data.xor()
    net = bp.Network((2, 3, 1), seed=0, dtype=np.float32)
    h = bp.train(net, X, Y, alpha=0.5, max_iter=10, epsilon=0.0)
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
    h = bp.train(net, X, Y, alpha=0.1, max_iter=4, epsilon=0.0, validation=(X_val, Y_val))
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
        net, X_train, Y_train, alpha=0.05, max_iter=5000, epsilon=0.0, validation=(X_val, Y_val),
        early_stopping=50, reduction="mean", callback=remember,
    )  # fmt: skip
    assert h.stopped_early and h.iterations == h.best_iteration + 50 < 5000
    assert min(h.validation_loss) == h.validation_loss[h.best_iteration - 1]
    for l in net.W:
        np.testing.assert_array_equal(net.W[l], best["W"][l])
    assert bp.loss(net, X_val, Y_val, "mean") == pytest.approx(min(h.validation_loss), rel=1e-12)


def test_early_stopping_needs_validation(small_net):
    with pytest.raises(ValueError, match=r"early_stopping needs validation=\(X_val, Y_val\)"):
        bp.train(*small_net, alpha=0.1, max_iter=5, epsilon=0.0, early_stopping=3)
    with pytest.raises(TypeError, match="validation must be a pair"):
        bp.train(*small_net, alpha=0.1, max_iter=5, epsilon=0.0, validation=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"X_val has shape \(2, 3\)"):
        bp.train(
            *small_net,
            alpha=0.1,
            max_iter=5,
            epsilon=0.0,
            validation=(np.ones((2, 3)), np.ones((2, 3))),
        )


def _masked_gradients(net, X, Y, masks):
    z, a = bp.propagation.forward(net, X, masks=masks)
    delta = bp.propagation.backward(net, z, a, Y, masks=masks)
    return bp.propagation.layer_gradients(net, delta, a)


def test_dropout_training_uses_fresh_masks_and_is_seeded(small_net):
    net, X, Y = small_net
    runs = []
    for seed in (1, 1, 2):
        twin = net.copy()
        bp.train(twin, X, Y, alpha=0.1, max_iter=5, epsilon=0.0, dropout=0.5, seed=seed)
        runs.append(twin)
    assert _max_diff(runs[0], runs[1]) == 0.0
    assert _max_diff(runs[0], runs[2]) > 0.0
    plain = net.copy()
    bp.train(plain, X, Y, alpha=0.1, max_iter=5, epsilon=0.0)
    assert _max_diff(runs[0], plain) > 0.0
    # Fresh: each of the 5 full-batch iterations draws its own masks from the seeded stream;
    # one mask drawn once and kept for every iteration gives other weights.
    fresh, kept = net.copy(), net.copy()
    rng_fresh, rng_kept = np.random.default_rng(1), np.random.default_rng(1)
    kept_masks = bp.regularization.dropout_masks(kept, X.shape[1], 0.5, rng_kept)
    for _ in range(5):
        masks = bp.regularization.dropout_masks(fresh, X.shape[1], 0.5, rng_fresh)
        bp.update(fresh, *_masked_gradients(fresh, X, Y, masks), 0.1)
        bp.update(kept, *_masked_gradients(kept, X, Y, kept_masks), 0.1)
    assert _max_diff(runs[0], fresh) < 1e-13
    assert _max_diff(runs[0], kept) > 1e-6


def test_dropout_step_is_the_masked_gradient(small_net):
    net, X, Y = small_net
    start = net.copy()
    bp.train(net, X, Y, alpha=0.1, max_iter=1, epsilon=0.0, dropout=0.3, seed=7)
    rng = np.random.default_rng(7)  # full batch: no shuffle draws before the masks
    masks = bp.regularization.dropout_masks(start, X.shape[1], 0.3, rng)
    dW, _ = _masked_gradients(start, X, Y, masks)
    for l in net.W:  # W − 0.1·dW, dW summed in two orders: a few ulps of max|W|, normwise
        assert_close_normwise(net.W[l], start.W[l] - 0.1 * dW[l], 1e-13)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_full_batch_dropout_records_J_of_the_whole_network(small_net, reduction):
    # The full batch's History.loss is J after each iteration without masks (the network
    # that predicts), not the masked forward pass of the next gradient.
    net, X, Y = small_net
    h = bp.train(
        net, X, Y, alpha=0.1, max_iter=3, epsilon=0.0, dropout=0.3, seed=7, reduction=reduction
    )
    assert h.loss[-1] == pytest.approx(bp.loss(net, X, Y, reduction), rel=1e-12)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_must_be_a_probability(small_net, p):
    with pytest.raises(ValueError, match="dropout must be"):
        bp.train(*small_net, alpha=0.1, max_iter=1, epsilon=0.0, dropout=p)


@pytest.mark.parametrize("batch_size, dropout", [(None, 0.0), (4, 0.0), (4, 0.3)])
def test_record_loss_false_skips_J_and_changes_nothing_else(batch_size, dropout, capsys):
    X, Y = bp.data.moons(30, seed=0)
    a, b = bp.Network((2, 5, 5, 1), seed=0), bp.Network((2, 5, 5, 1), seed=0)
    kwargs = dict(batch_size=batch_size, dropout=dropout, seed=3, epsilon=1e-3)
    h_a = bp.train(a, X, Y, alpha=0.3, max_iter=40, **kwargs)
    h_b = bp.train(b, X, Y, alpha=0.3, max_iter=40, record_loss=False, verbose=True, **kwargs)
    assert _max_diff(a, b) == 0.0
    assert h_b.loss == [] and len(h_a.loss) == h_a.iterations
    assert h_a.max_change == h_b.max_change and h_a.converged == h_b.converged
    assert "J = " not in capsys.readouterr().err


def test_loss_rule_needs_the_loss(small_net):
    with pytest.raises(ValueError, match=r"stop='loss' .* needs record_loss"):
        bp.train(*small_net, alpha=0.1, max_iter=5, epsilon=1e-3, stop="loss", record_loss=False)


def test_divergence_is_caught_without_the_loss():
    X, Y = bp.data.moons(50, seed=0)
    net = bp.Network((2, 8, 1), activation="identity", seed=0)
    with pytest.raises(FloatingPointError, match="diverged"):
        bp.train(net, X, Y, alpha=1e6, max_iter=200, epsilon=0.0, record_loss=False)
    assert all(np.isfinite(W).all() for W in net.W.values())


# Missed bug (b) of issue 10: the validation loss must not include the L2 term.


@pytest.mark.parametrize("batch_size", [None, 2])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_validation_loss_has_no_l2_term(small_net, reduction, batch_size):
    net, X, Y = small_net
    X_val, Y_val = X[:, :3] + 0.1, Y[:, :3]
    without, with_l2 = [], []

    def record(iteration, net_, history):
        without.append(bp.loss(net_, X_val, Y_val, reduction))
        with_l2.append(bp.loss(net_, X_val, Y_val, reduction, l2=0.8))

    h = bp.train(
        net, X, Y, alpha=0.1, max_iter=4, epsilon=0.0, batch_size=batch_size,
        reduction=reduction, l2=0.8, validation=(X_val, Y_val), callback=record,
    )  # fmt: skip
    assert h.validation_loss == pytest.approx(without, rel=1e-13)
    assert all(abs(a - b) > 1e-2 for a, b in zip(h.validation_loss, with_l2, strict=True))


# What History.loss records (issue 10 item 4).


def test_full_batch_loss_is_J_over_all_m_after_each_iteration(small_net):
    net, X, Y = small_net
    after = []
    h = bp.train(
        net, X, Y, alpha=0.2, max_iter=4, epsilon=0.0, reduction="mean", l2=0.3,
        callback=lambda i, net_, history: after.append(bp.loss(net_, X, Y, "mean", l2=0.3)),
    )  # fmt: skip
    assert h.loss == pytest.approx(after, rel=1e-13)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("l2", [0.0, 0.4])
def test_minibatch_loss_is_the_running_loss(reduction, l2):
    # Each batch's J (its data term) at the weights it was computed with, summed over the epoch,
    # ÷ m under "mean", plus the L2 term of the epoch's final weights. m = 10, k = 4: batches
    # of 4, 4 and 2.
    X, Y = bp.data.moons(10, seed=1)
    net = bp.Network((2, 5, 1), seed=0)
    manual = net.copy()
    h = bp.train(
        net, X, Y, alpha=0.3, max_iter=3, epsilon=0.0, batch_size=4, shuffle=False,
        reduction=reduction, l2=l2,
    )  # fmt: skip
    expected = []
    for _ in range(3):
        running = 0.0
        for start in (0, 4, 8):
            cols = slice(start, start + 4)
            running += bp.loss(manual, X[:, cols], Y[:, cols], "sum")
            bp.update(manual, *bp.gradients(manual, X[:, cols], Y[:, cols], reduction, l2), 0.3)
        penalty = 0.5 * l2 * sum(np.sum(W**2) for W in manual.W.values())
        J = running + penalty
        expected.append(J / 10 if reduction == "mean" else J)
    assert h.loss == pytest.approx(expected, rel=1e-12)
    J_end = bp.loss(net, X, Y, reduction, l2=l2)
    assert abs(h.loss[-1] - J_end) > 1e-6  # the running loss is not J at the end


@pytest.mark.parametrize("batch_size", [1, 3])
def test_record_loss_exact_is_J_over_all_m_after_each_epoch(batch_size):
    X, Y = bp.data.moons(10, seed=1)
    net = bp.Network((2, 5, 1), seed=0)
    plain = net.copy()
    after = []
    h = bp.train(
        net, X, Y, alpha=0.3, max_iter=3, epsilon=0.0, batch_size=batch_size, seed=2,
        reduction="mean", l2=0.1, record_loss="exact",
        callback=lambda i, net_, history: after.append(bp.loss(net_, X, Y, "mean", l2=0.1)),
    )  # fmt: skip
    assert h.loss == pytest.approx(after, rel=1e-13)
    h_plain = bp.train(
        plain, X, Y, alpha=0.3, max_iter=3, epsilon=0.0, batch_size=batch_size, seed=2,
        reduction="mean", l2=0.1, record_loss=False,
    )  # fmt: skip
    assert h_plain.loss == [] and h_plain.iterations == 3
    assert _max_diff(net, plain) == 0.0  # recording the loss changes no weight


@pytest.mark.parametrize("value", ["running", 1, 0.5, None])
def test_record_loss_takes_true_false_or_exact(small_net, value):
    with pytest.raises(ValueError, match=r"record_loss=.*expected True, False or 'exact'"):
        bp.train(*small_net, alpha=0.1, max_iter=1, epsilon=0.0, record_loss=value)


def test_everything_after_Y_is_keyword_only(small_net):
    with pytest.raises(TypeError, match="positional"):
        bp.train(*small_net, 0.1, 1, 0.0)
    with pytest.raises(TypeError, match="positional"):
        bp.train_per_sample(*small_net, 0.1, 1, 0.0)


def test_module_and_function_do_not_collide():
    import bp.training

    assert callable(bp.train) and bp.train is bp.training.train
    assert bp.training.__name__ == "bp.training"


# -- issue 22: the stop rules, the weight decay, the per-call cost --------------------------


def _start():
    X, Y = bp.data.moons(40, seed=2)
    return bp.Network((2, 5, 1), seed=4), X, Y


def test_the_epsilon_rule_is_strict():
    # A change exactly equal to ε does not stop training ("less than ε"). The second run
    # repeats the first one's arithmetic, so its change is bit-identical to c.
    net, X, Y = _start()
    c = bp.train(net.copy(), X, Y, alpha=0.5, max_iter=1, epsilon=0.0).max_change[0]
    h = bp.train(net.copy(), X, Y, alpha=0.5, max_iter=1, epsilon=c)
    assert not h.converged
    h = bp.train(net.copy(), X, Y, alpha=0.5, max_iter=1, epsilon=np.nextafter(c, np.inf))
    assert h.converged


@pytest.mark.parametrize("w", [3.0, -3.0])  # W^2_11 = 3 grows, −3 shrinks in this iteration
def test_the_relative_epsilon_rule_scales_by_the_weights_after_the_iteration(w):
    # ε between c/largest_end and c/largest_start: converged exactly when the largest
    # weight after the iteration (not at the start) makes c < ε · largest.
    net, X, Y = _start()
    net.W[2][0, 0] = w  # the largest weight

    def largest(n):
        return max(float(np.abs(p).max()) for p in (*n.W.values(), *n.b.values()))

    trained = net.copy()
    kwargs = dict(alpha=0.5, max_iter=1, reduction="mean")
    c = bp.train(trained, X, Y, epsilon=0.0, **kwargs).max_change[0]
    assert largest(trained) != largest(net)
    epsilon = c / np.sqrt(largest(net) * largest(trained))
    h = bp.train(net.copy(), X, Y, epsilon=epsilon, stop="relative_change", **kwargs)
    assert h.converged == (largest(trained) > largest(net)) == (w > 0)


def _nielsen(net, X, Y, eta, lam, k, epochs):
    """Nielsen's network2.update_mini_batch, in order (no shuffle): per mini-batch B,
    w ← (1 − ηλ/n) w − (η/|B|) Σ_x ∇C_x,  b ← b − (η/|B|) Σ_x ∇C_x; n the training-set size."""
    n = X.shape[1]
    for _ in range(epochs):
        for start in range(0, n, k):
            cols = slice(start, min(start + k, n))
            size = cols.stop - cols.start
            dW, db = bp.propagation.gradients(net, X[:, cols], Y[:, cols])  # Σ_x ∇C_x
            for l in net.W:
                net.W[l] = (1 - eta * lam / n) * net.W[l] - (eta / size) * dW[l]
                net.b[l] = net.b[l] - (eta / size) * db[l]


def test_nielsen_l2_decay_with_a_short_last_batch_is_weight_decay_lambda_over_n():
    X, Y = bp.data.moons(50, seed=0)  # n = 50, batches of 8: the last one has 2 samples
    net = bp.Network((2, 6, 1), seed=1)
    eta, lam, k = 0.5, 5.0, 8
    theirs = net.copy()
    _nielsen(theirs, X, Y, eta, lam, k, epochs=3)
    bp.train(
        net, X, Y, alpha=eta, max_iter=3, epsilon=0.0, batch_size=k, shuffle=False,
        reduction="mean", weight_decay=lam / X.shape[1],
    )  # fmt: skip
    # the two orders of the same few roundings per step: a few eps of the weights
    scale = max(float(np.abs(W).max()) for W in net.W.values())
    diff = max(float(np.abs(net.W[l] - theirs.W[l]).max()) for l in net.W)
    diff = max(diff, max(float(np.abs(net.b[l] - theirs.b[l]).max()) for l in net.b))
    assert diff <= 1e-12 * scale, diff


def test_weight_decay_is_added_after_the_reduction_l2_before():
    X, Y = bp.data.moons(12, seed=1)
    net = bp.Network((2, 3, 1), seed=0)
    m = X.shape[1]
    dW0, db0 = bp.gradients(net, X, Y)  # Σ_i ∇J_i
    dW, db = bp.gradients(net, X, Y, "mean", l2=0.3, weight_decay=0.2)
    for l in net.W:
        expected = (dW0[l] + 0.3 * net.W[l]) / m + 0.2 * net.W[l]
        np.testing.assert_allclose(dW[l], expected, rtol=1e-14, atol=1e-17)
        np.testing.assert_allclose(db[l], db0[l] / m, rtol=1e-14, atol=1e-17)
    penalty = sum(float(np.sum(W**2)) for W in net.W.values()) / 2
    J = bp.loss(net, X, Y, "mean", l2=0.3, weight_decay=0.2)
    expected_J = (bp.loss(net, X, Y) + 0.3 * penalty) / m + 0.2 * penalty
    assert J == pytest.approx(expected_J, rel=1e-14)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_weight_decay_equals_torch_sgd_step_by_step(momentum):
    torch = pytest.importorskip("torch")
    X, Y = bp.data.moons(10, seed=3)  # batches of 4, 4 and 2
    net = bp.Network((2, 4, 1), seed=5)
    alpha, lam, k = 0.3, 0.05, 4
    W = {l: torch.tensor(net.W[l], requires_grad=True) for l in net.W}
    b = {l: torch.tensor(net.b[l], requires_grad=True) for l in net.b}
    groups = [  # PyTorch's weight_decay on W only: bp leaves the biases unregularized
        {"params": list(W.values()), "weight_decay": lam},
        {"params": list(b.values()), "weight_decay": 0.0},
    ]
    opt = torch.optim.SGD(groups, lr=alpha, momentum=momentum)
    optimizer = bp.Momentum(beta=momentum) if momentum else "gd"
    state = None
    for start in range(0, 10, k):
        cols = slice(start, min(start + k, 10))
        a = torch.tensor(X[:, cols])
        for l in range(2, net.L + 1):
            a = torch.sigmoid(W[l] @ a + b[l])
        loss = 0.5 * ((a - torch.tensor(Y[:, cols])) ** 2).sum() / a.shape[1]  # the mean
        opt.zero_grad()
        loss.backward()
        opt.step()
    for _ in range(1):
        h = bp.train(
            net, X, Y, alpha=alpha, max_iter=1, epsilon=0.0, batch_size=k, shuffle=False,
            reduction="mean", weight_decay=lam, optimizer=optimizer, optimizer_state=state,
        )  # fmt: skip
    for l in net.W:
        # the same operations in another order: rounding of a few eps of each weight
        np.testing.assert_allclose(net.W[l], W[l].detach().numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(net.b[l], b[l].detach().numpy(), rtol=1e-13, atol=1e-15)
    assert h.optimizer_state.step == 3


def test_no_pass_over_all_m_at_the_start_of_a_healthy_mini_batch_run(monkeypatch):
    # J at the start is evaluated only when the end of the run needs it: a healthy
    # mini-batch call runs forward passes over its batches and the 64-sample bound only.
    widths = []
    real = bp.descent.forward

    def spy(net, X, z=None, a=None, masks=None):
        widths.append(X.shape[1])
        return real(net, X, z, a, masks)

    monkeypatch.setattr(bp.descent, "forward", spy)
    X, Y = bp.data.moons(300, seed=0)
    net = bp.Network((2, 8, 1), seed=0)
    for _ in range(3):
        h = bp.train(
            net, X, Y, alpha=0.5, max_iter=1, epsilon=0.0, batch_size=50, seed=0,
            reduction="mean",
        )  # fmt: skip
        assert not h.stalled
    assert set(widths) == {50, 64}


def test_a_rise_in_one_epoch_per_call_is_still_diagnosed():
    X, Y = bp.data.moons(160, seed=0)
    net = bp.Network((2, 8, 8, 1), seed=0)
    h = bp.train(net, X, Y, alpha=200.0, max_iter=1, epsilon=0.0, batch_size=16, seed=0)
    assert h.stalled and "J rose from" in h.reason


def test_stop_loss_compares_the_first_iteration_with_J_at_the_start():
    net, X, Y = _start()
    J0 = bp.loss(net, X, Y)
    h = bp.train(net.copy(), X, Y, alpha=0.1, max_iter=1, epsilon=1e9, stop="loss")
    assert h.converged and abs(h.loss[0] - J0) < 1e9


# -- survivors of mutation testing (tests/README.md, "Mutation testing") -----------------


def _progress_line(i, max_iter, h):
    J = f"  J = {h.loss[i - 1]:.6g}" if h.loss else ""
    return f"iteration {i}/{max_iter}{J}  max |ΔW|,|Δb| = {h.max_change[i - 1]:.3g}"


@pytest.mark.parametrize("max_iter, shown", [(15, range(1, 16)), (25, [1, *range(2, 25, 2), 25])])
@pytest.mark.parametrize("record_loss", [True, False])
def test_verbose_to_a_file_prints_the_first_every_tenth_and_the_last_iteration(
    small_net, capsys, max_iter, shown, record_loss
):
    # Not a terminal: a line at iteration 1, at every multiple of max_iter // 10 (1 for 15,
    # 2 for 25) and at the last (25 is no multiple of 2: the closing line adds it), then
    # how the run ended.
    net, X, Y = small_net
    h = bp.train(net, X, Y, alpha=0.1, max_iter=max_iter, epsilon=0.0, verbose=True,
                 record_loss=record_loss)  # fmt: skip
    want = [_progress_line(i, max_iter, h) for i in shown]
    want.append(f"stopped after {max_iter} iteration(s): Max: {max_iter} iterations ran")
    assert capsys.readouterr().err == "\n".join(want) + "\n"


class _Terminal:
    """A stderr that is a terminal, with a clock that advances ``tick`` seconds a reading."""

    def __init__(self, tick, start=100.0):
        self.text, self.now, self.tick = "", start - tick, tick

    def isatty(self):
        return True

    def write(self, s):
        self.text += s

    def flush(self):
        pass

    def monotonic(self):
        self.now += self.tick
        return self.now


@pytest.mark.parametrize(
    "start, tick, shown",
    [(100.0, 0.0, [1, 15]), (100.0, 0.25, range(1, 16)), (100.0, 0.1, range(1, 16)),
     (0.0, 0.0, [1, 15])],
)  # fmt: skip
def test_verbose_on_a_terminal_rewrites_one_line_at_most_ten_times_a_second(
    small_net, monkeypatch, start, tick, shown
):
    # A frozen clock: the first line, then nothing until the closing line shows the last
    # iteration. A quarter of a second between iterations: every iteration is shown, and so it
    # is with exactly a tenth of a second. The first line shows whatever the clock reads
    # (time.monotonic's reference point is undefined: it may read 0).
    net, X, Y = small_net
    terminal = _Terminal(tick, start)
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(bp.training.time, "monotonic", terminal.monotonic)
    h = bp.train(net, X, Y, alpha=0.1, max_iter=15, epsilon=0.0, verbose=True)
    monkeypatch.undo()
    lines = "".join("\r" + _progress_line(i, 15, h) for i in shown)
    assert terminal.text == lines + "\nstopped after 15 iteration(s): Max: 15 iterations ran\n"


def test_verbose_says_converged_or_stalled(small_net, capsys):
    net, X, Y = small_net
    h = bp.train(net.copy(), X, Y, alpha=0.5, max_iter=1000, epsilon=1e-2, verbose=True)
    assert h.converged
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == f"converged after {h.iterations} iteration(s): {h.reason}"
    h = bp.train(net, X, Y, alpha=1e-12, max_iter=100, epsilon=1e-3, verbose=True)
    assert h.stalled
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == f"stalled after {h.iterations} iteration(s): {h.reason}"


@pytest.mark.parametrize(
    "loss, Y, want",
    [
        # ȳ per row (1 and 4): ½ Σ (y − ȳ)² = ½ (1 + 1 + 0 + 0)
        ("mse", [[0.0, 2.0], [4.0, 4.0]], 1.0),
        # rows ȳ = 1/4 and 1/2: −Σ [y ln ȳ + (1 − y) ln(1 − ȳ)]
        (
            "cross_entropy",
            [[1.0, 0, 0, 0], [1, 0, 1, 0]],
            np.log(4) + 3 * np.log(4 / 3) + 4 * np.log(2),
        ),
        # one-hot columns, ȳ = (1/3, 2/3): −Σ y ln ȳ
        ("log_likelihood", [[1.0, 0, 0], [0, 1, 1]], np.log(3) + 2 * np.log(3 / 2)),
    ],
)
def test_the_loss_of_the_constant_mean_output(loss, Y, want):
    assert bp.training._constant_loss(loss, np.array(Y)) == pytest.approx(want, rel=1e-14)


def test_the_loss_of_the_constant_mean_output_is_finite_for_a_constant_target_row():
    # A row of zeros (ȳ = 0) and a row of ones (ȳ = 1): ln 0 is clipped to ln tiny of Y's
    # own dtype and multiplied by 0, so those rows add nothing; the third row (ȳ = ½) adds
    # 2 ln 2 (not 0 · ln 0 = nan).
    for dtype in (np.float64, np.float32):
        Y = np.array([[0, 0], [1, 1], [1, 0]], dtype)
        assert bp.training._constant_loss("cross_entropy", Y) == pytest.approx(
            2 * np.log(2), rel=1e-6
        )


def test_a_symmetric_layer_needs_two_units_alike_in_weights_and_biases():
    def zeros(sizes):
        net = bp.Network(sizes, seed=0)
        for l in net.W:
            net.W[l][...], net.b[l][...] = 0, 0
        return net

    assert bp.training._symmetric_layer(zeros((1, 2, 1))) == 2  # one input, two units alike
    assert bp.training._symmetric_layer(zeros((3, 1, 1))) == 0  # one unit: nothing to be alike
    net = zeros((2, 3, 1))
    assert bp.training._symmetric_layer(net) == 2
    net.b[2][1] = 0.5  # equal weights but not equal biases: the units differ
    assert bp.training._symmetric_layer(net) == 0


def test_early_stopping_counts_from_the_first_of_equal_validation_losses():
    # α so small that no weight moves: the validation loss is the same after every iteration,
    # which is no improvement, so the best stays the first and early stopping ends the run.
    net = bp.Network((2, 3, 1), seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.random((2, 8)), rng.random((1, 8))
    h = bp.train(
        net, X, Y, alpha=1e-300, max_iter=20, epsilon=0, validation=(X, Y), early_stopping=3
    )
    assert len(set(h.validation_loss)) == 1
    assert (h.best_iteration, h.iterations, h.stopped_early) == (1, 4, True)


@pytest.mark.parametrize(
    "validation, early_stopping, error, message",
    [
        (None, 3, ValueError, r"early_stopping needs validation=\(X_val, Y_val\)"),
        ("one array", None, TypeError, r"validation must be a pair \(X_val, Y_val\)"),
        ("a number", None, TypeError, r"validation must be a pair \(X_val, Y_val\)"),
        ("good", 0, ValueError, "early_stopping must be an integer >= 1; got 0"),
        ("good", 2.0, TypeError, "early_stopping must be an integer >= 1; got 2.0"),
        ("Y_val of 3 rows", None, ValueError,
         r"Y_val has shape \(3, 5\); expected \(n_out=2, m\) with samples as columns"),
    ],
)  # fmt: skip
def test_validation_arguments_are_named_in_full_when_wrong(
    small_net, validation, early_stopping, error, message
):
    net, X, Y = small_net
    validation = {
        None: None, "one array": np.ones((3, 2)), "a number": 5, "good": (X, Y),
        "Y_val of 3 rows": (X, np.ones((3, 5))),
    }[validation]  # fmt: skip
    with pytest.raises(error, match=f"^{message}$"):
        bp.train(net, X, Y, alpha=0.1, max_iter=5, epsilon=0.0, validation=validation,
                 early_stopping=early_stopping)  # fmt: skip


def test_early_stopping_of_1_stops_at_the_first_iteration_without_improvement():
    # As above, the same validation loss after every iteration: no improvement after the first.
    net = bp.Network((2, 3, 1), seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.random((2, 8)), rng.random((1, 8))
    h = bp.train(
        net, X, Y, alpha=1e-300, max_iter=20, epsilon=0, validation=(X, Y), early_stopping=1
    )
    assert (h.best_iteration, h.iterations, h.stopped_early) == (1, 2, True)
    assert h.reason == (
        "early stopping: no better validation loss in 1 iterations; the weights of iteration 1 kept"
    )


# -- survivors of mutation testing, third run (bp.training.iterate) -------------------------


def test_weight_decay_counts_in_the_recorded_J_never_divided_by_m():
    # J = (Σ_i J_i) / m + (λ_wd / 2) Σ_l ‖W^l‖² under "mean", at the weights after each iteration.
    X, Y = bp.data.moons(20, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    h = bp.train(net, X, Y, alpha=0.5, max_iter=2, epsilon=0.0, reduction="mean",
                 weight_decay=0.25)  # fmt: skip
    penalty = 0.125 * sum(float(np.sum(np.square(W))) for W in net.W.values())
    assert h.loss[-1] == pytest.approx(bp.loss(net, X, Y) / 20 + penalty, rel=1e-14)
    assert penalty > 1e-3 * h.loss[-1]


def test_a_callback_returning_true_stops_training_with_that_reason(small_net):
    net, X, Y = small_net
    h = bp.train(net, X, Y, alpha=0.1, max_iter=10, epsilon=0.0, callback=lambda it, n, h: it == 2)
    assert h.iterations == 2 and not h.converged
    assert h.reason == "the callback returned True"


def test_ctrl_c_is_the_reason_of_an_interrupted_run(small_net):
    net, X, Y = small_net

    def interrupt(it, net, history):
        if it == 2:
            raise KeyboardInterrupt

    h = bp.train(net, X, Y, alpha=0.1, max_iter=10, epsilon=0.0, callback=interrupt)
    assert h.interrupted and h.iterations == 2
    assert h.reason == "interrupted (Ctrl-C); the weights of the last completed iteration"


def test_an_overflow_to_inf_minus_inf_raises_training_diverged_without_a_warning():
    # α = 10³⁰⁰ overflows the identity network's weights to ±inf, and J at them (the next
    # gradient's forward pass, inside the iteration) meets inf − inf: NaN, silently.
    X, Y = bp.data.moons(40, seed=0)
    net = bp.Network((2, 8, 1), "identity", "identity", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(bp.TrainingDiverged, match="J or a weight became NaN or inf"):
            bp.train(net, X, Y, alpha=1e300, max_iter=20, epsilon=0.0)


def test_a_full_batch_run_makes_one_backward_pass_per_iteration(monkeypatch):
    # J after an iteration comes free with the next iteration's gradient; after the last
    # iteration no gradient is needed, so J there is a forward pass alone.
    backward_passes = []
    real = bp.descent.backward

    def spy(*args, **kwargs):
        backward_passes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bp.descent, "backward", spy)
    X, Y = bp.data.moons(40, seed=0)
    net = bp.Network((2, 4, 1), seed=0)
    h = bp.train(net, X, Y, alpha=0.5, max_iter=3, epsilon=0.0)
    assert h.iterations == 3 and len(h.loss) == 3
    assert len(backward_passes) == 3
