"""End to end: the real server on the demo group, Debian chromium driven by Playwright.

(Every page's rendering, in both languages, with a picture of each: tests/test_e2e_language.py.)
"""
from __future__ import annotations

import io
import os
import re

import pandas as pd
import pytest
from pptx import Presentation

from tests.fixtures.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_ADMIN,
    DEMO_LEADER,
    GLYPH_CHECK_JS,
    open_in_app,
    running_server,
    sign_in,
    wait_until_rendered,
)

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

NO_CJK_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    with running_server(tmp / "demo.duckdb", tmp / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def playwright():
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


def _open(tabs, url: str, path: str = "overview", account: tuple[str, str] = DEMO_ADMIN):
    """A new tab of the module's context `tabs` (downloads accepted), signed in as `account`, on the
    page at `path`."""
    page = tabs.new_page()
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(url, wait_until="domcontentloaded")
    sign_in(page, *account)
    if path != "overview":
        open_in_app(page, path)
    return page


def test_overview_shows_demo_group_with_charts(server, tabs):
    ARTIFACTS.mkdir(exist_ok=True)
    page = _open(tabs, server)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.get_by_text("演示数据").first.wait_for(timeout=30_000)
    page.get_by_text("领导驾驶舱").first.wait_for()
    wait_until_rendered(page)  # every chart laid out before the picture
    page.screenshot(path=ARTIFACTS / "overview.png", full_page=True)
    assert page.locator("[data-testid='stMetric']").count() >= 6
    assert page.evaluate(GLYPH_CHECK_JS, ["党建督导看板", "24px sans-serif"]) is True
    page.close()


def test_glyph_check_detects_missing_cjk_font(playwright, tmp_path):
    # Negative control: the same check in a browser that can see no CJK font must report tofu.
    conf = tmp_path / "fonts.conf"
    conf.write_text(NO_CJK_FONTCONFIG.format(cache=tmp_path / "cache"))
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                          env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    page = instance.new_page()
    page.set_content("<p>x</p>")
    assert page.evaluate(GLYPH_CHECK_JS, ["党建督导看板", "24px sans-serif"]) is False
    assert page.evaluate(GLYPH_CHECK_JS, ["Dashboard", "24px sans-serif"]) is True
    instance.close()


def test_briefing_page_downloads_a_pptx(server, tabs):
    # A leader may export briefings: sign in as the demo leader, generate, click the PPTX download.
    page = _open(tabs, server, "briefing", DEMO_LEADER)
    page.get_by_role("button", name="生成周报文件").click()
    button = page.get_by_role("button", name="下载 PPTX")
    button.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as download_info:
        button.click()
    download = download_info.value
    target = ARTIFACTS / download.suggested_filename
    download.save_as(target)
    assert target.suffix == ".pptx" and target.stat().st_size > 10_000
    slides = Presentation(str(target)).slides
    titles = [next(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame) for slide in slides]
    # Cover, matrix, headline numbers, 本周变化, each area's chart and named list, the warning list; then the
    # appendix: the rest of each list longer than its slide. How many rows a list has depends on the week the
    # page offers (the last full week before today), so the appendix's length does too; its mechanics are
    # checked with exact numbers in tests/test_briefing_slides.py.
    assert titles[:12] == ["党建督导周报", "单位×规则矩阵", "本周核心指标", "本周变化", "经费与考核权重",
                           "未达标及未报送单位：经费、考核权重、专职党务", "组织生活", "连续 2 个周期以上未开会的支部",
                           "问题整改", "超期未整改问题（按超期天数）", "督查调研覆盖", "预警清单"]
    appendix = titles[12:]
    assert appendix and all(re.fullmatch(r"附录：(.+)（第 \d+–\d+ 项）", title) for title in appendix), appendix
    assert {re.fullmatch(r"附录：(.+)（第 .*", title)[1] for title in appendix} <= set(titles[4:12])
    page.close()


def test_sidebar_filters_are_kept_when_switching_pages(server, tabs):
    page = _open(tabs, server)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    scope = page.get_by_role("combobox", name="单位范围")
    scope.click()
    page.get_by_role("option").filter(has_text="示范电力有限公司").first.click()
    page.get_by_text("截至").first.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot .gtitle')]"
                           ".some(t => t.textContent.includes('示范电力有限公司'))", timeout=60_000)
    open_in_app(page, "funds")
    page.get_by_role("heading", name="经费与考核").wait_for(timeout=60_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    assert page.get_by_role("combobox", name="单位范围").input_value().strip() == "示范电力有限公司"
    titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
    assert titles and all("示范电力有限公司" in title for title in titles), titles
    page.close()


def test_chart_data_downloads_as_csv_with_bom(server, tabs):
    page = _open(tabs, server, "funds")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    wait_until_rendered(page)  # a click during the page's run can land on an element the run replaces
    page.get_by_text("查看数据").first.click()
    button = page.get_by_role("button", name="下载 CSV").first
    button.wait_for(timeout=30_000)
    wait_until_rendered(page)
    with page.expect_download(timeout=60_000) as download_info:
        button.click()
    target = ARTIFACTS / "funds-data.csv"
    download_info.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8 Chinese right
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("单位编码,单位名称,年度,上年度职工工资总额（万元）"), header
    page.close()


def test_problem_list_download_holds_every_listed_problem(server, tabs):
    page = _open(tabs, server, "problems")
    listed = page.locator("[data-testid='stMetric']").filter(has_text="筛选出的问题")
    listed.wait_for(timeout=60_000)
    count = int(listed.locator("[data-testid='stMetricValue']").inner_text().strip())
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("button", name="下载 CSV").first.click()
    target = ARTIFACTS / "problems.csv"
    download_info.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert len(pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")) == count > 0
    page.close()
