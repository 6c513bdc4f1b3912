"""bp.teach: the exercises as an nbgrader course, graded end to end, and the class report.

The first tests need only bp: the source version is built from exercises/ and
checked against it (every cell kept, each task filled with its reference
solution, one autograder cell per step), so the course cannot drift from the
exercises. The rest run nbgrader's own commands (generate_assignment,
autograde, generate_feedback) on a simulated class; they skip, saying why,
where nbgrader is not installed, and fail instead when BP_REQUIRE_NBGRADER=1.
"""

from __future__ import annotations

import ast
import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bp.exercises
from bp.teach import build_course
from bp.teach.assignment import CODE_STUB, solution_bodies, source_notebook
from bp.teach.cli import main
from bp.teach.summary import CORRECT, NOT_HANDED_IN, UNKNOWN, class_report

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
NOTEBOOKS = sorted(p.name for p in EXERCISES.glob("[0-9][0-9]_*.ipynb"))
STEPS = [s.name for s in bp.exercises.steps()]
REQUIRE = "BP_REQUIRE_NBGRADER"  # =1: nbgrader must be installed (.ci/run's teach step)
A = "backprop"


def _need(module: str, why: str) -> None:
    """Skip with the reason; fail instead when BP_REQUIRE_NBGRADER=1."""
    if importlib.util.find_spec(module) is not None:
        return
    reason = f"{why} needs {module}, which is not installed: pip install -e '.[teach]'"
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason} ({REQUIRE}=1, so this is a failure, not a skip)")
    pytest.skip(f"{reason}; set {REQUIRE}=1 to make this a failure")


def _src(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


# ---------------------------------------------------------------- the source version


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_source_version_is_the_exercises_with_solutions_and_one_graded_cell_per_step(
    tmp_path, lang
):
    source = build_course(tmp_path, lang, release=False)
    folder = EXERCISES / "zh" if lang == "zh" else EXERCISES
    assert sorted(p.name for p in source.glob("*.ipynb")) == NOTEBOOKS
    graded = []
    for name in NOTEBOOKS:
        exercise, built = _load(folder / name), _load(source / name)
        bodies = solution_bodies(EXERCISES / "solutions" / name.replace(".ipynb", ".py"))
        kept = [c for c in built["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")]
        assert len(kept) == len(exercise["cells"]), name
        for mine, theirs in zip(kept, exercise["cells"], strict=True):
            assert mine["cell_type"] == theirs["cell_type"]
            if mine["metadata"].get("nbgrader", {}).get("solution"):
                task = re.match(r"def (\w+)\(", _src(theirs)).group(1)
                # the solution region, out of the cell, is the reference solution's body
                region = _src(mine).split("### BEGIN SOLUTION\n")[1].split("### END SOLUTION")[0]
                assert re.sub(r"(?m)^    ", "", region).strip() == bodies[task][1].strip()
                # and the rest of the cell is the exercise's, the stub where the region was
                outside = re.sub(r"(?s)### BEGIN SOLUTION.*### END SOLUTION", CODE_STUB, _src(mine))
                assert outside == _src(theirs)
            else:
                assert _src(mine) == _src(theirs)
                assert mine.get("outputs", []) == []
        for cell in built["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                assert meta["points"] == 1 and meta["locked"]
                assert f'language="{lang}"' in _src(cell)
                hidden = _src(cell).split("### BEGIN HIDDEN TESTS\n")[1]
                assert "### END HIDDEN TESTS" in hidden
                graded.append(meta["grade_id"])
    assert graded == [f"check_{s}" for s in STEPS]


def test_a_solution_that_does_not_fit_its_task_is_refused(tmp_path):
    notebook = _load(EXERCISES / "02_loss.ipynb")
    wrong = tmp_path / "02_loss.py"
    wrong.write_text("def loss(z, a):\n    return 0.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="the task loss takes"):
        source_notebook(notebook, wrong)
    with pytest.raises(ValueError, match="lang="):
        source_notebook(notebook, wrong, lang="fr")
    with pytest.raises(ValueError, match="points="):
        source_notebook(notebook, wrong, points=0)


def test_build_refuses_a_course_it_would_overwrite_and_an_empty_exercises_folder(tmp_path):
    build_course(tmp_path / "c", release=False)
    with pytest.raises(FileExistsError, match="force"):
        build_course(tmp_path / "c", release=False)
    build_course(tmp_path / "c", release=False, force=True)
    with pytest.raises(FileNotFoundError, match="exercises="):
        build_course(tmp_path / "d", release=False, exercises=tmp_path)


def test_the_command_line_names_what_it_cannot_use(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 1
    assert f"course={str(tmp_path)!r} has no gradebook.db" in capsys.readouterr().err
    assert main(["build", "--source-only", "--exercises", str(tmp_path), str(tmp_path)]) == 1
    assert "exercises=" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["build", "--lang", "fr", str(tmp_path)])
    assert exited.value.code == 2
    assert main(["build", "--source-only", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "source" / A / "02_loss.ipynb").is_file()


# ---------------------------------------------------------------- the fresh process


def _in_a_notebook(source: str) -> dict:
    """The names a notebook cell of this source would define (module __main__, as in a kernel)."""
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


CELL = _in_a_notebook(
    "import os\n"
    "def swallows_everything(W_next, delta_next, z, sigma_prime):\n"
    "    while True:\n"
    "        try:\n"
    "            while True:\n"
    "                pass\n"
    "        except BaseException:  # the checker's time limit too\n"
    "            pass\n"
    "def kills_its_process(W_next, delta_next, z, sigma_prime):\n"
    "    os._exit(3)\n"
    "generator = (i for i in range(3))\n"
    "def unpicklable(W_next, delta_next, z, sigma_prime):\n"
    "    return next(generator)\n"
)


def test_the_grader_survives_what_the_checker_cannot_stop(capsys):
    _need("cloudpickle", "the autograder")
    from bp.teach.grading import grade, verdict

    # stopped by the process's limit (here 5 s, before the checker's 10 s would have fired)
    found = verdict("hidden_delta", CELL["swallows_everything"], limit=5)
    assert (found.passed, found.status) == (False, "process timeout")
    assert "within 5 s" in " ".join(found.message.split())
    found = verdict("hidden_delta", CELL["kills_its_process"], language="zh")
    assert found.status == "killed" and "exit status 3" in found.message
    assert "notebooks/zh/04_recursion.ipynb" in found.where
    found = verdict("hidden_delta", CELL["unpicklable"])
    assert found.status == "not gradable" and "could not be copied" in found.message
    assert grade("hidden_delta", {}) == 0
    assert "defines no function `hidden_delta`" in capsys.readouterr().out
    with pytest.raises(ValueError, match="step="):
        verdict("hidden", CELL["unpicklable"])
    with pytest.raises(ValueError, match="language="):
        verdict("hidden_delta", CELL["unpicklable"], language="fr")


# ---------------------------------------------------------------- the class, graded by nbgrader

# What each simulated student wrote. A task left out is the reference solution; None is a
# notebook the student did not hand in. "extra" cells run after the task cell of that name;
# "edit" replaces the source of the autograder cell of that step in the student's copy.
WRONG = {
    "loss": "def loss(z, a, y):\n    return 0.5 * np.sum((a - y) ** 2) / y.shape[1]",
    "output_delta": "def output_delta(dJ_da, z_L, sigma_prime):\n    return dJ_da",
    "hidden_delta": (
        "def hidden_delta(W_next, delta_next, z, sigma_prime):\n"
        "    return (W_next @ delta_next) * sigma_prime(z)"
    ),
}
CLASS: dict[str, dict] = {
    "ada": {},  # all correct
    "ben": {"tasks": WRONG},  # a catalogued mistake in each of three steps
    "cy": {  # raises
        "notebooks": ["01_forward_propagation.ipynb", "02_loss.ipynb"],
        "tasks": {
            "layer_forward": "def layer_forward(W, a_prev, b, sigma):\n"
            "    raise ValueError('I give up')",
            # the cell raises before its def: the function does not exist
            "loss_gradient": "1 / 0\ndef loss_gradient(a, y):\n    return a - y",
        },
    },
    "dee": {  # loops forever
        "notebooks": ["04_recursion.ipynb"],
        "tasks": {
            "backward": (
                "def backward(net, z, a, Y):\n"
                "    L = net.L\n"
                "    delta = {L: (a[L] - Y) * net.output_activation.sigma_prime(z[L])}\n"
                "    l = L - 1\n"
                "    while l >= 2:  # l never changes\n"
                "        delta[l] = (net.W[l + 1].T @ delta[l + 1]) * "
                "net.activation.sigma_prime(z[l])\n"
                "    return delta"
            ),
        },
    },
    "eve": {  # calls sys.exit, in a function and in a cell
        "notebooks": ["01_forward_propagation.ipynb", "06_algorithm.ipynb"],
        "tasks": {
            "should_stop": "import sys\n\n\n"
            "def should_stop(W_before, b_before, W_after, b_after, epsilon):\n"
            "    sys.exit('stop')",
        },
        "extra": {"layer_forward": "import sys\n\nsys.exit(0)"},
    },
    "fay": {  # edits the hidden tests' inputs
        "notebooks": ["02_loss.ipynb", "03_output_layer.ipynb", "04_recursion.ipynb"],
        "tasks": {
            "loss": WRONG["loss"],
            "output_delta": WRONG["output_delta"],
            # right values, but it spoils the checker's inputs it was given
            "hidden_delta": (
                "def hidden_delta(W_next, delta_next, z, sigma_prime):\n"
                "    out = (W_next.T @ delta_next) * sigma_prime(z)\n"
                "    delta_next[...] = 0\n"
                "    return out"
            ),
        },
        "extra": {
            # in the kernel: every check passes, and the checker's own cases are emptied
            "loss": (
                "import bp.exercises\n"
                "import bp.exercises._checker as checker\n"
                "for s in bp.exercises.steps():\n"
                "    s.pristine_cases().clear()\n"
                "bp.exercises.check = lambda step, fn, language=None: checker.Result(\n"
                "    step, True, 'correct', 'passed')\n"
                "checker.run = lambda step, fn, catalogue, lang='en': checker.Result(\n"
                "    step.name, True, 'correct', 'passed')"
            ),
        },
        "edit": {"output_delta": "print('all correct')", "loss": "grade = print"},
    },
}
LATE = "gus"  # collected after autograding: not graded yet
POINTS = {  # (student, step): points; every other step of a handed-in notebook: 1
    **{("ben", s): 0 for s in WRONG},
    ("cy", "layer_forward"): 0,
    ("cy", "loss_gradient"): 0,
    ("dee", "backward"): 0,
    ("eve", "should_stop"): 0,
    ("fay", "loss"): 0,
    ("fay", "output_delta"): 0,
    ("fay", "hidden_delta"): 0,
}
LABELS = {  # (student, step): what the report must call it
    ("ben", "loss"): "the mean instead of the sum",
    ("ben", "output_delta"): "σ' left out",
    ("ben", "hidden_delta"): "W instead of W^T",
    ("fay", "loss"): "the mean instead of the sum",
    ("fay", "output_delta"): "σ' left out",
    ("fay", "hidden_delta"): UNKNOWN,
    ("cy", "layer_forward"): UNKNOWN,
    ("cy", "loss_gradient"): UNKNOWN,
    ("dee", "backward"): UNKNOWN,
    ("eve", "should_stop"): UNKNOWN,
}
STEP_NOTEBOOK = {s.name: Path(s.exercise).name for s in bp.exercises.steps()}


def _nbgrader(course: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _submission(course: Path, student: str, plan: dict) -> None:
    """The student's copy of each notebook: the release version with their tasks written."""
    source, release = course / "source" / A, course / "release" / A
    folder = course / "submitted" / student / A
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC\n")
    for name in plan.get("notebooks", NOTEBOOKS):
        answers = {  # the reference solution of each task, as the source version holds it
            _grade_id(c): re.sub(r"(?m)^ *### (BEGIN|END) SOLUTION\n", "", _src(c))
            for c in _load(source / name)["cells"]
            if _grade_id(c)
        }
        nb = _load(release / name)
        cells = []
        for cell in nb["cells"]:
            gid = _grade_id(cell) or ""
            task = gid.removesuffix("_solution")
            if gid.endswith("_solution"):
                cell["source"] = plan.get("tasks", {}).get(task, answers[gid])
            if gid.startswith("check_") and gid[6:] in plan.get("edit", {}):
                cell["source"] = plan["edit"][gid[6:]]
            cells.append(cell)
            if gid.endswith("_solution") and task in plan.get("extra", {}):
                extra = {"cell_type": "code", "execution_count": None, "metadata": {}}
                cells.append({**extra, "outputs": [], "source": plan["extra"][task]})
        nb["cells"] = cells
        (folder / name).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The simulated class, built, handed in, autograded and given feedback by nbgrader."""
    _need("nbgrader", "grading with nbgrader")
    _need("cloudpickle", "the autograder")
    course = tmp_path_factory.mktemp("course")
    build_course(course, "en")
    for student, plan in CLASS.items():
        _submission(course, student, plan)
    _nbgrader(course, "autograde", A)
    _submission(course, LATE, {})
    _nbgrader(course, "generate_feedback", A)
    return course


def _scores(course: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in CLASS:
            for nb in gb.find_submission(A, student).notebooks:
                for g in nb.grades:
                    if g.cell.name.startswith("check_"):
                        found[student, g.cell.name[6:]] = g.score
    return found


def test_each_student_gets_the_points_of_their_own_work(graded):
    scores = _scores(graded)
    for student, plan in CLASS.items():
        handed_in = plan.get("notebooks", NOTEBOOKS)
        for step in STEPS:
            want = POINTS.get((student, step), 1) if STEP_NOTEBOOK[step] in handed_in else 0
            assert scores[student, step] == want, (student, step)


def _feedback(course: Path, student: str, notebook: str) -> str:
    """The text of one feedback page, tags dropped and whitespace made single spaces."""
    page = (course / "feedback" / student / A / notebook).read_text(encoding="utf-8")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_feedback_names_the_mistake_and_the_section_to_reread(graded):
    ben = _feedback(graded, "ben", "04_recursion.html")
    assert "Score: 0.0 / 1.0" in ben and "Score: 1.0 / 1.0" in ben
    assert "makes a known mistake, W instead of W^T" in ben
    assert 'derived in notebooks/04_recursion.ipynb, section "Derivation", steps 2 and 5' in ben
    graded_cell = ben.split("Grade cell: check_hidden_delta")[1].split("Grade cell:")[0]
    assert "makes a known mistake, W instead of W^T" in graded_cell  # the hidden test's verdict
    assert (
        "line 2 of `hidden_delta`: `return (W_next @ delta_next) * sigma_prime(z)`" in graded_cell
    )
    dee = _feedback(graded, "dee", "04_recursion.html")
    assert "did not finish within 10 s" in dee
    eve = _feedback(graded, "eve", "06_algorithm.html")
    assert "sys.exit ends the whole program" in eve
    fay = _feedback(graded, "fay", "03_output_layer.html")
    assert "makes a known mistake, σ' left out" in fay
    assert "all correct" not in fay  # the edited autograder cell was put back
    fay = _feedback(graded, "fay", "02_loss.html")
    assert "makes a known mistake, the mean instead of the sum" in fay
    fay = _feedback(graded, "fay", "04_recursion.html")
    assert "changed its argument `delta_next`" in fay
    cy = _feedback(graded, "cy", "02_loss.html")
    assert "This notebook defines no function `loss_gradient`" in cy
    ada = _feedback(graded, "ada", "06_algorithm.html")
    assert "✓ should_stop" in ada and "✗" not in ada
    assert not (graded / "feedback" / LATE).exists()


def test_the_class_report_counts_each_mistake_per_step(graded, tmp_path):
    report = class_report(graded)
    assert report.ungraded == [(LATE, "submitted, not autograded yet")]
    assert report.graded == sorted(CLASS)
    labels = {(o.student, o.step): o.label for o in report.outcomes}
    for student, plan in CLASS.items():
        for step in STEPS:
            if STEP_NOTEBOOK[step] in plan.get("notebooks", NOTEBOOKS):
                assert labels[student, step] == LABELS.get((student, step), CORRECT)
            else:
                assert labels[student, step] == NOT_HANDED_IN
    loss = report.counts("loss")
    assert loss[0] == (
        "the mean instead of the sum",
        2,
        'notebooks/02_loss.ipynb, section "Derivation" (m samples: the sum)',
    )
    text = report.text()
    assert "Not graded: gus (submitted, not autograded yet)" in text
    assert "    2  the mean instead of the sum" in text
    png = report.plot(tmp_path / "class.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cli = subprocess.run(
        [sys.executable, "-m", "bp.teach", "report", str(graded), "--plot", tmp_path / "p.png"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.startswith(text)
    print(text)


def _solution_lines() -> set[str]:
    """Every reference solution's lines that the exercises do not already hold: code of
    the function bodies (docstrings, imports and lines of a few characters left out)."""
    handout = {
        line.strip()
        for path in EXERCISES.glob("[0-9][0-9]_*.ipynb")
        for cell in _load(path)["cells"]
        for line in _src(cell).splitlines()
    }
    lines = set()
    for path in (EXERCISES / "solutions").glob("[0-9][0-9]_*.py"):
        text = path.read_text(encoding="utf-8")
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef):
                body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body
                segment = text.splitlines()[body[0].lineno - 1 : node.end_lineno]
                lines |= {line.strip() for line in segment}
    return {line for line in lines if len(line) > 8 and line not in handout}


def test_the_student_version_holds_no_solution(graded):
    lines = _solution_lines()
    assert len(lines) > 60
    source = "\n".join(p.read_text(encoding="utf-8") for p in (graded / "source" / A).glob("*"))
    assert sum(json.dumps(line)[1:-1] in source for line in lines) > 20  # the search can find
    for path in (graded / "release" / A).glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        for cell in _load(path)["cells"]:
            assert "BEGIN SOLUTION" not in _src(cell) and "HIDDEN TESTS" not in _src(cell)
        found = [line for line in lines if json.dumps(line)[1:-1] in text]
        assert not found, (path.name, found)


def test_the_chinese_course_points_to_the_chinese_notebooks(tmp_path):
    _need("nbgrader", "grading with nbgrader")
    _need("cloudpickle", "the autograder")
    course = tmp_path / "zh"
    build_course(course, "zh")
    _submission(course, "li", {"notebooks": ["03_output_layer.ipynb"], "tasks": WRONG})
    _nbgrader(course, "autograde", A)
    _nbgrader(course, "generate_feedback", A)
    li = _feedback(course, "li", "03_output_layer.html")
    assert "makes a known mistake, σ' left out" in li
    assert "notebooks/zh/03_output_layer.ipynb 的“推导”一节，第 2 步" in li
    report = class_report(course)
    assert report.language == "zh"
    assert report.counts("output_delta")[0] == (
        "σ' left out",
        1,
        "notebooks/zh/03_output_layer.ipynb 的“推导”一节，第 2 步",
    )
    assert "自动评分" in _src(_load(course / "release" / A / "03_output_layer.ipynb")["cells"][7])
    shutil.rmtree(course)
