"""Count the words of Markdown prose in notebooks, both editions.

What is counted is what a reader reads as prose in the Markdown cells. Left out:

- blockquotes (``> ...`` lines): the notebooks use them only to quote the
  document verbatim;
- formulas: ``$$…$$`` and ``$…$`` (an escaped ``\\$`` is text);
- code: fenced blocks (``` or ~~~) and inline code spans;
- HTML: comments, tags such as ``<a id="e1"></a>`` and ``<br>``, autolinks
  ``<https://…>``;
- link targets: ``[text](target)`` counts its text only; reference
  definitions ``[x]: target`` are dropped.

English prose is counted in words: whitespace-separated tokens holding at least
one Latin letter or digit (Markdown marks such as ``|``, ``---``, ``**`` alone
are not words). Chinese prose is counted in CJK characters. Each notebook is
counted in both ways, so the English edition's table shows the few Chinese
characters of its glossary and the Chinese edition's the English words it keeps
(names such as ``bp``, ``sigmoid``).

Usage:

    python tools/prose_words.py [--rev REV] [NOTEBOOK ...]

Without notebooks, notebooks/00–06 of both editions are counted. A notebook may
be named in either edition; its twin is counted beside it. ``--rev`` reads the
notebooks as they were at a git revision (``git show REV:path``) instead of
from the working tree. One table is printed: a row per notebook, the English
edition's words, the Chinese edition's CJK characters, and the other counts.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The notebooks counted when none is named.
DEFAULT = [f"{n:02d}" for n in range(7)]

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
BLOCKQUOTE = re.compile(r"^\s*>")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
DISPLAY_MATH = re.compile(r"(?<!\\)\$\$.+?(?<!\\)\$\$", re.DOTALL)
INLINE_MATH = re.compile(r"(?<!\\)\$.+?(?<!\\)\$", re.DOTALL)
HTML = re.compile(r"<!--.*?-->|<[A-Za-z/!][^>]*>", re.DOTALL)
LINK_TARGET = re.compile(r"(?<=\])\([^)\s]*(\s+\"[^\"]*\")?\)")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9\u00c0-\u024f]")


def prose(markdown: str) -> str:
    """The prose of one Markdown cell: everything listed in the module docstring removed."""
    lines, fence = [], None
    for line in markdown.split("\n"):
        found = FENCE.match(line)
        if fence is None and found:
            fence = found.group(1)[0]
            continue
        if fence is not None:
            if found and found.group(1)[0] == fence:
                fence = None
            continue
        if BLOCKQUOTE.match(line):
            continue
        lines.append(line)
    text = "\n".join(lines)
    text = REFERENCE.sub(" ", text)
    text = CODE_SPAN.sub(" ", text)
    text = DISPLAY_MATH.sub(" ", text)
    text = INLINE_MATH.sub(" ", text)
    text = HTML.sub(" ", text)
    text = LINK_TARGET.sub(" ", text)
    return text


def count(text: str) -> tuple[int, int]:
    """(English words, CJK characters) of a piece of prose."""
    cjk = len(CJK.findall(text))
    words = sum(1 for token in CJK.sub(" ", text).split() if LATIN_OR_DIGIT.search(token))
    return words, cjk


def read(path: Path, rev: str | None) -> dict | None:
    """A notebook's JSON from the working tree, or at a git revision; None if absent."""
    if rev is None:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    relative = path.resolve().relative_to(ROOT).as_posix()
    shown = subprocess.run(
        ["git", "show", f"{rev}:{relative}"], cwd=ROOT, capture_output=True, text=True
    )
    return json.loads(shown.stdout) if shown.returncode == 0 else None


def notebook_counts(notebook: dict) -> tuple[int, int]:
    """(English words, CJK characters) of all the Markdown cells of a notebook."""
    words = cjk = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            w, c = count(prose(source if isinstance(source, str) else "".join(source)))
            words, cjk = words + w, cjk + c
    return words, cjk


def english_of(name: str) -> Path:
    """The English edition's path for a notebook given by number, name or path."""
    path = Path(name)
    if path.suffix != ".ipynb":
        found = sorted((ROOT / "notebooks").glob(f"{name}*.ipynb"))
        if not found:
            raise SystemExit(f"no notebook matches {name!r}")
        return found[0]
    path = path if path.is_absolute() else Path.cwd() / path
    return path.parent.parent / path.name if path.parent.name == "zh" else path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks (either edition), or numbers: 00")
    parser.add_argument("--rev", help="read the notebooks at this git revision")
    args = parser.parse_args(argv)
    rows, totals = [], [0, 0, 0, 0]
    for name in args.notebooks or DEFAULT:
        english = english_of(name)
        en, zh = read(english, args.rev), read(english.parent / "zh" / english.name, args.rev)
        en_words, en_cjk = notebook_counts(en) if en else (0, 0)
        zh_words, zh_cjk = notebook_counts(zh) if zh else (0, 0)
        rows.append((english.stem, en_words, zh_cjk, zh_words, en_cjk))
        for i, n in enumerate((en_words, zh_cjk, zh_words, en_cjk)):
            totals[i] += n
    header = ("notebook", "en words", "zh CJK chars", "zh Latin words", "en CJK chars")
    rows.append(("total", *totals))
    width = max(len(r[0]) for r in [header, *rows])
    print(f"{header[0]:<{width}}  " + "  ".join(f"{h:>14}" for h in header[1:]))
    for row in rows:
        print(f"{row[0]:<{width}}  " + "  ".join(f"{n:>14}" for n in row[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
