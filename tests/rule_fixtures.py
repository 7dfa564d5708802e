"""A small hand-checked store for the funds / ratings / indicators tests and their pages.

Tree: G (group) → S1, S2, S3, S4 (secondary) → T11, T12 (S1), T21 (S2), T31 (S3) → branches
B111, B112 (T11), B121 (T12), B211, B212 (T21), B311 (T31). S4 has no data of any kind.

Annual 2025 (as of 2025-06-30), rule funds 1% / weight 10% / party staff 1%:
  S1: budget 52 on payroll 5000 → 1.04% meets; spent 39 → 75%; weight 12; staff 20 of 2000 → 1%.
  S2: 60 on 8000 → 0.75% fails, needs 80, short 20 万元; spent 30 → 50%; weight 10; 10 of 1500
      → 0.6667% fails, needs 15, short 5 people.
  S3: 30 on 3000 → exactly 1% meets; spent 33 → 110%; weight 8 fails by 2; 12 of 1000 → 1.2%.
  S4: no row.  T11 (level 3): 9 on 1000 → 0.9% fails by 1 万元.
S1's 2026 row holds payroll_prev_year 5500 = S1's 2025 payroll: 52 ÷ 5500 = 0.945% would fail.
"""
from __future__ import annotations

from pathlib import Path

from kpi.store import bump_data_version, open_store, set_meta

UNITS = [
    ("G", "示例集团", None, 1, "党委", 500, 8000),
    ("S1", "第一分公司", "G", 2, "党委", 200, 2000),
    ("S2", "第二分公司", "G", 2, "党委", 150, 1500),
    ("S3", "第三分公司", "G", 2, "党委", 100, 1000),
    ("S4", "第四分公司", "G", 2, "党委", 50, 500),
    ("T11", "一分一厂", "S1", 3, "党总支", 80, 1000),
    ("T12", "一分二厂", "S1", 3, "党总支", 60, 600),
    ("T21", "二分一厂", "S2", 3, "党总支", 70, 700),
    ("T31", "三分一厂", "S3", 3, "党总支", 40, 400),
    ("B111", "一厂第一支部", "T11", 4, "党支部", 30, 300),
    ("B112", "一厂第二支部", "T11", 4, "党支部", 25, 250),
    ("B121", "二厂第一支部", "T12", 4, "党支部", 20, 200),
    ("B211", "二分一厂第一支部", "T21", 4, "党支部", 35, 350),
    ("B212", "二分一厂第二支部", "T21", 4, "党支部", 15, 150),
    ("B311", "三分一厂第一支部", "T31", 4, "党支部", 22, 220),
]

# year, unit, payroll_prev_year, budget, spent, weight %, score, rating, party staff
ANNUAL = [
    (2024, "S1", 4800, 50, 45, 9, 85, "较好", 18),
    (2024, "S2", 7500, 80, 70, 10, 88, "好", 12),
    (2025, "S1", 5000, 52, 39, 12, 90, "好", 20),
    (2025, "S2", 8000, 60, 30, 10, 80, "一般", 10),
    (2025, "S3", 3000, 30, 33, 8, 75, "较好", 12),
    (2025, "T11", 1000, 9, 9, None, None, None, None),
    (2026, "S1", 5500, 60, None, None, None, None, None),
]

# year, branch, stars, six basics, compliant
RATINGS = [
    (2024, "B111", 3, 70, 70, 70, 70, 70, 70, False),
    (2025, "B111", 4, 90, 85, 88, 80, 92, 86, True),
    (2025, "B112", 3, 80, 75, 70, 72, 78, 74, True),
    (2025, "B121", 2, 60, 65, 58, 62, 70, 66, False),
    (2025, "B211", 5, 95, 96, 94, 97, 98, 93, True),
    (2025, "B311", 3, 75, 70, 72, 74, 70, 71, False),
]

# unit, period, code, value
INDICATORS = [
    ("B111", "2025-05", "theory_study_coverage", 96),
    ("B112", "2025-05", "theory_study_coverage", 100),
    ("B211", "2025-05", "theory_study_coverage", 99),
    ("B111", "2025-06", "theory_study_coverage", 98),
    ("B112", "2025-06", "theory_study_coverage", 97),
    ("B111", "2025-05", "publicity_articles", 3),
    ("B112", "2025-05", "publicity_articles", 4),
    ("B111", "2025-06", "publicity_articles", 2),
    ("B111", "2025-04", "applicants", 5),
    ("B111", "2025-06", "applicants", 6),
    ("B211", "2025-05", "applicants", 3),
    ("B111", "2025-07", "applicants", 100),
    ("B111", "2025-06", "activists", 4),
    ("B211", "2025-05", "development_targets", 2),
    ("B111", "2025-06", "full_members", 20),
    ("B112", "2025-06", "full_members", 18),
]


def build_rule_store(path: Path):
    """Create the fixture store at `path` (marked so the app does not load the demo group)."""
    store = open_store(path)
    con = store.cursor()
    con.executemany("INSERT INTO units (unit_code, unit_name, parent_code, level, org_type, member_count, "
                    "staff_count) VALUES (?, ?, ?, ?, ?, ?, ?)", UNITS)
    con.executemany("INSERT INTO annual (year, unit_code, payroll_prev_year, fund_budget, fund_spent, "
                    "assessment_weight_pct, assessment_score, secretary_rating, party_staff) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ANNUAL)
    con.executemany("INSERT INTO ratings (year, unit_code, stars, basic_org, basic_team, basic_activity, "
                    "basic_role, basic_system, basic_support, compliant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    RATINGS)
    con.executemany("INSERT INTO indicators (unit_code, period, indicator_code, value) VALUES (?, ?, ?, ?)",
                    INDICATORS)
    set_meta(con, "demo_cleared", "1")
    bump_data_version(con)   # as every writer does: caches move on, unit_paths follows the tree
    return store
