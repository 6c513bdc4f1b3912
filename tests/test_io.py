"""bp.io (issue 22): the format version is checked, and the bytes reach the disk before
the rename. (test_save_load.py and test_io_faults.py hold the round trips and the faults.)"""

import os
import re

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
