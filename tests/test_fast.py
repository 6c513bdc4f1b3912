"""The fast path (bp/fast.py) equals the readable functions (bp.gradients, bp.loss,
bp.update) to rounding: across random architectures and activations, batches of one
sample, short last batches and chunks, both reductions, L2, float32 and float64."""

import importlib

import numpy as np
import pytest
from conftest import random_case

import bp
from bp import fast
from bp.activations import Activation

# Relative tolerances, against the largest entry of the quantity compared.
TOL = {np.float64: 1e-12, np.float32: 2e-4}
DTYPES = [np.float64, np.float32]


def _close(fast_value, readable, dtype):
    """Equal to rounding: |fast − readable| small against the largest |readable|."""
    fast_value, readable = np.asarray(fast_value), np.asarray(readable)
    assert fast_value.dtype == readable.dtype
    scale = max(float(np.abs(readable).max()), np.finfo(dtype).tiny)
    err = float(np.abs(fast_value.astype(float) - readable.astype(float)).max()) / scale
    assert err < TOL[dtype], err


def _readable(monkeypatch):
    """bp.train without its fast path, for this test only."""
    monkeypatch.setattr(fast, "supports", lambda net: False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk", [1, 3, fast.CHUNK])
@pytest.mark.parametrize("seed", range(40))
def test_gradients_and_loss_equal_the_readable_ones(seed, chunk, dtype):
    net, X, Y = random_case(seed, dtype)
    l2 = [0.0, 0.3][seed % 2]
    engine = fast.Engine(net, chunk)
    J = engine.run(X, Y, slice(None), True, True, l2)
    dW, db = bp.gradients(net, X, Y, "sum", l2)
    for l in net.W:
        _close(engine.dW[l], dW[l], dtype)
        _close(engine.db[l], db[l], dtype)
    J_readable = bp.loss(net, X, Y)  # J without the penalty: run leaves it to the caller
    _close(J, J_readable, dtype)
    _close(engine.run(X, Y, slice(None), False, True), J_readable, dtype)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(20))
def test_gathered_columns_equal_the_readable_gradients(seed, dtype, order):
    net, X, Y = random_case(seed, dtype)
    X, Y = np.asarray(X, order=order), np.asarray(Y, order=order)
    m = X.shape[1]
    cols = np.random.default_rng(seed).permutation(m)[: max(1, m - 1)]
    engine = fast.Engine(net, chunk=2)
    engine.run(X, Y, cols, True, False)
    dW, db = bp.gradients(net, X[:, cols], Y[:, cols])
    for l in net.W:
        _close(engine.dW[l], dW[l], dtype)
        _close(engine.db[l], db[l], dtype)


def _train_both(monkeypatch, net, X, Y, **kwargs):
    fast_net, readable_net = net, net.copy()
    h_fast = bp.train(fast_net, X, Y, **kwargs)
    with monkeypatch.context() as patch:
        _readable(patch)
        h_readable = bp.train(readable_net, X, Y, **kwargs)
    return (fast_net, h_fast), (readable_net, h_readable)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(30))
def test_train_equals_the_readable_loop(seed, dtype, monkeypatch):
    net, X, Y = random_case(seed, dtype)
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    kwargs = {
        "alpha": 0.05,
        "max_iter": 6,
        "epsilon": 0.0,
        # full batch, stochastic, and k that leaves a short last batch
        "batch_size": [None, 1, max(1, m - 1), int(rng.integers(1, m + 1))][seed % 4],
        "reduction": ["sum", "mean"][seed % 2],
        "l2": [0.0, 0.1][(seed // 2) % 2],
        "shuffle": seed % 3 != 0,
        "seed": seed,
    }
    (a, h_a), (b, h_b) = _train_both(monkeypatch, net, X, Y, **kwargs)
    assert h_a.iterations == h_b.iterations == 6
    for l in a.W:
        assert a.W[l].dtype == dtype
        _close(a.W[l], b.W[l], dtype)
        _close(a.b[l], b.b[l], dtype)
    _close(h_a.loss, h_b.loss, dtype)
    _close(h_a.max_change, h_b.max_change, dtype)


@pytest.mark.parametrize("stop", ["change", "relative_change", "loss"])
@pytest.mark.parametrize("batch_size", [None, 4])
def test_stop_rules_stop_at_the_same_iteration(stop, batch_size, monkeypatch):
    X, Y = bp.data.moons(40, seed=2)
    net = bp.Network((2, 5, 1), seed=1)
    epsilon = {"change": 2e-3, "relative_change": 1e-3, "loss": 1e-6}[stop]
    (_, h_a), (_, h_b) = _train_both(
        monkeypatch, net, X, Y, alpha=0.5, max_iter=5000, epsilon=epsilon,
        batch_size=batch_size, reduction="mean", seed=0, stop=stop,
    )  # fmt: skip
    assert h_a.converged and h_b.converged
    assert h_a.iterations == h_b.iterations
    np.testing.assert_allclose(h_a.loss, h_b.loss, rtol=1e-10)


def test_full_batch_recomputes_the_gradient_when_a_callback_changes_weights(monkeypatch):
    X, Y = bp.data.moons(30, seed=1)

    def shrink(iteration, net, history):
        if iteration % 2:
            net.W[2] *= 0.5  # the forward pass kept for the next gradient is stale now

    (a, h_a), (b, h_b) = _train_both(
        monkeypatch, bp.Network((2, 4, 1), seed=0), X, Y,
        alpha=0.3, max_iter=6, epsilon=0.0, callback=shrink,
    )  # fmt: skip
    for l in a.W:
        np.testing.assert_allclose(a.W[l], b.W[l], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_a.loss, h_b.loss, rtol=1e-12)


def test_classification_heads(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 50))
    Y_onehot = np.eye(3)[:, rng.integers(0, 3, 50)]
    Y_binary = rng.integers(0, 2, (2, 50)).astype(float)
    for net, Y in (
        (bp.Network((4, 6, 3), "tanh", "softmax", loss="log_likelihood", seed=0), Y_onehot),
        (bp.Network((4, 6, 2), "relu", "sigmoid", loss="cross_entropy", seed=0), Y_binary),
    ):
        assert fast.supports(net)
        (a, h_a), (b, h_b) = _train_both(
            monkeypatch, net, X, Y, alpha=0.1, max_iter=5, epsilon=0.0, batch_size=7, seed=3
        )
        for l in a.W:
            np.testing.assert_allclose(a.W[l], b.W[l], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h_a.loss, h_b.loss, rtol=1e-12)


def test_each_batch_makes_one_update_by_the_readable_rule(monkeypatch):
    seen = []
    real = bp.update

    def spy(net, dW, db, alpha):
        seen.append(({l: dW[l].copy() for l in dW}, alpha))
        real(net, dW, db, alpha)

    train_module = importlib.import_module("bp.train")  # bp.train is the function
    X, Y = bp.data.moons(10, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    manual, in_place = net.copy(), net.copy()
    monkeypatch.setattr(train_module, "update", spy)
    bp.train(net, X, Y, 0.4, 1, 0.0, batch_size=4, reduction="mean", shuffle=False)
    # ⌈10/4⌉ = 3 batches of 4, 4 and 2 samples; the fast path hands bp.update the step
    # α ∂J/∂W (α/k under "mean") with α = 1.
    assert len(seen) == 3
    for (dW, alpha), (start, stop) in zip(seen, [(0, 4), (4, 8), (8, 10)], strict=True):
        expect, _ = bp.gradients(manual, X[:, start:stop], Y[:, start:stop], "mean")
        assert alpha == 1.0
        for l in dW:
            np.testing.assert_allclose(dW[l], 0.4 * expect[l], rtol=1e-13)
        bp.update(manual, *bp.gradients(manual, X[:, start:stop], Y[:, start:stop], "mean"), 0.4)
    # and the in-place update, when bp.update is not replaced, gives the same bits
    monkeypatch.undo()
    bp.train(in_place, X, Y, 0.4, 1, 0.0, batch_size=4, reduction="mean", shuffle=False)
    for l in net.W:
        np.testing.assert_array_equal(in_place.W[l], net.W[l])
        np.testing.assert_array_equal(in_place.b[l], net.b[l])
        np.testing.assert_allclose(net.W[l], manual.W[l], rtol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_overflow_safe_and_accurate_in_both_tails(dtype):
    z = np.array([[-1000.0, -750.0, -40.0, -1.0, 0.0, 1.0, 40.0, 750.0, 1000.0]], dtype)
    a = np.empty_like(z)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        sigma, prime = fast._sigmoid(z.copy(), np.zeros((1, 1), dtype), a, True)
    expect, expect_prime = bp.activations.sigmoid(z), bp.activations.sigmoid_prime(z)
    tiny = 1e-300 if dtype == np.float64 else 1e-33  # σ below e^{-CLAMP} is not resolved
    np.testing.assert_allclose(sigma, expect, rtol=4 * np.finfo(dtype).eps, atol=tiny)
    np.testing.assert_allclose(prime, expect_prime, rtol=4 * np.finfo(dtype).eps, atol=tiny)
    assert prime[0, 6] > 0  # σ'(40) ≈ 4.2e-18, not the 0 of σ(1 − σ)


def test_buffers_do_not_grow_with_m():
    net = bp.Network((5, 7, 3), seed=0)
    rng = np.random.default_rng(0)
    sizes = []
    for m in (100, 1000):
        X, Y = rng.standard_normal((5, m)), rng.uniform(size=(3, m))
        engine = fast.Engine(net, chunk=16, forward_chunk=32)
        engine.run(X, Y, slice(None), True, True)
        engine.run(X, Y, rng.permutation(m)[:40], True, False)
        engine.run(X, Y, slice(None), False, True)
        sizes.append(sum(buf.nbytes for buf in engine._flat.values()))
    assert sizes[0] == sizes[1] <= 10 * 32 * sum(net.sizes) * 8


def test_unsupported_networks_take_the_readable_path():
    cube = Activation("cube", lambda z: z**3, lambda z: 3 * z**2)
    net = bp.Network((2, 3, 1), seed=0)
    net.hidden = cube
    assert not fast.supports(net)
    with pytest.raises(ValueError, match="no fast kernels"):
        fast.Engine(net)
    X, Y = bp.data.xor()
    h = bp.train(net, X, Y, 0.1, 3, 0.0)
    assert h.iterations == 3 and np.isfinite(h.loss).all()
