r"""Save a network to one ``.npz`` file and load it back, exactly.

The file holds the sizes, the activations, the loss, the dtype, every W^l and
b^l, and a format version. Only arrays of numbers and strings are stored (no
pickle), so loading a file runs no code.

Writing is atomic: the arrays go to a temporary file in the same folder
(``.bp-save-*.tmp``), which is flushed to disk and then renamed over ``path``;
a failure removes it, and a save that was killed (``kill -9`` runs no cleanup)
leaves a temporary file, named with its process id, that the next save into
that folder removes once that process is gone (or the file is an hour old).
A good file at ``path`` is replaced whole or not at all.
A symbolic link at ``path`` is replaced by the new file (the link's target is
left unchanged); a read-only file is replaced when its folder is writable, as
``os.replace`` does; a path that is a folder or a device is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
import zipfile

import numpy as np

from bp import _checks
from bp.network import Layers, Network
from bp.optimizers import OptimizerState

#: The format this version writes; ``load`` reads every version listed in READABLE.
FORMAT = "bp-network-2"
READABLE = ("bp-network-1", FORMAT)
_PREFIX, _SUFFIX = ".bp-save-", ".tmp"
_STALE_SECONDS = 3600
_NAMES = ("activation", "output_activation", "loss", "dtype")


class ModelFileError(ValueError):
    """A file that ``load`` cannot read as a bp network: truncated, corrupt or foreign."""


def save(
    net: Network,
    path: str | os.PathLike,
    optimizer_state: OptimizerState | None = None,
    **info: str | int | float,
) -> None:
    r"""Write ``net`` to one ``.npz`` file at ``path``, atomically.

    ``optimizer_state`` (a ``History.optimizer_state``) is stored beside the
    weights, to resume training later (``load_optimizer_state``). ``info`` adds
    strings or numbers (the command line stores its task, seed and m there);
    ``load_info`` reads them back. The network is checked first: ``save``
    refuses what ``load`` would refuse.
    """
    _checks.check_network(net)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.lexists(path) and not os.path.islink(path):
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ValueError(f"path={path!r} exists and is not a regular file; refusing to replace")
    arrays = {"format": np.array(FORMAT), "sizes": np.array(net.sizes)}
    arrays.update({key: np.array(getattr(net, key).name) for key in _NAMES[:3]})
    arrays["dtype"] = np.array(net.dtype.name)
    for key, value in info.items():
        arrays[f"info_{key}"] = np.array(value)
    for l in range(2, net.L + 1):
        arrays[f"W{l}"], arrays[f"b{l}"] = _checks.host(net.W[l]), _checks.host(net.b[l])
    if optimizer_state is not None:
        arrays["optimizer"] = np.array(optimizer_state.optimizer)
        arrays["optimizer_step"] = np.array(optimizer_state.step)
        for name, pair in optimizer_state.slots.items():
            for key, params in pair.items():
                for l, value in params.items():
                    arrays[f"optimizer_{name}_{key}{l}"] = _checks.host(value)
    _remove_stale(folder)
    fd, tmp = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _remove_stale(folder: str) -> None:
    """Remove temporary files of earlier saves that were killed before they could clean up."""
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(_PREFIX) and entry.name.endswith(_SUFFIX):
                pid = entry.name[len(_PREFIX) :].split("-", 1)[0]
                with contextlib.suppress(OSError):
                    if not _alive(pid) or now - entry.stat().st_mtime > _STALE_SECONDS:
                        os.remove(entry.path)


def _alive(pid: str) -> bool:
    """Whether the process ``pid`` (from a temporary file's name) still runs."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _read(path: str | os.PathLike) -> dict[str, np.ndarray]:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no bp model file at {path!r}")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ModelFileError(
            f"{path!r} is not a readable .npz file (truncated or corrupt?): {err}"
        ) from None
    if isinstance(loaded, np.ndarray):
        raise ModelFileError(f"{path!r} is a single .npy array, not a bp model (.npz)")
    try:
        with loaded as f:
            stored = {key: f[key] for key in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ModelFileError(
            f"{path!r} is not a readable .npz file (truncated or corrupt?): {err}"
        ) from None
    for key, value in stored.items():
        if not isinstance(value, np.ndarray):
            raise ModelFileError(f"{path!r}: entry {key!r} is not a NumPy array (corrupt file?)")
    if stored.get("format", np.array("")).tolist() not in READABLE:
        raise ModelFileError(f"{path!r} is not a bp model file: it has no format={FORMAT!r} entry")
    return stored


def load_optimizer_state(path: str | os.PathLike) -> OptimizerState | None:
    """The optimizer state that ``save`` stored with the network, or None."""
    stored = _read(path)
    if "optimizer" not in stored:
        return None
    state = OptimizerState(str(stored["optimizer"].item()), int(stored["optimizer_step"]))
    for key, value in stored.items():
        if key.startswith("optimizer_") and key != "optimizer_step":
            name, param = key[len("optimizer_") :].rsplit("_", 1)
            pair = state.slots.setdefault(name, {"W": Layers(), "b": Layers()})
            pair[param[0]][int(param[1:])] = value
    return state


def load_info(path: str | os.PathLike) -> dict[str, str | int | float]:
    """The ``info`` that ``save`` stored with the network (empty for older files)."""
    stored = _read(path)
    return {k[5:]: v.item() for k, v in stored.items() if k.startswith("info_")}


def load(path: str | os.PathLike) -> Network:
    r"""Read a network written by ``save``; the round trip is exact.

    A missing file raises FileNotFoundError; a truncated, corrupt or foreign
    file raises ModelFileError (a ValueError) saying what is wrong with it.
    The stored shapes are checked against the sizes before any network is built.
    """
    path = os.fspath(path)
    stored = _read(path)
    stored_sizes = stored.get("sizes", np.array([]))
    if stored_sizes.ndim != 1 or not np.issubdtype(stored_sizes.dtype, np.integer):
        raise ModelFileError(f"{path!r}: sizes must be a 1-D integer array; got {stored_sizes!r}")
    try:
        sizes = list(_checks.sizes(stored_sizes.tolist()))
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"{path!r} holds no valid bp network: {err}") from None
    for l in range(2, len(sizes) + 1):
        for name, shape in ((f"W{l}", (sizes[l - 1], sizes[l - 2])), (f"b{l}", (sizes[l - 1], 1))):
            if name not in stored:
                raise ModelFileError(f"{path!r} is missing {name}, needed for sizes={sizes}")
            value = stored[name]
            if value.shape != tuple(shape):
                raise ModelFileError(
                    f"{path!r}: {name} has shape {value.shape}; expected {tuple(shape)} "
                    f"for sizes={sizes}"
                )
            if not np.issubdtype(value.dtype, np.floating) or not np.isfinite(value).all():
                raise ModelFileError(
                    f"{path!r}: {name} must hold finite floats; got dtype {value.dtype}"
                )
    try:
        activation, output, loss, dtype = (str(stored[key].item()) for key in _NAMES)
        weights = [f"{name}{l}" for l in range(2, len(sizes) + 1) for name in "Wb"]
        largest = max(float(np.abs(stored[key]).max()) for key in weights)
        if np.dtype(dtype) == np.float32 and largest > float(np.finfo(np.float32).max):
            raise ValueError(f"its weights reach {largest:g}, beyond the float32 range")
        net = Network(sizes, activation, output, loss, dtype=dtype, init="xavier")
    except (KeyError, ValueError, TypeError) as err:
        raise ModelFileError(f"{path!r} holds no valid bp network: {err}") from None
    for l in range(2, net.L + 1):
        net.W[l] = stored[f"W{l}"].astype(net.dtype)
        net.b[l] = stored[f"b{l}"].astype(net.dtype)
    return net
