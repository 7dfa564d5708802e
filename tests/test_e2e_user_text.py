"""End to end: user text is text everywhere (issue 12, item 3).

Unit names, an uploaded batch's file name, an account's display name, a workbook's sheet name and
an unknown header carry Markdown, LaTeX, HTML, links, images and bare URLs. With the real server
and Debian chromium, every page of the navigation is opened (the renamed unit's profile, the
problem list, the history with its undo confirmation open, the upload preview of such a workbook)
and the test fails on any rendered link or image to another host, any KaTeX formula, and any
request to a host other than the server — and checks that the text reads exactly as typed.
"""
from __future__ import annotations

import pytest

from kpi.display.textsafe import WORD_JOINER
from kpi.i18n import t
from pages._ui import PAGES
from tests.fixtures.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DEMO_ADMIN, open_in_app, running_server, sign_in
from tests.fixtures.page_walk import CHARTS_DRAWN_JS, RequestLog, settle
from tests.fixtures.user_text_fixture import DISPLAY_NAME, FILE_NAME, HEADER, NAMES, SHEET, make_hostile_store, workbook

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

# Links (HTML or SVG), images and requests to another origin; KaTeX output; in the app's own area.
SCAN_JS = """
() => {
  const root = document.querySelector('[data-testid="stApp"]');
  const outside = (u) => {
    if (!u) return false;
    try { const x = new URL(u, location.href);
          return !['data:', 'blob:'].includes(x.protocol) && x.origin !== location.origin; }
    catch (e) { return true; }
  };
  const attr = (e, names) => names.map(n => e.getAttribute(n)).find(v => v);
  return {
    links: [...root.querySelectorAll('a')].map(a => attr(a, ['href', 'xlink:href'])).filter(outside),
    images: [...root.querySelectorAll('img, image, source')]
      .map(i => attr(i, ['src', 'srcset', 'href', 'xlink:href'])).filter(outside),
    formulas: root.querySelectorAll('.katex, .katex-display, math').length,
  };
}
"""
SHOWS_JS = """
([text, joiner]) => document.querySelector('[data-testid="stMain"]').innerText.replaceAll(joiner, '').includes(text)
"""


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("user_text") / "store.duckdb"
    make_hostile_store(path)
    return str(path)


def _read(page, selector: str = "[data-testid='stApp']") -> str:
    """The text a person reads (the invisible word joiners that break autolinks removed)."""
    return page.inner_text(selector).replace(WORD_JOINER, "")


def _plain(text: str) -> str:
    """`text` as the browser lays it out in one line (inner_text keeps single spaces)."""
    return " ".join(text.split())


def _choose_scope(page, code: str) -> None:
    """Pick unit `code` in the sidebar's unit scope (labels are plain selectbox options)."""
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(
        has_text=t("common.sidebar.unit")).locator("[role='combobox']").click()
    page.get_by_role("option").filter(has_text=NAMES[code]).first.click()
    # The page's caption names the chosen unit once the rerun has drawn it.
    page.wait_for_function(SHOWS_JS, arg=[NAMES[code], WORD_JOINER], timeout=60_000)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=60_000)


def _act(page, url_path: str) -> None:
    """What a person does on the page to reach more user text: the undo confirmation, an upload."""
    if url_path == "history":
        page.get_by_role("button", name=t("history.undo")).click()
        page.get_by_role("button", name=t("history.confirm_yes"), exact=True).wait_for(timeout=60_000)
    elif url_path == "upload":
        page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
            {"name": "units.xlsx", "buffer": workbook(),
             "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
        page.get_by_text(t("upload.read_xlsx", sheets="")).wait_for(timeout=60_000)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=60_000)
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=60_000)


# What each page must show as typed (besides the sidebar's account line on every page).
EXPECTED = {
    "overview": [NAMES["G01"]],
    "unit_profile": [NAMES["G"], NAMES["G01"]],
    "problems": [NAMES["G01"]],
    "meetings": [NAMES["G010101"]],
    "history": [FILE_NAME],
    "upload": [SHEET, HEADER],
}


def test_user_text_renders_as_text_on_every_page(hostile_store, tmp_path):
    found: dict[str, dict] = {}
    unread: dict[str, list[str]] = {}
    charts, unscoped = 0, []
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(hostile_store, tmp_path / "server.log") as url, \
            playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        requests = RequestLog(page)
        page.goto(url, wait_until="domcontentloaded")
        sign_in(page, *DEMO_ADMIN)
        settle(page, t("overview.page_title"))
        _choose_scope(page, "G01")
        for file, title_key, _, _ in PAGES:
            url_path = file.removesuffix(".py")
            if url_path != "overview":
                open_in_app(page, url_path)
            settle(page, t(title_key))
            _act(page, url_path)
            scan = page.evaluate(SCAN_JS)
            if url_path in EXPECTED:  # for a person to look at: the hostile text, read as typed
                page.screenshot(path=ARTIFACTS / f"user-text-{url_path}.png")
            if scan["links"] or scan["images"] or scan["formulas"]:
                found[url_path] = scan
            shown = _plain(_read(page))
            missing = [text for text in [DISPLAY_NAME, *EXPECTED.get(url_path, [])] if _plain(text) not in shown]
            if missing:
                unread[url_path] = missing
            titles = page.locator(".gtitle").all_text_contents()
            charts += len(titles)
            unscoped += [f"{url_path}: {title}" for title in titles if NAMES["G01"] not in title]
        browser.close()
        outside = requests.outside(url)
    assert found == {}
    assert unread == {}
    assert outside == []
    # Every chart's subtitle names the chosen unit as typed (Plotly drew no tag of it).
    assert charts > 20 and unscoped == []
