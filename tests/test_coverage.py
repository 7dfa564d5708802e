"""Supervision coverage figures against the hand-computed fixture of tests/fixtures/problem_fixtures.py."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kpi import store
from kpi.metrics import coverage as cm
from kpi.metrics.common import FLAG_COLUMNS
from kpi.rules import RulesError, rules_from_dict
from tests.fixtures.problem_fixtures import AS_OF, make_store
from tests.test_rules import _edit  # the default rules file as a dict with one key changed

D = dt.date


@pytest.fixture
def con(tmp_path):
    st = make_store(tmp_path / "t.duckdb")
    yield st.cursor()
    st.close()



def _rows(df, *cols):
    return [tuple(r) for r in df[list(cols)].itertuples(index=False)]


def test_window_dates(rules):
    assert cm.window_dates(rules, AS_OF, "year") == (D(2025, 1, 1), AS_OF)
    assert cm.window_dates(rules, AS_OF, "cycle") == (D(2024, 1, 1), AS_OF)
    assert cm.window_dates(rules, AS_OF, (D(2025, 3, 1), D(2025, 12, 31))) == (D(2025, 3, 1), AS_OF)
    later = dataclasses.replace(rules, inspection_cycle_start_year=2025)
    assert cm.window_dates(later, AS_OF, "cycle") == (D(2025, 1, 1), AS_OF)


def test_unit_counted_once_however_many_activities(con, rules):
    # S1 had three 督查/调研 activities this year (A2, A3, A8), S2 one, S3 none this year: 2 of 3.
    h = cm.coverage(con, rules, AS_OF, kinds=rules.supervision_kinds)
    assert (h.numerator, h.denominator) == (2, 3)
    assert h.value == pytest.approx(200 / 3)
    assert h.target == 100.0 and h.status == "bad"


def test_future_activity_does_not_count(con, rules):
    # A7 (S2, 巡察) starts 2025-08-01, after the as-of date; A1 (S1) lies in 2024.
    assert cm.coverage(con, rules, AS_OF, kinds=("巡察",), window="year").numerator == 0
    assert cm.coverage(con, rules, D(2025, 8, 2), kinds=("巡察",), window="year").numerator == 1


def test_activity_overlapping_window_start_counts(con, rules):
    # A3 runs 04-28 → 05-03: it overlaps a window starting 05-01; A2 (03-10 → 03-12) does not.
    h = cm.coverage(con, rules, AS_OF, kinds=("调研", "督查"), window=(D(2025, 5, 1), D(2025, 5, 31)))
    assert (h.numerator, h.denominator) == (1, 3)


def test_inspection_cycle_by_level(con, rules):
    df = cm.inspection_coverage(con, rules, AS_OF)
    assert _rows(df, "level", "covered", "units") == [(2, 1, 3), (3, 1, 3)]
    assert df.coverage_pct.tolist() == [pytest.approx(100 / 3)] * 2
    s1 = cm.coverage(con, rules, AS_OF, root="S1", level=3, kinds=rules.inspection_kinds, window="cycle")
    assert (s1.numerator, s1.denominator, s1.value) == (1, 2, 50.0)


def test_supervision_rule_and_missing_level(con, rules):
    assert _rows(cm.supervision_coverage(con, rules, AS_OF), "level", "covered", "units") == [(2, 2, 3)]
    none = cm.coverage(con, rules, AS_OF, root="T12", level=2)
    assert none.value is None and none.status == "missing"


def test_coverage_by_kind(con, rules):
    df = cm.coverage_by_kind(con, rules, AS_OF)
    assert _rows(df, "kind", "covered", "units") == [
        ("巡察", 0, 3), ("督查", 2, 3), ("调研", 1, 3), ("观摩比查", 0, 3), ("专项核查", 0, 3),
        ("述职评议", 0, 3), ("联系点活动", 0, 3)]
    assert df.coverage_pct.iloc[0] == 0.0


def test_uncovered_units_with_last_activity(con, rules):
    sec = cm.uncovered_units(con, rules, AS_OF, kinds=rules.supervision_kinds)
    assert _rows(sec, "unit_code", "parent_name", "last_activity_date", "last_activity_kind") == [
        ("S3", "示例集团", D(2024, 12, 15), "调研")]
    insp = cm.uncovered_units(con, rules, AS_OF, level=3, kinds=rules.inspection_kinds, window="cycle")
    assert insp.unit_code.tolist() == ["T12", "T21"]
    assert pd.isna(insp.last_activity_date.iloc[0])          # never reached by anyone
    assert insp.last_activity_date.iloc[1] == D(2025, 1, 15)  # reached, but not by 巡察
    assert insp.last_activity_kind.tolist()[1] == "专项核查"
    assert cm.uncovered_units(con, rules, AS_OF, root="S1", level=2).empty


def test_heatmap_counts_both_months_of_a_spanning_activity(con):
    df = cm.activity_heatmap(con, AS_OF)
    assert len(df) == 3 * 12
    assert df.month.iloc[0] == "2024-07" and df.month.iloc[11] == "2025-06"
    nonzero = _rows(df[df.activities > 0], "unit_code", "month", "activities")
    assert nonzero == [
        ("S1", "2025-03", 1),
        ("S1", "2025-04", 1),   # A3 28 April → 3 May counts in April …
        ("S1", "2025-05", 2),   # … and in May, with A5 (T11, under S1) 20 May → 10 June
        ("S1", "2025-06", 2),   # A5 again and A8 (no end date: its start month)
        ("S2", "2025-01", 1),   # A9 on T21, under S2
        ("S2", "2025-02", 1),
        ("S3", "2024-12", 1)]
    s1 = cm.activity_heatmap(con, AS_OF, root="S1", level=3, months=2)
    assert _rows(s1, "unit_code", "month", "activities") == [
        ("T11", "2025-05", 1), ("T11", "2025-06", 1), ("T12", "2025-05", 0), ("T12", "2025-06", 0)]


def test_findings_per_activity_treats_unreported_as_missing(con, rules):
    df = cm.findings_per_activity(con, rules, AS_OF)
    assert _rows(df, "kind", "activities", "reported") == [("巡察", 1, 1), ("督查", 3, 3), ("调研", 1, 0),
                                                           ("专项核查", 1, 1)]
    assert df.findings_per_activity.tolist()[:2] == [3.0, 2.0]
    assert pd.isna(df.findings_per_activity.iloc[2])
    assert df.findings_per_activity.iloc[3] == 1.0


def test_coverage_tree(con, rules):
    df = cm.coverage_tree(con, rules, AS_OF, kinds=rules.inspection_kinds)
    assert _rows(df, "unit_code", "covered") == [("G", None), ("S1", True), ("S2", False), ("S3", False),
                                                 ("T11", True), ("T12", False), ("T21", False)]
    sub = cm.coverage_tree(con, rules, AS_OF, root="S1", kinds=rules.inspection_kinds)
    assert sub.unit_code.tolist() == ["S1", "T11", "T12"]
    assert pd.isna(sub.parent_code.iloc[0]) and sub.parent_code.tolist()[1:] == ["S1", "S1"]


def test_coverage_flags(con, rules):
    df = cm.coverage_flags(con, rules, AS_OF)
    assert list(df.columns) == FLAG_COLUMNS
    assert _rows(df, "unit_code", "rule", "actual", "required", "gap", "detail") == [
        ("S3", "supervision_uncovered", 0, 1, 1, "2024-12-15"),
        ("S3", "inspection_uncovered", 0, 1, 1, "2024-12-15"),
        ("S2", "inspection_uncovered", 0, 1, 1, "2025-02-20"),
        ("T12", "inspection_uncovered", 0, 1, 1, "—"),
        ("T21", "inspection_uncovered", 0, 1, 1, "2025-01-15")]
    assert cm.coverage_flags(con, rules, AS_OF, root="T11").empty


def test_activity_count(con):
    # A7 has not begun by the as-of date; A1, A2, A3, A5, A8 lie in S1's subtree
    assert cm.activity_count(con, AS_OF) == 8
    assert cm.activity_count(con, AS_OF, "S1") == 5
    assert cm.activity_count(con, D(2024, 1, 1)) == 0


def _add_activity(con, activity_id, unit, kind, start, end):
    con.execute("""INSERT INTO supervision (activity_id, unit_code, kind, start_date, end_date, lead, findings)
        VALUES ($id, $unit, $kind, $start, $end, '集团巡察组', NULL)""",
                {"id": activity_id, "unit": unit, "kind": kind, "start": start, "end": end})
    store.bump_data_version(con)


def test_inspection_counts_for_the_cycle_in_which_it_started(con, rules):
    # Cycles 2024–2026 and 2027–2029. S3's only inspection starts in the last month of the first
    # cycle (2026-12-10) and ends in the second (2027-01-20): it covers S3 for the first cycle only.
    _add_activity(con, "A10", "S3", "巡察", D(2026, 12, 10), D(2027, 1, 20))
    first, second = D(2026, 12, 31), D(2027, 2, 1)
    assert cm.coverage(con, rules, first, "S3", 2, rules.inspection_kinds, "cycle").numerator == 1
    assert cm.coverage(con, rules, second, "S3", 2, rules.inspection_kinds, "cycle").numerator == 0
    # Level 2 in the second cycle: nobody inspected yet (A7 on S2 was in 2025) → 0 of 3, S3 flagged.
    assert _rows(cm.inspection_coverage(con, rules, second), "level", "covered", "units") == [(2, 0, 3), (3, 0, 3)]
    assert "S3" in set(cm.coverage_flags(con, rules, second).query("rule == 'inspection_uncovered'").unit_code)
    # The rules-file choice the other way: it counts for every cycle its span overlaps.
    overlap = dataclasses.replace(rules, inspection_count_in_start_cycle=False)
    assert cm.coverage(con, overlap, second, "S3", 2, overlap.inspection_kinds, "cycle").numerator == 1
    # A calendar-year window is not a cycle: overlapping is enough (调研/督查 by year are unchanged).
    assert cm.coverage(con, rules, second, "S3", 2, rules.inspection_kinds, "year").numerator == 1


def test_count_in_start_cycle_is_a_rules_file_choice():
    assert rules_from_dict(_edit(("inspection", "count_in_start_cycle"), False)).inspection_count_in_start_cycle \
        is False
    assert rules_from_dict(_edit(("inspection", "count_in_start_cycle"), KeyError)).inspection_count_in_start_cycle \
        is True
    with pytest.raises(RulesError) as caught:
        rules_from_dict(_edit(("inspection", "count_in_start_cycle"), "yes"))
    assert caught.value.message("zh") == ("规则文件有误：inspection.count_in_start_cycle — "
                                          "应为 true 或 false，实际为 yes")


def test_a_unit_founded_after_the_as_of_date_is_not_yet_counted(con, rules):
    # S4 joins the group on 2025-07-01: at 2025-06-30 the level has 3 units, from 07-01 on 4.
    con.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, founded_date)
        VALUES ('S4', '第四公司', 'G', 2, '党委', DATE '2025-07-01')""")
    store.bump_data_version(con)
    kinds = rules.supervision_kinds
    assert (cm.coverage(con, rules, AS_OF, None, 2, kinds).denominator,
            cm.coverage(con, rules, D(2025, 7, 1), None, 2, kinds).denominator) == (3, 4)
    assert "S4" not in set(cm.uncovered_units(con, rules, AS_OF, None, 2, kinds).unit_code)
    assert "S4" in set(cm.uncovered_units(con, rules, D(2025, 7, 1), None, 2, kinds).unit_code)
