"""The notebooks' prose is checked like their code (issue 12, Build 2).

For every notebook (notebooks/, notebooks/zh/, exercises/, exercises/zh/), one test each:

- every formula in a Markdown cell is typeset: no TeX syntax (``^{``, ``_{``,
  ``\\frac``, ``\\sum``, ``^T``, ``^l``, ``x_i``, ...) outside ``$…$`` or
  ``$$…$$``, titles included. Math, inline code spans, fenced code blocks,
  HTML code and link targets are removed first, and so are blockquote lines
  holding Chinese text: the document's own lines, quoted verbatim. Every ``$``
  must be closed;
- no code cell carries an nbval marker in its code (``# NBVAL_...``): a
  marker belongs in the cell's tags (``nbval-ignore-output``), out of sight;
- no Markdown cell mentions nbval: the test tool is not the learner's business;
- every code cell has been executed, in order, in one run from the top: its
  ``execution_count`` is set and the counts increase down the notebook (the
  stored outputs come from running the notebook, not from editing it).

A failure names the notebook and shows the first offending fragments with
their cell index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [
    *sorted(ROOT.glob("notebooks/*.ipynb")),
    *sorted(ROOT.glob("notebooks/zh/*.ipynb")),
    *sorted(ROOT.glob("exercises/*.ipynb")),
    *sorted(ROOT.glob("exercises/zh/*.ipynb")),
]
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]

#: How many offending fragments a failure shows.
SHOWN = 12

#: TeX outside math mode: a command (\frac, \sum, \partial, \odot, \alpha, ...), a
#: superscript (^T, ^l, ^L, ^2, ^{l-1}, ^(i)), a braced subscript (_{...}), or a
#: one-letter symbol with a short subscript (x_i, n_l, z_L, δ_kj). A Markdown
#: footnote [^1] and snake_case words (max_iter, n_out) are not matched.
TEX = re.compile(
    r"\\[A-Za-z]+"
    r"|(?<!\[)\^\S"
    r"|_\{"
    r"|(?<![\w\\])[A-Za-zα-ωΑ-Ω]_[A-Za-z0-9α-ω]{1,2}(?!\w)"
)

#: Chinese (CJK) characters: a blockquote line holding them quotes the document verbatim.
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

#: Markup whose content is not prose: HTML comments, <code>/<pre>/<kbd>/<tt> elements,
#: the targets of links and images.
NOT_PROSE = re.compile(
    r"<!--.*?-->"
    r"|<(code|pre|kbd|tt|samp)\b[^>]*>.*?</\1\s*>"
    r"|(?<=\])\([^)\s]*(\s+\"[^\"]*\")?\)",
    re.DOTALL | re.IGNORECASE,
)

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def _strip_fences(text: str) -> str:
    """Blank the lines of fenced code blocks (``` or ~~~), fences included."""
    out, fence = [], None
    for line in text.split("\n"):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            out.append("")
        elif fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def _strip_math_and_code(text: str) -> tuple[str, list[str]]:
    """Blank math ($…$, $$…$$, \\(…\\), \\[…\\], \\begin…\\end) and code spans, left to right.

    Returns the text (each removed span replaced by a space, line breaks kept)
    and a list of problems: a ``$`` or a code span that is never closed.
    """
    out, problems, i, n = [], [], 0, len(text)

    def blank(span: str) -> str:
        return " " + "\n" * span.count("\n")

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "$`\\":  # an escaped $ or ` is literal
            out.append(text[i : i + 2])
            i += 2
        elif c == "`":
            ticks = re.match(r"`+", text[i:]).group(0)
            end = text.find(ticks, i + len(ticks))
            while end != -1 and text[end + len(ticks) : end + len(ticks) + 1] == "`":
                end = text.find(ticks, end + len(ticks) + 1)
            if end == -1:  # an unmatched backtick run is literal text in Markdown
                out.append(ticks)
                i += len(ticks)
            else:
                out.append(blank(text[i : end + len(ticks)]))
                i = end + len(ticks)
        elif c == "$":
            delimiter = "$$" if text.startswith("$$", i) else "$"
            end = i + len(delimiter)
            while True:
                end = text.find(delimiter, end)
                if end == -1 or text[end - 1] != "\\":
                    break
                end += 1
            if end == -1:
                line = text.count("\n", 0, i)
                problems.append(f"line {line + 1}: {delimiter} never closed: {text[i : i + 40]!r}")
                out.append(" ")
                i += len(delimiter)
            else:
                out.append(blank(text[i : end + len(delimiter)]))
                i = end + len(delimiter)
        elif text.startswith(("\\(", "\\["), i):
            close = "\\)" if text[i + 1] == "(" else "\\]"
            end = text.find(close, i + 2)
            stop = n if end == -1 else end + 2
            out.append(blank(text[i:stop]))
            i = stop
        elif text.startswith("\\begin{", i):
            name = re.match(r"\\begin\{([^}]*)\}", text[i:])
            end = text.find(f"\\end{{{name.group(1)}}}", i) if name else -1
            stop = n if end == -1 else end + len(f"\\end{{{name.group(1)}}}")
            out.append(blank(text[i:stop]))
            i = stop
        else:
            out.append(c)
            i += 1
    return "".join(out), problems


def prose(markdown: str) -> tuple[list[str], list[str]]:
    """The prose lines of a Markdown cell (no math, code, markup targets, document quotes).

    Returns (lines, problems), problems being unclosed ``$``.
    """
    text = NOT_PROSE.sub(" ", _strip_fences(markdown))
    text, problems = _strip_math_and_code(text)
    lines = [
        "" if line.lstrip().startswith(">") and CJK.search(line) else line
        for line in text.split("\n")
    ]
    return lines, problems


def tex_outside_math(markdown: str) -> list[str]:
    """Each TeX fragment outside math mode, with a little context, and each unclosed $."""
    lines, found = prose(markdown)
    for line in lines:
        for match in TEX.finditer(line):
            start, stop = max(0, match.start() - 25), match.end() + 25
            found.append(f"{match.group(0)!r} in …{line[start:stop].strip()}…")
    return found


def _report(path: Path, what: str, fragments: list[tuple[int, str]]) -> None:
    if fragments:
        shown = "\n".join(f"  cell {index}: {text}" for index, text in fragments[:SHOWN])
        more = f"\n  ... and {len(fragments) - SHOWN} more" if len(fragments) > SHOWN else ""
        pytest.fail(
            f"{path.relative_to(ROOT)}: {len(fragments)} {what}:\n{shown}{more}", pytrace=False
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_markdown_formulas_are_typeset(path):
    fragments = [
        (index, fragment)
        for index, cell in enumerate(cells(path))
        if cell["cell_type"] == "markdown"
        for fragment in tex_outside_math(source(cell))
    ]
    _report(path, "TeX fragment(s) outside $…$ in Markdown (put the formula in $…$)", fragments)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_code_cells_carry_no_nbval_marker(path):
    fragments = [
        (index, line.strip())
        for index, cell in enumerate(cells(path))
        if cell["cell_type"] == "code"
        for line in source(cell).splitlines()
        if "NBVAL" in line
    ]
    _report(path, "NBVAL marker(s) in code (use the cell tag nbval-ignore-output)", fragments)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_prose_does_not_mention_nbval(path):
    fragments = [
        (index, line.strip()[:100])
        for index, cell in enumerate(cells(path))
        if cell["cell_type"] == "markdown"
        for line in source(cell).splitlines()
        if "nbval" in line.lower()
    ]
    _report(path, "mention(s) of nbval in Markdown (test-tool jargon)", fragments)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_code_cell_ran_in_order(path):
    fragments, previous = [], 0
    for index, cell in enumerate(cells(path)):
        if cell["cell_type"] != "code":
            continue
        count, first = cell.get("execution_count"), source(cell).strip()[:60]
        if not source(cell).strip():
            fragments.append((index, "an empty code cell: delete it"))
        elif count is None:
            fragments.append((index, f"never executed: {first!r}"))
        elif count <= previous:
            fragments.append((index, f"executed as [{count}] after [{previous}]: {first!r}"))
        previous = count or previous
    _report(
        path,
        "code cell(s) not run top to bottom (re-execute the notebook with jupyter nbconvert)",
        fragments,
    )


# --- the checker can fail ------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l)",
        "# The output layer: σ'(z^L)",
        "the gradient \\frac{∂J}{∂W}",
        "summed with \\sum over i",
        "a_{i} in prose",
        "where x_i is a sample",
        "the Kronecker δ_kj",
        "an unclosed $a^L",
        "> an English rendering of a quote: W^T",
        "`code` then W^T",
        "a^l",
    ],
)
def test_tex_outside_math_is_found(markdown):
    assert tex_outside_math(markdown)


@pytest.mark.parametrize(
    "markdown",
    [
        "δ$^l$ is typeset: $\\delta^l = (W^{l+1})^T \\delta^{l+1} \\odot \\sigma'(z^l)$",
        "$$\n\\frac{\\partial J}{\\partial W^l} = \\delta^l (a^{l-1})^T\n$$",
        "call `bp.train(net, X, Y, max_iter=10)` or ``a^T_{x}``",
        "```python\nW^T_{l}\n```",
        "> 计算 $a^{i,l}$ 和 W^l 的值 (the document, verbatim)",
        "snake_case names such as max_iter, n_out, record_loss stay prose",
        "a footnote[^1] and a price of 5 \\$ and a [link](https://x.org/a_{b}^c)",
        "\\begin{align}a^L &= \\sigma(z^L)\\end{align}",
        "<code>z^l</code>",
    ],
)
def test_typeset_or_quoted_tex_passes(markdown):
    assert tex_outside_math(markdown) == []
