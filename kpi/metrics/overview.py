"""The leadership overview (领导驾驶舱): headline cards, the red-flag list, the ranking of units.

Nothing is computed twice: each card is the `Headline` of one metric function, named in
`headline_figures`; the red-flag list is the union of every module's flags; a unit's alerts (`unit_alerts`: own and
subtree flags, each once) rank the units just below the root.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from kpi.metrics import annual, coverage, meetings, problems, ratings
from kpi.metrics.common import FLAG_COLUMNS, Headline, share_pct
from kpi.metrics.levels import level_below_root
from kpi.rules import Rules
from kpi.store import memo
from kpi.store.sql import in_subtree, with_identifiers
from kpi.store.sqlframes import registered

CARD_KEYS = ("funds", "weight", "party_staff", "meetings", "standardisation",
             "closeout", "overdue", "severe_open", "supervision", "inspection")
WEEK = dt.timedelta(days=7)


def inspection_cycle_coverage(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                              root: str | None = None) -> Headline:
    """三年内部巡察全覆盖 as one figure: Σ covered ÷ Σ units over rules.inspection_levels, counting
    activities of rules.inspection_kinds in the current inspection cycle up to as_of — an inspection
    for the cycle in which it started when rules.inspection_count_in_start_cycle — over the units
    existing at as_of (the per-level counts of `coverage.inspection_coverage`). Target 100%; None
    when the scope has no such unit."""
    per_level = coverage.inspection_coverage(con.cursor(), rules, as_of, root)
    covered, units = int(per_level.covered.sum()), int(per_level.units.sum())
    return Headline("overview.card.inspection", share_pct(covered, units), coverage.FULL_COVERAGE_PCT,
                    covered, units)


def inspection_cycle_coverage_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                                      root: str | None, level: int, unit_codes: list[str]) -> dict[str, Headline]:
    """`inspection_cycle_coverage(root=code)` for every code of `unit_codes` (units of `level` in the
    subtree of `root`), in one statement (`coverage.coverage_by_unit` over rules.inspection_levels):
    same formula, rule (三年内部巡察全覆盖) and target; None for a unit whose subtree has no unit of
    rules.inspection_levels."""
    per_unit = coverage.coverage_by_unit(con.cursor(), rules, as_of, root, level, rules.inspection_levels,
                                         rules.inspection_kinds, "cycle").set_index("unit_code")
    out = {}
    for code in unit_codes:
        covered, units = ((int(per_unit.at[code, "covered"]), int(per_unit.at[code, "units"]))
                          if code in per_unit.index else (0, 0))
        out[code] = Headline("overview.card.inspection", share_pct(covered, units), coverage.FULL_COVERAGE_PCT,
                             covered, units)
    return out


def headline_figures(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                     today: dt.date | None = None) -> dict[str, Headline]:
    """Every card's figure at `as_of`, each from the metric function that owns it:
    funds/weight/party_staff → kpi.metrics.annual.*_compliance (share of units meeting the rule);
    meetings → meetings.meeting_headline (met ÷ required slots); standardisation →
    ratings.standardisation_compliance; closeout/overdue/severe_open → problems.problem_headlines;
    supervision → coverage.coverage (rules.supervision_kinds over the year, at the first of
    rules.supervision_levels); inspection → `inspection_cycle_coverage`."""
    # DuckDB refuses new work on a cursor with an unfetched result: one cursor per call.
    problem = problems.problem_headlines(con.cursor(), as_of, root)
    return {
        "funds": annual.funds_compliance(con.cursor(), rules, as_of, root),
        "weight": annual.weight_compliance(con.cursor(), rules, as_of, root),
        "party_staff": annual.party_staff_compliance(con.cursor(), rules, as_of, root),
        "meetings": meetings.meeting_headline(con.cursor(), rules, as_of, root, today=today),
        "standardisation": ratings.standardisation_compliance(con.cursor(), rules, as_of, root),
        "closeout": problem["closeout"],
        "overdue": problem["overdue"],
        "severe_open": problem["severe_open"],
        "supervision": coverage.coverage(con.cursor(), rules, as_of, root, min(rules.supervision_levels),
                                         rules.supervision_kinds, "year"),
        "inspection": inspection_cycle_coverage(con, rules, as_of, root),
    }


@dataclass(frozen=True)
class Card:
    """A headline card: the figure now, a week earlier, and the change (None when either is missing)."""

    key: str
    now: Headline
    week_before: Headline

    @property
    def change(self) -> float | None:
        if self.now.value is None or self.week_before.value is None:
            return None
        return round(self.now.value - self.week_before.value, 1)


def headline_cards(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                   today: dt.date | None = None) -> list[Card]:
    """The overview's cards in display order: each figure of `headline_figures` at `as_of` and at
    `as_of` − 7 days; change = now − a week before (percent points for shares, count for counts)."""
    now = headline_figures(con, rules, as_of, root, today)
    before = headline_figures(con, rules, as_of - WEEK, root, today)
    return [Card(key, now[key], before[key]) for key in CARD_KEYS]


# The list, the ranking and a unit's profile all start from the same flags: computed once per store
# state (callers read the frame, never change it).
@memo.versioned(maxsize=4)
def red_flags(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
              today: dt.date | None = None) -> pd.DataFrame:
    """预警清单: every rule broken in the scope, one row per unit and rule (FLAG_COLUMNS), from
    annual.annual_flags, meetings.meeting_flags, problems.problem_flags, coverage.coverage_flags
    and ratings.ratings_flags — in that order, units by code within each rule. Each rule raises its
    flag on units of the level data/rules.toml states for it, whichever unit is viewed, and only flags
    on units of the subtree are listed, so a scope's list is the whole store's list cut to the
    subtree. Numbers and data only: kpi.display.overview words them (so the list is computed once
    for both languages)."""
    parts = [
        annual.annual_flags(con.cursor(), rules, as_of, root),
        meetings.meeting_flags(con.cursor(), rules, as_of, root, today=today),
        problems.problem_flags(con.cursor(), as_of, root),
        coverage.coverage_flags(con.cursor(), rules, as_of, root),
        ratings.ratings_flags(con.cursor(), rules, as_of, root),
    ]
    parts = [p[FLAG_COLUMNS] for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FLAG_COLUMNS})
    return _in_scope(con, pd.concat(parts, ignore_index=True), root)


def _in_scope(con: duckdb.DuckDBPyConnection, flags: pd.DataFrame, root: str | None) -> pd.DataFrame:
    """Only the flags raised on units of the subtree: a rule judging a fixed level may name the
    ancestor of a deeper root (meetings_below rates it on the root's branches alone), and that unit
    is not in scope. Every flag kept is the one the whole store raises on that unit."""
    if root is None:
        return flags
    subtree = con.cursor().execute("SELECT unit_code FROM unit_paths WHERE ancestor_code = $root",
                                   {"root": root}).fetchnumpy()["unit_code"]
    return flags[flags["unit_code"].isin(subtree)].reset_index(drop=True)


ALERT_COLUMNS = ["unit_code", "unit_name", "level", "own_flags", "subtree_flags"]
# Per unit of the subtree (optionally one level) existing at $as_of: the flags raised on it, and on
# it or any unit below it (a flag joins each of its unit's ancestors once, so it counts once each).
_UNIT_ALERTS = """
    WITH own AS (SELECT unit_code, count(*) AS n FROM {flagged} GROUP BY unit_code),
    below AS (SELECT p.ancestor_code AS unit_code, sum(o.n) AS n
              FROM own o JOIN unit_paths p ON p.unit_code = o.unit_code GROUP BY p.ancestor_code)
    SELECT u.unit_code, u.unit_name, u.level, CAST(coalesce(own.n, 0) AS BIGINT) AS own_flags,
           CAST(coalesce(below.n, 0) AS BIGINT) AS subtree_flags
    FROM units u LEFT JOIN own ON own.unit_code = u.unit_code LEFT JOIN below ON below.unit_code = u.unit_code
    WHERE """ + in_subtree("u.unit_code") + """
      AND (CAST($level AS INTEGER) IS NULL OR u.level = CAST($level AS INTEGER))
      AND (u.founded_date IS NULL OR u.founded_date <= CAST($as_of AS DATE))
    ORDER BY u.unit_code"""


def unit_alerts(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                level: int | None = None, flags: pd.DataFrame | None = None,
                today: dt.date | None = None) -> pd.DataFrame:
    """A unit's alerts (预警数), the one definition the ranking, the unit profile, the briefing and
    their exports use: own_flags = red flags of `red_flags` raised on the unit itself; subtree_flags =
    red flags raised on the unit or on any unit below it, each flag counted once.

    One row per unit of the subtree of `root` (only those of `level` when given) existing at as_of
    (founded_date empty or ≤ as_of), by code: ALERT_COLUMNS. `flags` = `red_flags` of the same
    arguments when the caller already has them."""
    flags = red_flags(con, rules, as_of, root, today=today) if flags is None else flags
    cur = con.cursor()   # DuckDB refuses new work on a cursor with an unfetched result
    with registered(cur, flags[["unit_code"]], "flags") as flagged:
        out = cur.execute(with_identifiers(_UNIT_ALERTS, flagged=flagged),
                          {"root": root, "level": level, "as_of": as_of}).df()
    return out[ALERT_COLUMNS]


def unit_ranking(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                 flags: pd.DataFrame | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Ranking of the units just below the root (secondary units for the whole group).

    flag_count = the unit's alerts in `unit_alerts` (subtree_flags: its own red flags and those of
    every unit below it, each once); own_flag_count = its own (own_flags);
    meeting_completion_pct = met ÷ required slots of its branches (meetings.completion_by_unit).
    Rank 1 = fewest flags; ties broken by higher meeting completion, then by unit code. The last row
    is the worst unit, as the briefing names it.
    """
    level = level_below_root(con, root)
    alerts = unit_alerts(con, rules, as_of, root, level=level, flags=flags, today=today)
    done = meetings.completion_by_unit(con.cursor(), rules, as_of, root, level=level, today=today)
    out = (alerts.rename(columns={"subtree_flags": "flag_count", "own_flags": "own_flag_count"})
           .merge(done[["unit_code", "completion_pct"]], on="unit_code", how="left")
           .rename(columns={"completion_pct": "meeting_completion_pct"}))
    out["flag_count"] = out.flag_count.astype(int)
    out["own_flag_count"] = out.own_flag_count.astype(int)
    out = out[["unit_code", "unit_name", "flag_count", "meeting_completion_pct", "own_flag_count"]]
    out = out.sort_values(["flag_count", "meeting_completion_pct", "unit_code"],
                          ascending=[True, False, True], na_position="last").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def worst_unit(ranking: pd.DataFrame) -> pd.Series | None:
    """The unit ranked last by `unit_ranking` (most alerts), None when no unit has any."""
    if ranking.empty or int(ranking.iloc[-1]["flag_count"]) == 0:
        return None
    return ranking.iloc[-1]
