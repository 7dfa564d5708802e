"""Organisational-life metrics on the hand-checkable store of tests/fixtures/meetings_fixture.py.

Hand count at as-of 2025-08-15 with the default rules (3 monthly, 2 quarterly, 2 yearly types).
Ended slots: Jan–Jul (7 months) and Q1–Q2; August, Q3 and the year 2025 are still running, so
they are owed only where already met (a period is owed once it has ended).
- B1 met every slot, the running ones too (Aug 10th, 08-05, March): 3×8 + 2×3 + 2 = 32 owed, 32 met.
- B2: 大会 Q1–Q2 (Q1 met), 支委会 Jan–Jul (Feb/May/Jun/Jul met), 党小组会 Jan–Jul (none), 党课
  Q1–Q2 (Q2 met), 主题党日 Jan–Aug (all 8 met, August early): 26 owed, 14 met; its yearly slots
  and Q3 are in progress.
- B3 (founded 2025-06-15): July of the 3 monthly types (支委会, 主题党日 met) and Q3 大会 (met
  07-15, running): 4 owed, 3 met; August, Q3 党课 and both yearly slots in progress.
- B4 (no meetings): the ended slots only, 3×7 + 2×2 = 25 owed, 0 met.
Total 49 met of 87 owed.
"""
import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kpi import store
from kpi.charts import meetings as meeting_charts
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
from kpi.metrics.overview import headline_cards
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
        ("支部党员大会", "quarter", 8, 5), ("支部委员会会议", "month", 23, 13), ("党小组会", "month", 23, 8),
        ("党课", "quarter", 7, 4), ("主题党日", "month", 24, 17), ("组织生活会", "year", 1, 1),
        ("民主评议党员", "year", 1, 1)]
    assert df["completion_pct"].tolist() == pytest.approx([62.5, 1300 / 23, 800 / 23, 400 / 7, 1700 / 24, 100.0,
                                                           100.0])


def test_headline_is_met_over_required_slots(con, rules):
    h = meeting_headline(con, rules, AS_OF, today=TODAY)
    assert (h.numerator, h.denominator, h.target) == (49, 87, 100.0)
    assert h.value == pytest.approx(4900 / 87)
    assert h.status == "bad"


def test_completion_by_secondary_unit_and_branch_compliance(con, rules):
    df = completion_by_unit(con, rules, AS_OF, today=TODAY)
    assert _records(df, ["unit_code", "required_slots", "met_slots", "completion_pct", "branches_total",
                         "branches_complete", "branch_compliance_pct"]) == [
        ("S1", 58, 46, pytest.approx(4600 / 58), 2, 1, 50.0),
        ("S2", 29, 3, pytest.approx(300 / 29), 2, 0, 0.0),
        ("S3", 0, 0, None, 0, 0, None)]   # no branches: missing, never 0 %


def test_branch_without_meetings_is_zero_percent_not_missing(con, rules):
    df = completion_by_unit(con, rules, AS_OF, level=4, today=TODAY)
    assert _records(df, ["unit_code", "required_slots", "met_slots", "completion_pct"]) == [
        ("B1", 32, 32, 100.0), ("B2", 26, 14, pytest.approx(1400 / 26)), ("B3", 4, 3, 75.0), ("B4", 25, 0, 0.0)]


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
    assert (h.numerator, h.denominator) == (3, 29)
    # A tertiary root seen at secondary level: its secondary unit, counting only its branches.
    df = completion_by_unit(con, rules, AS_OF, root="T1", level=2, today=TODAY)
    assert _records(df, ["unit_code", "required_slots", "met_slots"]) == [("S1", 58, 46)]


def test_quarter_boundary_0331_and_0401(con, rules):
    df = meeting_slots(con, rules, AS_OF, root="B2", today=TODAY)
    quarterly = df[df["every"] == "quarter"]
    assert _records(quarterly, ["meeting_type", "slot_label", "held", "met", "ended", "in_progress"]) == [
        ("支部党员大会", "2025-Q1", 1, True, True, False), ("支部党员大会", "2025-Q2", 0, False, True, False),
        ("支部党员大会", "2025-Q3", 0, None, False, True),
        ("党课", "2025-Q1", 0, False, True, False), ("党课", "2025-Q2", 1, True, True, False),
        ("党课", "2025-Q3", 0, None, False, True)]


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
    assert _records(df, ["slot_label", "required", "in_progress", "held", "met"]) == [
        ("2025-01", False, False, 0, None), ("2025-02", False, False, 0, None), ("2025-03", False, False, 0, None),
        ("2025-04", False, False, 0, None), ("2025-05", False, False, 0, None),
        ("2025-06", False, False, 1, None),    # founded 06-15: June began before it existed
        ("2025-07", True, False, 1, True),
        ("2025-08", False, True, 0, None)]     # running, not met yet: in progress, not missed
    # Founded in June, before October: it owes the 2025 组织生活会, which is still running.
    yearly = meeting_slots(con, rules, AS_OF, root="B3", meeting_type="组织生活会", today=TODAY)
    assert _records(yearly, ["required", "in_progress"]) == [(False, True)]


def test_29_february_2024(con, rules):
    as_of = D(2024, 2, 29)
    df = meeting_slots(con, rules, as_of, root="B1", meeting_type="支部委员会会议", today=TODAY)
    assert _records(df, ["slot_start", "slot_end", "held", "met", "ended"]) == [
        (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"), 0, False, True),
        (pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-29"), 1, True, True)]
    h = meeting_headline(con, rules, as_of, root="B1", today=TODAY)
    # January and February (ended on the 29th) of the 3 monthly types = 6 owed, one met; Q1 and
    # the year are running and not met: in progress, not owed.
    assert (h.numerator, h.denominator) == (1, 6)


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
        ("S1", "一公司", 2, "meetings_below", 79.3, 90.0, 10.7, "46/58"),
        ("S2", "二公司", 2, "meetings_below", 10.3, 90.0, 79.7, "3/29")]
    gaps = df[df["rule"] == "meetings_gap"]
    assert len(gaps) == 7
    assert _records(gaps.head(1), FLAG_COLUMNS) == [
        ("B2", "甲厂第二支部", 4, "meetings_gap", 2, 2, 2, MissedRun("支部委员会会议", "2025-03、2025-04"))]
    assert worded_details(gaps.head(1), "zh") == ["支部委员会会议（2025年3月、2025年4月）"]
    assert worded_details(gaps.head(1), "en") == ["Branch committee meeting (Mar 2025, Apr 2025)"]


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
    # Jul–Aug is running. B1 4 of 4; B2 Jan–Feb, May–Jun, Jul–Aug (early) met, Mar–Apr not: 3 of 4;
    # B3 only Jul–Aug (met): 1 of 1; B4 the 3 ended slots, 0 met.
    assert (by_type.loc["支部委员会会议", "required_slots"], by_type.loc["支部委员会会议", "met_slots"]) == (12, 8)
    h = meeting_headline(con, bimonthly, AS_OF, today=TODAY)
    assert (h.numerator, h.denominator) == (44, 76)
    gaps = gap_branches(con, bimonthly, AS_OF, today=TODAY)
    assert ("B2", "支部委员会会议") not in set(zip(gaps["unit_code"], gaps["meeting_type"]))


def test_min_count_two_per_month(con, rules):
    twice = dataclasses.replace(rules, meeting_rules=(MeetingRule("主题党日", "month", 2),))
    by_type = completion_by_type(con, twice, AS_OF, today=TODAY)
    # Nothing is met, so only ended months are owed: B1, B2, B4 Jan–Jul, B3 July.
    assert _records(by_type, ["meeting_type", "required_slots", "met_slots"]) == [("主题党日", 22, 0)]


def test_branch_calendar_and_meetings(con, rules):
    cal = branch_calendar(con, rules, "B3", 2025, today=TODAY)
    assert len(cal) == 32
    assert int(cal["required"].sum()) == 4
    # In progress: August of the 3 monthly types, Q3 党课 (大会 is met early), both yearly slots.
    assert int(cal["in_progress"].sum()) == 3 + 1 + 2
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
    # B3's only 党课 slot (Q3) is still running: in progress, not unmet.
    assert sorted(set(df["unit_code"])) == ["B2", "B4"]
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
    # The 党课 lands in the running Q3: met early, so owed and met.
    assert (before.numerator, before.denominator) == (3, 29)
    assert (after.numerator, after.denominator) == (4, 30)


def test_worst_branches_keeps_those_with_most_unmet_slots(con, rules):
    # 党课 at 2025-08-15: B4 misses Q1–Q2 (2), B2 Q1 (1), B1 none, B3 (founded 06-15) none (its Q3
    # is still running).
    df = meeting_slots(con, rules, AS_OF, meeting_type="党课", today=TODAY)
    assert worst_branches(df, 2)["unit_code"].drop_duplicates().tolist() == ["B2", "B4"]
    assert worst_branches(df, 1)["unit_code"].drop_duplicates().tolist() == ["B4"]
    assert len(worst_branches(df, 2)) == 2 * 3
    assert worst_branches(df, 4) is df
    pd.testing.assert_frame_equal(heatmap_slots(con, rules, AS_OF, meeting_type="党课", limit=2, today=TODAY),
                                  worst_branches(df, 2))


# ---- A period is owed only once it has ended (issue 14, item 1) ----------------------------------

def _all_figures(con, rules, as_of, today):
    # Every figure shown; how many slots are in progress (a count, not a figure) does change.
    by_type = completion_by_type(con, rules, as_of, today=today).drop(columns="in_progress_slots")
    return (meeting_headline(con, rules, as_of, today=today), by_type,
            completion_by_unit(con, rules, as_of, today=today),
            completion_by_unit(con, rules, as_of, level=4, today=today),
            gap_branches(con, rules, as_of, today=today), meeting_flags(con, rules, as_of, today=today))


def _assert_same_figures(before, after):
    assert before[0] == after[0]
    for a, b in zip(before[1:], after[1:]):
        pd.testing.assert_frame_equal(a, b)


def test_first_day_of_a_month_equals_the_last_day_of_the_previous_month(con, rules):
    # Nothing is recorded on 2025-08-01 (B1's August meetings are dated the 5th and 10th, B2's the
    # 8th). Hand count at 07-31 (ended: Jan–Jul, Q1–Q2; running: Q3, the year): B1 27 of 27 (its
    # Q3 meetings of 08-05 not held yet: in progress; yearly ones met in March), B2 13 of 25, B3 3 of
    # 4 (July 支委会 and 主题党日 met, 党小组会 missed; Q3 大会 met early on 07-15), B4 0 of 25.
    last_day, first_day = D(2025, 7, 31), D(2025, 8, 1)
    h = meeting_headline(con, rules, last_day, today=TODAY)
    assert (h.numerator, h.denominator) == (43, 81)
    assert h.value == pytest.approx(4300 / 81)
    _assert_same_figures(_all_figures(con, rules, last_day, TODAY), _all_figures(con, rules, first_day, TODAY))
    # The same at a quarter boundary (nothing recorded after 2025-08-20).
    later = D(2025, 12, 31)
    _assert_same_figures(_all_figures(con, rules, D(2025, 9, 30), later),
                         _all_figures(con, rules, D(2025, 10, 1), later))


def test_a_running_slot_met_early_counts_as_met_and_owed(con, rules):
    # B2 held its August 主题党日 on 08-08: the month is running, already met, so owed and met. Its
    # August 支委会 is not held yet: in progress, neither owed nor missed.
    df = meeting_slots(con, rules, AS_OF, root="B2", today=TODAY)
    aug = df[df["slot_label"] == "2025-08"].set_index("meeting_type")
    assert _records(aug.loc[["主题党日", "支部委员会会议"]], ["held", "ended", "required", "met", "in_progress"]) == [
        (1, False, True, True, False), (0, False, False, None, True)]
    by_type = completion_by_type(con, rules, AS_OF, root="B2", today=TODAY).set_index("meeting_type")
    assert _records(by_type.loc[["主题党日", "支部委员会会议", "组织生活会"]],
                    ["required_slots", "met_slots", "in_progress_slots"]) == [(8, 8, 0), (7, 4, 1), (0, 0, 1)]
    assert pd.isna(by_type.loc["组织生活会", "completion_pct"])   # nothing owed yet: no figure, not 0 %


def test_week_over_week_change_is_zero_when_only_a_month_began(tmp_path, rules):
    # Monday 2026-09-07 against Monday 2026-08-31 (the last day of August): September began in
    # between and nothing was recorded. At both dates Jan–Aug and Q1–Q2 have ended (3×8 + 2×2 = 28
    # owed slots for each of the 4 branches) and only B1's eight 2026 支委会 are met: 8 of 112.
    st = build_store(tmp_path / "w.duckdb")
    try:
        con = st.cursor()
        con.executemany("""INSERT INTO meetings (unit_code, meeting_type, date, expected, attended, topic)
                           VALUES ('B1', '支部委员会会议', ?, 5, 5, '支委会')""",
                        [(D(2026, month, 10),) for month in range(1, 9)])
        store.bump_data_version(con)
        cards = {c.key: c for c in headline_cards(st.cursor(), rules, D(2026, 9, 7), today=D(2026, 12, 31))}
    finally:
        st.close()
    card = cards["meetings"]
    assert (card.now.numerator, card.now.denominator) == (8, 112)
    assert (card.week_before.numerator, card.week_before.denominator) == (8, 112)
    assert card.change == 0
    assert all(c.change in (0, None) for c in cards.values())


def test_running_slot_is_in_progress_grey_in_the_heat_map_and_the_calendar(con, rules):
    slots = meeting_slots(con, rules, AS_OF, root="B3", meeting_type="支部委员会会议", today=TODAY)
    heat = meeting_charts.slot_heatmap(slots, "支部委员会会议", "month", "zh", "").data[0]
    # Jan–Jun not required (3), July met (1), August running and not held yet: in progress (2).
    assert list(heat.z[0]) == [3, 3, 3, 3, 3, 3, 1, 2]
    assert heat.hovertext[0][7] == "支部：乙厂新建支部<br>周期：2025年8月<br>召开次数：0<br>状态：进行中"
    # Code 2 of 0–3 sits in the in-progress grey band of the discrete scale, not in the red one.
    assert [c for c in heat.colorscale if c[0] in (0.5, 5 / 6)] == [
        (0.5, meeting_charts.STATUS_COLOURS["met"]), (0.5, "#8C959F"), (5 / 6, "#8C959F"),
        (5 / 6, meeting_charts.STATUS_COLOURS["not_required"])]
    cal = branch_calendar(con, rules, "B3", 2025, today=TODAY)
    figure = meeting_charts.calendar_chart(cal, branch_meetings(con, "B3", 2025, AS_OF, today=TODAY), "乙厂新建支部",
                                           2025, "zh", "")
    bands = {trace.name: trace for trace in figure.data if trace.type == "bar"}
    assert bands["进行中"].marker.color == "#8C959F"
    assert [h[0] for h in bands["进行中"].customdata] == [
        "会议类型：支部委员会会议<br>周期：2025年8月<br>召开次数：0（）<br>状态：进行中",
        "会议类型：党小组会<br>周期：2025年8月<br>召开次数：0（）<br>状态：进行中",
        "会议类型：党课<br>周期：2025年第3季度<br>召开次数：0（）<br>状态：进行中",
        "会议类型：主题党日<br>周期：2025年8月<br>召开次数：0（）<br>状态：进行中",
        "会议类型：组织生活会<br>周期：2025年<br>召开次数：0（）<br>状态：进行中",
        "会议类型：民主评议党员<br>周期：2025年<br>召开次数：0（）<br>状态：进行中"]
    assert list(bands["未完成"].y) == ["党小组会"]       # July, ended and missed: the only red band
    # A running slot already met is green and says the period is still running.
    b2 = meeting_slots(con, rules, AS_OF, root="B2", meeting_type="主题党日", today=TODAY)
    heat = meeting_charts.slot_heatmap(b2, "主题党日", "month", "zh", "").data[0]
    assert (heat.z[0][7], heat.hovertext[0][7]) == (
        1, "支部：甲厂第二支部<br>周期：2025年8月<br>召开次数：1<br>状态：已完成（周期进行中）")


# ---- Yearly meetings of a branch founded during the year (issue 14, item 6) -----------------------

def test_branch_founded_during_the_year_owes_the_yearly_meetings_only_if_founded_before_october(tmp_path, rules):
    st = build_store(tmp_path / "f.duckdb")
    try:
        con = st.cursor()
        con.executemany("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, founded_date)
                           VALUES (?, ?, 'T2', 4, '党支部', ?)""",
                        [("B5", "九月新建支部", D(2025, 9, 15)), ("B6", "十月新建支部", D(2025, 10, 1))])
        store.bump_data_version(con)
        year_end = D(2025, 12, 31)

        def owed(rules_used, meeting_type):
            df = meeting_slots(con, rules_used, year_end, meeting_type=meeting_type, today=year_end)
            return {r.unit_code: int(r.required) for r in df[df.unit_code.isin(["B5", "B6"])].groupby(
                "unit_code")["required"].sum().reset_index().itertuples()}

        # Default (before October): B5 (09-15) owes 组织生活会 2025 — ended and not held, so missed —
        # B6 (10-01) does not. Monthly slots keep "founded on or before the slot's start":
        # both owe October–December.
        assert owed(rules, "组织生活会") == {"B5": 1, "B6": 0}
        assert owed(rules, "民主评议党员") == {"B5": 1, "B6": 0}
        assert owed(rules, "主题党日") == {"B5": 3, "B6": 3}
        b5 = gap_branches(con, rules, year_end, root="B5", today=year_end)
        assert "组织生活会" not in set(b5.meeting_type)  # one missed year is not a run of two
        # The month is a rules-file choice: 1 asks only branches existing on 1 January, 12 any
        # branch founded before December.
        january = dataclasses.replace(rules, meeting_yearly_founded_before_month=1)
        assert owed(january, "组织生活会") == {"B5": 0, "B6": 0}
        december = dataclasses.replace(rules, meeting_yearly_founded_before_month=12)
        assert owed(december, "组织生活会") == {"B5": 1, "B6": 1}
    finally:
        st.close()
