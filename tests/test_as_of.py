"""As of means as of (issue 14, item 5): a past as-of date reads the state recorded on that date.

Store: tests/fixtures/problem_fixtures.py, plus S4, a secondary unit founded on 2025-05-15. As of
2025-05-10 (a Saturday), by hand:
- problems found by then: P1–P7 (P8 07-10 and P9 06-01 come later) → 7. The snapshot of 05-05 holds
  P1 已销号, P2 整改中 due 04-30 (extended to 05-31 only on 06-04), P3 整改中 (its completion is
  recorded on 06-04), P4 未启动, P6 已销号, P7 已销号 (re-opened only on 06-04); P5 (found 05-01) has
  no snapshot yet and is read from its row: 整改中, due 07-25.
  closed P1, P6, P7 → close-out 3/7 = 42.9% (the current status of P7 would give 2/7);
  completed = the 3 closed (P3 not yet); overdue = not closed and deadline before 05-10: P2 and P3
  (10 days each) → 2 of 4 open; 严重 open: P2, P5 → 2 of 2.
- the tree: S4 is not founded yet → supervision 2025 (督查/调研) at level 2: S1 (A2, A3), S2 (A4)
  of S1–S3 → 2/3; inspection cycle 2024–2026: S1 (A1, 2024) of 3 at level 2, none of 3 at level 3
  (A5 on T11 starts 05-20) → 1/6.
"""
from __future__ import annotations

import datetime as dt

import pytest

from kpi import store
from kpi.metrics import coverage as cm
from kpi.metrics import overview, problems
from tests.fixtures.problem_fixtures import AS_OF, make_store

PAST = dt.date(2025, 5, 10)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    st = make_store(tmp_path_factory.mktemp("as_of") / "as_of.duckdb")
    cur = st.cursor()
    cur.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, founded_date)
        VALUES ('S4', '第四公司', 'G', 2, '党委', DATE '2025-05-15')""")
    store.bump_data_version(cur)
    yield cur
    st.close()


def _card(h):
    return None if h.value is None else round(h.value, 1), h.numerator, h.denominator


def test_problem_cards_read_the_snapshot_state_at_a_past_date(con):
    rates = problems.problem_rates(con, PAST).iloc[0]
    assert (rates.total, rates.completed, rates.closed, rates.overdue) == (7, 3, 3, 2)
    heads = problems.problem_headlines(con, PAST)
    assert {k: _card(h) for k, h in heads.items()} == {
        "overdue": (2, 2, 4), "closeout": (42.9, 3, 7), "severe_open": (2, 2, 2)}
    late = problems.overdue_problems(con, PAST)
    assert late[["problem_id", "status", "days_overdue"]].values.tolist() == [["P2", "整改中", 10],
                                                                              ["P3", "整改中", 10]]
    assert late.due_date.astype(str).tolist() == ["2025-04-30", "2025-04-30"]   # P2's deadline as it stood
    funnel = problems.status_funnel(con, PAST)
    assert funnel.at_status.tolist() == [1, 3, 0, 3]   # P4; P2, P3, P5; —; P1, P6, P7


def test_close_out_and_weekly_series_agree_on_a_reopened_problem(con):
    # P7 was closed on the snapshot of 05-05 and re-opened on 06-04: closed in the week of 05-05 in
    # both the weekly series and the close-out rate of that week's end.
    week = problems.weekly_series(con, PAST, weeks=1).iloc[0]
    assert (week.open, week.closed) == (3, 3)   # P2, P3, P4 open; P1, P6, P7 first recorded closed
    scope = problems.problem_rates(con, PAST, by="source").set_index("group")
    assert scope.loc["督查", "closed"] == 1     # P7 (督查) is closed on 05-10 …
    assert problems.problem_rates(con, AS_OF, by="source").set_index("group").loc["督查", "closed"] == 0  # … not 06-30


def test_overview_cards_at_a_past_date(con, rules):
    # The problem and coverage cards (meetings and annual figures are issue 14's items 1–2).
    now = {c.key: _card(c.now) for c in overview.headline_cards(con, rules, PAST)}
    assert {k: now[k] for k in ("closeout", "overdue", "severe_open", "supervision", "inspection")} == {
        "closeout": (42.9, 3, 7), "overdue": (2, 2, 4), "severe_open": (2, 2, 2),
        "supervision": (66.7, 2, 3), "inspection": (16.7, 1, 6)}


def test_a_unit_joins_the_tree_on_its_founding_date(con, rules):
    # From 05-15 S4 is in the tree: not supervised this year, never inspected.
    assert _card(cm.coverage(con, rules, AS_OF, None, 2, rules.supervision_kinds)) == (50.0, 2, 4)
    assert "S4" not in set(overview.unit_alerts(con, rules, PAST).unit_code)
    later = overview.unit_alerts(con, rules, AS_OF).set_index("unit_code")
    assert later.loc["S4", "own_flags"] == 2   # supervision_uncovered, inspection_uncovered
    assert "S4" not in set(overview.red_flags(con, rules, PAST).unit_code)
