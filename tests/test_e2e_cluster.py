"""Several servers on one DuckLake (issue 16, items 3 and 5), end to end: PostgreSQL started by the
project's own script (scripts/pgcluster.py, through tests/lake_fixture.py), one lake, two dashboard
servers (`streamlit run`) on two ports and the command line beside them; Debian chromium via Playwright.

- An upload in server A changes the figure that server B shows, without a restart; so does a
  `python -m kpi import` run while both servers run.
- Two analysts on the two servers click 确认写入 at the same moment: both batches are written whole,
  each audited once, and both see the success message. (When the two commits overlap, the later one
  conflicts and is tried again; tests/test_writes.py forces that path on both store kinds.)
- The lake's catalog (PostgreSQL) stops while a leader is signed in: the next click shows one Chinese
  message, never Streamlit's English error page; once PostgreSQL is back, the next click works.
- No server printed a traceback.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import subprocess
import sys
from typing import NamedTuple

import pytest
from test_e2e_writes import _metrics, _outcome, _preview, _problems_csv, _supervision_csv
from test_writes import STALE_ZH

from kpi import store
from kpi.store import lake
from tests.fixtures.browser import (
    DEMO_ADMIN,
    ROOT,
    first_start_store,
    open_in_app,
    running_server,
    sign_in,
    wait_until_rendered,
)

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
WAIT_MS = 120_000
SERIOUS_OPEN = "未销号严重问题"
# Rows per file of the simultaneous commits: enough for the two commits' transactions to overlap.
CONCURRENT_ROWS = 5_000


def _serious_problems_csv(problem_id: str, found: dt.date) -> bytes:
    """One serious problem of unit G010101, found `found`, still being rectified (not yet due)."""
    return ("问题编号,单位编码,问题来源,发现日期,问题描述,严重程度,整改时限,整改状态\n"
            f"{problem_id},G010101,巡察,{found.isoformat()},集群测试问题,严重,"
            f"{(found + dt.timedelta(days=90)).isoformat()},整改中\n").encode()


def _card_value(page, label: str) -> str:
    """The value of the cockpit card titled `label`, once the page has rendered."""
    wait_until_rendered(page, timeout=WAIT_MS)
    card = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=label))
    return card.locator("[data-testid='stMetricValue']").first.inner_text()


def _signed_in(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_label("用户名").wait_for(timeout=WAIT_MS)
    sign_in(page, *DEMO_ADMIN)
    return page


def _open_cockpit(page) -> None:
    """Open the cockpit through the sidebar (the default page: its link is the app's root address)."""
    page.locator("[data-testid='stSidebarNav'] a", has_text="领导驾驶舱").first.click()


def _back_to_cockpit(page) -> None:
    """Leave the cockpit and come back through the sidebar: a new run of the page in the same session
    (the server reads the store's data version on every run; nothing is reloaded)."""
    open_in_app(page, "funds")
    wait_until_rendered(page, timeout=WAIT_MS)
    _open_cockpit(page)


def _count(spec: str) -> int:
    return int(re.match(r"\d+", spec).group())


class Cluster(NamedTuple):
    spec: str
    url_a: str
    url_b: str
    logs: list


@pytest.fixture(scope="module")
def cluster(lake_factory, tmp_path_factory):
    """Two servers (A, B) on one lake holding the demo group as of today and the demo accounts (what
    a first start loads), for the tests of this module in turn; each test writes rows of its own
    (its own problem numbers and file names) and reads its figures before and after."""
    spec = first_start_store(lake_factory.new_spec())
    folder = tmp_path_factory.mktemp("cluster")
    logs = [folder / "server-a.log", folder / "server-b.log"]
    with contextlib.ExitStack() as servers:
        url_a, url_b = (servers.enter_context(running_server(spec, log)) for log in logs)
        assert url_a != url_b
        yield Cluster(spec, url_a, url_b, logs)
    _server_logs_clean(*logs)


def _server_logs_clean(*logs) -> None:
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert "Traceback" not in text, text[-3000:]


def test_an_upload_in_one_server_shows_in_the_other_and_the_command_line_runs_beside_both(
        browser, cluster, tmp_path):
    today = dt.date.today()
    b = _signed_in(browser, cluster.url_b)
    before = _count(_card_value(b, SERIOUS_OPEN))

    a = _signed_in(browser, cluster.url_a)
    open_in_app(a, "upload")
    _preview(a, "problems", "问题清单", "严重问题.csv", _serious_problems_csv("CLUSTER-A", today))
    a.get_by_role("button", name=re.compile("^确认写入")).click()
    assert re.sub(r"#\d+", "#N", _outcome(a)) == "已写入批次 #N：新增 1，更新 0，不变 0。可在“上传历史”中撤销。"

    _back_to_cockpit(b)
    assert _card_value(b, SERIOUS_OPEN) == f"{before + 1} 个"

    # The command line while both servers run — its import committing while B renders a page: no
    # lock to wait for, no hand-off needed.
    csv = tmp_path / "命令行问题.csv"
    csv.write_bytes(_serious_problems_csv("CLUSTER-CLI", today))
    cli = subprocess.Popen([sys.executable, "-m", "kpi", "import", "problems", str(csv), "--db", cluster.spec,
                            "--user", "admin"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, text=True)
    _back_to_cockpit(b)
    assert _card_value(b, SERIOUS_OPEN) in {f"{before + 1} 个", f"{before + 2} 个"}  # before or after it
    out, err = cli.communicate(timeout=300)
    assert (cli.returncode, err) == (0, "")
    assert re.sub(r"#\d+", "#N", out.splitlines()[-1]) == "已写入批次 #N（问题清单）：新增 1，更新 0，不变 0。"

    _back_to_cockpit(b)
    assert _card_value(b, SERIOUS_OPEN) == f"{before + 2} 个"
    _open_cockpit(a)
    assert _card_value(a, SERIOUS_OPEN) == f"{before + 2} 个"
    for page in (a, b):
        assert page.locator("[data-testid='stException']").count() == 0
        page.context.close()
    _server_logs_clean(*cluster.logs)
    assert _stored(cluster.spec, "SELECT user_name, file_name, rows_inserted FROM batches WHERE dataset = 'problems' "
                   "AND file_name IN ('严重问题.csv', '命令行问题.csv') ORDER BY batch_id") == [
        ("admin", "严重问题.csv", 1), ("admin", "命令行问题.csv", 1)]


def _stored(spec: str, sql: str, params: dict | None = None) -> list[tuple]:
    """Read the lake beside the running servers (a lake has no lock)."""
    opened = store.open_store(spec)
    try:
        return opened.cursor().execute(sql, params or {}).fetchall()
    finally:
        opened.close()


def test_two_servers_committing_at_the_same_moment_both_write_nothing_lost(browser, cluster):
    one, two = _signed_in(browser, cluster.url_a), _signed_in(browser, cluster.url_b)
    for page in (one, two):
        open_in_app(page, "upload")
    problems = _problems_csv(CONCURRENT_ROWS).replace(b"HY010101", b"G010101")  # a demo unit's code
    supervision = _supervision_csv(CONCURRENT_ROWS).replace(b"HY0101", b"G0101")
    _preview(one, "problems", "问题清单", "问题.csv", problems)
    _preview(two, "supervision", "督查记录", "督查.csv", supervision)
    one.get_by_role("button", name=re.compile("^确认写入")).click()
    two.get_by_role("button", name=re.compile("^确认写入")).click()
    outcomes = sorted([_outcome(one), _outcome(two)])
    for page in (one, two):
        page.context.close()
    assert [re.sub(r"#\d+", "#N", o) for o in outcomes] == [
        f"已写入批次 #N：新增 {CONCURRENT_ROWS}，更新 0，不变 0。可在“上传历史”中撤销。"] * 2
    _server_logs_clean(*cluster.logs)
    assert _stored(cluster.spec, "SELECT dataset, file_name, rows_inserted FROM batches WHERE file_name IN "
                   "('问题.csv', '督查.csv') ORDER BY dataset") == [
        ("problems", "问题.csv", CONCURRENT_ROWS), ("supervision", "督查.csv", CONCURRENT_ROWS)]
    for table, file_name in (("problems", "问题.csv"), ("supervision", "督查.csv")):
        assert _stored(cluster.spec, store.with_identifiers(
            "SELECT count(*) FROM {table} WHERE batch_id = (SELECT batch_id FROM batches WHERE file_name = $f)",
            table=table), {"f": file_name}) == [(CONCURRENT_ROWS,)]
    # each commit audited once (the audit target names the batch's file)
    assert _stored(cluster.spec, "SELECT count(*) FROM audit_log WHERE action = 'upload' AND "
                   "(target LIKE '% 问题.csv' OR target LIKE '% 督查.csv')") == [(2,)]


def test_an_undo_in_one_server_makes_a_preview_open_in_the_other_stale(browser, cluster):
    today = dt.date.today()
    a, b = _signed_in(browser, cluster.url_a), _signed_in(browser, cluster.url_b)
    open_in_app(a, "upload")
    _preview(a, "problems", "问题清单", "甲.csv", _serious_problems_csv("UNDO-U", today))
    a.get_by_role("button", name=re.compile("^确认写入")).click()
    batch = re.match(r"已写入批次 #(\d+)", _outcome(a)).group(1)

    open_in_app(b, "upload")
    _preview(b, "problems", "问题清单", "乙.csv", _serious_problems_csv("UNDO-V", today))
    assert _metrics(b) == ["1", "0", "0", "0"]

    open_in_app(a, "history")
    a.get_by_role("button", name="撤销所选批次").click()
    a.get_by_role("button", name="确认撤销").click()
    a.get_by_text(f"批次 #{batch} 已撤销，数据已恢复到该批次写入之前。").wait_for(timeout=WAIT_MS)

    b.get_by_role("button", name=re.compile("^确认写入")).click()
    b.get_by_text(STALE_ZH).wait_for(timeout=WAIT_MS)
    assert b.locator("[data-testid='stException']").count() == 0
    b.get_by_role("button", name=re.compile("^确认写入")).click()  # the second, informed click
    b.get_by_text(re.compile(r"^已写入批次 #\d+：新增 1，更新 0，不变 0。可在“上传历史”中撤销。$")).wait_for(
        timeout=WAIT_MS)
    for page in (a, b):
        page.context.close()
    _server_logs_clean(*cluster.logs)
    assert _stored(cluster.spec, "SELECT problem_id FROM problems WHERE problem_id LIKE 'UNDO-%'") == [("UNDO-V",)]


def test_a_catalog_that_stops_answering_gets_one_message_and_the_next_click_after_it_is_back_works(
        browser, tmp_path):
    from lake_fixture import new_lake, running_cluster  # noqa: PLC0415

    with running_cluster() as cluster:  # its own cluster: this test stops it
        spec, data = new_lake(cluster, tmp_path)
        opened = lake.open_lake(spec, data)
        opened.close()
        first_start_store(spec)
        log = tmp_path / "server.log"
        with running_server(spec, log) as url:
            page = _signed_in(browser, url)
            wait_until_rendered(page, timeout=WAIT_MS)
            english = _signed_in(browser, url)  # a second session, in English
            english.get_by_text("English").click()
            english.get_by_role("heading", name="Leadership overview").wait_for(timeout=WAIT_MS)
            cluster.stop()
            open_in_app(page, "problems")
            message = page.locator("[data-testid='stAlertContentError']")
            message.wait_for(timeout=WAIT_MS)
            # (the word joiners after the colons keep the spec from being read as a link: kpi.display.textsafe)
            assert message.inner_text().replace("\u2060", "") == (
                f"看板与数据湖的目录数据库（{spec}）失去了连接：PostgreSQL 没有应答。请确认它正在运行、网络畅通；"
                "恢复后点击页面上的任意按钮或刷新页面即可继续。")
            assert page.locator("[data-testid='stException']").count() == 0
            # Two clicks while it is down: the second run, stopped before the sidebar like the first, is
            # still in the session's language (Streamlit forgets a widget's value when a run does not draw it).
            english_message = english.locator("[data-testid='stAlertContentError']")
            for address in ("problems", "funds"):
                open_in_app(english, address)
                english_message.wait_for(timeout=WAIT_MS)
                wait_until_rendered(english, timeout=WAIT_MS)
                assert english_message.inner_text().startswith(
                    "The dashboard lost its connection to the lake's catalog database ("), address
            cluster.start()
            open_in_app(page, "funds")
            page.get_by_role("heading", name="经费与考核").wait_for(timeout=WAIT_MS)
            wait_until_rendered(page, timeout=WAIT_MS)
            assert page.locator("[data-testid='stAlertContentError'], [data-testid='stException']").count() == 0
            open_in_app(english, "meetings")
            english.get_by_role("heading", name="Organisational life").wait_for(timeout=WAIT_MS)
            for tab in (page, english):
                tab.context.close()
        _server_logs_clean(log)
