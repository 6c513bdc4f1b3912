"""The Chinese edition (中文版) runs the same code as the English one (issue 18).

Layout: the twin of ``notebooks/NN_name.ipynb`` is ``notebooks/zh/NN_name.ipynb``,
the twin of ``exercises/NN_name.ipynb`` is ``exercises/zh/NN_name.ipynb``.

Decisions, one for both editions:

- code cells, their outputs, their execution counts, their ids and their cell
  metadata (tags) are IDENTICAL in both editions; so are the notebooks' own
  metadata (kernel). ``tools/sync_zh.py`` copies them from the English
  notebook, so a change of code is made once: re-execute the English notebook,
  then run ``python tools/sync_zh.py``;
- printed messages, plot titles and labels, and the exercise checker's
  diagnoses stay in English, in both editions, since outputs are identical;
  comments inside code cells are code and stay as they are; formulas ($…$) are
  the same in both editions;
- only Markdown cells are translated, and each Chinese notebook has the same
  cells in the same order as its English twin (same number, same types);
- every HTML anchor id (``<a id="errata">``, ``e1`` … ``e18``, ``notes``) is the
  same in both editions, so a link ``…#e9`` works in either; a link from a
  Chinese notebook to another notebook goes to that notebook's Chinese twin
  when there is one (to the English notebook only while there is none), and
  every relative link resolves, fragment included.

What counts as Chinese prose (one rule per Markdown cell): math ($…$, $$…$$),
code spans, fenced code, HTML tags and comments, link targets and bare URLs
are removed, and so are the blockquote lines that quote the document (they
hold Chinese or only formulas). Of what is left, a cell with at most
FEW_WORDS Latin words (names such as DNN, NumPy, Hadamard, Max) passes; any
other must have at least MIN_CJK_SHARE of its letters CJK (a CJK character
counts one, a Latin letter one: an untranslated English paragraph of the same
content as its translation brings the share well below it). And no line may
be an English sentence: ENGLISH_LINE_WORDS or more Latin words with no CJK at
all, which catches a paragraph left untranslated in a long cell.

The twins are those that exist, so the edition can grow a notebook at a time;
``test_every_english_notebook_has_a_twin`` lists those still missing, and
fails while any is.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_spec = importlib.util.spec_from_file_location("sync_zh", ROOT / "tools" / "sync_zh.py")
sync_zh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_zh)

ENGLISH = sync_zh.english_notebooks(ROOT)
PAIRS = [(en, sync_zh.twin_of(en)) for en in ENGLISH if sync_zh.twin_of(en).is_file()]
IDS = [str(zh.relative_to(ROOT)) for _, zh in PAIRS]

#: A cell with at most this many Latin words left (names, symbols) is not judged.
FEW_WORDS = 2
#: Otherwise at least this share of its letters must be CJK characters.
MIN_CJK_SHARE = 0.30
#: A line with this many Latin words and no CJK character is an English sentence.
ENGLISH_LINE_WORDS = 8
#: How many offending cells a failure shows.
SHOWN = 10

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
NOT_PROSE = [
    re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1", re.DOTALL | re.MULTILINE),  # fenced code
    re.compile(r"<!--.*?-->", re.DOTALL),  # HTML comments
    re.compile(r"<(code|pre|kbd|tt|samp)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE),
    re.compile(r"\$\$.*?\$\$", re.DOTALL),  # display math
    re.compile(r"(?<!\\)\$(?:\\.|[^$\\])+?\$"),  # inline math
    re.compile(r"(`+).+?\1", re.DOTALL),  # code spans
    re.compile(r"<[^<>\n]+>"),  # HTML tags, autolinks <https://...>
    re.compile(r"(?<=\])\([^)\s]*(?:\s+\"[^\"]*\")?\)"),  # link targets
    re.compile(r"https?://\S+"),  # bare URLs
]
ANCHOR = re.compile(r"<a\s+(?:id|name)\s*=\s*\"([^\"]+)\"", re.IGNORECASE)
LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def text_of(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def prose(markdown: str) -> str:
    """The translatable prose of a Markdown cell: no math, code, markup, URLs or quotes."""
    for pattern in NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    kept = []
    for line in markdown.split("\n"):
        if line.lstrip().startswith(">") and (CJK.search(line) or not LATIN_WORD.search(line)):
            continue  # the document quoted verbatim, or a quoted formula
        kept.append(line)
    return "\n".join(kept)


def not_chinese(markdown: str) -> str | None:
    """None if the cell is Chinese prose (or holds no prose), else why not."""
    text = prose(markdown)
    for line in text.split("\n"):
        words = LATIN_WORD.findall(line)
        if len(words) >= ENGLISH_LINE_WORDS and not CJK.search(line):
            return f"an English line: {line.strip()[:70]!r}"
    words = LATIN_WORD.findall(text)
    if len(words) <= FEW_WORDS:
        return None
    cjk, latin = len(CJK.findall(text)), sum(len(w) for w in words)
    share = cjk / (cjk + latin)
    if share < MIN_CJK_SHARE:
        sample = " ".join(words)[:70]
        return f"{share:.0%} of its letters are CJK ({len(words)} Latin words): {sample!r}"
    return None


def anchors(nb: dict) -> list[str]:
    return [
        a
        for cell in nb["cells"]
        if cell["cell_type"] == "markdown"
        for a in ANCHOR.findall(text_of(cell))
    ]


def _fail(path: Path, what: str, found: list[str]) -> None:
    if found:
        shown = "\n".join(f"  {item}" for item in found[:SHOWN])
        more = f"\n  ... and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        pytest.fail(f"{sync_zh.shown(path)}: {what}:\n{shown}{more}", pytrace=False)


# --- every twin ----------------------------------------------------------------------------


@pytest.mark.parametrize(("english", "chinese"), PAIRS, ids=IDS)
def test_same_cells_in_the_same_order(english, chinese):
    problem = sync_zh.structure_difference(load(english), load(chinese))
    _fail(chinese, f"not the cells of {sync_zh.shown(english)}", [problem] if problem else [])


@pytest.mark.parametrize(("english", "chinese"), PAIRS, ids=IDS)
def test_code_cells_and_outputs_are_identical(english, chinese):
    en, zh = load(english), load(chinese)
    found = [f"notebook {key}" for key in sync_zh.NOTEBOOK_KEYS if en.get(key) != zh.get(key)]
    for index, (e, z) in enumerate(zip(en["cells"], zh["cells"], strict=False)):
        if e["cell_type"] == "code" == z["cell_type"]:
            fields = [k for k in sync_zh.CODE_KEYS if e.get(k) != z.get(k)]
            if fields:
                found.append(f"cell {index}: {', '.join(fields)} differ ({text_of(e)[:50]!r})")
    _fail(
        chinese,
        "code differs from the English edition; re-execute the English notebook, "
        "then run `python tools/sync_zh.py`",
        found,
    )


@pytest.mark.parametrize(("english", "chinese"), PAIRS, ids=IDS)
def test_markdown_is_chinese_prose(english, chinese):
    found = []
    for index, cell in enumerate(load(chinese)["cells"]):
        if cell["cell_type"] == "markdown":
            why = not_chinese(text_of(cell))
            if why:
                found.append(f"cell {index}: {why}")
    _fail(chinese, "Markdown cell(s) not translated", found)


@pytest.mark.parametrize(("english", "chinese"), PAIRS, ids=IDS)
def test_anchors_match_the_english_edition(english, chinese):
    en, zh = anchors(load(english)), anchors(load(chinese))
    found = [f"only in English: {a}" for a in en if a not in zh]
    found += [f"only in Chinese: {a}" for a in zh if a not in en]
    found += [f"twice: {a}" for a in sorted(set(zh)) if zh.count(a) > 1]
    _fail(chinese, "HTML anchors differ from the English edition's", found)


@pytest.mark.parametrize(("english", "chinese"), PAIRS, ids=IDS)
def test_links_resolve_to_the_chinese_edition(english, chinese):
    found = []
    for index, cell in enumerate(load(chinese)["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for target in LINK.findall(text_of(cell)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            path, _, fragment = target.partition("#")
            file = (chinese.parent / path).resolve() if path else chinese
            if not file.is_file():
                found.append(f"cell {index}: {target}: no such file")
                continue
            twin = sync_zh.twin_of(file)
            if file in ENGLISH and twin.is_file():
                found.append(f"cell {index}: {target}: link the Chinese twin {twin.name}")
            if fragment and fragment not in anchors(load(file)):
                found.append(f"cell {index}: {target}: no anchor {fragment!r} there")
    _fail(chinese, "broken or English-edition links", found)


def test_every_english_notebook_has_a_twin():
    missing = [str(en.relative_to(ROOT)) for en in ENGLISH if not sync_zh.twin_of(en).is_file()]
    assert not missing, f"{len(missing)} English notebook(s) without a Chinese twin: {missing}"


def test_the_twins_are_in_sync():
    """`python tools/sync_zh.py --check` finds nothing to do."""
    assert sync_zh.main(["--check", *(str(en) for en, _ in PAIRS)]) == 0


# --- the checks can fail -------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "## Check: one sample\n\nA 3-4-2 sigmoid network, one sample $x$ and its target $y$.",
        "**What to notice.**\n\n- The tangent touches the curve at $w_0$ and has its slope.",
        "## 小结\n\n- 一个样本。\n- The loss is written for one sample, but the update sums it.",
        "| # | The document says | Verdict |\n|---|---|---|\n| E1 | “反向传播” | **Loose.** Back "
        "propagation usually names only the computation of the gradients by the recursion. |",
        "> Recall the supervised problems we met before, with m training samples.",
    ],
)
def test_english_prose_is_found(markdown):
    assert not_chinese(markdown)


@pytest.mark.parametrize(
    "markdown",
    [
        "## 检验：一个样本\n\n一个 3-4-2 的 sigmoid 网络，一个样本 $x$，目标 $y$ $(2, 1)$。",
        "$$\\frac{\\partial J}{\\partial W^L} = \\delta^L (a^{L-1})^T$$",
        "> 初始时，我们会随机选择一系列 $W, b$ ，然后利用[神经网络之前向传播算法](#)中介绍到的"
        " $a^l = \\sigma(z^l)$",
        '<a id="notes"></a>\n### 说明：看似错误、其实不是的地方',
        "`bp.losses.mse` 是对各列求和的 $J$；`bp.train(net, X, Y, alpha=0.5)` 运行它。",
        "| 名称 | $\\sigma(z)$ |\n|---|---|\n| `sigmoid` | $1/(1+e^{-z})$ |",
        "上一篇：[`02_loss.ipynb`](02_loss.ipynb) · 博客 <https://weizhixiaoyi.com>",
        "PyTorch 的 `MSELoss` 对输出和样本都取平均，scikit-learn 报告的损失也是这样。",
    ],
)
def test_chinese_prose_passes(markdown):
    assert not_chinese(markdown) is None


def _notebook(*cells: tuple[str, str, list]) -> dict:
    return {
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source}
            | ({"execution_count": 1, "outputs": outputs} if kind == "code" else {})
            for kind, source, outputs in cells
        ],
        "metadata": {"kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _pair(tmp_path: Path, english: dict, chinese: dict) -> tuple[Path, Path]:
    (tmp_path / "notebooks" / "zh").mkdir(parents=True)
    en, zh = tmp_path / "notebooks" / "01_x.ipynb", tmp_path / "notebooks" / "zh" / "01_x.ipynb"
    en.write_text(sync_zh.dumps(english), encoding="utf-8")
    zh.write_text(sync_zh.dumps(chinese), encoding="utf-8")
    return en, zh


def test_sync_copies_code_and_keeps_the_translation(tmp_path):
    out = [{"name": "stdout", "output_type": "stream", "text": "J = 0.1\n"}]
    english = _notebook(("markdown", "# The loss", []), ("code", "print(J)", out))
    chinese = _notebook(("markdown", "# 损失函数", []), ("code", "print(old)", []))
    en, zh = _pair(tmp_path, english, chinese)
    assert sync_zh.main(["--check", str(en)]) == 1
    assert load(zh) == chinese  # --check writes nothing
    assert sync_zh.main([str(en)]) == 0
    synced = load(zh)
    assert synced["cells"][0]["source"] == "# 损失函数"
    assert synced["cells"][1] == english["cells"][1]
    assert sync_zh.main(["--check", str(en)]) == 0
    assert not list(zh.parent.glob(".*.tmp"))


def test_sync_refuses_a_different_structure(tmp_path, capsys):
    english = _notebook(("markdown", "# The loss", []), ("code", "print(J)", []))
    chinese = _notebook(("markdown", "# 损失函数", []), ("markdown", "多出来的一段", []))
    en, zh = _pair(tmp_path, english, chinese)
    before = zh.read_text(encoding="utf-8")
    assert sync_zh.main([str(en)]) == 1
    assert zh.read_text(encoding="utf-8") == before
    assert "cell 1 is code in English" in capsys.readouterr().err

    chinese = _notebook(("markdown", "# 损失函数", []))
    zh.write_text(sync_zh.dumps(chinese), encoding="utf-8")
    assert sync_zh.main([str(en)]) == 1
    assert "2 cells in English, 1 in Chinese; cell 1 exists only in the English" in (
        capsys.readouterr().err
    )
