"""单位画像: the profile of a unit equals hand-computed figures of tests/fixtures/overview_fixture.py, and
selecting a unit in a table or chart opens its profile.

Fixture (see its docstring and tests/test_overview.py): G → A, B → A1, B1 → A1a, A1b, B1a, as of
2026-06-30. B: funds 15 / 2000 = 0.75% (short 5 万元), weight 8 (short 2 points), party staff
8 / 1000 = 0.8% (short 2 people); its only branch B1a held no meeting (0 of 22 owed slots); problems P3
(B, 严重, open, due 07-31) and P4 (B1, overdue since 06-28: 2 days); no supervision activity;
B1a rated not compliant.
"""
import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kpi.display.profile import children_table, indicator_table, profile_cards
from kpi.metrics import overview, profile
from pages._ui import selected_unit
from tests.fixtures import overview_fixture as fx
from tests.fixtures.apptest_helpers import chart_spec, signed_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")
# Owed by a branch at 2026-06-30: every month and quarter has ended; the year is still running
# (in progress, owed only where already met).
MONTHLY_SLOTS, QUARTERLY_SLOTS, YEARLY_SLOTS = 6, 2, 0


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = fx.build(tmp_path_factory.mktemp("profile") / "profile.duckdb")
    yield store
    store.close()


def test_profile_of_b_equals_hand_computed_figures(store, rules):
    p = profile.unit_profile(store.cursor(), rules, fx.AS_OF, "B")
    assert p.unit == profile.UnitInfo("B", "乙公司", 2, "党委", "G", 20, 1000)
    assert p.breadcrumb == [("G", "测试集团"), ("B", "乙公司")]
    row = p.annual.iloc[0]
    assert (row.year, row.fund_ratio_pct, row.shortfall_wan, bool(row.meets_funds)) == (2026, 0.75, 5.0, False)
    assert round(row.execution_pct, 2) == 26.67  # spent 4 of 15
    assert (row.assessment_weight_pct, row.weight_shortfall_points, bool(row.meets_weight)) == (8.0, 2.0, False)
    assert (row.party_staff_ratio_pct, row.staff_shortfall, bool(row.meets_party_staff)) == (0.8, 2.0, False)
    # B1a, B's only branch, owes the 22 monthly and quarterly slots up to June and held none.
    done = p.meeting_completion
    assert (done.value, done.numerator, done.denominator) == (0.0, 0, 22)
    assert (p.attendance.value, p.attendance.denominator) == (None, 0)
    assert p.completion_by_type[["meeting_type", "required_slots", "met_slots"]].values.tolist() == [
        ["支部党员大会", QUARTERLY_SLOTS, 0], ["支部委员会会议", MONTHLY_SLOTS, 0], ["党小组会", MONTHLY_SLOTS, 0],
        ["党课", QUARTERLY_SLOTS, 0], ["主题党日", MONTHLY_SLOTS, 0], ["组织生活会", YEARLY_SLOTS, 0],
        ["民主评议党员", YEARLY_SLOTS, 0]]
    # Yearly meetings: the year's only slot has not ended, so it cannot be missed twice in a row.
    assert p.gap_branches[["unit_code", "meeting_type", "gap_slots"]].values.tolist() == [
        ["B1a", "支部党员大会", 2], ["B1a", "支部委员会会议", 6], ["B1a", "党小组会", 6], ["B1a", "党课", 2],
        ["B1a", "主题党日", 6]]
    heads = p.problem_headlines
    assert (heads["overdue"].value, heads["overdue"].denominator) == (1, 2)
    assert (heads["closeout"].value, heads["severe_open"].value) == (0.0, 1)
    assert p.overdue_problems[["problem_id", "unit_code", "days_overdue"]].values.tolist() == [["P4", "B1", 2]]
    assert (p.supervision_covered.numerator, p.supervision_covered.denominator) == (0, 1)
    assert (p.inspection_covered.numerator, p.inspection_covered.denominator) == (0, 1)
    assert p.inspection_coverage[["level", "covered", "units"]].values.tolist() == [[2, 0, 1], [3, 0, 1]]
    assert p.recent_activities.empty
    assert (p.standardisation.value, p.standardisation.numerator, p.standardisation.denominator) == (0.0, 0, 1)
    assert p.ratings_year == 2026 and p.six_basics.empty
    assert p.child_compliance[["unit_code", "compliance_pct"]].values.tolist() == [["B1", 0.0]]
    assert p.indicators["value"].isna().all() and len(p.indicators) == len(rules.indicators)
    # Flags in B's subtree: B 8 (three annual, meetings below 90%, severe P3, not supervised, not
    # inspected, standardisation — judged on secondary units, [standardisation] levels, whichever unit
    # is viewed), B1 2 (P4 overdue, not inspected), B1a 5 gaps → 15, as the overview's ranking counts for B.
    assert (len(p.flags), p.own_flag_count, p.flag_count) == (15, 8, 15)
    assert p.children[["unit_code", "unit_name", "flag_count", "meeting_completion_pct"]].values.tolist() == [
        ["B1", "乙一厂", 7, 0.0]]


def test_profile_of_a_branch(store, rules):
    p = profile.unit_profile(store.cursor(), rules, fx.AS_OF, "A1a")
    assert p.breadcrumb == [("G", "测试集团"), ("A", "甲公司"), ("A1", "甲一厂"), ("A1a", "甲一厂第一支部")]
    assert (p.meeting_completion.numerator, p.meeting_completion.denominator) == (24, 24)
    # 18 monthly meetings 9 of 10, 4 quarterly 10 of 10, 2 yearly 8 of 10: 218 of 240.
    assert (p.attendance.numerator, p.attendance.denominator) == (218, 240)
    # A branch is at no level the coverage rules check (supervision: 2; inspection: 2 and 3).
    assert (p.supervision_covered, p.inspection_covered) == (None, None)
    # Its scores 95 each against A's rated branches A1a (95) and A1b (85): average 90.
    assert p.six_basics[["branch_score", "unit_average"]].values.tolist() == [[95, 90.0]] * 6
    assert p.children.empty and p.child_compliance.empty
    assert p.annual.fund_ratio_pct.isna().all()  # no annual row: missing, never 0%


def test_group_profile_matches_the_overview(store, rules):
    p = profile.unit_profile(store.cursor(), rules, fx.AS_OF, "G")
    assert len(p.flags) == len(overview.red_flags(store.cursor(), rules, fx.AS_OF)) == 22
    assert p.children[["unit_code", "flag_count"]].values.tolist() == [["A", 7], ["B", 15]]


def test_cards_of_b(store, rules):
    p = profile.unit_profile(store.cursor(), rules, fx.AS_OF, "B")
    assert [(c.label, c.value, c.note, c.status) for c in profile_cards(p, rules, "zh")] == [
        ("预警（含下属单位）", "15 个", "本单位 8 条", "bad"),
        ("党组织工作经费占比", "0.75%", "要求 ≥ 1%，缺口 5 万元", "bad"),
        ("经费执行率", "26.7%", "支出 4 / 预算 15 万元", None),
        ("党建考核权重", "8%", "要求 ≥ 10%", "bad"),
        ("专职党务人员占比", "0.8%", "8 / 1000 人，要求 ≥ 1%", "bad"),
        ("组织生活完成率", "0.0%", "0 / 22 个周期 · 目标 ≥ 100%", "bad"),
        ("参会率", "无数据", "", None),
        ("超期未整改问题", "1 个", "未销号问题 2 个", "bad"),
        ("问题销号率", "0.0%", "0 / 2 个问题", None),
        ("支部标准化达标率", "0.0%", "0 / 1 个支部达标 · 目标 ≥ 95%", "bad"),
        ("本年度督查调研", "未覆盖", "调研/督查全覆盖：每年至少一次", "bad"),
        ("本轮巡察", "未覆盖", "三年内部巡察全覆盖", "bad"),
    ]
    english = profile_cards(p, rules, "en")
    assert [(c.label, c.value, c.note) for c in english[1:3]] == [
        ("Party work funds ratio", "0.75%", "rule ≥ 1%, short by 5 × CNY 10k"),
        ("Fund execution", "26.7%", "spent 4 of 15 × CNY 10k")]


def test_rule_change_changes_the_profile(store, rules):
    laxer = dataclasses.replace(rules, assessment_min_weight_pct=8.0)
    p = profile.unit_profile(store.cursor(), laxer, fx.AS_OF, "B")
    assert bool(p.annual.meets_weight.iloc[0]) is True
    assert (len(p.flags), p.own_flag_count) == (14, 7)
    assert profile_cards(p, laxer, "zh")[3].status == "ok"


def test_unknown_unit_is_a_typed_error(store, rules):
    with pytest.raises(profile.UnknownUnit) as caught:
        profile.unit_profile(store.cursor(), rules, fx.AS_OF, "X9")
    assert caught.value.message("zh") == "组织架构中没有单位编码“X9”，请检查编码或重新上传组织架构。"
    assert caught.value.message("en") == ("There is no unit with code “X9” in the organisation tree: "
                                          "check the code or upload the tree again.")


def test_default_unit(store):
    con = store.cursor()
    assert profile.default_unit(con, "X9", "B1") == "B1"
    assert profile.default_unit(con, None, None) == "G"
    # An account bound to A sees only A's subtree: B is refused, A1 kept, A by default.
    assert profile.default_unit(con, "B", None, within="A") == "A"
    assert profile.default_unit(con, "B", "A1", within="A") == "A1"
    assert profile.default_unit(con, "B", within="X9") is None


def test_selected_unit_reads_table_and_chart_selections():
    # The shapes Streamlit 1.67 returns: DataframeState.selection.rows (positions in the data) and
    # PlotlyState.selection.points (curve_number, point_index, customdata when the trace has it).
    codes = ["A", "B"]
    assert selected_unit({"selection": {"rows": [1], "columns": [], "cells": []}}, codes) == "B"
    assert selected_unit({"selection": {"rows": [], "columns": [], "cells": []}}, codes) is None
    assert selected_unit(None, codes) is None
    point = {"curve_number": 0, "point_number": 0, "point_index": 0, "x": 7, "y": "甲公司"}
    assert selected_unit({"selection": {"points": [point], "point_indices": [0]}}, codes) == "A"
    # A click on another trace (e.g. the 'no data' marks) has no place in a list of the first trace.
    assert selected_unit({"selection": {"points": [{**point, "curve_number": 1}]}}, codes) is None
    custom = {**point, "curve_number": 1, "customdata": ["乙公司", "B", 0.75]}
    assert selected_unit({"selection": {"points": [custom]}}, unit_customdata=1) == "B"


def _app(monkeypatch, tmp_path, unit: str | None = None, role: str = "管理员", account_unit: str | None = None
         ) -> AppTest:
    fx.build(tmp_path / "page.duckdb").close()
    monkeypatch.setenv("DJ_DB", str(tmp_path / "page.duckdb"))
    at = signed_in(AppTest.from_file(APP, default_timeout=60), role, account_unit)
    at.session_state["as_of"] = fx.AS_OF
    if unit:
        at.session_state["profile_unit"] = unit
    return at


def _metrics(at) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def test_profile_page_of_b(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path, "B").run()
    at.switch_page("pages/unit_profile.py").run()
    assert not at.exception
    assert at.title[0].value == "单位画像"
    assert at.selectbox(key="profile_picker").value == "B"
    assert at.caption[0].value == "二级单位 · 党委 · 党员 20 人 · 职工 1000 人 · 编码 B"
    assert _metrics(at) == [
        ("预警（含下属单位）", "15 个"), ("党组织工作经费占比", "0.75%"), ("经费执行率", "26.7%"),
        ("党建考核权重", "8%"), ("专职党务人员占比", "0.8%"), ("组织生活完成率", "0.0%"), ("参会率", "无数据"),
        ("超期未整改问题", "1 个"), ("问题销号率", "0.0%"), ("支部标准化达标率", "0.0%"),
        ("本年度督查调研", "未覆盖"), ("本轮巡察", "未覆盖")]
    assert [s.value for s in at.subheader] == [
        "预警清单（15 条）", "组织生活", "经费与考核", "问题整改", "督查覆盖", "达标创星", "其他指标",
        "下级单位（1 个）"]
    flags = at.dataframe(key="profile_flags_B_0").value
    assert len(flags) == 15 and flags.iloc[0]["单位编码"] == "B"
    titles = [chart_spec(c)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert titles == ["各类会议完成率<br><sup>截至 2026-06-30 · 乙公司</sup>",
                      "本轮巡察覆盖率（按层级）<br><sup>截至 2026-06-30 · 乙公司</sup>",
                      "各单位支部标准化规范化达标率<br><sup>截至 2026-06-30 · 乙公司</sup>"]
    by_type = chart_spec(at.get("plotly_chart")[0])
    # Five types at 0 %; the two yearly ones owe nothing yet (the year is running): "进行中", not 0 %
    # and not "no data".
    assert by_type["data"][0]["y"] == [0.0] * 5 + [None] * 2
    assert [(d["x"], d["text"]) for d in by_type["data"][1:]] == [(["组织生活会", "民主评议党员"], ["进行中"] * 2)]
    assert [i.value for i in at.info] == [
        "该单位及下属单位尚无督查记录：督查记录来自“数据上传”页的“督查记录”。",
        "暂无其他指标数据：请在“数据上传”页上传“其他指标”。"]


def test_breadcrumb_and_children_switch_the_profile(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path, "B").run()
    at.switch_page("pages/unit_profile.py").run()
    at.button(key="crumb_G").click().run()
    assert not at.exception
    assert at.selectbox(key="profile_picker").value == "G"
    assert at.metric[0].value == "22 个"
    assert at.subheader[-1].value == "下级单位（2 个）"
    at.session_state["profile_children_G_0"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="profile_picker").value == "B"
    assert at.metric[0].value == "15 个"
    at.run()  # the child selection is not replayed on the next run
    assert at.selectbox(key="profile_picker").value == "B"


def test_selecting_a_red_flag_on_the_overview_opens_its_unit(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path).run()
    assert at.title[0].value == "领导驾驶舱"
    # Row 14 of the overview's red flags: A1's overdue problem (tests/test_overview.py).
    assert at.dataframe(key="overview_flags").value.iloc[14]["单位编码"] == "A1"
    at.session_state["overview_flags"] = {"selection": {"rows": [14], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.title[0].value == "单位画像"
    assert at.caption[0].value == "三级单位 · 党总支 · 党员 40 人 · 职工 500 人 · 编码 A1"
    assert at.metric[0].value == "5 个"  # A1 1, A1b 4 (test_overview: ranking below A)
    at.run()
    assert at.title[0].value == "单位画像" and at.selectbox(key="profile_picker").value == "A1"


def test_selecting_a_problem_opens_its_unit(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path).run()
    at.switch_page("pages/problems.py").run()
    # Overdue first: P2 (A1, 30 days), then P4 (B1, 2 days).
    at.session_state["problem_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.title[0].value == "单位画像" and at.selectbox(key="profile_picker").value == "B1"


def test_profile_page_in_english(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path, "B")
    at.session_state["lang"] = "en"
    at.run().switch_page("pages/unit_profile.py").run()
    assert not at.exception
    assert at.title[0].value == "Unit profile"
    assert at.caption[0].value == "Secondary unit · Party committee · 20 members · 1000 staff · code B"
    assert _metrics(at)[:2] == [("Red flags (incl. units below)", "15"), ("Party work funds ratio", "0.75%")]
    assert at.subheader[0].value == "Red flags (15)"
    title = chart_spec(at.get("plotly_chart")[0])["layout"]["title"]["text"]
    assert title == "Completion by meeting type<br><sup>As of 2026-06-30 · 乙公司</sup>"


def test_a_leader_of_a_profiles_only_units_of_a(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path, "B", role="领导", account_unit="A").run()
    at.switch_page("pages/unit_profile.py").run()
    assert not at.exception
    picker = at.selectbox(key="profile_picker")
    assert (picker.value, picker.options) == ("A", ["\u3000甲公司（A）", "\u3000\u3000甲一厂（A1）",
                                                    "\u3000\u3000\u3000甲一厂第一支部（A1a）",
                                                    "\u3000\u3000\u3000甲一厂第二支部（A1b）"])
    # The group above A is named in the breadcrumb but offers no button.
    assert [b.key for b in at.button if (b.key or "").startswith("crumb_")] == []
    assert at.metric[0].value == "7 个"


def test_indicators_of_a_tertiary_unit(tmp_path, rules):
    # tests/fixtures/rule_fixtures.py, as of 2025-06-30, T11 = branches B111 and B112. Theory study (mean):
    # 2025-06 B111 98, B112 97 → 97.5 < 98. Articles (sum): 2025-06 only B111's 2 < 5. Applicants
    # (last): B111's 6 of 2025-06 (its 100 of 2025-07 is after the as-of date). Full members (last):
    # 20 + 18 = 38. Nothing else reported: 'no data', not 0.
    from tests.fixtures import rule_fixtures  # noqa: PLC0415

    store = rule_fixtures.build_rule_store(tmp_path / "rules.duckdb")
    p = profile.unit_profile(store.cursor(), rules, dt.date(2025, 6, 30), "T11")
    store.close()
    table = indicator_table(p, "zh")
    assert table[["指标", "最近期间", "数值", "目标"]].values.tolist() == [
        ["理论学习覆盖率", "2025-06", "97.5", "98"], ["党费收缴率", "—", "无数据", "100"],
        ["宣传稿件数", "2025-06", "2", "5"], ["合理化建议采纳率", "—", "无数据", "60"],
        ["职工满意度", "—", "无数据", "90"], ["入党申请人", "2025-06", "6", "—"],
        ["入党积极分子", "2025-06", "4", "—"], ["发展对象", "—", "无数据", "—"],
        ["预备党员", "—", "无数据", "—"], ["正式党员", "2025-06", "38", "—"]]
    assert table["是否达标"].tolist()[:3] == [False, pd.NA, False]
    assert children_table(p, "en")[["Unit code", "Level"]].values.tolist() == [
        ["B111", "Party branch"], ["B112", "Party branch"]]


def test_picker_offers_every_unit_of_a_small_subtree_and_only_upper_levels_of_a_large_one(tmp_path):
    con = fx.build(tmp_path / "p.duckdb").cursor()
    assert profile.picker_units(con, None, "G").unit_code.tolist() == ["A", "A1", "A1a", "A1b", "B", "B1", "B1a", "G"]
    assert profile.picker_units(con, "A", "A").unit_code.tolist() == ["A", "A1", "A1a", "A1b"]
    # Above the limit, branches are left out except the one on screen (reached by drill-down).
    assert profile.picker_units(con, None, "B1a", max_units=5).unit_code.tolist() == ["A", "A1", "B", "B1", "B1a", "G"]
