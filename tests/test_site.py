"""The static site (docs/build) in a real browser: every page, offline, as a reader sees it.

The site is served from docs/_build/html on 127.0.0.1 and every page is opened in headless
Chromium (Debian's ``chromium``, driven by Python ``playwright`` with ``executable_path``;
``playwright install`` is never needed). The tests fail on a request to any other host, a
console error, a request that fails, an image that did not load, a notebook with formulas
but no typeset math (or a TeX error), Chinese text drawn without a CJK font, an internal
link or ``#fragment`` that does not resolve, a notebook page whose download button
does not give back the notebook, and a page with a twin in the other book (English ↔
中文) whose language switch is missing or does not lead to the twin when clicked. Both
books (English in docs/_build/html, Chinese in docs/_build/html/zh) are checked alike.

The reader's experience (issue 25) is checked too, at desktop (1280×800) and phone (390×844)
sizes and in both books: the menu and the page contents open on a phone; no table, math box,
code cell or output of a notebook needs horizontal scrolling at 1280×800; printed Python source
is highlighted; titles, search results and their snippets hold no TeX and no theme text; the
front page links every notebook and exercise, and developer material has its own page; every
exercise and its solution is on the site; each book has its own sidebar, previous/next chain,
Chinese interface and search (every page with a word is found), and heading ids that are
words; images open at full size; and notebook 04's page transfers at most half the bytes it
did before. Screenshots are saved to docs/_build/screenshots/ for a person to look at.

The site is built here (docs/build) when it is missing or older than its sources; .ci/run
builds it just before ``pytest``, so in CI it is fresh.

On a reader's machine these tests may have nothing to run with. They skip, saying why in
pytest's summary, when Chromium is missing, when Python playwright is missing, or when the
site is not built (or stale) and Sphinx is missing to build it: ``pip install -e ".[test]"``
installs none of these, and the README's ``pytest`` must pass without them. The variable CI
does not change this (CI sets it for the whole of .ci/run, including the step that runs the
README's commands on a bare machine). Only ``BP_REQUIRE_BROWSER=1``, set by the site step of
.ci/run, turns each of those skips into a failure: in that step nothing may be skipped.
"""

from __future__ import annotations

import functools
import html
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "_build" / "html"
SCREENSHOTS = ROOT / "docs" / "_build" / "screenshots"
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = ROOT / "exercises"
# Both editions: notebooks/*.ipynb and the Chinese notebooks/zh/*.ipynb.
EDITIONS = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("zh/*.ipynb"))
EXERCISE_EDITIONS = sorted(EXERCISES.glob("*.ipynb")) + sorted(EXERCISES.glob("zh/*.ipynb"))
ZH = "zh/"  # the Chinese book's folder in the site
SOURCES = [
    *ROOT.glob("*.md"),
    *EDITIONS,
    *EXERCISE_EDITIONS,
    *(EXERCISES / "solutions").glob("*.py"),
    *(ROOT / "bp").glob("*.py"),
    *(p for p in (ROOT / "docs").glob("*") if p.is_file()),
    *(ROOT / "docs" / "_templates").glob("*"),
    *(ROOT / "docs" / "_static").glob("*"),
]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Pages a person should look at: the front page, the document's Chinese next to its
# formulas, a notebook with figures, and the top of one notebook in each edition, with its
# language switch.
SCREENSHOT_PAGES = {
    "front_page.png": ("index.html", None),
    "notebook_00_chinese_and_math.png": ("notebooks/00_problem_and_notation.html", "blockquote"),
    "notebook_06_figure.png": ("notebooks/06_algorithm.html", "img"),
    "notebook_02_language_switch.png": ("notebooks/02_loss.html", None),
    "notebook_zh_02_language_switch.png": ("zh/notebooks/02_loss.html", None),
    "notebook_zh_04_chinese_interface.png": ("zh/notebooks/04_recursion.html", None),
}
# Pages each book has that are not pages of the book's text (no twin, no switch).
NOT_TEXT = {"search.html", "genindex.html", "py-modindex.html"}
SWITCH_WORDS = {"zh-CN": "中文", "en": "English"}  # the switch's words, by the twin's language
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_FONT_NAME = re.compile(r"CJK|Han |Hei|Song|Ming|Kai|WenQuanYi|Fallback|YaHei|PingFang|SimSun")
REQUIRE = "BP_REQUIRE_BROWSER"  # =1: what these tests need must be there (.ci/run's site step)


def _unavailable(reason: str):
    """Skip with the reason; fail instead when BP_REQUIRE_BROWSER=1 (the variable CI is not
    consulted: it is set on machines that are meant to lack a browser, too)."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason} ({REQUIRE}=1, so this is a failure, not a skip)")
    pytest.skip(f"browser test not run: {reason}; set {REQUIRE}=1 to make this a failure")


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("BP_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
        "/usr/lib/chromium/chromium",
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _stale() -> bool:
    index = SITE / "index.html"
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    return any(p.stat().st_mtime > built for p in SOURCES if p.is_file())


@pytest.fixture(scope="module")
def site() -> Path:
    """docs/_build/html, built by docs/build first if it is missing or stale."""
    if _stale():
        try:
            import myst_nb  # noqa: F401
            import sphinx  # noqa: F401
        except ImportError:
            state = "older than its sources" if (SITE / "index.html").is_file() else "not built"
            _unavailable(f'the site is {state} and Sphinx is missing: pip install -e ".[docs]"')
        done = subprocess.run(
            [str(ROOT / "docs" / "build")], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"docs/build failed:\n{done.stdout}\n{done.stderr}"
    return SITE


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    """The site on http://127.0.0.1:<free port>/, served from a thread."""
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _cjk_font_families() -> set[str]:
    """Font families that fontconfig says cover Chinese (empty if fc-list is absent)."""
    if not shutil.which("fc-list"):
        return set()
    out = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


def _has_math_source(notebook: Path) -> bool:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return re.search(r"\$[^$\n]+\$", text) is not None


PAGE_SCRIPT = """async () => {
  for (const img of document.images) img.loading = "eager";
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await document.fonts.ready;
  // Chinese text to check the font of: the article's first (its prose, not only the
  // navigation, which comes first in the page), then the rest of the page's.
  const probes = [];
  const cjk = /[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff]/;
  const roots = [[document.querySelector("article"), 6], [document.body, 8]];
  for (const [root, limit] of roots.filter(([root]) => root)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode() && probes.length < limit) {
      const el = walker.currentNode.parentElement;
      if (cjk.test(walker.currentNode.data) && el && !el.closest("script, style, mjx-container")
          && !el.hasAttribute("data-cjk-probe") && el.getClientRects().length) {
        el.setAttribute("data-cjk-probe", String(probes.length));
        probes.push(walker.currentNode.data.trim().slice(0, 30));
      }
    }
  }
  return {
    brokenImages: [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
                                      .map(i => i.getAttribute("src")),
    mathElements: document.querySelectorAll(".math").length,
    untypesetMath: [...document.querySelectorAll(".math")]
        .filter(m => !m.querySelector("mjx-container")).length,
    typeset: document.querySelectorAll("mjx-container").length,
    texErrors: [...document.querySelectorAll("mjx-merror")].map(e => e.textContent).slice(0, 5),
    cjkProbes: probes,
    links: [...document.querySelectorAll("a[href], link[href]")]
        .filter(a => !(a.tagName === "LINK" && a.rel === "preload"))
        .map(a => a.href),
    emptyLinksInText: [...document.querySelectorAll("article a[href='#']")]
        .map(a => a.textContent.trim()),
    download: [...document.querySelectorAll("a.btn-download-source-button")]
        .map(a => a.href),
    lang: document.documentElement.lang,
    languageSwitch: [...document.querySelectorAll("a.bp-language-switch")].map(a => ({
      href: a.href, text: a.textContent.trim(), lang: a.lang,
      visible: a.getClientRects().length > 0,
      top: a.getBoundingClientRect().top,
    })),
    alternate: [...document.querySelectorAll("link[rel=alternate][hreflang]")].map(l => l.href),
  };
}"""


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium executable; checked before anything is built."""
    executable = _chromium()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium, or set BP_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable('Python playwright is missing: pip install -e ".[docs]"')
    return executable


@pytest.fixture(scope="module")
def visits(chromium, server, site):
    """Open every page of the site once; what each showed, logged and linked to."""
    from playwright.sync_api import sync_playwright

    origin = urllib.parse.urlsplit(server).netloc
    pages = sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not {"_static", "_sources"} & set(p.relative_to(site).parts)
    )  # _static/ holds the theme's template macros as .html files: not pages
    cjk_families = _cjk_font_families()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {page: (name, selector) for name, (page, selector) in SCREENSHOT_PAGES.items()}
    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        for path in pages:
            page = context.new_page()
            seen = {"requests": [], "foreign": [], "console": [], "failed": []}

            def on_request(request, seen=seen):
                seen["requests"].append(request.url)
                parts = urllib.parse.urlsplit(request.url)
                if parts.scheme not in ("data", "blob", "about") and parts.netloc != origin:
                    seen["foreign"].append(request.url)

            def on_response(response, seen=seen):
                if response.status >= 400:
                    seen["failed"].append(f"{response.status} {response.url}")

            page.on("request", on_request)
            page.on("response", on_response)
            page.on("requestfailed", lambda r, seen=seen: seen["failed"].append(r.url))
            page.on(
                "console",
                lambda m, seen=seen: seen["console"].append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e, seen=seen: seen["console"].append(str(e)))
            page.goto(server + path, wait_until="load")
            report = page.evaluate(PAGE_SCRIPT)
            page.wait_for_load_state("networkidle")
            report["cjkFonts"] = _platform_fonts(context, page, len(report["cjkProbes"]))
            report["cjkFamilies"] = cjk_families
            if path in shots:
                name, selector = shots[path]
                if selector and page.locator(selector).count():
                    page.locator(selector).first.scroll_into_view_if_needed()
                    page.mouse.wheel(0, -120)  # a little context above it
                    page.wait_for_timeout(200)
                page.screenshot(path=SCREENSHOTS / name)
            if report["download"]:
                report["downloaded"] = _download(page)
            report.update({key: list(value) for key, value in seen.items()})  # this page's
            if report["languageSwitch"]:
                report["switchLandedOn"] = _follow_language_switch(page)
            results[path] = report
            page.close()
        browser.close()
    return results


def _platform_fonts(context, page, probes: int) -> list[list[str]]:
    """For each CJK probe, the fonts Chromium drew it with (CDP CSS.getPlatformFontsForNode)."""
    if not probes:
        return []
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-cjk-probe]"})
    fonts = []
    for node in ids["nodeIds"]:
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        fonts.append([f["familyName"] for f in used if f["glyphCount"] > 0])
    cdp.detach()
    return fonts


def _download(page) -> str | None:
    """Click the page's download button; the bytes of the file the browser saves."""
    page.locator(".dropdown-download-buttons button.dropdown-toggle").first.click()
    with page.expect_download(timeout=10_000) as info:
        page.locator("a.btn-download-source-button").first.click()
    saved = info.value.path()
    return Path(saved).read_bytes().decode("utf-8") if saved else None


def _follow_language_switch(page) -> str:
    """Click the page's language switch as a reader would; the URL the browser lands on."""
    page.keyboard.press("Escape")  # the download menu, if open, closes
    page.evaluate("window.scrollTo(0, 0)")
    try:
        with page.expect_navigation(wait_until="domcontentloaded", timeout=10_000):
            page.locator("a.bp-language-switch").first.click(timeout=10_000)
    except Exception as error:  # not clickable (hidden, covered), or it went nowhere
        return f"not followed: {str(error).splitlines()[0]}"
    return page.url


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


@functools.cache
def _ids_of(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


def _problems(visits, key: str) -> dict[str, object]:
    return {page: r[key] for page, r in visits.items() if r[key]}


def _is_chinese(notebook: Path) -> bool:
    return notebook.parent.name == "zh"


def _page(notebook: Path) -> str:
    """The page of a notebook or an exercise: notebooks/X.html, zh/notebooks/X.html, ..."""
    book = ZH if _is_chinese(notebook) else ""
    folder = "exercises" if EXERCISES in notebook.parents else "notebooks"
    return f"{book}{folder}/{notebook.stem}.html"


def _book_pages(site: Path, chinese: bool) -> set[str]:
    """The pages of one book's text, relative to the site (zh/... for the Chinese book)."""
    root = site / "zh" if chinese else site
    pages = set()
    for path in root.rglob("*.html"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("_static/", "_sources/", "zh/")) or rel in NOT_TEXT:
            continue
        pages.add((ZH if chinese else "") + rel)
    return pages


def _twin_pages() -> dict[str, str]:
    """Every page that has a twin in the other book: its page, the twin's page."""
    english = _book_pages(SITE, chinese=False)
    chinese = _book_pages(SITE, chinese=True)
    twins = {p: ZH + p for p in english if ZH + p in chinese}
    return twins | {zh: en for en, zh in twins.items()}


def _chinese_pages() -> list[str]:
    return [_page(nb) for nb in EDITIONS if _is_chinese(nb)] + [ZH + "index.html"]


def test_every_page_was_opened(visits, site):
    missing = [
        nb.relative_to(ROOT).as_posix()
        for nb in EDITIONS + EXERCISE_EDITIONS
        if _page(nb) not in visits
    ]
    assert not missing, "notebooks or exercises with no page"
    assert {"index.html", "api.html", "developer.html", "zh/index.html"} <= set(visits)


def test_no_request_to_another_host(visits):
    assert not _problems(visits, "foreign")


def test_no_console_error(visits):
    assert not _problems(visits, "console")


def test_every_request_succeeded(visits):
    assert not _problems(visits, "failed")


def test_every_image_loaded(visits):
    assert not _problems(visits, "brokenImages")


def test_formulas_are_typeset(visits):
    problems = {}
    for notebook in EDITIONS:
        report = visits.get(_page(notebook))
        if report is None or not _has_math_source(notebook):
            continue
        if report["typeset"] == 0 or report["untypesetMath"]:
            problems[_page(notebook)] = (
                f"{report['mathElements']} formulas, {report['typeset']} typeset, "
                f"{report['untypesetMath']} left as TeX"
            )
    assert not problems
    chinese_with_math = [nb for nb in EDITIONS if _is_chinese(nb) and _has_math_source(nb)]
    assert not [nb.name for nb in chinese_with_math if _page(nb) not in visits]
    assert not _problems(visits, "untypesetMath"), "formulas left as TeX (titles, API page)"
    assert not _problems(visits, "texErrors"), "MathJax reported TeX errors"


def test_chinese_is_drawn_with_a_cjk_font(visits):
    pages_with_chinese = [p for p, r in visits.items() if r["cjkProbes"]]
    assert pages_with_chinese, "no page shows the document's Chinese"
    # the Chinese edition's pages, their article's prose first among the text checked
    unchecked = [p for p in _chinese_pages() if p not in pages_with_chinese]
    assert not unchecked, "Chinese pages with no Chinese text found to check"
    problems = {}
    for page in pages_with_chinese:
        report = visits[page]
        families = report["cjkFamilies"]
        for text, fonts in zip(report["cjkProbes"], report["cjkFonts"], strict=True):
            if not any(f in families or CJK_FONT_NAME.search(f) for f in fonts):
                problems.setdefault(page, []).append(f"{text!r} drawn with {fonts}")
    assert not problems, "Chinese text drawn with no CJK font (apt-get install fonts-noto-cjk)"


def test_internal_links_and_fragments_resolve(visits, site, server):
    problems = {}
    for page, report in visits.items():
        for href in report["links"]:
            if not href.startswith(server):
                continue  # a link out: allowed, never fetched
            parts = urllib.parse.urlsplit(href[len(server) - 1 :])
            target = site / urllib.parse.unquote(parts.path).lstrip("/")
            if target.is_dir():
                if not (target / "index.html").is_file():
                    problems.setdefault(page, []).append(f"{href}: a folder listing, not a page")
                    continue
                target = target / "index.html"
            if not target.is_file():
                problems.setdefault(page, []).append(f"{href}: no such file")
                continue
            fragment = urllib.parse.unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in _ids_of(target):
                problems.setdefault(page, []).append(f"{href}: no element with id {fragment!r}")
    assert not problems


def test_language_switch_leads_to_the_twin(visits, server):
    """A page with a twin in the other edition shows a visible switch near the top ("中文" on
    an English page, "English" on a Chinese one); clicking it lands on the twin, and the
    internal-link test resolves it like any other link. A page without a twin shows none."""
    twins = _twin_pages()
    assert twins, "no page has a twin: is the Chinese book (docs/_build/html/zh) missing?"
    problems = {}
    for page, report in visits.items():
        switches = report["languageSwitch"]
        if page not in twins:
            if switches or report["alternate"]:
                problems[page] = f"no twin, yet a switch {switches} {report['alternate']}"
            continue
        chinese = page.startswith(ZH)
        lang = "en" if chinese else "zh-CN"
        want = server + twins[page]
        if len(switches) != 1:
            problems[page] = f"{len(switches)} language switches, not 1"
            continue
        switch = switches[0]
        found = []
        if switch["href"] != want:
            found.append(f"points to {switch['href']}, not its twin {want}")
        if (switch["text"], switch["lang"]) != (SWITCH_WORDS[lang], lang):
            found.append(f"says {switch['text']!r} (lang {switch['lang']!r})")
        if not switch["visible"] or not 0 <= switch["top"] < 150:
            found.append(f"not visible near the top (top {switch['top']})")
        if switch["href"] not in report["links"]:
            found.append("left out of the internal-link check")
        if report.get("switchLandedOn") != want:
            found.append(f"clicking it lands on {report.get('switchLandedOn')}")
        if report["alternate"] != [want]:
            found.append(f'<link rel="alternate"> {report["alternate"]}')
        if report["lang"] != ("zh-CN" if chinese else "en"):
            found.append(f"<html lang={report['lang']!r}>")
        if twins[page] not in visits:
            found.append("its twin was not opened")
        if found:
            problems[page] = found
    assert not problems


def test_empty_document_links_show_as_text(visits):
    assert not _problems(visits, "emptyLinksInText")


def test_download_button_gives_the_notebook(visits):
    """Every notebook and exercise page's download button saves that notebook as it is in the
    repository (the site's copies of the exercises have their links pointed at the site)."""
    for notebook in EDITIONS + EXERCISE_EDITIONS:
        name = notebook.relative_to(ROOT).as_posix()
        report = visits[_page(notebook)]
        assert report["download"], f"{name}: no download button"
        assert report["download"][0].endswith(f"/{notebook.name}")
        downloaded = report.get("downloaded")
        assert downloaded is not None, f"{name}: the button saved nothing"
        assert downloaded == notebook.read_text(encoding="utf-8"), name
        assert json.loads(downloaded)["cells"], f"{name}: not a notebook"


def test_screenshots_saved(visits):
    for name in SCREENSHOT_PAGES:
        shot = SCREENSHOTS / name
        assert shot.is_file() and shot.stat().st_size > 10_000, shot


FIGURE_SCRIPT = """async () => {
  for (const img of document.images) img.loading = "eager";
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  return [...document.querySelectorAll("article .cell_output img")].map((img, i) => ({
    n: i + 1, natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
  }));
}"""


def test_figures_are_shown_at_their_natural_width(chromium, server):
    """At 1280×800, every figure a notebook page shows (an image in a cell's output) is drawn
    at 90 % of its natural width or more: its text keeps the size it was drawn at. A figure of
    at most 700 px (tests/test_figures.py) fits the text column (about 688 px) at 98 % or
    more; a wider one is shrunk to the column, and its text with it."""
    from playwright.sync_api import sync_playwright

    pages = [_page(notebook) for notebook in EDITIONS]
    shrunk, figures = {}, 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        for path in pages:
            page = context.new_page()
            page.goto(server + path, wait_until="load")
            for image in page.evaluate(FIGURE_SCRIPT):
                figures += 1
                if image["natural"] and image["shown"] < 0.9 * image["natural"]:
                    shrunk.setdefault(path, []).append(
                        f"figure {image['n']}: {image['shown']:.0f} of {image['natural']} px "
                        f"({image['shown'] / image['natural']:.0%})"
                    )
            page.close()
        browser.close()
    assert figures, "no figure found on any notebook page (selector: article .cell_output img)"
    assert not shrunk, "figures shown below 90 % of their natural width (make them ≤ 700 px)"


# ---------------------------------------------------------------------------------------------
# The book as readers use it (issue 25).

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# How far a table, a math box, a code cell or an output of a notebook may scroll sideways at
# 1280×800: a few pixels of rounding, not a character of code (8.4 px).
SCROLL_ALLOWANCE_PX = 8
# Notebook 04's page transferred 4,385,929 bytes before issue 25 (measured with this test's
# method on the site of commit f364d7f: fontawesome.js 1.56 MB, tex-chtml.js 1.16 MB,
# searchindex.js 0.41 MB, ...); it may transfer at most half of that.
PAGE_04_BYTES_BEFORE = 4_385_929
PAGE_04 = "notebooks/04_recursion.html"
THEME_WORDS = re.compile(r"System Settings|Light|Dark|系统设置|浅色|深色|Skip to main|跳转")
TEX = re.compile(r"\\\(|\\\[|\\[A-Za-z]+|\$")
SEARCH_WORD_ZH = "反向传播"


@pytest.fixture(scope="module")
def browser(chromium, server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _open(browser, url: str, viewport: dict, **kwargs):
    context = browser.new_context(viewport=viewport, **kwargs)
    page = context.new_page()
    page.goto(url, wait_until="load")
    return context, page


def _both_books(page: str) -> list[str]:
    return [page, ZH + page]


@pytest.mark.parametrize("path", _both_books(PAGE_04))
def test_phone_menu_and_contents_open(browser, server, path):
    """At 390×844 the ☰ button opens the navigation, and the contents button the page's
    contents, each with its links visible; at 1280×800 ☰ folds the navigation away and the
    contents button opens the page's contents (folded there below 1600 px)."""
    context, page = _open(browser, server + path, PHONE)
    try:
        page.locator(".primary-toggle:visible").first.click(timeout=5_000)
        page.wait_for_timeout(300)
        dialog = page.locator("dialog#pst-primary-sidebar-modal")
        assert dialog.evaluate("d => d.open"), "☰ did not open the navigation"
        links = dialog.locator("nav.bd-links a:visible")
        assert links.count() >= 10, f"the navigation shows {links.count()} links"
        page.screenshot(
            path=SCREENSHOTS / f"phone_menu_open{'_zh' if path.startswith(ZH) else ''}.png"
        )
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)
        page.locator(".secondary-toggle:visible").first.click(timeout=5_000)
        page.wait_for_timeout(300)
        dialog = page.locator("dialog#pst-secondary-sidebar-modal")
        assert dialog.evaluate("d => d.open"), "the contents button did not open the contents"
        assert dialog.locator("a:visible").count() >= 3, "the page's contents show no links"
    finally:
        context.close()
    context, page = _open(browser, server + path, DESKTOP)
    try:
        sidebar = page.locator("#pst-primary-sidebar")
        assert sidebar.bounding_box()["width"] > 100
        page.locator(".primary-toggle:visible").first.click(timeout=5_000)
        page.wait_for_timeout(600)
        box = sidebar.bounding_box()
        assert box is None or box["width"] < 10 or not sidebar.is_visible(), (
            "☰ did not fold the navigation away on a desktop"
        )
        page.locator(".secondary-toggle:visible").first.click(timeout=5_000)
        page.wait_for_timeout(300)
        dialog = page.locator("dialog#pst-secondary-sidebar-modal")
        assert dialog.evaluate("d => d.open"), "the contents button did nothing on a desktop"
    finally:
        context.close()


SCROLL_SCRIPT = """allowance => {
  const found = [];
  const seen = new Set();
  for (const el of document.querySelectorAll("article.bd-article *")) {
    // MathJax draws stretched delimiters and its hidden MathML in clipped boxes: not content
    if (el.parentElement.closest("mjx-container")) continue;
    const style = getComputedStyle(el);
    if (style.overflowX === "visible" || style.display.startsWith("inline") || !el.clientWidth)
      continue;
    const over = el.scrollWidth - el.clientWidth;
    if (over <= allowance) continue;
    const unit = el.closest("table, .cell_input, .cell_output, div.math, mjx-container") ||
                 el.querySelector("table, mjx-container") || el;
    if (seen.has(unit)) continue;
    seen.add(unit);
    const kind = unit.matches("table") || el.querySelector("table") ? "table"
      : unit.matches("div.math, mjx-container") || el.querySelector("mjx-container") ? "math"
      : unit.matches(".cell_input") ? "code" : unit.matches(".cell_output") ? "output" : "other";
    found.push(`${kind} ${over} px: ${unit.textContent.trim().slice(0, 60)}`);
  }
  return found;
}"""


def test_notebook_content_fits_the_column(browser, server):
    """At 1280×800, on every notebook and exercise page of both books, no table, math box,
    code cell or output needs horizontal scrolling beyond SCROLL_ALLOWANCE_PX. (Before issue
    25, with this method: 5 tables, 28 math boxes, 396 code cells, 190 outputs and 4 other
    blocks. Notebook code is within 88 characters (notebooks/ruff.toml, exercises/ruff.toml) and
    bp/'s printed functions within ruff's 100, which the widened column holds.)"""
    problems = {}
    context = browser.new_context(viewport=DESKTOP)
    for notebook in EDITIONS + EXERCISE_EDITIONS:
        page = context.new_page()
        page.goto(server + _page(notebook), wait_until="load")
        found = page.evaluate(SCROLL_SCRIPT, SCROLL_ALLOWANCE_PX)
        if found:
            problems[_page(notebook)] = found
        page.close()
    context.close()
    assert not problems, f"{sum(map(len, problems.values()))} blocks scroll sideways"


def test_four_equations_box_is_whole(browser, server):
    """The four equations of notebook 04, in their boxes, are shown whole at 1280×800 (a
    screenshot for the closing note)."""
    context, page = _open(browser, server + PAGE_04, DESKTOP)
    try:
        section = page.locator("section#the-four-equations-in-two-boxes")
        assert section.count() == 1, "notebook 04 has no section 'The four equations ...'"
        boxes = section.locator("div.math")
        assert boxes.count() >= 1
        for i in range(boxes.count()):
            # the formula's width against the width its box shows (whichever element scrolls)
            formula, shown = boxes.nth(i).evaluate(
                """b => [b.querySelector("mjx-math").getBoundingClientRect().width,
                         Math.min(b.clientWidth, b.querySelector("mjx-container").clientWidth)]"""
            )
            assert formula <= shown + SCROLL_ALLOWANCE_PX, f"box {i + 1}: {formula} of {shown} px"
        boxes.first.scroll_into_view_if_needed()
        page.mouse.wheel(0, -80)
        page.wait_for_timeout(200)
        page.screenshot(path=SCREENSHOTS / "notebook_04_four_equations.png")
    finally:
        context.close()


# A cell output that is a highlighted Python block (bp.show.source), maybe after what the cell
# printed: the first 2,000 characters of the block (a few lines: a keyword among them).
SHOWN_SOURCE = re.compile(
    r'<div class="cell_output[^"]*">\s*'
    r'(?:<div class="output stream[^"]*"><div class="highlight"><pre>'
    r"(?:(?!</pre>).)*</pre></div>\s*</div>\s*)?"
    r'<div class="highlight-python[^"]*"><div class="highlight"><pre>(.{0,2000})',
    re.S,
)


def _shown_sources(notebook: Path) -> int:
    """How many outputs of bp.show.source (a fenced ```python block in text/markdown)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum(
        "".join(o.get("data", {}).get("text/markdown", "")).startswith("```python\n")
        for c in cells
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    )


def test_printed_source_is_highlighted(site):
    """Every function's source that a notebook shows (``bp.show.source(f)``) is highlighted
    as Python on its page, keywords in their own colour as in a code cell: one
    ``highlight-python`` block per such output, among the cell outputs (the stored text/plain
    stays plain text for nbval)."""
    showing = {nb: n for nb in EDITIONS if (n := _shown_sources(nb))}
    assert showing, "no notebook shows a function's source"
    problems = {}
    for notebook, expected in showing.items():
        text = (site / _page(notebook)).read_text(encoding="utf-8")
        highlighted = SHOWN_SOURCE.findall(text)
        keyword = [h for h in highlighted if '<span class="k">' in h]
        if len(highlighted) != expected or len(keyword) != expected:
            problems[_page(notebook)] = f"{len(keyword)} of {expected} highlighted"
        if '<span class="k">def</span>' not in text:
            problems[_page(notebook)] = "no highlighted def"
    assert not problems, f"pages whose shown source is not highlighted: {problems}"


def test_titles_are_plain_text(site):
    """<title> (the tab, bookmarks, print) and the search index's titles hold no TeX:
    δ^l reads δˡ."""
    problems = {}
    for path in sorted(_book_pages(site, False) | _book_pages(site, True)):
        text = (site / path).read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", text, re.S).group(1)
        if TEX.search(title):
            problems[path] = title
    assert not problems, "TeX in <title>"
    assert "04 · The recursion for δˡ" in (site / PAGE_04).read_text(encoding="utf-8")
    for book in ("", ZH):
        index = (site / book / "searchindex.js").read_text(encoding="utf-8")
        data = json.loads(index[index.index("(") + 1 : index.rindex(")")])
        titles = [*data["titles"], *data["alltitles"]]
        tex = [t for t in titles if TEX.search(t)]
        assert not tex, f"{book or 'en'}: TeX in the search index's titles: {tex[:5]}"


# The search page says how many pages it found once it is done (Sphinx's searchtools.js).
SEARCH_DONE = """() => {
  const summary = document.querySelector("#search-results .search-summary");
  return summary && /\\d/.test(summary.textContent);
}"""


def _search(browser, server, book: str, word: str, viewport=DESKTOP, shot: str | None = None):
    """Search the book for a word as a reader does; the results' pages, titles and snippets."""
    url = f"{server}{book}search.html?q={urllib.parse.quote(word)}"
    context, page = _open(browser, url, viewport)
    try:
        page.wait_for_function(SEARCH_DONE, timeout=30_000)
        page.wait_for_load_state("networkidle")  # each result's snippet: a fetch of its page
        page.wait_for_timeout(500)
        results = page.evaluate(
            """() => [...document.querySelectorAll('ul.search li')].map(li => ({
              href: li.querySelector('a').href, title: li.querySelector('a').textContent,
              snippet: (li.querySelector('p.context') || {textContent: ''}).textContent}))"""
        )
        if shot:
            page.screenshot(path=SCREENSHOTS / shot)
        return results
    finally:
        context.close()


def _article_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    body = re.search(r'<article class="bd-article">(.*?)</article>', text, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body.group(1) if body else ""))


@pytest.mark.parametrize("book, word", [("", "recursion"), (ZH, SEARCH_WORD_ZH)])
def test_search_finds_every_page_and_shows_clean_snippets(browser, server, site, book, word):
    """A search for a word finds every page of the book whose text contains it (the Chinese
    book segments words with jieba), and each result's title and snippet are plain text:
    no TeX, no theme words ("System Settings Light Dark")."""
    results = _search(
        browser, server, book, word, shot="search_zh.png" if book else "search_en.png"
    )
    found = {urllib.parse.urlsplit(r["href"]).path.lstrip("/") for r in results}
    wanted = {p for p in _book_pages(site, chinese=bool(book)) if word in _article_text(site / p)}
    assert wanted, f"no page contains {word!r}"
    missing = sorted(wanted - found)
    assert not missing, f"{len(missing)} of {len(wanted)} pages with {word!r} not found"
    assert all(p.startswith(ZH) == bool(book) for p in found), "results from the other book"
    dirty = [r for r in results if TEX.search(r["title"] + r["snippet"])]
    dirty += [r for r in results if THEME_WORDS.search(r["snippet"])]
    assert not dirty, f"results with TeX or theme words: {dirty[:3]}"


def test_front_page_is_for_learners(site):
    """Each book's front page links every notebook and exercise of its book (and each
    exercise's solution), says how to run the notebooks yourself, and leaves the developer
    material (CI, the layout, exit codes) to the developer page."""
    for book in ("", ZH):
        front = (site / book / "index.html").read_text(encoding="utf-8")
        article = re.search(r'<article class="bd-article">(.*?)</article>', front, re.S).group(1)
        hrefs = set(re.findall(r'href="([^"#]+)', article))
        chinese = bool(book)
        notebooks = [nb for nb in EDITIONS + EXERCISE_EDITIONS if _is_chinese(nb) == chinese]
        unlinked = [nb.name for nb in notebooks if _page(nb).removeprefix(book) not in hrefs]
        assert not unlinked, f"{book or 'en'} front page: no link to {unlinked}"
        solutions = {
            f"exercises/solutions/{nb.stem}.html"
            for nb in notebooks
            if EXERCISES in nb.parents and (EXERCISES / "solutions" / f"{nb.stem}.py").is_file()
        }
        assert solutions <= hrefs, f"{book or 'en'} front page: solutions not linked"
        assert 'id="how-to-run"' in article
        words = re.sub(r"\s+", "", _article_text(site / book / "index.html"))
        for command in ("pip install . && python -m bp", "pytest", "jupyter lab"):
            assert command.replace(" ", "") in words, f"{book or 'en'} front page: no {command!r}"
        for developer in (".ci/run", "Exit codes", "退出码"):
            assert developer not in article, f"{book or 'en'} front page: {developer!r}"
        headings = " ".join(re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", article, re.S))
        for section in ("Project layout", "Command line", "项目结构", "命令行"):
            assert section not in headings, f"{book or 'en'} front page: a section {section!r}"
        assert "developer.html" in hrefs
        developer = re.sub(r"\s+", "", _article_text(site / book / "developer.html"))
        assert ".ci/run" in developer and "python-mbp" in developer


def test_exercises_and_solutions_are_on_the_site(site):
    """Every exercise (both books) has a page that links to its solution's page, which
    shows the solution's code, highlighted."""
    for exercise in EXERCISE_EDITIONS:
        solution = EXERCISES / "solutions" / f"{exercise.stem}.py"
        page = _page(exercise)
        assert (site / page).is_file(), f"{exercise.relative_to(ROOT)}: no page"
        if not solution.is_file():
            continue
        links = set(re.findall(r'href="([^"#]+)', (site / page).read_text(encoding="utf-8")))
        assert f"solutions/{exercise.stem}.html" in links, f"{page}: no link to its solution"
        target = site / page.replace("exercises/", "exercises/solutions/")
        text = target.read_text(encoding="utf-8")
        first_def = re.search(r"^def (\w+)", solution.read_text(encoding="utf-8"), re.M).group(1)
        assert '<span class="k">def</span>' in text and first_def in text, target


def _chain(browser, server, book: str) -> list[str]:
    """The pages met by following "next" from the book's front page."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    url, seen = f"{server}{book}index.html", []
    while url and len(seen) < 100:
        page.goto(url, wait_until="domcontentloaded")
        seen.append(urllib.parse.urlsplit(page.url).path.lstrip("/"))
        nxt = page.locator(".prev-next-area a.right-next")
        url = nxt.first.evaluate("a => a.href") if nxt.count() else None
    context.close()
    return seen


@pytest.mark.parametrize("book", ["", ZH])
def test_each_book_reads_as_one(browser, server, site, book):
    """Each book has its own sidebar (links only to its own pages) and its own
    previous/next chain through all its notebooks and exercises; the Chinese book's
    interface is Chinese (lang, search, previous/next); no heading id is docutils' id1."""
    chinese = bool(book)
    pages = _book_pages(site, chinese)
    chain = _chain(browser, server, book)
    assert len(chain) == len(set(chain)), f"the chain repeats a page: {chain}"
    assert all(p in pages for p in chain), f"next leaves the book: {chain}"
    wanted = [_page(nb) for nb in EDITIONS + EXERCISE_EDITIONS if _is_chinese(nb) == chinese]
    assert [p for p in chain if p in wanted] == sorted(
        wanted, key=lambda p: ("exercises" in p, p)
    ), "the chain does not read the notebooks, then the exercises, in order"
    problems = {}
    for path in sorted(pages):
        text = (site / path).read_text(encoding="utf-8")
        nav = re.search(r'<nav class="[^"]*bd-docs-nav[^"]*".*?</nav>', text, re.S)
        hrefs = re.findall(r'href="([^"]+)"', nav.group(0) if nav else "")
        targets = [urllib.parse.urljoin(f"http://site/{path}", h) for h in hrefs]
        leaving = [
            t
            for t in targets
            if not t.startswith("http://site/") or t.startswith(f"http://site/{ZH}") != chinese
        ]
        auto_ids = re.findall(r'<section id="(id\d+)"', text)
        found = []
        if leaving or not hrefs:
            found.append(f"sidebar links out of the book: {leaving[:3]}")
        if auto_ids:
            found.append(f"headings with ids {auto_ids[:3]}")
        if chinese:
            lang = re.search(r'<html[^>]* lang="([^"]+)"', text).group(1)
            if (
                lang != "zh-CN"
                or "搜索" not in text
                or "Search" in re.sub(r"<[^>]+>", "", text.split("<article")[0])
            ):
                found.append(f"interface not Chinese (lang {lang})")
            if path in chain[1:-1] and ("上一页" not in text or "下一页" not in text):
                found.append("previous/next not in Chinese")
        if found:
            problems[path] = found
    assert not problems


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("book", ["", ZH])
def test_images_open_at_full_size(browser, server, book, viewport):
    """A click on a figure shows it at its natural size (in a dialog); Escape closes it."""
    context, page = _open(browser, server + book + "notebooks/06_algorithm.html", viewport)
    try:
        image = page.locator("article .cell_output img").first
        image.scroll_into_view_if_needed()
        image.click(timeout=5_000)
        page.wait_for_timeout(300)
        zoom = page.locator("dialog.bp-zoom[open] img")
        assert zoom.count() == 1, "clicking the image opened nothing"
        natural, shown = zoom.evaluate("i => [i.naturalWidth, i.getBoundingClientRect().width]")
        assert natural > 0 and abs(shown - natural) <= 1, f"shown {shown} px of {natural}"
        page.keyboard.press("Escape")
        page.wait_for_timeout(200)
        assert page.locator("dialog.bp-zoom[open]").count() == 0
    finally:
        context.close()


def test_page_04_is_light(browser, server):
    """Notebook 04's page (its HTML, styles, scripts, fonts and images) transfers at most half
    the bytes it did before issue 25; a page loads only what it uses."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sizes: dict[str, int] = {}

    def on_response(response):
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # a redirect or an aborted request has no body
            sizes.setdefault(response.url, 0)

    page.on("response", on_response)
    page.goto(server + PAGE_04, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    context.close()
    total = sum(sizes.values())
    biggest = sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
    assert total <= PAGE_04_BYTES_BEFORE / 2, f"{total:,} bytes; the largest: {biggest}"
    assert not [u for u in sizes if re.search(r"fontawesome\.js|searchindex\.js|tex-chtml", u)]
