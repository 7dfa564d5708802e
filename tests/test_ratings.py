"""Standardisation compliance, stars and six basics on the hand-computed store of rule_fixtures.

2025 ratings: S1 has B111 ✓ 4★, B112 ✓ 3★, B121 ✗ 2★; S2 has B211 ✓ 5★ (B212 not rated);
S3 has B311 ✗ 3★; S4 has no branch. 3 of 5 rated branches compliant → 60%.
"""
import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kpi.i18n import t
from kpi.metrics import ratings
from kpi.metrics.common import FLAG_COLUMNS
from tests.fixtures.rule_fixtures import build_rule_store

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def con(tmp_path):
    store = build_rule_store(tmp_path / "t.duckdb")
    yield store.cursor()
    store.close()



def test_rating_year_falls_back_to_latest_year_up_to_as_of(con):
    assert ratings.ratings_year(con, dt.date(2026, 3, 1)) == 2025
    assert ratings.ratings_year(con, dt.date(2024, 6, 30)) == 2024
    assert ratings.ratings_year(con, dt.date(2023, 6, 30)) is None
    assert ratings.ratings_year(con, dt.date(2024, 6, 30), root="S2") is None


def test_group_compliance_pools_branches_not_unit_percentages(con, rules):
    head = ratings.standardisation_compliance(con, rules, AS_OF)
    assert (head.value, head.target, head.numerator, head.denominator) == (60.0, 95.0, 3, 5)
    assert head.status == "bad"
    by_unit = ratings.compliance_by_unit(con, rules, AS_OF)
    # averaging the units' percentages (66.67, 100, 0) would give 55.56%, not the branches' 60%
    assert by_unit["compliance_pct"].mean() == pytest.approx(55.5556, abs=1e-4)


def test_compliance_by_unit(con, rules):
    df = ratings.compliance_by_unit(con, rules, AS_OF)
    assert list(df["unit_code"]) == ["S1", "S2", "S3", "S4"]
    assert list(df["branches"]) == [3, 2, 1, 0]
    assert list(df["rated"]) == [3, 1, 1, 0]
    assert list(df["compliant"]) == [2, 1, 0, 0]
    pct = [None if pd.isna(v) else v for v in df["compliance_pct"]]
    assert pct == [pytest.approx(200 / 3), 100.0, 0.0, None]
    assert [None if pd.isna(v) else bool(v) for v in df["meets_target"]] == [False, True, False, None]
    assert df["gap_points"].iloc[0] == pytest.approx(95 - 200 / 3)


def test_target_change_changes_who_meets_it(con, rules):
    lower = dataclasses.replace(rules, standardisation_target_pct=60.0)
    df = ratings.compliance_by_unit(con, lower, AS_OF)
    assert [None if pd.isna(v) else bool(v) for v in df["meets_target"]] == [True, True, False, None]
    assert ratings.standardisation_compliance(con, lower, AS_OF).status == "ok"


def test_star_distribution(con):
    df = ratings.star_distribution(con, AS_OF)
    assert [tuple(r) for r in df[["unit_code", "stars", "branches"]].itertuples(index=False)] == [
        ("S1", 2, 1), ("S1", 3, 1), ("S1", 4, 1), ("S2", 5, 1), ("S3", 3, 1)]
    assert set(df["year"]) == {2025}


def test_six_basics_against_secondary_unit_average(con):
    df = ratings.six_basics(con, AS_OF, "B121")
    assert list(df["basic"]) == ["basic_org", "basic_team", "basic_activity", "basic_role", "basic_system",
                                 "basic_support"]
    assert list(df["branch_score"]) == [60, 65, 58, 62, 70, 66]
    assert list(df["unit_average"]) == pytest.approx([230 / 3, 75, 72, 214 / 3, 80, 226 / 3])
    assert set(df["secondary_code"]) == {"S1"}
    assert ratings.six_basics(con, AS_OF, "B212").empty


def test_ratings_flags(con, rules):
    flags = ratings.ratings_flags(con, rules, AS_OF)
    assert list(flags.columns) == FLAG_COLUMNS
    assert [tuple(r) for r in flags[["unit_code", "rule", "actual", "required", "gap", "detail"]]
            .itertuples(index=False)] == [("S1", "standardisation", 66.67, 95.0, 28.33, "2025"),
                                          ("S3", "standardisation", 0.0, 95.0, 95.0, "2025")]
    first = flags.iloc[0]
    text = t(f"flags.{first['rule']}", "zh", actual=first["actual"], required=first["required"],
             gap=first["gap"], detail=first["detail"])
    assert text == "2025年支部标准化规范化达标率 66.67%，低于目标 95.0%，差 28.33 个百分点"
    assert ratings.ratings_flags(con, rules, dt.date(2023, 1, 1)).empty
