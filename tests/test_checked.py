"""bp.checked (issue 22): the checked entry points take the weight decay and check it."""

import numpy as np
import pytest

import bp


def test_weight_decay_is_checked_at_the_entry_points():
    X, Y = bp.data.moons(10, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    for call in (bp.gradients, bp.loss):
        with pytest.raises(ValueError, match="weight_decay must be finite and >= 0"):
            call(net, X, Y, "mean", 0.0, -0.1)
        with pytest.raises(TypeError, match="weight_decay must be a real number"):
            call(net, X, Y, "mean", 0.0, "big")


def test_a_non_network_is_named():
    with pytest.raises(TypeError, match=r"net must be a bp\.Network; got str"):
        bp.predict("net", [[1.0]])


# Issue 23, C25: a NaN in z would make every δ NaN silently.
@pytest.mark.parametrize("name", ["z", "a"])
def test_backward_names_a_nan_in_z_or_a_and_its_layer(name):
    X, Y = bp.data.moons(10, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    z, a = bp.forward(net, X)
    {"z": z, "a": a}[name][2][1, 4] = np.nan
    with pytest.raises(
        ValueError, match=rf"{name}\[2\] \(layer 2\) holds 1 NaN .*{name}\[2\]\[1, 4\]"
    ):
        bp.backward(net, z, a, Y)
