"""Bad input gets a clear error that names the argument, what it got and what was expected."""

import numpy as np
import pytest

import bp


@pytest.fixture
def net():
    return bp.Network((3, 4, 2), seed=0)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((3, 10)), rng.uniform(size=(2, 10))


def test_rows_as_samples_says_pass_the_transpose(net, data):
    X, Y = data
    with pytest.raises(
        ValueError, match=r"X has shape \(10, 3\): samples look like rows.*pass X\.T"
    ):
        bp.predict(net, X.T)
    with pytest.raises(
        ValueError, match=r"Y has shape \(10, 2\): samples look like rows.*pass Y\.T"
    ):
        bp.gradients(net, X, Y.T)


def test_wrong_number_of_inputs(net):
    with pytest.raises(ValueError, match=r"X has shape \(5, 10\); expected \(n_in=3, m\)"):
        bp.predict(net, np.ones((5, 10)))


def test_wrong_number_of_outputs(net, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"Y has shape \(4, 10\); expected \(n_out=2, m\)"):
        bp.loss(net, X, np.ones((4, 10)))


def test_sample_counts_must_match(net, data):
    X, Y = data
    with pytest.raises(ValueError, match=r"same number of samples.*X with m=10 and Y with m=9"):
        bp.train(net, X, Y[:, :9], alpha=0.1, max_iter=1, epsilon=0.0)


def test_one_dimensional_input_is_refused_with_a_hint(net):
    with pytest.raises(ValueError, match=r"X must be 2-D.*got 1-D shape \(3,\).*reshape\(-1, 1\)"):
        bp.predict(net, np.ones(3))


def test_three_dimensional_input(net):
    with pytest.raises(ValueError, match=r"X must be 2-D.*got 3-D shape \(3, 2, 2\)"):
        bp.predict(net, np.ones((3, 2, 2)))


def test_no_samples(net):
    with pytest.raises(ValueError, match=r"X has shape \(3, 0\): it holds no samples"):
        bp.predict(net, np.ones((3, 0)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_data(net, data, bad):
    X, Y = data
    X = X.copy()
    X[1, 4] = bad
    with pytest.raises(
        ValueError,
        match=r"X must be finite; it has 1 NaN or inf value\(s\), the first at X\[1, 4\]",
    ):
        bp.gradients(net, X, Y)
    Y = Y.copy()
    Y[0, 0] = bad
    with pytest.raises(ValueError, match=r"Y must be finite"):
        bp.loss(net, data[0], Y)


def test_non_numeric_data(net):
    with pytest.raises(TypeError, match="X must be a numeric array; got dtype"):
        bp.predict(net, np.array([["a"] * 2] * 3))
    with pytest.raises(TypeError, match="X must be real; got complex"):
        bp.predict(net, np.ones((3, 2), dtype=complex))


@pytest.mark.parametrize("alpha", [0, -0.1, np.inf, np.nan])
def test_alpha_must_be_positive(net, data, alpha):
    with pytest.raises(ValueError, match=r"alpha must be finite and > 0; got"):
        bp.train(net, *data, alpha=alpha, max_iter=1, epsilon=0.0)
    with pytest.raises(ValueError, match=r"alpha must be finite and > 0"):
        bp.train_per_sample(net, *data, alpha=alpha, max_iter=1, epsilon=0.0)


def test_alpha_must_be_a_number(net, data):
    with pytest.raises(TypeError, match=r"alpha must be a real number; got '0.1'"):
        bp.train(net, *data, alpha="0.1", max_iter=1, epsilon=0.0)


@pytest.mark.parametrize("epsilon", [-1e-3, np.nan])
def test_epsilon_must_not_be_negative(net, data, epsilon):
    with pytest.raises(ValueError, match=r"epsilon must be finite and >= 0; got"):
        bp.train(net, *data, alpha=0.1, max_iter=1, epsilon=epsilon)


@pytest.mark.parametrize(
    "max_iter, error",
    [
        (2.5, TypeError),
        (10.0, TypeError),
        ("10", TypeError),
        (True, TypeError),
        (0, ValueError),
        (-3, ValueError),
    ],
)
def test_max_iter_must_be_a_positive_integer(net, data, max_iter, error):
    with pytest.raises(error, match=r"max_iter must be an integer >= 1; got"):
        bp.train(net, *data, alpha=0.1, max_iter=max_iter, epsilon=0.0)


def test_numpy_integers_are_integers(net, data):
    h = bp.train(net, *data, alpha=0.1, max_iter=np.int64(2), epsilon=0.0, batch_size=np.int32(5))
    assert h.iterations == 2


@pytest.mark.parametrize(
    "batch_size, error, match",
    [
        (0, ValueError, "batch_size must be an integer >= 1; got 0"),
        (2.0, TypeError, "batch_size must be an integer"),
        (11, ValueError, "batch_size=11 is larger than the m=10 samples"),
    ],
)
def test_batch_size(net, data, batch_size, error, match):
    with pytest.raises(error, match=match):
        bp.train(net, *data, alpha=0.1, max_iter=1, epsilon=0.0, batch_size=batch_size)


@pytest.mark.parametrize("call", [bp.loss, bp.gradients, bp.gradient_check])
def test_unknown_reduction(net, data, call):
    with pytest.raises(
        ValueError, match=r"reduction='avg'; expected 'sum' \(the document\) or 'mean'"
    ):
        call(net, *data, reduction="avg")


def test_unknown_activation_name():
    with pytest.raises(
        ValueError, match=r"activation='sigmod' is not a known activation; expected one of"
    ):
        bp.Network((2, 1), activation="sigmod")


def test_nothing_is_broadcast_a_single_target_column(net, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"X with m=10 and Y with m=1"):
        bp.gradients(net, X, np.zeros((2, 1)))


def test_log_likelihood_targets_must_sum_to_one():
    net = bp.Network((2, 3), output_activation="softmax", loss="log_likelihood", seed=0)
    X = np.ones((2, 2))
    Y = np.array([[1.0, 0.0], [1.0, 0.5], [0.0, 0.5]])
    with pytest.raises(ValueError, match=r"every column of Y must sum to 1.*column 0 sums to 2"):
        bp.gradients(net, X, Y)
    z, a = bp.forward(net, X)
    with pytest.raises(ValueError, match="column 0 sums to 2"):
        bp.backward(net, z, a, Y)
    bp.gradients(net, X, Y / Y.sum(axis=0))


@pytest.mark.parametrize(
    "loss, output", [("cross_entropy", "sigmoid"), ("log_likelihood", "softmax")]
)
def test_cross_entropy_targets_must_lie_in_0_1(loss, output):
    net = bp.Network((2, 2), output_activation=output, loss=loss, seed=0)
    with pytest.raises(ValueError, match=r"Y must lie in \[0, 1\]; got values from -0.5 to 1.5"):
        bp.loss(net, np.ones((2, 2)), np.array([[-0.5, 1.0], [1.5, 0.0]]))


def test_values_beyond_float32_are_refused_not_turned_into_inf():
    net = bp.Network((2, 1), seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"X has values up to 1e\+300; a float32 network takes"):
        bp.predict(net, np.array([[1e300], [0.0]]))


# -- issue 23 ---------------------------------------------------------------------------------
def _moons(m=20):
    return bp.data.moons(m, seed=0)


# C17: targets the output activation cannot reach are refused before training.
@pytest.mark.parametrize(
    "output, shift, found, reach",
    [("sigmoid", lambda Y: 2 * Y - 1, "from -1 to 1", r"\[0, 1\]"),
     ("tanh", lambda Y: 3 * Y, "from 0 to 3", r"\[-1, 1\]"),
     ("relu", lambda Y: Y - 1, "from -1 to 0", r"\[0, ∞\)")],
)  # fmt: skip
def test_targets_outside_the_output_range_are_refused_before_training(output, shift, found, reach):
    X, Y = _moons()
    net = bp.Network((2, 3, 1), output_activation=output, seed=0)
    before = net.copy()
    with pytest.raises(ValueError, match=f"Y has values {found}, outside {reach}.*'{output}'"):
        bp.train(net, X, shift(Y), alpha=0.1, max_iter=2, epsilon=0.0)
    assert np.array_equal(net.W[2], before.W[2])
    assert bp.loss(net, X, shift(Y)) > 0  # J itself is defined for any Y


# C21: masked arrays would have their masked values used silently.
@pytest.mark.parametrize("which", ["X", "Y"])
def test_masked_arrays_are_refused(which):
    X, Y = _moons()
    data = {"X": X, "Y": Y}
    mask = np.zeros(data[which].shape, bool)
    mask[0, 3] = True
    data[which] = np.ma.masked_array(data[which], mask=mask)
    net = bp.Network((2, 3, 1), seed=0)
    with pytest.raises(TypeError, match=f"{which} is a masked array.*1 masked value"):
        bp.train(net, data["X"], data["Y"], alpha=0.1, max_iter=2, epsilon=0.0)


# C22: strings or None where a bool is expected.
@pytest.mark.parametrize("name, value", [("shuffle", "False"), ("verbose", "no"),
                                         ("shuffle", None), ("verbose", 1)])  # fmt: skip
def test_strings_or_none_for_a_bool_are_refused(name, value):
    X, Y = _moons()
    with pytest.raises(TypeError, match=f"{name} must be True or False; got {value!r}"):
        bp.train(bp.Network((2, 3, 1), seed=0), X, Y, alpha=0.1, max_iter=2, epsilon=0.0,
                 batch_size=5, **{name: value})  # fmt: skip


# C24: one array shared by two layers.
@pytest.mark.parametrize(
    "share, names",
    [(lambda net: net.W.__setitem__(3, net.W[2]), r"net.W\[3\] and net.W\[2\]"),
     (lambda net: net.b.__setitem__(3, net.b[2]), r"net.b\[3\] and net.b\[2\]"),
     (lambda net: net.W.__setitem__(3, net.W[2][:, :]), r"net.W\[3\] and net.W\[2\]"),
     (lambda net: net.b.__setitem__(2, net.W[2][:, :1]), r"net.b\[2\] and net.W\[2\]")],
)  # fmt: skip
def test_an_array_shared_by_two_layers_is_refused(share, names):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((3, 8)), rng.uniform(size=(3, 8))
    net = bp.Network((3, 3, 3), seed=0)
    share(net)
    for call in (
        lambda: bp.train(net, X, Y, alpha=0.1, max_iter=2, epsilon=0.0),
        lambda: bp.gradients(net, X, Y),
        lambda: bp.save(net, "never-written.npz"),
    ):
        with pytest.raises(ValueError, match=names + " share their memory"):
            call()


# C26: m labels in a 1-D Y for one output unit.
def test_one_dimensional_labels_get_the_row_hint():
    X, Y = _moons()
    with pytest.raises(ValueError, match=r"20 samples of one output unit: Y.reshape\(1, -1\)"):
        bp.train(bp.Network((2, 3, 1), seed=0), X, Y.ravel(), alpha=0.1, max_iter=2, epsilon=0)
    with pytest.raises(ValueError, match=r"one sample: Y.reshape\(-1, 1\)"):
        bp.loss(bp.Network((2, 3, 1), seed=0), X[:, :1], Y[:, 0])


# C27: class indices for a network with K output units.
@pytest.mark.parametrize("shape", [(-1,), (1, -1)])
def test_class_indices_for_a_softmax_network_suggest_one_hot(shape):
    X, Y = _moons()
    labels = Y.astype(int).reshape(shape)
    net = bp.Network((2, 3, 2), output_activation="softmax", loss="log_likelihood", seed=0)
    with pytest.raises(ValueError, match=r"class indices.*bp.data.one_hot\(Y.ravel\(\), 2\)"):
        bp.train(net, X, labels, alpha=0.1, max_iter=2, epsilon=0.0)
