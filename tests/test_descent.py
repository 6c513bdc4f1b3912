"""The buffered, chunked path of bp.descent equals the plain formula functions.

``bp.train`` runs ``bp.descent.epoch`` and ``batch_gradients``, which write into
``bp.descent.Buffers`` and split wide batches into column chunks. Here they are
compared with ``bp.propagation.gradients`` and ``bp.propagation.loss`` called on the
batch's columns, and ``bp.train`` with a loop of ``gradients`` and ``update`` written
out in the test: across random architectures, every activation/loss pair, chunks of
1, 3 and 1024 columns, float32 and float64, C and F order, slices and index arrays,
short last batches, both reductions, L2 and dropout masks.
"""

import sys

import numpy as np
import pytest

import bp
from bp import descent, optimizers, propagation
from bp.activations import Activation
from bp.descent import Buffers, batch_gradients, data_loss
from bp.regularization import dropout_masks
from conftest import ACTIVATION_NAMES, GRADCHECK_TOL, assert_close_normwise, random_case

# Relative tolerances, against the largest entry of the quantity compared.
TOL = {np.float64: 1e-12, np.float32: 2e-4}
DTYPES = [np.float64, np.float32]
# (output activation, loss): mse with every output σ, and the two paired losses.
PAIRS = [(name, "mse") for name in ACTIVATION_NAMES]
PAIRS += [("sigmoid", "cross_entropy"), ("softmax", "log_likelihood")]


def _close(value, reference, dtype):
    """Equal to rounding: |value − reference| small against the largest |reference|."""
    value, reference = np.asarray(value), np.asarray(reference)
    assert value.shape == reference.shape
    scale = max(float(np.abs(reference).max()), np.finfo(dtype).tiny)
    err = float(np.abs(value.astype(float) - reference.astype(float)).max()) / scale
    assert err < TOL[dtype], err


def _case(seed, dtype, pair):
    """A random network with the given output and loss, and data it accepts."""
    base, X, Y = random_case(seed, dtype)
    output, loss = pair
    net = bp.Network(base.sizes, base.activation.name, output, loss, seed=seed, dtype=dtype)
    if loss == "log_likelihood":
        labels = np.random.default_rng(seed).integers(0, net.sizes[-1], X.shape[1])
        Y = np.eye(net.sizes[-1], dtype=dtype)[:, labels]
    return net, X, Y


def _column_choices(m, seed):
    """All columns as a slice, a part as a slice, a shuffled index array, a shuffled subset."""
    rng = np.random.default_rng(seed)
    return [
        slice(None),
        slice(m // 3, m),
        rng.permutation(m),
        rng.permutation(m)[: max(1, m - 2)],
    ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk", [1, 3, 1024])
@pytest.mark.parametrize("pair", PAIRS, ids="-".join)
@pytest.mark.parametrize("seed", range(8))
def test_batch_gradients_equal_the_plain_gradients(seed, pair, chunk, dtype):
    net, X, Y = _case(seed, dtype, pair)
    for order in ("C", "F"):
        Xo, Yo = np.asarray(X, order=order), np.asarray(Y, order=order)
        work = Buffers(net, Xo, Yo, X.shape[1], chunk=chunk)
        for cols in _column_choices(X.shape[1], seed):
            J = batch_gradients(net, Xo, Yo, cols, work)
            dW, db = propagation.gradients(net, X[:, cols], Y[:, cols], "sum")
            for l in net.W:
                assert work.dW[l].dtype == work.db[l].dtype == dtype
                _close(work.dW[l], dW[l], dtype)
                _close(work.db[l], db[l], dtype)
            # J and the gradient are the data term's: objective_gradient adds L2, the reduction
            _close(J, propagation.loss(net, X[:, cols], Y[:, cols], "sum"), dtype)


@pytest.mark.parametrize("chunk", [1, 3, 1024])
@pytest.mark.parametrize("seed", range(10))
def test_batch_gradients_with_dropout_masks_equal_the_masked_formulas(seed, chunk):
    for attempt in range(50):
        net, X, Y = random_case(1000 * attempt + seed)
        if net.L >= 3 and X.shape[1] >= 2:
            break
    cols = np.random.default_rng(seed).permutation(X.shape[1])
    masks = dropout_masks(net, len(cols), 0.4, np.random.default_rng(seed))
    work = Buffers(net, X, Y, X.shape[1], chunk=chunk)
    J = batch_gradients(net, X, Y, cols, work, masks)
    z, a = propagation.forward(net, X[:, cols], masks=masks)
    delta = propagation.backward(net, z, a, Y[:, cols], masks=masks)
    dW, db = propagation.layer_gradients(net, delta, a)
    for l in net.W:
        _close(work.dW[l], dW[l], np.float64)
        _close(work.db[l], db[l], np.float64)
    _close(J, bp.losses.objective(net, z[net.L], a[net.L], Y[:, cols]), np.float64)


def test_loss_only_and_gradient_only_passes(small_net):
    net, X, Y = small_net
    work = Buffers(net, X, Y, X.shape[1], chunk=2)
    assert batch_gradients(net, X, Y, slice(None), work, want_J=False) == 0.0
    dW, db = propagation.gradients(net, X, Y)
    for l in net.W:  # chunks of 2 columns against one product of 5: ≤ 5 eps·Σ|terms|, normwise
        assert_close_normwise(work.dW[l], dW[l], 1e-13)
        assert_close_normwise(work.db[l], db[l], 1e-13)
    for l in net.W:
        work.dW[l].fill(7.0)
    J = data_loss(net, X, Y, work)
    assert float(J) == pytest.approx(bp.loss(net, X, Y), rel=1e-13)
    assert all(np.all(work.dW[l] == 7.0) for l in net.W)  # no gradient was written


def test_the_buffers_are_allocated_once_per_width(small_net):
    net, X, Y = small_net
    work = Buffers(net, X, Y, X.shape[1], chunk=2)  # m = 5: chunks of 2, 2 and 1 columns
    buffers = {w: work.layers(w) for w in (1, 2)}

    def ids_of(bufs):  # z^l, a^l, δ^l for l = 2..L (a^1 is the batch's columns of X)
        return [id(part[l]) for part in bufs[:3] for l in net.W]

    ids = {w: ids_of(bufs) for w, bufs in buffers.items()}
    grads = [id(g) for g in (*work.dW.values(), *work.db.values())]
    for cols in (slice(None), np.array([4, 0, 3, 1, 2]), slice(None)):
        batch_gradients(net, X, Y, cols, work)
        for w, bufs in buffers.items():
            again = work.layers(w)
            assert all(x is y for x, y in zip(again, bufs, strict=True))
            # every formula wrote into its buffer (out=) rather than a new array
            assert ids_of(again) == ids[w]
        assert [id(g) for g in (*work.dW.values(), *work.db.values())] == grads


def test_no_pass_is_wider_than_the_chunk(monkeypatch):
    widths = []
    real_forward = descent.forward

    def spy(net, X, z=None, a=None, masks=None):
        widths.append(X.shape[1])
        return real_forward(net, X, z, a, masks)

    monkeypatch.setattr(descent, "forward", spy)
    net = bp.Network((5, 7, 3), seed=0)
    rng = np.random.default_rng(0)
    for m in (100, 1000):
        X, Y = rng.standard_normal((5, m)), rng.uniform(size=(3, m))
        work = Buffers(net, X, Y, m, chunk=16)
        batch_gradients(net, X, Y, slice(None), work)
        batch_gradients(net, X, Y, rng.permutation(m)[:40], work)
        assert set(widths) == {16, m % 16, 40 % 16} - {0}  # full chunks and the rests
        widths.clear()


def test_one_full_batch_iteration_is_gradients_then_update(small_net):
    net, X, Y = small_net
    for reduction, step in (("sum", 0.3), ("mean", 0.3 / X.shape[1])):
        trained, manual = net.copy(), net.copy()
        bp.train(trained, X, Y, alpha=0.3, max_iter=1, epsilon=0.0, reduction=reduction, l2=0.2)
        optimizers.update(manual, *propagation.gradients(manual, X, Y, "sum", 0.2), step)
        for l in net.W:  # W − α·dW, dW summed in two orders: a few ulps of max|W|, normwise
            assert_close_normwise(trained.W[l], manual.W[l], 1e-14)
            assert_close_normwise(trained.b[l], manual.b[l], 1e-14)


def manual_train(net, X, Y, *, alpha, max_iter, batch_size, reduction, l2, shuffle, seed):
    """bp.train written out: gradients and update per batch, α/k' under "mean"."""
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    k = m if batch_size is None else batch_size
    loss = []
    for _ in range(max_iter):
        order = rng.permutation(m) if shuffle and k < m else np.arange(m)
        running = 0.0
        for start in range(0, m, k):
            cols = order[start : start + k]
            running += propagation.loss(net, X[:, cols], Y[:, cols])
            dW, db = propagation.gradients(net, X[:, cols], Y[:, cols], "sum", l2)
            optimizers.update(net, dW, db, alpha / len(cols) if reduction == "mean" else alpha)
        if k < m:  # the running loss: each batch's J before its update, + L2 at the end
            J = running + 0.5 * l2 * sum(np.sum(W.astype(float) ** 2) for W in net.W.values())
            loss.append(J / m if reduction == "mean" else J)
        else:
            loss.append(propagation.loss(net, X, Y, reduction, l2))
    return loss


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(30))
def test_train_equals_the_manual_loop(seed, dtype):
    net, X, Y = random_case(seed, dtype)
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    kwargs = {
        "alpha": 0.05,
        "max_iter": 6,
        # full batch, stochastic, and k that leaves a short last batch
        "batch_size": [None, 1, max(1, m - 1), int(rng.integers(1, m + 1))][seed % 4],
        "reduction": ["sum", "mean"][seed % 2],
        "l2": [0.0, 0.1][(seed // 2) % 2],
        "shuffle": seed % 3 != 0,
        "seed": seed,
    }
    manual = net.copy()
    h = bp.train(net, X, Y, epsilon=0.0, **kwargs)
    loss = manual_train(manual, X, Y, **kwargs)
    assert h.iterations == 6
    for l in net.W:
        assert net.W[l].dtype == dtype
        _close(net.W[l], manual.W[l], dtype)
        _close(net.b[l], manual.b[l], dtype)
    _close(h.loss, np.array(loss, dtype=float), dtype)


@pytest.mark.parametrize("k", [3, 4, 7])
def test_mean_with_a_short_last_batch_steps_alpha_over_its_own_size(k):
    # m = 10: batches of k and a last one of 10 mod k columns, each step α/k' with k' its size.
    X, Y = bp.data.moons(10, seed=0)
    net = bp.Network((2, 4, 1), seed=0)
    manual, wrong = net.copy(), net.copy()
    bp.train(
        net, X, Y, alpha=0.4, max_iter=2, epsilon=0.0, batch_size=k, shuffle=False,
        reduction="mean",
    )  # fmt: skip
    for _ in range(2):
        for start in range(0, 10, k):
            cols = slice(start, start + k)
            k_batch = min(start + k, 10) - start
            dW, db = propagation.gradients(manual, X[:, cols], Y[:, cols])  # the sum
            optimizers.update(manual, dW, db, 0.4 / k_batch)
            dW, db = propagation.gradients(wrong, X[:, cols], Y[:, cols])
            optimizers.update(wrong, dW, db, 0.4 / k)  # α/k for the short batch too: wrong
    for l in net.W:  # 8 updates, each a few ulps of max|W| apart at most: normwise
        assert_close_normwise(net.W[l], manual.W[l], 1e-13)
        assert_close_normwise(net.b[l], manual.b[l], 1e-13)
    assert max(np.abs(net.W[l] - wrong.W[l]).max() for l in net.W) > 1e-6


def test_each_batch_makes_one_update_with_the_reduced_gradient(monkeypatch):
    seen = []
    real = optimizers.update

    def spy(net, dW, db, alpha):
        seen.append(({l: dW[l].copy() for l in dW}, {l: db[l].copy() for l in db}, alpha))
        real(net, dW, db, alpha)

    for module in list(sys.modules.values()):  # wherever bp calls the update rule
        if module.__name__.startswith("bp.") and getattr(module, "update", None) is real:
            monkeypatch.setattr(module, "update", spy)
    X, Y = bp.data.moons(10, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    manual = net.copy()
    bp.train(
        net, X, Y, alpha=0.4, max_iter=1, epsilon=0.0, batch_size=4, reduction="mean",
        shuffle=False,
    )  # fmt: skip
    # ⌈10/4⌉ = 3 batches of 4, 4 and 2 samples: the gradient of the mean (Σ ÷ k'), step α.
    assert len(seen) == 3
    for (dW, db, alpha), (start, stop) in zip(seen, [(0, 4), (4, 8), (8, 10)], strict=True):
        cols = slice(start, stop)
        expect_W, expect_b = propagation.gradients(manual, X[:, cols], Y[:, cols], "mean")
        assert alpha == 0.4  # the optimizer gets α itself, never a batch size
        for l in dW:  # sums of ≤ 4 samples in two orders: ≤ 4 eps·Σ|terms|, normwise
            assert_close_normwise(dW[l], expect_W[l], 1e-13)
            assert_close_normwise(db[l], expect_b[l], 1e-13)
        real(manual, expect_W, expect_b, alpha)
    for l in net.W:
        assert_close_normwise(net.W[l], manual.W[l], 1e-13)


def test_full_batch_recomputes_the_gradient_when_a_callback_changes_weights():
    X, Y = bp.data.moons(30, seed=1)
    net = bp.Network((2, 4, 1), seed=0)
    manual = net.copy()

    def shrink(iteration, net_, history):
        if iteration % 2:
            net_.W[2] *= 0.5  # the forward pass kept for the next gradient is stale now

    h = bp.train(net, X, Y, alpha=0.3, max_iter=6, epsilon=0.0, callback=shrink)
    loss = []
    for iteration in range(1, 7):
        optimizers.update(manual, *propagation.gradients(manual, X, Y), 0.3)
        loss.append(float(propagation.loss(manual, X, Y)))
        shrink(iteration, manual, None)
    for l in net.W:  # 6 updates of sums of 30 samples in two orders: normwise, ≫ 6·30 eps
        assert_close_normwise(net.W[l], manual.W[l], 1e-12)
    np.testing.assert_allclose(h.loss, loss, rtol=1e-12)


@pytest.mark.parametrize("batch_size", [None, 7])
def test_classification_heads(batch_size):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 50))
    Y_onehot = np.eye(3)[:, rng.integers(0, 3, 50)]
    Y_binary = rng.integers(0, 2, (2, 50)).astype(float)
    for net, Y in (
        (bp.Network((4, 6, 3), "tanh", "softmax", loss="log_likelihood", seed=0), Y_onehot),
        (bp.Network((4, 6, 2), "relu", "sigmoid", loss="cross_entropy", seed=0), Y_binary),
    ):
        kwargs = dict(alpha=0.1, max_iter=5, batch_size=batch_size, reduction="sum", l2=0.0)
        manual = net.copy()
        h = bp.train(net, X, Y, epsilon=0.0, seed=3, **kwargs)
        loss = manual_train(manual, X, Y, shuffle=True, seed=3, **kwargs)
        for l in net.W:  # 5 iterations of sums of 50 samples in two orders: normwise
            assert_close_normwise(net.W[l], manual.W[l], 1e-12)
        np.testing.assert_allclose(h.loss, loss, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_in_a_buffer_is_accurate_in_both_tails(dtype):
    z = np.array([[-1000.0, -750.0, -40.0, -1.0, 0.0, 1.0, 40.0, 750.0, 1000.0]], dtype)
    exact = np.where(z >= 0, 1.0, np.exp(np.minimum(z, 0.0).astype(float)))
    exact = exact / (1.0 + np.exp(-np.abs(z.astype(float))))
    out = np.empty_like(z)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        sigma = bp.activations.sigmoid(z, out=out)
        prime = bp.activations.sigmoid_prime(z, sigma, out=np.empty_like(z))
    assert sigma is out and sigma.dtype == dtype
    tiny = 1e-300 if dtype == np.float64 else 1e-38
    np.testing.assert_allclose(sigma, exact, rtol=4 * np.finfo(dtype).eps, atol=tiny)
    np.testing.assert_allclose(prime, exact * (1 - exact), atol=np.finfo(dtype).eps)


def test_any_activation_object_trains_through_the_same_functions():
    # One implementation: a σ the package does not know runs through the same forward,
    # backward and update, and its gradients pass the finite-difference check.
    cube = Activation(
        "cube",
        lambda z, out=None: np.power(z, 3, out=out),
        lambda z, a=None, out=None: np.multiply(3.0, np.square(z), out=out),
    )
    net = bp.Network((2, 3, 1), seed=0)
    net.activation = cube
    X, Y = bp.data.xor()
    assert bp.gradient_check(net, X, Y) < GRADCHECK_TOL
    manual = net.copy()
    h = bp.train(net, X, Y, alpha=0.05, max_iter=3, epsilon=0.0)
    for _ in range(3):
        optimizers.update(manual, *propagation.gradients(manual, X, Y), 0.05)
    assert h.iterations == 3 and np.isfinite(h.loss).all()
    for l in net.W:  # 3 updates of sums of 4 samples in two orders: normwise
        assert_close_normwise(net.W[l], manual.W[l], 1e-13)


def test_a_shuffle_free_batch_wider_than_the_chunk_ends_at_the_batch_end():
    # m = 2600 in batches of 1500 and 1100 without shuffling: the first batch's chunks are
    # columns 0-1023 and 1024-1499; a chunk not clipped to the batch's end would run on.
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2, 2600)), rng.uniform(size=(1, 2600))
    net = bp.Network((2, 3, 1), seed=0)
    manual = net.copy()
    bp.train(
        net, X, Y, alpha=0.5, max_iter=1, epsilon=0.0, batch_size=1500, shuffle=False,
        reduction="mean",
    )  # fmt: skip
    for cols in (slice(0, 1500), slice(1500, 2600)):
        dW, db = propagation.gradients(manual, X[:, cols], Y[:, cols], "mean")
        optimizers.update(manual, dW, db, 0.5)
    for l in net.W:  # sums of 1500 terms in chunks or at once: ~1500 eps·Σ|terms|, normwise
        assert_close_normwise(net.W[l], manual.W[l], 1e-12)
        assert_close_normwise(net.b[l], manual.b[l], 1e-12)


def test_buffers_chunks_stop_at_a_slice_batch_end(small_net):
    net, X, Y = small_net  # m = 5
    work = Buffers(net, X, Y, 5, chunk=2)
    J = batch_gradients(net, X, Y, slice(0, 3), work)  # chunks 0-1 and 2, not 2-3
    dW, db = propagation.gradients(net, X[:, :3], Y[:, :3])
    for l in net.W:
        assert_close_normwise(work.dW[l], dW[l], 1e-13)  # 3 terms in two orders
        assert_close_normwise(work.db[l], db[l], 1e-13)
    assert float(J) == pytest.approx(bp.loss(net, X[:, :3], Y[:, :3]), rel=1e-13)


def test_an_epoch_not_asked_for_J_computes_none_and_returns_none(monkeypatch, small_net):
    net, X, Y = small_net

    def no_loss(*args, **kwargs):
        raise AssertionError("J was computed though want_J is False")

    monkeypatch.setattr(descent, "objective", no_loss)
    settings = descent.Settings(alpha=0.1, batch_size=2)
    state = descent.RunState.fresh(net, settings.optimizer, seed=0)
    work = Buffers(net, X, Y, 2)
    assert descent.epoch(net, X, Y, settings, state, work) is None  # want_J defaults to False


def test_a_full_batch_gradient_computed_ahead_is_used_as_it_is(small_net):
    net, X, Y = small_net  # m = 5
    work = Buffers(net, X, Y, 5, chunk=2)
    for l in net.W:
        work.dW[l].fill(7.0)
        work.db[l].fill(7.0)
    work.ahead = True  # dW, db hold the full batch's gradient: no chunk is passed again
    assert list(work.chunks(X, Y, slice(0, 5))) == []
    assert not work.ahead  # used once
    assert all(np.all(work.dW[l] == 7.0) and np.all(work.db[l] == 7.0) for l in net.W)
    assert len(list(work.chunks(X, Y, slice(0, 5)))) == 3  # then chunks of 2, 2 and 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_chunk_batch_gradients_are_the_plain_formulas_bit_for_bit(dtype):
    # One chunk does the plain functions' arithmetic in the network's dtype, Σ_i δ^{i,l} as
    # δ^l times a column of ones of that dtype; float64 ones would round float32 otherwise.
    rng = np.random.default_rng(0)
    net = bp.Network((6, 9, 4), "tanh", "sigmoid", seed=0, dtype=dtype)
    X = rng.standard_normal((6, 200)).astype(dtype)
    Y = rng.uniform(size=(4, 200)).astype(dtype)
    work = Buffers(net, X, Y, 200)
    batch_gradients(net, X, Y, slice(None), work)
    dW, db = propagation.gradients(net, X, Y)
    for l in net.W:
        assert work.db[l].dtype == dtype
        np.testing.assert_array_equal(work.dW[l], dW[l])
        np.testing.assert_array_equal(work.db[l], db[l])


def test_gathered_columns_keep_the_datas_layout(small_net):
    # F-ordered data (each sample contiguous) is gathered into F-ordered buffers, anything
    # else (C-ordered, or neither) into C-ordered ones: columns are copied as they lie.
    net, X, Y = small_net  # m = 5
    neither = np.asfortranarray(np.repeat(X, 2, axis=1))[:, ::2]
    assert not (neither.flags.f_contiguous or neither.flags.c_contiguous)
    cols = np.array([4, 0, 3])
    for Xo, Yo in (
        (np.asfortranarray(X), np.ascontiguousarray(Y)),
        (np.ascontiguousarray(X), np.asfortranarray(Y)),
        (neither, np.asfortranarray(Y)),
    ):
        work = Buffers(net, Xo, Yo, 5)
        chunk = next(work.chunks(Xo, Yo, cols))
        for gathered, data in ((chunk.x, Xo), (chunk.y, Yo)):
            np.testing.assert_array_equal(gathered, data[:, cols])
            f_order = data.flags.f_contiguous and not data.flags.c_contiguous
            assert (gathered.flags.f_contiguous, gathered.flags.c_contiguous) == (
                f_order,
                not f_order,
            )
