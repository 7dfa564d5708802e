"""Issue 14 items 2, 3 and 6 (third bullet) beyond the metric tests of test_annual / test_overview:
an annual row with an unknown or zero payroll loads (its funds ratio reads 未报送 with the reason),
and the demo group's cards count every secondary unit, the bound scope's own unit included."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi.datasets import ANNUAL
from kpi.display.overview import flag_table
from kpi.importing.commit import commit_upload
from kpi.importing.parse import parse_upload
from kpi.importing.templates import column_note
from kpi.metrics import annual
from tests.fixtures.apptest_helpers import signed_in
from tests.fixtures.import_fixtures import org_store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DEMO_AS_OF = dt.date(2026, 11, 21)
HEADER = "年度,单位编码,上年度职工工资总额（万元）,党组织工作经费预算（万元）,党建考核权重（%）,专职党务工作人员数\n"


def test_a_row_with_unknown_or_zero_payroll_loads_and_reads_not_reported(tmp_path, rules):
    store = org_store(tmp_path / "i.duckdb")
    con = store.cursor()
    # S01 does not know last year's payroll (empty), S02 wrote 0; S09 is complete: 20 / 2000 = 1%.
    data = (HEADER + "2025,S01,,30,10,2\n2025,S02,0,40,12,3\n2025,S09,2000,20,10,1\n").encode("utf-8-sig")
    parsed = parse_upload(data, "annual.csv", "annual", con, rules)
    assert [e.message("zh") for e in parsed.errors] == []
    assert commit_upload(con, parsed, "ana").inserted == 3
    funds = annual.funds_by_unit(con, rules, dt.date(2025, 6, 30)).set_index("unit_code")
    assert funds.funds_ratio_status.to_dict() == {"S01": "not_reported", "S02": "not_reported", "S09": "met"}
    assert funds.funds_ratio_reason.fillna("").to_dict() == {"S01": "no_payroll", "S02": "no_payroll", "S09": ""}
    # the rest of their row counts: both weights (10%, 12%) meet the 10% rule
    weight = annual.weight_by_unit(con, rules, dt.date(2025, 6, 30)).set_index("unit_code")
    assert weight.assessment_weight_status.to_dict() == {"S01": "met", "S02": "met", "S09": "met"}
    flags = annual.annual_flags(con, rules, dt.date(2025, 6, 30), root="S02")
    words = flag_table(flags[flags.rule == "funds_ratio_missing"], "zh")
    assert words.message.tolist() == ["未报送：2025 年上年度职工工资总额为空或为 0，"
                                      "无法核对党组织工作经费是否达到上年度职工工资总额 1% 的要求"]
    store.close()


def test_an_empty_budget_is_still_refused_and_the_template_says_payroll_may_be_empty(tmp_path, rules):
    store = org_store(tmp_path / "i.duckdb")
    data = (HEADER + "2025,S01,1000,,10,2\n").encode("utf-8-sig")
    parsed = parse_upload(data, "annual.csv", "annual", store.cursor(), rules)
    assert [e.message("zh") for e in parsed.errors] == ["第 2 行，“党组织工作经费预算（万元）”列：必填项为空"]
    assert column_note(ANNUAL, ANNUAL.column("payroll_prev_year"), "zh").startswith("必备列（可留空）")
    store.close()


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory, demo_store):
    return demo_store(tmp_path_factory.mktemp("reporting-demo") / "demo.duckdb", DEMO_AS_OF)


def _overview(monkeypatch, path: Path, unit_code: str | None) -> AppTest:
    monkeypatch.setenv("DJ_DB", str(path))
    at = signed_in(AppTest.from_file(APP, default_timeout=90), "领导", unit_code)
    at.session_state["as_of"] = DEMO_AS_OF
    at.run()
    assert not at.exception
    return at


def _card(at: AppTest, label: str) -> tuple[str, list[str]]:
    value = next(m.value for m in at.metric if m.label == label)
    return value, [c.value for c in at.caption]


def test_demo_group_card_counts_all_ten_secondary_units(monkeypatch, demo_path):
    """Was '77.8% · 7/9': G10 sent no annual row and vanished from the denominator."""
    at = _overview(monkeypatch, demo_path, None)
    value, captions = _card(at, "经费达标单位占比")
    assert value == "70.0%"
    assert "目标 ≥ 100% · 7 达标 / 2 未达标 / 1 未报送，共 10" in captions
    # and G10 is named in the red-flag list, once per annual rule
    flags = next(d.value for d in at.dataframe if {"单位名称", "规则", "说明"} <= set(d.value.columns))
    g10 = flags[flags["单位名称"] == "示范国际贸易有限公司"]
    assert set(g10["规则"][g10["规则"].str.endswith("未报送")]) == {
        "党组织工作经费未报送", "党建考核权重未报送", "专职党务人员未报送"}


def test_demo_scope_bound_to_g01_counts_g01s_own_row(monkeypatch, demo_path):
    """Was '100% 达标 4/4' beside a red flag on G01 itself (0.86%)."""
    at = _overview(monkeypatch, demo_path, "G01")
    value, captions = _card(at, "经费达标单位占比")
    assert value == "80.0%"
    assert "目标 ≥ 100% · 4 达标 / 1 未达标 / 0 未报送，共 5" in captions


def test_briefing_chart_labels_a_unit_not_reported_instead_of_a_blank_bar(tmp_path, rules):
    from kpi.briefing.charts import funds_weight_chart  # noqa: PLC0415
    from tests.fixtures.rule_fixtures import build_rule_store  # noqa: PLC0415

    store = build_rule_store(tmp_path / "r.duckdb")
    as_of = dt.date(2025, 6, 30)
    funds = annual.funds_by_unit(store.cursor(), rules, as_of)
    weight = annual.weight_by_unit(store.cursor(), rules, as_of)
    fig = funds_weight_chart(funds, weight, 1.0, 10.0, "", "zh")
    bars = fig.data[0]
    assert list(bars.y) == ["第一分公司", "第二分公司", "第三分公司", "第四分公司"]
    assert list(bars.text) == ["1.04%", "0.75%", "1.00%", "未报送"]
    assert bars.x[3] == 0.0 and list(bars.textposition) == ["inside", "inside", "inside", "outside"]
    store.close()


def test_unit_profile_cards_say_not_reported_and_why(tmp_path, rules):
    from kpi.display.profile import profile_cards  # noqa: PLC0415
    from kpi.metrics.profile import unit_profile  # noqa: PLC0415
    from tests.fixtures.rule_fixtures import build_rule_store  # noqa: PLC0415

    store = build_rule_store(tmp_path / "r.duckdb")
    as_of = dt.date(2025, 6, 30)
    s4 = {c.key: c for c in profile_cards(unit_profile(store.cursor(), rules, as_of, "S4"), rules, "zh")}
    assert (s4["funds"].value, s4["funds"].note, s4["funds"].status) == ("未报送", "未上传年度指标数据", "missing")
    # T11 sent a row without its weight: that figure only is not reported
    t11 = {c.key: c for c in profile_cards(unit_profile(store.cursor(), rules, as_of, "T11"), rules, "zh")}
    assert (t11["funds"].value, t11["funds"].status) == ("0.9%", "bad")
    assert (t11["weight"].value, t11["weight"].note) == ("未报送", "党建考核权重为空")
    store.close()


def _rules_with(**annual_table) -> dict:
    import tomllib  # noqa: PLC0415

    from kpi.config import DEFAULT_RULES_PATH  # noqa: PLC0415

    with DEFAULT_RULES_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    if annual_table.pop("drop", False):
        del data["annual"]
    data.get("annual", {}).update(annual_table)
    return data


def test_rules_file_annual_table_defaults_choices_and_refusals():
    from kpi.rules import AnnualReporting, RulesError, load_rules, rules_from_dict  # noqa: PLC0415

    assert load_rules().annual == AnnualReporting((2, 3), "failing")
    assert rules_from_dict(_rules_with(drop=True)).annual == AnnualReporting((2, 3), "failing")
    assert rules_from_dict(_rules_with(not_reported_counts_as="excluded")).annual.counts_as_failing is False
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_rules_with(not_reported_counts_as="ignored"))
    assert caught.value.message("zh") == ("规则文件有误：annual.not_reported_counts_as — “ignored”不是允许的取值"
                                          "（failing、excluded）")
    assert caught.value.message("en") == ("Rules file error: annual.not_reported_counts_as — “ignored” is not one "
                                          "of the allowed values (failing、excluded)")
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_rules_with(levels=[2, 5]))
    assert caught.value.message("zh") == "规则文件有误：annual.levels — “5”不是允许的取值（1、2、3、4）"
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_rules_with(level=[2]))
    assert caught.value.message("zh") == "规则文件有误：annual.level — 未知的键（是否拼写有误？）"


def test_demo_funds_page_bound_to_g01_counts_and_lists_g01_itself(monkeypatch, demo_path):
    at = _overview(monkeypatch, demo_path, "G01")
    at.switch_page("pages/funds.py").run()
    assert not at.exception
    # the same count as the overview card: G01 (0.86%) and its four tertiary units
    assert next(m.value for m in at.metric if m.label == "经费比例达标") == "80.0%"
    assert "4 达标 / 1 未达标 / 0 未报送，共 5" in [c.value for c in at.caption]
    below = next(d.value for d in at.dataframe if "经费缺口（万元）" in d.value.columns)
    assert below["单位编码"].tolist()[0] == "G01" and below["经费"].tolist()[0] == "未达标"


def test_demo_briefing_funds_takeaways_count_ten_and_name_the_unit_not_reported(demo_path, rules):
    from kpi.briefing.content import funds_section  # noqa: PLC0415
    from kpi.store import open_store  # noqa: PLC0415

    store = open_store(demo_path)
    section = funds_section(store, rules, DEMO_AS_OF, None, "", "zh")
    assert section.takeaways[:3] == ["经费达标：7/10 个单位达到上年度工资总额 1% 的标准。",
                                      "考核权重达标：7/10 个单位的党建考核权重不低于 10%。",
                                      "未报送年度指标：示范国际贸易有限公司。"]
    store.close()
