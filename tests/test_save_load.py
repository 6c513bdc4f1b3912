import zipfile

import numpy as np
import pytest

import bp

CONFIGURATIONS = [
    ((3, 5, 4, 2), "tanh", "identity", "mse"),
    # W^3, W^4 (4, 4) and b^2, b^3, b^4 (4, 1) have equal shapes: each must land in its layer
    ((3, 4, 4, 4, 2), "relu", "sigmoid", "cross_entropy"),
    ((2, 3, 3, 3), "sigmoid", "softmax", "log_likelihood"),
    ((5, 5, 5), "leaky_relu", None, "mse"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sizes, activation, output, loss", CONFIGURATIONS)
def test_round_trip_is_exact(tmp_path, dtype, sizes, activation, output, loss):
    net = bp.Network(sizes, activation, output, loss, seed=1, dtype=dtype)
    path = tmp_path / "model.npz"
    bp.save(net, path)
    back = bp.load(path)
    assert repr(back) == repr(net)
    assert back.activation.name == activation
    assert back.output_activation.name == (output or activation) and back.loss.name == loss
    for l in range(2, net.L + 1):
        np.testing.assert_array_equal(back.W[l], net.W[l])
        np.testing.assert_array_equal(back.b[l], net.b[l])
        assert back.W[l].dtype == back.b[l].dtype == dtype


# Missed bug (d) of issue 10: save must not swap two equal-shaped layers.


@pytest.mark.parametrize("sizes", [(3, 4, 4, 4, 2), (2, 3, 3, 3, 3), (4, 4, 4)])
def test_equal_shaped_layers_keep_their_own_values(tmp_path, sizes):
    net = bp.Network(sizes, seed=0)
    for l in range(2, net.L + 1):  # values that name their layer: W^l = 100 l + k, b^l = -l
        net.W[l][...] = 100 * l + np.arange(net.W[l].size).reshape(net.W[l].shape)
        net.b[l][...] = -l
    path = tmp_path / "model.npz"
    bp.save(net, path)
    back = bp.load(path)
    with np.load(path, allow_pickle=False) as stored:
        for l in range(2, net.L + 1):
            assert back.W[l][0, 0] == 100 * l and np.all(back.b[l] == -l)
            np.testing.assert_array_equal(back.W[l], net.W[l])
            np.testing.assert_array_equal(stored[f"W{l}"], net.W[l])  # the file's W{l} is W^l
            np.testing.assert_array_equal(stored[f"b{l}"], net.b[l])
    X = np.linspace(-1, 1, 2 * sizes[0]).reshape(sizes[0], 2)
    np.testing.assert_array_equal(bp.predict(back, X), bp.predict(net, X))


def test_path_is_kept_as_given(tmp_path):
    path = tmp_path / "model.bp"
    bp.save(bp.Network((2, 1), seed=0), path)
    assert path.exists() and bp.load(path).sizes == (2, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bp"]


def test_no_pickle_inside(tmp_path):
    path = tmp_path / "model.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path)
    with np.load(path, allow_pickle=False) as f:
        assert all(f[key].dtype != object for key in f.files)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no bp model file at"):
        bp.load(tmp_path / "nothing.npz")


def test_truncated_file(tmp_path):
    path = tmp_path / "model.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"not a readable \.npz file \(truncated or corrupt\?\)"):
        bp.load(path)


def test_garbage_file(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"this is not a zip file at all")
    with pytest.raises(ValueError, match=r"not a readable \.npz file"):
        bp.load(path)


def test_foreign_npz(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(ValueError, match="is not a bp model file: it has no format="):
        bp.load(path)


def test_pickled_npz_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, format=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=r"not a readable \.npz file"):
        bp.load(path)


def test_inconsistent_weights(tmp_path):
    path = tmp_path / "model.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path)
    with np.load(path) as f:
        entries = {k: f[k] for k in f.files}
    entries["W3"] = np.ones((2, 3))
    np.savez(path, **entries)
    with pytest.raises(ValueError, match=r"W3 has shape \(2, 3\); expected \(1, 3\)"):
        bp.load(path)
    del entries["W3"]
    np.savez(path, **entries)
    with pytest.raises(ValueError, match="is missing W3"):
        bp.load(path)


def _rewrite(path, **changes):
    with np.load(path) as f:
        entries = {k: f[k] for k in f.files}
    entries.update(changes)
    with zipfile.ZipFile(path, "w") as z:
        for key, value in entries.items():
            if isinstance(value, bytes):
                z.writestr(f"{key}.npy", value)
            else:
                with z.open(f"{key}.npy", "w") as member:
                    np.lib.format.write_array(member, np.asanyarray(value))


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"sizes": b"not an npy header"}, "entry 'sizes' is not a NumPy array"),
        ({"sizes": np.array([2.0, 3.0, 1.0])}, "sizes must be a 1-D integer array"),
        ({"sizes": np.array([2, 0, 1])}, r"holds no valid bp network: sizes\[1\]"),
        ({"activation": np.array("swish")}, "holds no valid bp network: activation='swish'"),
        ({"dtype": np.array("int8")}, "holds no valid bp network: dtype="),
        ({"W2": np.full((3, 2), np.nan)}, "W2 must hold finite floats"),
        ({"b3": np.array([["x"]])}, "b3 must hold finite floats; got dtype <U1"),
    ],
)
def test_corrupt_entries(tmp_path, changes, match):
    path = tmp_path / "model.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path)
    _rewrite(path, **changes)
    with pytest.raises(ValueError, match=match):
        bp.load(path)
