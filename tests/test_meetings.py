"""Organisational-life metrics on the hand-checkable store of tests/fixtures/meetings_fixture.py.

Hand count at as-of 2025-08-15 with the default rules (3 monthly, 2 quarterly, 2 yearly types):
a long-existing branch has 3×8 + 2×3 + 2×1 = 32 required slots; B3 (founded 2025-06-15) has
July and August of the 3 monthly types and Q3 of the 2 quarterly ones = 8.
Met: B1 32; B2 14 (大会 Q1, 支委会 Feb/May/Jun/Jul, 党课 Q2, 主题党日 ×8); B3 3 (支委会 Jul,
主题党日 Jul, 大会 Q3); B4 0. Total 49 of 104.
"""
import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kpi import store
from kpi.display.overview import worded_details
from kpi.metrics.common import FLAG_COLUMNS
from kpi.metrics.meetings import (
    MissedRun,
    attendance,
    attendance_headline,
    branch_calendar,
    branch_meetings,
    completion_by_type,
    completion_by_unit,
    gap_branches,
    heatmap_slots,
    meeting_flags,
    meeting_headline,
    meeting_records_in_scope,
    meeting_slots,
    window,
    worst_branches,
)
from kpi.rules import MeetingRule
from tests.fixtures.meetings_fixture import build_store

D = dt.date
AS_OF = D(2025, 8, 15)
TODAY = D(2025, 8, 15)
TYPES = ["支部党员大会", "支部委员会会议", "党小组会", "党课", "主题党日", "组织生活会", "民主评议党员"]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    st = build_store(tmp_path_factory.mktemp("meetings") / "t.duckdb")
    yield st.cursor()
    st.close()



def _records(df: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in row) for row in df[columns].itertuples(index=False)]


def test_window_is_the_calendar_year_to_the_as_of_date():
    assert window(AS_OF, today=TODAY) == (D(2025, 1, 1), AS_OF)
    assert window(AS_OF, start=D(2024, 7, 1), today=TODAY) == (D(2024, 7, 1), AS_OF)
    assert window(D(2026, 3, 1), today=TODAY) == (D(2025, 1, 1), TODAY)


def test_completion_by_type(con, rules):
    df = completion_by_type(con, rules, AS_OF, today=TODAY)
    assert _records(df, ["meeting_type", "every", "required_slots", "met_slots"]) == [
        ("支部党员大会", "quarter", 10, 5), ("支部委员会会议", "month", 26, 13), ("党小组会", "month", 26, 8),
        ("党课", "quarter", 10, 4), ("主题党日", "month", 26, 17), ("组织生活会", "year", 3, 1),
        ("民主评议党员", "year", 3, 1)]
    assert df["completion_pct"].tolist() == pytest.approx([50.0, 50.0, 800 / 26, 40.0, 1700 / 26, 100 / 3, 100 / 3])


def test_headline_is_met_over_required_slots(con, rules):
    h = meeting_headline(con, rules, AS_OF, today=TODAY)
    assert (h.numerator, h.denominator, h.target) == (49, 104, 100.0)
    assert h.value == pytest.approx(4900 / 104)
    assert h.status == "bad"


def test_completion_by_secondary_unit_and_branch_compliance(con, rules):
    df = completion_by_unit(con, rules, AS_OF, today=TODAY)
    assert _records(df, ["unit_code", "required_slots", "met_slots", "completion_pct", "branches_total",
                         "branches_complete", "branch_compliance_pct"]) == [
        ("S1", 64, 46, 71.875, 2, 1, 50.0),
        ("S2", 40, 3, 7.5, 2, 0, 0.0),
        ("S3", 0, 0, None, 0, 0, None)]   # no branches: missing, never 0 %


def test_branch_without_meetings_is_zero_percent_not_missing(con, rules):
    df = completion_by_unit(con, rules, AS_OF, level=4, today=TODAY)
    assert _records(df, ["unit_code", "required_slots", "met_slots", "completion_pct"]) == [
        ("B1", 32, 32, 100.0), ("B2", 32, 14, 43.75), ("B3", 8, 3, 37.5), ("B4", 32, 0, 0.0)]


def test_subtree_without_branches_has_no_completion(con, rules):
    h = meeting_headline(con, rules, AS_OF, root="S3", today=TODAY)
    assert (h.value, h.numerator, h.denominator, h.status) == (None, 0, 0, "missing")
    df = completion_by_type(con, rules, AS_OF, root="S3", today=TODAY)
    assert df["required_slots"].tolist() == [0] * 7
    assert df["completion_pct"].isna().all()
    assert meeting_records_in_scope(con, "S3") == 0
    assert meeting_records_in_scope(con) == 55


def test_subtree_filter_and_ancestor_rollup(con, rules):
    h = meeting_headline(con, rules, AS_OF, root="T2", today=TODAY)
    assert (h.numerator, h.denominator) == (3, 40)
    # A tertiary root seen at secondary level: its secondary unit, counting only its branches.
    df = completion_by_unit(con, rules, AS_OF, root="T1", level=2, today=TODAY)
    assert _records(df, ["unit_code", "required_slots", "met_slots"]) == [("S1", 64, 46)]


def test_quarter_boundary_0331_and_0401(con, rules):
    df = meeting_slots(con, rules, AS_OF, root="B2", today=TODAY)
    quarterly = df[df["every"] == "quarter"]
    assert _records(quarterly, ["meeting_type", "slot_label", "held", "met", "ended"]) == [
        ("支部党员大会", "2025-Q1", 1, True, True), ("支部党员大会", "2025-Q2", 0, False, True),
        ("支部党员大会", "2025-Q3", 0, False, False),
        ("党课", "2025-Q1", 0, False, True), ("党课", "2025-Q2", 1, True, True), ("党课", "2025-Q3", 0, False, False)]


def test_year_boundary_1231_counts_in_its_own_year(con, rules):
    # B2: 支委会 and 组织生活会 on 2024-12-31, 主题党日 on 2025-01-01.
    end_2024 = completion_by_type(con, rules, D(2024, 12, 31), root="B2", today=TODAY).set_index("meeting_type")
    assert (end_2024.loc["组织生活会", "required_slots"], end_2024.loc["组织生活会", "met_slots"]) == (1, 1)
    assert (end_2024.loc["支部委员会会议", "required_slots"], end_2024.loc["支部委员会会议", "met_slots"]) == (12, 1)
    assert end_2024.loc["主题党日", "met_slots"] == 0
    in_2025 = meeting_slots(con, rules, AS_OF, root="B2", today=TODAY)
    jan = in_2025[in_2025["slot_label"] == "2025-01"].set_index("meeting_type")
    assert (jan.loc["主题党日", "held"], jan.loc["支部委员会会议", "held"]) == (1, 0)
    assert in_2025[in_2025["meeting_type"] == "组织生活会"]["held"].tolist() == [0]


def test_branch_founded_mid_year(con, rules):
    df = meeting_slots(con, rules, AS_OF, root="B3", meeting_type="支部委员会会议", today=TODAY)
    assert _records(df, ["slot_label", "required", "held", "met"]) == [
        ("2025-01", False, 0, None), ("2025-02", False, 0, None), ("2025-03", False, 0, None),
        ("2025-04", False, 0, None), ("2025-05", False, 0, None),
        ("2025-06", False, 1, None),    # founded 06-15: June began before it existed
        ("2025-07", True, 1, True), ("2025-08", True, 0, False)]
    yearly = meeting_slots(con, rules, AS_OF, root="B3", meeting_type="组织生活会", today=TODAY)
    assert yearly["required"].tolist() == [False]


def test_29_february_2024(con, rules):
    as_of = D(2024, 2, 29)
    df = meeting_slots(con, rules, as_of, root="B1", meeting_type="支部委员会会议", today=TODAY)
    assert _records(df, ["slot_start", "slot_end", "held", "met", "ended"]) == [
        (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"), 0, False, True),
        (pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-29"), 1, True, True)]
    h = meeting_headline(con, rules, as_of, root="B1", today=TODAY)
    # 3 monthly × 2 + 2 quarterly × 1 + 2 yearly × 1 = 10 slots, one met.
    assert (h.numerator, h.denominator) == (1, 10)


def test_meetings_after_the_as_of_date_do_not_count(con, rules):
    aug = meeting_slots(con, rules, AS_OF, root="B2", meeting_type="民主评议党员", today=TODAY)
    assert aug["held"].tolist() == [0]
    later = meeting_slots(con, rules, D(2025, 8, 31), root="B2", meeting_type="民主评议党员",
                          today=D(2025, 9, 1))
    assert (later["held"].tolist(), later["met"].tolist()) == ([1], [True])


def test_future_as_of_date_equals_today(con, rules):
    future = D(2026, 3, 1)
    assert meeting_headline(con, rules, future, today=TODAY) == meeting_headline(con, rules, TODAY, today=TODAY)
    pd.testing.assert_frame_equal(completion_by_type(con, rules, future, today=TODAY),
                                  completion_by_type(con, rules, TODAY, today=TODAY))
    pd.testing.assert_frame_equal(attendance(con, future, today=TODAY), attendance(con, TODAY, today=TODAY))


def test_attendance_per_unit_and_overall(con):
    df = attendance(con, AS_OF, today=TODAY)
    # S1: B1 32 × (10, 9) + 谈心谈话 (2, 2); B2 主题党日 8 × (20, 15); B2's Feb row (实到 empty),
    # 2024 row and the row dated after the as-of date are left out.
    assert _records(df, ["unit_code", "meetings", "attended", "expected"]) == [
        ("S1", 41, 410, 482), ("S2", 2, 9, 10), ("S3", 0, None, None)]
    assert df["attendance_pct"].tolist()[:2] == pytest.approx([41000 / 482, 90.0])
    assert pd.isna(df["attendance_pct"].iloc[2])
    h = attendance_headline(con, AS_OF, today=TODAY)
    assert (h.numerator, h.denominator, h.target) == (419, 492, None)
    assert h.value == pytest.approx(41900 / 492)
    assert attendance_headline(con, AS_OF, root="S3", today=TODAY).value is None


def test_gap_branches_count_only_ended_slots(con, rules):
    df = gap_branches(con, rules, AS_OF, today=TODAY)
    assert _records(df, ["unit_code", "meeting_type", "gap_slots", "slots"]) == [
        ("B2", "支部委员会会议", 2, "2025-03、2025-04"),
        ("B2", "党小组会", 7, "2025-01、2025-02、2025-03、2025-04、2025-05、2025-06、2025-07"),
        ("B4", "支部党员大会", 2, "2025-Q1、2025-Q2"),
        ("B4", "支部委员会会议", 7, "2025-01、2025-02、2025-03、2025-04、2025-05、2025-06、2025-07"),
        ("B4", "党小组会", 7, "2025-01、2025-02、2025-03、2025-04、2025-05、2025-06、2025-07"),
        ("B4", "党课", 2, "2025-Q1、2025-Q2"),
        ("B4", "主题党日", 7, "2025-01、2025-02、2025-03、2025-04、2025-05、2025-06、2025-07")]
    # B3's unmet July 党小组会 is a run of one; August is still running.
    assert "B3" not in set(df["unit_code"])


def test_meeting_flags(con, rules):
    df = meeting_flags(con, rules, AS_OF, today=TODAY)
    assert list(df.columns) == FLAG_COLUMNS
    below = df[df["rule"] == "meetings_below"]
    assert _records(below, FLAG_COLUMNS) == [
        ("S1", "一公司", 2, "meetings_below", 71.9, 90.0, 18.1, "46/64"),
        ("S2", "二公司", 2, "meetings_below", 7.5, 90.0, 82.5, "3/40")]
    gaps = df[df["rule"] == "meetings_gap"]
    assert len(gaps) == 7
    assert _records(gaps.head(1), FLAG_COLUMNS) == [
        ("B2", "甲厂第二支部", 4, "meetings_gap", 2, 2, 2, MissedRun("支部委员会会议", "2025-03、2025-04"))]
    assert worded_details(gaps.head(1), "zh") == ["支部委员会会议（2025-03、2025-04）"]
    assert worded_details(gaps.head(1), "en") == ["Branch committee meeting (2025-03, 2025-04)"]


def test_flag_threshold_comes_from_rules(con, rules):
    lower = dataclasses.replace(rules, meeting_flag_below_pct=50.0)
    below = meeting_flags(con, lower, AS_OF, today=TODAY).query("rule == 'meetings_below'")
    assert below["unit_code"].tolist() == ["S2"]
    longer = dataclasses.replace(rules, meeting_gap_slots=3)
    gaps = gap_branches(con, longer, AS_OF, today=TODAY)
    assert gaps["gap_slots"].tolist() == [7, 7, 7, 7]


def test_committee_meeting_bimonthly_instead_of_monthly(con, rules):
    bimonthly = dataclasses.replace(rules, meeting_rules=tuple(
        MeetingRule(r.type, "bimonth", r.min_count) if r.type == "支部委员会会议" else r
        for r in rules.meeting_rules))
    by_type = completion_by_type(con, bimonthly, AS_OF, today=TODAY).set_index("meeting_type")
    # B1 4 of 4; B2 Jan–Feb, May–Jun, Jul–Aug met, Mar–Apr not; B3 only Jul–Aug (met); B4 0 of 4.
    assert (by_type.loc["支部委员会会议", "required_slots"], by_type.loc["支部委员会会议", "met_slots"]) == (13, 8)
    h = meeting_headline(con, bimonthly, AS_OF, today=TODAY)
    assert (h.numerator, h.denominator) == (44, 91)
    gaps = gap_branches(con, bimonthly, AS_OF, today=TODAY)
    assert ("B2", "支部委员会会议") not in set(zip(gaps["unit_code"], gaps["meeting_type"]))


def test_min_count_two_per_month(con, rules):
    twice = dataclasses.replace(rules, meeting_rules=(MeetingRule("主题党日", "month", 2),))
    by_type = completion_by_type(con, twice, AS_OF, today=TODAY)
    assert _records(by_type, ["meeting_type", "required_slots", "met_slots"]) == [("主题党日", 26, 0)]


def test_branch_calendar_and_meetings(con, rules):
    cal = branch_calendar(con, rules, "B3", 2025, today=TODAY)
    assert len(cal) == 32
    assert int(cal["required"].sum()) == 8
    assert int(cal["met"].fillna(False).sum()) == 3
    june = cal[(cal["meeting_type"] == "支部委员会会议") & (cal["slot_label"] == "2025-06")]
    assert _records(june, ["required", "held", "met", "dates"]) == [(False, 1, None, "06-20")]
    meetings = branch_meetings(con, "B3", 2025)
    assert _records(meetings, ["meeting_type", "topic"]) == [
        ("支部委员会会议", "成立后首次支委会"), ("主题党日", "建党日"), ("支部委员会会议", "支委会"),
        ("支部党员大会", "大会")]
    to_june = branch_calendar(con, rules, "B3", 2025, D(2025, 6, 30), today=TODAY)
    assert (len(to_june), int(to_june["required"].sum())) == (3 * 6 + 2 * 2 + 2, 0)
    assert branch_calendar(con, rules, "B3", 2026, today=TODAY).empty
    # The B2 record dated 2025-08-20 lies after the as-of date.
    assert len(branch_meetings(con, "B2", 2025, AS_OF, today=TODAY)) == 14
    assert len(branch_meetings(con, "B2", 2025, today=D(2025, 12, 31))) == 15
    past = branch_calendar(con, rules, "B2", 2024, today=TODAY)
    assert (len(past), int(past["met"].sum())) == (3 * 12 + 2 * 4 + 2, 2)


def test_heatmap_filters(con, rules):
    df = meeting_slots(con, rules, AS_OF, meeting_type="党课", only_with_unmet=True, today=TODAY)
    assert sorted(set(df["unit_code"])) == ["B2", "B3", "B4"]
    everything = meeting_slots(con, rules, AS_OF, today=TODAY)
    assert len(everything) == 4 * (3 * 8 + 2 * 3 + 2)
    assert set(everything["meeting_type"]) == set(TYPES)


def test_figures_follow_a_write_that_bumps_the_data_version(tmp_path, rules):
    # The slot grid is shared between figures through kpi.store.memo: a commit must not leave it stale.
    st = build_store(tmp_path / "w.duckdb")
    try:
        before = meeting_headline(st.cursor(), rules, AS_OF, root="T2", today=TODAY)
        con = st.cursor()
        con.execute("""INSERT INTO meetings (unit_code, meeting_type, date, expected, attended, topic)
                       VALUES ('B4', '党课', DATE '2025-07-20', 5, 5, '补课')""")
        store.bump_data_version(con)
        after = meeting_headline(st.cursor(), rules, AS_OF, root="T2", today=TODAY)
    finally:
        st.close()
    assert (before.numerator, before.denominator) == (3, 40)
    assert (after.numerator, after.denominator) == (4, 40)


def test_worst_branches_keeps_those_with_most_unmet_slots(con, rules):
    # 党课 at 2025-08-15: B4 misses Q1–Q3 (3), B2 Q1 and Q3 (2), B3 (founded 06-15) only Q3 (1).
    df = meeting_slots(con, rules, AS_OF, meeting_type="党课", only_with_unmet=True, today=TODAY)
    assert worst_branches(df, 2)["unit_code"].drop_duplicates().tolist() == ["B2", "B4"]
    assert worst_branches(df, 1)["unit_code"].drop_duplicates().tolist() == ["B4"]
    assert len(worst_branches(df, 2)) == 2 * 3
    assert worst_branches(df, 3) is df
    pd.testing.assert_frame_equal(heatmap_slots(con, rules, AS_OF, meeting_type="党课", only_with_unmet=True, limit=2,
                                                today=TODAY), worst_branches(df, 2))
