"""End to end, signed in and out: the real server on the demo group, Debian chromium via Playwright.

A page not in the role's navigation must not open by its URL; the DuckDB file, the rules and the
secrets must not be served; a server's very first request for a page's URL must not skip sign-in.
"""
from __future__ import annotations

import urllib.request

import pytest

from tests.fixtures.browser import ARTIFACTS, DEMO_ADMIN, DEMO_LEADER, running_server, sign_in, wait_until_rendered

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
UPLOAD_MARKERS = ("数据上传", "选择文件", "下载模板")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e_auth")
    with running_server(tmp / "demo.duckdb", tmp / "server.log") as url:
        yield url, tmp / "demo.duckdb"


def _tab(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_label("用户名").wait_for(timeout=60_000)
    return page


def _nav_text(page) -> str:
    """Every entry of the sidebar navigation (expanding 'View n more' first)."""
    more = page.locator("[data-testid='stSidebarNavViewButton']")
    if more.count() and "more" in more.first.inner_text().lower():
        more.first.click()
    return page.inner_text("[data-testid='stSidebarNav']")


def _dismiss_not_found(page) -> bool:
    """Close Streamlit's 'page not found' dialog; True when it was shown."""
    dialog = page.locator("[role='dialog']")
    try:
        dialog.first.wait_for(timeout=5_000)
    except playwright_api.TimeoutError:
        return False
    shown = "not found" in dialog.first.inner_text().lower()
    page.keyboard.press("Escape")
    dialog.first.wait_for(state="detached", timeout=10_000)
    return shown


def _main_text(page) -> str:
    page.wait_for_load_state("networkidle")
    wait_until_rendered(page)
    return page.inner_text("[data-testid='stMain']")


def test_first_request_for_a_page_url_still_asks_to_sign_in(browser, tmp_path):
    # A fresh server's first request runs the page alone (Streamlit's pages/ folder emulation):
    # the page's own role check must stop it and hand the run to the entry point's sign-in form.
    with running_server(tmp_path / "fresh.duckdb", tmp_path / "fresh.log") as url:
        page = browser.new_page(locale="zh-CN")
        page.goto(f"{url}/upload", wait_until="domcontentloaded")
        # The page's run alone is rerun as the entry point (pages/_ui/session.run_entry_point_instead),
        # whose navigation shows the sign-in form at the page's address.
        page.locator("input[type='password']").wait_for(timeout=60_000)
        text = _main_text(page)
        assert not any(marker in text for marker in UPLOAD_MARKERS), text[:500]
        assert "登录" in text
        page.close()


def test_admin_signs_in_sees_overview_then_signs_out(browser, server):
    url, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    page = _tab(browser, url)
    assert page.locator(".js-plotly-plot").count() == 0  # no data before signing in
    page.screenshot(path=ARTIFACTS / "login.png")
    sign_in(page, *DEMO_ADMIN)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.get_by_text("已登录：演示管理员（管理员）").wait_for()
    nav = _nav_text(page)
    assert "账号管理" in nav and "审计日志" in nav and "数据上传" in nav
    page.get_by_role("button", name="退出登录").click()
    page.get_by_label("用户名").wait_for(timeout=60_000)
    assert "领导驾驶舱" not in _main_text(page)  # waits for the run to end: stale elements are gone
    assert page.locator(".js-plotly-plot").count() == 0
    page.close()


def test_leader_is_refused_at_the_upload_url(browser, server):
    url, _ = server
    page = _tab(browser, f"{url}/upload")  # signed out, the sign-in form answers at any page's address
    assert not any(marker in _main_text(page) for marker in UPLOAD_MARKERS)
    sign_in(page, *DEMO_LEADER)
    wait_until_rendered(page)  # the upload page is not in the leader's navigation: the overview, saying so
    alerts = page.locator("[data-testid='stMain'] [data-testid='stAlert']").all_inner_texts()
    assert "您的角色（领导）无权打开此页面。" in [text.strip().splitlines()[-1] for text in alerts]
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    text = _main_text(page)
    assert not any(marker in text for marker in UPLOAD_MARKERS), text[:500]
    nav = _nav_text(page)
    assert "数据上传" not in nav and "账号管理" not in nav and "领导驾驶舱" in nav
    page.screenshot(path=ARTIFACTS / "leader-refused-upload.png", full_page=True)
    page.close()


@pytest.mark.parametrize("path", ["data/rules.toml", "data/dashboard.duckdb", "demo.duckdb", ".streamlit/config.toml",
                                  ".streamlit/secrets.toml", "app/static/../data/rules.toml", "app/static/rules.toml",
                                  "kpi/access/roles.py", "pages/_ui/session.py"])
def test_store_rules_and_secrets_are_not_served(server, path):
    url, _ = server
    try:
        with urllib.request.urlopen(f"{url}/{path}", timeout=10) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        assert exc.code in (400, 403, 404)
        return
    # Unknown paths get the app's own HTML page, never the file.
    assert b"<html" in body.lower(), body[:200]
    for leaked in (b"min_ratio_pct", b"DUCK", b"maxUploadSize", b"argon2", b"import streamlit"):
        assert leaked not in body
