import gzip
import hashlib
import sys

import numpy as np
import pytest

from bp import data


def test_xor_truth_table():
    X, Y = data.xor()
    assert X.shape == (2, 4) and Y.shape == (1, 4)
    np.testing.assert_array_equal(Y[0], np.logical_xor(X[0], X[1]))


def test_moons_layout_balance_and_seed():
    X, Y = data.moons(101, seed=3)
    assert X.shape == (2, 101) and Y.shape == (1, 101)
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert abs(Y.sum() - 50) <= 1
    X2, _ = data.moons(101, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, data.moons(101, seed=4)[0])


def test_moons_arguments_are_checked():
    with pytest.raises(ValueError, match="m must be an integer >= 1; got 0"):
        data.moons(0)
    with pytest.raises(ValueError, match="noise must be finite and >= 0"):
        data.moons(10, noise=-1.0)


def test_moons_without_noise_lie_on_the_half_circles():
    X, Y = data.moons(50, noise=0.0, seed=0)
    first = Y[0] == 0
    np.testing.assert_allclose(np.hypot(X[0, first], X[1, first]), 1.0)
    np.testing.assert_allclose(np.hypot(X[0, ~first] - 1.0, X[1, ~first] - 0.5), 1.0)


def test_circles_radii_labels_and_seed():
    X, Y = data.circles(40, noise=0.0, factor=0.3, seed=1)
    assert X.shape == (2, 40) and Y.shape == (1, 40)
    np.testing.assert_array_equal(Y[0], np.arange(40) % 2)
    np.testing.assert_allclose(np.hypot(X[0], X[1]), np.where(Y[0] == 0, 1.0, 0.3))
    np.testing.assert_array_equal(data.circles(40, seed=1)[0], data.circles(40, seed=1)[0])
    assert not np.array_equal(data.circles(40, seed=1)[0], data.circles(40, seed=2)[0])


@pytest.mark.parametrize("factor", [0.0, 1.0, 1.5])
def test_circles_rejects_an_inner_radius_outside_0_1(factor):
    with pytest.raises(ValueError, match="factor"):
        data.circles(10, factor=factor)


def test_spiral_is_one_hot_and_lies_on_its_arms():
    X, Y = data.spiral(60, K=4, noise=0.0, seed=2)
    assert X.shape == (2, 60) and Y.shape == (4, 60)
    np.testing.assert_array_equal(Y.sum(axis=0), 1.0)
    k = data.labels_of(Y)
    np.testing.assert_array_equal(k, np.arange(60) % 4)
    r = np.hypot(X[0], X[1])
    assert r.min() >= 0 and r.max() <= 1
    # θ = 2πk/K + 4r, compared on the unit circle to ignore multiples of 2π
    theta = 2 * np.pi * k / 4 + 4 * r
    np.testing.assert_allclose(X, r * np.vstack([np.cos(theta), np.sin(theta)]), atol=1e-12)
    np.testing.assert_array_equal(X, data.spiral(60, K=4, noise=0.0, seed=2)[0])


def test_spiral_needs_two_classes():
    with pytest.raises(ValueError, match="K"):
        data.spiral(10, K=1)


def test_sine_without_noise_is_the_sine():
    X, Y = data.sine(50, noise=0.0, seed=0)
    assert X.shape == (1, 50) and Y.shape == (1, 50)
    assert X.min() >= -np.pi and X.max() <= np.pi
    np.testing.assert_allclose(Y, np.sin(X))
    X2, Y2 = data.sine(50, noise=0.1, seed=0)
    np.testing.assert_array_equal(X2, X)
    assert 0.05 < np.std(Y2 - np.sin(X2)) < 0.2


def test_one_hot_and_labels_of_are_inverse():
    labels = np.array([2, 0, 1, 2])
    Y = data.one_hot(labels)
    np.testing.assert_array_equal(Y, [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(data.labels_of(Y), labels)
    assert data.one_hot(labels, K=5).shape == (5, 4)
    np.testing.assert_array_equal(data.one_hot([1.0, 0.0]), [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    ("labels", "K", "error", "match"),
    [
        ([0, 3], 3, ValueError, r"0\.\.2"),
        ([0, -1], None, ValueError, ">= 0"),
        ([0.5, 1.0], None, TypeError, "integer"),
        ([[0, 1]], None, ValueError, "1-D"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, K, error, match):
    with pytest.raises(error, match=match):
        data.one_hot(labels, K)


def test_labels_of_a_single_output_thresholds_at_one_half():
    np.testing.assert_array_equal(data.labels_of(np.array([[0.2, 0.5, 0.9]])), [0, 1, 1])
    np.testing.assert_array_equal(data.labels_of(np.array([[0.1, 0.7], [0.6, 0.2]])), [1, 0])
    with pytest.raises(ValueError, match="2-D"):
        data.labels_of(np.array([0.1, 0.7]))


def test_confusion_counts_by_hand():
    true = [0, 0, 1, 2, 2, 2]
    pred = [0, 1, 1, 2, 0, 2]
    C = data.confusion(true, pred)
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert C.trace() == 4 and C.sum() == 6
    assert data.confusion(true, pred, K=4).shape == (4, 4)
    with pytest.raises(ValueError, match="same length"):
        data.confusion([0, 1], [0])
    with pytest.raises(ValueError, match=r"0\.\.1"):
        data.confusion([0, 2], [0, 1], K=2)


@pytest.mark.parametrize(
    ("m", "fractions", "sizes"),
    [(10, (0.6, 0.2, 0.2), [6, 2, 2]), (7, (0.6, 0.2, 0.2), [4, 2, 1]), (5, (0.8, 0.2), [4, 1])],
)
def test_split_puts_every_sample_in_exactly_one_part(m, fractions, sizes):
    X = np.vstack([np.arange(m), -np.arange(m)]).astype(float)
    Y = np.arange(m)[np.newaxis, :] * 10.0
    parts = data.split(X, Y, fractions, seed=3)
    assert [Xp.shape[1] for Xp, _ in parts] == sizes
    seen = np.concatenate([Xp[0] for Xp, _ in parts])
    np.testing.assert_array_equal(np.sort(seen), np.arange(m))
    for Xp, Yp in parts:
        np.testing.assert_array_equal(Yp[0], 10 * Xp[0])
        np.testing.assert_array_equal(Xp[1], -Xp[0])
    again = data.split(X, Y, fractions, seed=3)
    for (Xa, _), (Xb, _) in zip(parts, again, strict=True):
        np.testing.assert_array_equal(Xa, Xb)


def test_split_shuffles():
    X = np.arange(100.0)[np.newaxis, :]
    (X_train, _), _, _ = data.split(X, X, seed=0)
    assert not np.array_equal(X_train[0], np.arange(60))


@pytest.mark.parametrize("fractions", [(0.5, 0.4), (1.2, -0.2), ()])
def test_split_rejects_fractions_not_summing_to_one(fractions):
    with pytest.raises(ValueError, match="fractions"):
        data.split(np.zeros((2, 5)), np.zeros((1, 5)), fractions)


def test_split_rejects_different_numbers_of_samples():
    with pytest.raises(ValueError, match="same number of columns"):
        data.split(np.zeros((2, 5)), np.zeros((1, 4)))


def test_digits_layout_and_scale():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    X, Y = data.digits()
    assert X.shape == (64, 1797) and Y.shape == (10, 1797)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(data.labels_of(Y), load_digits().target)
    np.testing.assert_array_equal(X[:, 5].reshape(8, 8), load_digits().images[5] / 16)


def test_digits_without_scikit_learn_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        data.digits()


# MNIST: small IDX files written here and served from a file:// URL, never the network.


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A directory of gzip'd IDX files standing in for the mirror; its checksums patched in."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 4, 3)),
        "train-labels-idx1-ubyte.gz": np.array([3, 0, 9, 1, 3]),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (2, 4, 3)),
        "t10k-labels-idx1-ubyte.gz": np.array([7, 2]),
    }
    root = tmp_path / "server"
    root.mkdir()
    for name, array in arrays.items():
        write_served(root, name, idx_bytes(array), monkeypatch)
    return root, arrays


def write_served(root, name: str, idx: bytes, monkeypatch) -> None:
    """Serve ``idx`` gzip'd as ``name`` and make its SHA-256 the expected one."""
    packed = gzip.compress(idx, mtime=0)
    (root / name).write_bytes(packed)
    monkeypatch.setitem(data.MNIST_SHA256, name, hashlib.sha256(packed).hexdigest())


class Counter:
    """A fetch that records the URLs it was asked for and then really copies them."""

    def __init__(self):
        self.urls = []

    def __call__(self, url, dest):
        self.urls.append(url)
        data.download(url, dest)


def test_mnist_parses_images_and_labels(server, tmp_path):
    root, arrays = server
    X, Y = data.mnist(tmp_path / "cache", base_url=root.as_uri())
    images = arrays["train-images-idx3-ubyte.gz"]
    assert X.shape == (12, 5) and Y.shape == (10, 5) and X.dtype == np.float64
    np.testing.assert_allclose(X, images.reshape(5, 12).T / 255)
    np.testing.assert_array_equal(X[:, 2].reshape(4, 3), images[2] / 255)
    np.testing.assert_array_equal(Y, data.one_hot(arrays["train-labels-idx1-ubyte.gz"], 10))
    X_test, Y_test = data.mnist(tmp_path / "cache", "test", root.as_uri(), dtype=np.float32)
    assert X_test.shape == (12, 2) and X_test.dtype == np.float32
    np.testing.assert_array_equal(data.labels_of(Y_test), [7, 2])


def test_mnist_downloads_once_then_reads_the_cache(server, tmp_path):
    root, _ = server
    cache = tmp_path / "cache"
    fetch = Counter()
    X1, Y1 = data.mnist(cache, base_url=root.as_uri() + "/", fetch=fetch)
    assert fetch.urls == [
        root.as_uri() + "/train-images-idx3-ubyte.gz",
        root.as_uri() + "/train-labels-idx1-ubyte.gz",
    ]
    assert sorted(p.name for p in cache.iterdir()) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]
    X2, Y2 = data.mnist(cache, base_url=root.as_uri(), fetch=fetch)
    assert len(fetch.urls) == 2
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)


def test_mnist_cache_directory_from_bp_data_or_home(server, tmp_path, monkeypatch):
    root, _ = server
    monkeypatch.setenv("BP_DATA", str(tmp_path / "data"))
    data.mnist(base_url=root.as_uri())
    assert (tmp_path / "data" / "mnist" / "train-labels-idx1-ubyte.gz").exists()
    monkeypatch.delenv("BP_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data.mnist(base_url=root.as_uri())
    assert (tmp_path / "home" / ".cache" / "bp" / "mnist" / "train-images-idx3-ubyte.gz").exists()


def test_mnist_checksum_mismatch_is_an_error_and_caches_nothing(server, tmp_path, monkeypatch):
    root, _ = server
    monkeypatch.setitem(data.MNIST_SHA256, "train-images-idx3-ubyte.gz", "0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match=r"SHA-256 mismatch.*nothing was cached"):
        data.mnist(cache, base_url=root.as_uri())
    assert list(cache.iterdir()) == []


def test_mnist_corrupted_cache_file_is_an_error(server, tmp_path):
    root, _ = server
    cache = tmp_path / "cache"
    data.mnist(cache, base_url=root.as_uri())
    (cache / "train-labels-idx1-ubyte.gz").write_bytes(b"not what was downloaded")
    with pytest.raises(ValueError, match="delete the cached file"):
        data.mnist(cache, base_url=root.as_uri())


def test_mnist_failed_download_leaves_nothing(server, tmp_path):
    root, _ = server

    def broken(url, dest):
        dest.write_bytes(b"half a fi")
        raise OSError("connection reset")

    cache = tmp_path / "cache"
    with pytest.raises(OSError, match="connection reset"):
        data.mnist(cache, base_url=root.as_uri(), fetch=broken)
    assert list(cache.iterdir()) == []


def test_mnist_truncated_idx_is_an_error(server, tmp_path, monkeypatch):
    root, arrays = server
    idx = idx_bytes(arrays["train-images-idx3-ubyte.gz"])
    write_served(root, "train-images-idx3-ubyte.gz", idx[:-7], monkeypatch)
    with pytest.raises(ValueError, match=r"truncated: shape \(5, 4, 3\) needs 60 data bytes"):
        data.mnist(tmp_path / "cache", base_url=root.as_uri())


def test_mnist_wrong_magic_number_is_an_error(server, tmp_path, monkeypatch):
    root, arrays = server
    idx = idx_bytes(arrays["train-labels-idx1-ubyte.gz"])
    write_served(root, "train-labels-idx1-ubyte.gz", b"\x00\x00\x0b" + idx[3:], monkeypatch)
    with pytest.raises(ValueError, match="magic number is 00000b01"):
        data.mnist(tmp_path / "cache", base_url=root.as_uri())


def test_mnist_images_and_labels_must_match(server, tmp_path, monkeypatch):
    root, _ = server
    write_served(root, "train-labels-idx1-ubyte.gz", idx_bytes(np.array([1, 2])), monkeypatch)
    with pytest.raises(ValueError, match=r"m images.*shapes \(5, 4, 3\) and \(2,\)"):
        data.mnist(tmp_path / "cache", base_url=root.as_uri())


def test_mnist_rejects_an_unknown_subset(tmp_path):
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.mnist(tmp_path, "validation")


def test_read_idx_plain_gzip_and_bad_files(tmp_path):
    array = np.arange(6).reshape(2, 3)
    (tmp_path / "a.idx").write_bytes(idx_bytes(array))
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.idx"), array)
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), array)
    (tmp_path / "long.idx").write_bytes(idx_bytes(array) + b"\x00")
    with pytest.raises(ValueError, match="longer than its header says"):
        data.read_idx(tmp_path / "long.idx")
    (tmp_path / "header.idx").write_bytes(idx_bytes(array)[:9])
    with pytest.raises(ValueError, match="header of 2 sizes is incomplete"):
        data.read_idx(tmp_path / "header.idx")
    (tmp_path / "bad.gz").write_bytes(gzip.compress(idx_bytes(array))[:-10])
    with pytest.raises(ValueError, match="not a readable gzip file"):
        data.read_idx(tmp_path / "bad.gz")


def test_mnist_constants_are_the_published_files():
    assert data.MNIST_BASE_URL.startswith("https://")
    assert set(data.MNIST_SHA256) == {name for pair in data.MNIST_FILES.values() for name in pair}
    # The published checksums, copied from TensorFlow Datasets' url_checksums/mnist.txt
    # (an independent source, not bp), for the files at data.MNIST_BASE_URL.
    assert data.MNIST_SHA256 == {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    }
    assert data.MNIST_BASE_URL == "https://storage.googleapis.com/cvdf-datasets/mnist/"


def test_the_checksum_is_sha256_of_the_file_bytes(tmp_path, monkeypatch):
    # FIPS 180-2, appendix B.1: SHA-256("abc").
    abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    name = "t10k-labels-idx1-ubyte.gz"
    monkeypatch.setitem(data.MNIST_SHA256, name, abc)
    (tmp_path / "good").write_bytes(b"abc")
    data._check_sha256(tmp_path / "good", name, "")  # accepted: no error
    (tmp_path / "bad").write_bytes(b"abd")
    with pytest.raises(ValueError, match=f"SHA-256 mismatch.*expected {abc}, got"):
        data._check_sha256(tmp_path / "bad", name, "")
