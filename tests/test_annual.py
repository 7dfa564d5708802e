"""Funds, assessment weight and party-affairs staff on the hand-computed store of rule_fixtures."""
import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kpi.display.overview import flag_table
from kpi.metrics import annual
from kpi.metrics.common import FLAG_COLUMNS
from kpi.rules import AnnualReporting
from tests.fixtures.rule_fixtures import build_rule_store

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def con(tmp_path):
    store = build_rule_store(tmp_path / "t.duckdb")
    yield store.cursor()
    store.close()



def _by_code(df, column):
    return {code: (None if pd.isna(v) else v) for code, v in zip(df["unit_code"], df[column])}


def test_funds_by_unit_lists_every_secondary_unit_with_exact_figures(con, rules):
    df = annual.funds_by_unit(con, rules, AS_OF)
    assert list(df["unit_code"]) == ["S1", "S2", "S3", "S4"]
    assert list(df["year"]) == [2025] * 4
    assert _by_code(df, "fund_ratio_pct") == {"S1": pytest.approx(1.04), "S2": 0.75, "S3": 1.0, "S4": None}
    assert _by_code(df, "required_budget") == {"S1": 50.0, "S2": 80.0, "S3": 30.0, "S4": None}
    assert _by_code(df, "shortfall_wan") == {"S1": 0.0, "S2": 20.0, "S3": 0.0, "S4": None}
    assert _by_code(df, "meets_funds") == {"S1": True, "S2": False, "S3": True, "S4": None}
    assert _by_code(df, "execution_pct") == {"S1": 75.0, "S2": 50.0, "S3": 110.0, "S4": None}
    assert _by_code(df, "funds_ratio_status") == {"S1": "met", "S2": "failing", "S3": "met", "S4": "not_reported"}
    assert _by_code(df, "funds_ratio_reason") == {"S1": None, "S2": None, "S3": None, "S4": "no_row"}


def test_funds_rule_uses_previous_years_payroll(con, rules):
    """S1 2025: 52 万元 on 2025's payroll_prev_year 5000 → 1.04% meets. S1's own 2025 payroll, 5500,
    is the 2026 row's payroll_prev_year: 52 ÷ 5500 = 0.945% would fail. The 2025 figure must use 5000."""
    s1 = annual.funds_by_unit(con, rules, AS_OF).set_index("unit_code").loc["S1"]
    assert s1["payroll_prev_year"] == 5000.0
    assert bool(s1["meets_funds"]) is True
    payroll_2025 = con.execute("SELECT payroll_prev_year FROM annual WHERE unit_code = 'S1' AND year = 2026"
                               ).fetchone()[0]
    assert 52 / payroll_2025 * 100 < rules.funds_min_ratio_pct
    s1_2026 = annual.funds_by_unit(con, rules, dt.date(2026, 3, 1)).set_index("unit_code").loc["S1"]
    assert s1_2026["fund_ratio_pct"] == pytest.approx(60 / 5500 * 100)


def test_level_three_and_subtree(con, rules):
    df = annual.funds_by_unit(con, rules, AS_OF, level=3)
    assert list(df["unit_code"]) == ["T11", "T12", "T21", "T31"]
    assert _by_code(df, "fund_ratio_pct") == {"T11": 0.9, "T12": None, "T21": None, "T31": None}
    assert _by_code(df, "shortfall_wan") == {"T11": 1.0, "T12": None, "T21": None, "T31": None}
    # below S1 the default level is the tertiary one, and S1's own row counts beside them
    assert list(annual.funds_by_unit(con, rules, AS_OF, root="S1")["unit_code"]) == ["S1", "T11", "T12"]
    assert list(annual.funds_by_unit(con, rules, AS_OF, root="S1", with_root=False)["unit_code"]) == ["T11", "T12"]


def test_weight_and_party_staff_by_unit(con, rules):
    w = annual.weight_by_unit(con, rules, AS_OF)
    assert _by_code(w, "meets_weight") == {"S1": True, "S2": True, "S3": False, "S4": None}
    assert _by_code(w, "weight_shortfall_points") == {"S1": 0.0, "S2": 0.0, "S3": 2.0, "S4": None}
    s = annual.party_staff_by_unit(con, rules, AS_OF)
    assert _by_code(s, "party_staff_ratio_pct") == {"S1": 1.0, "S2": pytest.approx(10 / 15), "S3": 1.2, "S4": None}
    assert _by_code(s, "meets_party_staff") == {"S1": True, "S2": False, "S3": True, "S4": None}
    assert _by_code(s, "staff_shortfall") == {"S1": 0, "S2": 5, "S3": 0, "S4": None}
    assert _by_code(s, "required_staff") == {"S1": 20.0, "S2": 15.0, "S3": 10.0, "S4": 5.0}


def test_parent_compliance_is_share_of_units_not_average_of_percentages(con, rules):
    head = annual.funds_compliance(con, rules, AS_OF)
    # S1 and S3 meet, S2 fails, S4 sent nothing: 2 of 4 (not reported counts as not meeting by default)
    assert (head.numerator, head.denominator, head.failing, head.not_reported) == (2, 4, 1, 1)
    assert head.value == 50.0
    assert head.status == "bad"
    # the average of the three ratios (1.04, 0.75, 1.00) is 0.93%: it would say the group fails outright
    ratios = annual.funds_by_unit(con, rules, AS_OF)["fund_ratio_pct"]
    assert ratios.mean() == pytest.approx(0.93)


def test_units_not_reported_are_counted_beside_and_as_not_meeting_by_default(con, rules):
    assert rules.annual.not_reported_counts_as == "failing"
    summary = annual.compliance_summary(con, rules, AS_OF).set_index("rule")
    assert summary.loc["funds_ratio"].to_dict() == {
        "units": 4, "with_data": 3, "complying": 2, "failing": 1, "not_reported": 1, "denominator": 4,
        "share_pct": 50.0}
    assert summary.loc["party_staff", "not_reported"] == 1
    # no unit has a row for 2023: the year's collection has not begun, nobody owes it yet
    none = annual.funds_compliance(con, rules, dt.date(2023, 6, 30))
    assert (none.value, none.numerator, none.denominator, none.not_reported, none.status) == (None, 0, 0, 0, "missing")


def test_rules_file_can_leave_units_not_reported_out_of_the_share(con, rules):
    excluded = dataclasses.replace(rules, annual=AnnualReporting(not_reported_counts_as="excluded"))
    summary = annual.compliance_summary(con, excluded, AS_OF).set_index("rule")
    assert summary.loc["funds_ratio"].to_dict() == {
        "units": 4, "with_data": 3, "complying": 2, "failing": 1, "not_reported": 1, "denominator": 3,
        "share_pct": pytest.approx(200 / 3)}
    head = annual.funds_compliance(con, excluded, AS_OF)
    assert (head.numerator, head.denominator, head.failing, head.not_reported) == (2, 3, 1, 1)
    # the flag is raised either way: not reporting is a finding
    assert "S4" in set(annual.annual_flags(con, excluded, AS_OF).query("rule == 'funds_ratio_missing'").unit_code)


def test_a_unit_of_a_level_that_does_not_report_owes_no_row(con, rules):
    only_secondary = dataclasses.replace(rules, annual=AnnualReporting(levels=(2,)))
    df = annual.funds_by_unit(con, only_secondary, AS_OF, level=3)
    # T11 sent a row (judged on it); T12, T21, T31 owe none: not judged, not counted
    assert _by_code(df, "funds_ratio_status") == {"T11": "failing", "T12": None, "T21": None, "T31": None}
    head = annual.funds_compliance(con, only_secondary, AS_OF, level=3)
    assert (head.numerator, head.denominator, head.failing, head.not_reported) == (0, 1, 1, 0)


def test_a_unit_founded_after_the_as_of_date_owes_no_row_yet(con, rules):
    con.execute("UPDATE units SET founded_date = DATE '2025-09-01' WHERE unit_code = 'S4'")
    head = annual.funds_compliance(con, rules, AS_OF)
    assert (head.numerator, head.denominator, head.not_reported) == (2, 3, 0)
    later = annual.funds_compliance(con, rules, dt.date(2025, 10, 1))
    assert (later.numerator, later.denominator, later.not_reported) == (2, 4, 1)


def test_weight_rule_change_changes_who_complies(con, rules):
    stricter = dataclasses.replace(rules, assessment_min_weight_pct=12.0)
    w = annual.weight_by_unit(con, stricter, AS_OF)
    assert _by_code(w, "meets_weight") == {"S1": True, "S2": False, "S3": False, "S4": None}
    assert _by_code(w, "weight_shortfall_points") == {"S1": 0.0, "S2": 2.0, "S3": 4.0, "S4": None}
    head = annual.weight_compliance(con, stricter, AS_OF)
    assert (head.numerator, head.denominator) == (1, 4)
    assert annual.weight_compliance(con, rules, AS_OF).numerator == 2


def test_funds_rule_change(con, rules):
    looser = dataclasses.replace(rules, funds_min_ratio_pct=0.75)
    assert annual.funds_compliance(con, looser, AS_OF).numerator == 3
    assert _by_code(annual.funds_by_unit(con, looser, AS_OF), "shortfall_wan")["S2"] == 0.0


def test_annual_trend(con, rules):
    trend = annual.annual_trend(con, rules)
    assert list(trend["year"]) == [2024, 2025, 2026]
    assert list(trend["units"]) == [4, 4, 4]
    assert list(trend["funds_ratio_with_data"]) == [2, 3, 1]
    assert list(trend["funds_ratio_complying"]) == [2, 2, 1]
    assert list(trend["funds_ratio_not_reported"]) == [2, 1, 3]
    assert list(trend["funds_ratio_share_pct"]) == [50.0, 50.0, 25.0]
    assert list(trend["assessment_weight_complying"]) == [1, 2, 0]
    assert trend["assessment_weight_share_pct"].iloc[0] == 25.0
    assert pd.isna(trend["assessment_weight_share_pct"].iloc[2])
    excluded = annual.annual_trend(con, dataclasses.replace(rules, annual=AnnualReporting(
        not_reported_counts_as="excluded")))
    assert list(excluded["funds_ratio_share_pct"]) == [100.0, pytest.approx(200 / 3), 100.0]


def test_noncompliant_units(con, rules):
    df = annual.noncompliant_units(con, rules, AS_OF)
    assert list(df["unit_code"]) == ["S2", "S3", "S4"]
    assert _by_code(df, "shortfall_wan") == {"S2": 20.0, "S3": 0.0, "S4": None}
    assert _by_code(df, "weight_shortfall_points") == {"S2": 0.0, "S3": 2.0, "S4": None}
    assert _by_code(df, "staff_shortfall") == {"S2": 5, "S3": 0, "S4": None}
    assert _by_code(df, "funds_ratio_status") == {"S2": "failing", "S3": "met", "S4": "not_reported"}
    assert _by_code(df, "party_staff_reason") == {"S2": None, "S3": None, "S4": "no_row"}


def test_annual_flags_name_unit_rule_and_gap(con, rules):
    flags = annual.annual_flags(con, rules, AS_OF)
    assert list(flags.columns) == FLAG_COLUMNS
    rows = [tuple(r) for r in flags[["unit_code", "level", "rule", "actual", "required", "gap", "detail"]]
            .itertuples(index=False)]
    broken = [r for r in rows if not r[2].endswith("_missing")]
    assert broken == [
        ("S3", 2, "assessment_weight", 8.0, 10.0, 2.0, "2025"),
        ("S2", 2, "funds_ratio", 0.75, 1.0, 20.0, "2025"),
        ("T11", 3, "funds_ratio", 0.9, 1.0, 1.0, "2025"),
        ("S2", 2, "party_staff", 0.67, 1.0, 5.0, "2025"),
    ]
    # Not reported (levels 2 and 3 report): S4 sent nothing; T12, T21, T31 sent nothing; T11 sent a row
    # without weight and party staff. The group (level 1) owes no row.
    missing = [(r[0], r[2], r[6]) for r in rows if r[2].endswith("_missing")]
    assert missing == [
        ("S4", "assessment_weight_missing", annual.NotReported(2025, "no_row")),
        ("T11", "assessment_weight_missing", annual.NotReported(2025, "no_weight")),
        ("T12", "assessment_weight_missing", annual.NotReported(2025, "no_row")),
        ("T21", "assessment_weight_missing", annual.NotReported(2025, "no_row")),
        ("T31", "assessment_weight_missing", annual.NotReported(2025, "no_row")),
        ("S4", "funds_ratio_missing", annual.NotReported(2025, "no_row")),
        ("T12", "funds_ratio_missing", annual.NotReported(2025, "no_row")),
        ("T21", "funds_ratio_missing", annual.NotReported(2025, "no_row")),
        ("T31", "funds_ratio_missing", annual.NotReported(2025, "no_row")),
        ("S4", "party_staff_missing", annual.NotReported(2025, "no_row")),
        ("T11", "party_staff_missing", annual.NotReported(2025, "no_party_staff")),
        ("T12", "party_staff_missing", annual.NotReported(2025, "no_row")),
        ("T21", "party_staff_missing", annual.NotReported(2025, "no_row")),
        ("T31", "party_staff_missing", annual.NotReported(2025, "no_row")),
    ]
    assert list(annual.annual_flags(con, rules, AS_OF, root="S3")["unit_code"]) == ["S3", "T31", "T31", "T31"]


def test_not_reported_flag_in_words(con, rules):
    flags = annual.annual_flags(con, rules, AS_OF, root="S4")
    zh = flag_table(flags, "zh")
    assert zh[["unit_name", "rule", "message"]].values.tolist() == [
        ["第四分公司", "党建考核权重未报送",
         "未报送：2025 年未上传年度指标数据，无法核对党建考核权重是否达到 10% 的要求"],
        ["第四分公司", "党组织工作经费未报送",
         "未报送：2025 年未上传年度指标数据，无法核对党组织工作经费是否达到上年度职工工资总额 1% 的要求"],
        ["第四分公司", "专职党务人员未报送",
         "未报送：2025 年未上传年度指标数据，无法核对专职党务工作人员是否达到职工总数 1% 的要求"],
    ]
    assert flag_table(flags, "en").message.iloc[1] == (
        "Not reported: 2025, no annual row uploaded; whether the party work funds reach 1% of the previous "
        "year's payroll cannot be checked")


def test_a_zero_or_empty_payroll_reads_not_reported_with_its_reason(con, rules):
    con.execute("""INSERT INTO annual (year, unit_code, payroll_prev_year, fund_budget, assessment_weight_pct,
                   party_staff) VALUES (2025, 'T12', 0, 5, 10, 6), (2025, 'T21', NULL, 7, 11, 7)""")
    df = annual.funds_by_unit(con, rules, AS_OF, level=3)
    assert _by_code(df, "funds_ratio_status") == {"T11": "failing", "T12": "not_reported", "T21": "not_reported",
                                                   "T31": "not_reported"}
    assert _by_code(df, "funds_ratio_reason") == {"T11": None, "T12": "no_payroll", "T21": "no_payroll",
                                                   "T31": "no_row"}
    assert _by_code(df, "fund_ratio_pct") == {"T11": 0.9, "T12": None, "T21": None, "T31": None}
    # their other figures count: weight 10% and 11% meet
    assert _by_code(annual.weight_by_unit(con, rules, AS_OF, level=3), "assessment_weight_status")["T12"] == "met"
    flag = flag_table(annual.annual_flags(con, rules, AS_OF, root="T12").query("rule == 'funds_ratio_missing'"))
    assert flag.message.tolist() == [
        "未报送：2025 年上年度职工工资总额为空或为 0，无法核对党组织工作经费是否达到上年度职工工资总额 1% 的要求"]
