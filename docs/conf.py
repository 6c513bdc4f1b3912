"""Sphinx configuration of bp's static site (the book).

Build with ``docs/build`` (it installs what is missing and runs ``sphinx-build -W``).
The notebooks are rendered from their stored outputs (nothing is executed);
``docs/notebooks`` is a git-ignored copy of ``../notebooks``, refreshed on every build.
MathJax 3 is served from the site itself: ``docs/build`` installs the npm package
``mathjax@3`` under ``docs/_vendor`` (git-ignored) and this file copies the parts a
page loads into ``_static/mathjax``.
No page loads anything from another host.
"""

from __future__ import annotations

import json
import pkgutil
import re
import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ConfigError
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # autodoc imports bp from this checkout

project = "bp — back propagation, derived and checked"
author = "The bp developers"
copyright = "the bp developers, MIT licence"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.mathjax"]
root_doc = "index"
exclude_patterns = ["_build", "_vendor", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# The notebooks: stored outputs only, never executed here.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_dmath_double_inline = True
# `[text](other.ipynb#a-heading)` resolves against the headings' slugs.
myst_heading_anchors = 4

# autodoc: one entry per public module, members in source order, signatures as written.
autodoc_default_options = {"members": True, "member-order": "bysource", "undoc-members": False}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_class_signature = "separated"

# The theme, and MathJax 3 from the site itself.
html_theme = "sphinx_book_theme"
html_title = "bp — back propagation, derived and checked"
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
    # the link to this page in the other edition (English ↔ 中文), then the theme's buttons
    "article_header_end": ["bp-language-switch.html", "article-header-buttons.html"],
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
html_js_files = ["bp.js"]  # the download button saves the .ipynb
html_css_files = ["bp.css"]
mathjax_path = "mathjax/tex-chtml.js"  # relative to _static

MATHJAX_NPM = HERE / "_vendor" / "node_modules" / "mathjax" / "es5"
# What a page can load: the combined TeX → CommonHTML component and every part it may load
# later (TeX extensions, fonts, the menu's other renderer, MathML input, and the accessibility
# explorer with its speech rules), but none of the other combined components.
MATHJAX_SKIP = re.compile(r"^(tex-(?!chtml\.js$).*|mml-.*|node-main\.js)$")


def _check_mathjax(app) -> None:
    if app.builder.format == "html" and not (MATHJAX_NPM / "tex-chtml.js").is_file():
        raise ConfigError(
            f"MathJax is missing: {MATHJAX_NPM}. Run docs/build, which installs the npm "
            "package mathjax@3 there."
        )


def _copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for src in MATHJAX_NPM.iterdir():
        if MATHJAX_SKIP.match(src.name):
            continue
        dst = target / src.name
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


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


LINK = re.compile(r"(\]\()([^)\s]+)(\s+\"[^\"]*\")?\)")
INCLUDE_README = "```{include} ../README.md\n```\n"


def _site_markdown(path: Path, pages: set[str]) -> str:
    """A Markdown file of the repository's root, its relative links pointed at the site.

    ``notebooks/...`` stays (docs/notebooks/ is their copy), ``README.md`` is the front
    page, another root ``.md`` becomes a page of the site (added to ``pages``), any other
    file of the repository a download; a link to nothing is left for -W to fail on.
    """

    def fix(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            return match.group(0)
        file, hash_, fragment = target.partition("#")
        if file == "README.md":
            file = "index.md"
        elif file.startswith("notebooks/") or not (ROOT / file).is_file():
            return match.group(0)
        elif file.endswith(".md") and "/" not in file:
            pages.add(file)
        else:
            file = "../" + file  # a download: Sphinx copies it into _downloads/
        return f"{match.group(1)}{file}{hash_}{fragment}{match.group(3) or ''})"

    return LINK.sub(fix, path.read_text(encoding="utf-8"))


def _sync_pages(app, config) -> None:
    """The README (the front page) and the root Markdown files it links to (README.zh-CN.md,
    ...), copied into docs/ (git-ignored) with their links pointed at the site."""
    pages: set[str] = set()
    app.bp_readme = _site_markdown(ROOT / "README.md", pages)
    done: set[str] = set()
    while pages - done:
        name = sorted(pages - done)[0]
        done.add(name)
        text = _site_markdown(ROOT / name, pages)
        target = HERE / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    for old in HERE.glob("*.md"):
        if old.name != "index.md" and old.name not in done:
            old.unlink()
    app.bp_pages = sorted(done)


def _index_source(app, docname, source) -> None:
    """The front page: the README, then the parts of the navigation. The Chinese README and
    edition (notebooks/zh/), when there are, get a part of their own."""
    if docname != "index":
        return
    source[0] = source[0].replace(INCLUDE_README, app.bp_readme + "\n")
    zh = [p.removesuffix(".md") for p in app.bp_pages if "zh" in p.lower()]
    other = [p.removesuffix(".md") for p in app.bp_pages if "zh" not in p.lower()]
    if any((HERE / "notebooks" / "zh").glob("[0-9]*.ipynb")):
        zh.append("notebooks/zh/[0-9]*")
    # before the "Reference" part, which stays last: the glossary and errata links follow it
    reference = "```{toctree}\n:caption: Reference\n"
    assert reference in source[0], "docs/index.md: the Reference part is missing"
    for caption, entries in (("中文版", zh), ("More", other)):
        if entries:
            body = "\n".join(entries)
            part = f"```{{toctree}}\n:caption: {caption}\n:hidden:\n:glob:\n\n{body}\n```\n\n"
            source[0] = source[0].replace(reference, part + reference)


NOTEBOOK_00 = "notebooks/00_problem_and_notation"
NOTEBOOK_00_ZH = "notebooks/zh/00_problem_and_notation"
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
                    # its own id, or MyST's slug rather than docutils' "id2" for a Chinese title
                    ids = section["ids"]
                    found = ([i for i in ids if not re.fullmatch(r"id\d+", i)] or ids)[0]
                    break
    cache[docname, word] = found
    return found


def _page_context(app, pagename, templatename, context, doctree) -> None:
    """The sidebar's links to the glossary and the errata table (docs/_templates): those of
    the Chinese notebook 00 on the Chinese pages when it has them, else the English ones."""
    links = []
    parts = (("glossary", "Glossary", "术语表"), ("errata", "Errata", "勘误表"))
    for word, title, title_zh in parts:
        zh = pagename.startswith("notebooks/zh/") and _anchor(app, NOTEBOOK_00_ZH, word)
        doc = NOTEBOOK_00_ZH if zh else NOTEBOOK_00
        anchor = _anchor(app, doc, word)
        if anchor is None:
            raise ConfigError(f"no '{word}' anchor or heading in {doc}.ipynb")
        uri = app.builder.get_relative_uri(pagename, doc)
        links.append((title_zh if zh else title, f"{uri}#{anchor}"))
    context["bp_reference_links"] = links


# The two editions: a page's twin is the same page in the other language.
ZH_PREFIX = "notebooks/zh/"
README_TWINS = {"index": "README.zh-CN", "README.zh-CN": "index"}  # the front pages
SWITCH = {  # the twin's language: (lang, the link's words, its tooltip)
    "zh-CN": ("zh-CN", "中文", "这一页的中文版"),
    "en": ("en", "English", "This page in English"),
}


def _is_chinese(pagename: str) -> bool:
    return pagename.startswith(ZH_PREFIX) or pagename == "README.zh-CN"


def _twin(pagename: str) -> str | None:
    """The docname of the same page in the other edition, whether it exists or not."""
    if pagename in README_TWINS:
        return README_TWINS[pagename]
    if pagename.startswith(ZH_PREFIX):
        return "notebooks/" + pagename.removeprefix(ZH_PREFIX)
    if pagename.startswith("notebooks/") and "/" not in pagename.removeprefix("notebooks/"):
        return ZH_PREFIX + pagename.removeprefix("notebooks/")
    return None


def _language_switch(app, pagename, templatename, context, doctree) -> None:
    """The language switch (docs/_templates/bp-language-switch.html): on a page whose twin
    in the other edition was built, a link to it ("中文" on an English page, "English" on a
    Chinese one), and a ``<link rel="alternate" hreflang>`` to it in the head. A page with no
    twin (the API, the search, a notebook not translated yet) gets neither. The Chinese
    pages say so in ``<html lang>``.
    """
    chinese = _is_chinese(pagename)
    if chinese:
        context["language"] = "zh-CN"
    twin = _twin(pagename)
    context["bp_twin"] = None
    if twin is None or twin not in app.env.all_docs:
        return
    lang, label, title = SWITCH["en" if chinese else "zh-CN"]
    href = app.builder.get_relative_uri(pagename, twin)
    context["bp_twin"] = {"href": href, "lang": lang, "label": label, "title": title}
    context["metatags"] = (
        context.get("metatags", "")
        + f'\n    <link rel="alternate" hreflang="{lang}" href="{href}" />'
    )


def _check_notebooks_are_json(app, config) -> None:
    """A notebook that is not JSON (a merge conflict): say which, before Sphinx does."""
    for path in sorted((ROOT / "notebooks").glob("**/*.ipynb")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ConfigError(f"{path.relative_to(ROOT)} is not a notebook: {error}") from None


def setup(app):
    app.connect("builder-inited", _check_mathjax)
    app.connect("config-inited", _check_notebooks_are_json)
    app.connect("config-inited", _sync_notebooks)
    app.connect("config-inited", _sync_pages)
    app.connect("source-read", _index_source)
    app.add_transform(RawHtmlAnchors)
    app.add_post_transform(ResolveHtmlAnchorLinks)
    app.connect("source-read", _api_source)
    app.connect("autodoc-process-docstring", _plain_docstring)
    app.connect("doctree-read", _empty_links_as_text)
    app.connect("html-page-context", _page_context)
    app.connect("html-page-context", _language_switch)
    app.connect("build-finished", _copy_mathjax)
    # MathJax on every page: the navigation's titles have formulas too ("04 · ... δ^l").
    app.set_html_assets_policy("always")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
