"""bp.io (issue 22): the format version is checked, and the bytes reach the disk before
the rename. (test_save_load.py and test_io_faults.py hold the round trips and the faults.)"""

import contextlib
import io as stdio
import os
import re
import zipfile

import numpy as np
import pytest

import bp
from bp import io


def test_an_unknown_format_version_is_refused(tmp_path):
    path = tmp_path / "net.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path)
    with np.load(path) as stored:
        arrays = dict(stored)
    arrays["format"] = np.array("bp-network-99")
    np.savez(path, **arrays)
    with pytest.raises(bp.ModelFileError):
        bp.load(path)


def test_every_readable_version_is_a_bp_format():
    assert io.FORMAT in io.READABLE
    assert all(v.startswith("bp-network-") for v in io.READABLE)


def test_the_temporary_file_is_fsynced_before_it_replaces_the_target(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.fstat(fd).st_ino))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.stat(src).st_ino))
        real_replace(src, dst)

    monkeypatch.setattr(io.os, "fsync", fsync)
    monkeypatch.setattr(io.os, "replace", replace)
    path = tmp_path / "net.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path)
    kinds = [kind for kind, _ in events]
    assert kinds == ["fsync", "replace"], events
    # the file synced is the file renamed onto the target
    assert events[0][1] == events[1][1] == os.stat(path).st_ino


# -- survivors of mutation testing (tests/README.md, "Mutation testing") -----------------


def _momentum_state():
    """A network (2, 3, 2) and the state of two momentum steps, its velocities by hand."""
    net = bp.Network((2, 3, 2), seed=0)
    state = bp.OptimizerState.zeros("momentum", ("velocity",), net)
    for l in (2, 3):  # distinct values in every slot, so that a swap or a lost one shows
        state.slots["velocity"]["W"][l][...] = np.arange(net.W[l].size).reshape(net.W[l].shape) + l
        state.slots["velocity"]["b"][l][...] = -np.arange(net.b[l].size)[:, None] - l
    state.step = 2
    return net, state


def test_the_optimizer_state_round_trips_exactly(tmp_path):
    net, state = _momentum_state()
    bp.save(net, tmp_path / "net.npz", optimizer_state=state)
    again = bp.load_optimizer_state(tmp_path / "net.npz")
    assert (again.optimizer, again.step) == ("momentum", 2)
    assert list(again.slots) == ["velocity"] and set(again.slots["velocity"]) == {"W", "b"}
    for key in ("W", "b"):
        got, want = again.slots["velocity"][key], state.slots["velocity"][key]
        assert sorted(got) == [2, 3]
        for l in (2, 3):
            np.testing.assert_array_equal(got[l], want[l])


def test_a_file_without_an_optimizer_state_gives_none(tmp_path):
    bp.save(bp.Network((2, 3, 1), seed=0), tmp_path / "net.npz")
    assert bp.load_optimizer_state(tmp_path / "net.npz") is None


def test_an_optimizer_state_without_its_step_is_refused_naming_the_file(tmp_path):
    net, state = _momentum_state()
    path = tmp_path / "net.npz"
    bp.save(net, path, optimizer_state=state)
    with np.load(path) as stored:
        arrays = {k: v for k, v in stored.items() if k != "optimizer_step"}
    np.savez(path, **arrays)
    with pytest.raises(
        bp.ModelFileError,
        match=f"^{re.escape(repr(str(path)))}: the optimizer state has no optimizer_step$",
    ):
        bp.load_optimizer_state(path)


def test_numpy_scalars_in_info_come_back_as_plain_values(tmp_path):
    # Scalars taken from arrays are NumPy's own types; info stores what they mean.
    path = tmp_path / "net.npz"
    info = {
        "m": np.int64(400),
        "alpha": np.float64(0.5),
        "task": np.str_("xor"),
        "shuffle": np.bool_(True),
        "sizes": [np.int32(2), np.uint8(3)],
    }
    bp.save(bp.Network((2, 3, 1), seed=0), path, **info)
    back = bp.load_info(path)
    assert back == {"m": 400, "alpha": 0.5, "task": "xor", "shuffle": True, "sizes": [2, 3]}
    assert [type(back[k]) for k in ("m", "alpha", "task", "shuffle")] == [int, float, str, bool]


def test_the_info_of_a_format_1_file_is_read_from_its_own_entries(tmp_path):
    # bp 0.1 (format 1) stored each item of info as an entry of its own, info_<key>.
    path = tmp_path / "old.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path)
    with np.load(path) as stored:
        arrays = {k: v for k, v in stored.items() if k != "info"}
    arrays.update(format=np.array("bp-network-1"), info_task=np.array("xor"), info_m=np.array(400))
    np.savez(path, **arrays)
    assert bp.load_info(path) == {"task": "xor", "m": 400}


@pytest.mark.parametrize(
    "text, why",
    [("{not json", "its info is not JSON"), ("[1, 2]", "must be a JSON object; got list")],
)
def test_info_that_is_not_a_json_object_is_refused_naming_the_file(tmp_path, text, why):
    path = tmp_path / "net.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path, task="xor")
    with np.load(path) as stored:
        arrays = dict(stored)
    arrays["info"] = np.array(text)
    np.savez(path, **arrays)
    with pytest.raises(bp.ModelFileError, match=re.escape(repr(str(path))) + ".*" + re.escape(why)):
        bp.load_info(path)


# -- survivors of the reading side (bp.io: _read, _header, _check_entry, _value) --------------


def _arrays(**changes):
    """The entries bp.save writes for a (2, 3, 1) network, with ``changes`` (None drops one)."""
    net = bp.Network((2, 3, 1), seed=0)
    arrays = {"format": np.array(io.FORMAT), "sizes": np.array(net.sizes)}
    arrays.update(activation=np.array("sigmoid"), output_activation=np.array("sigmoid"))
    arrays.update(loss=np.array("mse"), dtype=np.array("float64"))
    for l in (2, 3):
        arrays[f"W{l}"], arrays[f"b{l}"] = net.W[l], net.b[l]
    arrays.update(changes)
    return {k: v for k, v in arrays.items() if v is not None}


def _npz(path, arrays, version=None, extra=()):
    """``arrays`` as an .npz written entry by entry (npy ``version``), then ``extra`` members."""
    with zipfile.ZipFile(path, "w") as z:
        for key, value in arrays.items():
            with z.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, np.asanyarray(value), version=version)
        for name, data in extra:
            z.writestr(name, data)
    return path


def _refused(path, message, read=bp.load):
    with pytest.raises(bp.ModelFileError, match=f"^{re.escape(repr(str(path)) + message)}$"):
        read(path)


_LONG_DOUBLE = np.finfo(np.longdouble).max > np.finfo(np.float64).max
_ONE_STRING = "must be one string of at most 64 characters; got dtype"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"format": np.array(2)}, f": entry 'format' {_ONE_STRING} int64, shape ()"),
        ({"activation": np.array(3)}, f": entry 'activation' {_ONE_STRING} int64, shape ()"),
        ({"loss": np.array(["mse", "mse"])}, f": entry 'loss' {_ONE_STRING} <U3, shape (2,)"),
        ({"loss": np.array("x" * 65)}, f": entry 'loss' {_ONE_STRING} <U65, shape ()"),
        ({"info_m": np.array([1, 2])}, ": entry 'info_m' must be one number; got int64 (2,)"),
        ({"info_m": np.array(2j)}, ": entry 'info_m' must be one number; got complex128 ()"),
        ({"optimizer_step": np.array(2.0)},
         ": optimizer_step must be one integer; got dtype float64, shape ()"),
        ({"optimizer_step": np.array([2])},
         ": optimizer_step must be one integer; got dtype int64, shape (1,)"),
        ({"sizes": np.array([2.0, 3.0, 1.0])},
         ": sizes must be a 1-D integer array; got dtype float64, shape (3,)"),
        ({"W2": np.zeros((3, 2), complex)}, ": W2 must hold finite floats; got dtype complex128"),
        pytest.param(
            {"W2": np.zeros((3, 2), np.longdouble)},
            ": W2 must hold finite floats; got dtype float128 (long double: beyond float64, "
            "which bp never writes)",
            marks=pytest.mark.skipif(not _LONG_DOUBLE, reason="long double is float64 here"),
        ),
    ],
)  # fmt: skip
def test_an_entry_bp_never_writes_so_is_refused_saying_what_it_holds(tmp_path, changes, message):
    path = tmp_path / "net.npz"
    np.savez(path, **_arrays(**changes))
    _refused(path, message)


@pytest.mark.parametrize(
    "key, limit, text",
    [
        ("activation", 64, lambda n: "x" * n),
        ("info_note", 1 << 16, lambda n: "x" * n),  # format 1: each item of info on its own
        ("info", 1 << 20, lambda n: '{"a": "' + "x" * (n - 9) + '"}'),
    ],
)
def test_a_text_entry_is_read_up_to_its_limit_and_refused_one_character_past(
    tmp_path, key, limit, text
):
    path = tmp_path / "net.npz"
    np.savez(path, **_arrays(**{key: np.array(text(limit))}))
    bp.load_info(path)  # reads (and checks) every entry, builds no network
    np.savez(path, **_arrays(**{key: np.array(text(limit + 1))}))
    message = f"must be one string of at most {limit} characters; got dtype <U{limit + 1}"
    _refused(path, f": entry {key!r} {message}, shape ()", bp.load_info)


def test_sizes_of_up_to_ten_thousand_layers_are_read_and_more_refused(tmp_path):
    path = tmp_path / "net.npz"
    no_weights = {f"{name}{l}": None for name in "Wb" for l in (2, 3)}
    np.savez(path, **_arrays(sizes=np.ones(10_000, int), **no_weights))
    assert bp.load_info(path) == {}
    np.savez(path, **_arrays(sizes=np.ones(10_001, int), **no_weights))
    _refused(path, ": sizes lists 10001 layers; bp reads at most 10000", bp.load_info)


def test_an_entry_whose_data_do_not_fill_its_header_is_refused_with_both_sizes(tmp_path):
    path = tmp_path / "net.npz"
    with zipfile.ZipFile(path, "w") as z:
        for key, value in _arrays(W2=None).items():
            with z.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, value)
        with z.open("W2.npy", "w") as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f8", "fortran_order": False, "shape": (3, 2)}
            )
            member.write(b"\0" * 40)
    _refused(path, ": entry 'W2' declares shape (3, 2) of float64 (48 bytes) but holds 40 bytes "
                   "(corrupt file?)")  # fmt: skip


def test_an_entry_naming_a_layer_beyond_the_sizes_is_refused(tmp_path):
    path = tmp_path / "net.npz"
    np.savez(path, **_arrays(W4=np.zeros((1, 1))))
    _refused(path, ": entry 'W4' names layer 4, but sizes=[2, 3, 1] has layers 2..3")


@pytest.mark.parametrize(
    "sizes, why",
    [(None, "it has no sizes entry"),
     (np.array([2, 0, 1]), "sizes[1] (layer 2) must be an integer >= 1; got 0 in sizes=(2, 0, 1)")],
)  # fmt: skip
def test_a_file_without_valid_sizes_is_refused_naming_the_file(tmp_path, sizes, why):
    path = tmp_path / "net.npz"
    np.savez(path, **_arrays(sizes=sizes))
    _refused(path, f" holds no valid bp network: {why}")


def test_entries_in_npy_format_2_are_read_and_a_later_format_is_refused(tmp_path):
    path = _npz(tmp_path / "net.npz", _arrays(), version=(2, 0))
    net = bp.load(path)
    np.testing.assert_array_equal(net.W[2], _arrays()["W2"])
    np.testing.assert_array_equal(net.b[3], _arrays()["b3"])
    _npz(path, _arrays(), version=(3, 0))
    _refused(path, ": entry 'format' is not a NumPy array (corrupt file?): npy format version "
                   "(3, 0), which bp never writes")  # fmt: skip


def test_a_corrupt_member_header_is_refused_naming_the_file(tmp_path):
    path = _npz(tmp_path / "net.npz", _arrays())
    raw = path.read_bytes()
    at = raw.index(b"PK\x03\x04", 1)  # the second member's local header: sizes.npy
    path.write_bytes(raw[:at] + b"PK\x00\x00" + raw[at + 4 :])
    _refused(path, " is not a readable .npz file (truncated or corrupt?): Bad magic number for "
                   "file header")  # fmt: skip


def test_fortran_order_weights_come_back_with_their_values_in_place(tmp_path):
    path = tmp_path / "net.npz"
    w2 = np.asfortranarray(np.arange(6.0).reshape(3, 2))
    np.savez(path, **_arrays(W2=w2))
    with zipfile.ZipFile(path) as z, z.open("W2.npy") as f:
        np.lib.format.read_magic(f)
        assert np.lib.format.read_array_header_1_0(f)[1]  # stored in Fortran order
    np.testing.assert_array_equal(bp.load(path).W[2], w2)


@pytest.mark.parametrize("key", ["format", "sizes", "W2"])
def test_an_entry_that_ends_before_its_declared_size_is_refused_naming_it(tmp_path, key):
    # The member holds 8 bytes less than its directory entry declares (and their CRC).
    arrays = _arrays()
    path = _npz(tmp_path / "net.npz", {k: v for k, v in arrays.items() if k != key})
    with stdio.BytesIO() as whole:
        np.lib.format.write_array(whole, arrays[key])
        data = whole.getvalue()
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(f"{key}.npy", data[:-8])
    raw = bytearray(path.read_bytes())
    at = raw.rindex(b"PK\x01\x02")  # the central directory entry of the member just added
    raw[at + 24 : at + 28] = len(data).to_bytes(4, "little")  # its uncompressed size
    path.write_bytes(bytes(raw))
    _refused(path, f" is not a readable .npz file (truncated or corrupt?): entry {key!r} ends "
                   "early")  # fmt: skip


def test_an_entry_at_the_decompression_bound_is_read_and_one_byte_past_it_refused(
    tmp_path, monkeypatch
):
    # An entry may declare at most _SLACK + _RATIO times its packed size; bp.save packs
    # nothing, so the bound is set here to what the entries of a compressed file reach.
    path = tmp_path / "net.npz"
    np.savez_compressed(path, **_arrays())
    with zipfile.ZipFile(path) as z:
        reach = {i.filename[:-4]: (i.file_size, i.compress_size) for i in z.infolist()}
    key = max(reach, key=lambda k: reach[k][0] - io._RATIO * reach[k][1])
    declared, packed = reach[key]
    monkeypatch.setattr(io, "_SLACK", declared - io._RATIO * packed)
    np.testing.assert_array_equal(bp.load(path).W[2], _arrays()["W2"])
    monkeypatch.setattr(io, "_SLACK", declared - io._RATIO * packed - 1)
    _refused(path, f": entry {key!r} would decompress to {declared:,} bytes from {packed:,}; "
                   "bp never writes such a file, refusing it before reading")  # fmt: skip


_REFUSED = ("which bp never writes; refusing the file (a bp model holds format, sizes, activation, "
            "output_activation, loss, dtype, info, W2, b2, ... and optimizer_*)")  # fmt: skip


@pytest.mark.parametrize(
    "extra, what",
    [
        ([("sizes.txt", b"2 3 1")], "an unknown entry 'sizes.txt'"),
        ([("a.txt", b""), ("b.txt", b"")], "an unknown entry 'a.txt'"),
        ([(".npy", b"")], "an unknown entry '.npy'"),
        ([("W2.npy", b"")], "a second entry 'W2.npy'"),
    ],
)
def test_an_unknown_or_second_entry_is_refused_naming_it(tmp_path, extra, what):
    path = tmp_path / "net.npz"
    with pytest.warns(UserWarning, match="Duplicate name") if "second" in what else (
        contextlib.nullcontext()
    ):  # fmt: skip
        _npz(path, _arrays(), extra=extra)
    _refused(path, f" holds {what}, {_REFUSED}")


@pytest.fixture
def big_model(tmp_path):
    """A file whose W2 (8 MiB) takes eight reads of one MiB."""
    path = tmp_path / "big.npz"
    net = bp.Network((1024, 1024, 1), seed=0)
    bp.save(net, path)
    return path, net


def test_a_weight_larger_than_one_read_comes_back_exactly(big_model):
    path, net = big_model
    np.testing.assert_array_equal(bp.load(path).W[2], net.W[2])


def test_an_entry_is_read_one_mebibyte_at_a_time(big_model):
    # Into its own array: beyond the arrays, a read holds about two MiB at its peak.
    import tracemalloc

    path, net = big_model
    held = sum(a.nbytes for a in (*net.W.values(), *net.b.values()))
    tracemalloc.start()
    try:
        bp.load_info(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - held < 3 << 20


def test_a_float32_model_may_hold_the_largest_float32(tmp_path):
    path = tmp_path / "net.npz"
    top = np.finfo(np.float32).max
    np.savez(path, **_arrays(dtype=np.array("float32"), W2=np.full((3, 2), float(top))))
    assert (bp.load(path).W[2] == top).all()


@pytest.mark.parametrize(
    "note, hint",
    [(__import__("pathlib").Path("x"), "; pass str(path)"), ({1: 2}, ""), (float("nan"), "")],
)
def test_info_json_cannot_hold_is_refused_naming_it_and_hints_str_for_a_path(tmp_path, note, hint):
    message = (
        f"note={note!r} cannot be stored: info values must be JSON data (str, int, finite "
        f"float, bool, None, and lists and dicts of them, with str keys){hint}"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        bp.save(bp.Network((2, 3, 1), seed=0), tmp_path / "net.npz", note=note)


@pytest.mark.parametrize(
    "fmt, message",
    [
        ("bp-network-3", " was written by a newer bp (file format 'bp-network-3'); this bp reads "
                         "bp-network-1, bp-network-2: upgrade bp to load it"),
        ("bp-network-2a", " is not a bp model file: it has no format='bp-network-2' entry"),
        (None, " is not a bp model file: it has no format='bp-network-2' entry"),
    ],
)  # fmt: skip
def test_a_format_this_bp_cannot_read_is_refused_saying_which_it_reads(tmp_path, fmt, message):
    path = tmp_path / "net.npz"
    np.savez(path, **_arrays(format=None if fmt is None else np.array(fmt)))
    _refused(path, message)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, 99])
def test_an_entry_compressed_by_another_method_is_refused_naming_the_file(tmp_path, method):
    # Method 99 is one zipfile cannot read (it raised NotImplementedError out of bp.load);
    # bzip2 and LZMA need modules a Python may lack. bp writes stored entries, NumPy's
    # savez_compressed deflated ones: nothing else is read.
    path = tmp_path / "m.npz"
    bp.save(bp.Network((2, 3, 1), seed=0), path)
    with zipfile.ZipFile(path) as z:
        entries = {info.filename: z.read(info) for info in z.infolist()}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        i = raw.find(signature)
        while i != -1:
            raw[i + offset : i + offset + 2] = method.to_bytes(2, "little")
            i = raw.find(signature, i + 4)
    path.write_bytes(bytes(raw))
    with pytest.raises(
        bp.ModelFileError,
        match=rf"^{re.escape(repr(str(path)))}: entry '\w+' is compressed "
        rf"with zip method {method}; bp reads stored or deflated entries \(NumPy's savez and "
        r"savez_compressed\)$",
    ):
        bp.load(path)
