"""Branch standardisation (标准化规范化建设) compliance, stars (达标创星) and the six basics.

Source: the `ratings` dataset, one row per party branch (level 4) and year. Rule: the share of
branches rated compliant should reach `standardisation_target_pct` (95% by default; source
documents report a rise from 85% to 95% in a year).

Year: ratings are given once a year, usually at its end, so the figures use the latest rating year
≤ the as-of date's year that has ratings in the subtree (`ratings_year`); every frame carries that
`year`. A branch without a rating (or with `compliant` empty) is not rated: it is counted neither
as compliant nor as failing.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kpi.datasets import BASIC_COLUMNS
from kpi.metrics.common import FLAG_COLUMNS, Headline, empty_flags, share_pct
from kpi.metrics.levels import resolved_level
from kpi.org import LEVEL_BRANCH, LEVEL_SECONDARY
from kpi.rules import Rules
from kpi.store import quote_identifier
from kpi.store.sql import IN_SUBTREE, in_subtree

RULE_STANDARDISATION = "standardisation"

# Branches of each unit at $level in the subtree, with their rating of $year (if any).
_BY_UNIT_SQL = """
WITH scope AS (
    SELECT unit_code, unit_name FROM units WHERE level = $level AND """ + IN_SUBTREE + """
      AND (founded_date IS NULL OR founded_date <= CAST($as_of AS DATE))
), branches AS (
    SELECT p.ancestor_code, p.unit_code FROM unit_paths p JOIN units b ON b.unit_code = p.unit_code
    WHERE b.level = $branch_level AND (b.founded_date IS NULL OR b.founded_date <= CAST($as_of AS DATE))
), rated AS (
    SELECT br.ancestor_code, br.unit_code, r.stars, r.compliant
    FROM branches br LEFT JOIN ratings r ON r.unit_code = br.unit_code AND r.year = $year
)
SELECT s.unit_code, s.unit_name, CAST($year AS INTEGER) AS year,
       count(x.unit_code) AS branches, count(x.compliant) AS rated,
       CAST(coalesce(count_if(x.compliant), 0) AS BIGINT) AS compliant,
       CASE WHEN count(x.compliant) > 0 THEN count_if(x.compliant) * 100.0 / count(x.compliant) END
           AS compliance_pct,
       CAST($target AS DOUBLE) AS target_pct
FROM scope s LEFT JOIN rated x ON x.ancestor_code = s.unit_code
GROUP BY s.unit_code, s.unit_name ORDER BY s.unit_code
"""


def ratings_year(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None) -> int | None:
    """The latest year ≤ as_of.year with a rating of a branch in the subtree; None when there is none."""
    row = con.execute(
        "SELECT max(year) FROM ratings WHERE year <= $year AND " + IN_SUBTREE,
        {"year": as_of.year, "root": root}).fetchone()
    return None if row[0] is None else int(row[0])


def standardisation_compliance(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                               root: str | None = None) -> Headline:
    """Compliant branches ÷ rated branches × 100 in the subtree (year: `ratings_year`), against
    standardisation_target_pct. Pooled over branches, never an average of units' percentages.
    Only branches existing at as_of (founded_date empty or ≤ as_of) count: a branch founded later is
    not in the tree as it was then, even when it is rated for the same year."""
    year = ratings_year(con, as_of, root)
    rated, compliant = con.execute(
        """SELECT count(r.compliant), CAST(coalesce(count_if(r.compliant), 0) AS BIGINT)
            FROM ratings r JOIN units b ON b.unit_code = r.unit_code
            WHERE r.year = $year AND b.level = $branch_level AND """ + in_subtree("r.unit_code") + """
              AND (b.founded_date IS NULL OR b.founded_date <= CAST($as_of AS DATE))""",
        {"year": year, "branch_level": LEVEL_BRANCH, "root": root, "as_of": as_of}).fetchone()
    return Headline("standardisation_compliance", share_pct(int(compliant), int(rated)),
                    rules.standardisation_target_pct, int(compliant), int(rated))


def compliance_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       level: int | None = None, year: int | None = None) -> pd.DataFrame:
    """Per unit at `level` (default: just below the root): branches under it, rated, compliant,
    compliance_pct = compliant ÷ rated × 100 (NA when none rated), target_pct =
    standardisation_target_pct, meets_target = compliance_pct ≥ target_pct, gap_points = max(0,
    target − compliance_pct). Ratings of `year` (default: `ratings_year` of the subtree). Units and
    branches founded after as_of are left out, as in `standardisation_compliance`."""
    year = ratings_year(con, as_of, root) if year is None else year
    params = {"root": root, "level": resolved_level(con, root, level), "branch_level": LEVEL_BRANCH,
              "year": year, "target": rules.standardisation_target_pct, "as_of": as_of}
    return con.execute(
        """SELECT *, CASE WHEN compliance_pct IS NOT NULL THEN round(compliance_pct - target_pct, 6) >= 0 END
                          AS meets_target,
                   CASE WHEN compliance_pct IS NOT NULL THEN greatest(0.0, target_pct - compliance_pct) END
                          AS gap_points
            FROM (""" + _BY_UNIT_SQL + ") ORDER BY unit_code", params).df()


def star_distribution(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                      level: int | None = None) -> pd.DataFrame:
    """Count of rated branches per star level (1–5) under each unit at `level`: unit_code, unit_name,
    year, stars, branches. Only star levels that occur are listed; units without ratings are absent.
    Only branches existing at as_of count (founded_date empty or ≤ as_of), as in the compliance card."""
    params = {"root": root, "level": resolved_level(con, root, level), "branch_level": LEVEL_BRANCH,
              "year": ratings_year(con, as_of, root), "as_of": as_of}
    return con.execute(
        """SELECT s.unit_code, s.unit_name, CAST($year AS INTEGER) AS year, r.stars, count(*) AS branches
            FROM units s JOIN unit_paths p ON p.ancestor_code = s.unit_code
            JOIN units b ON b.unit_code = p.unit_code AND b.level = $branch_level
                 AND (b.founded_date IS NULL OR b.founded_date <= CAST($as_of AS DATE))
            JOIN ratings r ON r.unit_code = b.unit_code AND r.year = $year
            WHERE s.level = $level AND """ + in_subtree("s.unit_code") + """ AND r.stars IS NOT NULL
            GROUP BY s.unit_code, s.unit_name, r.stars ORDER BY s.unit_code, r.stars""", params).df()


# One row per basic (its order, the branch's score, its peers' average), from the fixed BASIC_COLUMNS.
_BASIC_ROWS = " UNION ALL ".join(
    "SELECT '" + name + "' AS basic, " + str(i) + " AS ord, br." + quote_identifier(name) + " AS branch_score, "
    "(SELECT avg(p." + quote_identifier(name) + ") FROM peers p) AS unit_average FROM branch br"
    for i, name in enumerate(BASIC_COLUMNS))
_SIX_BASICS_SQL = """WITH sec AS (
        SELECT p.ancestor_code AS secondary_code, u.unit_name AS secondary_name
        FROM unit_paths p JOIN units u ON u.unit_code = p.ancestor_code
        WHERE p.unit_code = $unit AND p.ancestor_level = $secondary
    ), peers AS (
        SELECT r.* FROM ratings r JOIN unit_paths p ON p.unit_code = r.unit_code
        JOIN units b ON b.unit_code = r.unit_code AND b.level = $branch_level
        WHERE r.year = $year AND p.ancestor_code = (SELECT secondary_code FROM sec)
    ), branch AS (SELECT * FROM ratings WHERE unit_code = $unit AND year = $year)
    SELECT basic, branch_score, unit_average, CAST($year AS INTEGER) AS year,
           (SELECT secondary_code FROM sec) AS secondary_code,
           (SELECT secondary_name FROM sec) AS secondary_name
    FROM (""" + _BASIC_ROWS + ") ORDER BY ord"


def six_basics(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit_code: str) -> pd.DataFrame:
    """A branch's six-basics scores (基本组织/队伍/活动/作用/制度/保障, 0–100) against the average of
    the rated branches of its secondary unit in the same year (the branch's latest rating year ≤
    as_of.year): basic, branch_score, unit_average, year, secondary_code, secondary_name.
    Empty when the branch has no rating."""
    year = ratings_year(con, as_of, unit_code)
    return con.execute(
        _SIX_BASICS_SQL,
        {"unit": unit_code, "year": year, "secondary": LEVEL_SECONDARY, "branch_level": LEVEL_BRANCH}).df()


def rated_branches(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None) -> pd.DataFrame:
    """Branches of the subtree rated in `ratings_year` (unit_code, unit_name, stars, compliant): the
    choices of the six-basics radar."""
    return con.execute(
        """SELECT r.unit_code, b.unit_name, r.stars, r.compliant
            FROM ratings r JOIN units b ON b.unit_code = r.unit_code AND b.level = $branch_level
            WHERE r.year = $year AND """ + in_subtree("r.unit_code") + " ORDER BY r.unit_code",
        {"year": ratings_year(con, as_of, root), "root": root, "branch_level": LEVEL_BRANCH}).df()


def ratings_flags(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                  root: str | None = None) -> pd.DataFrame:
    """Red flags: units of rules.standardisation_levels in the subtree whose branch compliance is under
    standardisation_target_pct — the same units whichever unit is viewed, so the ratings are those of
    the store's latest rating year (`ratings_year` of the whole store), not the subtree's.
    actual = compliance %, required = target %, gap = points short, detail = the rating year."""
    parts = []
    year = ratings_year(con, as_of, None)
    for level in rules.standardisation_levels:
        by_unit = compliance_by_unit(con, rules, as_of, root, level, year)
        below = by_unit[by_unit["meets_target"].eq(False).fillna(False)]
        if not below.empty:
            parts.append(pd.DataFrame({
                "unit_code": below["unit_code"], "unit_name": below["unit_name"], "level": level,
                "rule": RULE_STANDARDISATION, "actual": below["compliance_pct"].round(2),
                "required": below["target_pct"], "gap": below["gap_points"].round(2),
                "detail": below["year"].astype(str)}))
    if not parts:
        return empty_flags()
    return pd.concat(parts, ignore_index=True)[FLAG_COLUMNS]
