"""End to end, the first administrator on a store without accounts (issue 12 item 5): the real server
prints the one-time setup token to its log; in Debian chromium the first visitor's form without it
creates nothing, the token from the log creates the administrator and signs it in."""
from __future__ import annotations

import re
import time

import pytest
from argon2 import extract_parameters

from kpi import store
from kpi.access import accounts
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, running_server

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
TOKEN_LINE = re.compile(r"创建第一个管理员的一次性设置令牌：(\S+)")


def _token_from_log(log_path, timeout: float = 60) -> str:
    """The setup token once the server has written it to its log (the log is the event waited for)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = TOKEN_LINE.findall(log_path.read_text(encoding="utf-8"))
        if found:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.2)  # polling a file: there is no event to wait on
    raise AssertionError(f"no setup token in {log_path}")


def _fill(page, token: str) -> None:
    page.get_by_label("设置令牌（见服务器日志）").fill(token)
    page.get_by_label("用户名", exact=True).fill("chief")
    page.get_by_label("密码", exact=True).fill("chief-pass-1")
    page.get_by_label("再次输入密码", exact=True).fill("chief-pass-1")
    page.get_by_role("button", name="创建并登录").click()


def test_first_visitor_without_the_logged_token_creates_nothing(tmp_path):
    db, log = tmp_path / "fresh.duckdb", tmp_path / "server.log"
    s = store.open_store(db)
    store.set_meta(s.cursor(), "demo_cleared", "1")  # no demo: the store starts without any account
    s.close()
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # The one e2e server that hashes at the production cost (plain `python -m streamlit`).
        with running_server(db, log, production_hashing=True) as url:
            visitor = browser.new_page(locale="zh-CN")
            visitor.goto(f"{url}/login", wait_until="domcontentloaded")
            visitor.get_by_text("创建管理员账号").first.wait_for(timeout=60_000)
            token = _token_from_log(log)
            _fill(visitor, "not-the-token")
            visitor.get_by_text("设置令牌不正确，未创建账号。", exact=False).wait_for(timeout=60_000)
            assert visitor.get_by_text("已登录：").count() == 0
            admin = browser.new_page(locale="zh-CN")
            admin.goto(url, wait_until="domcontentloaded")
            admin.get_by_text("创建管理员账号").first.wait_for(timeout=60_000)
            _fill(admin, token)
            admin.get_by_text("已登录：chief（管理员）").wait_for(timeout=60_000)
            # The token is spent: the visitor's tab, reloaded, gets the sign-in form, not the setup form.
            visitor.reload(wait_until="domcontentloaded")
            visitor.get_by_role("button", name="登录").wait_for(timeout=60_000)
            assert visitor.get_by_text("创建管理员账号").count() == 0
        browser.close()
    assert TOKEN_LINE.findall(log.read_text(encoding="utf-8")) == [token]  # printed once
    s = store.open_store(db)
    con = s.cursor()
    assert con.execute("SELECT username, role, unit_code FROM accounts").fetchall() == [("chief", "管理员", None)]
    assert accounts.setup_token_matches(con, token) is False
    # Created in the server at production cost: argon2id, t=3, m=64 MiB, p=4 (not the suite's fast hasher).
    stored = extract_parameters(con.execute("SELECT password_hash FROM accounts").fetchone()[0])
    assert (stored.type.name, stored.time_cost, stored.memory_cost, stored.parallelism) == ("ID", 3, 65536, 4)
    s.close()
