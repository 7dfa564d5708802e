"""As of means as of (issue 14, item 5), for EVERY card of the overview (领导驾驶舱).

Store: tests/fixtures/overview_fixture.py (its cards at 2026-06-30 are hand-computed in
tests/test_overview.py), plus changes recorded after that date, one or more per card:
- 丙公司 C (level 2), its 丙一厂 C1 (level 3) and branch C1a, all founded 2026-08-01; C sends no
  annual row for 2026; C1a is rated for 2026 (not compliant);
- an annual row of A for 2027 and ratings of 2027 for every branch (all compliant): later years;
- B1a holds a 支部委员会会议 on 2026-07-10;
- P2 (overdue since 05-31) is closed on 2026-07-15 (no snapshot: read from its dates); P5 (严重,
  due 2026-08-31) is found on 2026-07-05;
- B is visited (督查) from 2026-07-15; B1 is inspected (巡察) from 2026-07-20.

PAST = 2026-06-30 must read none of it; LATER = 2026-09-30 reads all of it.
"""
from __future__ import annotations

import datetime as dt

import pytest

from kpi.metrics import overview, ratings
from kpi.store import bump_data_version
from tests.fixtures import overview_fixture as fx

PAST = fx.AS_OF                      # 2026-06-30
LATER = dt.date(2026, 9, 30)
TODAY = LATER                        # meetings read min(as_of, today): pass it, never the clock


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    store = fx.build(tmp_path_factory.mktemp("as_of_overview") / "ov.duckdb")
    cur = store.cursor()
    cur.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, member_count,
        staff_count, founded_date) VALUES
        ('C', '丙公司', 'G', 2, '党委', 10, NULL, DATE '2026-08-01'),
        ('C1', '丙一厂', 'C', 3, '党总支', 10, NULL, DATE '2026-08-01'),
        ('C1a', '丙一厂第一支部', 'C1', 4, '党支部', 10, NULL, DATE '2026-08-01')""")
    cur.execute("""INSERT INTO annual (year, unit_code, payroll_prev_year, fund_budget, fund_spent,
        assessment_weight_pct, assessment_score, secretary_rating, party_staff) VALUES
        (2027, 'A', 1000, 5, 1, 5, 70, '一般', 1)""")
    cur.execute("""INSERT INTO ratings (year, unit_code, stars, basic_org, basic_team, basic_activity, basic_role,
        basic_system, basic_support, compliant) VALUES
        (2026, 'C1a', 2, 60, 60, 60, 60, 60, 60, false),
        (2027, 'A1a', 5, 95, 95, 95, 95, 95, 95, true), (2027, 'A1b', 5, 95, 95, 95, 95, 95, 95, true),
        (2027, 'B1a', 5, 95, 95, 95, 95, 95, 95, true)""")
    cur.execute("""INSERT INTO meetings (unit_code, meeting_type, date, expected, attended)
        VALUES ('B1a', '支部委员会会议', DATE '2026-07-10', 10, 10)""")
    cur.execute("""UPDATE problems SET status = '已销号', completed_date = DATE '2026-07-10',
        closed_date = DATE '2026-07-15' WHERE problem_id = 'P2'""")
    cur.execute("""INSERT INTO problems (problem_id, unit_code, source, found_date, category, description,
        severity, owner, measures, due_date, status, completed_date, closed_date) VALUES
        ('P5', 'B1', '督查', DATE '2026-07-05', '作风建设', '台账不全', '严重', '钱七', '补齐台账',
         DATE '2026-08-31', '整改中', NULL, NULL)""")
    cur.execute("""INSERT INTO supervision (activity_id, unit_code, kind, start_date, end_date, lead, findings) VALUES
        ('S3', 'B', '督查', DATE '2026-07-15', DATE '2026-07-16', '党群工作部', 2),
        ('S4', 'B1', '巡察', DATE '2026-07-20', DATE '2026-08-30', '第二巡察组', 4)""")
    bump_data_version(cur)
    yield cur
    store.close()


def _cards(con, rules, as_of):
    return {c.key: (None if c.now.value is None else round(c.now.value, 1), c.now.numerator, c.now.denominator)
            for c in overview.headline_cards(con, rules, as_of, today=TODAY)}


def test_every_overview_card_reads_the_state_recorded_at_a_past_date(con, rules):
    past = _cards(con, rules, PAST)
    # At PAST the later changes are invisible: the figures of tests/test_overview.py, by hand —
    # funds / weight / party_staff (level 2, year 2026): A meets, B fails; C is not founded yet so it
    #   owes no row; A's 2027 row is another year → 1/2 = 50.0% each.
    # meetings: B1a's 07-10 meeting is later → A1a 24/24 + A1b 6/22 + B1a 0/22 = 30/68 = 44.1%.
    # standardisation (ratings of 2026, 2027 is a later year): A1a ✓, A1b ✓, B1a ✗; C1a (founded
    #   08-01) is not yet a branch → 2/3 = 66.7%.
    # closeout: P1 closed; P2 closed only on 07-15; P5 not found yet → 1 of P1–P4 = 25.0%.
    # overdue: P2 (due 05-31) and P4 (due 06-28) of the 3 open P2, P3, P4 → 2 (2/3).
    # severe_open: P3 of the 1 严重 problem (P5 not found) → 1 (1/1).
    # supervision 2026 at level 2: A (S1 04-01) of A, B (S3 starts 07-15; C not founded) → 1/2 = 50.0%.
    # inspection cycle 2024–2026, levels 2 and 3: A1 (S2 2025) of A, B, A1, B1 (S4 starts 07-20)
    #   → 1/4 = 25.0%.
    assert past == {
        "funds": (50.0, 1, 2), "weight": (50.0, 1, 2), "party_staff": (50.0, 1, 2),
        "meetings": (44.1, 30, 68), "standardisation": (66.7, 2, 3),
        "closeout": (25.0, 1, 4), "overdue": (2, 2, 3), "severe_open": (1, 1, 1),
        "supervision": (50.0, 1, 2), "inspection": (25.0, 1, 4),
    }
    later = _cards(con, rules, LATER)
    # At LATER every change counts:
    # funds / weight / party_staff: C (founded 08-01) owes 2026's row and has none → 未报送, counted
    #   as not meeting (the rules-file default) → 1/3 = 33.3% each.
    # standardisation: C1a (2026, not compliant) joins → 2/4 = 50.0%.
    # closeout: P1, P2 closed of P1–P5 → 2/5 = 40.0%. overdue: P3 (due 07-31), P4, P5 (due 08-31) of
    #   the 3 open P3, P4, P5 → 3 (3/3). severe_open: P3, P5 of 2 严重 → 2 (2/2).
    # supervision: A, B of A, B, C → 2/3 = 66.7%. inspection: A1, B1 of A, B, C, A1, B1, C1 → 2/6 = 33.3%.
    assert {k: v for k, v in later.items() if k != "meetings"} == {
        "funds": (33.3, 1, 3), "weight": (33.3, 1, 3), "party_staff": (33.3, 1, 3),
        "standardisation": (50.0, 2, 4),
        "closeout": (40.0, 2, 5), "overdue": (3, 3, 3), "severe_open": (2, 2, 2),
        "supervision": (66.7, 2, 3), "inspection": (33.3, 2, 6),
    }
    # meetings at LATER also move with the calendar (Q3, July–September end); B1a's 07-10 meeting is
    # among those met there, and nowhere in the 30 met at PAST.
    assert later["meetings"][1] > past["meetings"][1]
    assert all(later[k] != past[k] for k in overview.CARD_KEYS)


def test_standardisation_table_and_flags_leave_out_units_founded_later(con, rules):
    # The per-unit table behind the standardisation flags uses the card's tree: at PAST, level 2 =
    # A (A1a ✓, A1b ✓ → 2/2) and B (B1a ✗ → 0/1); C and its branch C1a do not exist yet. At LATER
    # C is there with C1a rated 2026 and not compliant → 0/1, below the target, flagged.
    past = ratings.compliance_by_unit(con, rules, PAST, None, 2)
    assert past[["unit_code", "branches", "rated", "compliant"]].values.tolist() == [["A", 2, 2, 2], ["B", 1, 1, 0]]
    later = ratings.compliance_by_unit(con, rules, LATER, None, 2)
    assert later[["unit_code", "branches", "rated", "compliant"]].values.tolist() == [
        ["A", 2, 2, 2], ["B", 1, 1, 0], ["C", 1, 1, 0]]
    flagged = ratings.ratings_flags(con, rules, PAST).unit_code.tolist()
    assert flagged == ["B"]
    assert ratings.ratings_flags(con, rules, LATER).unit_code.tolist() == ["B", "C"]
    # The star distribution reads the same tree: C's branch is counted only once it exists.
    assert sorted(set(ratings.star_distribution(con, PAST, None, 2).unit_code)) == ["A", "B"]
    assert sorted(set(ratings.star_distribution(con, LATER, None, 2).unit_code)) == ["A", "B", "C"]
