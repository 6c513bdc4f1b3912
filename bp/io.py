r"""Save a network to one ``.npz`` file and load it back, exactly.

The file holds the sizes, the activations, the loss, the dtype, every W^l and
b^l, and a format version. Only arrays of numbers and strings are stored (no
pickle), so loading a file runs no code; ``info`` is stored as one JSON text.

Writing is atomic: the arrays go to a temporary file in the same folder
(``.bp-save-*.tmp``), which is flushed to disk and then renamed over ``path``;
a failure removes it. A save that was killed (``kill -9`` runs no cleanup)
leaves its temporary file, named with its machine, process id and the process's
start time; the next save into that folder removes it only when it is certainly
stale: written on this machine (the same host and process namespace) by a
process that is gone. A temporary file of another machine sharing the folder,
or of an older bp, is left alone.
A good file at ``path`` is replaced whole or not at all.
A symbolic link at ``path`` is replaced by the new file (the link's target is
left unchanged); a read-only file is replaced when its folder is writable, as
``os.replace`` does; a path that is a folder or a device is refused.

Loading reads the file's table of contents and every entry's ``.npy`` header
before it decompresses anything: unknown entries, dtypes bp never writes
(objects, long double, complex), shapes that do not follow from the sizes and
entries that would decompress to far more than the file holds are refused
before any array is allocated.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import socket
import stat
import tempfile
import zipfile
from dataclasses import dataclass

import numpy as np

from bp import _checks
from bp.network import Layers, Network
from bp.optimizers import OPTIMIZERS, OptimizerState

#: The format this version writes; ``load`` reads every version listed in READABLE.
FORMAT = "bp-network-2"
READABLE = ("bp-network-1", FORMAT)
_PREFIX, _SUFFIX = ".bp-save-", ".tmp"
_NAMES = ("activation", "output_activation", "loss", "dtype")
#: The most a file's entries may declare, uncompressed, beyond RATIO times their compressed size.
_SLACK, _RATIO = 1 << 20, 64
_TEXT = {"format": 64, "activation": 64, "output_activation": 64, "loss": 64, "dtype": 64,
         "optimizer": 64, "info": 1 << 20}  # fmt: skip
_ARRAY = re.compile(r"(?:[Wb]|optimizer_[A-Za-z]\w*_[Wb])([0-9]+)")
_MAX_LAYERS = 10_000


class ModelFileError(ValueError):
    """A file that ``load`` cannot read as a bp network: truncated, corrupt or foreign."""


def _plain(value):
    """``value`` as JSON data that reads back equal; TypeError for anything else."""
    if isinstance(value, np.generic) and value.dtype.kind in "biufU":
        value = value.item()
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _plain(v) for k, v in value.items()}
    raise TypeError


def _info_json(info: dict) -> str:
    """``info`` as JSON text; refuses, naming the key, what JSON cannot hold exactly."""
    plain = {}
    for key, value in info.items():
        try:
            plain[key] = _plain(value)
        except TypeError:
            raise TypeError(
                f"{key}={value!r} cannot be stored: info values must be JSON data (str, int, "
                f"finite float, bool, None, and lists and dicts of them, with str keys)"
                + ("; pass str(path)" if isinstance(value, os.PathLike) else "")
            ) from None
    return json.dumps(plain, allow_nan=False)


def save(
    net: Network,
    path: str | os.PathLike,
    optimizer_state: OptimizerState | None = None,
    **info: object,
) -> None:
    r"""Write ``net`` to one ``.npz`` file at ``path``, atomically.

    ``optimizer_state`` (a ``History.optimizer_state``) is stored beside the
    weights, to resume training later (``load_optimizer_state``). ``info`` adds
    JSON data (strings, numbers, booleans, None, lists and dicts of them; the
    command line stores its task, seed and m there); ``load_info`` reads them
    back (a tuple comes back as a list). Anything else is refused before
    writing. The network is checked first: ``save`` refuses what ``load`` would
    refuse.
    """
    _checks.check_network(net)
    if optimizer_state is not None:
        name = getattr(optimizer_state, "optimizer", None)
        optimizer = OPTIMIZERS.get(name) if isinstance(name, str) else None
        if optimizer is None:
            raise ValueError(
                f"optimizer_state belongs to optimizer {name!r}; expected one of "
                f"{', '.join(map(repr, OPTIMIZERS))}"
            )
        _checks.optimizer_state(optimizer_state, optimizer, net, OptimizerState)
    text = _info_json(info)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path!r}: the folder {folder!r} does not exist")
    if os.path.lexists(path) and not os.path.islink(path):
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ValueError(f"path={path!r} exists and is not a regular file; refusing to replace")
    arrays = {"format": np.array(FORMAT), "sizes": np.array(net.sizes)}
    arrays.update({key: np.array(getattr(net, key).name) for key in _NAMES[:3]})
    arrays["dtype"] = np.array(net.dtype.name)
    if info:
        arrays["info"] = np.array(text)
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
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{_PREFIX}{_owner()}-", suffix=_SUFFIX, dir=folder)
    except OSError as err:
        raise OSError(err.errno, f"{err.strerror}; cannot save to", path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(err, OSError) and err.errno is not None:
            raise OSError(err.errno, f"{err.strerror}; cannot save to", path) from None
        raise


# ---------------------------------------------------------------- temporaries of killed saves


def _machine() -> str:
    """This host and process namespace, hashed: who can see the processes named in a file."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    who = f"{socket.gethostname()}|{namespace}".encode()
    return hashlib.sha1(who).hexdigest()[:12]


def _started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from /proc), or "" if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    fields = text.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 and fields[19].isdigit() else ""


def _owner() -> str:
    pid = os.getpid()
    return f"{_machine()}-{pid}-{_started(pid) or 'x'}"


def _remove_stale(folder: str) -> None:
    """Remove temporary files of earlier saves that were certainly killed before cleaning up."""
    machine = _machine()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(_PREFIX) and entry.name.endswith(_SUFFIX):
                parts = entry.name[len(_PREFIX) :].split("-")
                if len(parts) >= 4 and parts[0] == machine and _dead(parts[1], parts[2]):
                    with contextlib.suppress(OSError):
                        os.remove(entry.path)


def _dead(pid: str, started: str) -> bool:
    """Whether the process that wrote a temporary file (its id and start time) is gone."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass  # it exists, owned by someone else
    now = _started(int(pid))  # alive: dead only if that id now belongs to a later process
    return started.isdigit() and now.isdigit() and now != started


# ---------------------------------------------------------------- reading


@dataclass
class _Entry:
    """One ``.npy`` member of the file: where it is and what its header declares."""

    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    fortran: bool
    dtype: np.dtype
    offset: int  # the header's length: the data follow


def _kind(key: str) -> str:
    """Which entry bp writes under this name: 'text', 'sizes', 'step', 'array', 'old_info'."""
    if key in _TEXT:
        return "text"
    if key == "sizes":
        return "sizes"
    if key == "optimizer_step":
        return "step"
    if key.startswith("info_"):
        return "old_info"
    if _ARRAY.fullmatch(key):
        return "array"
    return ""


def _header(path: str, z: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Entry:
    key = info.filename[:-4]
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ModelFileError(
            f"{path!r}: entry {key!r} is compressed with zip method {info.compress_type}; bp "
            "reads stored or deflated entries (NumPy's savez and savez_compressed)"
        )
    try:
        with z.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"npy format version {version}, which bp never writes")
            offset = f.tell()
    except (ValueError, OSError, EOFError, SyntaxError) as err:
        raise ModelFileError(
            f"{path!r}: entry {key!r} is not a NumPy array (corrupt file?): {err}"
        ) from None
    except zipfile.BadZipFile as err:
        raise ModelFileError(
            f"{path!r} is not a readable .npz file (truncated or corrupt?): {err}"
        ) from None
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise ModelFileError(
            f"{path!r} is not a readable .npz file (truncated or corrupt?): entry {key!r} holds "
            f"Python objects (a pickle), which bp never writes nor loads"
        )
    return _Entry(info, tuple(shape), bool(fortran), dtype, offset)


def _check_entry(path: str, key: str, e: _Entry) -> None:
    """Refuse an entry whose header is not what bp writes under that name."""
    kind, dtype, shape = _kind(key), e.dtype, e.shape
    count = math.prod(shape)
    if kind == "text" or (kind == "old_info" and dtype.kind == "U"):
        limit = _TEXT.get(key, 1 << 16)
        if dtype.kind != "U" or shape != () or dtype.itemsize // 4 > limit:
            raise ModelFileError(
                f"{path!r}: entry {key!r} must be one string of at most {limit} characters; "
                f"got dtype {dtype}, shape {shape}"
            )
    elif kind == "old_info":
        if dtype.kind not in "biuf" or shape != () or dtype.itemsize > 8:
            raise ModelFileError(f"{path!r}: entry {key!r} must be one number; got {dtype} {shape}")
    elif kind == "sizes":
        if len(shape) != 1 or dtype.kind not in "iu" or dtype.itemsize > 8:
            raise ModelFileError(
                f"{path!r}: sizes must be a 1-D integer array; got dtype {dtype}, shape {shape}"
            )
        if count > _MAX_LAYERS:
            raise ModelFileError(f"{path!r}: sizes lists {count} layers; bp reads at most "
                                 f"{_MAX_LAYERS}")  # fmt: skip
    elif kind == "step":
        if shape != () or dtype.kind not in "iu" or dtype.itemsize > 8:
            raise ModelFileError(
                f"{path!r}: optimizer_step must be one integer; got dtype {dtype}, shape {shape}"
            )
    elif dtype.kind != "f" or dtype.itemsize > 8:
        what = " (long double: beyond float64, which bp never writes)" if dtype.kind == "f" else ""
        raise ModelFileError(f"{path!r}: {key} must hold finite floats; got dtype {dtype}{what}")
    declared = e.info.file_size - e.offset
    if count * dtype.itemsize != declared:
        raise ModelFileError(
            f"{path!r}: entry {key!r} declares shape {shape} of {dtype} "
            f"({count * dtype.itemsize} bytes) but holds {declared} bytes (corrupt file?)"
        )


def _value(path: str, z: zipfile.ZipFile, key: str, e: _Entry) -> np.ndarray:
    """The entry's array, read straight into one array of its declared (checked) size."""
    arr = np.empty(math.prod(e.shape), e.dtype)
    buf = arr.view(np.uint8)
    try:
        with z.open(e.info) as f:
            f.seek(e.offset) if e.offset else None
            done = 0
            while done < buf.size:
                data = f.read(min(1 << 20, buf.size - done))
                if not data:
                    raise EOFError(f"entry {key!r} ends early")
                buf[done : done + len(data)] = np.frombuffer(data, np.uint8)
                done += len(data)
            if f.read(1):  # also checks the CRC at the end of the entry
                raise ValueError(f"entry {key!r} holds more than its header declares")
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ModelFileError(
            f"{path!r} is not a readable .npz file (truncated or corrupt?): {err}"
        ) from None
    return arr.reshape(e.shape, order="F" if e.fortran else "C")


def _newer(fmt: str) -> bool:
    found = re.fullmatch(r"bp-network-([0-9]+)", fmt)
    return found is not None and int(found.group(1)) > int(FORMAT.rsplit("-", 1)[1])


def _read(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The file's entries, each checked against what bp writes before it is read."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no bp model file at {path!r}")
    try:
        with open(path, "rb") as f:
            if f.read(6) == b"\x93NUMPY":
                raise ModelFileError(f"{path!r} is a single .npy array, not a bp model (.npz)")
        z = zipfile.ZipFile(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(
            f"{path!r} is not a readable .npz file (truncated or corrupt?): {err}"
        ) from None
    with z:
        infos = z.infolist()
        keys = [info.filename[:-4] if info.filename.endswith(".npy") else "" for info in infos]
        if "format" not in keys:
            raise ModelFileError(
                f"{path!r} is not a bp model file: it has no format={FORMAT!r} entry"
            )
        for key, info in zip(keys, infos, strict=True):
            if not key or keys.count(key) > 1 or not _kind(key):
                what = "a second entry" if key and keys.count(key) > 1 else "an unknown entry"
                raise ModelFileError(
                    f"{path!r} holds {what} {info.filename!r}, which bp never writes; "
                    f"refusing the file (a bp model holds format, sizes, activation, "
                    f"output_activation, loss, dtype, info, W2, b2, ... and optimizer_*)"
                )
            declared, packed = info.file_size, info.compress_size
            if declared > _SLACK + _RATIO * packed:
                raise ModelFileError(
                    f"{path!r}: entry {key!r} would decompress to {declared:,} bytes from "
                    f"{packed:,}; bp never writes such a file, refusing it before reading"
                )
        entries = {key: _header(path, z, info) for key, info in zip(keys, infos, strict=True)}
        _check_entry(path, "format", entries["format"])
        fmt = str(_value(path, z, "format", entries["format"]).item())
        if _newer(fmt):
            raise ModelFileError(
                f"{path!r} was written by a newer bp (file format {fmt!r}); this bp reads "
                f"{', '.join(READABLE)}: upgrade bp to load it"
            )
        if fmt not in READABLE:
            raise ModelFileError(
                f"{path!r} is not a bp model file: it has no format={FORMAT!r} entry"
            )
        for key, e in entries.items():
            _check_entry(path, key, e)
        expected = _expected_shapes(path, z, entries)
        for key, e in entries.items():
            want = expected(key)
            if want is not None and e.shape != want:
                raise ModelFileError(
                    f"{path!r}: {key} has shape {e.shape}; expected {want} "
                    f"for sizes={list(_sizes_of(path, z, entries))}"
                )
        return {key: _value(path, z, key, e) for key, e in entries.items()}


def _sizes_of(path, z, entries) -> tuple[int, ...]:
    if "sizes" not in entries:
        raise ModelFileError(f"{path!r} holds no valid bp network: it has no sizes entry")
    try:
        return _checks.sizes(_value(path, z, "sizes", entries["sizes"]).tolist())
    except (TypeError, ValueError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(f"{path!r} holds no valid bp network: {err}") from None


def _expected_shapes(path, z, entries):
    """A function: an array entry's name -> the shape the sizes give it (None for others)."""
    sizes = _sizes_of(path, z, entries)

    def expected(key: str) -> tuple[int, ...] | None:
        found = _ARRAY.fullmatch(key)
        if not found:
            return None
        l = int(found.group(1))
        if not 2 <= l <= len(sizes):
            raise ModelFileError(
                f"{path!r}: entry {key!r} names layer {l}, but sizes={list(sizes)} has "
                f"layers 2..{len(sizes)}"
            )
        return (sizes[l - 1], sizes[l - 2]) if key[-len(found.group(1)) - 1] == "W" else (
            sizes[l - 1], 1)  # fmt: skip

    return expected


def load_optimizer_state(path: str | os.PathLike) -> OptimizerState | None:
    """The optimizer state that ``save`` stored with the network, or None."""
    stored = _read(path)
    if "optimizer" not in stored:
        return None
    if "optimizer_step" not in stored:
        raise ModelFileError(f"{os.fspath(path)!r}: the optimizer state has no optimizer_step")
    state = OptimizerState(str(stored["optimizer"].item()), int(stored["optimizer_step"]))
    for key, value in stored.items():
        if key.startswith("optimizer_") and key != "optimizer_step":
            name, param = key[len("optimizer_") :].rsplit("_", 1)
            pair = state.slots.setdefault(name, {"W": Layers(), "b": Layers()})
            pair[param[0]][int(param[1:])] = value
    return state


def load_info(path: str | os.PathLike) -> dict[str, object]:
    """The ``info`` that ``save`` stored with the network (empty for files without)."""
    stored = _read(path)
    info: dict[str, object] = {k[5:]: v.item() for k, v in stored.items() if k.startswith("info_")}
    if "info" in stored:
        try:
            parsed = json.loads(str(stored["info"].item()))
        except ValueError as err:
            raise ModelFileError(f"{os.fspath(path)!r}: its info is not JSON: {err}") from None
        if not isinstance(parsed, dict):
            raise ModelFileError(
                f"{os.fspath(path)!r}: its info must be a JSON object; got {type(parsed).__name__}"
            )
        info.update(parsed)
    return info


def load(path: str | os.PathLike) -> Network:
    r"""Read a network written by ``save``; the round trip is exact.

    A missing file raises FileNotFoundError; a truncated, corrupt, foreign or
    newer file raises ModelFileError (a ValueError) saying what is wrong with
    it. Every entry's header is checked against the sizes before any array is
    read or any network is built.
    """
    path = os.fspath(path)
    stored = _read(path)
    sizes = [int(n) for n in stored["sizes"]]
    for l in range(2, len(sizes) + 1):
        for name in (f"W{l}", f"b{l}"):
            if name not in stored:
                raise ModelFileError(f"{path!r} is missing {name}, needed for sizes={sizes}")
            value = stored[name]
            if not np.isfinite(value).all():
                raise ModelFileError(
                    f"{path!r}: {name} must hold finite floats; got dtype {value.dtype} "
                    f"with NaN or inf"
                )
    try:
        activation, output, loss, dtype = (str(stored[key].item()) for key in _NAMES)
        weights = [f"{name}{l}" for l in range(2, len(sizes) + 1) for name in "Wb"]
        largest = max(float(np.abs(stored[key]).max(initial=0.0)) for key in weights)
        if np.dtype(dtype) == np.float32 and largest > float(np.finfo(np.float32).max):
            raise ValueError(f"its weights reach {largest:g}, beyond the float32 range")
        net = Network(sizes, activation, output, loss, dtype=dtype, init="xavier")
    except (KeyError, ValueError, TypeError) as err:
        raise ModelFileError(f"{path!r} holds no valid bp network: {err}") from None
    for l in range(2, net.L + 1):
        net.W[l] = stored[f"W{l}"].astype(net.dtype)
        net.b[l] = stored[f"b{l}"].astype(net.dtype)
    return net
