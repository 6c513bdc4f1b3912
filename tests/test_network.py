import numpy as np
import pytest

import bp


def test_shapes_follow_the_document():
    net = bp.Network((4, 5, 3, 2))
    assert net.L == 4
    assert net.sizes == (4, 5, 3, 2)
    assert sorted(net.W) == sorted(net.b) == [2, 3, 4]
    for l in range(2, net.L + 1):
        assert net.W[l].shape == (net.n(l), net.n(l - 1))
        assert net.b[l].shape == (net.n(l), 1)
        assert net.W[l].dtype == np.float64


def test_layer_one_has_no_weights():
    net = bp.Network((2, 3, 1))
    with pytest.raises(KeyError, match=r"no layer 1 here: the layers are l = \[2, 3\]"):
        net.W[1]


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (bp.Network((3, 4, 2), seed=s) for s in (7, 7, 8))
    for l in (2, 3):
        np.testing.assert_array_equal(a.W[l], b.W[l])
        np.testing.assert_array_equal(a.b[l], b.b[l])
    assert not np.array_equal(a.W[2], c.W[2])


def test_initialisation_scale():
    # W^l ~ N(0, 1/n_{l-1}): the sample variance times n_{l-1} is near 1.
    net = bp.Network((400, 300, 1), seed=0)
    assert net.W[2].var() * 400 == pytest.approx(1.0, abs=0.02)
    assert net.b[2].var() == pytest.approx(1.0, abs=0.2)


def test_activations_per_layer():
    net = bp.Network((2, 3, 3, 1), activation="relu", output_activation="identity")
    assert [net.activation_of(l).name for l in (2, 3, 4)] == ["relu", "relu", "identity"]
    assert bp.Network((2, 1), activation="tanh").output_activation.name == "tanh"
    # the attributes are named as the constructor's arguments
    assert (net.activation.name, net.output_activation.name, net.loss.name) == (
        "relu",
        "identity",
        "mse",
    )


def test_copy_is_independent():
    net = bp.Network((2, 3, 1), seed=0)
    twin = net.copy()
    twin.W[2][0, 0] += 1.0
    assert net.W[2][0, 0] != twin.W[2][0, 0]
    assert repr(twin) == repr(net)


def test_float32():
    net = bp.Network((2, 3, 1), seed=0, dtype=np.float32)
    assert all(W.dtype == np.float32 for W in net.W.values())
    X = np.ones((2, 4))
    assert bp.predict(net, X).dtype == np.float32


@pytest.mark.parametrize(
    "sizes, error, match",
    [
        ((3,), ValueError, r"at least two layers.*\(3,\)"),
        ((), ValueError, "at least two layers"),
        ((2, 0, 1), ValueError, r"sizes\[1\] \(layer 2\) must be an integer >= 1; got 0"),
        ((2, -3, 1), ValueError, "got -3"),
        ((2, 2.5, 1), ValueError, "got 2.5"),
        ((2, True, 1), ValueError, "got True"),
        (5, TypeError, "sizes must be a sequence"),
    ],
)
def test_invalid_sizes(sizes, error, match):
    with pytest.raises(error, match=match):
        bp.Network(sizes)


def test_invalid_dtype():
    with pytest.raises(ValueError, match=r"dtype=.*float64 or float32"):
        bp.Network((2, 1), dtype=np.int32)


def test_unknown_output_activation():
    with pytest.raises(ValueError, match="output_activation='softmax'"):
        bp.Network((2, 1), output_activation="softmax")


@pytest.mark.parametrize(
    "init, variance, zero_bias",
    [("normal", 1 / 400, False), ("xavier", 2 / (400 + 300), True), ("he", 2 / 400, True)],
)
def test_initialisations(init, variance, zero_bias):
    net = bp.Network((400, 300, 1), seed=0, init=init)
    assert net.W[2].var() == pytest.approx(variance, rel=0.02)
    assert net.W[2].mean() == pytest.approx(0.0, abs=0.01 * np.sqrt(variance) * 10)
    assert (np.count_nonzero(net.b[2]) == 0) == zero_bias


def test_unknown_init():
    with pytest.raises(
        ValueError, match=r"init='glorot'; expected one of 'normal', 'xavier', 'he'"
    ):
        bp.Network((2, 1), init="glorot")
