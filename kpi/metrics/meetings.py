"""Organisational life (三会一课): meeting completion per required slot, attendance, gaps.

The rule (《中国共产党支部工作条例（试行）》, as configured in data/rules.toml [meetings]): every
party branch (level 4) holds at least `min_count` meetings of each required type in every slot of
its period (`every`: month / bimonth / quarter / half_year / year).

Definitions shared by every function here, for the as-of date `A` (a future date is treated as
today, see `kpi.periods.effective_as_of`) and the window [W, A] with W = 1 January of A's year
(or an earlier `start`):
- a slot is REQUIRED when it has begun (slot_start ≤ A) and the branch existed at its start
  (founded_date IS NULL — long existing — or founded_date ≤ slot_start);
- a slot is MET when the branch held ≥ min_count meetings of that type dated within
  [slot_start, min(slot_end, A)];
- a slot has ENDED when slot_end ≤ A (data as of A include meetings held on A).
A branch with required slots and no meetings is 0 % — that is data. A scope with no required slot
has no completion (None), never 0 %.

Slots come from `kpi.periods` as a small registered frame (≤ 12 per rule) joined to the branches
in SQL, so the work stays in DuckDB for any number of branches.
"""
from __future__ import annotations

import datetime as dt
import uuid
from contextlib import contextmanager

import duckdb
import pandas as pd

from kpi.i18n import enum_label, t
from kpi.metrics.common import FLAG_COLUMNS, Headline, empty_flags, share_pct
from kpi.org import LEVEL_BRANCH, LEVEL_SECONDARY
from kpi.periods import MONTHS_PER_SLOT, effective_as_of, slot_label, slots_between
from kpi.rules import Rules

# Every required slot must be met: the target is the rule itself, not a tunable threshold.
FULL_COMPLETION_PCT = 100.0

_IN_SCOPE = ("(CAST($root AS VARCHAR) IS NULL OR {col} IN "
             "(SELECT unit_code FROM unit_paths WHERE ancestor_code = CAST($root AS VARCHAR)))")

# Units at $level that hold branches of the scope: those inside the subtree, and the ancestor of
# a deeper root (a tertiary root seen at secondary level shows its own branches only).
_UNITS_AT_LEVEL = f"""units_at AS (
    SELECT unit_code, unit_name FROM units
    WHERE level = $level AND ({_IN_SCOPE.format(col="unit_code")}
        OR unit_code IN (SELECT ancestor_code FROM unit_paths WHERE unit_code = CAST($root AS VARCHAR))))"""


def window(as_of: dt.date, start: dt.date | None = None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(first day, as-of day) of the window: 1 January of the effective as-of year (or `start`
    when earlier) to the effective as-of date."""
    end = effective_as_of(as_of, today)
    first = dt.date(end.year, 1, 1)
    return (min(start, first) if start else first), end


def slots_frame(rules: Rules, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One row per rule and slot overlapping [start, end]: meeting_type, every, months (per slot),
    min_count, rule_order, slot_no (0, 1, … within the rule), slot_start, slot_end, slot_label."""
    rows = [(rule.type, rule.every, MONTHS_PER_SLOT[rule.every], rule.min_count, order, number, first, last,
             slot_label(first, rule.every))
            for order, rule in enumerate(rules.meeting_rules)
            for number, (first, last) in enumerate(slots_between(start, end, rule.every))]
    frame = pd.DataFrame(rows, columns=["meeting_type", "every", "months", "min_count", "rule_order", "slot_no",
                                        "slot_start", "slot_end", "slot_label"])
    for col in ("slot_start", "slot_end"):
        frame[col] = pd.to_datetime(frame[col])
    for col in ("months", "min_count"):
        frame[col] = frame[col].astype("int64")
    frame["rule_order"] = frame["rule_order"].astype("int64")
    frame["slot_no"] = frame["slot_no"].astype("int64")
    return frame


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame):
    name = f"meeting_slots_{uuid.uuid4().hex}"
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def _slot_status_cte(slots: str) -> str:
    """CTE `slot_status`: every branch in scope × every slot, with required / ended / held / met.
    Binds $root and $as_of."""
    return f"""
    slots AS (
        SELECT meeting_type, every, months, min_count, rule_order, slot_no, CAST(slot_start AS DATE) AS slot_start,
               CAST(slot_end AS DATE) AS slot_end, slot_label FROM {slots}),
    -- Branches and types get integer ids so that grouping and joining millions of meetings
    -- works on numbers, not on unit codes and type names.
    branches AS MATERIALIZED (
        SELECT unit_code, unit_name, founded_date, row_number() OVER (ORDER BY unit_code) AS bid FROM units
        WHERE level = {LEVEL_BRANCH} AND {_IN_SCOPE.format(col="unit_code")}),
    rule_types AS (
        SELECT meeting_type, any_value(months) AS months, min(slot_start) AS first_day,
               min(rule_order) AS tid
        FROM slots GROUP BY meeting_type),
    held AS (
        -- A meeting's slot is found by arithmetic (slots of k months start in months 1, 1+k, …),
        -- an equality join that scales, instead of a range join on dates.
        SELECT b.bid, r.tid,
               make_date(year(m.date), (month(m.date) - 1) // r.months * r.months + 1, 1) AS slot_start,
               count(*) AS held, string_agg(strftime(m.date, '%m-%d'), ', ' ORDER BY m.date) AS dates
        FROM meetings m
        JOIN rule_types r ON m.meeting_type = r.meeting_type
        JOIN branches b ON b.unit_code = m.unit_code
        WHERE m.date BETWEEN r.first_day AND CAST($as_of AS DATE)
        GROUP BY ALL),
    slot_status AS (
        SELECT b.unit_code, b.unit_name, s.meeting_type, s.every, s.min_count, s.rule_order, s.slot_no,
               s.slot_start, s.slot_end, s.slot_label,
               (b.founded_date IS NULL OR b.founded_date <= s.slot_start) AS required,
               s.slot_end <= CAST($as_of AS DATE) AS ended,
               coalesce(h.held, 0) AS held, h.dates,
               CASE WHEN b.founded_date IS NULL OR b.founded_date <= s.slot_start
                    THEN coalesce(h.held, 0) >= s.min_count END AS met
        FROM branches b CROSS JOIN (SELECT s.*, r.tid FROM slots s JOIN rule_types r USING (meeting_type)) s
        LEFT JOIN held h ON h.bid = b.bid AND h.tid = s.tid AND h.slot_start = s.slot_start)"""


def _query(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None,
           select: str, params: dict | None = None, start: dt.date | None = None,
           today: dt.date | None = None) -> pd.DataFrame:
    first, end = window(as_of, start, today)
    with _registered(con, slots_frame(rules, first, end)) as name:
        sql = f"WITH {_slot_status_cte(name)} {select}"
        return con.execute(sql, {"root": root, "as_of": end, **(params or {})}).df()


def meeting_slots(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                  meeting_type: str | None = None, only_with_unmet: bool = False,
                  start: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Every branch × rule slot of the window (the heat map): unit_code, unit_name, meeting_type,
    every, slot_start, slot_end, slot_label, required, ended, held, met.

    held = meetings of the type dated in [slot_start, min(slot_end, as_of)];
    met = held ≥ min_count for a required slot, NULL (not required) before the branch existed.
    `meeting_type` keeps one type; `only_with_unmet` keeps branches with at least one unmet slot
    (of that type when given). Rule: 《中国共产党支部工作条例（试行）》 meeting frequencies.
    """
    return _query(con, rules, as_of, root, """
        SELECT unit_code, unit_name, meeting_type, every, slot_start, slot_end, slot_label,
               required, ended, held, met
        FROM slot_status
        WHERE (CAST($type AS VARCHAR) IS NULL OR meeting_type = $type)
          AND (NOT $only_unmet OR unit_code IN (
                SELECT unit_code FROM slot_status WHERE required AND NOT met
                AND (CAST($type AS VARCHAR) IS NULL OR meeting_type = $type)))
        ORDER BY unit_code, rule_order, slot_start""",
                  {"type": meeting_type, "only_unmet": only_with_unmet}, start, today)


def completion_by_type(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       start: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Per required meeting type: required_slots, met_slots, completion_pct = met ÷ required × 100
    (None when no branch of the scope has a required slot of that type). Types in rules order.
    Rule: each type at least `min_count` per `every` (《中国共产党支部工作条例（试行）》)."""
    return _query(con, rules, as_of, root, """
        SELECT r.meeting_type, r.every, r.min_count,
               count(st.unit_code) FILTER (WHERE st.required) AS required_slots,
               count(st.unit_code) FILTER (WHERE st.met) AS met_slots,
               CASE WHEN count(st.unit_code) FILTER (WHERE st.required) > 0
                    THEN count(st.unit_code) FILTER (WHERE st.met) * 100.0
                         / count(st.unit_code) FILTER (WHERE st.required) END AS completion_pct
        FROM (SELECT DISTINCT meeting_type, every, min_count, rule_order FROM slots) r
        LEFT JOIN slot_status st ON st.meeting_type = r.meeting_type
        GROUP BY r.meeting_type, r.every, r.min_count, r.rule_order
        ORDER BY r.rule_order""", None, start, today)


def completion_by_unit(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                       level: int = LEVEL_SECONDARY, start: dt.date | None = None,
                       today: dt.date | None = None) -> pd.DataFrame:
    """Per unit at `level` (rolled up from its branches via unit_paths): required_slots,
    met_slots, completion_pct = Σ met ÷ Σ required slots × 100 (None without a required slot);
    branches_total = branches with at least one required slot, branches_complete = those whose
    every required slot is met, branch_compliance_pct = complete ÷ total × 100 (a parent's
    compliance as the share of its complying branches). Rule: all types of rules [meetings]."""
    return _query(con, rules, as_of, root, f"""
        , {_UNITS_AT_LEVEL},
        per_branch AS (
            SELECT unit_code, count(*) FILTER (WHERE required) AS req, count(*) FILTER (WHERE met) AS met
            FROM slot_status GROUP BY unit_code)
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
        LEFT JOIN per_branch pb ON pb.unit_code = p.unit_code
        GROUP BY u.unit_code, u.unit_name
        ORDER BY u.unit_code""", {"level": level}, start, today)


def meeting_headline(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                     start: dt.date | None = None, today: dt.date | None = None) -> Headline:
    """Overall completion = Σ met ÷ Σ required slots × 100 over every branch and type of the scope,
    target 100 (every required meeting held); None when no branch has a required slot."""
    row = _query(con, rules, as_of, root, """
        SELECT count(*) FILTER (WHERE required) AS req, count(*) FILTER (WHERE met) AS met
        FROM slot_status""", None, start, today).iloc[0]
    required, met = int(row["req"]), int(row["met"])
    return Headline("meetings.headline.completion", share_pct(met, required), FULL_COMPLETION_PCT,
                    numerator=met, denominator=required)


def _attendance_where() -> str:
    return (f"m.date BETWEEN $first AND $as_of AND m.expected IS NOT NULL AND m.attended IS NOT NULL "
            f"AND {_IN_SCOPE.format(col='m.unit_code')}")


def attendance(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
               level: int = LEVEL_SECONDARY, start: dt.date | None = None,
               today: dt.date | None = None) -> pd.DataFrame:
    """Per unit at `level`: meetings (records counted), attended = Σ 实到, expected = Σ 应到,
    attendance_pct = Σ attended ÷ Σ expected × 100 over meetings of any type dated in the window;
    rows with 应到 or 实到 empty are left out; None when nothing is left (no data, not 0 %).
    No rule sets a minimum: this is shown for judgement, not flagged."""
    first, end = window(as_of, start, today)
    return con.execute(f"""
        WITH {_UNITS_AT_LEVEL}
        SELECT u.unit_code, u.unit_name, count(m.unit_code) AS meetings,
               CAST(sum(m.attended) AS BIGINT) AS attended, CAST(sum(m.expected) AS BIGINT) AS expected,
               CASE WHEN sum(m.expected) > 0 THEN sum(m.attended) * 100.0 / sum(m.expected) END
                   AS attendance_pct
        FROM units_at u
        LEFT JOIN unit_paths p ON p.ancestor_code = u.unit_code
        LEFT JOIN meetings m ON m.unit_code = p.unit_code AND {_attendance_where()}
        GROUP BY u.unit_code, u.unit_name ORDER BY u.unit_code""",
                       {"root": root, "level": level, "first": first, "as_of": end}).df()


def attendance_headline(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: str | None = None,
                        start: dt.date | None = None, today: dt.date | None = None) -> Headline:
    """Attendance over the scope = Σ 实到 ÷ Σ 应到 × 100 (rows with either empty left out);
    no target (no rule sets one); None when nothing is recorded."""
    first, end = window(as_of, start, today)
    attended, expected = con.execute(f"""
        SELECT coalesce(sum(m.attended), 0), coalesce(sum(m.expected), 0) FROM meetings m
        WHERE {_attendance_where()}""", {"root": root, "first": first, "as_of": end}).fetchall()[0]
    return Headline("meetings.headline.attendance", share_pct(int(attended), int(expected)), None,
                    numerator=int(attended), denominator=int(expected))


def gap_branches(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                 start: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Branches that missed ≥ rules.meeting_gap_slots required slots of one type in a row:
    unit_code, unit_name, meeting_type, every, gap_slots (length of the run), first_slot,
    last_slot, slots (labels). One row per branch and type: its longest run (latest on a tie).

    Only ENDED slots count (slot_end ≤ as_of): the running slot can still be met before it ends,
    so counting it would flag a branch that has done nothing wrong yet. Rule: rules
    [meetings] gap_slots (连续未按期召开即预警)."""
    # A branch's required slots of a type are consecutive (from its founding on), so among its
    # unmet ones, slot_no − rank is constant exactly along a run of consecutive misses.
    return _query(con, rules, as_of, root, """
        , runs AS (
            SELECT *, slot_no - row_number() OVER (PARTITION BY unit_code, meeting_type ORDER BY slot_no) AS grp
            FROM slot_status WHERE required AND ended AND NOT met)
        SELECT unit_code, unit_name, meeting_type, every, count(*) AS gap_slots,
               min(slot_start) AS first_slot, max(slot_start) AS last_slot,
               string_agg(slot_label, '、' ORDER BY slot_start) AS slots
        FROM runs
        GROUP BY unit_code, unit_name, meeting_type, every, rule_order, grp
        HAVING count(*) >= $gap
        QUALIFY row_number() OVER (PARTITION BY unit_code, meeting_type
                                   ORDER BY count(*) DESC, min(slot_start) DESC) = 1
        ORDER BY unit_code, rule_order""",
                  {"gap": rules.meeting_gap_slots}, start, today)


def _gap_detail(meeting_type: str, slots: str, lang: str) -> str:
    if lang != "zh":
        slots = slots.replace("、", ", ")
    return t("meetings.flag_detail", lang, type=enum_label(meeting_type, lang), slots=slots)


def meeting_flags(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                  lang: str = "zh", today: dt.date | None = None) -> pd.DataFrame:
    """Red flags (FLAG_COLUMNS) of organisational life:
    - 'meetings_gap', one per branch and type in `gap_branches`: actual = missed slots in a row,
      required = rules.meeting_gap_slots, gap = actual, detail = type and slot labels;
    - 'meetings_below', one per secondary unit whose completion (met ÷ required slots) is below
      rules.meeting_flag_below_pct: actual = completion (1 decimal), required = the threshold,
      gap = required − actual in points, detail = 'met/required' slots.
    `lang` only names the meeting type in `detail`."""
    gaps = gap_branches(con, rules, as_of, root, today=today)
    units = completion_by_unit(con, rules, as_of, root, LEVEL_SECONDARY, today=today)
    rows = [{"unit_code": g.unit_code, "unit_name": g.unit_name, "level": LEVEL_BRANCH, "rule": "meetings_gap",
             "actual": int(g.gap_slots), "required": rules.meeting_gap_slots, "gap": int(g.gap_slots),
             "detail": _gap_detail(g.meeting_type, g.slots, lang)}
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
    ended, held, met and the dates (MM-DD) of the meetings counted. Slots run from 1 January to
    the end of `year`, or to the (effective) as-of date when earlier; none when that lies before
    the year."""
    end = min(dt.date(year, 12, 31), effective_as_of(as_of or dt.date(year, 12, 31), today))
    return _query(con, rules, end, unit_code, """
        SELECT meeting_type, every, slot_start, slot_end, slot_label, required, ended, held, met, dates
        FROM slot_status WHERE $in_year ORDER BY rule_order, slot_start""",
                  {"in_year": end >= dt.date(year, 1, 1)}, None, today)


def branch_meetings(con: duckdb.DuckDBPyConnection, unit_code: str, year: int, as_of: dt.date | None = None,
                    today: dt.date | None = None) -> pd.DataFrame:
    """Every meeting record of one branch in `year` up to the (effective) as-of date when given
    (any type, 谈心谈话 included): date, meeting_type, topic, expected, attended, in date order."""
    until = effective_as_of(as_of or dt.date(year, 12, 31), today)
    return con.execute("""
        SELECT date, meeting_type, topic, expected, attended FROM meetings
        WHERE unit_code = ? AND year(date) = ? AND date <= ? ORDER BY date, meeting_type""",
                       [unit_code, year, until]).df()


def meeting_records_in_scope(con: duckdb.DuckDBPyConnection, root: str | None = None) -> int:
    """How many meeting records exist for branches of the scope (any date): 0 means no data."""
    return int(con.execute(f"SELECT count(*) FROM meetings m WHERE {_IN_SCOPE.format(col='m.unit_code')}",
                           {"root": root}).fetchall()[0][0])
