"""The static site (docs/build) in a real browser: every page, offline, as a reader sees it.

The site is served from docs/_build/html on 127.0.0.1 and every page is opened in headless
Chromium (Debian's ``chromium``, driven by Python ``playwright`` with ``executable_path``;
``playwright install`` is never needed). The tests fail on a request to any other host, a
console error, a request that fails, an image that did not load, a notebook with formulas
but no typeset math (or a TeX error), Chinese text drawn without a CJK font, an internal
link or ``#fragment`` that does not resolve, a notebook page whose download button
does not give back the notebook, and a page with a twin in the other edition (English ↔
中文) whose language switch is missing or does not lead to the twin when clicked. Both
editions are checked alike. Screenshots of five pages are saved to docs/_build/screenshots/
for a person to look at.

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
# Both editions: notebooks/*.ipynb and the Chinese notebooks/zh/*.ipynb.
EDITIONS = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("zh/*.ipynb"))
SOURCES = [
    *ROOT.glob("*.md"),
    *EDITIONS,
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
    "notebook_zh_02_language_switch.png": ("notebooks/zh/02_loss.html", None),
}
# The front pages of the two editions: README.md and README.zh-CN.md.
README_TWINS = {"index.html": "README.zh-CN.html", "README.zh-CN.html": "index.html"}
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
        if not p.relative_to(site).as_posix().startswith(("_static/", "_sources/"))
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


def _page(notebook: Path) -> str:
    return "notebooks/" + notebook.relative_to(NOTEBOOKS).with_suffix(".html").as_posix()


def _is_chinese(notebook: Path) -> bool:
    return notebook.parent.name == "zh"


def _twin(notebook: Path) -> Path:
    """The same notebook in the other edition (it may not exist)."""
    if _is_chinese(notebook):
        return NOTEBOOKS / notebook.name
    return NOTEBOOKS / "zh" / notebook.name


def _twin_pages() -> dict[str, str]:
    """Every page that has a twin in the other edition: its page, the twin's page."""
    twins = {_page(nb): _page(_twin(nb)) for nb in EDITIONS if _twin(nb).is_file()}
    if (ROOT / "README.zh-CN.md").is_file():
        twins |= README_TWINS
    return twins


def _chinese_pages() -> list[str]:
    pages = [_page(nb) for nb in EDITIONS if _is_chinese(nb)]
    return pages + (["README.zh-CN.html"] if (ROOT / "README.zh-CN.md").is_file() else [])


def test_every_page_was_opened(visits, site):
    missing = [nb.relative_to(ROOT).as_posix() for nb in EDITIONS if _page(nb) not in visits]
    assert not missing, "notebooks with no page"
    assert {"index.html", "api.html"} <= set(visits)


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
    assert twins, "no page has a twin: is notebooks/zh/ empty?"
    problems = {}
    for page, report in visits.items():
        switches = report["languageSwitch"]
        if page not in twins:
            if switches or report["alternate"]:
                problems[page] = f"no twin, yet a switch {switches} {report['alternate']}"
            continue
        chinese = page in _chinese_pages()
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
    for notebook in EDITIONS:
        name = notebook.relative_to(NOTEBOOKS).as_posix()
        report = visits[_page(notebook)]
        assert report["download"], f"{name}: no download button"
        assert report["download"][0].endswith(f"/{name}")
        downloaded = report.get("downloaded")
        assert downloaded is not None, f"{name}: the button saved nothing"
        # the notebook the site was built from (docs/build copies notebooks/ to docs/notebooks/)
        built_from = ROOT / "docs" / "notebooks" / name
        assert downloaded == built_from.read_text(encoding="utf-8"), name
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
