"""Supervision coverage (督查/巡察全覆盖): which units a supervision activity has reached.

Rules (source documents): 三年内部巡察全覆盖 — every unit of rules.inspection_levels inspected
(rules.inspection_kinds) at least once per inspection cycle (rules.inspection_cycle_years from
rules.inspection_cycle_start_year); 调研/督查全覆盖 — every unit of rules.supervision_levels
reached by rules.supervision_kinds each calendar year.

An activity covers the unit it names (被检查单位), not that unit's parent or children. It counts
in a window when it overlaps it: start_date ≤ window end and (end_date, else start_date) ≥
window start; windows end at the as-of date, so activities that have not begun do not count.
An inspection counts for the cycle in which it started, not for every cycle it overlaps, when
rules.inspection_count_in_start_cycle ([inspection] count_in_start_cycle, default true): in the
cycle window it must also start on or after the cycle's first day.
A unit founded after the as-of date (units.founded_date) is not yet in the tree: it is neither
counted nor listed as uncovered.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kpi.datasets import SUPERVISION_KINDS
from kpi.metrics.common import FLAG_COLUMNS, Headline, empty_flags, share_pct
from kpi.org import LEVEL_SECONDARY
from kpi.rules import Rules
from kpi.store.sql import IN_SUBTREE, in_subtree

# 全覆盖: the rule is met only when every unit is reached.
FULL_COVERAGE_PCT = 100.0

Window = str | tuple[dt.date, dt.date]


def window_dates(rules: Rules, as_of: dt.date, window: Window = "year") -> tuple[dt.date, dt.date]:
    """The window's first and last day: 'year' = 1 January of as_of's year → as_of; 'cycle' = the
    first day of the inspection cycle holding as_of (Rules.inspection_cycle) → as_of; a (start,
    end) pair as given, its end capped at as_of."""
    if window == "year":
        return dt.date(as_of.year, 1, 1), as_of
    if window == "cycle":
        return rules.inspection_cycle(as_of)[0], as_of
    start, end = window
    return start, min(end, as_of)


# Fixed SQL text, composed once from the shared subtree filter; every value is bound.
_ACTIVITY_COUNT_SQL = "SELECT count(*) FROM supervision WHERE start_date <= $as_of AND " + IN_SUBTREE
_COVERED_UNITS_SQL = """
    SELECT u.unit_code, u.unit_name, u.level, u.parent_code, count(a.activity_id) AS activities
    FROM units u LEFT JOIN supervision a
      ON a.unit_code = u.unit_code AND list_contains(CAST($kinds AS VARCHAR[]), a.kind)
     AND a.start_date <= $end AND coalesce(a.end_date, a.start_date) >= $start
     AND (NOT $started_within OR a.start_date >= $start)
    WHERE list_contains(CAST($levels AS INTEGER[]), u.level) AND """ + in_subtree("u.unit_code") + """
      AND (u.founded_date IS NULL OR u.founded_date <= $end)
    GROUP BY ALL ORDER BY u.unit_code"""
# The covered and all units of `_COVERED_UNITS_SQL` counted per ancestor at $ancestor_level (unit_paths
# lists a unit as its own ancestor).
_COVERED_BY_ANCESTOR_SQL = """
    SELECT p.ancestor_code AS unit_code, count(*) FILTER (WHERE c.activities > 0) AS covered, count(*) AS units
    FROM (""" + _COVERED_UNITS_SQL + """) c
    JOIN unit_paths p ON p.unit_code = c.unit_code AND p.ancestor_level = $ancestor_level
    GROUP BY 1 ORDER BY 1"""


def activity_count(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None) -> int:
    """Activities on units of the subtree begun by as_of (0 = nothing to show yet)."""
    return con.execute(_ACTIVITY_COUNT_SQL, {"as_of": as_of, "root": root}).fetchone()[0]


def started_within(rules: Rules, window: Window) -> bool:
    """Whether an activity must start inside `window` to count in it: in the inspection cycle when
    rules.inspection_count_in_start_cycle (an inspection counts for the cycle it started in only)."""
    return window == "cycle" and rules.inspection_count_in_start_cycle


def _covered_units(con, rules, as_of, root, levels, kinds, window) -> pd.DataFrame:
    """Units of `levels` in the subtree existing at as_of with their count of activities of `kinds`
    counting in the window."""
    return con.execute(_COVERED_UNITS_SQL, _covered_params(rules, as_of, root, levels, kinds, window)).df()


def _covered_params(rules, as_of, root, levels, kinds, window) -> dict:
    """The values `_COVERED_UNITS_SQL` binds: the window, the kinds (None = every kind), the levels."""
    start, end = window_dates(rules, as_of, window)
    return {"kinds": list(kinds) if kinds else list(SUPERVISION_KINDS), "end": end, "start": start,
            "started_within": started_within(rules, window), "levels": list(levels), "root": root}


def coverage(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
             level: int = LEVEL_SECONDARY, kinds: tuple[str, ...] | None = None,
             window: Window = "year") -> Headline:
    """Coverage = units of `level` in the subtree with ≥ 1 activity of `kinds` (None = any kind)
    counting in the window (overlapping it; in the inspection cycle, started in it — see the module
    docstring) ÷ units of `level` in the subtree existing at as_of, in %; a unit counts once however
    many activities it had. Target 100% (全覆盖: 三年内部巡察全覆盖 for the cycle window,
    调研/督查全覆盖 for the year). None when the subtree has no unit of that level.
    """
    units = _covered_units(con, rules, as_of, root, (level,), kinds, window)
    covered = int((units.activities > 0).sum())
    return Headline(f"coverage.headline.level_{level}", share_pct(covered, len(units)), FULL_COVERAGE_PCT,
                    covered, len(units))


def coverage_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None,
                     unit_level: int, levels: tuple[int, ...], kinds: tuple[str, ...] | None = None,
                     window: Window = "year") -> pd.DataFrame:
    """For every unit of `unit_level` in the subtree of `root`, the coverage of its own subtree
    summed over `levels`: covered = units of `levels` in it with ≥ 1 activity of `kinds` counting in
    the window, units = units of `levels` in it existing at as_of — Σ over `levels` of `coverage(root
    = that unit, level)`, in one statement. Columns unit_code, covered, units, coverage_pct (covered ÷
    units in %, target 100%, 全覆盖); a unit whose subtree has no unit of `levels` has no row."""
    params = {**_covered_params(rules, as_of, root, levels, kinds, window), "ancestor_level": unit_level}
    df = con.execute(_COVERED_BY_ANCESTOR_SQL, params).df()
    df["coverage_pct"] = [share_pct(a, b) for a, b in zip(df.covered, df.units)]
    return df


def inspection_coverage(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                        root: str | None = None) -> pd.DataFrame:
    """三年内部巡察全覆盖: coverage_by_level over rules.inspection_levels, kinds
    rules.inspection_kinds, window = the current inspection cycle up to as_of."""
    return coverage_by_level(con, rules, as_of, root, rules.inspection_kinds, "cycle", rules.inspection_levels)


def supervision_coverage(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                         root: str | None = None) -> pd.DataFrame:
    """调研/督查全覆盖: coverage_by_level over rules.supervision_levels, kinds
    rules.supervision_kinds, window = the as-of year up to as_of."""
    return coverage_by_level(con, rules, as_of, root, rules.supervision_kinds, "year", rules.supervision_levels)


def coverage_by_level(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                      kinds: tuple[str, ...] | None = None, window: Window = "year",
                      levels: tuple[int, ...] = (2, 3, 4)) -> pd.DataFrame:
    """Per level: covered units, units, coverage_pct (= covered ÷ units, as in `coverage`;
    None when the level has no unit in the subtree). Target 100% (全覆盖)."""
    rows = []
    for level in levels:
        h = coverage(con, rules, as_of, root, level, kinds, window)
        rows.append({"level": level, "covered": h.numerator, "units": h.denominator, "coverage_pct": h.value})
    return pd.DataFrame(rows, columns=["level", "covered", "units", "coverage_pct"])


def coverage_by_kind(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                     level: int = LEVEL_SECONDARY, window: Window = "year") -> pd.DataFrame:
    """Per supervision kind (all seven): covered units of `level`, units, coverage_pct
    (covered ÷ units, as in `coverage`, one kind at a time). Target 100% (全覆盖)."""
    rows = []
    for kind in SUPERVISION_KINDS:
        h = coverage(con, rules, as_of, root, level, (kind,), window)
        rows.append({"kind": kind, "covered": h.numerator, "units": h.denominator, "coverage_pct": h.value})
    return pd.DataFrame(rows, columns=["kind", "covered", "units", "coverage_pct"])


def uncovered_units(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                    level: int = LEVEL_SECONDARY, kinds: tuple[str, ...] | None = None,
                    window: Window = "year") -> pd.DataFrame:
    """Units of `level` in the subtree with no activity of `kinds` in the window (the complement
    of `coverage`), with the start date and kind of their last activity of any kind begun by
    as_of (None when no activity ever reached them). Columns: unit_code, unit_name, level,
    parent_name, last_activity_date, last_activity_kind."""
    units = _covered_units(con, rules, as_of, root, (level,), kinds, window)
    codes = list(units.loc[units.activities == 0, "unit_code"])
    if not codes:
        return pd.DataFrame(columns=["unit_code", "unit_name", "level", "parent_name",
                                     "last_activity_date", "last_activity_kind"])
    df = con.execute("""
        SELECT u.unit_code, u.unit_name, u.level, p.unit_name AS parent_name,
               last.start_date AS last_activity_date, last.kind AS last_activity_kind
        FROM units u LEFT JOIN units p ON p.unit_code = u.parent_code
        LEFT JOIN (SELECT unit_code, start_date, kind FROM supervision WHERE start_date <= $as_of
                   QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY start_date DESC, activity_id) = 1
                  ) last ON last.unit_code = u.unit_code
        WHERE list_contains(CAST($codes AS VARCHAR[]), u.unit_code)
        ORDER BY last.start_date NULLS FIRST, u.unit_code""", {"as_of": as_of, "codes": codes}).df()
    df["last_activity_date"] = pd.to_datetime(df.last_activity_date).dt.date
    return df


# Fixed statement text (the subtree fragment is constant); every value is bound. The months are
# one bound DATE list, not a registered frame.
_HEATMAP_SQL = """
    WITH u AS (SELECT unit_code, unit_name FROM units WHERE level = $level AND """ + IN_SUBTREE + """),
    a AS (SELECT p.ancestor_code, s.activity_id, s.start_date, coalesce(s.end_date, s.start_date) AS end_date
          FROM supervision s JOIN unit_paths p ON p.unit_code = s.unit_code
          WHERE s.start_date <= $as_of),
    m AS (SELECT unnest(CAST($months AS DATE[])) AS month_start)
    SELECT u.unit_code, u.unit_name, strftime(m.month_start, '%Y-%m') AS month,
           count(a.activity_id) AS activities
    FROM u CROSS JOIN m
    LEFT JOIN a ON a.ancestor_code = u.unit_code
         AND a.start_date < m.month_start + INTERVAL 1 MONTH
         AND a.end_date >= m.month_start
    GROUP BY ALL ORDER BY u.unit_code, month"""

_FINDINGS_SQL = """
    SELECT kind, count(*) AS activities, count(findings) AS reported, sum(findings) AS findings
    FROM supervision WHERE start_date <= $end AND coalesce(end_date, start_date) >= $start
      AND (NOT $started_within OR start_date >= $start) AND """ + IN_SUBTREE + """
    GROUP BY kind"""


def _month_starts(as_of: dt.date, months: int) -> list[dt.date]:
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(months):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def activity_heatmap(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                     level: int = LEVEL_SECONDARY, months: int = 12) -> pd.DataFrame:
    """Unit × month counts of activities (any kind) begun by as_of, for the units of `level` in
    the subtree and the `months` calendar months up to as_of's month. A unit's cell counts
    activities on the unit and on every unit below it; an activity counts in every month its
    start–end span touches (an activity without an end date in its start month).
    Columns: unit_code, unit_name, month ('YYYY-MM'), activities (0 for none)."""
    return con.execute(_HEATMAP_SQL, {"level": level, "root": root, "as_of": as_of,
                                            "months": _month_starts(as_of, months)}).df()


def findings_per_activity(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                          root: str | None = None, window: Window = "year") -> pd.DataFrame:
    """Per kind, activities on units of the subtree overlapping the window: activities,
    reported (activities whose findings count was given), findings (sum of those; None when
    none was given), findings_per_activity = findings ÷ reported (an unreported count is missing,
    not 0). Kinds without an activity are left out."""
    start, end = window_dates(rules, as_of, window)
    df = con.execute(_FINDINGS_SQL, {"end": end, "start": start, "root": root,
                                     "started_within": started_within(rules, window)}).df()
    df["findings_per_activity"] = [None if not r else f / r for f, r in zip(df.findings, df.reported)]
    order = {k: i for i, k in enumerate(SUPERVISION_KINDS)}
    return df.sort_values("kind", key=lambda s: s.map(order)).reset_index(drop=True)


def coverage_tree(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                  kinds: tuple[str, ...] | None = None, window: Window = "cycle",
                  levels: tuple[int, ...] = (2, 3)) -> pd.DataFrame:
    """The org tree of the subtree down to max(levels) for a treemap / sunburst: unit_code,
    unit_name, parent_code (None at the top of the drawn tree), level, activities (of `kinds` in
    the window on that unit), covered (True / False for units of `levels`, None for the others,
    which the rule does not check)."""
    shown = tuple(range(1, max(levels) + 1))
    units = _covered_units(con, rules, as_of, root, shown, kinds, window)
    codes = set(units.unit_code)
    units["parent_code"] = [p if p in codes else None for p in units.parent_code]
    units["covered"] = [bool(a > 0) if lvl in levels else None for a, lvl in zip(units.activities, units.level)]
    return units


def coverage_flags(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                   root: str | None = None) -> pd.DataFrame:
    """Red flags (预警), one row per uncovered unit:
    'supervision_uncovered' (text flags.supervision_uncovered) — a unit of
    rules.supervision_levels with no activity of rules.supervision_kinds this year (调研/督查全覆盖);
    'inspection_uncovered' — a unit of
    rules.inspection_levels not inspected (rules.inspection_kinds) in the current cycle
    (三年内部巡察全覆盖). actual = 0 activities, required = 1, gap = 1, detail = the date of the
    unit's last activity of any kind ('—' when none).
    """
    rows = []
    checks = (("supervision_uncovered", rules.supervision_levels, rules.supervision_kinds, "year"),
              ("inspection_uncovered", rules.inspection_levels, rules.inspection_kinds, "cycle"))
    for rule, levels, kinds, window in checks:
        for level in levels:
            for r in uncovered_units(con, rules, as_of, root, level, kinds, window).itertuples():
                last = "—" if pd.isna(r.last_activity_date) else r.last_activity_date.isoformat()
                rows.append({"unit_code": r.unit_code, "unit_name": r.unit_name, "level": int(r.level),
                             "rule": rule, "actual": 0, "required": 1, "gap": 1, "detail": last})
    return pd.DataFrame(rows, columns=FLAG_COLUMNS) if rows else empty_flags()
