"""单位画像 (unit profile): every figure of one unit, gathered from the functions that own them.

Nothing is computed here: each figure is the result of one metric function called with
root = the unit's code, so the profile of a unit shows exactly what every page shows when its
scope is that unit. The unit's own annual row is the per-unit annual frame at the unit's own level
(the subtree of a unit at its own level is the unit itself).

Red flags are those of `overview.red_flags(root=unit)`: the whole store's flags raised on units of
its subtree (each rule raises its flag on the level data/rules.toml states, whichever unit is
viewed), counted by `overview.unit_alerts` as the ranking and the briefing count them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from kpi.i18n import TranslatedError
from kpi.metrics import annual, coverage, indicators, meetings, overview, problems, ratings
from kpi.metrics.common import Headline
from kpi.org import LEVEL_BRANCH, breadcrumb
from kpi.rules import Rules
from kpi.store.sql import IN_SUBTREE, in_subtree

RECENT_ACTIVITIES = 10
CHILD_COLUMNS = ["unit_code", "unit_name", "level", "org_type", "member_count", "staff_count", "flag_count",
                 "meeting_completion_pct"]


class UnknownUnit(TranslatedError, LookupError):
    """No unit with this code in the organisation tree (the unit profile asked for one)."""

    key = "profile.unknown_unit"

    def __init__(self, code: str):
        self.code = code
        super().__init__(code=code)


@dataclass(frozen=True)
class UnitInfo:
    """The unit's row of the organisation tree (units dataset)."""

    code: str
    name: str
    level: int
    org_type: str | None
    parent_code: str | None
    member_count: int | None
    staff_count: int | None


@dataclass(frozen=True)
class UnitProfile:
    """Every figure of one unit at `as_of`; each field names the function it comes from.

    unit, breadcrumb (kpi.org.breadcrumb: (code, name) from the top of the tree down to the unit);
    annual — one row: annual.funds_by_unit + weight_by_unit + party_staff_by_unit at the unit's own
      level (fund_ratio_pct vs funds_min_ratio_pct, execution_pct, assessment_weight_pct vs
      assessment_min_weight_pct, party_staff_ratio_pct vs party_staff_min_ratio_pct; NA = no data);
    meeting_completion (meetings.meeting_headline: met ÷ required slots of its branches),
      attendance (meetings.attendance_headline), completion_by_type (meetings.completion_by_type),
      gap_branches (meetings.gap_branches);
    problem_headlines (problems.problem_headlines: overdue / closeout / severe_open), problem_rates
      (problems.problem_rates, one row), overdue_problems (problems.overdue_problems);
    supervision_covered / inspection_covered — coverage.coverage of the unit itself (its level, the
      rule's kinds and window: this year / this inspection cycle), None when the rule does not check
      units of its level; supervision_coverage / inspection_coverage (coverage.supervision_coverage /
      inspection_coverage: per level of its subtree); recent_activities (`recent_activities`);
    standardisation (ratings.standardisation_compliance), ratings_year (ratings.ratings_year),
      six_basics (ratings.six_basics, branches only, else empty), child_compliance
      (ratings.compliance_by_unit, units below it; empty for a branch);
    indicators — per catalogue entry, indicators.indicator_latest of the unit at its own level;
    flags (overview.red_flags(root = unit): those raised on units of its subtree; worded by
      kpi.display.overview.flag_table); alerts — (own_flags, subtree_flags) of overview.unit_alerts, the
      counts the overview's ranking and the briefing use (own_flag_count, flag_count);
    children — units whose parent is the unit, with flag_count and meeting_completion_pct from
      overview.unit_ranking(root = unit, flags = flags).
    """

    unit: UnitInfo
    as_of: dt.date
    breadcrumb: list[tuple[str, str]]
    annual: pd.DataFrame
    meeting_completion: Headline
    attendance: Headline
    completion_by_type: pd.DataFrame
    gap_branches: pd.DataFrame
    problem_headlines: dict[str, Headline]
    problem_rates: pd.DataFrame
    overdue_problems: pd.DataFrame
    supervision_covered: Headline | None
    inspection_covered: Headline | None
    supervision_coverage: pd.DataFrame
    inspection_coverage: pd.DataFrame
    recent_activities: pd.DataFrame
    standardisation: Headline
    ratings_year: int | None
    six_basics: pd.DataFrame
    child_compliance: pd.DataFrame
    indicators: pd.DataFrame
    flags: pd.DataFrame
    children: pd.DataFrame
    alerts: tuple[int, int]

    @property
    def own_flag_count(self) -> int:
        """Red flags raised on the unit itself (own_flags of overview.unit_alerts)."""
        return self.alerts[0]

    @property
    def flag_count(self) -> int:
        """Red flags raised on the unit or any unit below it, each once (subtree_flags of
        overview.unit_alerts: the count the overview ranks the unit by)."""
        return self.alerts[1]


def unit_info(con: duckdb.DuckDBPyConnection, unit_code: str) -> UnitInfo:
    """The unit's row of the tree; UnknownUnit when there is none."""
    row = con.execute("""SELECT unit_code, unit_name, level, org_type, parent_code, member_count, staff_count
                         FROM units WHERE unit_code = $unit_code""", {"unit_code": unit_code}).fetchone()
    if row is None:
        raise UnknownUnit(unit_code)
    code, name, level, org_type, parent, members, staff = row
    return UnitInfo(code, name, int(level), org_type, parent,
                    None if members is None else int(members), None if staff is None else int(staff))


_UNIT_IN_SUBTREE = "SELECT 1 FROM units WHERE unit_code = $code AND " + IN_SUBTREE
_SUBTREE_SIZE = "SELECT count(*) FROM units WHERE " + IN_SUBTREE
_PICKER_UNITS = ("SELECT unit_code, unit_name, level FROM units WHERE " + IN_SUBTREE
                 + " AND ($everything OR level < $branch_level OR unit_code = $current) ORDER BY unit_code")
_RECENT_ACTIVITIES = """
    SELECT s.activity_id, s.unit_code, u.unit_name, s.kind, s.start_date, s.end_date, s.lead, s.findings
    FROM supervision s JOIN units u ON u.unit_code = s.unit_code
    WHERE s.start_date <= $as_of AND """ + in_subtree("s.unit_code") + """
    ORDER BY s.start_date DESC, s.activity_id LIMIT $limit"""


def default_unit(con: duckdb.DuckDBPyConnection, *candidates: str | None, within: str | None = None) -> str | None:
    """The first candidate code that lies in the subtree of `within` (the whole tree when None),
    else `within` itself, else the top of the tree (lowest level, then code); None when there is
    no such unit."""
    for code in (*candidates, within):
        if code and con.execute(_UNIT_IN_SUBTREE, {"code": code, "root": within}).fetchone():
            return code
    if within is not None:
        return None
    row = con.execute("SELECT unit_code FROM units ORDER BY level, unit_code LIMIT 1").fetchone()
    return None if row is None else row[0]


def picker_units(con: duckdb.DuckDBPyConnection, within: str | None, current: str | None,
                 max_units: int = 2000) -> pd.DataFrame:
    """The units a profile picker offers: every unit of the subtree of `within` when there are at
    most `max_units`; otherwise only those above branch level plus `current` (branches of a large
    group are reached from their parent's profile, not from a list of tens of thousands).
    Columns unit_code, unit_name, level, in tree order (by code)."""
    total = con.execute(_SUBTREE_SIZE, {"root": within}).fetchone()[0]
    everything = total <= max_units
    return con.execute(_PICKER_UNITS, {"root": within, "everything": everything, "branch_level": LEVEL_BRANCH,
                                       "current": current}).df()


def recent_activities(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit_code: str,
                      limit: int = RECENT_ACTIVITIES) -> pd.DataFrame:
    """The latest `limit` supervision activities begun by as_of on the unit or any unit below it,
    latest first: activity_id, unit_code, unit_name, kind, start_date, end_date, lead, findings.
    Records as uploaded; no figure is derived from them."""
    df = con.execute(_RECENT_ACTIVITIES, {"as_of": as_of, "root": unit_code, "limit": limit}).df()
    for col in ("start_date", "end_date"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df


def _own_annual(con, rules: Rules, as_of: dt.date, unit: UnitInfo) -> pd.DataFrame:
    parts = [f(con.cursor(), rules, as_of, unit.code, unit.level)
             for f in (annual.funds_by_unit, annual.weight_by_unit, annual.party_staff_by_unit)]
    keys = ["unit_code", "unit_name", "year"]
    return parts[0].merge(parts[1], on=keys).merge(parts[2], on=keys)


def _own_coverage(con, rules: Rules, as_of: dt.date, unit: UnitInfo, levels, kinds, window) -> Headline | None:
    if unit.level not in levels:
        return None
    return coverage.coverage(con.cursor(), rules, as_of, unit.code, unit.level, kinds, window)


def _latest_indicators(con, rules: Rules, as_of: dt.date, unit: UnitInfo, lang: str) -> pd.DataFrame:
    found = indicators.unit_latest(con.cursor(), rules, as_of, unit.code).set_index("code")
    rows = []
    for entry in rules.indicators:
        row = found.loc[entry.code] if entry.code in found.index else pd.Series(dtype=object)
        rows.append({"code": entry.code, "name": entry.name(lang), "measure_unit": entry.unit,
                     "period": row.get("period"), "value": row.get("value"),
                     "reporting_units": row.get("reporting_units"), "target": entry.target,
                     "meets": row.get("meets")})
    out = pd.DataFrame(rows, columns=["code", "name", "measure_unit", "period", "value", "reporting_units",
                                      "target", "meets"])
    out["value"] = out["value"].astype("Float64")
    out["target"] = out["target"].astype("Float64")
    out["reporting_units"] = out["reporting_units"].astype("Int64")
    out["meets"] = out["meets"].astype("boolean")
    return out


def _children(con, rules: Rules, as_of: dt.date, unit: UnitInfo, flags: pd.DataFrame) -> pd.DataFrame:
    tree = con.execute("""SELECT unit_code, unit_name, level, org_type, member_count, staff_count
                          FROM units WHERE parent_code = $code ORDER BY unit_code""", {"code": unit.code}).df()
    if tree.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in CHILD_COLUMNS})
    ranking = overview.unit_ranking(con.cursor(), rules, as_of, unit.code, flags=flags)
    out = tree.merge(ranking[["unit_code", "flag_count", "meeting_completion_pct"]], on="unit_code", how="left")
    out["flag_count"] = out["flag_count"].fillna(0).astype(int)
    return out[CHILD_COLUMNS]


def _own_alerts(alerts: pd.DataFrame, unit: UnitInfo) -> tuple[int, int]:
    """(own_flags, subtree_flags) of the unit's row of `overview.unit_alerts`; (0, 0) for a unit not
    yet founded at the as-of date (it has no row)."""
    row = alerts[alerts["unit_code"] == unit.code]
    return (0, 0) if row.empty else (int(row.iloc[0]["own_flags"]), int(row.iloc[0]["subtree_flags"]))


def unit_profile(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, unit_code: str,
                 lang: str = "zh", today: dt.date | None = None) -> UnitProfile:
    """Every figure of the unit `unit_code` at `as_of` (see UnitProfile for where each comes from).
    Raises UnknownUnit for a code not in the tree."""
    unit = unit_info(con, unit_code)
    code = unit.code
    # A rule judging units of a fixed level may name an ancestor when seen from a deeper root
    # (meetings_below rates a secondary unit on the root's branches): only the subtree's own flags.
    flags = overview.red_flags(con, rules, as_of, code, today=today)
    alerts = overview.unit_alerts(con.cursor(), rules, as_of, code, level=unit.level, flags=flags)
    is_branch = unit.level == LEVEL_BRANCH
    return UnitProfile(
        unit=unit, as_of=as_of, breadcrumb=breadcrumb(con.cursor(), code),
        annual=_own_annual(con, rules, as_of, unit),
        meeting_completion=meetings.meeting_headline(con.cursor(), rules, as_of, code, today=today),
        attendance=meetings.attendance_headline(con.cursor(), as_of, code, today=today),
        completion_by_type=meetings.completion_by_type(con.cursor(), rules, as_of, code, today=today),
        gap_branches=meetings.gap_branches(con.cursor(), rules, as_of, code, today=today),
        problem_headlines=problems.problem_headlines(con.cursor(), as_of, code),
        problem_rates=problems.problem_rates(con.cursor(), as_of, code),
        overdue_problems=problems.overdue_problems(con.cursor(), as_of, code),
        supervision_covered=_own_coverage(con, rules, as_of, unit, rules.supervision_levels,
                                          rules.supervision_kinds, "year"),
        inspection_covered=_own_coverage(con, rules, as_of, unit, rules.inspection_levels,
                                         rules.inspection_kinds, "cycle"),
        supervision_coverage=coverage.supervision_coverage(con.cursor(), rules, as_of, code),
        inspection_coverage=coverage.inspection_coverage(con.cursor(), rules, as_of, code),
        recent_activities=recent_activities(con.cursor(), as_of, code),
        standardisation=ratings.standardisation_compliance(con.cursor(), rules, as_of, code),
        ratings_year=ratings.ratings_year(con.cursor(), as_of, code),
        six_basics=ratings.six_basics(con.cursor(), as_of, code) if is_branch else pd.DataFrame(),
        child_compliance=pd.DataFrame() if is_branch else ratings.compliance_by_unit(con.cursor(), rules, as_of,
                                                                                     code),
        indicators=_latest_indicators(con, rules, as_of, unit, lang),
        flags=flags,
        children=_children(con, rules, as_of, unit, flags),
        alerts=_own_alerts(alerts, unit),
    )
