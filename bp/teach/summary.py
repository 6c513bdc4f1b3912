r"""The class report: how many students made each known mistake, step by step.

``class_report(course)`` reads nbgrader's gradebook (``gradebook.db``, through
nbgrader's API) for who was graded and their points, and the autograded
notebooks (``autograded/<student>/<assignment>/``, from which nbgrader makes the
feedback) for the verdict of each step, which ``bp.teach.grading`` recorded
there. For each step it counts the students per outcome: each known mistake by
its name, "wrong, not a known mistake" (an exception, a timeout, wrong values
that match no catalogued slip), "not written yet", "notebook not handed in" and
"correct"; most common
first, with the notebook section to reread. Submissions that were collected
but not autograded yet, and students in the gradebook without a submission,
are listed apart.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bp.exercises
from bp.exercises._checker import place
from bp.teach.assignment import ASSIGNMENT
from bp.teach.grading import MIME

CORRECT = "correct"
UNKNOWN = "wrong, not a known mistake"
NOT_WRITTEN = "not written yet"
NOT_HANDED_IN = "notebook not handed in"
_NOT_WRITTEN = ("not written",)


@dataclass(frozen=True)
class Outcome:
    """One step of one graded student: what the verdict called it, and the points."""

    student: str
    step: str
    label: str  # CORRECT, a mistake's name, UNKNOWN or NOT_WRITTEN
    where: str
    score: float
    max_score: float


@dataclass
class ClassReport:
    """The outcomes of a class, and who was not graded. ``text()`` words it, ``plot(path)``
    draws it."""

    assignment: str
    language: str
    outcomes: list[Outcome] = field(default_factory=list)
    #: (student, why): collected but not autograded, or no submission at all.
    ungraded: list[tuple[str, str]] = field(default_factory=list)

    @property
    def graded(self) -> list[str]:
        return sorted({o.student for o in self.outcomes})

    def counts(self, step: str) -> list[tuple[str, int, str]]:
        """(label, how many students, where to reread) for one step: the mistakes, most common
        first (ties in the catalogue's order), then "not written yet", "notebook not handed in"
        and "correct"."""
        mine = [o for o in self.outcomes if o.step == step]
        n = Counter(o.label for o in mine)
        where = {o.label: o.where for o in mine}
        order = [mk.name for mk in bp.exercises.mistakes(step)]
        order += [UNKNOWN, NOT_WRITTEN, NOT_HANDED_IN]
        rank = {label: i for i, label in enumerate(order)}
        last = (NOT_WRITTEN, NOT_HANDED_IN)  # after the mistakes, whatever their counts
        wrong = sorted(
            (label for label in n if label != CORRECT),
            key=lambda label: (label in last, -n[label], rank.get(label, len(order)), label),
        )
        rows = [(label, n[label], where[label]) for label in wrong]
        return rows + ([(CORRECT, n[CORRECT], "")] if n[CORRECT] else [])

    def text(self) -> str:
        """The report as text: the class, then each step's mistakes, most common first."""
        graded = self.graded
        lines = [
            f"Class report: assignment {self.assignment!r} "
            f"({'Chinese' if self.language == 'zh' else 'English'} edition), "
            f"{len(graded) + len(self.ungraded)} students, {len(graded)} graded"
        ]
        if graded:
            totals = {s: 0.0 for s in graded}
            top = {s: 0.0 for s in graded}
            for o in self.outcomes:
                totals[o.student] += o.score
                top[o.student] += o.max_score
            scores = ", ".join(f"{s} {totals[s]:g}/{top[s]:g}" for s in graded)
            lines.append(f"Points: {scores}")
        for student, why in self.ungraded:
            lines.append(f"Not graded: {student} ({why})")
        if not graded:
            return "\n".join([*lines, "No submission has been autograded yet."])
        lines += ["", "Mistakes per step (students who made each, most common first):"]
        for step in bp.exercises.steps():
            rows = self.counts(step.name)
            if not rows:
                continue
            right = sum(n for label, n, _ in rows if label == CORRECT)
            total = sum(n for _, n, _ in rows)
            lines.append(f"{step.name} ({step.title}): {right} of {total} correct")
            for label, n, where in rows:
                if label != CORRECT:
                    lines.append(f"  {n:3d}  {label}")
                if label not in (CORRECT, NOT_HANDED_IN):
                    lines.append(f"       reread {where}")
        common = Counter(
            (o.step, o.label)
            for o in self.outcomes
            if o.label not in (CORRECT, NOT_WRITTEN, NOT_HANDED_IN)
        )
        if common:
            lines += ["", "Most common in the class:"]
            for (step_name, label), n in common.most_common(5):
                lines.append(f"  {n:3d}  {step_name}: {label}")
        return "\n".join(lines)

    def plot(self, path: str | Path) -> Path:
        """A PNG of the counts: one bar per step and mistake (correct answers and notebooks
        not handed in left out)."""
        from matplotlib.figure import Figure  # no pyplot: the caller's backend is left alone
        from matplotlib.ticker import MaxNLocator

        rows = [
            (f"{step.name}: {label}", n, label)
            for step in bp.exercises.steps()
            for label, n, _ in self.counts(step.name)
            if label not in (CORRECT, NOT_HANDED_IN)
        ]
        height = 1.4 + 0.32 * max(len(rows), 1)
        fig = Figure(figsize=(7, height), dpi=100)
        ax = fig.subplots()
        colours = {UNKNOWN: "tab:gray", NOT_WRITTEN: "lightgray", NOT_HANDED_IN: "lightgray"}
        ax.barh(
            range(len(rows)),
            [n for _, n, _ in rows],
            color=[colours.get(label, "tab:red") for _, _, label in rows],
        )
        ax.set_yticks(range(len(rows)), [name for name, _, _ in rows], fontsize=9)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("students", fontsize=10)
        title = f"{self.assignment}: mistakes per step ({len(self.graded)} graded students)"
        ax.set_title(title, fontsize=10)
        if not rows:
            ax.text(0.5, 0.5, "no mistakes", ha="center", transform=ax.transAxes)
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, dpi=100)
        return path


def _label(found: dict[str, Any] | None, score: float, max_score: float) -> str:
    if found is None:  # the cell left no verdict (it was stopped, or the kernel died)
        return CORRECT if score >= max_score else UNKNOWN
    if found.get("passed"):
        return CORRECT
    if found.get("status") == "mistake" and found.get("mistakes"):
        return " or ".join(found["mistakes"])
    if found.get("status") in _NOT_WRITTEN:
        return NOT_WRITTEN
    return UNKNOWN


def _verdicts(notebook: Path) -> dict[str, dict[str, Any]]:
    """{grade id: the verdict its cell recorded} in one autograded notebook."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return {}
    found = {}
    for cell in cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if grade_id and MIME in data:
                found[grade_id] = data[MIME]
    return found


def class_report(course: str | Path, assignment: str = ASSIGNMENT) -> ClassReport:
    """Read the gradebook and the autograded notebooks of the nbgrader course folder
    ``course`` for ``assignment``."""
    course = Path(course)
    db = course / "gradebook.db"
    if not db.is_file():
        raise FileNotFoundError(
            f"course={str(course)!r} has no gradebook.db: build the course and autograde first"
        )
    try:
        from nbgrader.api import Gradebook, MissingEntry
    except ImportError as err:
        raise ImportError("the report reads nbgrader's gradebook: pip install nbgrader") from err
    steps = {f"check_{s.name}": s for s in bp.exercises.steps()}
    report = ClassReport(assignment, "en")
    languages = []
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"assignment={assignment!r} is not in {db}") from None
        students = {s.id for s in gb.students}
        submitted = course / "submitted"
        if submitted.is_dir():
            students |= {p.parent.name for p in submitted.glob(f"*/{assignment}")}
        for student in sorted(students):
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                folder = submitted / student / assignment
                why = "submitted, not autograded yet" if folder.is_dir() else "no submission"
                report.ungraded.append((student, why))
                continue
            for nb in submission.notebooks:
                path = course / "autograded" / student / assignment / f"{nb.name}.ipynb"
                verdicts = _verdicts(path)
                for g in nb.grades:
                    step = steps.get(g.cell.name)
                    if step is None:
                        continue
                    found = verdicts.get(g.cell.name)
                    score = float(g.score or 0.0)
                    label = _label(found, score, float(g.max_score))
                    if not path.is_file():
                        label = NOT_HANDED_IN
                    if found is not None:
                        languages.append(found.get("language", "en"))
                    lang = found.get("language", "en") if found else "en"
                    mk = {m.name: m.where for m in bp.exercises.mistakes(step.name)}
                    where = found.get("where", "") if found else ""
                    where = where or place(mk.get(label, step.where), lang)
                    report.outcomes.append(
                        Outcome(student, step.name, label, where, score, float(g.max_score))
                    )
    report.language = Counter(languages).most_common(1)[0][0] if languages else "en"
    return report
