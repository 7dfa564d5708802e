"""A small hand-checked store for the briefing tests (week 2026-W10 = 2026-03-02 … 2026-03-08).

Tree: G → S1, S2 (secondary) → B1 (under S1), B2 (under S2) branches.
Annual 2026: S1 budget 60 on payroll 5000 = 1.2% (meets 1%), weight 12 (meets 10%);
             S2 budget 30 on 5000 = 0.6% (fails), weight 8 (fails) → funds 1/2, weight 1/2.
Problems:    P1 (S1, 严重) found 01-10, due 02-28, 整改中 → overdue at both Sundays;
             P2 (S2) found 03-03 (new in W10), due 04-30; P3 (S1) closed out 03-05 (in W10).
             Week W10: new 1, closed 1, overdue 1. Close-out at 03-08: 1 of 3 = 33.3%.
Meetings:    B1 only. No supervision and no ratings: the coverage section is empty.
"""
from __future__ import annotations

from pathlib import Path

from kpi.store import bump_data_version, open_store

WEEK = "2026-W10"
TODAY = "2026-03-20"

SQL = """
INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, member_count, staff_count) VALUES
  ('G', '示例集团', NULL, 1, '党委', 100, 2000),
  ('S1', '第一分公司', 'G', 2, '党委', 50, 1000),
  ('S2', '第二分公司', 'G', 2, '党委', 50, 1000),
  ('B1', '第一支部', 'S1', 4, '党支部', 20, 200),
  ('B2', '第二支部', 'S2', 4, '党支部', 20, 200);
INSERT INTO annual (year, unit_code, payroll_prev_year, fund_budget, fund_spent, assessment_weight_pct) VALUES
  (2026, 'S1', 5000, 60, 10, 12), (2026, 'S2', 5000, 30, 5, 8);
INSERT INTO meetings (unit_code, meeting_type, date, expected, attended) VALUES
  ('B1', '主题党日', DATE '2026-01-15', 20, 18), ('B1', '主题党日', DATE '2026-02-15', 20, 19),
  ('B1', '支部委员会会议', DATE '2026-01-20', 5, 5), ('B1', '党小组会', DATE '2026-03-04', 8, 8);
INSERT INTO problems (problem_id, unit_code, source, found_date, description, severity, due_date, status,
                      completed_date, closed_date) VALUES
  ('P1', 'S1', '巡察', DATE '2026-01-10', '支部换届不及时', '严重', DATE '2026-02-28', '整改中', NULL, NULL),
  ('P2', 'S2', '督查', DATE '2026-03-03', '台账不全', '一般', DATE '2026-04-30', '整改中', NULL, NULL),
  ('P3', 'S1', '自查', DATE '2026-01-05', '学习记录缺失', '较重', DATE '2026-03-31', '已销号',
   DATE '2026-03-04', DATE '2026-03-05');
INSERT INTO problem_snapshots (problem_id, status, due_date, as_of, batch_id) VALUES
  ('P1', '整改中', DATE '2026-02-28', DATE '2026-01-10', 1),
  ('P3', '整改中', DATE '2026-03-31', DATE '2026-01-05', 1),
  ('P3', '已销号', DATE '2026-03-31', DATE '2026-03-05', 2),
  ('P2', '整改中', DATE '2026-04-30', DATE '2026-03-03', 2);
"""


def make_briefing_store(path: Path):
    """The store above at `path`; returns the open Store."""
    store = open_store(path)
    store.cursor().execute(SQL)
    bump_data_version(store.cursor())   # as every writer does: unit_paths follows the tree
    return store
