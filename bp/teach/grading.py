r"""The autograder's check of one step: ``bp.exercises.check`` in a fresh Python process.

An autograder cell of the course calls ``grade(step, globals(), name)``. It
copies the student's function (with the helpers and values it uses, by
cloudpickle) to a new Python process, which imports bp afresh and runs
``bp.exercises.check`` there. So the verdict cannot be changed by what the
student's notebook did in its own kernel: a patched ``bp.exercises.check``,
emptied cases, a replaced bp function. A function that loops forever is
stopped by the checker's time limit (and its process by ``PROCESS_LIMIT``); one
that calls ``sys.exit`` gets the checker's verdict; one that ends its process
(``os._exit``, a crash) is named as such. Each call costs only its own step.

The cell prints the verdict (the mistake named, and the notebook section to
reread, in the course's language), records it for the class report as a
display output of type ``MIME``, and, when the function is wrong, has the value
0: nbgrader reads that as no points, and gives the step's points otherwise.
"""

from __future__ import annotations

import json
import linecache
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import bp.exercises
from bp.exercises._checker import LANGUAGES, place

#: Seconds the process that checks one step may run, in all (the checker stops each call of
#: the student's function after 10 s; this stops one that survives that).
PROCESS_LIMIT = 60.0
#: The type of the display output that carries a verdict, read by ``bp.teach.summary``.
MIME = "application/vnd.bp.verdict+json"


@dataclass(frozen=True)
class Verdict:
    """What the autograder found for one step of one student.

    ``status`` is ``bp.exercises.check``'s ("passed", "mistake", "not written",
    "exception", "timeout", ...) or one of the grader's own: "missing" (the notebook
    defines no such function), "not gradable" (the function could not be sent to a
    fresh process), "killed" (its process ended without a verdict) and "process timeout".
    ``where`` is the notebook section to reread, in the course's ``language``."""

    step: str
    passed: bool
    status: str
    message: str
    mistakes: tuple[str, ...] = ()
    case: str = ""
    where: str = ""
    language: str = "en"


def _step(step: str) -> Any:
    names = {s.name: s for s in bp.exercises.steps()}
    if step not in names:
        raise ValueError(f"step={step!r} is not one of {', '.join(names)}")
    return names[step]


def _where(step: str, mistakes: tuple[str, ...], language: str) -> str:
    s = _step(step)
    known = {mk.name: mk.where for mk in bp.exercises.mistakes(step)}
    return place(known.get(mistakes[0], s.where) if mistakes else s.where, language)


def _failed(step: str, status: str, words: str, language: str) -> Verdict:
    s = _step(step)
    where = _where(step, (), language)
    message = f"✗ {s.name} ({s.title}): not correct. {words} The formula is derived in {where}."
    text = textwrap.fill(message, width=100, break_long_words=False, break_on_hyphens=False)
    return Verdict(step, False, status, text, where=where, language=language)


def verdict(step: str, fn: Callable, language: str = "en", limit: float = PROCESS_LIMIT) -> Verdict:
    """Check ``fn`` for ``step`` with ``bp.exercises.check`` in a fresh Python process that
    runs at most ``limit`` seconds; never raises for what ``fn`` does."""
    _step(step)
    if language not in LANGUAGES:
        raise ValueError(f"language={language!r} is not one of {', '.join(map(repr, LANGUAGES))}")
    if not limit > 0:
        raise ValueError(f"limit={limit!r} should be a positive number of seconds")
    try:
        import cloudpickle
    except ImportError as err:
        raise ImportError(
            "grading needs cloudpickle: pip install 'literate-backprop[teach]'"
        ) from err
    try:
        payload = cloudpickle.dumps((fn, _sources(fn)))
    except Exception as err:
        words = (
            f"Your function could not be copied to the grader ({type(err).__name__}: "
            f"{str(err)[:80]}); keep it to arrays, numbers and functions."
        )
        return _failed(step, "not gradable", words, language)
    with tempfile.TemporaryDirectory(prefix="bp-grade-") as tmp:
        Path(tmp, "fn.pkl").write_bytes(payload)
        command = [sys.executable, "-m", "bp.teach._worker", step, language, "fn.pkl", "out.json"]
        with open(os.path.join(tmp, "log.txt"), "wb") as log:
            try:
                done = subprocess.run(
                    command,
                    cwd=tmp,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    timeout=limit,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                words = (
                    f"Your function did not let its check finish within {limit:g} s, and its "
                    f"process was stopped (an endless loop that catches every exception?)."
                )
                return _failed(step, "process timeout", words, language)
        result = Path(tmp, "out.json")
        if done.returncode == 0 and result.exists():
            found = json.loads(result.read_text(encoding="utf-8"))
            found["mistakes"] = tuple(found["mistakes"])
            return Verdict(**found)
        words = (
            f"Your function ended the Python process that checked it (exit status "
            f"{done.returncode}: os._exit, os.kill or a crash?) before a verdict; return the "
            f"result instead."
        )
        return _failed(step, "killed", words, language)


def _sources(fn: Callable) -> list[tuple[str, str, list[str]]]:
    """(name, file, lines) of the notebook cells that define ``fn`` (name "") and the functions
    it calls by name: IPython keeps the cells in linecache, and cloudpickle does not carry a
    function's file name, so the fresh process is told both, to quote the student's line."""
    functions = [("", fn)]
    code = getattr(fn, "__code__", None)
    for name in getattr(code, "co_names", ()):
        value = getattr(fn, "__globals__", {}).get(name)
        if callable(value) and hasattr(value, "__code__"):
            functions.append((name, value))
    found = []
    for name, f in functions:
        filename = f.__code__.co_filename
        lines = linecache.getlines(filename)
        if lines:
            found.append((name, filename, lines))
    return found


def grade(
    step: str, namespace: Mapping[str, Any], name: str | None = None, *, language: str = "en"
) -> int | None:
    """The autograder cell's call: check the function ``name`` (default: ``step``) of the
    student's ``namespace`` (the notebook's ``globals()``) for ``step``.

    Prints the verdict, shows it to the class report (a display output of type ``MIME``)
    and returns 0 when it is not correct (the cell's value: nbgrader gives no points),
    None when it is (all the points)."""
    if not isinstance(namespace, Mapping):
        raise TypeError(f"namespace should be the notebook's globals(), not {type(namespace)}")
    name = step if name is None else name
    fn = namespace.get(name)
    if fn is None:
        words = (
            f"This notebook defines no function `{name}` (did its cell raise an error before "
            f"the def, or was it renamed?)."
        )
        found = _failed(step, "missing", words, language)
    else:
        found = verdict(step, fn, language)
    print(found.message)
    _show(found)
    return None if found.passed else 0


def _show(found: Verdict) -> None:
    """Publish the verdict as a display output (only inside IPython: a notebook's kernel)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        display({MIME: asdict(found)}, raw=True)
