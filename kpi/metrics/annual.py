"""Annual figures per unit: party work funds, fund execution, assessment weight, party-affairs staff.

Source: the `annual` dataset (one row per unit and year) and `units.staff_count`.

The year evaluated is the as-of date's year Y. Its row carries `payroll_prev_year`, the payroll of
Y−1, because the funds rule is stated against the PREVIOUS year's payroll (《中国共产党国有企业基层
组织工作条例（试行）》; source document: "按上年度职工工资总额1%的比例要求落实党组织工作经费"). The
payroll of Y itself only appears as next year's `payroll_prev_year` and is never used for year Y.

Each unit is judged on its own row (a secondary unit's budget is its own figure, not the sum of its
tertiary units'). A unit without a row, or without the figures a rule needs, is missing (NA): it is
not counted as failing, and `compliance_summary` reports how many are missing.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kpi.metrics.common import FLAG_COLUMNS, Headline, share_pct
from kpi.metrics.levels import resolved_level
from kpi.rules import Rules
from kpi.store.sql import IN_SUBTREE, in_subtree, with_identifiers

RULE_FUNDS, RULE_WEIGHT, RULE_STAFF = "funds_ratio", "assessment_weight", "party_staff"
ANNUAL_RULES = (RULE_FUNDS, RULE_WEIGHT, RULE_STAFF)
# A share of units complying is judged against every unit complying.
ALL_UNITS_PCT = 100.0

# Every per-unit figure, for the units of the subtree (optionally one level) joined to their
# annual rows (optionally one year). Comparisons are rounded so that 30 万元 on 3000 万元 meets 1%.
_PER_UNIT_SQL = """
WITH scope AS (
    SELECT unit_code, unit_name, level, staff_count FROM units
    WHERE """ + IN_SUBTREE + """
      AND (CAST($level AS INTEGER) IS NULL OR level = CAST($level AS INTEGER))
), joined AS (
    SELECT s.unit_code, s.unit_name, s.level, coalesce(a.year, CAST($year AS INTEGER)) AS year,
           a.payroll_prev_year, a.fund_budget, a.fund_spent, a.assessment_weight_pct,
           a.party_staff, s.staff_count
    FROM scope s LEFT JOIN annual a
      ON a.unit_code = s.unit_code AND (CAST($year AS INTEGER) IS NULL OR a.year = CAST($year AS INTEGER))
)
SELECT unit_code, unit_name, level, year, payroll_prev_year, fund_budget, fund_spent,
    CASE WHEN payroll_prev_year > 0 THEN fund_budget * 100.0 / payroll_prev_year END AS fund_ratio_pct,
    CASE WHEN payroll_prev_year > 0 THEN payroll_prev_year * $funds_pct / 100.0 END AS required_budget,
    CASE WHEN payroll_prev_year > 0 AND fund_budget IS NOT NULL
         THEN greatest(0.0, round(payroll_prev_year * $funds_pct / 100.0 - fund_budget, 6)) END AS shortfall_wan,
    CASE WHEN payroll_prev_year > 0 AND fund_budget IS NOT NULL
         THEN round(fund_budget * 100.0 - payroll_prev_year * $funds_pct, 6) >= 0 END AS meets_funds,
    CASE WHEN fund_budget > 0 THEN fund_spent * 100.0 / fund_budget END AS execution_pct,
    assessment_weight_pct,
    CAST($weight_pct AS DOUBLE) AS required_weight_pct,
    CASE WHEN assessment_weight_pct IS NOT NULL
         THEN greatest(0.0, round($weight_pct - assessment_weight_pct, 6)) END AS weight_shortfall_points,
    CASE WHEN assessment_weight_pct IS NOT NULL
         THEN round(assessment_weight_pct - $weight_pct, 6) >= 0 END AS meets_weight,
    party_staff, staff_count,
    CASE WHEN staff_count > 0 AND party_staff IS NOT NULL
         THEN party_staff * 100.0 / staff_count END AS party_staff_ratio_pct,
    CAST($staff_pct AS DOUBLE) AS required_staff_pct,
    CASE WHEN staff_count > 0 THEN staff_count * $staff_pct / 100.0 END AS required_staff,
    CASE WHEN staff_count > 0 AND party_staff IS NOT NULL
         THEN greatest(0, ceil(round(staff_count * $staff_pct / 100.0, 6)) - party_staff) END AS staff_shortfall,
    CASE WHEN staff_count > 0 AND party_staff IS NOT NULL
         THEN greatest(0.0, round($staff_pct - party_staff * 100.0 / staff_count, 6)) END AS staff_shortfall_points,
    CASE WHEN staff_count > 0 AND party_staff IS NOT NULL
         THEN round(party_staff * 100.0 - staff_count * $staff_pct, 6) >= 0 END AS meets_party_staff
FROM joined
"""


def _params(rules: Rules, root: str | None, level: int | None, year: int | None) -> dict:
    return {"root": root, "level": level, "year": year, "funds_pct": rules.funds_min_ratio_pct,
            "weight_pct": rules.assessment_min_weight_pct, "staff_pct": rules.party_staff_min_ratio_pct}


def _per_unit(con, rules: Rules, year: int | None, root: str | None, level: int | None,
              columns: list[str]) -> pd.DataFrame:
    sql = with_identifiers("SELECT {columns} FROM (" + _PER_UNIT_SQL + ") ORDER BY unit_code", columns=columns)
    return con.execute(sql, _params(rules, root, level, year)).df()


def funds_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                  level: int | None = None) -> pd.DataFrame:
    """Party work funds of every unit at `level` (default: just below the root) for the as-of year.

    fund_ratio_pct = fund_budget ÷ payroll_prev_year × 100; required_budget = payroll_prev_year ×
    funds_min_ratio_pct ÷ 100; shortfall_wan = max(0, required_budget − fund_budget) in 万元;
    meets_funds = fund_ratio_pct ≥ funds_min_ratio_pct (rule: ≥ 1% of the previous year's payroll);
    execution_pct = fund_spent ÷ fund_budget × 100. Units without data: NA in every figure.
    """
    return _per_unit(con, rules, as_of.year, root, resolved_level(con, root, level), [
        "unit_code", "unit_name", "year", "payroll_prev_year", "fund_budget", "fund_spent", "fund_ratio_pct",
        "required_budget", "shortfall_wan", "meets_funds", "execution_pct"])


def weight_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                   level: int | None = None) -> pd.DataFrame:
    """Weight of party building in each unit's performance assessment, for the as-of year.

    meets_weight = assessment_weight_pct ≥ assessment_min_weight_pct (rule: ≥ 10%, source document
    "提高考核比重至10%"); weight_shortfall_points = max(0, rule − weight) in percent points.
    """
    return _per_unit(con, rules, as_of.year, root, resolved_level(con, root, level), [
        "unit_code", "unit_name", "year", "assessment_weight_pct", "required_weight_pct",
        "weight_shortfall_points", "meets_weight"])


def party_staff_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                        level: int | None = None) -> pd.DataFrame:
    """Full-time party-affairs staff of each unit against its staff count (units.staff_count).

    party_staff_ratio_pct = party_staff ÷ staff_count × 100; meets_party_staff = ratio ≥
    party_staff_min_ratio_pct (rule: ≥ 1% of staff); staff_shortfall = max(0, ⌈staff_count × rule
    ÷ 100⌉ − party_staff) people; staff_shortfall_points = max(0, rule − ratio).
    """
    return _per_unit(con, rules, as_of.year, root, resolved_level(con, root, level), [
        "unit_code", "unit_name", "year", "party_staff", "staff_count", "party_staff_ratio_pct",
        "required_staff_pct", "required_staff", "staff_shortfall", "staff_shortfall_points", "meets_party_staff"])


_MEETS = {RULE_FUNDS: "meets_funds", RULE_WEIGHT: "meets_weight", RULE_STAFF: "meets_party_staff"}
# Per annual rule: units with data and complying units (and, by year, their share) — from _MEETS.
_SUMMARY_SQL = ("SELECT count(*) AS units, "
                + ", ".join("count(" + col + ") AS " + rule + "_with_data, CAST(coalesce(count_if(" + col
                            + "), 0) AS BIGINT) AS " + rule + "_complying" for rule, col in _MEETS.items())
                + " FROM (" + _PER_UNIT_SQL + ")")
_TREND_SQL = ("SELECT year, (SELECT count(*) FROM units u WHERE " + in_subtree("u.unit_code")
              + " AND (CAST($level AS INTEGER) IS NULL OR u.level = CAST($level AS INTEGER))) AS units, "
              + ", ".join("count(" + col + ") AS " + rule + "_with_data, CAST(coalesce(count_if(" + col
                          + "), 0) AS BIGINT) AS " + rule + "_complying, CASE WHEN count(" + col
                          + ") > 0 THEN count_if(" + col + ") * 100.0 / count(" + col + ") END AS " + rule
                          + "_share_pct" for rule, col in _MEETS.items())
              + " FROM (" + _PER_UNIT_SQL + ") WHERE year IS NOT NULL GROUP BY year ORDER BY year")


def compliance_summary(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       level: int | None = None) -> pd.DataFrame:
    """Per annual rule, for the units at `level` in the subtree in the as-of year: units, with_data,
    complying, missing (= units − with_data, not counted as failing) and
    share_pct = complying ÷ with_data × 100 (NA when no unit has data).

    A parent's compliance is this share of units, never the average of the units' percentages.
    """
    row = con.execute(_SUMMARY_SQL, _params(rules, root, resolved_level(con, root, level), as_of.year)).df().iloc[0]
    units = int(row["units"])
    records = []
    for rule in ANNUAL_RULES:
        with_data, complying = int(row[f"{rule}_with_data"]), int(row[f"{rule}_complying"])
        records.append({"rule": rule, "units": units, "with_data": with_data, "complying": complying,
                        "missing": units - with_data, "share_pct": share_pct(complying, with_data)})
    out = pd.DataFrame(records)
    out["share_pct"] = out["share_pct"].astype("float64")
    return out


def _headline(con, rules: Rules, as_of: dt.date, root: str | None, level: int | None, rule: str) -> Headline:
    row = compliance_summary(con, rules, as_of, root, level).set_index("rule").loc[rule]
    value = None if pd.isna(row["share_pct"]) else float(row["share_pct"])
    return Headline(f"{rule}_compliance", value, ALL_UNITS_PCT, int(row["complying"]), int(row["with_data"]))


def funds_compliance(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                     level: int | None = None) -> Headline:
    """Share of units (at `level`, with data) whose funds budget is ≥ funds_min_ratio_pct of the previous
    year's payroll: complying ÷ with data × 100, target 100% of units; None when no unit has data."""
    return _headline(con, rules, as_of, root, level, RULE_FUNDS)


def weight_compliance(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                      level: int | None = None) -> Headline:
    """Share of units (with data) whose assessment weight is ≥ assessment_min_weight_pct."""
    return _headline(con, rules, as_of, root, level, RULE_WEIGHT)


def party_staff_compliance(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                           level: int | None = None) -> Headline:
    """Share of units (with data) whose party-affairs staff is ≥ party_staff_min_ratio_pct of their staff."""
    return _headline(con, rules, as_of, root, level, RULE_STAFF)


def annual_trend(con: duckdb.DuckDBPyConnection, rules: Rules, root: str | None = None,
                 level: int | None = None) -> pd.DataFrame:
    """Per year present in `annual`, for the units at `level` in the subtree (current tree): units,
    and for funds, weight and party staff: <rule>_with_data, <rule>_complying and
    <rule>_share_pct = complying ÷ with_data × 100 (NA when no unit has data that year)."""
    return con.execute(_TREND_SQL, _params(rules, root, resolved_level(con, root, level), None)).df()


def annual_flags(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                 root: str | None = None) -> pd.DataFrame:
    """Red flags for the as-of year, for every unit of the subtree with an annual row that breaks a rule.

    rule 'funds_ratio': actual = fund ratio %, required = funds_min_ratio_pct, gap = shortfall in 万元;
    'assessment_weight': actual/required in %, gap in percent points;
    'party_staff': actual/required in % of staff, gap in people. detail = the year.
    Values rounded to 2 decimals for display.
    """
    out = con.execute(_FLAGS_SQL, _params(rules, root, None, as_of.year)).df()
    return out[FLAG_COLUMNS]


_FLAGS_SQL = "WITH t AS (" + _PER_UNIT_SQL + """)
        SELECT unit_code, unit_name, level, 'funds_ratio' AS rule, round(fund_ratio_pct, 2) AS actual,
               $funds_pct AS required, round(shortfall_wan, 2) AS gap, CAST(year AS VARCHAR) AS detail
        FROM t WHERE NOT meets_funds
        UNION ALL
        SELECT unit_code, unit_name, level, 'assessment_weight', round(assessment_weight_pct, 2),
               $weight_pct, round(weight_shortfall_points, 2), CAST(year AS VARCHAR)
        FROM t WHERE NOT meets_weight
        UNION ALL
        SELECT unit_code, unit_name, level, 'party_staff', round(party_staff_ratio_pct, 2),
               $staff_pct, CAST(staff_shortfall AS DOUBLE), CAST(year AS VARCHAR)
        FROM t WHERE NOT meets_party_staff
        ORDER BY rule, unit_code"""


def noncompliant_units(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       level: int | None = None) -> pd.DataFrame:
    """Units at `level` breaking at least one annual rule in the as-of year, with how far short they
    are: shortfall_wan (万元 of funds budget), weight_shortfall_points (points of assessment weight),
    staff_shortfall (people) and staff_shortfall_points; a rule without data leaves its columns NA."""
    return con.execute(
        """SELECT unit_code, unit_name, year, fund_ratio_pct, shortfall_wan, assessment_weight_pct,
                   weight_shortfall_points, party_staff_ratio_pct, staff_shortfall, staff_shortfall_points
            FROM (""" + _PER_UNIT_SQL + """)
            WHERE meets_funds = false OR meets_weight = false OR meets_party_staff = false
            ORDER BY unit_code""",
        _params(rules, root, resolved_level(con, root, level), as_of.year)).df()
