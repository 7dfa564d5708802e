"""A small store for the problem and coverage tests, every expected figure computed by hand.

As of 2025-06-30 (a Monday). Tree: G (group) → S1, S2, S3; S1 → T11, T12; S2 → T21; T11 → B111.

Problems (found, due, status, completed, closed, severity, source, unit):
  P1  2025-01-10  2025-03-31  已销号       03-20 04-05  一般 巡察     S1    closed, on time
  P2  2025-02-01  2025-05-31  整改中       —     —      严重 巡察     T11   overdue 30 d; deadline 04-30 → 05-31
  P3  2025-03-01  2025-04-30  已完成待验收 05-10 —      较重 审计     B111  completed late, overdue 61 d
  P4  2025-04-15  2025-07-05  未启动       —     —      一般 督查     S2    due in 5 days
  P5  2025-05-01  2025-07-25  整改中       —     —      严重 巡察     T21   due in 25 days
  P6  2024-11-20  2025-02-28  已销号       03-10 03-15  一般 审计     S3    closed, late
  P7  2025-01-20  2025-06-15  整改中       04-28 05-02  较重 督查     S1    re-opened after close-out (stale dates
                                                                            left in the row), overdue 15 d
  P8  2025-07-10  2025-08-31  未启动       —     —      一般 自查     S2    found after the as-of date
  P9  2025-06-01  2025-09-30  整改中       —     —      一般 上级反馈 G
Snapshots on 2025-05-05, 2025-06-04 (P2 extended, P3 done, P5 new, P7 re-opened) and 2025-06-25 (P9 new).

Supervision activities:
  A1 S1  巡察     2024-05-10 → 2024-06-20  5 findings
  A2 S1  督查     2025-03-10 → 2025-03-12  2
  A3 S1  调研     2025-04-28 → 2025-05-03  (not reported)  — spans April and May
  A4 S2  督查     2025-02-20 → 2025-02-21  0
  A5 T11 巡察     2025-05-20 → 2025-06-10  3               — spans May and June
  A6 S3  调研     2024-12-15 → 2024-12-16  1
  A7 S2  巡察     2025-08-01 → 2025-08-03  —               — after the as-of date
  A8 S1  督查     2025-06-02 → (no end)    4
  A9 T21 专项核查 2025-01-15 → 2025-01-16  1
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from kpi import store

AS_OF = dt.date(2025, 6, 30)

UNITS = [
    ("G", "示例集团", None, 1, "党委"),
    ("S1", "第一公司", "G", 2, "党委"), ("S2", "第二公司", "G", 2, "党委"), ("S3", "第三公司", "G", 2, "党委"),
    ("T11", "一公司甲厂", "S1", 3, "党总支"), ("T12", "一公司乙厂", "S1", 3, "党总支"),
    ("T21", "二公司甲厂", "S2", 3, "党总支"),
    ("B111", "甲厂第一党支部", "T11", 4, "党支部"),
]

D = dt.date
PROBLEMS = [
    ("P1", "S1", "巡察", D(2025, 1, 10), "组织建设", "支部换届不及时", "一般", "张三", "限期完成换届",
     D(2025, 3, 31), "已销号", D(2025, 3, 20), D(2025, 4, 5)),
    ("P2", "T11", "巡察", D(2025, 2, 1), "组织建设", "发展党员程序不规范", "严重", "李四", "重新履行发展程序",
     D(2025, 5, 31), "整改中", None, None),
    ("P3", "B111", "审计", D(2025, 3, 1), "经费管理", "党费使用超范围", "较重", "王五", "追回超范围支出",
     D(2025, 4, 30), "已完成待验收", D(2025, 5, 10), None),
    ("P4", "S2", "督查", D(2025, 4, 15), "制度执行", "三会一课台账不完整", "一般", "赵六", None,
     D(2025, 7, 5), "未启动", None, None),
    ("P5", "T21", "巡察", D(2025, 5, 1), "作风建设", "理论学习流于形式", "严重", "钱七", "学习完成率提升至50%以上",
     D(2025, 7, 25), "整改中", None, None),
    ("P6", "S3", "审计", D(2024, 11, 20), "经费管理", "经费预算未单列", "一般", "孙八", "单列党组织工作经费",
     D(2025, 2, 28), "已销号", D(2025, 3, 10), D(2025, 3, 15)),
    ("P7", "S1", "督查", D(2025, 1, 20), "制度执行", "谈心谈话记录缺失", "较重", "周九", "补充记录并建立台账",
     D(2025, 6, 15), "整改中", D(2025, 4, 28), D(2025, 5, 2)),
    ("P8", "S2", "自查", D(2025, 7, 10), "组织建设", "支部委员缺额", "一般", "吴十", "补选委员",
     D(2025, 8, 31), "未启动", None, None),
    ("P9", "G", "上级反馈", D(2025, 6, 1), "作风建设", "调研报告质量不高", "一般", "郑一", "修订调研制度",
     D(2025, 9, 30), "整改中", None, None),
]

SNAPSHOTS = {
    (D(2025, 5, 5), 1): [("P1", "已销号", D(2025, 3, 31)), ("P2", "整改中", D(2025, 4, 30)),
                         ("P3", "整改中", D(2025, 4, 30)), ("P4", "未启动", D(2025, 7, 5)),
                         ("P6", "已销号", D(2025, 2, 28)), ("P7", "已销号", D(2025, 4, 30))],
    (D(2025, 6, 4), 2): [("P1", "已销号", D(2025, 3, 31)), ("P2", "整改中", D(2025, 5, 31)),
                         ("P3", "已完成待验收", D(2025, 4, 30)), ("P4", "未启动", D(2025, 7, 5)),
                         ("P5", "整改中", D(2025, 7, 25)), ("P6", "已销号", D(2025, 2, 28)),
                         ("P7", "整改中", D(2025, 6, 15))],
    (D(2025, 6, 25), 3): [("P1", "已销号", D(2025, 3, 31)), ("P2", "整改中", D(2025, 5, 31)),
                          ("P3", "已完成待验收", D(2025, 4, 30)), ("P4", "未启动", D(2025, 7, 5)),
                          ("P5", "整改中", D(2025, 7, 25)), ("P6", "已销号", D(2025, 2, 28)),
                          ("P7", "整改中", D(2025, 6, 15)), ("P9", "整改中", D(2025, 9, 30))],
}

ACTIVITIES = [
    ("A1", "S1", "巡察", D(2024, 5, 10), D(2024, 6, 20), "集团巡察组", 5),
    ("A2", "S1", "督查", D(2025, 3, 10), D(2025, 3, 12), "党群工作部", 2),
    ("A3", "S1", "调研", D(2025, 4, 28), D(2025, 5, 3), "党委书记", None),
    ("A4", "S2", "督查", D(2025, 2, 20), D(2025, 2, 21), "党群工作部", 0),
    ("A5", "T11", "巡察", D(2025, 5, 20), D(2025, 6, 10), "集团巡察组", 3),
    ("A6", "S3", "调研", D(2024, 12, 15), D(2024, 12, 16), "党委副书记", 1),
    ("A7", "S2", "巡察", D(2025, 8, 1), D(2025, 8, 3), "集团巡察组", None),
    ("A8", "S1", "督查", D(2025, 6, 2), None, "纪委", 4),
    ("A9", "T21", "专项核查", D(2025, 1, 15), D(2025, 1, 16), "审计部", 1),
]


def fill_store(con) -> None:
    """Write the fixture rows into an open, migrated store."""
    con.executemany("INSERT INTO units (unit_code, unit_name, parent_code, level, org_type) VALUES (?, ?, ?, ?, ?)",
                    UNITS)
    con.executemany("""INSERT INTO problems (problem_id, unit_code, source, found_date, category, description,
        severity, owner, measures, due_date, status, completed_date, closed_date, batch_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 3)""", PROBLEMS)
    for (as_of, batch), rows in SNAPSHOTS.items():
        con.execute("""INSERT INTO batches (batch_id, dataset, file_name, sha256, rows_total, rows_inserted,
            rows_updated, rows_unchanged, user_name, created_at, kind, as_of)
            VALUES (?, 'problems', ?, ?, ?, 0, 0, 0, 'fixture', ?, 'upload', ?)""",
                    [batch, f"问题清单{as_of:%m%d}.xlsx", f"sha{batch}", len(rows),
                     dt.datetime.combine(as_of, dt.time(9)), as_of])
        con.executemany("INSERT INTO problem_snapshots VALUES (?, ?, ?, ?, ?)",
                        [(pid, status, due, as_of, batch) for pid, status, due in rows])
    con.executemany("""INSERT INTO supervision (activity_id, unit_code, kind, start_date, end_date, lead, findings)
        VALUES (?, ?, ?, ?, ?, ?, ?)""", ACTIVITIES)
    store.bump_data_version(con)   # as every writer does: caches move on, unit_paths follows the tree


def make_store(path: Path) -> store.Store:
    """A store at `path` holding the fixture, marked so the app does not load the demo group."""
    st = store.open_store(path)
    con = st.cursor()
    fill_store(con)
    store.set_meta(con, "demo_cleared", "1")
    return st
