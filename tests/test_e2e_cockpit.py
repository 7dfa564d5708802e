"""End to end, issue 15 items 1 and 2: the cockpit's unit × rule matrix above the fold at 1920×1080, and
the presentation view of the shared frame (no sidebar, the cockpit on one 16:9 screen, the scope and
as-of date in the title, on every figure page) — the real server on the demo group, Debian chromium.

Screenshots of the cockpit in both languages at 1920×1080 and 1280×800, normal and presentation
view, land in test-artifacts/ for a person to look at.
"""
from __future__ import annotations

import datetime as dt

import pytest

from kpi import store
from kpi.display.matrix_text import matrix_frames
from kpi.metrics.matrix import rule_matrix
from kpi.rules import load_rules
from tests.fixtures.browser import (
    ARTIFACTS,
    DEMO_ADMIN,
    first_start_store,
    open_in_app,
    running_server,
    sign_in,
    wait_until_rendered,
)

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

FULL_HD, LAPTOP = {"width": 1920, "height": 1080}, {"width": 1280, "height": 800}
MATRIX = ".st-key-overview_matrix"
PRESENT_TITLE = ".st-key-present_title"
# Streamlit scrolls its main area, not the document: [scrollHeight, clientHeight, scrollTop] of both.
SCROLL_JS = """() => { const m = document.querySelector("[data-testid='stMain']");
  const d = document.scrollingElement;
  return {main: [m.scrollHeight, m.clientHeight, m.scrollTop], doc: [d.scrollHeight, innerHeight]}; }"""
# The grid's own scroller: every row drawn without scrolling inside the table.
GRID_SCROLL_JS = """(grid) => { const s = grid.querySelector('.dvn-scroller');
  return [s.scrollHeight, s.clientHeight]; }"""


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The demo group as the server would build it on first start, built here so that the test knows
    its matrix before the server holds the file."""
    path = tmp_path_factory.mktemp("e2e-cockpit") / "demo.duckdb"
    return first_start_store(path)


@pytest.fixture(scope="module")
def unit_names(demo_db):
    """The matrix's unit names, worst first, at today's date (the server's default as-of date)."""
    s = store.open_store(demo_db)
    try:
        texts, _ = matrix_frames(rule_matrix(s.cursor(), load_rules(), dt.date.today()), "zh")
    finally:
        s.close()
    return list(texts.iloc[:, 0])


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    with running_server(demo_db, tmp_path_factory.mktemp("e2e-cockpit-log") / "server.log") as url:
        yield url


def _tab(tabs, url: str, viewport: dict, lang: str = "zh"):
    page = tabs.new_page()
    page.set_viewport_size(viewport)
    page.goto(url, wait_until="domcontentloaded")
    sign_in(page, *DEMO_ADMIN)
    if lang == "en":
        page.get_by_text("English", exact=True).click(timeout=60_000)  # a loaded machine answers slowly
    _settle(page)
    return page


# Streamlit draws a grey placeholder while an element's code is still loading (the table's, at first).
NO_PLACEHOLDER_JS = "() => document.querySelector(\"[data-testid^='stSkeleton']\") === null"


def _settle(page) -> None:
    """Wait until the run is over, the matrix's rows are in the grid and no placeholder is left."""
    page.wait_for_selector(f"{MATRIX} [id^='glide-cell-0-']", state="attached")
    wait_until_rendered(page)
    page.wait_for_function(NO_PLACEHOLDER_JS)


def _matrix_row_names(page) -> list[str]:
    """The unit names of the matrix rows, from the grid's accessible table (the cells are drawn on a canvas)."""
    cells = page.locator(f"{MATRIX} [id^='glide-cell-0-']")
    return [cells.nth(i).inner_text() for i in range(cells.count())]


def test_all_secondary_units_of_the_matrix_are_above_the_fold(tabs, server, unit_names):
    ARTIFACTS.mkdir(exist_ok=True)
    page = _tab(tabs, server, FULL_HD)
    assert len(unit_names) == 10
    assert _matrix_row_names(page) == unit_names
    box = page.locator(MATRIX).bounding_box()
    # Header and ten rows of 35 px: every row inside the box, the box inside the viewport, nothing scrolled.
    assert box["height"] >= 35 * 11
    assert 0 <= box["y"] and box["y"] + box["height"] <= FULL_HD["height"]
    for row in range(len(unit_names)):
        assert box["y"] + 35 * (row + 2) <= FULL_HD["height"]
    scroll_height, client_height = page.locator(MATRIX).evaluate(GRID_SCROLL_JS)
    assert scroll_height <= client_height + 1
    assert page.evaluate(SCROLL_JS)["main"][2] == 0
    # The cards come after the matrix.
    assert page.locator("[data-testid='stMetric']").first.bounding_box()["y"] > box["y"] + box["height"]
    # The table's own toolbar offers no CSV export (.streamlit/config.toml client.disableDataExport): it would
    # write formula cells as they are and bypass the audit; the page's download buttons neutralise and audit.
    page.locator(MATRIX).hover()
    toolbar = page.locator(f"{MATRIX} [data-testid='stElementToolbar'] button")
    toolbar.first.wait_for(state="attached")
    labels = toolbar.evaluate_all("buttons => buttons.map(b => b.getAttribute('aria-label') || b.innerText)")
    assert "Search" in labels and "Download as CSV" not in labels
    # Streamlit writes the buttons' tooltips in English; the page draws them in the UI language
    # (pages/_ui/widgets.py): the English text shrunk to nothing, the translation drawn after it.
    toolbar.filter(has=page.locator("xpath=self::*[@aria-label='Search']")).hover()
    tooltip = page.locator("[data-testid='stTooltipContent'] p")
    tooltip.wait_for()
    assert tooltip.evaluate("p => [getComputedStyle(p).fontSize, getComputedStyle(p, '::after').content]") == \
        ["0px", '"搜索"']
    page.close()


def test_presentation_view_fits_the_cockpit_on_one_screen(tabs, server, unit_names):
    page = _tab(tabs, server, FULL_HD)
    page.get_by_role("button", name="演示视图").click()
    page.wait_for_selector(PRESENT_TITLE)
    _settle(page)
    assert "view=present" in page.url
    assert page.locator("[data-testid='stSidebar']").is_hidden()
    today = dt.date.today().isoformat()
    assert page.locator(f"{PRESENT_TITLE} h1").inner_text() == f"领导驾驶舱 · 全集团 · 数据截至 {today}"
    scroll = page.evaluate(SCROLL_JS)
    main_height, main_client, _ = scroll["main"]
    assert main_height <= main_client and scroll["doc"][0] <= scroll["doc"][1]
    assert _matrix_row_names(page) == unit_names
    scroll_height, client_height = page.locator(MATRIX).evaluate(GRID_SCROLL_JS)
    assert scroll_height <= client_height + 1  # every row drawn, none behind the table's own scrollbar
    cards = page.locator("[data-testid='stMetric']")
    assert cards.count() == 10
    for i in range(cards.count()):
        card = cards.nth(i).bounding_box()
        assert card["y"] + card["height"] <= FULL_HD["height"]
    assert page.locator("[data-testid='stExpander']").count() == 0 or page.locator(
        "[data-testid='stExpander']").first.is_hidden()
    page.screenshot(path=ARTIFACTS / "cockpit-present-zh-1920x1080.png")
    # The way back shows the sidebar again.
    page.get_by_role("button", name="退出演示视图").click()
    page.wait_for_selector("[data-testid='stSidebarNav']")
    assert "view=present" not in page.url
    page.close()


def test_presentation_view_of_another_figure_page(tabs, server):
    page = _tab(tabs, server, FULL_HD)
    open_in_app(page, "funds")
    page.wait_for_url("**/funds*")
    wait_until_rendered(page)
    page.get_by_role("button", name="演示视图").click()
    page.wait_for_selector(PRESENT_TITLE)
    wait_until_rendered(page)
    assert page.locator("[data-testid='stSidebar']").is_hidden()
    assert page.locator(f"{PRESENT_TITLE} h1").inner_text() == (
        f"经费与考核 · 全集团 · 数据截至 {dt.date.today().isoformat()}")
    # The page's own title and every expander ('查看数据') give way; the charts stay.
    assert page.locator("[data-testid='stMain'] h1:visible").count() == 1
    assert page.locator("[data-testid='stExpander']:visible").count() == 0
    assert page.locator(".js-plotly-plot:visible").count() >= 1
    page.screenshot(path=ARTIFACTS / "funds-present-zh-1920x1080.png")
    page.close()


def _whole_card_titles_and_matrix_columns(page) -> None:
    # No card title ends in an ellipsis: each label's text fits its box.
    clipped = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetricLabel'] p")]
        .filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.innerText)""")
    assert clipped == []
    # Every column of the matrix fits: the grid does not scroll sideways.
    width = page.locator(MATRIX).evaluate("g => { const s = g.querySelector('.dvn-scroller');"
                                          " return [s.scrollWidth, s.clientWidth]; }")
    assert width[0] <= width[1] + 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cockpit_screenshots(tabs, server, lang):
    """Pictures for a person to look at (normal and presentation view, 1920×1080 and 1280×800, one tab
    resized: a resize lays the page out again without a rerun); the card titles are whole."""
    ARTIFACTS.mkdir(exist_ok=True)
    sizes = {"1920x1080": FULL_HD, "1280x800": LAPTOP}
    page = _tab(tabs, server, FULL_HD, lang)
    for size, viewport in sizes.items():
        page.set_viewport_size(viewport)
        _settle(page)
        page.screenshot(path=ARTIFACTS / f"cockpit-{lang}-{size}.png")
        _whole_card_titles_and_matrix_columns(page)
    page.get_by_role("button", name="Presentation view" if lang == "en" else "演示视图").click()
    page.wait_for_selector(PRESENT_TITLE)
    for size, viewport in reversed(sizes.items()):
        page.set_viewport_size(viewport)
        _settle(page)
        page.screenshot(path=ARTIFACTS / f"cockpit-present-{lang}-{size}.png")
    page.close()
