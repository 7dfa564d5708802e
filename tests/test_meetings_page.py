"""The 组织生活 page on the hand-checkable store of tests/fixtures/meetings_fixture.py (as-of 2025-08-15,
figures hand-counted in tests/test_meetings.py)."""
import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.config import DEFAULT_RULES_PATH
from kpi.metrics.meetings import gap_branches, meeting_headline
from kpi.rules import load_rules
from tests.fixtures.apptest_helpers import signed_in
from tests.fixtures.meetings_fixture import build_store

AS_OF = dt.date(2025, 8, 15)


@pytest.fixture()
def app(tmp_path, monkeypatch):
    build_store(tmp_path / "t.duckdb").close()
    monkeypatch.setenv("DJ_DB", str(tmp_path / "t.duckdb"))

    def open_page(lang: str = "zh", scope: str = "") -> AppTest:
        at = signed_in(AppTest.from_file("../app.py", default_timeout=60))
        at.session_state["lang"] = lang
        at.session_state["as_of"] = AS_OF
        at.session_state["scope"] = scope
        # Straight to the page: a first run on the default page would leave that page's widgets in
        # the tree, and AppTest re-formats their labels outside the script (always in Chinese).
        at.switch_page("pages/meetings.py").run()
        assert not at.exception
        return at

    return open_page


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _titles(at: AppTest) -> list[str]:
    return [c["layout"]["title"]["text"] for c in _charts(at)]


def test_page_in_chinese(app):
    at = app()
    assert at.title[0].value == "组织生活"
    assert [(m.label, m.value) for m in at.metric] == [
        ("组织生活完成率", "56.3%"), ("参会率", "85.2%"), ("连续未开预警", "7")]
    sub = "<br><sup>截至 2025-08-15 · 全集团</sup>"
    assert _titles(at) == [
        "各类会议完成率" + sub, "各单位组织生活完成率" + sub, "各单位参会率" + sub,
        "各支部支部党员大会按期召开情况（每季度）" + sub, "甲厂第一支部 2025 年组织生活日历" + sub]
    by_type, by_unit, turnout, heatmap, _ = _charts(at)
    assert by_type["data"][0]["x"] == ["支部党员大会", "支部委员会会议", "党小组会", "党课", "主题党日",
                                       "组织生活会", "民主评议党员"]
    assert by_type["data"][0]["text"] == ["62.5%", "56.5%", "34.8%", "57.1%", "70.8%", "100.0%", "100.0%"]
    assert by_unit["data"][0]["x"] == ["一公司", "二公司", "三公司"]
    assert by_unit["data"][0]["text"] == ["79.3%", "10.3%", "—"]
    assert by_unit["data"][0]["textposition"][2] == "none"   # no bar, no label: the 无数据 mark says it
    assert by_unit["data"][1]["text"] == ["无数据"]          # 三公司 has no branch: missing, not 0 %
    assert turnout["data"][0]["text"] == ["85.1%", "90.0%", "—"]
    # Only branches with a missed 支部党员大会 period: B1 met all three quarters, B3 its only one
    # (early). Q3 is running: in progress (2, grey), not unmet (0, red).
    assert heatmap["data"][0]["y"] == ["甲厂第二支部", "乙厂第四支部"]
    assert heatmap["data"][0]["x"] == ["2025年第1季度", "2025年第2季度", "2025年第3季度"]
    assert heatmap["data"][0]["z"] == [[1, 0, 2], [0, 0, 2]]
    gaps = next(d.value for d in at.dataframe if "连续未开周期数" in d.value.columns)
    assert gaps["连续未开周期数"].tolist() == [2, 7, 2, 7, 7, 2, 7]
    assert gaps["会议类型"].tolist()[:2] == ["支部委员会会议", "党小组会"]


def test_page_in_english(app):
    at = app("en")
    assert at.title[0].value == "Organisational life"
    assert [(m.label, m.value) for m in at.metric] == [
        ("Organisational life completion", "56.3%"), ("Attendance rate", "85.2%"), ("Gap alerts", "7")]
    sub = "<br><sup>As of 2025-08-15 · Whole group</sup>"
    assert _titles(at) == [
        "Completion by meeting type" + sub, "Organisational life completion by unit" + sub,
        "Attendance rate by unit" + sub, "Branch general meeting held per branch and period (quarterly)" + sub,
        "甲厂第一支部: meeting calendar 2025" + sub]
    assert _charts(at)[0]["data"][0]["x"][:2] == ["Branch general meeting", "Branch committee meeting"]
    assert _charts(at)[3]["data"][0]["x"] == ["Q1 2025", "Q2 2025", "Q3 2025"]


def test_choosing_a_type_and_a_branch(app):
    at = app()
    at.selectbox(key="meetings_type").set_value("支部委员会会议")
    at.checkbox(key="meetings_only_unmet").uncheck()
    at.selectbox(key="meetings_branch").set_value("B3").run()
    assert not at.exception
    heatmap, calendar = _charts(at)[3], _charts(at)[4]
    assert heatmap["data"][0]["y"] == ["甲厂第一支部", "甲厂第二支部", "乙厂新建支部", "乙厂第四支部"]
    # B3 (founded 06-15): Jan–Jun not required (3), July met (1), August running and not met yet:
    # in progress (2), never red (0).
    assert heatmap["data"][0]["z"][2] == [3, 3, 3, 3, 3, 3, 1, 2]
    assert heatmap["data"][0]["text"][2] == [0, 0, 0, 0, 0, 1, 1, 0]
    assert calendar["layout"]["title"]["text"].startswith("乙厂新建支部 2025 年组织生活日历")
    assert "乙厂新建支部 2025 年会议记录（4 条）" in [c.value for c in at.caption]


def test_scope_without_meetings_shows_the_empty_state(app):
    at = app(scope="S3")
    assert not at.get("plotly_chart")
    assert at.info[0].value == "暂无组织生活数据：请在“数据上传”页上传“组织生活记录”。"


def test_page_on_the_demo_group(tmp_path, monkeypatch, demo_store):
    as_of = dt.date(2026, 6, 30)
    st = store.open_store(demo_store(tmp_path / "demo.duckdb", as_of))
    headline = meeting_headline(st.cursor(), load_rules(), as_of)
    gaps = gap_branches(st.cursor(), load_rules(), as_of)
    st.close()
    monkeypatch.setenv("DJ_DB", str(tmp_path / "demo.duckdb"))
    at = signed_in(AppTest.from_file("../app.py", default_timeout=60))
    at.session_state["as_of"] = as_of
    at.switch_page("pages/meetings.py").run()
    assert not at.exception
    assert [m.value for m in at.metric][::2] == [f"{headline.value:.1f}%", str(len(gaps))]
    assert len(gaps) > 0 and headline.value < 100   # the demo plants missed meetings
    assert _titles(at)[0] == "各类会议完成率<br><sup>截至 2026-06-30 · 全集团</sup>"
    assert len(_charts(at)) == 5


def test_bimonthly_committee_meetings_in_the_rules_file_change_the_page(app, tmp_path, monkeypatch):
    # tests/test_meetings.py counts it by hand: 支委会 every two months → 8 of 12 owed slots met for
    # that type and 44 of 76 overall (57.9%), instead of the monthly rule's 56.3%.
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        'type = "支部委员会会议"\nevery = "month"', 'type = "支部委员会会议"\nevery = "bimonth"')
    assert 'every = "bimonth"' in text
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("DJ_RULES", str(tmp_path / "rules.toml"))
    at = app()
    assert at.metric[0].value == "57.9%"
    by_type = _charts(at)[0]
    assert by_type["data"][0]["text"][1] == "66.7%"


def test_a_large_scope_offers_a_branch_search_instead_of_every_branch(tmp_path, monkeypatch):
    # 600 more branches (no meetings) make 604 in scope, above the picker's 500: the page asks for
    # a search; typing part of a name lists the matches, and the calendar follows the choice.
    path = tmp_path / "large.duckdb"
    large = build_store(path)
    large.cursor().executemany(
        "INSERT INTO units (unit_code, unit_name, parent_code, level, org_type) VALUES (?, ?, 'T2', 4, '党支部')",
        [(f"X{i:04d}", f"乙厂班组{i:04d}支部") for i in range(600)])
    large.close()
    monkeypatch.setenv("DJ_DB", str(path))
    at = signed_in(AppTest.from_file("../app.py", default_timeout=60))
    at.session_state["as_of"] = AS_OF
    at.switch_page("pages/meetings.py").run()
    assert not at.exception
    # The heat map draws the 60 branches with most unmet 支部党员大会 periods: B4 and every X branch
    # miss Q1–Q2 (B2 only Q2; Q3 is still running); ties go by code, so B4 and X0000–X0058.
    heatmap = _charts(at)[3]
    assert heatmap["data"][0]["y"] == ["乙厂第四支部"] + [f"乙厂班组{i:04d}支部" for i in range(59)]
    captions = [c.value for c in at.caption]
    assert ("图中为未完成周期最多的 60 个支部（共 602 个有未完成周期的支部）；“查看数据”中可下载全部支部的明细。"
            in captions)
    # Gap alerts: 7 of the fixture plus 5 per X branch (3 monthly types Jan–Jul, 2 quarterly Q1–Q2).
    assert at.metric[2].value == "3007"
    assert "表中显示前 1,000 行，共 3,007 行；下载的文件包含全部行。" in captions
    search = at.text_input(key="meetings_branch_search")
    assert search.label == "查找支部（共 604 个，输入名称或编码的一部分）"
    assert len(at.selectbox(key="meetings_branch").options) == 500
    assert "共 604 个支部匹配，列出前 500 个；请输入更多字以缩小范围。" in [c.value for c in at.caption]
    search.set_value("甲厂").run()
    assert not at.exception
    assert at.selectbox(key="meetings_branch").options == ["甲厂第一支部（B1）", "甲厂第二支部（B2）"]
    search.set_value("不存在").run()
    assert [i.value for i in at.info][-1] == "没有名称或编码包含该文字的支部。"
