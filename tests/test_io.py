"""bp.io (issue 22): the format version is checked, and the bytes reach the disk before
the rename. (test_save_load.py and test_io_faults.py hold the round trips and the faults.)"""

import os

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
