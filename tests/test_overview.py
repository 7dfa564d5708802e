"""The leadership overview: cards, red flags and ranking equal hand-computed values."""
import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from kpi.display import overview as overview_text
from kpi.metrics import overview
from kpi.rules import AnnualReporting
from kpi.store import bump_data_version
from tests.fixtures import overview_fixture as fx
from tests.fixtures.apptest_helpers import chart_spec, signed_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("overview") / "ov.duckdb"
    store = fx.build(path)
    yield store
    store.close()



def _card_values(cards):
    return {c.key: (None if c.now.value is None else round(c.now.value, 1), c.now.numerator, c.now.denominator,
                    c.change) for c in cards}


def test_cards_equal_hand_computed_values(store, rules):
    # funds: A 12/1000 = 1.2% meets, B 15/2000 = 0.75% fails → 1 of 2 units.
    # meetings (a slot is owed once ended, or when met while running): June, Q2 ended on 06-30, the
    #   year is running. A1a 24 of 24 (its yearly ones met in March), A1b 6 of 22 (monthly 支委会),
    #   B1a 0 of 22 → 30/68. A week earlier (06-23) June and Q2 were running: A1a 21 of 21 (June's
    #   monthly meetings of 06-25 not yet held: in progress), A1b 6 of 18 (June 支委会 met early),
    #   B1a 0 of 17 → 27/56 = 48.2%; change −4.1 points, from June and Q2 truly becoming overdue.
    # problems: P1 closed, P2 overdue 30 days, P3 严重 open, P4 found 06-25 and overdue since 06-28
    #   → close-out 1/4 (a week earlier 1/3), overdue 2 (a week earlier 1).
    # supervision: A visited (督查 2026-04-01), B not → 1/2; inspection cycle 2024–2026 over levels
    #   2 and 3 reached only A1 (巡察 2025-05) → 1/4. Standardisation: 2 of 3 branches compliant.
    cards = overview.headline_cards(store.cursor(), rules, fx.AS_OF)
    assert [c.key for c in cards] == list(overview.CARD_KEYS)
    assert _card_values(cards) == {
        "funds": (50.0, 1, 2, 0.0), "weight": (50.0, 1, 2, 0.0), "party_staff": (50.0, 1, 2, 0.0),
        "meetings": (44.1, 30, 68, -4.1), "standardisation": (66.7, 2, 3, 0.0),
        "closeout": (25.0, 1, 4, -8.3), "overdue": (2, 2, 3, 1), "severe_open": (1, 1, 1, 0),
        "supervision": (50.0, 1, 2, 0.0), "inspection": (25.0, 1, 4, 0.0),
    }
    assert [c.now.status for c in cards] == ["bad"] * 5 + ["ok", "bad", "bad", "bad", "bad"]


def test_card_texts(store, rules):
    cards = {c.key: c for c in overview.headline_cards(store.cursor(), rules, fx.AS_OF)}
    assert overview_text.card_texts(cards["meetings"], rules, "zh") == {
        "label": "组织生活完成率", "value": "44.1%", "change": "-4.1 个百分点", "target": "目标 ≥ 100%",
        "status": "未达标", "counts": "30 / 68",
        "help": ("本年度已结束的周期（及已提前完成的进行中周期）中，按要求召开会议的周期数 ÷ 应开周期数"
                 "（三会一课等，依规则文件）")}
    overdue = overview_text.card_texts(cards["overdue"], rules, "en")
    assert (overdue["label"], overdue["value"], overdue["change"], overdue["target"], overdue["status"]) == (
        "Overdue problems", "2", "+1", "Target ≤ 0", "Below the rule")
    closeout = overview_text.card_texts(cards["closeout"], rules, "zh")
    assert (closeout["value"], closeout["change"], closeout["target"], closeout["status"]) == (
        "25.0%", "-8.3 个百分点", "无统一目标", None)
    assert overview_text.card_texts(cards["funds"], rules, "zh")["help"] == (
        "党组织工作经费预算 ÷ 上年度职工工资总额 ≥ 1% 的单位 ÷ 有数据的单位")


def test_red_flags_name_unit_rule_and_shortfall(store, rules):
    table = overview_text.flag_table(overview.red_flags(store.cursor(), rules, fx.AS_OF), "zh")
    pd.testing.assert_frame_equal(overview_text.flag_rows(store.cursor(), rules, fx.AS_OF, lang="zh"), table)
    rows = list(table[["unit_code", "rule", "message"]].itertuples(index=False, name=None))
    assert rows[:3] == [
        ("B", "党建考核权重", "2026年党建考核权重 8%，低于 10% 的要求，差 2 个百分点"),
        ("B", "党组织工作经费", "2026年党组织工作经费预算占上年度职工工资总额 0.75%，低于 1% 的要求，缺口 5 万元"),
        ("B", "专职党务人员", "2026年专职党务工作人员占职工总数 0.8%，低于 1% 的要求，缺 2 人"),
    ]
    assert ("A1b", "组织生活连续未开",
            "党课（2026年第1季度、2026年第2季度）：连续 2 个周期未按要求召开（连续 2 个即预警）") in rows
    assert ("A", "组织生活完成率",
            "组织生活完成率 65.2%，低于预警线 90%，差 24.8 个百分点（已完成/应开周期：30/46）") in rows
    assert rows[14:] == [
        ("A1", "问题超期", "1 个问题逾期未销号，最长已逾期 30 天"),
        ("B1", "问题超期", "1 个问题逾期未销号，最长已逾期 2 天"),
        ("B", "严重问题未销号", "1 个严重问题尚未销号（P3）"),
        ("B", "督查调研未覆盖", "本年度尚未开展调研/督查（最近一次活动：—）"),
        ("B", "巡察未覆盖", "本轮巡察周期内尚未被巡察（最近一次活动：—）"),
        ("A", "巡察未覆盖", "本轮巡察周期内尚未被巡察（最近一次活动：2026-04-01）"),
        ("B1", "巡察未覆盖", "本轮巡察周期内尚未被巡察（最近一次活动：—）"),
        ("B", "支部标准化", "2026年支部标准化规范化达标率 0%，低于目标 95%，差 95 个百分点"),
    ]
    assert len(rows) == 22
    english = overview_text.flag_table(overview.red_flags(store.cursor(), rules, fx.AS_OF), "en")
    assert english.message.iloc[1] == ("2026 party work funds budget is 0.75% of the previous year's payroll, "
                                       "below the required 1%: short by 5 × CNY 10k")


def test_ranking_counts_flags_in_each_subtree(store, rules):
    # A: itself 2 flags, A1 1, A1b 4 → 7; B: itself 8, B1 2, B1a 5 → 15.
    ranking = overview.unit_ranking(store.cursor(), rules, fx.AS_OF)
    assert ranking[["rank", "unit_code", "flag_count", "meeting_completion_pct"]].values.tolist() == [
        [1, "A", 7, pytest.approx(3000 / 46)], [2, "B", 15, 0.0]]


def test_subtree_scope(store, rules):
    cards = {c.key: c for c in overview.headline_cards(store.cursor(), rules, fx.AS_OF, root="A")}
    # Below A the breakdown level is A1, and A's own row counts beside it: both meet; meetings 30 of 46 owed slots.
    assert (cards["funds"].now.value, cards["funds"].now.numerator, cards["funds"].now.denominator) == (100.0, 2, 2)
    assert round(cards["meetings"].now.value, 1) == 65.2
    assert cards["overdue"].now.value == 1
    ranking = overview.unit_ranking(store.cursor(), rules, fx.AS_OF, root="A")
    assert ranking[["unit_code", "flag_count"]].values.tolist() == [["A1", 5]]


def test_a_scope_counts_its_own_unit_as_its_red_flags_do(store, rules):
    """Bound to B: B's own funds row (0.75%, flagged) counts in B's card beside B1's (1.2%): 1 of 2,
    not '100% 1/1' next to a red flag on B itself."""
    cards = {c.key: c for c in overview.headline_cards(store.cursor(), rules, fx.AS_OF, root="B")}
    funds = cards["funds"].now
    assert (funds.value, funds.numerator, funds.denominator, funds.failing, funds.not_reported) == (50.0, 1, 2, 1, 0)
    assert overview_text.card_texts(cards["funds"], rules, "zh")["counts"] == "1 达标 / 1 未达标 / 0 未报送，共 2"
    flags = overview.red_flags(store.cursor(), rules, fx.AS_OF, root="B")
    assert flags[flags.rule == "funds_ratio"].unit_code.tolist() == ["B"]


def test_a_unit_not_reported_is_counted_flagged_and_worded(tmp_path, rules):
    st = fx.build(tmp_path / "missing.duckdb")
    con = st.cursor()
    con.execute("DELETE FROM annual WHERE unit_code = 'A1'")
    bump_data_version(con)
    cards = {c.key: c for c in overview.headline_cards(st.cursor(), rules, fx.AS_OF, root="A")}
    funds = cards["funds"].now
    # A meets, A1 sent nothing: 1 met / 0 below / 1 not reported of 2 → 50% (not reported counts as not meeting)
    assert (funds.value, funds.numerator, funds.denominator, funds.not_reported) == (50.0, 1, 2, 1)
    assert overview_text.card_texts(cards["funds"], rules, "zh")["counts"] == "1 达标 / 0 未达标 / 1 未报送，共 2"
    assert overview_text.card_texts(cards["funds"], rules, "en")["counts"] == "1 met / 0 below / 1 not reported, of 2"
    excluded = dataclasses.replace(rules, annual=AnnualReporting(not_reported_counts_as="excluded"))
    shown = {c.key: c for c in overview.headline_cards(st.cursor(), excluded, fx.AS_OF, root="A")}["funds"]
    assert (shown.now.value, shown.now.numerator, shown.now.denominator) == (100.0, 1, 1)
    assert overview_text.card_texts(shown, excluded, "zh")["counts"] == "1 达标 / 0 未达标 / 1 未报送，共 2"
    rows = overview_text.flag_table(overview.red_flags(st.cursor(), rules, fx.AS_OF, root="A"), "zh")
    missing = rows[rows.rule.str.endswith("未报送")]
    assert missing[["unit_code", "rule"]].values.tolist() == [
        ["A1", "党建考核权重未报送"], ["A1", "党组织工作经费未报送"], ["A1", "专职党务人员未报送"]]
    assert missing.message.iloc[1] == ("未报送：2026 年未上传年度指标数据，"
                                       "无法核对党组织工作经费是否达到上年度职工工资总额 1% 的要求")
    st.close()


def test_weight_rule_change_changes_the_card(store, rules):
    stricter = dataclasses.replace(rules, assessment_min_weight_pct=13.0)
    cards = {c.key: c for c in overview.headline_cards(store.cursor(), stricter, fx.AS_OF)}
    assert (cards["weight"].now.value, cards["weight"].now.numerator) == (0.0, 0)


def _app(monkeypatch, db: Path) -> AppTest:
    monkeypatch.setenv("DJ_DB", str(db))
    at = signed_in(AppTest.from_file(APP, default_timeout=60))
    at.session_state["as_of"] = fx.AS_OF
    return at


def test_overview_page_shows_the_same_numbers(monkeypatch, tmp_path):
    fx.build(tmp_path / "page.duckdb").close()
    at = _app(monkeypatch, tmp_path / "page.duckdb").run()
    assert not at.exception
    assert at.title[0].value == "领导驾驶舱"
    assert [(m.label, m.value, m.delta) for m in at.metric] == [
        ("经费达标单位占比", "50.0%", "与上周持平"), ("考核权重达标单位占比", "50.0%", "与上周持平"),
        ("党务人员达标单位占比", "50.0%", "与上周持平"), ("组织生活完成率", "44.1%", "-4.1 个百分点"),
        ("支部标准化达标率", "66.7%", "与上周持平"), ("问题销号率", "25.0%", "-8.3 个百分点"),
        ("超期未整改问题", "2 个", "+1 个"), ("未销号严重问题", "1 个", "与上周持平"),
        ("本年度督查调研覆盖率", "50.0%", "与上周持平"), ("本轮巡察覆盖率", "25.0%", "与上周持平")]
    # An unchanged figure carries no arrow and no "较上周" after "与上周持平"; a change keeps both.
    steady = [(m.proto.direction, m.proto.delta_description) for m in at.metric if m.delta == "与上周持平"]
    assert steady == [(MetricProto.MetricDirection.NONE, "")] * 7
    moved = at.metric[3].proto
    assert (moved.direction, moved.delta_description) == (MetricProto.MetricDirection.DOWN, "较上周")
    # The matrix comes first (tests/test_cockpit.py); the red flags and the ranking are tabs below the cards.
    assert at.subheader[0].value == "单位×规则矩阵"
    assert [tab.label for tab in at.tabs] == ["预警清单（22 条）", "下属单位排名"]
    ranking = chart_spec(at.get("plotly_chart")[1])
    assert ranking["layout"]["title"]["text"] == "下属单位预警数排名（越少越好）<br><sup>截至 2026-06-30 · 全集团</sup>"
    assert ranking["data"][0]["x"] == [15, 7]
    assert ranking["data"][0]["y"] == ["乙公司", "甲公司"]


def test_overview_page_in_english(monkeypatch, tmp_path):
    fx.build(tmp_path / "en.duckdb").close()
    at = _app(monkeypatch, tmp_path / "en.duckdb").run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Leadership overview"
    assert at.metric[3].label == "Meetings held on schedule" and at.metric[3].value == "44.1%"
    assert [tab.label for tab in at.tabs] == ["Red flags (22)", "Ranking of units"]
    title = chart_spec(at.get("plotly_chart")[1])["layout"]["title"]["text"]
    assert title == "Red flags per unit (fewer is better)<br><sup>As of 2026-06-30 · Whole group</sup>"
