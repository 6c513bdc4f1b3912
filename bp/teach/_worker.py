"""The fresh process of ``bp.teach.grading.verdict``: load the student's function, check it,
write the verdict as JSON. Run as ``python -m bp.teach._worker STEP LANGUAGE PAYLOAD OUT``."""

from __future__ import annotations

import json
import linecache
import sys
from dataclasses import asdict

import bp.exercises
from bp.teach.grading import Verdict, _failed, _where


def main(step: str, language: str, payload: str, out: str) -> int:
    """In the fresh process: load the function, check it, write the verdict as JSON."""
    import cloudpickle

    try:
        with open(payload, "rb") as f:
            fn, sources = cloudpickle.load(f)
        for name, filename, lines in sources:  # the notebook's cells, to quote a line
            named = fn.__globals__.get(name) if name else fn
            if hasattr(named, "__code__"):
                named.__code__ = named.__code__.replace(co_filename=filename)
                linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
    except Exception as err:
        words = (
            f"Your function could not be loaded in the grader ({type(err).__name__}: "
            f"{str(err)[:80]}); define it, and what it uses, in the notebook itself."
        )
        found = _failed(step, "not gradable", words, language)
    else:
        r = bp.exercises.check(step, fn, language=language)
        where = "" if r.passed else _where(step, r.mistakes, language)
        found = Verdict(r.step, r.passed, r.status, r.message, r.mistakes, r.case, where, language)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(asdict(found), f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
