r"""For teachers: the exercises as an nbgrader assignment, graded, and the class's mistakes counted.

Four commands, run in a checkout of bp with the ``teach`` extra installed
(``pip install -e ".[teach]"``, which brings nbgrader):

    python -m bp.teach build --lang en course     # 1. the course: source and student version
    # 2. hand out course/release/backprop/ (the student version)
    # 3. put each student's notebooks in course/submitted/<student>/backprop/, then
    (cd course && nbgrader autograde backprop && nbgrader generate_feedback backprop)
    python -m bp.teach report course              # 4. who made which mistake, and where to reread

``build`` writes an nbgrader course directory from ``exercises/`` (or
``exercises/zh/`` with ``--lang zh``): each notebook with the reference
solution (from ``exercises/solutions/``) inside nbgrader's solution markers,
and after each check cell an autograder cell whose hidden test calls
``bp.exercises.check``. nbgrader's ``generate_assignment`` then makes the
student version. Nothing is copied by hand: build it again after the
exercises change.

The autograder cell checks the student's function in a fresh Python process
(``bp.teach.grading``), so that what the student's notebook did to bp in its
own kernel (patched functions, emptied cases) cannot change the verdict, and a
function that loops, exits or kills its process costs only its own points.

``report`` reads nbgrader's gradebook and the autograded notebooks and counts,
for each step, how many students made each known mistake, most common first,
with the notebook section to reread; it also draws that as a PNG.
"""

from __future__ import annotations

from bp.teach.assignment import ASSIGNMENT, build_course
from bp.teach.grading import grade
from bp.teach.summary import ClassReport, class_report

__all__ = ["ASSIGNMENT", "ClassReport", "build_course", "class_report", "grade"]
