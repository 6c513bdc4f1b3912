r"""``python -m bp.teach``: build the nbgrader course, and report on the class.

    python -m bp.teach build [--lang en|zh] [--points P] [--source-only] [--force] OUT_DIR
    python -m bp.teach report [--plot PNG] COURSE_DIR

Exit codes: 0 success; 1 a file or folder could not be used, or nbgrader failed; 2 bad
arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bp.teach.assignment import ASSIGNMENT, LANGUAGES, build_course, default_exercises


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bp.teach",
        description="bp's exercises as an nbgrader assignment, and the class report.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser(
        "build",
        help="write an nbgrader course (source and student version) from exercises/",
        description="Write an nbgrader course folder: nbgrader_config.py, source/ASSIGNMENT/ "
        "with the solutions and autograder cells, and (with nbgrader's generate_assignment) "
        "the student version in release/ASSIGNMENT/.",
    )
    b.add_argument("out", metavar="OUT_DIR", help="the course folder to write")
    b.add_argument("--lang", choices=LANGUAGES, default="en", help="the edition (default en)")
    b.add_argument("--points", type=float, default=1.0, help="points per step (default 1)")
    b.add_argument("--assignment", default=ASSIGNMENT, help=f"its name (default {ASSIGNMENT})")
    b.add_argument(
        "--exercises",
        default=None,
        help=f"the exercises/ folder (default: this checkout's, {default_exercises()})",
    )
    b.add_argument("--source-only", action="store_true", help="skip nbgrader generate_assignment")
    b.add_argument("--force", action="store_true", help="replace an existing source version")
    r = sub.add_parser(
        "report",
        help="count the class's mistakes per step from the gradebook and the feedback",
        description="Print, for each step, how many students made each known mistake, most "
        "common first, with the section to reread; and draw it as a PNG.",
    )
    r.add_argument("course", metavar="COURSE_DIR", help="the course folder (with gradebook.db)")
    r.add_argument("--assignment", default=ASSIGNMENT, help=f"its name (default {ASSIGNMENT})")
    r.add_argument(
        "--plot",
        default=None,
        metavar="PNG",
        help="where to draw the counts (default COURSE_DIR/class_report.png)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            source = build_course(
                args.out,
                args.lang,
                exercises=args.exercises,
                assignment=args.assignment,
                points=args.points,
                release=not args.source_only,
                force=args.force,
            )
            print(f"source version: {source}")
            if not args.source_only:
                print(f"student version: {Path(args.out) / 'release' / args.assignment}")
            return 0
        from bp.teach.summary import class_report

        report = class_report(args.course, args.assignment)
        print(report.text())
        png = report.plot(args.plot or Path(args.course) / "class_report.png")
        print(f"\nPlot: {png}")
        return 0
    except (OSError, ValueError, RuntimeError, ImportError) as err:
        print(f"python -m bp.teach {args.command}: {err}", file=sys.stderr)
        return 1
