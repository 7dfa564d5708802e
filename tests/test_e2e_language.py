"""End to end: every page in both languages renders without error and shows only its language, and no
page calls outside the server (issue 15, items 4 and 5).

The real server on the demo group, signed in as the demo administrator (who opens every page), Debian
chromium. Each page of the navigation is opened in Chinese, then in English, its expanders opened;
the test reads what a person sees (tests/fixtures/page_walk.py: text, CSS-drawn text, placeholders,
the cells of tables) and records every request the tab makes. A picture of every page (Chinese, the
whole page) and of the upload, audit, problem and unit-profile pages at 1920×1080 and 1280×800 land in
test-artifacts/ for a person to look at (no card's title or value is cut at those sizes either).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import NamedTuple

import duckdb
import pytest

from kpi.access.accounts import DEMO_ACCOUNTS
from kpi.i18n import t
from tests.fixtures.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_ADMIN,
    running_server,
    sign_in,
    wait_until_rendered,
)
from tests.fixtures.page_walk import (
    PAGE_PATHS,
    TITLE_KEYS,
    RequestLog,
    choose_language,
    go_to,
    open_expanders,
    settle,
    visible_texts,
)

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

SIZES = ((1920, 1080), (1280, 800))
PICTURED = ("upload", "audit", "problems", "unit_profile")
# Pages that show no chart until the user acts (choose a file, a problem, a week).
PAGES_WITHOUT_CHART_ON_OPEN = {"upload", "history", "briefing", "problems", "accounts", "audit"}

# Chinese UI — words of ASCII letters that are not English prose, each for a reason:
ALLOWED_WORDS = {
    "CSV", "TSV", "TXT", "XLSX", "PPTX", "PNG", "PDF",  # file formats, named as on the files
    "Excel",  # the product, as Chinese users and its Chinese edition name it
    "ISO",  # ISO weeks (周（ISO）), the standard's name
    "English",  # the language switch offers English in English, so that an English reader finds it
    "Language",  # the switch's label is bilingual on purpose ("语言 / Language")
}
# Server file paths (the rules file) and e-mail addresses are names, not language.
NOT_LANGUAGE = re.compile(r"[A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.-]+)+\.[A-Za-z0-9]+|[A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+")
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
# English UI — Han ideographs, CJK punctuation and full-width forms.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
# The language switch names Chinese in Chinese (so that a Chinese reader finds it), its label is bilingual.
ALLOWED_CJK_TEXTS = {"中文", t("common.sidebar.language", "en")}


def _stored_text(path) -> list[str]:
    """What users typed into the store and every page shows as stored: unit names, people (owners,
    leads, account names), problem descriptions and measures, meeting topics, batch file names —
    longest first, so that a name inside a longer text is removed with it."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        values = {v for (v,) in con.execute("""
            SELECT unit_name FROM units UNION SELECT description FROM problems UNION SELECT owner FROM problems
            UNION SELECT measures FROM problems UNION SELECT lead FROM supervision
            UNION SELECT topic FROM meetings UNION SELECT file_name FROM batches""").fetchall() if v}
    finally:
        con.close()
    values |= {display_name for _, display_name, *_ in DEMO_ACCOUNTS}
    return sorted(values, key=len, reverse=True)


def _user_names(path) -> set[str]:
    """Account names (identifiers people type): the demo accounts and who loaded each batch."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        loaders = {v for (v,) in con.execute("SELECT DISTINCT user_name FROM batches").fetchall() if v}
    finally:
        con.close()
    return loaders | {name for name, *_ in DEMO_ACCOUNTS}


# Boolean cells are drawn as check boxes by the data grid; its accessible table spells them out.
GRID_BOOLEANS = {"true", "false"}


def english_words(text: str, usernames: set[str]) -> list[str]:
    """Words of English in `text` shown by the Chinese UI, beyond the allowed ones and user names."""
    return [w for w in ASCII_WORD.findall(NOT_LANGUAGE.sub(" ", text)) if w not in ALLOWED_WORDS | usernames]


def chinese_left(text: str, stored: list[str]) -> list[str]:
    """Runs of Chinese in `text` shown by the English UI once the stored user text is taken out."""
    if text in ALLOWED_CJK_TEXTS:
        return []
    for value in stored:
        if value in text:
            text = text.replace(value, " ")
    return CJK.findall(text)


class Walk(NamedTuple):
    texts: dict[str, list[tuple[str, str]]]  # what a person reads, per 'lang/page'
    outside: list[str]  # requests to any host but the server
    stored: list[str]  # user text as stored (tests/test_e2e_language._stored_text)
    usernames: set[str]
    failed: dict[str, list[str]]  # 'lang/page' -> what went wrong rendering it


# The cards' titles and values whose text is wider than its box (drawn cut, or ending in "…").
CLIPPED_CARDS_JS = """() => [...document.querySelectorAll(
    "[data-testid='stMetricLabel'] *, [data-testid='stMetricValue'], [data-testid='stMetricValue'] *")]
  .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""


def _render_faults(page, url_path: str) -> list[str]:
    """What is wrong with the page `url_path` now open: not at its own address, no sidebar, no chart
    where the page draws charts on opening, an exception shown, a traceback or error in the text."""
    faults = []
    if url_path != PAGE_PATHS[0] and not re.search(rf"/{url_path}(\?.*)?$", page.url):  # the view rides in the query
        faults.append(f"address {page.url}")
    if not page.locator("[data-testid='stSidebar']").count():
        faults.append("no sidebar")
    if url_path not in PAGES_WITHOUT_CHART_ON_OPEN and not page.locator(".js-plotly-plot .main-svg").count():
        faults.append("no chart")
    if page.locator("[data-testid='stException']").count():
        faults.append("exception shown")
    faults += [f"card text cut: {text}" for text in page.evaluate(CLIPPED_CARDS_JS)]
    body = page.inner_text("body")
    if re.search(r"Traceback|Error:", body):
        faults.append(body[:2000])
    return faults


@pytest.fixture(scope="module")
def walked(demo_store, tmp_path_factory) -> Walk:
    """Walk every page in Chinese then English through the sidebar, as the demo administrator."""
    tmp = tmp_path_factory.mktemp("language")
    path = demo_store(tmp / "demo.duckdb", dt.date.today())
    stored = _stored_text(path)
    texts: dict[str, list[tuple[str, str]]] = {}
    failed: dict[str, list[str]] = {}
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(path, tmp / "server.log") as url, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        requests = RequestLog(page)
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_label(t("auth.login.username")).wait_for(timeout=60_000)
        wait_until_rendered(page)
        texts["zh/login"] = visible_texts(page)
        sign_in(page, *DEMO_ADMIN)
        settle(page, t("overview.page_title"))
        for lang in ("zh", "en"):
            if lang == "en":
                choose_language(page, "en")
            for url_path in PAGE_PATHS:
                go_to(page, url_path, lang)
                if faults := _render_faults(page, url_path):
                    failed[f"{lang}/{url_path}"] = faults
                if lang == "zh":
                    page.screenshot(path=ARTIFACTS / f"page-{url_path}.png", full_page=True)
                if url_path in PICTURED:
                    for width, height in SIZES:
                        page.set_viewport_size({"width": width, "height": height})
                        settle(page, t(TITLE_KEYS[url_path], lang))
                        page.screenshot(path=ARTIFACTS / f"language-{lang}-{url_path}-{width}.png")
                        if clipped := page.evaluate(CLIPPED_CARDS_JS):
                            failed[f"{lang}/{url_path}@{width}"] = [f"card text cut: {text}" for text in clipped]
                    page.set_viewport_size({"width": 1600, "height": 1000})
                open_expanders(page)
                texts[f"{lang}/{url_path}"] = visible_texts(page)
        browser.close()
    # For a person reading a failure: everything each page showed.
    (ARTIFACTS / "language-texts.json").write_text(json.dumps(texts, ensure_ascii=False, indent=1), encoding="utf-8")
    return Walk(texts, requests.outside(url), stored, _user_names(path), failed)


def test_every_page_renders_without_error_in_both_languages(walked):
    assert walked.failed == {}


def test_chinese_ui_shows_no_english(walked):
    texts, usernames = walked.texts, walked.usernames
    english = {f"{key} {where}: {text}" for key, items in texts.items() if key.startswith("zh/")
               for text, where in items if where != "code" and not (where == "grid" and text in GRID_BOOLEANS)
               and english_words(text, usernames)}
    assert sorted(english) == []
    assert len(texts) == 1 + 2 * len(PAGE_PATHS)


def test_english_ui_shows_no_chinese_beyond_user_text(walked):
    texts, stored = walked.texts, walked.stored
    chinese = {f"{key} {where}: {text}" for key, items in texts.items() if key.startswith("en/")
               for text, where in items if where != "code" and chinese_left(text, stored)}
    assert sorted(chinese) == []


def test_no_page_calls_outside_the_server(walked):
    assert walked.outside == []


def test_the_checks_can_fail():
    """The two text checks find what they look for (the walk above shows none of it)."""
    assert english_words("请选择 Choose options · 50MB per file · CSV、XLSX", {"admin"}) == \
        ["Choose", "options", "per", "file"]
    assert english_words("admin 下载 Excel · 文件：/srv/dj/data/rules.toml · 周（ISO） · a@b.cn", {"admin"}) == []
    assert english_words("路径：/srv/rules.toml，Choose", set()) == ["Choose"]
    assert chinese_left("Owner: 韩嘉怡 · 组织建设", ["韩嘉怡"]) == ["组织建设"]
    assert chinese_left("Theory study coverage（%）", []) == ["（", "）"]
