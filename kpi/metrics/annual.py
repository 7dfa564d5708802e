"""Annual figures per unit: party work funds, fund execution, assessment weight, party-affairs staff.

Source: the `annual` dataset (one row per unit and year) and `units.staff_count`.

The year evaluated is the as-of date's year Y. Its row carries `payroll_prev_year`, the payroll of
Y−1, because the funds rule is stated against the PREVIOUS year's payroll (《中国共产党国有企业基层
组织工作条例（试行）》; source document: "按上年度职工工资总额1%的比例要求落实党组织工作经费"). The
payroll of Y itself only appears as next year's `payroll_prev_year` and is never used for year Y.

Each unit is judged on its own row (a secondary unit's budget is its own figure, not the sum of its
tertiary units'). Per rule a unit is 'met', 'failing' or 'not_reported' (未报送; `<rule>_status`):
every unit of rules.annual.levels that exists in the year (founded on or before the as-of date, or
before the year's end) owes its row once the year's collection has begun (some unit has a row for
that year); a unit without a row, or without a value the rule needs (an empty or zero previous-year
payroll, say), has not reported that figure — `<rule>_reason` says why. Not reporting is a finding:
it is counted beside the units meeting and failing the rule, flagged (`<rule>_missing`) and listed
with the units below the rules; whether a share counts it as failing (the default) or leaves it out
of its denominator is rules.annual.not_reported_counts_as.

A scope's own unit is one of the units of its figures (`with_root`): a secondary unit's view counts
its own funds row beside its tertiary units' when its level reports (or it has a row of its own).
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import duckdb
import pandas as pd

from kpi.metrics.common import FLAG_COLUMNS, Headline, share_pct
from kpi.metrics.levels import resolved_level
from kpi.rules import Rules
from kpi.store.sql import IN_SUBTREE, with_identifiers

RULE_FUNDS, RULE_WEIGHT, RULE_STAFF = "funds_ratio", "assessment_weight", "party_staff"
ANNUAL_RULES = (RULE_FUNDS, RULE_WEIGHT, RULE_STAFF)
# A share of units complying is judged against every unit complying.
ALL_UNITS_PCT = 100.0

# Every per-unit figure, for the units of the subtree (optionally one level, plus the root itself when
# `with_root`) joined to their annual rows (one year, or every year with rows when $year is NULL).
# Comparisons are rounded so that 30 万元 on 3000 万元 meets 1%. `expected`: the unit owes the year's
# row (its level reports, it exists by the as-of date or the year's end, the year's collection began).
_BASE_SQL = """
WITH scope AS (
    SELECT unit_code, unit_name, level, staff_count, founded_date FROM units
    WHERE """ + IN_SUBTREE + """
      AND ((CAST($level AS INTEGER) IS NULL OR level = CAST($level AS INTEGER))
           OR (CAST($with_root AS BOOLEAN) AND unit_code = CAST($root AS VARCHAR)
               AND (list_contains(CAST($report_levels AS INTEGER[]), level)
                    OR unit_code IN (SELECT unit_code FROM annual WHERE CAST($year AS INTEGER) IS NULL
                                                                        OR year = CAST($year AS INTEGER)))))
), years AS (
    SELECT CAST($year AS INTEGER) AS year WHERE CAST($year AS INTEGER) IS NOT NULL
    UNION
    SELECT DISTINCT a.year FROM annual a JOIN scope s ON a.unit_code = s.unit_code
    WHERE CAST($year AS INTEGER) IS NULL
), joined AS (
    SELECT s.unit_code, s.unit_name, s.level, y.year, a.unit_code IS NOT NULL AS has_row,
           list_contains(CAST($report_levels AS INTEGER[]), s.level)
             AND (s.founded_date IS NULL OR s.founded_date <= least(
                    coalesce(CAST($as_of AS DATE), make_date(y.year, 12, 31)), make_date(y.year, 12, 31)))
             AND y.year IN (SELECT year FROM annual) AS expected,
           a.payroll_prev_year, a.fund_budget, a.fund_spent, a.assessment_weight_pct,
           a.party_staff, s.staff_count
    FROM scope s CROSS JOIN years y
    LEFT JOIN annual a ON a.unit_code = s.unit_code AND a.year = y.year
)
SELECT unit_code, unit_name, level, year, has_row, expected, payroll_prev_year, fund_budget, fund_spent,
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

# Per rule: met / failing / not_reported (NULL: not judged — a unit that owes no row and sent none),
# and why a figure is not reported: no row, or the value the rule needs is empty (or zero).
_PER_UNIT_SQL = """SELECT *,
    CASE WHEN meets_funds THEN 'met' WHEN NOT meets_funds THEN 'failing'
         WHEN expected OR has_row THEN 'not_reported' END AS funds_ratio_status,
    CASE WHEN meets_funds IS NULL AND (expected OR has_row) THEN
         CASE WHEN NOT has_row THEN 'no_row' WHEN coalesce(payroll_prev_year, 0) <= 0 THEN 'no_payroll'
              ELSE 'no_budget' END END AS funds_ratio_reason,
    CASE WHEN meets_weight THEN 'met' WHEN NOT meets_weight THEN 'failing'
         WHEN expected OR has_row THEN 'not_reported' END AS assessment_weight_status,
    CASE WHEN meets_weight IS NULL AND (expected OR has_row) THEN
         CASE WHEN NOT has_row THEN 'no_row' ELSE 'no_weight' END END AS assessment_weight_reason,
    CASE WHEN meets_party_staff THEN 'met' WHEN NOT meets_party_staff THEN 'failing'
         WHEN expected OR has_row THEN 'not_reported' END AS party_staff_status,
    CASE WHEN meets_party_staff IS NULL AND (expected OR has_row) THEN
         CASE WHEN NOT has_row THEN 'no_row' WHEN coalesce(staff_count, 0) <= 0 THEN 'no_staff_count'
              ELSE 'no_party_staff' END END AS party_staff_reason
FROM (""" + _BASE_SQL + ")"

def _params(rules: Rules, root: str | None, level: int | None, as_of: dt.date | None,
            with_root: bool = True) -> dict:
    return {"root": root, "level": level, "year": None if as_of is None else as_of.year, "as_of": as_of,
            "with_root": with_root and root is not None, "report_levels": list(rules.annual.levels),
            "funds_pct": rules.funds_min_ratio_pct, "weight_pct": rules.assessment_min_weight_pct,
            "staff_pct": rules.party_staff_min_ratio_pct}


def _per_unit(con, rules: Rules, as_of: dt.date, root: str | None, level: int | None, with_root: bool,
              columns: list[str]) -> pd.DataFrame:
    sql = with_identifiers("SELECT {columns} FROM (" + _PER_UNIT_SQL + ") ORDER BY unit_code", columns=columns)
    return con.execute(sql, _params(rules, root, level, as_of, with_root)).df()


def funds_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                  level: int | None = None, with_root: bool = True) -> pd.DataFrame:
    """Party work funds of every unit at `level` (default: just below the root) for the as-of year,
    and of the root itself when `with_root` and it has figures of its own (see the module docstring).

    fund_ratio_pct = fund_budget ÷ payroll_prev_year × 100; required_budget = payroll_prev_year ×
    funds_min_ratio_pct ÷ 100; shortfall_wan = max(0, required_budget − fund_budget) in 万元;
    meets_funds = fund_ratio_pct ≥ funds_min_ratio_pct (rule: ≥ 1% of the previous year's payroll);
    execution_pct = fund_spent ÷ fund_budget × 100. Units without data: NA in every figure;
    funds_ratio_status met / failing / not_reported (NA: owes no row), funds_ratio_reason no_row /
    no_payroll (empty or zero previous-year payroll) / no_budget when not reported.
    """
    return _per_unit(con, rules, as_of, root, resolved_level(con, root, level), with_root, [
        "unit_code", "unit_name", "year", "payroll_prev_year", "fund_budget", "fund_spent", "fund_ratio_pct",
        "required_budget", "shortfall_wan", "meets_funds", "execution_pct", "funds_ratio_status",
        "funds_ratio_reason"])


def weight_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                   level: int | None = None, with_root: bool = True) -> pd.DataFrame:
    """Weight of party building in each unit's performance assessment, for the as-of year.

    meets_weight = assessment_weight_pct ≥ assessment_min_weight_pct (rule: ≥ 10%, source document
    "提高考核比重至10%"); weight_shortfall_points = max(0, rule − weight) in percent points;
    assessment_weight_status / _reason (no_row / no_weight) as in `funds_by_unit`.
    """
    return _per_unit(con, rules, as_of, root, resolved_level(con, root, level), with_root, [
        "unit_code", "unit_name", "year", "assessment_weight_pct", "required_weight_pct",
        "weight_shortfall_points", "meets_weight", "assessment_weight_status", "assessment_weight_reason"])


def party_staff_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                        level: int | None = None, with_root: bool = True) -> pd.DataFrame:
    """Full-time party-affairs staff of each unit against its staff count (units.staff_count).

    party_staff_ratio_pct = party_staff ÷ staff_count × 100; meets_party_staff = ratio ≥
    party_staff_min_ratio_pct (rule: ≥ 1% of staff); staff_shortfall = max(0, ⌈staff_count × rule
    ÷ 100⌉ − party_staff) people; staff_shortfall_points = max(0, rule − ratio);
    party_staff_status / _reason (no_row / no_staff_count / no_party_staff) as in `funds_by_unit`.
    """
    return _per_unit(con, rules, as_of, root, resolved_level(con, root, level), with_root, [
        "unit_code", "unit_name", "year", "party_staff", "staff_count", "party_staff_ratio_pct",
        "required_staff_pct", "required_staff", "staff_shortfall", "staff_shortfall_points", "meets_party_staff",
        "party_staff_status", "party_staff_reason"])


MET, FAILING, NOT_REPORTED = "met", "failing", "not_reported"
_STATUS = {rule: f"{rule}_status" for rule in ANNUAL_RULES}
# Per annual rule: units meeting it, failing it and not reporting it (by year for the trend).
_COUNTS = ", ".join("coalesce(count_if(" + col + " = 'met'), 0) AS " + rule + "_complying, coalesce(count_if("
                    + col + " = 'failing'), 0) AS " + rule + "_failing, coalesce(count_if(" + col
                    + " = 'not_reported'), 0) AS " + rule + "_not_reported" for rule, col in _STATUS.items())
_SUMMARY_SQL = "SELECT " + _COUNTS + " FROM (" + _PER_UNIT_SQL + ")"
_TREND_SQL = ("SELECT year, count_if(funds_ratio_status IS NOT NULL) AS units, " + _COUNTS
              + " FROM (" + _PER_UNIT_SQL + ") GROUP BY year ORDER BY year")


def _share(complying: int, failing: int, not_reported: int, rules: Rules) -> tuple[int, float | None]:
    """The denominator of a compliance share and the share: complying ÷ (complying + failing, plus the
    not reported when rules.annual counts them as failing) × 100; None when no unit has data."""
    denominator = complying + failing + (not_reported if rules.annual.counts_as_failing else 0)
    return denominator, (share_pct(complying, denominator) if complying + failing else None)


def compliance_summary(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       level: int | None = None) -> pd.DataFrame:
    """Per annual rule, for the units at `level` in the subtree (and the root's own figures) in the
    as-of year: complying, failing, not_reported (未报送), units (= the three), with_data (= complying
    + failing), denominator and share_pct = complying ÷ denominator × 100, where denominator is
    `units` when rules.annual counts the not reported as failing, else `with_data` (NA when no unit
    has data).

    A parent's compliance is this share of units, never the average of the units' percentages.
    """
    row = con.execute(_SUMMARY_SQL, _params(rules, root, resolved_level(con, root, level), as_of)).df().iloc[0]
    records = []
    for rule in ANNUAL_RULES:
        complying, failing, missing = (int(row[f"{rule}_{c}"]) for c in ("complying", "failing", "not_reported"))
        denominator, share = _share(complying, failing, missing, rules)
        records.append({"rule": rule, "units": complying + failing + missing, "with_data": complying + failing,
                        "complying": complying, "failing": failing, "not_reported": missing,
                        "denominator": denominator, "share_pct": share})
    out = pd.DataFrame(records)
    out["share_pct"] = out["share_pct"].astype("float64")
    return out


def _headline(con, rules: Rules, as_of: dt.date, root: str | None, level: int | None, rule: str) -> Headline:
    row = compliance_summary(con, rules, as_of, root, level).set_index("rule").loc[rule]
    value = None if pd.isna(row["share_pct"]) else float(row["share_pct"])
    return Headline(f"{rule}_compliance", value, ALL_UNITS_PCT, int(row["complying"]), int(row["denominator"]),
                    failing=int(row["failing"]), not_reported=int(row["not_reported"]))


def funds_compliance(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                     level: int | None = None) -> Headline:
    """Share of units (at `level`, and the root's own figures) whose funds budget is ≥
    funds_min_ratio_pct of the previous year's payroll: complying ÷ (units with data, plus the not
    reported unless rules.annual excludes them) × 100, target 100% of units; None when no unit has
    data. `failing` and `not_reported` carry the other counts."""
    return _headline(con, rules, as_of, root, level, RULE_FUNDS)


def weight_compliance(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                      level: int | None = None) -> Headline:
    """Share of units whose assessment weight is ≥ assessment_min_weight_pct (as `funds_compliance`)."""
    return _headline(con, rules, as_of, root, level, RULE_WEIGHT)


def party_staff_compliance(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                           level: int | None = None) -> Headline:
    """Share of units whose party-affairs staff is ≥ party_staff_min_ratio_pct of their staff (as
    `funds_compliance`)."""
    return _headline(con, rules, as_of, root, level, RULE_STAFF)


def annual_trend(con: duckdb.DuckDBPyConnection, rules: Rules, root: str | None = None,
                 level: int | None = None) -> pd.DataFrame:
    """Per year present in `annual`, for the units at `level` in the subtree (current tree) and the
    root's own figures: units (those owing or sending a row that year), and for funds, weight and
    party staff: <rule>_complying, <rule>_failing, <rule>_not_reported, <rule>_with_data and
    <rule>_share_pct as in `compliance_summary` (NA when no unit has data that year)."""
    df = con.execute(_TREND_SQL, _params(rules, root, resolved_level(con, root, level), None)).df()
    for rule in ANNUAL_RULES:
        complying, failing, missing = (df[f"{rule}_{c}"].astype(int) for c in ("complying", "failing", "not_reported"))
        shares = [_share(c, f, m, rules) for c, f, m in zip(complying, failing, missing)]
        df[f"{rule}_with_data"] = complying + failing
        df[f"{rule}_share_pct"] = pd.Series([s for _, s in shares], index=df.index, dtype="float64")
    return df


class NotReported(NamedTuple):
    """The detail of a '<rule>_missing' red flag, as data: the year and why the figure is missing
    (no_row, no_payroll, no_budget, no_weight, no_staff_count, no_party_staff). kpi.display.overview
    words it in the UI language."""

    year: int
    reason: str


# Red flags of the three rules, then the figures not reported (one flag per unit and rule).
_FLAGS_SQL = "WITH t AS (" + _PER_UNIT_SQL + """)
        SELECT unit_code, unit_name, level, 'funds_ratio' AS rule, round(fund_ratio_pct, 2) AS actual,
               $funds_pct AS required, round(shortfall_wan, 2) AS gap, year, NULL AS reason
        FROM t WHERE NOT meets_funds
        UNION ALL
        SELECT unit_code, unit_name, level, 'assessment_weight', round(assessment_weight_pct, 2),
               $weight_pct, round(weight_shortfall_points, 2), year, NULL
        FROM t WHERE NOT meets_weight
        UNION ALL
        SELECT unit_code, unit_name, level, 'party_staff', round(party_staff_ratio_pct, 2),
               $staff_pct, CAST(staff_shortfall AS DOUBLE), year, NULL
        FROM t WHERE NOT meets_party_staff
        UNION ALL
        SELECT unit_code, unit_name, level, 'funds_ratio_missing', NULL, $funds_pct, NULL, year, funds_ratio_reason
        FROM t WHERE funds_ratio_status = 'not_reported'
        UNION ALL
        SELECT unit_code, unit_name, level, 'assessment_weight_missing', NULL, $weight_pct, NULL, year,
               assessment_weight_reason
        FROM t WHERE assessment_weight_status = 'not_reported'
        UNION ALL
        SELECT unit_code, unit_name, level, 'party_staff_missing', NULL, $staff_pct, NULL, year, party_staff_reason
        FROM t WHERE party_staff_status = 'not_reported'
        ORDER BY rule, unit_code"""


def annual_flags(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                 root: str | None = None) -> pd.DataFrame:
    """Red flags for the as-of year, for every unit of the subtree breaking a rule or owing a figure.

    rule 'funds_ratio': actual = fund ratio %, required = funds_min_ratio_pct, gap = shortfall in 万元;
    'assessment_weight': actual/required in %, gap in percent points;
    'party_staff': actual/required in % of staff, gap in people; detail = the year.
    '<rule>_missing' (未报送) for each rule a unit has not reported: required = the rule's threshold,
    actual and gap empty, detail = NotReported(year, reason).
    Values rounded to 2 decimals for display.
    """
    out = con.execute(_FLAGS_SQL, _params(rules, root, None, as_of)).df()
    missing = out["reason"].notna()
    out["detail"] = [NotReported(int(y), r) if m else str(int(y))
                     for y, r, m in zip(out["year"], out["reason"], missing)]
    return out[FLAG_COLUMNS].astype({"detail": object})


_NONCOMPLIANT_COLUMNS = ["unit_code", "unit_name", "year", "fund_ratio_pct", "shortfall_wan", "funds_ratio_status",
                         "funds_ratio_reason", "assessment_weight_pct", "weight_shortfall_points",
                         "assessment_weight_status", "assessment_weight_reason", "party_staff_ratio_pct",
                         "staff_shortfall", "staff_shortfall_points", "party_staff_status", "party_staff_reason"]


def noncompliant_units(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       level: int | None = None) -> pd.DataFrame:
    """Units at `level` (and the root's own figures) breaking or not reporting at least one annual
    rule in the as-of year, with how far short they are: shortfall_wan (万元 of funds budget),
    weight_shortfall_points (points of assessment weight), staff_shortfall (people) and
    staff_shortfall_points, and per rule its status and the reason a figure is not reported; a rule
    without data leaves its figures NA."""
    sql = with_identifiers("SELECT {columns} FROM (" + _PER_UNIT_SQL + """)
            WHERE 'failing' IN (funds_ratio_status, assessment_weight_status, party_staff_status)
               OR 'not_reported' IN (funds_ratio_status, assessment_weight_status, party_staff_status)
            ORDER BY unit_code""", columns=_NONCOMPLIANT_COLUMNS)
    return con.execute(sql, _params(rules, root, resolved_level(con, root, level), as_of)).df()
