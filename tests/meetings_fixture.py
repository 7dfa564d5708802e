"""A small hand-checkable store for the organisational-life tests (metrics and page).

Tree: G 集团 → S1, S2, S3 (no branches) → T1 (under S1), T2 (under S2) → branches
B1, B2 (under T1), B3 (under T2, founded 2025-06-15), B4 (under T2, no meetings at all).

Meetings, with as-of 2025-08-15 in mind (default rules: 3 monthly types, 2 quarterly, 2 yearly):
- B1 holds every required meeting Jan–Aug 2025: monthly types on the 10th, quarterly ones on
  02-05 / 05-05 / 08-05, the yearly ones on 03-01 and 03-02 (32 records, each 应到 10 实到 9),
  a 谈心谈话 on 04-10 (应到 2 实到 2) and a 支部委员会会议 on 2024-02-29.
- B2: 支部党员大会 2025-03-31 (Q1) and 党课 2025-04-01 (Q2); 支部委员会会议 2024-12-31, then
  Feb (应到 7, 实到 empty), May, Jun, Jul; no 党小组会; 主题党日 on 2025-01-01 then the 8th of
  Feb–Aug (each 应到 20 实到 15); 组织生活会 2024-12-31 (应到 20 实到 20, outside 2025);
  民主评议党员 2025-08-20 (after the as-of date; 应到 20 实到 20).
- B3 (founded 2025-06-15): 支部委员会会议 06-20 (应到 5 实到 5) and 07-05 (应到 5 实到 4),
  主题党日 07-01, 支部党员大会 07-15.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from kpi import store

D = dt.date

UNITS = [
    ("G", "示范集团", None, 1, "党委", None),
    ("S1", "一公司", "G", 2, "党委", None),
    ("S2", "二公司", "G", 2, "党委", None),
    ("S3", "三公司", "G", 2, "党委", None),
    ("T1", "一公司甲厂", "S1", 3, "党总支", None),
    ("T2", "二公司乙厂", "S2", 3, "党总支", None),
    ("B1", "甲厂第一支部", "T1", 4, "党支部", None),
    ("B2", "甲厂第二支部", "T1", 4, "党支部", None),
    ("B3", "乙厂新建支部", "T2", 4, "党支部", D(2025, 6, 15)),
    ("B4", "乙厂第四支部", "T2", 4, "党支部", None),
]

MONTHLY = ("支部委员会会议", "党小组会", "主题党日")
QUARTERLY = ("支部党员大会", "党课")


def meeting_rows() -> list[tuple]:
    rows: list[tuple] = []
    for month in range(1, 9):
        rows += [("B1", kind, D(2025, month, 10), 10, 9, "学习") for kind in MONTHLY]
    for month in (2, 5, 8):
        rows += [("B1", kind, D(2025, month, 5), 10, 9, "学习") for kind in QUARTERLY]
    rows += [("B1", "组织生活会", D(2025, 3, 1), 10, 9, "对照检查"),
             ("B1", "民主评议党员", D(2025, 3, 2), 10, 9, "评议"),
             ("B1", "谈心谈话", D(2025, 4, 10), 2, 2, "谈心"),
             ("B1", "支部委员会会议", D(2024, 2, 29), None, None, "闰日支委会")]
    rows += [("B2", "支部党员大会", D(2025, 3, 31), None, None, "一季度大会"),
             ("B2", "党课", D(2025, 4, 1), None, None, "二季度党课"),
             ("B2", "支部委员会会议", D(2024, 12, 31), None, None, "年末支委会"),
             ("B2", "支部委员会会议", D(2025, 2, 10), 7, None, "支委会"),
             ("B2", "组织生活会", D(2024, 12, 31), 20, 20, "2024年组织生活会"),
             ("B2", "民主评议党员", D(2025, 8, 20), 20, 20, "评议"),
             ("B2", "主题党日", D(2025, 1, 1), 20, 15, "元旦主题党日")]
    rows += [("B2", "支部委员会会议", D(2025, month, 10), None, None, "支委会") for month in (5, 6, 7)]
    rows += [("B2", "主题党日", D(2025, month, 8), 20, 15, "主题党日") for month in range(2, 9)]
    rows += [("B3", "支部委员会会议", D(2025, 6, 20), 5, 5, "成立后首次支委会"),
             ("B3", "支部委员会会议", D(2025, 7, 5), 5, 4, "支委会"),
             ("B3", "主题党日", D(2025, 7, 1), None, None, "建党日"),
             ("B3", "支部党员大会", D(2025, 7, 15), None, None, "大会")]
    return rows


def build_store(path: Path) -> store.Store:
    """Create the fixture store at `path` (marked as real data: the demo is never loaded)."""
    st = store.open_store(path)
    con = st.cursor()
    con.executemany("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, founded_date)
                       VALUES (?, ?, ?, ?, ?, ?)""", UNITS)
    con.executemany("""INSERT INTO meetings (unit_code, meeting_type, date, expected, attended, topic)
                       VALUES (?, ?, ?, ?, ?, ?)""", meeting_rows())
    store.set_meta(con, "demo_cleared", "1")
    store.bump_data_version(con)
    return st
