"""Organisational life (三会一课): meeting completion per required slot, attendance, gaps.

The rule (《中国共产党支部工作条例（试行）》, as configured in data/rules.toml [meetings]): every
party branch (level 4) holds at least `min_count` meetings of each required type in every slot of
its period (`every`: month / bimonth / quarter / half_year / year).

Definitions shared by every function here, for the as-of date `A` (a future date is treated as
today, see `kpi.periods.effective_as_of`) and the window [W, A] with W = 1 January of A's year
(or an earlier `start`). They live in one place, `SlotGrid`, and every figure reads them there:
- the rule APPLIES to a branch in a slot when the branch existed at the slot's start
  (founded_date IS NULL — long existing — or founded_date ≤ slot_start); for a yearly slot, a
  branch founded during the year owes it when founded before the month
  rules.meeting_yearly_founded_before_month (default October: 组织生活会 is held in Q4);
- a slot is MET when the rule applies and the branch held ≥ min_count meetings of that type
  dated within [slot_start, min(slot_end, A)];
- a slot has ENDED when slot_end ≤ A (data as of A include meetings held on A);
- a slot is OWED (`required`) once it has ended, or earlier if it is already met: "a period is
  owed only once it has ended; a period still running counts only when it is already met";
- a slot is IN PROGRESS (进行中) when the rule applies, it has not ended and it is not met yet:
  neither owed nor missed, shown grey, never red;
- a slot is MISSED when it is owed and not met (so it has ended).
Completion = met ÷ owed slots. A month's slots count as ended on its last day, so nothing changes
on the first day of the next month except meetings held that day (on 1 January the window itself
moves to the new year: completion is None until a slot of the year is met or has ended). A branch
with owed slots and no meetings is 0 % — that is data. A scope with no owed slot has no
completion (None), never 0 %.

Slots come from `kpi.periods` as a small registered frame (≤ 12 per rule) joined to the branches
in SQL, so the work stays in DuckDB for any number of branches.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from kpi.metrics.common import FLAG_COLUMNS, Headline, empty_flags, share_pct
from kpi.org import LEVEL_BRANCH, LEVEL_SECONDARY
from kpi.periods import MONTHS_PER_SLOT, effective_as_of, slot_label, slots_between
from kpi.rules import Rules
from kpi.store import memo
from kpi.store.sql import IN_SUBTREE, in_subtree, with_identifiers
from kpi.store.sqlframes import registered

# Every required slot must be met: the target is the rule itself, not a tunable threshold.
FULL_COMPLETION_PCT = 100.0

# Units at $level that hold branches of the scope: those inside the subtree, and the ancestor of
# a deeper root (a tertiary root seen at secondary level shows its own branches only).
_UNITS_AT_LEVEL = """units_at AS (
    SELECT unit_code, unit_name FROM units
    WHERE level = $level AND (""" + IN_SUBTREE + """
        OR unit_code IN (SELECT ancestor_code FROM unit_paths WHERE unit_code = CAST($root AS VARCHAR))))"""


def window(as_of: dt.date, start: dt.date | None = None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(first day, as-of day) of the window: 1 January of the effective as-of year (or `start`
    when earlier) to the effective as-of date."""
    end = effective_as_of(as_of, today)
    first = dt.date(end.year, 1, 1)
    return (min(start, first) if start else first), end


def owed_if_founded_before(rules: Rules, first: dt.date, every: str) -> dt.date:
    """The day a branch must have been founded before to owe the slot starting on `first`: the day
    after the slot's start (founded on or before it), or, for a yearly slot, the first day of
    rules.meeting_yearly_founded_before_month of that year (a branch founded in September still
    holds its 组织生活会 in the fourth quarter; one founded in October is not asked to)."""
    if every == "year":
        return dt.date(first.year, rules.meeting_yearly_founded_before_month, 1)
    return first + dt.timedelta(days=1)


def slots_frame(rules: Rules, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One row per rule and slot overlapping [start, end]: meeting_type, every, months (per slot),
    min_count, rule_order, slot_no (0, 1, … within the rule), slot_start, slot_end, slot_label,
    founded_before (`owed_if_founded_before`)."""
    rows = [(rule.type, rule.every, MONTHS_PER_SLOT[rule.every], rule.min_count, order, number, first, last,
             slot_label(first, rule.every), owed_if_founded_before(rules, first, rule.every))
            for order, rule in enumerate(rules.meeting_rules)
            for number, (first, last) in enumerate(slots_between(start, end, rule.every))]
    frame = pd.DataFrame(rows, columns=["meeting_type", "every", "months", "min_count", "rule_order", "slot_no",
                                        "slot_start", "slot_end", "slot_label", "founded_before"])
    for col in ("slot_start", "slot_end", "founded_before"):
        frame[col] = pd.to_datetime(frame[col])
    for col in ("months", "min_count"):
        frame[col] = frame[col].astype("int64")
    frame["rule_order"] = frame["rule_order"].astype("int64")
    frame["slot_no"] = frame["slot_no"].astype("int64")
    return frame


@dataclass(frozen=True, eq=False)
class SlotGrid:
    """Every branch of the scope (rows, by unit code) × every rule slot of the window (columns, in
    rules order then date order), with the meetings held in each: the one intermediate every
    figure of this module is computed from, and the one place the definitions of the module
    docstring (applies, met, ended, owed = `required`, in progress, missed) are written."""

    rules: Rules
    root: str | None
    as_of: dt.date          # the effective as-of date
    slots: pd.DataFrame     # one row per column: `slots_frame`
    branches: pd.DataFrame  # one row per row: unit_code, unit_name, founded_date (NaT: long existing)
    held: np.ndarray        # [branch, slot]: meetings of the slot's type in [slot_start, min(slot_end, as_of)]

    @functools.cached_property
    def applies(self) -> np.ndarray:
        """[branch, slot]: the rule applies to the branch in this slot — it has no founding date
        (long existing) or was founded before the slot's `founded_before` day (on or before the
        slot's start; for a yearly slot, before the configured month of the year)."""
        founded = self.branches["founded_date"].to_numpy(dtype="datetime64[D]")[:, None]
        cutoff = self.slots["founded_before"].to_numpy(dtype="datetime64[D]")[None, :]
        return np.isnat(founded) | (founded < cutoff)

    @functools.cached_property
    def ended(self) -> np.ndarray:
        """[slot]: slot_end ≤ as_of (meetings held on the as-of date are in the data)."""
        return self.slots["slot_end"].to_numpy(dtype="datetime64[D]") <= np.datetime64(self.as_of, "D")

    @functools.cached_property
    def met(self) -> np.ndarray:
        """[branch, slot]: the rule applies and held ≥ min_count (False where it does not apply)."""
        return self.applies & (self.held >= self.slots["min_count"].to_numpy()[None, :])

    @functools.cached_property
    def required(self) -> np.ndarray:
        """[branch, slot]: the slot is OWED — it applies and has ended, or is still running but
        already met. A running slot not met yet is neither owed nor missed (`in_progress`), so
        completion does not drop on the first day of a month."""
        return self.applies & (self.ended[None, :] | self.met)

    @functools.cached_property
    def in_progress(self) -> np.ndarray:
        """[branch, slot]: 进行中 — the rule applies, the slot has not ended and is not met yet."""
        return self.applies & ~self.ended[None, :] & ~self.met

    @functools.cached_property
    def missed(self) -> np.ndarray:
        """[branch, slot]: owed and not met (only an ended slot can be missed)."""
        return self.required & ~self.met

    @functools.cached_property
    def codes(self) -> np.ndarray:
        """[branch]: unit codes (a plain array: taken many times, converted once)."""
        return self.branches["unit_code"].to_numpy(dtype=object)

    @functools.cached_property
    def names(self) -> np.ndarray:
        """[branch]: unit names."""
        return self.branches["unit_name"].to_numpy(dtype=object)

    def columns_of(self, meeting_type: str | None = None) -> np.ndarray:
        """Column numbers of one type's slots (all columns for None), in grid order."""
        if meeting_type is None:
            return np.arange(len(self.slots))
        return np.flatnonzero(self.slots["meeting_type"].to_numpy() == meeting_type)


def _held_counts(con: duckdb.DuckDBPyConnection, slots: pd.DataFrame, codes: pd.Series,
                 as_of: dt.date) -> np.ndarray:
    """[branch, slot] meeting counts. A meeting's column is found by arithmetic (slots of k months
    start in months 1, 1+k, … and a type's columns are consecutive), so the database does one
    equality join and returns two integers per meeting; numpy counts them."""
    held = np.zeros(len(codes) * len(slots), dtype=np.int64)
    if held.size:
        types = slots.reset_index(drop=True).reset_index().groupby("meeting_type", sort=False).agg(
            months=("months", "first"), first_day=("slot_start", "min"), base=("index", "min")).reset_index()
        types["first_month"] = types["first_day"].dt.year * 12 + types["first_day"].dt.month
        branches = pd.DataFrame({"unit_code": codes.to_numpy(), "bid": np.arange(len(codes), dtype=np.int64)})
        with registered(con, types) as type_table, registered(con, branches) as branch_table:
            found = con.execute(with_identifiers("""
                SELECT b.bid * $width + r.base + (year(m.date) * 12 + month(m.date) - r.first_month) // r.months
                       AS cell
                FROM meetings m
                JOIN {type_table} r ON m.meeting_type = r.meeting_type
                JOIN {branch_table} b ON b.unit_code = m.unit_code
                WHERE m.date BETWEEN CAST(r.first_day AS DATE) AND CAST($as_of AS DATE)""",
                                                 type_table=type_table, branch_table=branch_table),
                                {"width": len(slots), "as_of": as_of}).fetchnumpy()["cell"]
        held = np.bincount(np.asarray(found, dtype=np.int64), minlength=held.size)
    return held.reshape(len(codes), len(slots))


def _build_grid(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                start: dt.date | None = None, today: dt.date | None = None) -> SlotGrid:
    first, end = window(as_of, start, today)
    slots = slots_frame(rules, first, end)
    branches = con.execute("""
        SELECT unit_code, unit_name, founded_date FROM units
        WHERE level = $level AND """ + IN_SUBTREE + " ORDER BY unit_code",
                           {"level": LEVEL_BRANCH, "root": root}).df()
    branches["founded_date"] = pd.to_datetime(branches["founded_date"])
    return SlotGrid(rules, root, end, slots, branches, _held_counts(con, slots, branches["unit_code"], end))


# A page asks for several figures of the same grid: build it once per store state and arguments.
slot_grid = memo.versioned(maxsize=8)(_build_grid)
slot_grid.__doc__ = """The SlotGrid of the scope `root` at `as_of` (window: `window`), cached per store state."""


def _slot_rows(grid: SlotGrid, rows: np.ndarray, cols: np.ndarray) -> pd.DataFrame:
    """One row per (branch in `rows`, slot in `cols`), branch-major: the grid cells as a table."""
    slots = grid.slots.iloc[cols].reset_index(drop=True)
    n = len(rows)
    required = grid.required[np.ix_(rows, cols)].ravel()
    met = pd.array(grid.met[np.ix_(rows, cols)].ravel(), dtype="boolean")
    met[~required] = pd.NA
    frame = pd.DataFrame({
        "unit_code": np.repeat(grid.codes[rows], len(cols)),
        "unit_name": np.repeat(grid.names[rows], len(cols)),
        **{c: np.tile(slots[c].to_numpy(), n) for c in ("meeting_type", "every", "slot_start", "slot_end",
                                                          "slot_label")},
        "required": required,
        "ended": np.tile(grid.ended[cols], n),
        "in_progress": grid.in_progress[np.ix_(rows, cols)].ravel(),
        "held": grid.held[np.ix_(rows, cols)].ravel(),
        "met": met,
    })
    for c in ("unit_code", "unit_name", "meeting_type", "every", "slot_label"):
        frame[c] = frame[c].astype("str")
    return frame


def meeting_slots(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                  meeting_type: str | None = None, only_with_unmet: bool = False,
                  start: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Every branch × rule slot of the window (the heat map): unit_code, unit_name, meeting_type,
    every, slot_start, slot_end, slot_label, required, ended, in_progress, held, met.

    required = the slot is owed (ended, or running and already met); in_progress = 进行中 (running,
    not met yet: neither owed nor missed); held = meetings of the type dated in
    [slot_start, min(slot_end, as_of)]; met = held ≥ min_count for an owed slot, NULL where the
    slot is not owed (in progress, or before the branch existed). `meeting_type` keeps one type;
    `only_with_unmet` keeps branches with at least one missed slot (of that type when given).
    Rule: 《中国共产党支部工作条例（试行）》 meeting frequencies; definitions: `SlotGrid`.
    """
    grid = slot_grid(con, rules, as_of, root, start, today)
    cols = grid.columns_of(meeting_type)
    rows = np.arange(len(grid.branches))
    if only_with_unmet:
        rows = np.flatnonzero(grid.missed[:, cols].any(axis=1))
    return _slot_rows(grid, rows, cols)


def worst_branches(slots: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The rows of `meeting_slots` for at most `limit` branches: those with the most missed slots
    (owed and not met), ties by unit code; rows keep their order. A heat map of tens of
    thousands of branches cannot be read: it shows the branches needing attention first."""
    if slots.empty or slots["unit_code"].nunique() <= limit:
        return slots
    unmet = (slots["required"] & ~slots["met"].fillna(False).astype(bool)).groupby(slots["unit_code"]).sum()
    ranked = unmet.reset_index(name="unmet").sort_values(["unmet", "unit_code"], ascending=[False, True])
    keep = set(ranked["unit_code"].head(limit))
    return slots[slots["unit_code"].isin(keep)].reset_index(drop=True)


def heatmap_slots(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                  meeting_type: str | None = None, only_with_unmet: bool = False, limit: int = 60,
                  start: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """The heat map's rows: `worst_branches(meeting_slots(...), limit)` — the slots of at most
    `limit` branches, those with the most unmet required slots first."""
    return worst_branches(meeting_slots(con, rules, as_of, root, meeting_type, only_with_unmet, start, today), limit)


def _per_type(grid: SlotGrid) -> pd.DataFrame:
    """Per rule of the window, in rules order: meeting_type, every, min_count, required (owed), met
    and in-progress slots."""
    rows = []
    for meeting_type, rule in grid.slots.groupby("meeting_type", sort=False):
        cols = rule.index.to_numpy()
        rows.append((meeting_type, rule["every"].iloc[0], int(rule["min_count"].iloc[0]),
                     int(grid.required[:, cols].sum()), int(grid.met[:, cols].sum()),
                     int(grid.in_progress[:, cols].sum())))
    return pd.DataFrame(rows, columns=["meeting_type", "every", "min_count", "required_slots", "met_slots",
                                       "in_progress_slots"])


def completion_by_type(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       start: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Per required meeting type: required_slots (owed: ended, or running and already met),
    met_slots, completion_pct = met ÷ owed × 100 (None when no branch of the scope owes a slot of
    that type; a running slot not met yet is in progress, not missed); in_progress_slots = those
    running slots (a type with nothing owed yet but slots in progress is 进行中, not "no data"). Types in rules order.
    Rule: each type at least `min_count` per `every` (《中国共产党支部工作条例（试行）》)."""
    out = _per_type(slot_grid(con, rules, as_of, root, start, today))
    for c in ("meeting_type", "every"):
        out[c] = out[c].astype("str")
    for c in ("min_count", "required_slots", "met_slots", "in_progress_slots"):
        out[c] = out[c].astype("int64")
    out["completion_pct"] = np.where(out["required_slots"] > 0,
                                     out["met_slots"] * 100.0 / out["required_slots"].where(out["required_slots"] > 0),
                                     np.nan)
    return out


def completion_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       level: int = LEVEL_SECONDARY, start: dt.date | None = None,
                       today: dt.date | None = None) -> pd.DataFrame:
    """Per unit at `level` (rolled up from its branches via unit_paths): required_slots,
    met_slots, completion_pct = Σ met ÷ Σ owed slots × 100 (None without an owed slot; owed =
    `SlotGrid.required`: ended, or running and already met);
    branches_total = branches with at least one required slot, branches_complete = those whose
    every required slot is met, branch_compliance_pct = complete ÷ total × 100 (a parent's
    compliance as the share of its complying branches). Rule: all types of rules [meetings]."""
    grid = slot_grid(con, rules, as_of, root, start, today)
    per_branch = pd.DataFrame({"unit_code": grid.codes,
                               "req": grid.required.sum(axis=1, dtype=np.int64),
                               "met": grid.met.sum(axis=1, dtype=np.int64)})
    with registered(con, per_branch) as name:
        return con.execute(with_identifiers(_COMPLETION_BY_UNIT, per_branch=name), {"root": root, "level": level}).df()


_COMPLETION_BY_UNIT = "WITH " + _UNITS_AT_LEVEL + """
            SELECT u.unit_code, u.unit_name,
                   CAST(coalesce(sum(pb.req), 0) AS BIGINT) AS required_slots,
                   CAST(coalesce(sum(pb.met), 0) AS BIGINT) AS met_slots,
                   CASE WHEN sum(pb.req) > 0 THEN sum(pb.met) * 100.0 / sum(pb.req) END AS completion_pct,
                   count(pb.unit_code) FILTER (WHERE pb.req > 0) AS branches_total,
                   count(pb.unit_code) FILTER (WHERE pb.req > 0 AND pb.met = pb.req) AS branches_complete,
                   CASE WHEN count(pb.unit_code) FILTER (WHERE pb.req > 0) > 0
                        THEN count(pb.unit_code) FILTER (WHERE pb.req > 0 AND pb.met = pb.req) * 100.0
                             / count(pb.unit_code) FILTER (WHERE pb.req > 0) END AS branch_compliance_pct
            FROM units_at u
            LEFT JOIN unit_paths p ON p.ancestor_code = u.unit_code
            LEFT JOIN {per_branch} pb ON pb.unit_code = p.unit_code
            GROUP BY u.unit_code, u.unit_name
            ORDER BY u.unit_code"""


def meeting_headline(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                     start: dt.date | None = None, today: dt.date | None = None) -> Headline:
    """Overall completion (组织生活完成率) = Σ met ÷ Σ owed slots × 100 over every branch and type of
    the scope, a slot being owed once it has ended or, still running, once it is met
    (`SlotGrid.required`); target 100 (every owed meeting held); None when nothing is owed. It
    does not drop on the first day of a month: the month just begun is in progress, not missed."""
    grid = slot_grid(con, rules, as_of, root, start, today)
    required, met = int(grid.required.sum()), int(grid.met.sum())
    return Headline("meetings.headline.completion", share_pct(met, required), FULL_COMPLETION_PCT,
                    numerator=met, denominator=required)


_ATTENDANCE_WHERE = ("m.date BETWEEN $first AND $as_of AND m.expected IS NOT NULL AND m.attended IS NOT NULL "
                     "AND " + in_subtree("m.unit_code"))


def attendance(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
               level: int = LEVEL_SECONDARY, start: dt.date | None = None,
               today: dt.date | None = None) -> pd.DataFrame:
    """Per unit at `level`: meetings (records counted), attended = Σ 实到, expected = Σ 应到,
    attendance_pct = Σ attended ÷ Σ expected × 100 over meetings of any type dated in the window;
    rows with 应到 or 实到 empty are left out; None when nothing is left (no data, not 0 %).
    No rule sets a minimum: this is shown for judgement, not flagged."""
    first, end = window(as_of, start, today)
    return con.execute("WITH " + _UNITS_AT_LEVEL + """
        SELECT u.unit_code, u.unit_name, count(m.unit_code) AS meetings,
               CAST(sum(m.attended) AS BIGINT) AS attended, CAST(sum(m.expected) AS BIGINT) AS expected,
               CASE WHEN sum(m.expected) > 0 THEN sum(m.attended) * 100.0 / sum(m.expected) END
                   AS attendance_pct
        FROM units_at u
        LEFT JOIN unit_paths p ON p.ancestor_code = u.unit_code
        LEFT JOIN meetings m ON m.unit_code = p.unit_code AND """ + _ATTENDANCE_WHERE + """
        GROUP BY u.unit_code, u.unit_name ORDER BY u.unit_code""",
                       {"root": root, "level": level, "first": first, "as_of": end}).df()


def attendance_headline(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                        start: dt.date | None = None, today: dt.date | None = None) -> Headline:
    """Attendance over the scope = Σ 实到 ÷ Σ 应到 × 100 (rows with either empty left out);
    no target (no rule sets one); None when nothing is recorded."""
    first, end = window(as_of, start, today)
    attended, expected = con.execute("""
        SELECT coalesce(sum(m.attended), 0), coalesce(sum(m.expected), 0) FROM meetings m
        WHERE """ + _ATTENDANCE_WHERE, {"root": root, "first": first, "as_of": end}).fetchall()[0]
    return Headline("meetings.headline.attendance", share_pct(int(attended), int(expected)), None,
                    numerator=int(attended), denominator=int(expected))


def _longest_runs(missed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a [branch, slot] boolean matrix: the length of its longest run of True and the
    column where that run ends (the latest run on a tie; -1 without any True)."""
    run = np.zeros(len(missed), dtype=np.int64)
    best, best_end = run.copy(), np.full(len(missed), -1, dtype=np.int64)
    for col in range(missed.shape[1]):
        run = np.where(missed[:, col], run + 1, 0)
        longer = (run > 0) & (run >= best)
        best[longer], best_end[longer] = run[longer], col
    return best, best_end


def gap_branches(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                 start: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Branches that missed ≥ rules.meeting_gap_slots required slots of one type in a row:
    unit_code, unit_name, meeting_type, every, gap_slots (length of the run), first_slot,
    last_slot, slots (labels). One row per branch and type: its longest run (latest on a tie).

    Only MISSED slots count (`SlotGrid.missed`: owed and not met, so ended): the running slot can
    still be met before it ends, so counting it would flag a branch that has done nothing wrong
    yet. Rule: rules [meetings] gap_slots (连续未按期召开即预警)."""
    grid = slot_grid(con, rules, as_of, root, start, today)
    # A branch's applicable slots of a type are consecutive (from its founding on) and the ended
    # ones come first, so a run of missed slots is a run of True along the row.
    missed = grid.missed
    parts = []
    for order, (meeting_type, rule) in enumerate(grid.slots.groupby("meeting_type", sort=False)):
        cols = rule.index.to_numpy()
        length, last = _longest_runs(missed[:, cols])
        rows = np.flatnonzero(length >= rules.meeting_gap_slots)
        labels = rule["slot_label"].to_numpy()
        starts = rule["slot_start"].to_numpy()
        first = last[rows] - length[rows] + 1
        parts.append(pd.DataFrame({
            "bid": rows, "order": order,
            "unit_code": grid.codes[rows], "unit_name": grid.names[rows],
            "meeting_type": meeting_type, "every": rule["every"].iloc[0],
            "gap_slots": length[rows], "first_slot": starts[first], "last_slot": starts[last[rows]],
            "slots": ["、".join(labels[a:b + 1]) for a, b in zip(first, last[rows])]}))
    columns = ["unit_code", "unit_name", "meeting_type", "every", "gap_slots", "first_slot", "last_slot", "slots"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    out = pd.concat(parts, ignore_index=True).sort_values(["bid", "order"], kind="stable")[columns]
    for c in ("unit_code", "unit_name", "meeting_type", "every", "slots"):
        out[c] = out[c].astype("str")
    out["gap_slots"] = out["gap_slots"].astype("int64")
    return out.reset_index(drop=True)


class MissedRun(NamedTuple):
    """The detail of a 'meetings_gap' red flag, as data: the meeting type (its stored value) and the
    labels of the slots missed in a row, as `gap_branches` joins them ('2025-03、2025-04').
    kpi.display.overview words it in the UI language."""

    meeting_type: str
    slots: str


def meeting_flags(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                  today: dt.date | None = None) -> pd.DataFrame:
    """Red flags (FLAG_COLUMNS) of organisational life:
    - 'meetings_gap', one per branch and type in `gap_branches`: actual = missed slots in a row,
      required = rules.meeting_gap_slots, gap = actual, detail = MissedRun (type and slot labels);
    - 'meetings_below', one per secondary unit whose completion (met ÷ required slots) is below
      rules.meeting_flag_below_pct: actual = completion (1 decimal), required = the threshold,
      gap = required − actual in points, detail = 'met/required' slots."""
    gaps = gap_branches(con, rules, as_of, root, today=today)
    units = completion_by_unit(con, rules, as_of, root, LEVEL_SECONDARY, today=today)
    rows = [{"unit_code": g.unit_code, "unit_name": g.unit_name, "level": LEVEL_BRANCH, "rule": "meetings_gap",
             "actual": int(g.gap_slots), "required": rules.meeting_gap_slots, "gap": int(g.gap_slots),
             "detail": MissedRun(g.meeting_type, g.slots)}
            for g in gaps.itertuples()]
    below = units[units["completion_pct"].notna()
                  & (units["completion_pct"] < rules.meeting_flag_below_pct)]
    for u in below.itertuples():
        actual = round(float(u.completion_pct), 1)
        rows.append({"unit_code": u.unit_code, "unit_name": u.unit_name, "level": LEVEL_SECONDARY,
                     "rule": "meetings_below", "actual": actual, "required": rules.meeting_flag_below_pct,
                     "gap": round(rules.meeting_flag_below_pct - actual, 1),
                     "detail": f"{int(u.met_slots)}/{int(u.required_slots)}"})
    return pd.DataFrame(rows, columns=FLAG_COLUMNS, dtype=object) if rows else empty_flags()


def branch_calendar(con: duckdb.DuckDBPyConnection, rules: Rules, unit_code: str, year: int,
                    as_of: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """One branch's year, per rule type and slot: slot_start, slot_end, slot_label, required,
    ended, in_progress, held, met (as in `meeting_slots`: a running slot not met yet is in
    progress, not owed) and the dates (MM-DD) of the meetings counted. Slots run from 1 January to
    the end of `year`, or to the (effective) as-of date when earlier; none when that lies before
    the year."""
    end = min(dt.date(year, 12, 31), effective_as_of(as_of or dt.date(year, 12, 31), today))
    # One branch: built directly, so that browsing calendars does not push the scope's grid out
    # of the shared cache.
    grid = _build_grid(con, rules, end, unit_code, None, today)
    rows = np.flatnonzero(grid.codes == unit_code)
    if end < dt.date(year, 1, 1):
        rows = rows[:0]
    cal = _slot_rows(grid, rows, grid.columns_of()).drop(columns=["unit_code", "unit_name"])
    held = con.execute("""
        SELECT meeting_type, date FROM meetings WHERE unit_code = $unit_code AND date BETWEEN $start AND $as_of
        ORDER BY date""",
        {"unit_code": unit_code, "start": window(end, None, today)[0], "as_of": grid.as_of}).fetchall()
    dates = []
    for slot in cal.itertuples():
        days = [d.strftime("%m-%d") for kind, d in held
                if kind == slot.meeting_type and slot.slot_start.date() <= d <= slot.slot_end.date()]
        dates.append(", ".join(days) if days else None)
    cal["dates"] = pd.array(dates, dtype="str")
    return cal


def branch_meetings(con: duckdb.DuckDBPyConnection, unit_code: str, year: int, as_of: dt.date | None = None,
                    today: dt.date | None = None) -> pd.DataFrame:
    """Every meeting record of one branch in `year` up to the (effective) as-of date when given
    (any type, 谈心谈话 included): date, meeting_type, topic, expected, attended, in date order."""
    until = effective_as_of(as_of or dt.date(year, 12, 31), today)
    return con.execute("""
        SELECT date, meeting_type, topic, expected, attended FROM meetings
        WHERE unit_code = $unit_code AND year(date) = $year AND date <= $until ORDER BY date, meeting_type""",
                       {"unit_code": unit_code, "year": year, "until": until}).df()


def meeting_records_in_scope(con: duckdb.DuckDBPyConnection, root: str | None = None) -> int:
    """How many meeting records exist for branches of the scope (any date): 0 means no data."""
    return int(con.execute("SELECT count(*) FROM meetings m WHERE " + in_subtree("m.unit_code"),
                           {"root": root}).fetchall()[0][0])
