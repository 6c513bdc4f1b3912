r"""Show bp's own code in a notebook, highlighted as Python.

A notebook shows the function that computes a formula from its source, so that it always
shows today's code::

    bp.show.source(bp.propagation.output_delta, bp.propagation.output_error)

as the last line of a cell. The result displays as the functions' sources, one after another
with a blank line between them:

- as plain text (``text/plain``, what nbval compares and a terminal shows): what
  ``print(inspect.getsource(f))`` printed for each, less the blank line that print added
  after the last;
- as Markdown (``text/markdown``), the same text in a fenced ``python`` code block.
  JupyterLab, Notebook 7 and VS Code show fenced code in a Markdown output highlighted, and
  the site (myst-nb) turns it into a highlighted code block.

Both are plain strings that depend only on the source, so a stored output stays comparable
by nbval on every machine. No HTML is produced: a highlighter's markup changes between its
versions.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

__all__ = ["Source", "source"]

BACKTICKS = re.compile(r"`{3,}")


class Source:
    """The source of some functions or classes, shown as text and as highlighted Python."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython's text/plain: the text as it is (its default splits lines and drops the
        # final newline).
        printer.text(self.text)

    def _repr_markdown_(self) -> str:
        fence = "`" * max([3, *(len(run) + 1 for run in BACKTICKS.findall(self.text))])
        text = self.text if self.text.endswith("\n") else self.text + "\n"
        return f"{fence}python\n{text}{fence}\n"


def _source_of(index: int, obj: object) -> str:
    """The source of argument ``index`` (1-based), refused with a TypeError unless it is a
    function, method, class or property written in Python."""
    if isinstance(obj, property) and obj.fget is not None:
        obj = obj.fget
    function = inspect.unwrap(getattr(obj, "__func__", obj))  # type: ignore[arg-type]
    if not (inspect.isfunction(function) or inspect.isclass(obj)):
        raise TypeError(
            f"bp.show.source: argument {index} is {obj!r}, of type {type(obj).__name__}; "
            "expected a function, method or class written in Python, e.g. bp.propagation.forward"
        )
    try:
        return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError) as error:
        raise TypeError(
            f"bp.show.source: argument {index}, {obj!r}, has no source to show ({error})"
        ) from None


def source(*functions: object, start: str | None = None) -> Source:
    """The source of ``functions`` (functions, methods, classes or properties), one after
    another.

    Its text is what ``print(inspect.getsource(f))`` printed for each: ``inspect.getsource(f)``
    and a blank line between two. ``start`` shows the text from the first line that begins,
    after its indentation, with ``start`` (a part of a long function). Anything else than a
    function, method, class or property is refused with a TypeError that names it.
    """
    if not functions:
        raise TypeError("bp.show.source: give at least one function, e.g. bp.propagation.forward")
    text = "\n".join(_source_of(i, f) for i, f in enumerate(functions, 1))
    if start is not None:
        lines = text.splitlines(keepends=True)
        first = next((i for i, line in enumerate(lines) if line.lstrip().startswith(start)), None)
        if first is None:
            raise ValueError(f"bp.show.source: no line starts with start={start!r}")
        text = "".join(lines[first:])
    return Source(text)
