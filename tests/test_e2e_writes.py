"""End to end, two analysts at once (issue 12, item 7): the real server, Debian chromium via Playwright,
two signed-in browser contexts on one store.

- A stale preview: B previews a file, A undoes a batch, B clicks 确认写入 on the old preview — refused,
  previewed again against the new store, and written only on a second, informed click.
- Concurrent commits from two signed-in tabs, on different datasets: both are written, one after the
  other; neither analyst gets Streamlit's English error page.
"""
from __future__ import annotations

import re

import pytest
from test_upload_page import GOOD
from test_writes import STALE_ZH

from kpi import store
from kpi.access import accounts
from kpi.rules import load_rules
from tests.fixtures.browser import open_in_app, running_server, sign_in, wait_until_rendered
from tests.fixtures.import_fixtures import template_store

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
RULES = load_rules()
PASSWORD = "e2e-password-1"
# Rows per file in the concurrent test: enough for each commit's transaction (~1 s here) to overlap
# the other's when both buttons are clicked together — before the write lock, the second one failed.
CONCURRENT_ROWS = 200_000
WAIT_MS = 120_000


@pytest.fixture
def db(tmp_path):
    """Batch 1: the units template (HY … HY010101); batch 2: the meetings template; two administrators."""
    path = template_store(tmp_path / "writes.duckdb", "setup")
    s = store.open_store(path)
    con = s.cursor()
    for name in ("adm_a", "adm_b"):
        accounts.create_account(con, RULES, name, PASSWORD, "管理员", by=None)
    s.close()
    return path


def _stored(db, sql: str) -> list[tuple]:
    """Read the store once the server has stopped (DuckDB locks the file while it runs)."""
    s = store.open_store(db)
    try:
        return s.cursor().execute(sql).fetchall()
    finally:
        s.close()


def _signed_in(browser, url: str, username: str, path: str):
    """A new browser context (its own session) signed in as `username`, on the page at `path`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_label("用户名").wait_for(timeout=WAIT_MS)
    sign_in(page, username, PASSWORD)
    open_in_app(page, path)
    return page


def _preview(page, dataset: str, dataset_label: str, name: str, data: bytes) -> None:
    """Choose the dataset, upload the file and wait for the commit button of its preview."""
    page.get_by_label("数据集").wait_for(timeout=WAIT_MS)
    page.get_by_label("数据集").click()
    page.get_by_role("option", name=dataset_label).click()
    # Each dataset has its own file uploader (key upload_file_<dataset>): wait for the new one, so the
    # file never goes to the previous dataset's uploader while the rerun replaces it.
    uploader = page.locator(f".st-key-upload_file_{dataset} [data-testid='stFileUploaderDropzoneInput']")
    uploader.wait_for(state="attached", timeout=WAIT_MS)
    uploader.set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name=re.compile("^确认写入")).wait_for(timeout=WAIT_MS)
    wait_until_rendered(page)  # the button can be drawn before the run that draws the counts has ended


def _metrics(page) -> list[str]:
    return page.locator("[data-testid='stMetricValue']").all_inner_texts()


def test_commit_on_a_stale_preview_is_refused_and_previewed_again(browser, db, tmp_path):
    with running_server(db, tmp_path / "server.log") as url:
        b = _signed_in(browser, url, "adm_b", "upload")
        _preview(b, "meetings", "组织生活记录", "三月会议.csv", GOOD)
        assert _metrics(b) == ["1", "1", "1", "0"]

        a = _signed_in(browser, url, "adm_a", "history")
        a.get_by_role("button", name="撤销所选批次").click()
        a.get_by_role("button", name="确认撤销").click()
        a.get_by_text("批次 #2 已撤销，数据已恢复到该批次写入之前。").wait_for(timeout=WAIT_MS)

        b.get_by_role("button", name=re.compile("^确认写入")).click()
        b.get_by_text(STALE_ZH).wait_for(timeout=WAIT_MS)
        assert _metrics(b) == ["3", "0", "0", "0"]  # the new diff: A's rows are gone
        assert b.locator("[data-testid='stException']").count() == 0

        b.get_by_role("button", name=re.compile("^确认写入")).click()
        b.get_by_text("已写入批次 #3：新增 3，更新 0，不变 0。可在“上传历史”中撤销。").wait_for(timeout=WAIT_MS)
        a.context.close()
        b.context.close()
    assert _stored(db, "SELECT batch_id, dataset, user_name, undone_at IS NULL FROM batches ORDER BY 1") == [
        (1, "units", "setup", True), (2, "meetings", "setup", False), (3, "meetings", "adm_b", True)]


def _problems_csv(n: int) -> bytes:
    return ("问题编号,单位编码,问题来源,发现日期,问题描述,整改时限,整改状态\n" + "".join(
        f"P{i:06d},HY010101,巡察,2025-01-10,问题{i},2025-06-30,整改中\n" for i in range(n))).encode()


def _supervision_csv(n: int) -> bytes:
    return ("编号,被检查单位编码,方式,开始日期\n" + "".join(
        f"DC-{i:06d},HY0101,督查,2025-02-01\n" for i in range(n))).encode()


def _outcome(page) -> str:
    """The text of the commit's success message, or of the error page / error that came instead."""
    done = page.get_by_text(re.compile("^已写入批次 #"))
    failed = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    done.or_(failed).first.wait_for(timeout=WAIT_MS)
    return failed.first.inner_text() if failed.count() else done.first.inner_text()


def test_concurrent_commits_from_two_signed_in_tabs_are_both_written(browser, db, tmp_path):
    with running_server(db, tmp_path / "server.log") as url:
        one = _signed_in(browser, url, "adm_a", "upload")
        two = _signed_in(browser, url, "adm_b", "upload")
        _preview(one, "problems", "问题清单", "问题.csv", _problems_csv(CONCURRENT_ROWS))
        _preview(two, "supervision", "督查记录", "督查.csv", _supervision_csv(CONCURRENT_ROWS))
        one.get_by_role("button", name=re.compile("^确认写入")).click()
        two.get_by_role("button", name=re.compile("^确认写入")).click()
        outcomes = sorted([_outcome(one), _outcome(two)])
        one.context.close()
        two.context.close()
    assert [re.sub(r"#\d", "#N", o) for o in outcomes] == [
        f"已写入批次 #N：新增 {CONCURRENT_ROWS}，更新 0，不变 0。可在“上传历史”中撤销。"] * 2
    assert _stored(db, "SELECT dataset, user_name, rows_inserted FROM batches WHERE batch_id > 2 ORDER BY dataset") == [
        ("problems", "adm_a", CONCURRENT_ROWS), ("supervision", "adm_b", CONCURRENT_ROWS)]
    assert _stored(db, "SELECT (SELECT count(*) FROM problems), (SELECT count(*) FROM supervision)") == [
        (CONCURRENT_ROWS, CONCURRENT_ROWS)]
