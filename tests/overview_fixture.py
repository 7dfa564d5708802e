"""A small group whose overview figures are computed by hand in tests/test_overview.py.

Tree: G (group) → A, B (secondary) → A1, B1 (tertiary) → A1a, A1b, B1a (branches).
As-of date 2026-06-30 (a Tuesday); the previous week is 2026-06-23.
"""
import datetime as dt

from kpi.store import bump_data_version, open_store, set_meta

AS_OF = dt.date(2026, 6, 30)
MONTHLY = ("支部委员会会议", "党小组会", "主题党日")
QUARTERLY = ("支部党员大会", "党课")
YEARLY = ("组织生活会", "民主评议党员")


def _full_year_meetings(branch: str) -> list[tuple]:
    """One meeting for every slot begun by 2026-06-30 (24 slots); June's monthly ones on 06-25,
    after the previous week's as-of date, so a week earlier 3 of them were not yet held."""
    rows = []
    for month in range(1, 7):
        day = 25 if month == 6 else 10
        rows += [(branch, kind, dt.date(2026, month, day), 10, 9) for kind in MONTHLY]
    rows += [(branch, kind, dt.date(2026, m, 15), 10, 10) for kind in QUARTERLY for m in (2, 4)]
    rows += [(branch, kind, dt.date(2026, 3, 20), 10, 8) for kind in YEARLY]
    return rows


def build(path):
    store = open_store(path)
    con = store.cursor()
    set_meta(con, "demo_cleared", "1")
    con.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, member_count, staff_count)
        VALUES ('G', '测试集团', NULL, 1, '党委', 60, 1500),
               ('A', '甲公司', 'G', 2, '党委', 40, 500), ('B', '乙公司', 'G', 2, '党委', 20, 1000),
               ('A1', '甲一厂', 'A', 3, '党总支', 40, 500), ('B1', '乙一厂', 'B', 3, '党总支', 20, 1000),
               ('A1a', '甲一厂第一支部', 'A1', 4, '党支部', 20, 250),
               ('A1b', '甲一厂第二支部', 'A1', 4, '党支部', 20, 250),
               ('B1a', '乙一厂第一支部', 'B1', 4, '党支部', 20, 1000)""")
    # A: 12 / 1000 = 1.2% ≥ 1%, weight 12 ≥ 10, 6 / 500 = 1.2% staff. B: 15 / 2000 = 0.75% (short by
    # 20 − 15 = 5 万元), weight 8 (short by 2 points), 8 / 1000 = 0.8% (short by 10 − 8 = 2 people).
    con.execute("""INSERT INTO annual (year, unit_code, payroll_prev_year, fund_budget, fund_spent,
        assessment_weight_pct, assessment_score, secretary_rating, party_staff) VALUES
        (2026, 'A', 1000, 12, 5, 12, 90, '好', 6), (2026, 'B', 2000, 15, 4, 8, 80, '较好', 8)""")
    meetings = _full_year_meetings("A1a")
    # A1b holds only its monthly 支委会 (6 of 24 slots); B1a holds nothing.
    meetings += [("A1b", "支部委员会会议", dt.date(2026, m, 10), 10, 10) for m in range(1, 7)]
    con.executemany("INSERT INTO meetings (unit_code, meeting_type, date, expected, attended) VALUES (?, ?, ?, ?, ?)",
                    meetings)
    con.execute("""INSERT INTO problems (problem_id, unit_code, source, found_date, category, description,
        severity, owner, measures, due_date, status, completed_date, closed_date) VALUES
        ('P1', 'A', '巡察', DATE '2026-01-10', '组织建设', '换届不及时', '一般', '张三', '完成换届',
         DATE '2026-03-31', '已销号', DATE '2026-03-20', DATE '2026-03-25'),
        ('P2', 'A1', '审计', DATE '2026-02-01', '经费管理', '经费使用不规范', '较重', '李四', '规范报销',
         DATE '2026-05-31', '整改中', NULL, NULL),
        ('P3', 'B', '督查', DATE '2026-03-01', '作风建设', '会议记录缺失', '严重', '王五', '补齐记录',
         DATE '2026-07-31', '整改中', NULL, NULL),
        ('P4', 'B1', '自查', DATE '2026-06-25', '制度执行', '制度未上墙', '一般', '赵六', '制度上墙',
         DATE '2026-06-28', '未启动', NULL, NULL)""")
    con.execute("""INSERT INTO supervision (activity_id, unit_code, kind, start_date, end_date, lead, findings) VALUES
        ('S1', 'A', '督查', DATE '2026-04-01', DATE '2026-04-02', '党群工作部', 1),
        ('S2', 'A1', '巡察', DATE '2025-05-10', DATE '2025-06-20', '第一巡察组', 3)""")
    con.execute("""INSERT INTO ratings (year, unit_code, stars, basic_org, basic_team, basic_activity, basic_role,
        basic_system, basic_support, compliant) VALUES
        (2026, 'A1a', 5, 95, 95, 95, 95, 95, 95, true), (2026, 'A1b', 4, 85, 85, 85, 85, 85, 85, true),
        (2026, 'B1a', 2, 60, 55, 70, 65, 60, 50, false)""")
    bump_data_version(con)   # as every writer does: caches move on, unit_paths follows the tree
    return store
