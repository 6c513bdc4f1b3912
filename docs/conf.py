"""Sphinx configuration of bp's static site: two books, English and Chinese.

``docs/build`` runs Sphinx twice with this file: the English book from ``docs/`` into
``docs/_build/html``, and the Chinese book (``-t zh``) from ``docs/_zh`` (a git-ignored folder
this file fills) into ``docs/_build/html/zh``. Each book has its own sidebar, its own
previous/next chain, its own search index (the Chinese one segmented by jieba) and, in
Chinese, the interface of Sphinx and the theme in Chinese (``language = "zh_CN"``). The
language switch leads from each page to the same page of the other book.

A book holds: its front page (``docs/index.md``, ``docs/index.zh-CN.md``), the notebooks
(``notebooks/``, ``notebooks/zh/``), the exercises and their solutions (``exercises/``,
``exercises/zh/``, ``exercises/solutions/``), and a page for developers made from the
README's sections; the English book also the API reference. Nothing is executed: the
notebooks are rendered from their stored outputs, from git-ignored copies refreshed on every
build.

Math is typeset when the site is built, not in the reader's browser: every formula is
rendered once by MathJax 3 under Node (``docs/_vendor``, the npm package that
``docs/build`` installs) into CommonHTML, with one stylesheet for the site and MathJax's
fonts served from ``_static/mathjax``. A page loads no MathJax script, and a page without
math loads no math stylesheet. No page loads anything from another host.
"""

from __future__ import annotations

import html
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from docutils.transforms import Transform
from sphinx import addnodes
from sphinx.errors import ConfigError
from sphinx.ext import mathjax as sphinx_mathjax
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

HERE = Path(__file__).resolve().parent  # docs/: the configuration of both books
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # autodoc imports bp from this checkout

ZH = tags.has("zh")  # noqa: F821 (Sphinx gives this file its build tags)
SOURCE = HERE / "_zh" if ZH else HERE  # the book's source folder
ZH_OUT = "zh"  # the Chinese book's folder in the English one's output

# The Chinese book's search: jieba segments the pages' text into words; the book's own terms
# (docs/zh_search_words.txt) are words to it too, so that a search for 反向传播 finds every page
# that has it, not only those where jieba's own dictionary happens to keep it whole. Words of
# at most four characters only: jieba's search mode splits a longer word into its two- and
# three-character parts, so 反向传播算法 as a word would hide 反向传播 inside it.
html_search_options = {"dict": str(HERE / "zh_search_words.txt")} if ZH else {}

if ZH:
    import logging

    import jieba  # the Chinese search index's word segmentation: quiet about its dictionary

    jieba.setLogLevel(logging.WARNING)
    project = "bp：反向传播，逐步推导，逐一检验"
    language = "zh_CN"
else:
    project = "bp — back propagation, derived and checked"
    language = "en"
author = "The bp developers"
copyright = "the bp developers, MIT licence"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.mathjax"]
root_doc = "index"
exclude_patterns = [
    "_build",
    "_vendor",
    "_zh",
    "index.zh-CN.md",
    "**/.ipynb_checkpoints",
    "Thumbs.db",
    ".DS_Store",
]
templates_path = ["_templates"]

# The notebooks: stored outputs only, never executed here.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_dmath_double_inline = True
# `[text](other.ipynb#a-heading)` resolves against the headings' slugs, which are also the
# headings' ids (``WordIds``): `#推导`, not `#id1`.
myst_heading_anchors = 4

# autodoc: one entry per public module, members in source order, signatures as written.
autodoc_default_options = {"members": True, "member-order": "bysource", "undoc-members": False}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_class_signature = "separated"

# The theme.
html_theme = "sphinx_book_theme"
html_title = project
html_copy_source = True
html_sourcelink_suffix = ""  # the download button serves the .ipynb itself
html_show_sphinx = False
html_last_updated_fmt = None
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # the link to this page in the other book (English ↔ 中文), then the theme's buttons
    "article_header_end": ["bp-language-switch.html", "article-header-buttons.html"],
    # how to run a notebook yourself, under every notebook and exercise
    "article_footer_items": ["bp-run-yourself.html"],
}
# Light unless the reader switches (an empty mode logs a console error in the theme).
html_context = {"default_mode": "light"}
html_sidebars = {
    "**": [
        "navbar-logo.html",
        "search-button-field.html",
        "sbt-sidebar-nav.html",
        "bp-reference.html",
    ]
}
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico and gets a 404
html_js_files = ["bp.js"]  # phone navigation, the download button, images at full size
html_css_files = ["bp.css"]
# Formulas are rendered at build time (see the module's docstring): the renderer
# "bp_static" writes what sphinx.ext.mathjax writes, and no script is added to any page.
html_math_renderer = "bp_static"

MATHJAX_NPM = HERE / "_vendor" / "node_modules" / "mathjax" / "es5"
MATH_CSS = "bp-math.css"  # in _static: the CommonHTML styles of every formula of the book
MATH_RENDERER = HERE / "_static" / "bp_math.js"


def _check_mathjax(app) -> None:
    if app.builder.format == "html" and not (MATHJAX_NPM / "tex-chtml.js").is_file():
        raise ConfigError(
            f"MathJax is missing: {MATHJAX_NPM}. Run docs/build, which installs the npm "
            "package mathjax@3 there."
        )


def _public_modules() -> list[str]:
    return [
        f"bp.{m.name}"
        for m in pkgutil.iter_modules([str(ROOT / "bp")])
        if not m.name.startswith("_")
    ]


def _api_source(app, docname, source) -> None:
    """docs/api.rst lists bp's modules in the document's order; a public module it does not
    list yet (a new one) is added at the end, so that the API page always has them all."""
    if docname != "api":
        return
    listed = set(re.findall(r"^\.\. automodule:: (bp(?:\.\w+)?)\s*$", source[0], re.M))
    for name in _public_modules():
        if name not in listed:
            source[0] += f"\n.. automodule:: {name}\n"


def _escape(text: str) -> str:
    """reStructuredText-escape plain text, leaving ``inline literals`` as they are."""
    parts = re.split(r"(``.*?``)", text)
    for j in range(0, len(parts), 2):
        t = parts[j].replace("\\", "\\\\")
        t = re.sub(r"([|*`])", r"\\\1", t)
        t = re.sub(r"(\w)_(?=\W|$)", r"\1\\_", t)
        parts[j] = t
    return "".join(parts)


def _plain_docstring(app, what, name, obj, options, lines) -> None:
    """bp's docstrings are plain text written for ``help()``, with Unicode math (σ, δ, ⊙,
    |ΔW|) and layouts made with spaces. Show them as written: the first paragraph as
    text (``|``, ``*``, ``_`` escaped), the rest as a preformatted block.
    """
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return
    n = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    summary = " ".join(line.strip() for line in lines[:n])
    rest = lines[n:]
    while rest and not rest[0].strip():
        rest.pop(0)
    out = [_escape(summary)]
    if rest:
        out += ["", "::", ""] + ["    " + line for line in rest]
    out.append("")
    lines[:] = out


def _empty_links_as_text(app, doctree) -> None:
    """The document's `[words](#)` links point nowhere: show their words as plain text."""
    for ref in list(doctree.findall(addnodes.pending_xref)):
        if ref.get("reftype") == "myst" and ref.get("reftarget", "").strip("#") == "":
            ref.replace_self(nodes.inline("", "", *ref.children))
    for ref in list(doctree.findall(nodes.reference)):
        if ref.get("refuri") in ("#", "") and not ref.get("refid"):
            ref.replace_self(nodes.inline("", "", *ref.children))


class RawHtmlAnchors(SphinxTransform):
    """Turn the notebooks' HTML anchors, ``<a id="route"></a>``, into Sphinx targets.

    Jupyter links to them as ``[below](#route)`` or ``[errata](00_....ipynb#errata)``.
    MyST does not see ids inside raw HTML, so this transform makes each one a target,
    records it in the document's metadata, and resolves the document's own ``#route``
    links; ``ResolveHtmlAnchorLinks`` resolves the links from other notebooks. A link to
    an anchor that exists nowhere is left to MyST, which fails the build (-W).
    """

    default_priority = 200  # before MyST's ResolveAnchorIds (879)
    WHOLE = re.compile(r'^\s*(?:<a\s+(?:id|name)\s*=\s*"[^"]+"\s*>\s*</a>\s*)+$')
    OPEN = re.compile(r'^\s*<a\s+(?:id|name)\s*=\s*"[^"]+"\s*>\s*$')
    CLOSE = re.compile(r"^\s*</a>\s*$")
    ID = re.compile(r'(?:id|name)\s*=\s*"([^"]+)"')

    def apply(self, **kwargs) -> None:
        anchors: list[str] = []
        for raw in list(self.document.findall(nodes.raw)):
            if raw.parent is None or "html" not in raw.get("format", "").split():
                continue
            text = raw.astext()
            if self.WHOLE.match(text):
                raw.replace_self(self._targets(text, anchors))
            elif self.OPEN.match(text):
                # inline HTML: MyST gives `<a id="x">` and `</a>` as two raw nodes
                after = raw.next_node(descend=False, siblings=True)
                if isinstance(after, nodes.raw) and self.CLOSE.match(after.astext()):
                    after.parent.remove(after)
                    raw.replace_self(self._targets(text, anchors))
        if not anchors:
            return
        self.env.metadata[self.env.docname]["bp_html_anchors"] = anchors
        for ref in self.document.findall(nodes.reference):
            if ref.get("id_link") and ref.get("refuri", "")[1:] in anchors:
                ref["refid"] = ref["refuri"][1:]
                del ref["refuri"], ref["id_link"]

    def _targets(self, text: str, anchors: list[str]) -> list[nodes.target]:
        targets = []
        for anchor in self.ID.findall(text):
            anchors.append(anchor)
            if anchor in self.document.ids:
                continue  # a heading already has this id
            target = nodes.target("", "", ids=[anchor])
            self.document.ids[anchor] = target
            targets.append(target)
        return targets


class ResolveHtmlAnchorLinks(SphinxPostTransform):
    """``[errata](00_problem_and_notation.ipynb#errata)``: a link to another notebook's
    HTML anchor (see ``RawHtmlAnchors``) becomes a plain internal link."""

    default_priority = 8  # before MyST's reference resolver (9)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") != "doc":
                continue
            docname, anchor = node["reftarget"], node.get("reftargetid")
            if anchor not in self.env.metadata.get(docname, {}).get("bp_html_anchors", ()):
                continue
            uri = self.app.builder.get_relative_uri(node.get("refdoc", self.env.docname), docname)
            ref = nodes.reference("", "", internal=True, refuri=f"{uri}#{anchor}")
            ref += node[0].children if node[0].children else [nodes.Text(anchor)]
            node.replace_self(ref)


def _sync_notebooks(app, config) -> None:
    """Copy notebooks/*.ipynb (and notebooks/zh/*.ipynb) to docs/notebooks, git-ignored.

    Sphinx reads only files under docs/; a symbolic link would do, but MyST then resolves
    the notebooks' relative links against the link's target and cannot find them.
    Copies keep their times, so an unchanged notebook is not read again.
    """
    for sub in ("", "zh"):
        src, dst = ROOT / "notebooks" / sub, HERE / "notebooks" / sub
        wanted = {p.name: p for p in src.glob("*.ipynb")} if src.is_dir() else {}
        if wanted:
            dst.mkdir(parents=True, exist_ok=True)
        for old in dst.glob("*.ipynb") if dst.is_dir() else []:
            if old.name not in wanted:
                old.unlink()
        for name, path in wanted.items():
            target = dst / name
            if not target.exists() or target.read_bytes() != path.read_bytes():
                shutil.copy2(path, target)


# ---------------------------------------------------------------------------------------------
# The book's sources: copies of the notebooks and exercises, the solutions' pages, the
# developer page (from the README), and for the Chinese book its front page.

EXERCISES_SRC = ROOT / "exercises" / "zh" if ZH else ROOT / "exercises"
NOTEBOOKS_SRC = ROOT / "notebooks" / "zh" if ZH else ROOT / "notebooks"
SOLUTIONS_SRC = ROOT / "exercises" / "solutions"
README = ROOT / "README.zh-CN.md" if ZH else ROOT / "README.md"
# The README's sections that make the developer page (by the start of their heading); the
# notebooks' table and the introduction are the front page's.
DEVELOPER_SECTIONS = (
    ("快速上手", "约定", "使用 bp", "命令行", "项目结构", "引用", "许可证")
    if ZH
    else (
        "Quick start",
        "Conventions",
        "Using bp",
        "Command line",
        "Project layout",
        "Citing",
        "License",
    )
)
WORDS = {  # the few words this file writes into pages, in the book's language
    "developer": "开发者指南：bp 的包、测试与 CI"
    if ZH
    else "For developers: the package, its tests and CI",
    "developer_intro": (
        "这一页取自仓库的 README：安装与测试、bp 的用法、命令行、项目结构与 CI。"
        "学习者请从[首页](index.md)开始。"
        if ZH
        else "This page is the README of the repository: installing and testing, using bp, "
        "the command line, the project's layout and CI. Learners start at the "
        "[front page](index.md)."
    ),
    "solution": "参考答案" if ZH else "Solution",
    "solution_intro": (
        "[练习 {n}]({ipynb}) 的参考答案，即仓库中的 `exercises/solutions/{py}`。"
        "运行它会用 `bp.exercises.check` 检查其中每个函数：`python exercises/solutions/{py}`。"
        if ZH
        else "The solutions of [exercise {n}]({ipynb}), as in the repository's "
        "`exercises/solutions/{py}`. Running it checks each function with "
        "`bp.exercises.check`: `python exercises/solutions/{py}`."
    ),
    "reference": ("术语表", "勘误表") if ZH else ("Glossary", "Errata"),
}


def _write(path: Path, text: str | bytes) -> None:
    """Write only when the content changed (Sphinx then reads only what changed)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _prune(folder: Path, pattern: str, keep: set[str]) -> None:
    for old in folder.glob(pattern) if folder.is_dir() else []:
        if old.name not in keep:
            old.unlink()


def _exercise_copy(path: Path) -> bytes:
    """An exercise notebook as the site reads it: its links to the solutions lead to their
    pages, and (Chinese) its links to ``../../notebooks/zh/`` to this book's notebooks. The
    download button still gives the notebook as it is in the repository (``_restore_sources``).
    """
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\]\((?:\.\./)?solutions/(\w+)\.py\)", r"](solutions/\1.md)", text)
    text = text.replace("](../../notebooks/zh/", "](../notebooks/")
    return text.encode("utf-8")


def _title_of(notebook: Path) -> str:
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^# (.+)$", "".join(cell["source"]), re.M)
            if match:
                return match.group(1).strip()
    return notebook.stem


def _readme_sections(text: str, wanted: tuple[str, ...]) -> str:
    """The README's ``## `` sections whose titles start with one of ``wanted``, in order."""
    parts = re.split(r"^(?=## )", text, flags=re.M)
    return "".join(p for p in parts[1:] if p[3:].startswith(wanted))


def _developer_page() -> str:
    body = _readme_sections(README.read_text(encoding="utf-8"), DEVELOPER_SECTIONS)

    def fix(match: re.Match) -> str:  # links to the repository's files: to the site's pages
        target = match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            return match.group(0)
        return f"{match.group(1)}{target}{match.group(3) or ''})"

    body = re.sub(r"(\]\()([^)\s]+)(\s+\"[^\"]*\")?\)", fix, body)
    return f"# {WORDS['developer']}\n\n{WORDS['developer_intro']}\n\n{body}"


def _sync_sources(app, config) -> None:
    """Fill the book's source folder: docs/ for the English book, docs/_zh/ for the Chinese
    one (both git-ignored but for docs/index.md, docs/index.zh-CN.md and docs/api.rst).

    Sphinx reads only files under its source folder; symbolic links would do, but MyST then
    resolves the notebooks' relative links against the links' targets. Copies keep their
    content when unchanged, so an unchanged notebook is not read again.
    """
    notebooks = {p.name: p for p in NOTEBOOKS_SRC.glob("*.ipynb")}
    exercises = {p.name: p for p in EXERCISES_SRC.glob("*.ipynb")}
    for name, path in notebooks.items():
        _write(SOURCE / "notebooks" / name, path.read_bytes())
    _prune(SOURCE / "notebooks", "*.ipynb", set(notebooks))
    for name, path in exercises.items():
        _write(SOURCE / "exercises" / name, _exercise_copy(path))
    _prune(SOURCE / "exercises", "*.ipynb", set(exercises))
    solutions = set()
    for name, exercise in exercises.items():
        py = SOLUTIONS_SRC / (Path(name).stem + ".py")
        if not py.is_file():
            continue
        page = SOURCE / "exercises" / "solutions" / (py.stem + ".md")
        include = os.path.relpath(py, page.parent)
        number = py.stem.split("_")[0]
        title = re.sub(r"^(Exercise|练习)\s*", "", _title_of(exercise))
        intro = WORDS["solution_intro"].format(n=number, ipynb=f"../{name}", py=py.name)
        _write(
            page,
            f"---\norphan: true\n---\n\n# {WORDS['solution']} {title}\n\n{intro}\n\n"
            f"```{{literalinclude}} {include}\n:language: python\n```\n",
        )
        solutions.add(page.name)
    _prune(SOURCE / "exercises" / "solutions", "*.md", solutions)
    _write(SOURCE / "developer.md", _developer_page())
    if ZH:
        _write(SOURCE / "index.md", (HERE / "index.zh-CN.md").read_bytes())
    for old in HERE.glob("*.md"):  # pages of earlier builds (the README's Markdown files)
        if old.name not in ("index.md", "index.zh-CN.md", "developer.md"):
            old.unlink()
    old_zh = HERE / "notebooks" / "zh"  # the Chinese notebooks lived in the English book
    if old_zh.is_dir():
        shutil.rmtree(old_zh)


def _restore_sources(app, exception) -> None:
    """The download button of an exercise gives the notebook as it is in the repository."""
    if exception is not None or app.builder.format != "html":
        return
    for path in EXERCISES_SRC.glob("*.ipynb"):
        target = Path(app.outdir) / "_sources" / "exercises" / path.name
        if target.is_file():
            shutil.copy2(path, target)


def _check_notebooks_are_json(app, config) -> None:
    """A notebook that is not JSON (a merge conflict): say which, before Sphinx does."""
    for path in sorted([*ROOT.glob("notebooks/**/*.ipynb"), *ROOT.glob("exercises/**/*.ipynb")]):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ConfigError(f"{path.relative_to(ROOT)} is not a notebook: {error}") from None


# ---------------------------------------------------------------------------------------------
# Titles without TeX: the <title>, the search index and print get plain text (δ^l as δˡ).

GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Omega": "Ω",
    "partial": "∂",
    "nabla": "∇",
    "odot": "⊙",
    "cdot": "·",
    "times": "×",
    "sum": "Σ",
    "prod": "Π",
    "leftarrow": "←",
    "rightarrow": "→",
    "to": "→",
    "dots": "…",
    "ldots": "…",
    "cdots": "⋯",
    "lVert": "‖",
    "rVert": "‖",
    "Vert": "‖",
    "|": "‖",
    "approx": "≈",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "in": "∈",
    "infty": "∞",
    "mid": "|",
    "ell": "ℓ",
    "quad": " ",
    ",": " ",
    ";": " ",
    "!": "",
    "top": "ᵀ",
    "prime": "′",
    "log": "log",
    "ln": "ln",
    "exp": "exp",
    "max": "max",
    "min": "min",
    "tanh": "tanh",
}
SUPER = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW,",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ˒",
        strict=True,
    )
)
SUB = dict(
    zip("0123456789+-=()aehijklmnoprstuvx,", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ‚", strict=True)
)


def _script(text: str, table: dict[str, str], mark: str) -> str:
    if text and all(c in table for c in text.replace(" ", "")):
        return "".join(table[c] for c in text.replace(" ", ""))
    return f"{mark}{text}" if len(text) == 1 else f"{mark}({text})"


def plain_tex(tex: str) -> str:
    """TeX of a title as plain Unicode: ``\\delta^l`` → δˡ, ``(W^{l+1})^T`` → (Wˡ⁺¹)ᵀ,
    ``\\partial J / \\partial W^l`` → ∂J/∂Wˡ."""
    t = re.sub(r"\\(?:left|right|big|Big|bigl|bigr)\b", "", tex)
    t = re.sub(r"\\(?:text|mathrm|mathbf|mathit|operatorname|boldsymbol)\s*\{([^{}]*)\}", r"\1", t)
    t = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"\1/\2", t)
    t = re.sub(r"\\([A-Za-z]+|[|,;!])", lambda m: GREEK.get(m.group(1), m.group(1)), t)
    t = t.replace("'", "′")
    for _ in range(3):  # innermost groups first
        t = re.sub(r"\^\{([^{}]*)\}", lambda m: _script(m.group(1), SUPER, "^"), t)
        t = re.sub(r"_\{([^{}]*)\}", lambda m: _script(m.group(1), SUB, "_"), t)
        t = re.sub(r"\^(\w|′)", lambda m: _script(m.group(1), SUPER, "^"), t)
        t = re.sub(r"_(\w)", lambda m: _script(m.group(1), SUB, "_"), t)
    t = t.replace("^′", "′").replace("{", "").replace("}", "")
    t = re.sub(r"\s*/\s*", "/", t)
    return re.sub(r"\s+", " ", t).strip()


MATH_SPAN = re.compile(
    r'<span class="math notranslate nohighlight">\\\((.*?)\\\)</span>|\$([^$]+)\$', re.S
)


def plain_title(title: str) -> str:
    """A title as Sphinx gives it (HTML with math spans, or Markdown with ``$…$``) as text."""
    text = MATH_SPAN.sub(lambda m: plain_tex(html.unescape(m.group(1) or m.group(2))), title)
    text = re.sub(r"\\\((.*?)\\\)", lambda m: plain_tex(m.group(1)), text)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _plain_doc_title(app, docname: str) -> str:
    """A page's title with its formulas as plain text (``04 · The recursion for δˡ``)."""
    title = app.env.titles.get(docname)
    if title is None:
        return ""
    title = title.deepcopy()
    for math in list(title.findall(nodes.math)):
        math.replace_self(nodes.Text(plain_tex(math.astext())))
    return title.astext()


def _plain_page_titles(app, pagename, templatename, context, doctree) -> None:
    """The <title> (the browser tab, bookmarks), and the heading the theme prints on paper,
    in plain text. Runs after the theme's own handler (priority), which sets the latter."""
    if context.get("title"):
        context["title"] = plain_title(context["title"])
    if context.get("pagetitle"):
        context["pagetitle"] = _plain_doc_title(app, pagename) or plain_title(context["pagetitle"])


def _plain_search_titles(app) -> None:
    """The search index's titles (pages and sections) in plain text: the search results
    show them as text, where no TeX can render."""
    if app.builder.format != "html" or not hasattr(app.builder, "index_page"):
        return
    index_page = app.builder.index_page

    def plain_index_page(pagename, doctree, title):
        doctree = doctree.deepcopy()
        for math in list(doctree.findall(nodes.math)):
            math.replace_self(nodes.Text(plain_tex(math.astext())))
        index_page(pagename, doctree, _plain_doc_title(app, pagename) or plain_title(title))

    app.builder.index_page = plain_index_page


# ---------------------------------------------------------------------------------------------
# Heading anchors that are words: a heading's slug (MyST's, `推导` for a Chinese title) is its
# id, not docutils' `id1` (docutils keeps only ASCII letters in an id).

AUTO_ID = re.compile(r"^id\d+$")


class WordIds(Transform):
    default_priority = 701  # after MyST's AddSlugIds (700), before its ResolveAnchorIds

    def apply(self, **kwargs) -> None:
        slugs = getattr(self.document, "myst_slugs", {})
        for node in self.document.findall(nodes.section):
            slug = node.get("slug")
            if not slug or slug not in node["ids"] or not AUTO_ID.match(node["ids"][0]):
                continue
            node["ids"].remove(slug)
            node["ids"].insert(0, slug)
            if slug in slugs:
                line, _, text = slugs[slug]
                slugs[slug] = (line, slug, text)


# ---------------------------------------------------------------------------------------------
# Printed source highlighted as Python: a notebook shows bp's code with `bp.show.source(f)`,
# whose output holds the source twice, as text/plain (what nbval compares) and as text/markdown,
# a fenced ```python block. myst-nb prefers the Markdown and renders it as a code block that
# Pygments highlights (`div.cell_output div.highlight-python`); nothing is done here.

# ---------------------------------------------------------------------------------------------
# Math rendered at build time (see the module's docstring).

MATH_HTML = re.compile(
    r'(<(span|div) class="math notranslate nohighlight"[^>]*>)'  # the element, opened
    r'(\s*<span class="eqno">.*?</span>)?'  # an equation number
    r"(.*?)(</\2>)",
    re.S,
)


def _tex_of(content: str, element: str) -> tuple[str, bool] | None:
    tex = html.unescape(content).strip()
    if element == "span" and tex.startswith("\\(") and tex.endswith("\\)"):
        return tex[2:-2], False
    if tex.startswith("\\[") and tex.endswith("\\]"):
        return tex[2:-2], True
    if element == "div":
        return tex, True
    return None


def _render_math(app, exception) -> None:
    """Typeset every formula of the book's pages with MathJax under Node, in one run; write
    the stylesheet of all of them to _static/bp-math.css and link it from the pages that
    have math. MathJax's fonts are copied to _static/mathjax/woff-v2 (they are loaded only
    for the glyphs a page shows)."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pages = [p for p in out.rglob("*.html") if not p.relative_to(out).parts[0].startswith("_")]
    if ZH:
        pages = [p for p in pages if p.is_file()]
    else:  # the Chinese book lives in out/zh and is rendered by its own build
        pages = [p for p in pages if p.relative_to(out).parts[0] != ZH_OUT]
    texts = {p: p.read_text(encoding="utf-8") for p in pages}
    formulas: dict[tuple[str, bool], int] = {}
    for text in texts.values():
        for match in MATH_HTML.finditer(text):
            found = _tex_of(match.group(4), match.group(2))
            if found is not None:
                formulas.setdefault(found, len(formulas))
    if not formulas:
        return
    done = subprocess.run(
        ["node", str(HERE / "render_math.js"), str(MATHJAX_NPM), "mathjax/woff-v2"],
        input=json.dumps(list(formulas)),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ConfigError(f"docs/render_math.js failed:\n{done.stderr}")
    rendered = json.loads(done.stdout)
    if rendered["errors"]:
        raise ConfigError(f"MathJax could not typeset: {rendered['errors'][:5]}")
    fonts = out / "_static" / "mathjax" / "woff-v2"
    shutil.copytree(
        MATHJAX_NPM / "output" / "chtml" / "fonts" / "woff-v2", fonts, dirs_exist_ok=True
    )
    (out / "_static" / MATH_CSS).write_text(rendered["css"], encoding="utf-8")

    def splice(match: re.Match) -> str:
        found = _tex_of(match.group(4), match.group(2))
        if found is None:
            return match.group(0)
        body = rendered["html"][formulas[found]]
        return f"{match.group(1)}{match.group(3) or ''}{body}{match.group(5)}"

    for page, text in texts.items():
        new = MATH_HTML.sub(splice, text)
        if new == text:
            continue
        css = os.path.relpath(out / "_static" / MATH_CSS, page.parent)
        link = f'<link rel="stylesheet" type="text/css" href="{css}" />\n'
        new = new.replace("</head>", link + "</head>", 1)
        page.write_text(new, encoding="utf-8")


def _setup_math_renderer(app) -> None:
    app.add_html_math_renderer(
        "bp_static",
        (sphinx_mathjax.html_visit_math, None),
        (sphinx_mathjax.html_visit_displaymath, None),
    )


# ---------------------------------------------------------------------------------------------
# The sidebar's links to the glossary and the errata table (docs/_templates/bp-reference.html).

NOTEBOOK_00 = "notebooks/00_problem_and_notation"
TITLES = {"glossary": ("glossary", "术语表"), "errata": ("errata", "勘误")}  # how sections start


def _anchor(app, docname: str, word: str) -> str | None:
    """The fragment of notebook 00 that holds ``word`` (errata, glossary), or None.

    An HTML anchor (``<a id="errata">``) or any element with that id wins; else the
    section whose title starts with the word (or its Chinese, ``TITLES``).
    """
    cache = app.__dict__.setdefault("bp_anchors", {})  # one build; never pickled
    if (docname, word) in cache:
        return cache[docname, word]
    found = None
    if docname in app.env.all_docs:
        doctree = app.env.get_doctree(docname)
        if word in app.env.metadata[docname].get("bp_html_anchors", ()) or any(
            word in node.get("ids", []) for node in doctree.findall(nodes.Element)
        ):
            found = word
        else:
            for section in doctree.findall(nodes.section):
                title = section.next_node(nodes.title)
                if title is not None and title.astext().lower().startswith(TITLES[word]):
                    found = section["ids"][0]
                    break
    cache[docname, word] = found
    return found


def _page_context(app, pagename, templatename, context, doctree) -> None:
    links = []
    for word, title in zip(("glossary", "errata"), WORDS["reference"], strict=True):
        anchor = _anchor(app, NOTEBOOK_00, word)
        if anchor is None:
            raise ConfigError(f"no '{word}' anchor or heading in {NOTEBOOK_00}.ipynb")
        uri = app.builder.get_relative_uri(pagename, NOTEBOOK_00)
        links.append((title, f"{uri}#{anchor}"))
    context["bp_reference_links"] = links
    context["bp_zh"] = ZH


# ---------------------------------------------------------------------------------------------
# The language switch: from each page to the same page of the other book.

SWITCH = {  # the twin's language: (lang, the link's words, its tooltip)
    "zh-CN": ("zh-CN", "中文", "这一页的中文版"),
    "en": ("en", "English", "This page in English"),
}


def _other_book_docs() -> set[str]:
    """The docnames of the other book (from the repository, before it is built)."""
    notebooks = ROOT / "notebooks" if ZH else ROOT / "notebooks" / "zh"
    exercises = ROOT / "exercises" if ZH else ROOT / "exercises" / "zh"
    docs = {"index", "developer"}
    docs |= {f"notebooks/{p.stem}" for p in notebooks.glob("*.ipynb")}
    for p in exercises.glob("*.ipynb"):
        docs.add(f"exercises/{p.stem}")
        if (SOLUTIONS_SRC / f"{p.stem}.py").is_file():
            docs.add(f"exercises/solutions/{p.stem}")
    if ZH:
        docs.add("api")
    return docs


def _language_switch(app, pagename, templatename, context, doctree) -> None:
    """The language switch (docs/_templates/bp-language-switch.html): on a page whose twin
    is in the other book, a link to it ("中文" on an English page, "English" on a Chinese
    one), and a ``<link rel="alternate" hreflang>`` to it in the head. The Chinese pages say
    so in ``<html lang>``."""
    if ZH:
        context["language"] = "zh-CN"
    context["bp_twin"] = None
    if pagename not in app.__dict__.setdefault("bp_twins", _other_book_docs()):
        return
    depth = pagename.count("/")
    href = ("../" * (depth + 1) if ZH else "../" * depth + ZH_OUT + "/") + pagename + ".html"
    lang, label, title = SWITCH["en" if ZH else "zh-CN"]
    context["bp_twin"] = {"href": href, "lang": lang, "label": label, "title": title}
    context["metatags"] = (
        context.get("metatags", "")
        + f'\n    <link rel="alternate" hreflang="{lang}" href="{href}" />'
    )


def _chinese_search(app) -> None:
    """The Chinese book's search: Sphinx's, with jieba (docs extra), and one fix. Sphinx 9.0's
    language_data.js for Chinese sets ``window.Stemmer = ChineseStemmer``, a class it never
    defines (the search page fails with "ChineseStemmer is not defined"); the stemmer it ships
    for the Latin words of Chinese pages is English's, as in Python, so that is the one named.
    """
    from sphinx.search.zh import SearchChinese

    class SearchChineseStemmedInEnglish(SearchChinese):
        language_name = "English"  # only used to name the JavaScript stemmer (and in logs)

    app.add_search_language(SearchChineseStemmedInEnglish)


def setup(app):
    if ZH:
        _chinese_search(app)
    app.connect("builder-inited", _check_mathjax)
    _setup_math_renderer(app)
    app.connect("builder-inited", _plain_search_titles)
    app.connect("config-inited", _check_notebooks_are_json)
    app.connect("config-inited", _sync_sources)
    app.add_transform(RawHtmlAnchors)
    app.add_transform(WordIds)
    app.add_post_transform(ResolveHtmlAnchorLinks)
    app.connect("source-read", _api_source)
    app.connect("autodoc-process-docstring", _plain_docstring)
    app.connect("doctree-read", _empty_links_as_text)
    app.connect("html-page-context", _page_context)
    app.connect("html-page-context", _language_switch)
    app.connect("html-page-context", _plain_page_titles, priority=900)
    app.connect("build-finished", _restore_sources)
    app.connect("build-finished", _render_math)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
