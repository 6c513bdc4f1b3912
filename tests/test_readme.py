"""The README's Python examples run as written (in a temporary folder)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_python_examples_run(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:  # later examples use the data of the first
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / "model.npz").exists()
    assert namespace["history"].converged
