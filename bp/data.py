r"""Data in bp's layout: small seeded tasks made with NumPy, and real handwritten digits.

Every task returns (X, Y) with the samples as columns: X is (n_in, m) and Y is
(n_out, m). The same seed gives the same data. Classification tasks with K > 2
classes return Y one-hot, shape (K, m); ``labels_of(Y)`` turns it back into
the labels 0..K-1, and ``one_hot`` goes the other way.

Real data: ``digits()`` is scikit-learn's bundled 8×8 digits (no download);
``mnist()`` downloads the four MNIST IDX files once, checks their SHA-256 and
keeps them in a cache directory.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bp._checks import check_integer, check_real

Array = np.ndarray


def xor() -> tuple[Array, Array]:
    r"""The four XOR samples: X (2, 4), Y (1, 4) with y = x_1 XOR x_2."""
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    return X, Y


def moons(m: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[Array, Array]:
    r"""Two interleaving half circles in the plane: X (2, m), Y (1, m) with labels 0 and 1.

    Samples alternate between the moons (first moon for even i); Gaussian noise
    of standard deviation ``noise`` is added to both coordinates.
    """
    m = check_integer("m", m, 1)
    noise = check_real("noise", noise, positive=False)
    rng = np.random.default_rng(seed)
    label = np.arange(m) % 2
    t = rng.uniform(0.0, np.pi, m)
    x1 = np.where(label == 0, np.cos(t), 1.0 - np.cos(t))
    x2 = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    X = np.vstack([x1, x2]) + noise * rng.standard_normal((2, m))
    return X, label[np.newaxis, :].astype(float)


def circles(
    m: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> tuple[Array, Array]:
    r"""A circle inside a circle: X (2, m), Y (1, m) with labels 0 (outer) and 1 (inner).

    The outer circle has radius 1, the inner one radius ``factor`` (0 < factor < 1).
    Samples alternate (outer circle for even i); Gaussian noise of standard
    deviation ``noise`` is added to both coordinates. No straight line separates
    the classes, so a network without a hidden layer cannot learn it.
    """
    m = check_integer("m", m, 1)
    noise = check_real("noise", noise, positive=False)
    factor = check_real("factor", factor, positive=True)
    if factor >= 1:
        raise ValueError(f"factor is the inner radius, 0 < factor < 1; got {factor}")
    rng = np.random.default_rng(seed)
    label = np.arange(m) % 2
    radius = np.where(label == 0, 1.0, factor)
    t = rng.uniform(0.0, 2.0 * np.pi, m)
    X = radius * np.vstack([np.cos(t), np.sin(t)]) + noise * rng.standard_normal((2, m))
    return X, label[np.newaxis, :].astype(float)


def spiral(
    m: int = 300, K: int = 3, noise: float = 0.05, seed: int | None = 0
) -> tuple[Array, Array]:
    r"""K spiral arms around the origin: X (2, m) and Y one-hot (K, m).

    Sample i belongs to class k = i mod K. Its radius r is uniform in [0, 1]
    and its angle is θ = 2πk/K + 4r, so each arm turns by 4 radians from the
    centre out; x = r (cos θ, sin θ) plus Gaussian noise of standard deviation
    ``noise`` on both coordinates. The labels are ``labels_of(Y)``.
    """
    m = check_integer("m", m, 1)
    K = check_integer("K", K, 2)
    noise = check_real("noise", noise, positive=False)
    rng = np.random.default_rng(seed)
    label = np.arange(m) % K
    r = rng.uniform(0.0, 1.0, m)
    theta = 2.0 * np.pi * label / K + 4.0 * r
    X = r * np.vstack([np.cos(theta), np.sin(theta)]) + noise * rng.standard_normal((2, m))
    return X, one_hot(label, K)


def sine(m: int = 100, noise: float = 0.1, seed: int | None = 0) -> tuple[Array, Array]:
    r"""1-D regression, y = sin(x) + noise: X (1, m), Y (1, m).

    x is uniform in [−π, π] (not sorted: sort by ``X[0]`` to draw a line) and
    Gaussian noise of standard deviation ``noise`` is added to y. Since y takes
    negative values, use an output layer that can reach them,
    ``output_activation="identity"`` or ``"tanh"``, not the sigmoid.
    """
    m = check_integer("m", m, 1)
    noise = check_real("noise", noise, positive=False)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-np.pi, np.pi, (1, m))
    return X, np.sin(X) + noise * rng.standard_normal((1, m))


def one_hot(labels: Sequence[int] | Array, K: int | None = None) -> Array:
    r"""The one-hot matrix of integer labels 0..K-1: shape (K, m), column i is e_{labels[i]}.

    ``K`` defaults to max(labels) + 1. The inverse is ``labels_of``.
    """
    labels = _labels("labels", labels)
    if K is None:
        K = int(labels.max()) + 1 if labels.size else 1
    K = check_integer("K", K, 1)
    if labels.size and labels.max() >= K:
        raise ValueError(f"labels must lie in 0..K-1 = 0..{K - 1}; got {labels.max()}")
    Y = np.zeros((K, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


def labels_of(Y: Array) -> Array:
    r"""The class of each column of Y (K, m) as an integer array of shape (m,).

    For K ≥ 2 rows (one-hot targets or a network's output a^L) it is the row
    of the largest entry, argmax_k Y[k, i]. For a single row (binary tasks,
    n_out = 1) it is 1 where Y ≥ 0.5 and 0 elsewhere.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-D (K, m), samples as columns; got shape {Y.shape}")
    if Y.shape[0] == 1:
        return (Y[0] >= 0.5).astype(int)
    return Y.argmax(axis=0)


def confusion(
    labels_true: Sequence[int] | Array, labels_pred: Sequence[int] | Array, K: int | None = None
) -> Array:
    r"""The confusion matrix C (K, K): C[i, j] counts the samples of class i predicted as j.

    The diagonal holds the correct predictions, so accuracy = trace(C) / m.
    ``K`` defaults to the largest label in either argument plus one.
    """
    true = _labels("labels_true", labels_true)
    pred = _labels("labels_pred", labels_pred)
    if true.shape != pred.shape:
        raise ValueError(
            f"labels_true and labels_pred must have the same length m; "
            f"got {true.size} and {pred.size}"
        )
    if K is None:
        K = int(max(true.max(initial=0), pred.max(initial=0))) + 1
    K = check_integer("K", K, 1)
    if true.size and max(true.max(), pred.max()) >= K:
        raise ValueError(f"labels must lie in 0..K-1 = 0..{K - 1}")
    C = np.zeros((K, K), dtype=int)
    np.add.at(C, (true, pred), 1)
    return C


def _labels(name: str, labels) -> Array:
    """``labels`` as a 1-D array of non-negative integers."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, one label per sample; got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating) or np.any(arr != np.round(arr)):
            raise TypeError(f"{name} must hold integer labels 0, 1, ...; got dtype {arr.dtype}")
    arr = arr.astype(int)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0; got {arr.min()}")
    return arr


def split(
    X: Array, Y: Array, fractions: Sequence[float] = (0.6, 0.2, 0.2), seed: int | None = 0
) -> tuple[tuple[Array, Array], ...]:
    r"""Shuffle the m columns of X and Y and cut them into parts, e.g. train, validation, test.

    Returns one (X_part, Y_part) per fraction, in order. Part j holds the
    columns from round(m·(f_1 + … + f_{j-1})) to round(m·(f_1 + … + f_j)), so
    every sample lands in exactly one part and the sizes add up to m (round
    takes halves to even, as ``np.rint``). The fractions must be ≥ 0 and sum to 1.
    """
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X (n_in, m) and Y (n_out, m) must be 2-D with the same number of columns m; "
            f"got shapes {X.shape} and {Y.shape}"
        )
    f = np.asarray(fractions, dtype=float)
    if f.ndim != 1 or f.size == 0 or np.any(f < 0) or not np.isclose(f.sum(), 1.0):
        raise ValueError(f"fractions must be >= 0 and sum to 1; got {tuple(fractions)}")
    m = X.shape[1]
    order = np.random.default_rng(seed).permutation(m)
    ends = np.rint(np.cumsum(f) * m).astype(int)
    ends[-1] = m
    parts = np.split(order, ends[:-1])
    return tuple((X[:, idx], Y[:, idx]) for idx in parts)


def digits() -> tuple[Array, Array]:
    r"""scikit-learn's 1797 handwritten digits, 8×8 pixels: X (64, 1797), Y one-hot (10, 1797).

    Column i of X is image i read row by row, scaled from 0..16 to [0, 1];
    ``X[:, i].reshape(8, 8)`` is the picture. The data ship with scikit-learn
    (``sklearn.datasets.load_digits``), so nothing is downloaded.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ImportError(
            "bp.data.digits() needs scikit-learn, which ships the digits: pip install scikit-learn"
        ) from err
    bunch = load_digits()
    return bunch.data.T / 16.0, one_hot(bunch.target, 10)


MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# SHA-256 of the published files, as listed by TensorFlow Datasets (url_checksums/mnist.txt).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


def download(url: str, dest: Path) -> None:
    r"""Copy ``url`` into the file ``dest`` with urllib (also reads ``file://`` URLs)."""
    with urllib.request.urlopen(url) as response, open(dest, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)


def mnist(
    path: str | os.PathLike | None = None,
    subset: str = "train",
    base_url: str = MNIST_BASE_URL,
    fetch: Callable[[str, Path], None] | None = None,
    dtype: type | str | np.dtype = np.float64,
) -> tuple[Array, Array]:
    r"""MNIST handwritten digits, 28×28 pixels: X (784, m), Y one-hot (10, m).

    ``subset="train"`` gives the m = 60000 training images, ``"test"`` the
    10000 test images. Column i of X is image i read row by row, scaled from
    0..255 to [0, 1]; ``X[:, i].reshape(28, 28)`` is the picture. In float64
    the training X takes 376 MB; ``dtype=np.float32`` halves that.

    The two IDX files of the split are downloaded from ``base_url`` on first
    use, checked against their SHA-256 in ``MNIST_SHA256`` and kept in the
    cache directory: ``path`` if given, else ``$BP_DATA/mnist`` if the
    environment variable BP_DATA is set, else ``~/.cache/bp/mnist``. Later
    calls read the cache. A file whose checksum does not match raises
    ValueError and is not kept. ``fetch(url, dest)`` does the download
    (default: ``download``, with urllib).
    """
    if subset not in MNIST_FILES:
        raise ValueError(f"subset={subset!r}; expected 'train' or 'test'")
    directory = _cache_dir(path)
    images_file, labels_file = MNIST_FILES[subset]
    fetch = download if fetch is None else fetch
    images = read_idx(_cached(images_file, directory, base_url, fetch))
    labels = read_idx(_cached(labels_file, directory, base_url, fetch))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{images_file} and {labels_file} must hold m images (m, rows, cols) and m labels "
            f"(m,); got shapes {images.shape} and {labels.shape}"
        )
    X = images.reshape(images.shape[0], -1).T.astype(dtype) / 255
    return X, one_hot(labels, 10)


def _cache_dir(path: str | os.PathLike | None) -> Path:
    if path is not None:
        return Path(path)
    if os.environ.get("BP_DATA"):
        return Path(os.environ["BP_DATA"]) / "mnist"
    return Path.home() / ".cache" / "bp" / "mnist"


def _cached(name: str, directory: Path, base_url: str, fetch: Callable[[str, Path], None]) -> Path:
    r"""The path of the checked file ``name`` in ``directory``, downloading it if it is missing.

    The download goes to a temporary file in ``directory``, which is renamed
    to ``name`` only once its SHA-256 matches, so the cache never holds a
    partial or wrong file.
    """
    target = directory / name
    if target.exists():
        _check_sha256(target, name, "; delete the cached file to download it again")
        return target
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        url = base_url.rstrip("/") + "/" + name
        fetch(url, tmp)
        _check_sha256(tmp, name, f" downloaded from {url}; nothing was cached")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _check_sha256(file: Path, name: str, hint: str) -> None:
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    if digest != MNIST_SHA256[name]:
        raise ValueError(
            f"SHA-256 mismatch for {file}: expected {MNIST_SHA256[name]}, got {digest}; "
            f"the file is corrupt or not the published {name}{hint}"
        )


IDX_UBYTE = 0x08


def read_idx(path: str | os.PathLike) -> Array:
    r"""The array in an IDX file of unsigned bytes (gzip'd if the name ends in .gz).

    IDX layout: two zero bytes, the type code 0x08 (unsigned byte), the number
    of dimensions d, then d sizes as big-endian 32-bit integers, then the
    data in row-major order. Returns a uint8 array of those d sizes.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as err:
        raise ValueError(f"{path} is not a readable gzip file: {err}") from err
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != IDX_UBYTE:
        raise ValueError(
            f"{path} is not an IDX file of unsigned bytes: its magic number is {raw[:4].hex()}, "
            f"expected 0000 08 followed by the number of dimensions"
        )
    d = raw[3]
    header = 4 + 4 * d
    if len(raw) < header:
        raise ValueError(f"{path} is truncated: its header of {d} sizes is incomplete")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=d, offset=4))
    expected, got = int(np.prod(shape)), len(raw) - header
    if got != expected:
        problem = "truncated" if got < expected else "longer than its header says"
        raise ValueError(
            f"{path} is {problem}: shape {shape} needs {expected} data bytes, the file has {got}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()
