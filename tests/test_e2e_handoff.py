"""End to end (issue 16, done-when): with the dashboard running on the default kind of store (a DuckDB
file, `streamlit run`), the README's `python -m kpi export`, `import` and `briefing` commands succeed as
subprocesses against the same store — the dashboard holding the file takes each job over — and a
signed-in page shows the imported data on its next run, without a restart.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kpi import store
from kpi.access import accounts
from kpi.rules import load_rules
from tests.fixtures.browser import open_in_app, running_server, sign_in
from tests.fixtures.import_fixtures import template_store

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "e2e-password-1"
NEW_UNIT = "HY0109,华源电力新设党支部,HY01,3,党支部,10,50,2026-01-05\n"
WAIT_MS = 120_000


@pytest.fixture
def db(tmp_path):
    """The units and meetings templates (batches 1, 2) and one administrator."""
    path = template_store(tmp_path / "dashboard.duckdb", "setup")
    s = store.open_store(path)
    accounts.create_account(s.cursor(), load_rules(), "adm", PASSWORD, "管理员", by=None)
    s.close()
    return path


def kpi(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m kpi ARGV…` as the README's cron lines run it, from `cwd`, on the dashboard's store ($DJ_DB)."""
    return subprocess.run([sys.executable, "-m", "kpi", *argv], cwd=cwd, capture_output=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)


def test_the_readmes_commands_work_while_the_dashboard_runs_and_the_page_shows_the_import(
        browser, db, tmp_path, monkeypatch):
    monkeypatch.setenv("DJ_DB", str(db))  # the commands find the store as the server does
    work = tmp_path / "work"
    (work / "周报").mkdir(parents=True)
    with running_server(db, tmp_path / "server.log") as url:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_label("用户名").wait_for(timeout=WAIT_MS)
        sign_in(page, "adm", PASSWORD)  # the server has opened its store: it holds the file's lock now
        assert db.with_name("dashboard.duckdb.sock").is_socket()  # and takes jobs on it

        exported = kpi("export", "units", "--out", "units.csv", cwd=work)
        assert (exported.returncode, exported.stdout, exported.stderr) == (0, "", "")
        rows = (work / "units.csv").read_text(encoding="utf-8-sig").splitlines()
        assert rows[0] == "unit_code,unit_name,parent_code,level,org_type,member_count,staff_count,founded_date"
        assert len(rows) == 5

        with (work / "units.csv").open("a", encoding="utf-8") as fh:
            fh.write(NEW_UNIT)
        imported = kpi("import", "units", "units.csv", cwd=work)
        assert (imported.returncode, imported.stderr) == (0, "")
        assert imported.stdout.splitlines() == [
            "已读取 units.csv（CSV，编码 utf-8-sig）：有效数据 5 行；"
            "跳过标题行 0、说明行 0、合计行 0、空行 0、重复行 0。",
            "已写入批次 #3（组织架构）：新增 1，更新 0，不变 4。"]

        briefing = kpi("briefing", "--week", "2026-W48", "--out", "周报", cwd=work)
        assert (briefing.returncode, briefing.stderr) == (0, "")
        lines = briefing.stdout.splitlines()
        written = work / "周报"
        assert lines[:3] == [f"已生成周报：{written / f'briefing-2026-W48.{ext}'}" for ext in ("zip", "pptx", "pdf")]
        assert len(lines) == 4 and re.fullmatch(r"用时 \d+\.\d 秒", lines[3])
        assert sorted(p.name for p in (work / "周报").iterdir()) == [
            "briefing-2026-W48.pdf", "briefing-2026-W48.pptx", "briefing-2026-W48.zip"]

        # The open session's next run (a click in the navigation) offers the imported unit.
        open_in_app(page, "meetings")
        page.get_by_role("heading").first.wait_for(timeout=WAIT_MS)
        page.get_by_role("combobox", name="单位范围").click()
        page.get_by_role("option").filter(has_text="华源电力新设党支部").first.wait_for(timeout=WAIT_MS)
        assert "This app has encountered an error" not in page.content()
        page.context.close()
    assert "Traceback" not in (tmp_path / "server.log").read_text(encoding="utf-8")
