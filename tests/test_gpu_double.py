"""bp's one implementation runs unchanged on GPU arrays (CuPy), here on a stand-in.

CI has no GPU, so ``array_double.DeviceArray`` stands in for CuPy: NumPy dispatches to
it, and it refuses every implicit conversion to NumPy, as CuPy does. Every public
function and ``bp.train`` (each optimizer, full batch, mini-batch, stochastic, L2,
dropout, validation) runs on it and gives the NumPy result bit for bit.
"""

import array_double as device
import numpy as np
import pytest

import bp


def _case(output="sigmoid", loss="mse", m=23):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3, m))
    Y = rng.uniform(size=(2, m))
    if loss == "log_likelihood":
        Y = Y / Y.sum(axis=0)
    return bp.Network((3, 6, 5, 2), "tanh", output, loss, seed=4), X, Y


def _same(host, dev):
    """host (NumPy) and dev (device) hold the same bits: Layers, tuples, arrays or floats."""
    if isinstance(host, dict):
        assert set(host) == set(dev)
        for k in host:
            _same(host[k], dev[k])
    elif isinstance(host, tuple | list):
        for h, d in zip(host, dev, strict=True):
            _same(h, d)
    elif isinstance(host, np.ndarray):
        assert isinstance(dev, device.DeviceArray)
        np.testing.assert_array_equal(dev.get(), host)
    else:
        assert host == dev


def test_the_double_refuses_implicit_conversion():
    x = device.asarray(np.ones((2, 2)))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(x)
    with pytest.raises(TypeError, match="Unsupported type"):
        np.add(x, np.ones((2, 2)))


@pytest.mark.parametrize(
    "output, loss", [("sigmoid", "mse"), ("identity", "mse"), ("softmax", "log_likelihood"),
                     ("sigmoid", "cross_entropy"), ("relu", "mse")]
)  # fmt: skip
def test_every_public_function_gives_the_numpy_bits(output, loss):
    net, X, Y = _case(output, loss)
    gpu, Xd, Yd = net.to(device), device.asarray(X), device.asarray(Y)
    _same(bp.forward(net, X), bp.forward(gpu, Xd))
    _same(bp.predict(net, X), bp.predict(gpu, Xd))
    z, a = bp.forward(net, X)
    zd, ad = bp.forward(gpu, Xd)
    _same(bp.backward(net, z, a, Y), bp.backward(gpu, zd, ad, Yd))
    for reduction in ("sum", "mean"):
        _same(bp.gradients(net, X, Y, reduction, 0.1), bp.gradients(gpu, Xd, Yd, reduction, 0.1))
        assert bp.loss(net, X, Y, reduction, 0.1) == bp.loss(gpu, Xd, Yd, reduction, 0.1)
    small, Xs, Ys = net.copy(), X[:, :3], Y[:, :3]
    assert bp.gradient_check(small, Xs, Ys) == bp.gradient_check(
        small.to(device), device.asarray(Xs), device.asarray(Ys)
    )


SETTINGS = [
    {"batch_size": None},
    {"batch_size": 5},
    {"batch_size": 1, "max_iter": 2},
    {"batch_size": 5, "l2": 0.3, "reduction": "mean"},
    {"batch_size": 5, "dropout": 0.2},
    {"batch_size": None, "dropout": 0.2, "record_loss": "exact"},
    {"batch_size": 5, "optimizer": "momentum"},
    {"batch_size": None, "optimizer": "nesterov", "l2": 0.1},
    {"batch_size": 5, "optimizer": "adam", "reduction": "mean"},
    {"batch_size": 5, "record_loss": False, "stop": "relative_change", "epsilon": 1e-9},
]


@pytest.mark.parametrize(
    "settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items())
)
def test_train_gives_the_numpy_bits(settings):
    net, X, Y = _case()
    gpu = net.to(device)
    options = {"alpha": 0.1, "max_iter": 4, "epsilon": 0.0, "seed": 0} | settings
    Xv, Yv = X[:, :7], Y[:, :7]
    h = bp.train(net, X, Y, validation=(Xv, Yv), **options)
    hd = bp.train(gpu, device.asarray(X), device.asarray(Y),
                  validation=(device.asarray(Xv), device.asarray(Yv)), **options)  # fmt: skip
    _same((net.W, net.b), (gpu.W, gpu.b))
    assert (h.loss, h.max_change, h.validation_loss) == (hd.loss, hd.max_change, hd.validation_loss)
    assert (h.converged, h.stalled, h.reason) == (hd.converged, hd.stalled, hd.reason)
    _same(h.optimizer_state.slots, hd.optimizer_state.slots)


def test_per_sample_reference_and_save_run_on_the_device(tmp_path):
    net, X, Y = _case(m=6)
    gpu = net.to(device)
    bp.train_per_sample(net, X, Y, alpha=0.1, max_iter=2, epsilon=0.0)
    bp.train_per_sample(gpu, device.asarray(X), device.asarray(Y), alpha=0.1, max_iter=2,
                        epsilon=0.0)  # fmt: skip
    _same((net.W, net.b), (gpu.W, gpu.b))
    bp.save(gpu, tmp_path / "m.npz")  # writes NumPy arrays
    back = bp.load(tmp_path / "m.npz")
    _same((back.W, back.b), (gpu.W, gpu.b))
    _same((gpu.to("numpy").W,), (gpu.W,))


def test_mixing_devices_is_named_not_converted():
    net, X, Y = _case()
    with pytest.raises(TypeError, match=r"X is a array_double\.DeviceArray .* net\.to\('cupy'\)"):
        bp.predict(net, device.asarray(X))
    with pytest.raises(TypeError, match=r"Y is a numpy\.ndarray"):
        bp.loss(net.to(device), device.asarray(X), Y)
