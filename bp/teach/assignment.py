r"""Build an nbgrader course from ``exercises/``: solution regions from the reference solutions,
and an autograder cell after each check.

The exercise notebooks are the single source. For each task cell (a ``def``
whose body is ``raise NotImplementedError``) the source version gets the body
of the reference solution of the same name from ``exercises/solutions/``,
between nbgrader's ``### BEGIN SOLUTION`` and ``### END SOLUTION``; with
nbgrader's code stub set to ``raise NotImplementedError`` the student version
that ``nbgrader generate_assignment`` makes has the same task cells as the
exercises. After each check cell (``print(check("step", fn))``) comes an
autograder cell worth ``points`` whose hidden test calls
``bp.teach.grading.grade``, which runs ``bp.exercises.check``.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import bp.exercises

#: The nbgrader assignment's name (its folder under source/, release/, submitted/ ...).
ASSIGNMENT = "backprop"
LANGUAGES = ("en", "zh")
#: The lines nbgrader puts where a solution was (the exercises' own stub).
CODE_STUB = "raise NotImplementedError"

_TASK = re.compile(r"^def (\w+)\((.*?)\):", re.MULTILINE)
_CHECK = re.compile(r'^print\(check\("(\w+)", (\w+)\)\)\s*$')

#: The visible line of an autograder cell, in each language.
_GRADE_NOTE = {
    "en": "# Autograder: checks `{name}` with bp.exercises.check ({points}). The test is hidden.",
    "zh": "# 自动评分：用 bp.exercises.check 检查 `{name}`（{points}）。测试代码对学生隐藏。",
}
_POINTS = {
    "en": lambda p: f"{p:g} point" + ("" if p == 1 else "s"),
    "zh": lambda p: f"{p:g} 分",
}

CONFIG = '''\
"""nbgrader's settings for this course, written by `python -m bp.teach build`."""

c = get_config()  # noqa: F821 (nbgrader defines get_config)

c.CourseDirectory.course_id = {course_id!r}
# The student version keeps the exercises' own stub where a solution was.
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
# Seconds a cell may run while autograding. A check stops a learner's call after
# bp.exercises._checker.TIME_LIMIT (10 s) a case and its process after
# bp.teach.grading.PROCESS_LIMIT; this limit is for code outside the checked functions.
c.Execute.timeout = {timeout}
'''


def default_exercises() -> Path:
    """The ``exercises/`` folder of the checkout bp runs from (a pip-installed bp has none)."""
    return Path(bp.exercises.__file__).resolve().parents[2] / "exercises"


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _lines(text: str) -> list[str]:
    """A cell's source as nbformat stores it: a list of lines, each but the last with its \\n."""
    return text.splitlines(keepends=True)


def solution_bodies(solutions: Path) -> dict[str, tuple[tuple[str, ...], str]]:
    """{function name: (its parameters, its body without the docstring)} for every top-level
    function of one solutions file."""
    text = solutions.read_text(encoding="utf-8")
    lines = text.splitlines()
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for node in ast.parse(text).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:]
        if not body:
            raise ValueError(f"{solutions}: the solution {node.name} has no body")
        start, end = body[0].lineno - 1, node.end_lineno or body[-1].lineno
        code = textwrap.dedent("\n".join(lines[start:end]))
        found[node.name] = (tuple(a.arg for a in node.args.args), code)
    return found


def _solution_cell(
    cell: dict[str, Any], name: str, params: tuple[str, ...], body: str
) -> dict[str, Any]:
    """The task cell with the solution between nbgrader's markers, where it raised."""
    text = _source(cell)
    match = _TASK.search(text)
    assert match is not None
    own = tuple(p.strip().split("=")[0].strip() for p in match.group(2).split(",") if p.strip())
    if own != params:
        raise ValueError(
            f"the task {name} takes ({', '.join(own)}) but its solution takes "
            f"({', '.join(params)}): make exercises/solutions match the exercise"
        )
    lines = text.splitlines()
    stub = [i for i, line in enumerate(lines) if line.strip() == CODE_STUB]
    if len(stub) != 1:
        raise ValueError(f"the task cell of {name} should hold one line {CODE_STUB!r}")
    indent = re.match(r"\s*", lines[stub[0]]).group(0)  # type: ignore[union-attr]
    region = [indent + "### BEGIN SOLUTION"]
    region += [indent + line if line.strip() else "" for line in body.splitlines()]
    region += [indent + "### END SOLUTION"]
    new = copy.deepcopy(cell)
    new["source"] = _lines("\n".join(lines[: stub[0]] + region + lines[stub[0] + 1 :]))
    new["outputs"], new["execution_count"] = [], None
    new.setdefault("metadata", {})["nbgrader"] = {
        "grade": False,
        "grade_id": f"{name}_solution",
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    return new


def _grade_cell(step: str, fn_name: str, points: float, lang: str) -> dict[str, Any]:
    """The autograder cell for one step: a visible note and the hidden call of the checker."""
    note = _GRADE_NOTE[lang].format(name=fn_name, points=_POINTS[lang](points))
    source = (
        f"{note}\n"
        "### BEGIN HIDDEN TESTS\n"
        "from bp.teach.grading import grade\n"
        "\n"
        f"grade({json.dumps(step)}, globals(), {json.dumps(fn_name)}, "
        f"language={json.dumps(lang)})\n"
        "### END HIDDEN TESTS"
    )
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {
            "deletable": False,
            "editable": False,
            "nbgrader": {
                "grade": True,
                "grade_id": f"check_{step}",
                "locked": True,
                "points": points,
                "schema_version": 3,
                "solution": False,
                "task": False,
            },
        },
        "outputs": [],
        "source": _lines(source),
    }


def source_notebook(
    notebook: dict[str, Any], solutions: Path, points: float = 1.0, lang: str = "en"
) -> dict[str, Any]:
    """The nbgrader source version of one exercise notebook (a new dict; ``notebook`` is kept).

    ``solutions`` is the file of reference solutions, whose function of each task's name
    fills that task; every check cell of a step of ``bp.exercises.steps()`` is followed by
    an autograder cell worth ``points``."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang={lang!r} is not one of {', '.join(map(repr, LANGUAGES))}")
    if not points > 0:
        raise ValueError(f"points={points!r} should be a positive number")
    bodies = solution_bodies(solutions)
    known = {step.name for step in bp.exercises.steps()}
    out = copy.deepcopy(notebook)
    cells: list[dict[str, Any]] = []
    for cell in notebook["cells"]:
        text = _source(cell)
        task = _TASK.search(text) if cell["cell_type"] == "code" else None
        check = _CHECK.match(text.strip()) if cell["cell_type"] == "code" else None
        if task and CODE_STUB in text:
            name = task.group(1)
            if name not in bodies:
                raise ValueError(f"{solutions} has no function {name} for the task {name}")
            cells.append(_solution_cell(cell, name, *bodies[name]))
        elif check and check.group(1) in known:
            new = copy.deepcopy(cell)
            new["outputs"], new["execution_count"] = [], None
            cells.append(new)
            cells.append(_grade_cell(check.group(1), check.group(2), points, lang))
        else:
            new = copy.deepcopy(cell)
            if new["cell_type"] == "code":
                new["outputs"], new["execution_count"] = [], None
            cells.append(new)
    out["cells"] = cells
    return out


def build_course(
    out: str | Path,
    lang: str = "en",
    *,
    exercises: str | Path | None = None,
    assignment: str = ASSIGNMENT,
    points: float = 1.0,
    release: bool = True,
    force: bool = False,
) -> Path:
    """Write an nbgrader course to ``out`` from the exercises in ``lang`` ("en" or "zh").

    ``out`` gets ``nbgrader_config.py`` and ``source/<assignment>/NN_*.ipynb``; with
    ``release`` (the default) nbgrader's ``generate_assignment`` then writes the student
    version to ``release/<assignment>/`` and the assignment into ``gradebook.db``.
    ``exercises`` is the folder of the English exercises (default: this checkout's); the
    Chinese ones are its ``zh/``, the solutions its ``solutions/``. An existing source
    version is replaced only with ``force``. Returns the path of the source folder."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang={lang!r} is not one of {', '.join(map(repr, LANGUAGES))}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", assignment):
        raise ValueError(f"assignment={assignment!r} should be letters, digits, - and _")
    root = Path(exercises) if exercises is not None else default_exercises()
    folder = root / "zh" if lang == "zh" else root
    notebooks = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(
            f"exercises={str(root)!r} holds no exercise notebooks NN_*.ipynb"
            f"{' in zh/' if lang == 'zh' else ''} (pass the exercises/ folder of a bp checkout)"
        )
    out = Path(out)
    source = out / "source" / assignment
    if source.exists() and not force:
        raise FileExistsError(
            f"out={str(out)!r} already holds source/{assignment}: pass force=True (--force) "
            f"to build it again"
        )
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for path in notebooks:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        built = source_notebook(notebook, root / "solutions" / (path.stem + ".py"), points, lang)
        text = json.dumps(built, indent=1, ensure_ascii=False) + "\n"
        (source / path.name).write_text(text, encoding="utf-8")
    config = CONFIG.format(course_id=f"bp-{assignment}-{lang}", stub=CODE_STUB, timeout=120)
    (out / "nbgrader_config.py").write_text(config, encoding="utf-8")
    if release:
        generate_assignment(out, assignment, force=force)
    return source


def generate_assignment(course: str | Path, assignment: str = ASSIGNMENT, force: bool = False):
    """Run ``nbgrader generate_assignment`` in the course folder ``course``: the student
    version, in release/<assignment>/."""
    try:
        import nbgrader  # noqa: F401
    except ImportError as err:
        raise ImportError(
            "nbgrader is not installed: pip install 'literate-backprop[teach]' (or build with "
            "release=False, --source-only, and run nbgrader elsewhere)"
        ) from err
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment]
    command += ["--force"] if force else []
    done = subprocess.run(command, cwd=course, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"nbgrader generate_assignment {assignment} failed in {course}:\n{done.stdout}"
            f"{done.stderr}"
        )
