"""End to end, issue 12 item 1: the demo group's analyst01 (bound to G01 示范电力有限公司) uploads
through the real upload page — the real server, Debian chromium via Playwright.

Scope escape by upload: a 组织架构 row moving G02's subtree under G01, and a row with an empty
parent renaming the group, are errors in the preview, offer no commit, and write nothing.
Preview leak: a meetings file repeating a stored row of G02's subtree, naming an outside unit by
its name and mistyping an outside code: the diff shows no 不变/更新 for them, the errors name no
unit outside G01's subtree (only what the file itself holds), and nothing is written.
"""
from __future__ import annotations

import pandas as pd
import pytest

from kpi import store
from tests.fixtures.browser import ARTIFACTS, first_start_store, open_in_app, running_server, sign_in
from tests.fixtures.import_fixtures import stored_checksums

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

ANALYST01 = ("analyst01", "analyst01-demo")
SCOPE = "示范电力有限公司"
OUTSIDE = f"该单位不在您的数据范围（{SCOPE}）内，不能上传"
UPLOADER = "[data-testid='stFileUploaderDropzoneInput']"
CONTENT_TABLES = ("units", "annual", "meetings", "problems", "supervision", "ratings", "indicators",
                  "problem_snapshots")


@pytest.fixture
def demo_db(tmp_path):
    """A demo store built here (as the server would on first start), so the test can read it
    before the server runs and check afterwards that nothing was written."""
    path = tmp_path / "demo.duckdb"
    return first_start_store(path)


def _query(db, sql: str) -> list[tuple]:
    s = store.open_store(db)
    try:
        return s.cursor().execute(sql).fetchall()
    finally:
        s.close()


def _content(db) -> dict:
    return stored_checksums(db, CONTENT_TABLES)


def _upload_as_analyst01(browser, url: str, dataset_label: str, file_name: str, text: str):
    """Sign in as analyst01, open 数据上传, choose the dataset and upload `text` as a CSV file."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_label("用户名").wait_for(timeout=60_000)
    sign_in(page, *ANALYST01)
    page.get_by_text(f"数据范围：{SCOPE}").wait_for(timeout=60_000)
    open_in_app(page, "upload")
    page.get_by_role("heading", name="数据上传").wait_for(timeout=60_000)
    page.get_by_role("combobox", name="数据集").click()
    page.get_by_role("option", name=dataset_label, exact=True).click()
    # The uploader belongs to the chosen dataset: wait until the rerun has drawn it and removed the
    # previous dataset's one (kept, marked stale, while the run lasts).
    page.get_by_role("button", name=f"下载“{dataset_label}”模板（Excel）").wait_for(timeout=60_000)
    page.wait_for_function(f"document.querySelectorAll({UPLOADER!r}).length === 1 "
                           "&& !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)
    page.locator(UPLOADER).set_input_files(
        files=[{"name": file_name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}])
    return page


def _metrics(page) -> dict[str, str]:
    """The diff as shown: 新增 / 更新 / 不变 / 错误 → value."""
    page.locator("[data-testid='stMetric']").filter(has_text="错误").wait_for(timeout=60_000)
    out = {}
    for metric in page.locator("[data-testid='stMetric']").all():
        out[metric.locator("[data-testid='stMetricLabel']").inner_text().strip()] = \
            metric.locator("[data-testid='stMetricValue']").inner_text().strip()
    return out


def _error_report(page, name: str) -> list[tuple]:
    """The rows of the downloadable error list: (row, column, value, reason)."""
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("button", name="下载错误清单（Excel）").click()
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    download_info.value.save_as(target)
    frame = pd.read_excel(target, dtype=str, engine="openpyxl").fillna("")
    return [tuple(r) for r in frame[["行号", "列", "值", "原因"]].itertuples(index=False)]


def test_scope_escape_by_upload_is_refused_before_any_commit(browser, demo_db, tmp_path):
    before = _content(demo_db)
    rows = ("单位编码,单位名称,上级单位编码,层级,组织类型\n"
            "G02,示范煤业有限责任公司,G01,3,党委\n"  # G02's whole subtree moved into G01's
            "G,被改名的集团,,1,党委\n")  # the group's top unit renamed
    with running_server(demo_db, tmp_path / "server.log") as url:
        page = _upload_as_analyst01(browser, url, "组织架构", "组织架构.csv", rows)
        assert _metrics(page) == {"新增": "0", "更新": "0", "不变": "0", "错误": "2"}
        page.get_by_text("发现 2 个错误，整个文件不会写入。").wait_for()
        assert page.get_by_role("button", name="确认写入").count() == 0
        assert _error_report(page, "scope-escape-errors.xlsx") == [
            ("2", "单位编码", "G02", OUTSIDE), ("3", "单位编码", "G", OUTSIDE)]
        page.screenshot(path=ARTIFACTS / "scope-escape-refused.png", full_page=True)
        page.close()
    assert _content(demo_db) == before
    assert _query(demo_db, "SELECT unit_code, unit_name, parent_code FROM units WHERE unit_code IN ('G', 'G02') "
                           "ORDER BY 1") == [("G", "示范能源集团", None), ("G02", "示范煤业有限责任公司", "G")]


def test_preview_leaks_nothing_outside_the_scope(browser, demo_db, tmp_path):
    stored = _query(demo_db, """SELECT unit_code, meeting_type, strftime(date, '%Y-%m-%d'), expected, attended, topic
                                FROM meetings WHERE unit_code LIKE 'G02%' ORDER BY unit_code, date LIMIT 1""")[0]
    assert _query(demo_db, "SELECT count(*) FROM meetings WHERE unit_code = 'G010101' "
                           "AND date = '2025-03-09'") == [(0,)]
    text = ("单位编码,会议类型,日期,应到人数,实到人数,主题\n"
            + ",".join(str(v) for v in stored) + "\n"  # a stored row of G02's subtree: was 不变 1
            + "示范煤业长沙煤矿,党课,2025-03-05,30,28,党课\n"  # an outside unit's name: was resolved silently
            + "G0201X,党课,2025-03-05,30,28,党课\n"  # was “是否为 G0201（示范煤业长沙煤矿）”
            + "G010101,党课,2025-03-09,30,28,党课\n")  # the analyst's own branch: new
    outside_names = [name for (name,) in _query(demo_db, "SELECT unit_name FROM units WHERE unit_code NOT LIKE 'G01%'")]
    before = _content(demo_db)
    with running_server(demo_db, tmp_path / "server.log") as url:
        page = _upload_as_analyst01(browser, url, "组织生活记录", "会议.csv", text)
        assert _metrics(page) == {"新增": "1", "更新": "0", "不变": "0", "错误": "3"}
        page.get_by_text("发现 3 个错误，整个文件不会写入。").wait_for()
        assert page.get_by_role("button", name="确认写入").count() == 0
        report = _error_report(page, "preview-leak-errors.xlsx")
        suggest = f"该单位不在您的数据范围（{SCOPE}）内，是否为 "  # suggestions name units of G01's subtree only
        assert report == [
            ("2", "单位编码", stored[0], suggest + "G0101（示范电力哈密分公司）？"),
            ("3", "单位编码", "示范煤业长沙煤矿", OUTSIDE),
            ("4", "单位编码", "G0201X", suggest + "G010201（长春分公司燃料管理部党支部）？")]
        shown = page.inner_text("[data-testid='stMain']") + "".join(r[3] for r in report)
        assert [name for name in outside_names if name in shown] == []
        page.close()
    assert _content(demo_db) == before
