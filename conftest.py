"""Notebook cells that need an optional library are skipped, with the reason, when it is absent.

A code cell tagged ``requires-torch`` (or ``requires-sklearn``) runs only where PyTorch (or
scikit-learn) is installed. Strict nbval cannot match one stored output both with and without
the library, so without it such a cell is skipped rather than compared, and pytest's summary
(``-rs``) says what to install. In Jupyter the same cells print what to install instead of
failing, so the rest of the notebook runs.
"""

from __future__ import annotations

import importlib.util

import pytest

# The tag's library: its import name, its name for people, and how to install it.
OPTIONAL = {
    "requires-torch": ("torch", "PyTorch", "pip install torch (the CPU build will do)"),
    "requires-sklearn": ("sklearn", "scikit-learn", 'pip install -e ".[sklearn]"'),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        cell = getattr(item, "cell", None)  # nbval's notebook cells carry their cell
        if cell is None:
            continue
        for tag in cell.metadata.get("tags", []):
            if tag in OPTIONAL:
                module, name, install = OPTIONAL[tag]
                if importlib.util.find_spec(module) is None:
                    reason = f"this cell needs {name}, which is not installed: {install}"
                    item.add_marker(pytest.mark.skip(reason=reason))
