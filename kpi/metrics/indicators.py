"""Other indicators (其他指标): any code of the catalogue (rules.indicators) over time, by unit.

Source: the `indicators` dataset in long format (unit_code, period YYYY-MM, indicator_code, value).

Rolling up: a unit's value for a period combines the values reported by the units of its subtree
(itself included) following the catalogue's `rollup`:
- sum: the sum of the values reported for that period (e.g. 宣传稿件数);
- mean: their plain mean (e.g. 理论学习覆盖率, a rate reported by each unit);
- last: a stock figure (e.g. people in the member pipeline): each reporting unit contributes its
  value of its latest period ≤ the period (carried forward when it did not report), and these are
  added up.
Each indicator should be reported at one level of the tree: a subtree holding a value both for a
unit and for its parent would count it twice. A unit whose subtree reported nothing is missing (NA).
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kpi.metrics.common import Headline
from kpi.metrics.levels import resolved_level
from kpi.rules import Indicator, Rules
from kpi.store.sql import IN_SUBTREE, in_subtree

THEORY_STUDY_CODE = "theory_study_coverage"
_AGGREGATES = {"sum": "sum", "mean": "avg"}


def period_of(value: dt.date | str | None) -> str | None:
    """'YYYY-MM' of a date (periods are stored as such text); text is taken as it is."""
    if value is None or isinstance(value, str):
        return value
    return f"{value.year:04d}-{value.month:02d}"


def _catalogue_entry(rules: Rules, code: str) -> Indicator:
    indicator = rules.indicator(code)
    if indicator is None:
        raise KeyError(f"indicator {code!r} is not in the catalogue (rules.indicators)")
    return indicator


# (unit_code, period, value, reporting_units) for the units at $level in the subtree, per rollup.
_ROLLED_UP_HEAD = """
        WITH anc AS (SELECT unit_code FROM units WHERE level = $level AND """ + IN_SUBTREE + """),
        d AS (
            SELECT p.ancestor_code AS unit_code, i.unit_code AS source_code, i.period, i.value
            FROM indicators i JOIN unit_paths p ON p.unit_code = i.unit_code
            WHERE i.indicator_code = $code AND i.value IS NOT NULL
              AND p.ancestor_code IN (SELECT unit_code FROM anc)
              AND (CAST($end AS VARCHAR) IS NULL OR i.period <= CAST($end AS VARCHAR))
        ),
        periods AS (
            SELECT DISTINCT period FROM d WHERE CAST($start AS VARCHAR) IS NULL OR period >= CAST($start AS VARCHAR)
        )"""
_ROLLED_UP = {
    "last": _ROLLED_UP_HEAD + """,
        carried AS (
            SELECT d.unit_code, g.period, d.source_code, arg_max(d.value, d.period) AS value
            FROM d JOIN periods g ON d.period <= g.period
            GROUP BY d.unit_code, g.period, d.source_code
        )
        SELECT unit_code, period, sum(value) AS value, count(*) AS reporting_units
        FROM carried GROUP BY unit_code, period""",
    **{rollup: _ROLLED_UP_HEAD + """
        SELECT d.unit_code, d.period, """ + aggregate + """(d.value) AS value,
               count(DISTINCT d.source_code) AS reporting_units
        FROM d JOIN periods g ON g.period = d.period GROUP BY d.unit_code, d.period"""
       for rollup, aggregate in _AGGREGATES.items()},
}


def _meets_sql(value: str, target: str = "CAST($target AS DOUBLE)", higher: str = "$higher") -> str:
    """SQL of `meets`: NULL without a target or a value; else value ≥ target when higher is better,
    value ≤ target otherwise (compared at 6 decimals). Arguments are SQL expressions of this module."""
    return f"""CASE WHEN {target} IS NULL OR {value} IS NULL THEN NULL
                    WHEN {higher} THEN round({value} - {target}, 6) >= 0
                    ELSE round({target} - {value}, 6) >= 0 END"""


_SERIES_SQL = {rollup: """SELECT r.unit_code, u.unit_name, r.period, r.value, r.reporting_units,
                   CAST($target AS DOUBLE) AS target, """ + _meets_sql("r.value") + """ AS meets
            FROM (""" + rolled_up + """) r JOIN units u ON u.unit_code = r.unit_code
            ORDER BY r.unit_code, r.period""" for rollup, rolled_up in _ROLLED_UP.items()}
_LATEST_SQL = {rollup: """WITH r AS (
                SELECT * FROM (""" + rolled_up + """)
                QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY period DESC) = 1)
            SELECT u.unit_code, u.unit_name, r.period, r.value, r.reporting_units,
                   CAST($target AS DOUBLE) AS target, """ + _meets_sql("r.value") + """ AS meets
            FROM units u LEFT JOIN r ON r.unit_code = u.unit_code
            WHERE u.level = $level AND """ + in_subtree("u.unit_code") + """
            ORDER BY u.unit_code""" for rollup, rolled_up in _ROLLED_UP.items()}
_PIPELINE_SQL = """SELECT indicator_code AS code, sum(value) AS count, count(*) AS reporting_units FROM (
        SELECT unit_code, indicator_code, arg_max(value, period) AS value
        FROM indicators
        WHERE list_contains($codes, indicator_code) AND value IS NOT NULL AND period <= $end
          AND """ + IN_SUBTREE + """
        GROUP BY unit_code, indicator_code)
    GROUP BY indicator_code"""
# The subtree's reports of $code up to $end, and their roll-up to one value per rollup.
_SUBTREE_REPORTS = ("SELECT unit_code, period, value FROM indicators "
                    "WHERE indicator_code = $code AND value IS NOT NULL AND period <= $end AND " + IN_SUBTREE)
_SUBTREE_LATEST_SQL = {
    "last": """SELECT sum(value), max(period), count(*) FROM (
                   SELECT unit_code, arg_max(value, period) AS value, max(period) AS period
                   FROM (""" + _SUBTREE_REPORTS + ") GROUP BY unit_code)",
    **{rollup: "WITH d AS (" + _SUBTREE_REPORTS + ") SELECT " + aggregate
       + "(value), max(period), count(DISTINCT unit_code) FROM d WHERE period = (SELECT max(period) FROM d)"
       for rollup, aggregate in _AGGREGATES.items()},
}


# Fixed statement text; the catalogue arrives as four bound lists of the same length (zipped by
# unnest), not as a registered frame.
_UNIT_LATEST_SQL = """
    WITH c AS (SELECT unnest(CAST($codes AS VARCHAR[])) AS code, unnest(CAST($rollups AS VARCHAR[])) AS rollup,
                      unnest(CAST($targets AS DOUBLE[])) AS target, unnest(CAST($higher AS BOOLEAN[])) AS higher),
    d AS (
        SELECT i.indicator_code AS code, i.unit_code AS source_code, i.period, i.value
        FROM indicators i JOIN unit_paths p ON p.unit_code = i.unit_code
        WHERE p.ancestor_code = $unit AND i.value IS NOT NULL AND i.period <= $end),
    latest AS (SELECT code, max(period) AS period FROM d GROUP BY code),
    rolled AS (
        SELECT c.code, l.period,
               CASE c.rollup WHEN 'sum' THEN sum(d.value) FILTER (WHERE d.period = l.period)
                             WHEN 'mean' THEN avg(d.value) FILTER (WHERE d.period = l.period) END AS value,
               count(DISTINCT d.source_code) FILTER (WHERE d.period = l.period) AS reporting_units
        FROM c JOIN latest l USING (code) JOIN d USING (code)
        WHERE c.rollup <> 'last' GROUP BY c.code, c.rollup, l.period
        UNION ALL
        SELECT c.code, l.period, sum(s.value), count(*)
        FROM c JOIN latest l USING (code)
        JOIN (SELECT code, source_code, arg_max(value, period) AS value FROM d GROUP BY ALL) s USING (code)
        WHERE c.rollup = 'last' GROUP BY c.code, l.period)
    SELECT r.code, r.period, r.value, r.reporting_units,
           """ + _meets_sql("r.value", "c.target", "c.higher") + """ AS meets
    FROM rolled r JOIN c USING (code)"""


def _params(indicator: Indicator, root, level, start, end) -> dict:
    return {"code": indicator.code, "root": root, "level": level, "start": period_of(start),
            "end": period_of(end), "target": indicator.target, "higher": indicator.higher_is_better}


def indicator_series(con: duckdb.DuckDBPyConnection, rules: Rules, code: str, root: str | None = None,
                     level: int | None = None, start: dt.date | str | None = None,
                     end: dt.date | str | None = None) -> pd.DataFrame:
    """Indicator `code` per unit at `level` (default: just below the root) × period in [start, end]:
    unit_code, unit_name, period, value (rolled up per the catalogue's rollup, see the module),
    reporting_units, target (catalogue), meets (value ≥ target when higher is better, ≤ otherwise;
    NA without a target). Only units and periods with data are listed."""
    indicator = _catalogue_entry(rules, code)
    params = _params(indicator, root, resolved_level(con, root, level), start, end)
    return con.execute(_SERIES_SQL[indicator.rollup], params).df()


def indicator_latest(con: duckdb.DuckDBPyConnection, rules: Rules, code: str, as_of: dt.date,
                     root: str | None = None, level: int | None = None) -> pd.DataFrame:
    """For EVERY unit at `level`, indicator `code` at the unit's latest period ≤ as_of (rolled up as in
    `indicator_series`): unit_code, unit_name, period, value, reporting_units, target, meets.
    A unit whose subtree reported nothing has period, value and meets NA."""
    indicator = _catalogue_entry(rules, code)
    params = _params(indicator, root, resolved_level(con, root, level), None, as_of)
    return con.execute(_LATEST_SQL[indicator.rollup], params).df()


def unit_latest(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, unit_code: str) -> pd.DataFrame:
    """Every catalogue indicator for the one unit `unit_code` at its latest period ≤ as_of, in one
    query — the unit's row of `indicator_latest(code, as_of, root=unit_code, level=its level)` for
    each code: code, period, value, reporting_units, meets. Over the values its subtree reported:
    sum / mean of those of the latest period with data; last: Σ over reporting units of each one's
    latest value ≤ as_of, at the latest period any of them reported. Codes without data are absent."""
    return con.execute(_UNIT_LATEST_SQL, {
        "unit": unit_code, "end": period_of(as_of),
        "codes": [i.code for i in rules.indicators], "rollups": [i.rollup for i in rules.indicators],
        "targets": [i.target for i in rules.indicators],
        "higher": [i.higher_is_better for i in rules.indicators]}).df()


def member_pipeline(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                    lang: str = "zh") -> pd.DataFrame:
    """The member-development pipeline (入党申请人 → 积极分子 → 发展对象 → 预备党员 → 正式党员): one row
    per catalogue indicator with a pipeline_stage, in stage order: stage, code, name (in `lang`),
    count = Σ over the reporting units of the subtree of each unit's value at its latest period ≤
    as_of, reporting_units. A stage nobody reported has count NA."""
    stages = sorted((i for i in rules.indicators if i.pipeline_stage is not None), key=lambda i: i.pipeline_stage)
    counts = con.execute(
        _PIPELINE_SQL,
        {"codes": [i.code for i in stages] or [""], "end": period_of(as_of), "root": root}).df()
    frame = pd.DataFrame({"stage": [i.pipeline_stage for i in stages], "code": [i.code for i in stages],
                          "name": [i.name(lang) for i in stages]})
    out = frame.merge(counts, on="code", how="left")
    out["reporting_units"] = out["reporting_units"].astype("Int64").fillna(0)
    return out


def subtree_latest_value(con: duckdb.DuckDBPyConnection, rules: Rules, code: str, as_of: dt.date,
                         root: str | None = None) -> tuple[float | None, str | None, int]:
    """(value, period, reporting units) of indicator `code` for the whole subtree at the latest period
    ≤ as_of with data, rolled up per the catalogue (sum / mean over that period's reports; last: each
    unit's latest value ≤ as_of, added up). (None, None, 0) when nothing was reported."""
    indicator = _catalogue_entry(rules, code)
    value, period, reporting = con.execute(
        _SUBTREE_LATEST_SQL[indicator.rollup], {"code": code, "end": period_of(as_of), "root": root}).fetchone()
    return (None if value is None else float(value)), period, int(reporting)


def theory_study_headline(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                          root: str | None = None) -> Headline:
    """Theory study coverage (理论学习覆盖率, catalogue code theory_study_coverage) of the subtree at the
    latest period ≤ as_of, rolled up per the catalogue (mean of the units' reported rates), against
    rules.theory_min_coverage_pct (≥ 98% by default, source document). None when nothing reported."""
    value, _, _ = subtree_latest_value(con, rules, THEORY_STUDY_CODE, as_of, root)
    return Headline("theory_study_coverage", value, rules.theory_min_coverage_pct)


def group_range(series: pd.DataFrame) -> pd.DataFrame:
    """Per period of an `indicator_series` frame (in order): the lowest, median and highest value
    over the units that have one, and how many units that is (period, low, median, high, units) —
    the group's range that a single unit is read against."""
    have = series[series["value"].notna()]
    return (have.groupby("period", sort=True)["value"]
            .agg(low="min", median="median", high="max", units="count").reset_index())
