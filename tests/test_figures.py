"""Stored figures are legible where they are read, and the code that draws them is short.

For every notebook and exercise notebook, in both editions:

- every PNG stored in an output is at most 700 px wide: the site's text column
  shows it at its natural size, so its text keeps the size it was drawn at;
- every plotting cell has at most 5 lines. A plotting cell is a code cell that
  calls matplotlib (``plt.``, an Axes ``ax``/``ax1``/``axes`` or a ``fig``) or
  ``bp.plot``, and stores an image among its outputs. Its lines are the
  non-blank lines of its source. Longer drawing code belongs in ``bp.plot``,
  where it is tested.

Only the stored notebooks are read: nothing is executed.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    path
    for folder in ("notebooks", "notebooks/zh", "exercises", "exercises/zh")
    for path in (ROOT / folder).glob("*.ipynb")
)
MAX_WIDTH_PX = 700
MAX_PLOT_LINES = 5
PLOTTING = re.compile(r"\b(?:plt|fig|ax|ax\d+|axes)\b\s*[.\[]|\bbp\.plot\b")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: str | list[str]) -> tuple[int, int]:
    """(width, height) of a base64 PNG, read from its IHDR chunk: bytes 16–20 and 20–24."""
    raw = base64.b64decode("".join(data) if isinstance(data, list) else data)
    assert raw[:8] == PNG_SIGNATURE and raw[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", raw[16:24])


def code_cells(path: Path):
    """(cell number counted from 0 over all cells, source, PNGs) of every code cell."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        pngs = [
            output["data"]["image/png"]
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        yield number, source, pngs


def is_plotting(source: str, pngs: list) -> bool:
    return bool(pngs) and PLOTTING.search(source) is not None


def lines_of(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip())


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_notebooks_are_found():
    assert len(NOTEBOOKS) >= 30, NOTEBOOKS


def test_png_size_reads_the_header():
    # a 1 × 1 PNG written by matplotlib, whose header says 1 and 1
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(3.0, 2.0), dpi=100)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    assert png_size(base64.b64encode(buffer.getvalue()).decode()) == (300, 200)


def test_a_plotting_cell_is_one_that_draws_and_shows_an_image():
    assert is_plotting("fig, ax = plt.subplots()\nplt.show()", ["png"])
    assert is_plotting("bp.plot.loss_curve(h)\nplt.show()", ["png"])
    assert is_plotting("axes[0].plot(x)", ["png"])
    assert not is_plotting("fig, ax = plt.subplots()", [])  # no image stored
    assert not is_plotting("print(relax.mean())", ["png"])  # a name that merely contains ax
    assert lines_of("a = 1\n\n  \nb = 2\n") == 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_every_stored_png_is_at_most_700_px_wide(path):
    wide = [
        f"cell {number}: {width} px"
        for number, _, pngs in code_cells(path)
        for width, _ in map(png_size, pngs)
        if width > MAX_WIDTH_PX
    ]
    assert not wide, f"{name(path)}: PNGs wider than {MAX_WIDTH_PX} px: {wide}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_every_plotting_cell_has_at_most_5_lines(path):
    long = [
        f"cell {number}: {lines_of(source)} lines"
        for number, source, pngs in code_cells(path)
        if is_plotting(source, pngs) and lines_of(source) > MAX_PLOT_LINES
    ]
    assert not long, (
        f"{name(path)}: plotting cells longer than {MAX_PLOT_LINES} lines (move the drawing "
        f"into a tested function of bp.plot): {long}"
    )
