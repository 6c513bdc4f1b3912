r"""The look of every figure bp draws: legible where it is read, on a 700 px column.

bp's figures are read on the site's text column (about 700 px) and in
notebooks. A figure at most 7 in wide at 100 dpi is at most 700 px, so it is
shown at its natural size and its text at its own size, never shrunk: text of
at least 9 pt stays legible. ``STYLE`` says so in rcParams; every public
function of ``bp.plot`` draws inside ``plt.rc_context(STYLE)`` (the
``styled`` decorator), whatever the global rcParams say, and never changes
them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar, cast

import matplotlib.pyplot as plt

#: The widest figure bp draws, in inches: 700 px at 100 dpi.
MAX_WIDTH = 7.0
#: The smallest text bp writes, in points.
MIN_FONT = 9.0
#: The resolution of bp's figures, in dots per inch.
DPI = 100

#: The rcParams of every figure bp draws. Sizes are given in points, never as
#: "small" or "x-small", which fall below 9 pt when font.size is 10.
STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.constrained_layout.use": True,
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "xtick.labelsize": MIN_FONT,
    "ytick.labelsize": MIN_FONT,
    "legend.fontsize": MIN_FONT,
    "legend.title_fontsize": MIN_FONT,
    "legend.loc": "best",  # inside the axes
    "legend.framealpha": 0.85,
    "figure.titlesize": 11.0,
}

F = TypeVar("F", bound=Callable[..., Any])


def style() -> AbstractContextManager:
    r"""A context in which pyplot makes figures with bp's style: ``with bp.plot.style(): ...``.

    For a notebook's own figures: at most 7 in wide at 100 dpi, text of at
    least 9 pt, legends inside the axes. Keep every drawing call inside the
    ``with`` block, since text takes its size when it is drawn. Choose
    ``figsize`` at most ``MAX_WIDTH`` wide and at most two panels a row.
    """
    return plt.rc_context(cast(Any, STYLE))


def styled(draw: F) -> F:
    """``draw`` run inside ``style()``: the figures it makes follow ``STYLE``."""

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with style():
            return draw(*args, **kwargs)

    return cast(F, drawn)
