"""Re-creates tests/data/store_v2.duckdb: a store made by schema version 2 with rows in every table,
including an undone batch and its undo copy.

Kept so that the migration test opens a real file of the second schema, as an install before
accounts existed would. Run from the repository root: python tests/data/make_store_v2.py
"""
from pathlib import Path

import duckdb

from kpi.store.migrations import MIGRATIONS

OUT = Path(__file__).with_name("store_v2.duckdb")
OUT.unlink(missing_ok=True)
con = duckdb.connect(str(OUT))
con.execute(MIGRATIONS[0])
con.execute(MIGRATIONS[1])
con.execute("INSERT INTO meta VALUES ('schema_version', '2'), ('demo', '0')")
con.execute("""INSERT INTO units VALUES
    ('G01', '示例集团', NULL, 1, '党委', 120, 3000, 1, DATE '1990-01-01'),
    ('S01', '第一分公司', 'G01', 2, '党委', 80, 1800, 1, DATE '1995-05-01'),
    ('B0101', '第一党支部', 'S01', 4, '党支部', 25, 300, 1, NULL)""")
con.execute("INSERT INTO annual VALUES (2025, 'S01', 5000, 45, 40, 8, 88.5, '较好', 15, 2)")
con.execute("""INSERT INTO meetings VALUES
    ('B0101', '主题党日', DATE '2025-03-05', 25, 23, '=HYPERLINK("x")', 3),
    ('B0101', '支部委员会会议', DATE '2025-03-12', 5, 5, NULL, 3)""")
con.execute("""INSERT INTO problems VALUES ('XC-2025-001', 'S01', '巡察', DATE '2025-02-10', '组织建设',
    '支部换届不及时', '较重', '张三', '限期完成换届', DATE '2025-06-30', '整改中', NULL, NULL, 4)""")
con.execute("INSERT INTO problems_undo VALUES ('XC-2025-001', 'S01', '巡察', DATE '2025-02-10', '组织建设', "
            "'支部换届不及时', '较重', '张三', NULL, DATE '2025-06-30', '未启动', NULL, NULL, 4, 5)")
con.execute("INSERT INTO supervision VALUES ('DC-2025-01', 'S01', '督查', DATE '2025-04-01', "
            "DATE '2025-04-03', '党群工作部', 2, 5)")
con.execute("INSERT INTO ratings VALUES (2025, 'B0101', 4, 90, 85, 88, 80, 92, 86, true, 6)")
con.execute("INSERT INTO indicators VALUES ('S01', '2025-06', 'theory_study_coverage', 97.5, 7)")
con.execute("""INSERT INTO batches VALUES
    (1, 'units', 'units.xlsx', 'aa', 3, 3, 0, 0, 'analyst', TIMESTAMP '2025-07-01 09:00:00', 'upload', NULL,
     DATE '2025-07-01'),
    (4, 'problems', 'problems.csv', 'bb', 1, 1, 0, 0, 'analyst', TIMESTAMP '2025-07-02 09:00:00', 'upload', NULL,
     DATE '2025-07-02'),
    (5, 'problems', 'problems2.csv', 'cc', 1, 0, 1, 0, 'analyst', TIMESTAMP '2025-07-03 09:00:00', 'upload',
     TIMESTAMP '2025-07-04 10:00:00', DATE '2025-07-03')""")
con.execute("INSERT INTO problem_snapshots VALUES ('XC-2025-001', '整改中', DATE '2025-06-30', DATE '2025-07-02', 4)")
con.execute("UPDATE meta SET value = '5' WHERE key = 'data_version'")
con.close()
print(f"wrote {OUT}")
