"""The leadership overview (领导驾驶舱): headline cards, the red-flag list, the ranking of units.

Nothing is computed twice: each card is the `Headline` of one metric function, named in
`headline_figures`; the red-flag list is the union of every module's flags; the ranking counts
those flags per unit just below the root.
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
from kpi.store.sql import IN_SUBTREE, with_identifiers
from kpi.store.sqlframes import registered

CARD_KEYS = ("funds", "weight", "party_staff", "meetings", "standardisation",
             "closeout", "overdue", "severe_open", "supervision", "inspection")
WEEK = dt.timedelta(days=7)


def inspection_cycle_coverage(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date,
                              root: str | None = None) -> Headline:
    """三年内部巡察全覆盖 as one figure: Σ covered ÷ Σ units over rules.inspection_levels, counting
    activities of rules.inspection_kinds in the current inspection cycle up to as_of (the per-level
    counts of `coverage.inspection_coverage`). Target 100%; None when the scope has no such unit."""
    per_level = coverage.inspection_coverage(con.cursor(), rules, as_of, root)
    covered, units = int(per_level.covered.sum()), int(per_level.units.sum())
    return Headline("overview.card.inspection", share_pct(covered, units), coverage.FULL_COVERAGE_PCT,
                    covered, units)


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
              lang: str = "zh", today: dt.date | None = None) -> pd.DataFrame:
    """预警清单: every rule broken in the scope, one row per unit and rule (FLAG_COLUMNS), from
    annual.annual_flags, meetings.meeting_flags, problems.problem_flags, coverage.coverage_flags
    and ratings.ratings_flags — in that order, units by code within each rule. Numbers and data only:
    kpi.display.overview words them. `lang` is accepted and unused (callers still pass it; to be
    dropped with them)."""
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
    return pd.concat(parts, ignore_index=True)


_UNITS_AT_LEVEL = ("SELECT unit_code, unit_name FROM units WHERE level = $level AND " + IN_SUBTREE
                   + " ORDER BY unit_code")


def unit_ranking(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                 flags: pd.DataFrame | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Ranking of the units just below the root (secondary units for the whole group).

    flag_count = red flags of `red_flags` raised on the unit or anywhere in its subtree;
    meeting_completion_pct = met ÷ required slots of its branches (meetings.completion_by_unit).
    Rank 1 = fewest flags; ties broken by higher meeting completion, then by unit code.
    """
    level = level_below_root(con, root)
    flags = red_flags(con, rules, as_of, root, today=today) if flags is None else flags
    units = con.execute(_UNITS_AT_LEVEL, {"level": level, "root": root}).df()
    # Each flag counts for its unit's ancestor at `level` (a flag above that level for none).
    with registered(con, flags[["unit_code"]], "flags") as flagged:
        counts = con.execute(with_identifiers("""SELECT p.ancestor_code AS unit_code, count(*) AS flag_count
            FROM {flagged} f JOIN unit_paths p ON p.unit_code = f.unit_code AND p.ancestor_level = $level
            GROUP BY p.ancestor_code""", flagged=flagged), {"level": level}).df().set_index("unit_code")["flag_count"]
    done = meetings.completion_by_unit(con.cursor(), rules, as_of, root, level=level, today=today)
    out = (units.merge(counts, left_on="unit_code", right_index=True, how="left")
           .merge(done[["unit_code", "completion_pct"]], on="unit_code", how="left")
           .rename(columns={"completion_pct": "meeting_completion_pct"}))
    out["flag_count"] = out.flag_count.fillna(0).astype(int)
    out = out.sort_values(["flag_count", "meeting_completion_pct", "unit_code"],
                          ascending=[True, False, True], na_position="last").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out
