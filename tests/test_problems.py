"""Problem rectification figures against the hand-computed fixture of tests/fixtures/problem_fixtures.py."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kpi import store
from kpi.access import roles
from kpi.importing import edit
from kpi.importing.commit import undo_batch
from kpi.importing.errors import UploadRefused
from kpi.metrics import problems as pm
from kpi.metrics.common import FLAG_COLUMNS
from tests.fixtures.problem_fixtures import AS_OF, make_store

ANALYST = roles.Account("analyst", "", roles.ANALYST, None)  # bound to no unit: edits any problem

D = dt.date


@pytest.fixture
def con(tmp_path):
    st = make_store(tmp_path / "t.duckdb")
    yield st.cursor()
    st.close()



def _rows(df, *cols):
    return [tuple(r) for r in df[list(cols)].itertuples(index=False)]


def test_overall_rates_count_state_from_dates(con):
    # 8 found by 06-30 (P8 later); closed P1 P6; completed + P3; on time P1 only; overdue P2 P3 P7.
    r = pm.problem_rates(con, AS_OF).iloc[0]
    assert (r.total, r.completed, r.closed, r.on_time, r.overdue) == (8, 3, 2, 1, 3)
    assert r.completion_pct == 37.5
    assert r.closeout_pct == 25.0
    assert r.ontime_pct == pytest.approx(100 / 3)


def test_reopened_problem_is_open_despite_stale_close_dates(con):
    # P7 carries closed_date 2025-05-02 from before its re-opening; its status is 整改中 again.
    overdue = pm.overdue_problems(con, AS_OF)
    assert _rows(overdue, "problem_id", "days_overdue") == [("P3", 61), ("P2", 30), ("P7", 15)]
    assert _rows(pm.overdue_problems(con, AS_OF, limit=2), "problem_id", "days_overdue") == [("P3", 61), ("P2", 30)]
    before = pm.problem_rates(con, D(2025, 4, 4)).iloc[0]
    # On 04-04: found P1 P2 P3 P6 P7 (5); P6 closed 03-15; P1 completed 03-20 but closed only 04-05.
    assert (before.total, before.completed, before.closed, before.on_time, before.overdue) == (5, 2, 1, 1, 1)


def test_rates_by_source(con):
    df = pm.problem_rates(con, AS_OF, by="source")
    assert _rows(df, "group", "total", "completed", "closed", "on_time", "overdue") == [
        ("巡察", 3, 1, 1, 1, 1), ("审计", 2, 2, 1, 0, 1), ("督查", 2, 0, 0, 0, 1), ("上级反馈", 1, 0, 0, 0, 0)]
    audit = df.set_index("group").loc["审计"]
    assert (audit.completion_pct, audit.closeout_pct, audit.ontime_pct) == (100.0, 50.0, 0.0)
    # nothing completed yet: the on-time rate is missing, not 0%
    assert pd.isna(df.set_index("group").loc["督查"].ontime_pct)


def test_rates_by_secondary_roll_up_the_subtree(con):
    df = pm.problem_rates(con, AS_OF, by="secondary")
    assert _rows(df.iloc[:3], "group", "group_name", "total", "completed", "closed", "on_time", "overdue") == [
        ("S1", "第一公司", 4, 2, 1, 1, 3), ("S2", "第二公司", 2, 0, 0, 0, 0), ("S3", "第三公司", 1, 1, 1, 0, 0)]
    # P9 belongs to the group itself, above every secondary unit
    assert df.iloc[3].total == 1 and df.iloc[3].isna()["group"]
    assert pm.problem_rates(con, AS_OF, root="S1").iloc[0].total == 4


def test_rates_by_category(con):
    df = pm.problem_rates(con, AS_OF, by="category").set_index("group")
    assert df.loc["经费管理", ["total", "completed", "closed", "on_time"]].tolist() == [2, 2, 1, 0]
    assert df.loc["组织建设", ["total", "closed", "overdue"]].tolist() == [2, 1, 1]


def test_unknown_grouping_is_refused(con):
    with pytest.raises(ValueError, match="by must be one of"):
        pm.problem_rates(con, AS_OF, by="owner")


def test_headlines(con):
    h = pm.problem_headlines(con, AS_OF)
    assert (h["overdue"].value, h["overdue"].numerator, h["overdue"].denominator) == (3, 3, 6)
    assert h["overdue"].status == "bad"
    assert (h["closeout"].value, h["closeout"].numerator, h["closeout"].denominator) == (25.0, 2, 8)
    assert (h["severe_open"].value, h["severe_open"].denominator) == (2, 2)
    empty = pm.problem_headlines(con, D(2024, 1, 1))
    assert empty["overdue"].value is None and empty["closeout"].value is None
    assert empty["overdue"].status == "missing"


def test_ageing_buckets(con, rules):
    # open: P9 29 d; P4 76, P5 60; P2 149, P3 121, P7 161 — buckets ≤30, 31–90, 91–180, >180
    df = pm.ageing_buckets(con, rules, AS_OF)
    assert _rows(df, "bucket", "problems", "overdue") == [(0, 1, 0), (1, 2, 0), (2, 3, 3), (3, 0, 0)]
    assert df.lower_days.tolist()[1:] == [30, 90, 180] and df.upper_days.tolist()[:3] == [30, 90, 180]


def test_due_soon_windows(con, rules):
    df = pm.due_soon(con, rules, AS_OF)
    assert _rows(df, "problem_id", "days_left", "window_days") == [("P4", 5, 7), ("P5", 25, 30)]


def test_due_soon_counts_and_first_rows(con, rules):
    # P4 due in 5 days (S2), P5 in 25 days (T21, under S2); nothing due soon under S1.
    assert pm.due_soon_counts(con, rules, AS_OF) == {7: 1, 30: 2}
    assert pm.due_soon_counts(con, rules, AS_OF, root="S2") == {7: 1, 30: 2}
    assert pm.due_soon_counts(con, rules, AS_OF, root="S1") == {7: 0, 30: 0}
    assert _rows(pm.due_soon(con, rules, AS_OF, limit=1), "problem_id", "days_left") == [("P4", 5)]
    assert pm.due_soon(con, rules, AS_OF, root="S1").empty


def test_status_funnel(con):
    df = pm.status_funnel(con, AS_OF)
    assert _rows(df, "status", "at_status", "reached") == [
        ("未启动", 1, 8), ("整改中", 4, 7), ("已完成待验收", 1, 3), ("已销号", 2, 2)]


def test_weekly_series_from_snapshots(con):
    df = pm.weekly_series(con, AS_OF)
    assert df.week.tolist()[0] == "2025-W16" and df.week.tolist()[-1] == "2025-W27"
    assert df.week_end.tolist()[-1] == AS_OF
    assert _rows(df, "open", "new", "closed", "overdue") == [
        (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0),
        (3, 6, 3, 2),   # W19: first upload; P1 P6 P7 closed; P2 and P3 past their 04-30 deadline
        (3, 0, 0, 2), (3, 0, 0, 2), (3, 0, 0, 2),
        (5, 1, 0, 2),   # W23: P5 new, P7 re-opened (open again, its deadline now 06-15)
        (5, 0, 0, 2),   # W24 ends 06-15: P7 due that very day is not yet overdue
        (5, 0, 0, 3), (6, 1, 0, 3), (6, 0, 0, 3)]


def test_weekly_series_uses_the_deadline_as_it_stood(con):
    # In W19 P2's deadline was 04-30 (overdue); it was extended to 05-31 only on 06-04.
    w19 = pm.weekly_series(con, D(2025, 5, 11), weeks=1).iloc[0]
    assert (w19.open, w19.overdue) == (3, 2)
    only_s2 = pm.weekly_series(con, AS_OF, root="S2").iloc[-1]
    assert (only_s2.open, only_s2.overdue) == (2, 0)


def _add_edge_snapshots(con):
    """Q1 (S3, no deadline) snapshotted only before the window; Q2 (S2) three snapshots on one day
    (batch NULL, 11, 12: the last closes it) then re-opened on 06-10 with deadline 06-20; Q4 (S3)
    closed on 04-01 and never again; Q3 has snapshots but no problem row (not counted)."""
    con.executemany("""INSERT INTO problems (problem_id, unit_code, found_date, due_date, status)
        VALUES (?, ?, ?, ?, ?)""", [("Q1", "S3", D(2025, 3, 1), None, "整改中"),
                                    ("Q2", "S2", D(2025, 5, 19), D(2025, 6, 20), "整改中"),
                                    ("Q4", "S3", D(2025, 3, 20), D(2025, 3, 31), "已销号")])
    con.executemany("INSERT INTO problem_snapshots VALUES (?, ?, ?, ?, ?)", [
        ("Q1", "整改中", None, D(2025, 3, 3), 10),
        ("Q2", "整改中", D(2025, 5, 25), D(2025, 5, 20), 11), ("Q2", "已销号", D(2025, 5, 25), D(2025, 5, 20), 12),
        ("Q2", "未启动", D(2025, 5, 25), D(2025, 5, 20), None),
        ("Q2", "整改中", D(2025, 6, 20), D(2025, 6, 10), 13),
        ("Q3", "整改中", D(2025, 5, 1), D(2025, 5, 5), 1),
        ("Q4", "已销号", D(2025, 3, 31), D(2025, 4, 1), 14)])
    store.bump_data_version(con)   # as every writer does: the weekly series reads problem_changes (kpi.store.derived)


# The fixture's series (test_weekly_series_from_snapshots) plus, by hand: Q1 open in every week, never
# overdue (no deadline), not new (first seen before the window); Q2 new and closed in W21 (its latest
# snapshot of 05-20 is batch 12, 已销号), open again from W24, overdue from W25 (ends 06-22 > 06-20);
# Q4 closed before the window and after it: nothing; Q3 is no problem of the table: nothing.
EDGE_SERIES = [(1, 0, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0),
               (4, 6, 3, 2), (4, 0, 0, 2), (4, 1, 1, 2), (4, 0, 0, 2),
               (6, 1, 0, 2), (7, 0, 0, 2), (7, 0, 0, 4), (8, 1, 0, 4), (8, 0, 0, 4)]


def test_weekly_series_latest_snapshot_per_week_carried_forward(con):
    _add_edge_snapshots(con)
    df = pm.weekly_series(con, AS_OF)
    assert _rows(df, "open", "new", "closed", "overdue") == EDGE_SERIES
    # S2: P4 (未启动, due 07-05) from W19, P5 (T21) from W23, Q2 as above.
    s2 = pm.weekly_series(con, AS_OF, root="S2")
    assert _rows(s2, "open", "new", "closed", "overdue") == [
        (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (1, 1, 0, 0), (1, 0, 0, 0), (1, 1, 1, 0), (1, 0, 0, 0),
        (2, 1, 0, 0), (3, 0, 0, 0), (3, 0, 0, 1), (3, 0, 0, 1), (3, 0, 0, 1)]


def test_weekly_series_longer_window(con):
    # 30 weeks: 2024-W50 … 2025-W27. Q1 new in W10 (03-03); Q4 new and closed in W14 (04-01).
    _add_edge_snapshots(con)
    df = pm.weekly_series(con, AS_OF, weeks=30)
    assert df.week.tolist()[0] == "2024-W50" and df.week.tolist()[12] == "2025-W10"
    assert _rows(df, "open", "new", "closed", "overdue") == [
        *[(0, 0, 0, 0)] * 12, (1, 1, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0), (1, 1, 1, 0),
        (1, 0, 0, 0), *EDGE_SERIES]


def test_ageing_bucket_bounds_are_upper_inclusive(con, rules):
    # open ages: P9 29, P5 60, P4 76, P3 121, P2 149, P7 161 (the last three overdue)
    df = pm.ageing_buckets(con, dataclasses.replace(rules, ageing_buckets_days=(29, 60, 76)), AS_OF)
    assert _rows(df, "bucket", "problems", "overdue") == [(0, 1, 0), (1, 1, 0), (2, 1, 0), (3, 3, 3)]
    assert pm.ageing_buckets(con, rules, AS_OF, root="S2").problems.tolist() == [0, 2, 0, 0]


def test_status_history_notes_extension_and_reopening(con):
    p7 = pm.status_history(con, "P7")
    assert p7.status.tolist() == ["已销号", "整改中", "整改中"]
    assert p7.reopened.tolist() == [False, True, False]
    assert p7.deadline_extended.tolist() == [False, True, False]
    p2 = pm.status_history(con, "P2")
    assert [d.date() for d in p2.due_date] == [D(2025, 4, 30), D(2025, 5, 31), D(2025, 5, 31)]
    assert p2.deadline_changed.tolist() == [False, True, False]
    assert p2.reopened.tolist() == [False, False, False]
    assert pm.status_history(con, "nope").empty


@pytest.mark.parametrize(("filters", "expected"), [
    (pm.ProblemFilter(), ["P3", "P2", "P7", "P4", "P5", "P9", "P6", "P1"]),
    (pm.ProblemFilter(overdue_only=True), ["P3", "P2", "P7"]),
    (pm.ProblemFilter(severities=("严重",)), ["P2", "P5"]),
    (pm.ProblemFilter(statuses=("已销号",)), ["P6", "P1"]),
    (pm.ProblemFilter(sources=("巡察", "审计")), ["P3", "P2", "P5", "P6", "P1"]),
    (pm.ProblemFilter(categories=("经费管理",), overdue_only=True), ["P3"]),
    (pm.ProblemFilter(found_from=D(2025, 3, 1), found_to=D(2025, 4, 30)), ["P3", "P4"]),
    (pm.ProblemFilter(text="台账"), ["P7", "P4"]),        # P7 in measures, P4 in description
    (pm.ProblemFilter(text="  换届 "), ["P1"]),
    (pm.ProblemFilter(text="50%"), ["P5"]),
    (pm.ProblemFilter(text="%"), ["P5"]),                 # a literal %, not a wildcard
    (pm.ProblemFilter(text="_"), []),
])
def test_problem_list_filters(con, filters, expected):
    assert pm.problem_list(con, AS_OF, filters=filters).problem_id.tolist() == expected
    assert pm.problem_list_counts(con, AS_OF, filters=filters)["listed"] == len(expected)


def test_problem_ids_of_several_filters_in_one_reading(con):
    """problem_ids answers each filter as problem_list does, several at once with their values bound
    apart (two text searches, two status lists, a closed-by date and the ids filter in one statement)."""
    filters = [pm.ProblemFilter(overdue_only=True), pm.ProblemFilter(text="台账"), pm.ProblemFilter(text="换届"),
               pm.ProblemFilter(statuses=("已销号",), closed_to=AS_OF), pm.ProblemFilter(severities=("严重",)),
               pm.ProblemFilter(statuses=("整改中", "未启动")), pm.ProblemFilter(ids=("P1", "P4", "nope"))]
    expected = [{"P3", "P2", "P7"}, {"P7", "P4"}, {"P1"}, {"P6", "P1"}, {"P2", "P5"},
                set(pm.problem_list(con, AS_OF, filters=filters[5]).problem_id), {"P1", "P4"}]
    assert pm.problem_ids(con, AS_OF, None, filters) == expected
    assert [set(pm.problem_list(con, AS_OF, filters=f).problem_id) for f in filters] == expected
    assert pm.problem_ids(con, AS_OF, "S1", filters[:1]) == [set(pm.overdue_problems(con, AS_OF, "S1").problem_id)]


@pytest.mark.parametrize("text", [
    "' OR 1=1 --", "%' OR '1'='1", "'; DROP TABLE problems; --", "\\", "\" OR \"\"=\"", "') OR ('a'='a"])
def test_search_text_is_bound_never_sql(con, text):
    assert pm.problem_list(con, AS_OF, filters=pm.ProblemFilter(text=text)).empty
    assert pm.problem_list_counts(con, AS_OF, filters=pm.ProblemFilter(text=text))["listed"] == 0
    assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 9


def test_problem_list_days_overdue(con):
    df = pm.problem_list(con, AS_OF, root="S1").set_index("problem_id")
    assert df.index.tolist() == ["P3", "P2", "P7", "P1"]
    assert df.loc[["P3", "P2", "P7"], "days_overdue"].tolist() == [61, 30, 15]
    assert pd.isna(df.loc["P1", "days_overdue"])
    assert pm.problem_list_counts(con, AS_OF, root="S1") == {"listed": 4, "overdue": 3, "all": 4}
    nothing = pm.ProblemFilter(text="nothing")
    assert pm.problem_list_counts(con, AS_OF, root="S1", filters=nothing) == {"listed": 0, "overdue": 0, "all": 4}
    # A screen shows the first rows only; the order and the counts are those of the whole list.
    assert pm.problem_list(con, AS_OF, root="S1", limit=2).problem_id.tolist() == ["P3", "P2"]


def test_problem_options(con):
    assert pm.problem_options(con)["categories"] == ["作风建设", "制度执行", "组织建设", "经费管理"]
    assert pm.problem_options(con, "S3")["categories"] == ["经费管理"]


def test_problem_flags(con):
    df = pm.problem_flags(con, AS_OF)
    assert list(df.columns) == FLAG_COLUMNS
    assert _rows(df, "unit_code", "rule", "actual", "required", "gap", "detail") == [
        ("B111", "problems_overdue", 1, 0, 1, "61"),
        ("S1", "problems_overdue", 1, 0, 1, "15"),
        ("T11", "problems_overdue", 1, 0, 1, "30"),
        ("T11", "problems_severe_open", 1, 0, 1, "P2"),
        ("T21", "problems_severe_open", 1, 0, 1, "P5")]
    assert pm.problem_flags(con, D(2024, 1, 1)).empty


def test_edit_refused_with_import_messages_and_nothing_written(con, rules):
    before = store.table_checksums(con)
    with pytest.raises(UploadRefused) as refused:
        edit.save_problem_edit(con, rules, "P2", {"status": "已销号"}, ANALYST, AS_OF)
    assert [e.message("zh") for e in refused.value.errors] == [
        "“整改状态”列，值“已销号”：状态为“已销号”，但没有填写销号日期"]
    with pytest.raises(UploadRefused) as refused:
        edit.save_problem_edit(con, rules, "P2", {"due_date": D(2025, 1, 1), "completed_date": D(2024, 12, 1),
                                                          "closed_date": D(2025, 1, 31), "status": "已销号"},
                                       ANALYST, AS_OF)
    assert [e.message("en") for e in refused.value.errors] == [
        "column “整改时限”, value “2025-01-01”: the deadline is before the date found (2025-02-01)",
        "column “完成日期”, value “2024-12-01”: the completion date is before the date found (2025-02-01)",
        "column “销号日期”, value “2025-01-31”: the close-out date is before the date found (2025-02-01)"]
    with pytest.raises(UploadRefused) as refused:
        edit.save_problem_edit(con, rules, "P2", {"due_date": None}, ANALYST, AS_OF)
    assert [e.message("zh") for e in refused.value.errors] == ["“整改时限”列：必填项为空"]
    assert store.table_checksums(con) == before


def test_edit_saved_as_snapshotted_batch_and_undone(con, rules):
    before = {t: v for t, v in store.table_checksums(con).items() if t not in ("batches", "meta")}
    changes = {"status": "已销号", "completed_date": D(2025, 6, 20), "closed_date": D(2025, 6, 28), "measures": "  "}
    assert edit.changed_fields(edit.stored_problem(con, "P2"), changes) == [
        "status", "measures", "completed_date", "closed_date"]
    result = edit.save_problem_edit(con, rules, "P2", changes, ANALYST, D(2025, 6, 30))
    assert (result.batch_id, result.updated, result.inserted) == (4, 1, 0)
    assert con.execute("SELECT status, measures, closed_date FROM problems WHERE problem_id = 'P2'").fetchone() == (
        "已销号", None, D(2025, 6, 28))
    assert pm.status_history(con, "P2").status.tolist() == ["整改中", "整改中", "整改中", "已销号"]
    assert pm.problem_headlines(con, AS_OF)["severe_open"].value == 1
    assert con.execute("SELECT kind, file_name FROM batches WHERE batch_id = 4").fetchone() == ("edit", "P2")
    undo_batch(con, result.batch_id, "analyst")
    after = {t: v for t, v in store.table_checksums(con).items() if t not in ("batches", "meta")}
    assert after == before
    assert pm.problem_headlines(con, AS_OF)["severe_open"].value == 2


def test_edit_of_unknown_problem(con, rules):
    with pytest.raises(KeyError):
        edit.save_problem_edit(con, rules, "P404", {"status": "整改中"}, ANALYST, AS_OF)
