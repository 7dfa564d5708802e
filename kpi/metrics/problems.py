"""Problem rectification (整改) and close-out (销号管理): rates, overdue, ageing, weekly progress.

Rule (source documents, 销号管理): every problem has an owner, measures and a deadline
(整改时限), and is closed (销号) only after verification. Overdue = not closed and past its
deadline on the as-of date.

How a problem's state at any as-of date is defined — as it was recorded on that date:
- it exists from `found_date` (a problem found after the as-of date is not counted);
- its status and deadline are those of its latest snapshot dated on or before the as-of date
  (the same state the weekly series reads), so a problem closed then and re-opened later counts
  as closed at that date, and a later extension does not rewrite a past deadline;
- a problem with no snapshot by then is read from its row: its status only counts from the dates
  (closed when `closed_date ≤ as_of` and its status is 已销号; completed when `completed_date` or
  `closed_date ≤ as_of` and its status is 已完成待验收 or 已销号 — a completion without a date cannot
  be placed in time, so it is not counted), with its current deadline;
- closed when that status is 已销号; completed when it is 已完成待验收 or 已销号;
- overdue when not closed and its deadline < as_of;
- on time when completed and its completion (completed_date, else closed_date) ≤ the deadline.

The problem table keeps only the latest row of each problem. The snapshots
(`problem_snapshots`, one dated row per problem per upload or edit) complement it: they carry
the status history (a re-opening after close-out is visible there and only there), the
deadline as it stood at each date (so an extension does not rewrite past overdue counts),
and the weekly series (open / new / closed / overdue per ISO week, burn-down).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from kpi.datasets import CLOSED_STATUS, PROBLEM_STATUSES, SEVERITIES
from kpi.metrics.common import FLAG_COLUMNS, Headline, empty_flags, share_pct
from kpi.org import LEVEL_SECONDARY
from kpi.rules import Rules
from kpi.store import memo
from kpi.store.sql import SNAPSHOT_KEY, SNAPSHOT_ORDER, contains, in_subtree, like_contains

NOT_STARTED, IN_PROGRESS, DONE_AWAITING, _ = PROBLEM_STATUSES
SEVERE = SEVERITIES[-1]
# 销号管理 tolerates no overdue or unresolved severe problem: the target of those counts is none.
NO_PROBLEMS = 0.0

BY_COLUMNS = {None: None, "source": "ps.source", "category": "ps.category", "secondary": "sec.ancestor_code"}


def _state_cte_text(names: bool, scoped: bool) -> str:
    """The text of `WITH ps AS (...)` for one variant (built once, at import): with the unit's
    unit_name and level when `names`, limited to the subtree `$root` when `scoped`."""
    unit_columns = "u.unit_name, u.level," if names else ""
    unit_join = "LEFT JOIN units u ON u.unit_code = p.unit_code" if names else ""
    scope = in_subtree("p.unit_code") if scoped else "true"
    # The snapshots of the subtree's problems only.
    snap_scope = ("problem_id IN (SELECT problem_id FROM problems WHERE " + in_subtree("unit_code") + ")"
                  if scoped else "true")
    return ("""
    WITH prm AS (SELECT CAST($as_of AS DATE) AS as_of, CAST($closed_status AS VARCHAR) AS closed_status,
                        CAST($done_status AS VARCHAR) AS done_status),
    snap AS (
        SELECT problem_id, arg_max_null(status, k) AS status, arg_max_null(due_date, k) AS due_date
        FROM (SELECT problem_id, status, due_date, """ + SNAPSHOT_KEY + """ AS k FROM problem_changes
              WHERE as_of <= CAST($as_of AS DATE) AND """ + snap_scope + """)
        GROUP BY problem_id),
    base AS (
        SELECT p.* REPLACE (CASE WHEN s.problem_id IS NULL THEN p.status ELSE s.status END AS status,
                            CASE WHEN s.problem_id IS NULL THEN p.due_date ELSE s.due_date END AS due_date),
               """ + unit_columns + """ prm.as_of,
               CASE WHEN s.problem_id IS NOT NULL THEN coalesce(s.status = prm.closed_status, false)
                    ELSE coalesce(p.status = prm.closed_status AND p.closed_date <= prm.as_of, false)
               END AS is_closed,
               CASE WHEN s.problem_id IS NOT NULL THEN coalesce(s.status IN (prm.closed_status, prm.done_status), false)
                    ELSE coalesce(p.status IN (prm.closed_status, prm.done_status)
                                  AND (p.completed_date <= prm.as_of OR p.closed_date <= prm.as_of), false)
               END AS is_completed
        FROM problems p CROSS JOIN prm """ + unit_join + """ LEFT JOIN snap s ON s.problem_id = p.problem_id
        WHERE (p.found_date IS NULL OR p.found_date <= prm.as_of) AND """ + scope + """),
    ps AS (
        SELECT *,
               coalesce(NOT is_closed AND due_date < as_of, false) AS is_overdue,
               coalesce(is_completed AND coalesce(completed_date, closed_date) <= due_date, false) AS is_on_time,
               CASE WHEN NOT is_closed AND due_date < as_of THEN date_diff('day', due_date, as_of) END
                   AS days_overdue,
               date_diff('day', found_date, as_of) AS age_days
        FROM base)
    """)


# (names, scoped) → the state CTE's fixed text; with no root the whole store is read without the
# unit_paths subquery.
_STATE_CTES = {(names, scoped): _state_cte_text(names, scoped) for names in (False, True) for scoped in (False, True)}


def _state_params(as_of: dt.date, root: str | None) -> dict:
    """The values the state CTE binds: the as-of date, the two statuses and, scoped, `$root`."""
    params: dict = {"as_of": as_of, "closed_status": CLOSED_STATUS, "done_status": DONE_AWAITING}
    if root is not None:
        params["root"] = root
    return params


_SECONDARY_JOIN = """LEFT JOIN (SELECT p.unit_code, p.ancestor_code, a.unit_name AS ancestor_name
                           FROM unit_paths p JOIN units a ON a.unit_code = p.ancestor_code
                           WHERE p.ancestor_level = $secondary) sec ON sec.unit_code = ps.unit_code"""


def _rates_sql(by: str | None, scoped: bool) -> str:
    group = BY_COLUMNS[by] or "CAST(NULL AS VARCHAR)"
    name = "sec.ancestor_name" if by == "secondary" else group
    return (_STATE_CTES[(False, scoped)] + """
        SELECT """ + group + """ AS "group", any_value(""" + name + """) AS group_name, count(*) AS total,
               count(*) FILTER (WHERE is_completed) AS completed,
               count(*) FILTER (WHERE is_closed) AS closed,
               count(*) FILTER (WHERE is_on_time) AS on_time,
               count(*) FILTER (WHERE is_overdue) AS overdue
        FROM ps """ + (_SECONDARY_JOIN if by == "secondary" else "") + """
        GROUP BY 1 ORDER BY total DESC, 1 NULLS LAST""")


# (by, scoped) → the fixed statement of problem_rates (the grouping columns are this module's own names).
_RATES_SQL = {(by, scoped): _rates_sql(by, scoped) for by in BY_COLUMNS for scoped in (False, True)}
_HEADLINES_SQL = {scoped: _STATE_CTES[(False, scoped)] + """
        SELECT count(*), count(*) FILTER (WHERE is_closed), count(*) FILTER (WHERE is_overdue),
               count(*) FILTER (WHERE severity = $severe),
               count(*) FILTER (WHERE severity = $severe AND NOT is_closed)
        FROM ps""" for scoped in (False, True)}
# The same counts per ancestor at $level (one row per unit of that level with problems in its subtree).
_HEADLINES_BY_ANCESTOR_SQL = {scoped: _STATE_CTES[(False, scoped)] + """
        SELECT up.ancestor_code, count(*), count(*) FILTER (WHERE is_closed), count(*) FILTER (WHERE is_overdue),
               count(*) FILTER (WHERE severity = $severe),
               count(*) FILTER (WHERE severity = $severe AND NOT is_closed)
        FROM ps JOIN unit_paths up ON up.unit_code = ps.unit_code AND up.ancestor_level = $level
        GROUP BY 1""" for scoped in (False, True)}


def problem_rates(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                  by: str | None = None) -> pd.DataFrame:
    """Completion, close-out and on-time rates, overall or by source / secondary unit / category.

    Per group: total = problems found by as_of; completed = completed by as_of (已完成待验收 or
    已销号); closed = 已销号 by as_of; on_time = completed on or before the deadline;
    overdue = not closed and past the deadline.
    completion_pct = completed ÷ total; closeout_pct = closed ÷ total (销号率);
    ontime_pct = on_time ÷ completed (of the finished rectifications, the share finished in time;
    None when nothing is completed). Rule: 销号管理 — every problem closed by its deadline.
    Columns: group, group_name, total, completed, closed, on_time, overdue, the three rates.
    By 'secondary', problems of the group's own level-1 unit have group None.
    """
    if by not in BY_COLUMNS:
        raise ValueError(f"by must be one of {list(BY_COLUMNS)}, got {by!r}")
    params = _state_params(as_of, root)
    if by == "secondary":
        params["secondary"] = LEVEL_SECONDARY
    df = con.execute(_RATES_SQL[(by, root is not None)], params).df()
    if by is None and df.empty:
        df = pd.DataFrame([{"group": None, "group_name": None, "total": 0, "completed": 0, "closed": 0,
                            "on_time": 0, "overdue": 0}])
    df["completion_pct"] = [share_pct(a, b) for a, b in zip(df.completed, df.total)]
    df["closeout_pct"] = [share_pct(a, b) for a, b in zip(df.closed, df.total)]
    df["ontime_pct"] = [share_pct(a, b) for a, b in zip(df.on_time, df.completed)]
    return df


# The cards, the briefing's overdue list and its headline slide ask for the same counts: once per store state.
@memo.versioned(maxsize=8)
def problem_headlines(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                      root: str | None = None) -> dict[str, Headline]:
    """Three headline figures (rule: 销号管理).

    'overdue': problems not closed and past their deadline (target none; numerator = overdue,
    denominator = problems not closed). 'closeout': closed ÷ found by as_of, in % (no target:
    the rule is per problem, not a share). 'severe_open': 严重 problems not closed (target none;
    denominator = all 严重 problems found). Values are None when no problem exists at all.
    """
    counts = con.execute(_HEADLINES_SQL[root is not None], {**_state_params(as_of, root), "severe": SEVERE})
    return _headlines(*counts.fetchone())


def problem_headlines_by_unit(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None,
                              level: int, unit_codes: list[str]) -> dict[str, dict[str, Headline]]:
    """`problem_headlines(as_of, root=code)` for every code of `unit_codes` (units of `level` in the
    subtree of `root`) in one statement: the problems of each unit's subtree, grouped by their
    ancestor at `level` (unit_paths lists a unit as its own ancestor). Same formulas and rule
    (销号管理); a unit without problems gets the headlines of none (values None)."""
    params = {**_state_params(as_of, root), "severe": SEVERE, "level": level}
    rows = con.execute(_HEADLINES_BY_ANCESTOR_SQL[root is not None], params).fetchall()
    counts = {row[0]: row[1:] for row in rows}
    return {code: _headlines(*counts.get(code, (0, 0, 0, 0, 0))) for code in unit_codes}


def _headlines(total: int, closed: int, overdue: int, severe: int, severe_open: int) -> dict[str, Headline]:
    """The three headlines of `problem_headlines` from the counts of one subtree."""
    has_data = total > 0
    return {
        "overdue": Headline("problems.headline.overdue", overdue if has_data else None, NO_PROBLEMS,
                            overdue, total - closed, unit="个", higher_is_better=False),
        "closeout": Headline("problems.headline.closeout", share_pct(closed, total), None, closed, total),
        "severe_open": Headline("problems.headline.severe_open", severe_open if has_data else None,
                                NO_PROBLEMS, severe_open, severe, unit="个", higher_is_better=False),
    }


_LIST_COLUMNS = """problem_id, unit_code, unit_name, source, found_date, category, description, severity,
    owner, measures, due_date, status, completed_date, closed_date, is_overdue, days_overdue"""


_OVERDUE_SQL = {scoped: _STATE_CTES[(True, scoped)] + " SELECT " + _LIST_COLUMNS + """ FROM ps WHERE is_overdue
        ORDER BY days_overdue DESC, problem_id LIMIT $limit""" for scoped in (False, True)}


def overdue_problems(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                     limit: int | None = None) -> pd.DataFrame:
    """Problems not closed and past their deadline at as_of, most days overdue first.

    days_overdue = as_of − due_date (days). Rule: 销号管理 (closed by the deadline). `limit` keeps
    the first rows only (None: all).
    """
    return con.execute(_OVERDUE_SQL[root is not None], {**_state_params(as_of, root), "limit": limit}).df()


# Open problems by age bucket: the bucket of an age is how many bounds lie below it (bucket i holds
# bounds[i-1] < age ≤ bounds[i]); fixed text per variant, the bounds bound as one list.
_AGEING_SQL = {scoped: _STATE_CTES[(False, scoped)] + """
        SELECT len(list_filter(CAST($bounds AS INTEGER[]), lambda b: b < age_days)) AS bucket,
               count(*) AS problems, count(*) FILTER (WHERE is_overdue) AS overdue
        FROM ps WHERE NOT is_closed AND age_days IS NOT NULL GROUP BY 1""" for scoped in (False, True)}


def ageing_buckets(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                   root: str | None = None) -> pd.DataFrame:
    """Open (not closed) problems by age = as_of − found_date, in the buckets of
    rules.ageing_buckets_days: bucket i holds lower < age ≤ upper (first lower = −∞, last upper = ∞).

    Columns: bucket (0-based), lower_days (None for the first), upper_days (None for the last),
    problems, overdue. Every bucket is listed, empty ones with 0. Open problems without a
    found_date are not aged (they cannot be placed).
    """
    bounds = list(rules.ageing_buckets_days)
    counted = {row[0]: row[1:] for row in con.execute(
        _AGEING_SQL[root is not None], {**_state_params(as_of, root), "bounds": bounds}).fetchall()}
    lowers, uppers = [None, *bounds], [*bounds, None]
    rows = [{"bucket": i, "lower_days": low, "upper_days": high, "problems": counted.get(i, (0, 0))[0],
             "overdue": counted.get(i, (0, 0))[1]} for i, (low, high) in enumerate(zip(lowers, uppers))]
    return pd.DataFrame(rows).astype({"lower_days": "Int64", "upper_days": "Int64"})


_DUE_SOON_SQL = {scoped: _STATE_CTES[(True, scoped)] + " SELECT " + _LIST_COLUMNS + """,
            date_diff('day', as_of, due_date) AS days_left FROM ps
        WHERE NOT is_closed AND due_date >= as_of AND date_diff('day', as_of, due_date) <= $days
        ORDER BY due_date, problem_id LIMIT $limit""" for scoped in (False, True)}
# Problems not closed and not yet due, counted per days left up to $days (the windows are summed in Python).
_DAYS_LEFT_SQL = {scoped: _STATE_CTES[(False, scoped)] + """
        SELECT date_diff('day', as_of, due_date) AS days_left, count(*) FROM ps
        WHERE NOT is_closed AND due_date >= as_of AND date_diff('day', as_of, due_date) <= $days
        GROUP BY 1""" for scoped in (False, True)}


def due_soon(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
             limit: int | None = None) -> pd.DataFrame:
    """Problems not closed whose deadline falls within the next days of rules.due_soon_days
    (as_of ≤ due_date ≤ as_of + the largest window), soonest first.

    days_left = due_date − as_of; window_days = the smallest window of the rule holding it
    (e.g. 7 or 30). Rule: reminders before the deadline (销号管理). `limit` keeps the first rows only
    (what a screen shows; `due_soon_counts` counts them all); None returns them all.
    """
    df = con.execute(_DUE_SOON_SQL[root is not None],
                     {**_state_params(as_of, root), "days": max(rules.due_soon_days), "limit": limit}).df()
    windows = sorted(rules.due_soon_days)
    df["window_days"] = pd.array([next(w for w in windows if d <= w) for d in df.days_left], dtype="Int64")
    return df


def due_soon_counts(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                    root: str | None = None) -> dict[int, int]:
    """For each window w of rules.due_soon_days (ascending): how many problems not closed are due
    within it (as_of ≤ due_date ≤ as_of + w) — the rows of `due_soon` with days_left ≤ w."""
    windows = sorted(rules.due_soon_days)
    per_day = con.execute(_DAYS_LEFT_SQL[root is not None],
                          {**_state_params(as_of, root), "days": windows[-1]}).fetchall()
    return {w: sum(n for days_left, n in per_day if days_left <= w) for w in windows}


_FUNNEL_SQL = {scoped: _STATE_CTES[(False, scoped)] + """
        SELECT CASE WHEN is_closed THEN $closed_status WHEN is_completed THEN $done_status
                    WHEN status = $not_started THEN $not_started ELSE $in_progress END AS s,
               count(*) FROM ps GROUP BY 1""" for scoped in (False, True)}


def status_funnel(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None) -> pd.DataFrame:
    """The rectification funnel 未启动 → 整改中 → 已完成待验收 → 已销号 at as_of.

    at_status: problems whose state at as_of is that status (closed and completed from the
    dates as in the module docstring; the rest split by current status, a problem completed
    only after as_of counting as 整改中). reached: problems at that stage or beyond
    (reached of 未启动 = all problems found). Columns: status, at_status, reached.
    """
    counts = dict(con.execute(_FUNNEL_SQL[root is not None], {**_state_params(as_of, root), "not_started": NOT_STARTED,
                                                           "in_progress": IN_PROGRESS}).fetchall())
    at = [int(counts.get(s, 0)) for s in PROBLEM_STATUSES]
    reached = [sum(at[i:]) for i in range(len(at))]
    return pd.DataFrame({"status": list(PROBLEM_STATUSES), "at_status": at, "reached": reached})


# The weekly series as fixed text (see `weekly_series`). Points ascending: the first point on or after a
# date is the number of points before it; the first point after a deadline, the number of points on or
# before it (none: $n + 1, past the last point). A subtree's problems are picked first (a small set); for
# the whole store the problems still in the problem table are checked once per problem, after grouping.
_IN_SCOPE = "problem_id IN (SELECT problem_id FROM problems WHERE " + in_subtree("unit_code") + ")"


def _weekly_sql(scoped: bool) -> str:
    before, after = (_IN_SCOPE, "true") if scoped else ("true", _IN_SCOPE)
    return """
        WITH reached AS (
            SELECT problem_id, len(list_filter(CAST($points AS DATE[]), lambda p: p < as_of)) AS lo,
                   status = $closed_status AS closed, due_date, """ + SNAPSHOT_KEY + """ AS k
            FROM problem_changes WHERE as_of <= CAST($last AS DATE) AND """ + before + """),
        groups AS (
            SELECT problem_id, lo, arg_max(closed, k) AS closed, arg_max_null(due_date, k) AS due
            FROM reached GROUP BY problem_id, lo),
        held AS (
            SELECT lo, closed,
                   CASE WHEN due IS NULL THEN $n + 1
                        ELSE len(list_filter(CAST($points AS DATE[]), lambda p: p <= due)) END AS c,
                   coalesce(lead(lo) OVER w, $n + 1) AS hi,
                   lag(closed) OVER w AS closed_before, row_number() OVER w = 1 AS first
            FROM groups WHERE """ + after + """
            WINDOW w AS (PARTITION BY problem_id ORDER BY lo)),
        events AS (
            SELECT lo AS i, CAST(NOT closed AS INTEGER) AS open, 0 AS overdue, CAST(first AS INTEGER) AS new,
                   CAST(closed AND NOT coalesce(closed_before, false) AS INTEGER) AS closed FROM held
            UNION ALL SELECT hi, -CAST(NOT closed AS INTEGER), 0, 0, 0 FROM held
            UNION ALL SELECT greatest(lo, c), 0, 1, 0, 0 FROM held WHERE NOT closed AND greatest(lo, c) < hi
            UNION ALL SELECT hi, 0, -1, 0, 0 FROM held WHERE NOT closed AND greatest(lo, c) < hi)
        SELECT i, sum(open), sum(overdue), sum(new), sum(closed) FROM events WHERE i <= $n GROUP BY i"""


_WEEKLY_SQL = {scoped: _weekly_sql(scoped) for scoped in (False, True)}


def weekly_series(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                  weeks: int = 12) -> pd.DataFrame:
    """Per ISO week (the `weeks` weeks up to the one holding as_of), from the snapshots (read from
    problem_changes, the snapshots that changed a problem's state: the same states, see kpi.store.derived).

    A problem's state at a week's end (Sunday, or as_of for the current week) is its latest
    snapshot dated on or before it. open = state not 已销号; new = problems whose first
    snapshot falls in the week; closed = problems 已销号 at the week's end but not at the previous
    week's end (a re-opened problem closed again counts again); overdue = open and the
    snapshot's deadline (as it stood then) before the week's end. Burn-down = open over weeks.
    Columns: week_start, week_end, week ('2026-W07'), open, new, closed, overdue.
    """
    week_start = as_of - dt.timedelta(days=as_of.weekday())
    starts = [week_start - dt.timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    ends = [min(s + dt.timedelta(days=6), as_of) for s in starts]
    # Points 0…n: the day before the first week, then each week's end. A change "reaches" point
    # lo = the first point on or after its date; per problem and lo the last change is the state
    # at that point, held up to the point before the next such group (hi). So each group adds 1 to
    # the open count over points [lo, hi) when open, and to the overdue count over [c, hi) from
    # c = the first point after its deadline; summed as +1/−1 events and accumulated. A group
    # reached at point i is new there when it is the problem's first, closed there when it is
    # 已销号 and the group before (the state at point i − 1) was not.
    points = [starts[0] - dt.timedelta(days=1), *ends]
    n = weeks
    rows = con.execute(_WEEKLY_SQL[root is not None], {"points": points, "last": points[-1], "n": n,
                                                       "closed_status": CLOSED_STATUS, "root": root}).fetchall()
    steps = np.zeros((4, n + 1), dtype=np.int64)
    for i, *values in rows:
        steps[:, i] = values
    opened, overdue = np.cumsum(steps[0])[1:], np.cumsum(steps[1])[1:]
    df = pd.DataFrame({"week_start": starts, "week_end": ends, "open": opened, "new": steps[2][1:],
                       "closed": steps[3][1:], "overdue": overdue})
    df["week"] = [f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in df.week_start]
    return df[["week_start", "week_end", "week", "open", "new", "closed", "overdue"]]


_STATUS_HISTORY = """
    SELECT as_of, status, due_date, batch_id,
           lag(due_date) OVER w AS previous_due_date, lag(status) OVER w AS previous_status
    FROM problem_snapshots WHERE problem_id = $problem_id
    WINDOW w AS (ORDER BY """ + SNAPSHOT_ORDER + """)
    ORDER BY """ + SNAPSHOT_ORDER


def status_history(con: duckdb.DuckDBPyConnection, problem_id: str) -> pd.DataFrame:
    """The problem's snapshots in date order: as_of, status, due_date, batch_id, plus
    previous_due_date, deadline_changed (the deadline differs from the previous snapshot's),
    deadline_extended (it moved later), reopened (previous snapshot 已销号, this one not).
    """
    df = con.execute(_STATUS_HISTORY, {"problem_id": problem_id}).df()
    prev_due, due = df.previous_due_date, df.due_date
    df["deadline_changed"] = (prev_due.notna() & (prev_due != due)).astype(bool)
    df["deadline_extended"] = (prev_due.notna() & due.notna() & (due > prev_due)).astype(bool)
    df["reopened"] = ((df.previous_status == CLOSED_STATUS) & (df.status != CLOSED_STATUS)).astype(bool)
    return df.drop(columns="previous_status")


@dataclass(frozen=True)
class ProblemFilter:
    """Filters of the problem list; empty tuples / None mean 'any'. `text` is searched
    (case-insensitively, as plain text) in description and measures."""

    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    overdue_only: bool = False
    found_from: dt.date | None = None
    found_to: dt.date | None = None
    text: str | None = None
    # closed out on or before this date (closed_date ≤ it); with statuses=(已销号,): closed by that day
    closed_to: dt.date | None = None
    # these problems only (a set found by `problem_ids`)
    ids: tuple[str, ...] = ()


# The problem list's WHERE clause as fixed text: every filter is bound, NULL meaning "any" (DuckDB folds
# `CAST($x AS …) IS NULL` to a constant, so an unused filter costs nothing). Several filters in one
# statement bind apart by a prefix on every parameter name (`_filter_where`).
_FILTER_WHERE = (
    "(CAST($sources AS VARCHAR[]) IS NULL OR list_contains(CAST($sources AS VARCHAR[]), source))"
    " AND (CAST($categories AS VARCHAR[]) IS NULL OR list_contains(CAST($categories AS VARCHAR[]), category))"
    " AND (CAST($severities AS VARCHAR[]) IS NULL OR list_contains(CAST($severities AS VARCHAR[]), severity))"
    " AND (CAST($statuses AS VARCHAR[]) IS NULL OR list_contains(CAST($statuses AS VARCHAR[]), status))"
    # ids as a semi-join, not list_contains: DuckDB 1.5.5 scans the bound list per row (8,353 ids at L: 4.7 s
    # against 0.30 s; docs/issue16-lake.md §7).
    " AND (CAST($ids AS VARCHAR[]) IS NULL OR problem_id IN (SELECT unnest(CAST($ids AS VARCHAR[]))))"
    " AND (NOT CAST($overdue_only AS BOOLEAN) OR is_overdue)"
    " AND (CAST($found_from AS DATE) IS NULL OR found_date >= CAST($found_from AS DATE))"
    " AND (CAST($found_to AS DATE) IS NULL OR found_date <= CAST($found_to AS DATE))"
    " AND (CAST($closed_to AS DATE) IS NULL OR closed_date <= CAST($closed_to AS DATE))"
    " AND (CAST($pattern AS VARCHAR) IS NULL OR " + contains("description") + " OR " + contains("measures") + ")")


def _filter_where(prefix: str = "") -> str:
    """`_FILTER_WHERE` with every parameter named `$<prefix><name>` (a constant per prefix)."""
    return "(" + _FILTER_WHERE.replace("$", "$" + prefix) + ")"


def _filter_params(f: ProblemFilter, prefix: str = "") -> dict:
    """The values `_filter_where(prefix)` binds for `f`: an empty choice or no date is NULL (any)."""
    text = (f.text or "").strip()
    values = {"sources": f.sources, "categories": f.categories, "severities": f.severities,
              "statuses": f.statuses, "ids": f.ids}
    params = {name: list(chosen) if chosen else None for name, chosen in values.items()}
    params |= {"overdue_only": f.overdue_only, "found_from": f.found_from, "found_to": f.found_to,
               "closed_to": f.closed_to, "pattern": like_contains(text) if text else None}
    return {prefix + name: value for name, value in params.items()}


_LIST_SQL = {scoped: _STATE_CTES[(True, scoped)] + " SELECT " + _LIST_COLUMNS + " FROM ps WHERE " + _filter_where()
             + """ ORDER BY is_overdue DESC, days_overdue DESC NULLS LAST, is_closed, due_date NULLS LAST, problem_id
             LIMIT $limit""" for scoped in (False, True)}
_LIST_COUNTS_SQL = {scoped: _STATE_CTES[(False, scoped)] + " SELECT count(*) FILTER (WHERE " + _filter_where()
                    + "), count(*) FILTER (WHERE " + _filter_where() + " AND is_overdue), count(*) FROM ps"
                    for scoped in (False, True)}
# problem_ids with 1…MAX_ID_FILTERS filters: one flag column per filter (parameters prefixed f0_, f1_, …).
MAX_ID_FILTERS = 8
_IDS_SQL = {(n, scoped): _STATE_CTES[(False, scoped)] + " SELECT problem_id, "
            + ", ".join(_filter_where("f" + str(i) + "_") for i in range(n)) + " FROM ps WHERE "
            + " OR ".join(_filter_where("f" + str(i) + "_") for i in range(n))
            for n in range(1, MAX_ID_FILTERS + 1) for scoped in (False, True)}


def problem_list(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                 filters: ProblemFilter | None = None, limit: int | None = None) -> pd.DataFrame:
    """The problems found by as_of in the subtree that pass `filters`: overdue first (most days
    overdue first), then open ones, then closed ones, each by deadline; is_overdue / days_overdue
    as in the module docstring. Every filter value is bound, and the search text is matched
    literally (LIKE wildcards % and _ in it match themselves). `limit` keeps the first rows only
    (what a screen shows); None returns them all (what an export writes).
    """
    params = {**_state_params(as_of, root), **_filter_params(filters or ProblemFilter()), "limit": limit}
    return con.execute(_LIST_SQL[root is not None], params).df()


def problem_ids(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None,
                filters: list[ProblemFilter]) -> list[set[str]]:
    """For each of `filters`, the ids of the problems `problem_list(as_of, root,
    that filter)` returns, without their rows, from one reading of the problems' state per
    MAX_ID_FILTERS filters: comparing two dates' lists (本周变化) needs only which problems are on each."""
    if len(filters) > MAX_ID_FILTERS:   # more than one statement holds: the rest in another reading
        return (problem_ids(con, as_of, root, filters[:MAX_ID_FILTERS])
                + problem_ids(con, as_of, root, filters[MAX_ID_FILTERS:]))
    params = _state_params(as_of, root)
    for i, f in enumerate(filters):
        params |= _filter_params(f, "f" + str(i) + "_")
    rows = con.execute(_IDS_SQL[(len(filters), root is not None)], params).fetchall()
    return [{row[0] for row in rows if row[i + 1]} for i in range(len(filters))]


def problem_list_counts(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                        filters: ProblemFilter | None = None) -> dict[str, int]:
    """How many problems `problem_list` returns for `filters` ('listed'), how many of those are
    overdue at as_of ('overdue'), and how many problems the subtree has found by as_of in all ('all')."""
    params = {**_state_params(as_of, root), **_filter_params(filters or ProblemFilter())}
    listed, overdue, everything = con.execute(_LIST_COUNTS_SQL[root is not None], params).fetchone()
    return {"listed": listed, "overdue": overdue, "all": everything}


_OPTIONS_SQL = ("SELECT DISTINCT category FROM problems WHERE category IS NOT NULL AND " + in_subtree("unit_code")
                + " ORDER BY 1")


def problem_options(con: duckdb.DuckDBPyConnection, root: str | None = None) -> dict[str, list[str]]:
    """Distinct categories of the subtree's problems (sources, severities and statuses are the
    fixed enumerations), for the list's filters."""
    rows = con.execute(_OPTIONS_SQL, {"root": root}).fetchall()
    return {"categories": [r[0] for r in rows]}


_FLAGS_SQL = {scoped: _STATE_CTES[(True, scoped)] + """
        SELECT unit_code, any_value(unit_name) AS unit_name, any_value(level) AS level,
               'problems_overdue' AS rule, count(*) AS actual,
               CAST(max(days_overdue) AS VARCHAR) AS detail
        FROM ps WHERE is_overdue GROUP BY unit_code
        UNION ALL
        SELECT unit_code, any_value(unit_name), any_value(level), 'problems_severe_open', count(*),
               string_agg(problem_id, '、' ORDER BY problem_id)
        FROM ps WHERE severity = $severe AND NOT is_closed GROUP BY unit_code
        ORDER BY rule, actual DESC, unit_code""" for scoped in (False, True)}


def problem_flags(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None) -> pd.DataFrame:
    """Red flags (预警), one row per unit and rule (销号管理):
    'problems_overdue' (text flags.problems_overdue) — the unit has overdue problems:
    actual = overdue count, required = 0, gap = actual, detail = most days overdue;
    'problems_severe_open' — the unit has 严重 problems not closed: actual = that count,
    required = 0, gap = actual, detail = their ids.
    """
    df = con.execute(_FLAGS_SQL[root is not None], {**_state_params(as_of, root), "severe": SEVERE}).df()
    if df.empty:
        return empty_flags()
    df["required"] = 0
    df["gap"] = df.actual
    df["detail"] = df.detail.astype(str)
    return df[FLAG_COLUMNS]
