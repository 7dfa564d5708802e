"""The unit × rule matrix (单位×规则矩阵): who fails which rule, at a glance.

Rows are the units one level below the scope (`levels.level_below_root`: the secondary units for
the whole group), worst first; columns are the rules of `MATRIX_RULES`. Every cell's value is the
value the card or page of that rule shows for that unit — each column calls the metric function
that owns the figure, nothing is recomputed here:

- funds / weight / party_staff: `annual.funds_by_unit`, `weight_by_unit`, `party_staff_by_unit`
  (fund ratio %, assessment weight %, party-affairs staff % of staff; red = `meets_*` is false;
  a figure the unit owes and has not sent (`<rule>_status` not_reported, 未报送) is red when rules
  [annual] not_reported_counts_as = "failing", as the cards count it, else grey);
- meetings: `meetings.completion_by_unit` (met ÷ required slots %; red below
  rules.meeting_flag_below_pct, the threshold of the red-flag list);
- standardisation: `ratings.compliance_by_unit` (compliant ÷ rated branches %; red = below target);
- overdue: `problems.problem_headlines(root=unit)['overdue']` (open problems past their deadline),
  for all rows at once by `problems.problem_headlines_by_unit`;
- supervision: `coverage.coverage(root=unit, level=the unit's level)` with rules.supervision_kinds
  over the year (0 or 100 %: the unit itself visited or not; grey where the unit's level is not in
  rules.supervision_levels), for all rows at once by `coverage.coverage_by_unit`;
- inspection: `overview.inspection_cycle_coverage(root=unit)` (units of rules.inspection_levels in
  the unit's subtree inspected this cycle, %), for all rows at once by
  `overview.inspection_cycle_coverage_by_unit`;
- unreported: how many of the three annual rules the unit has not reported for the year (未报送,
  `<rule>_status` of the same three frames: the units the cards count as not reported); grey for a
  unit that owes no annual row (its level does not report, rules [annual] levels).

The per-row figures are computed set-wise (one statement for all rows, grouped by the row's unit
through unit_paths), so the matrix of 200 rows costs about what one of 10 does; tests/test_matrix.py
checks every cell against the scope-wide function called with the unit as its root.

Rows are the children only, also where the scope's own unit has figures of its own (the cards and
the funds page count it, kpi.metrics.annual `with_root`): a row sums up a child's subtree.

Status: 'red' breaks the rule, 'grey' no data or not applicable, 'amber' at risk as set in
rules [matrix] (`kpi.rules.MatrixBands`), else 'green'.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from kpi.metrics import annual, coverage, meetings, overview, problems, ratings
from kpi.metrics.levels import level_below_root
from kpi.rules import Rules

RED, AMBER, GREEN, GREY = "red", "amber", "green", "grey"
STATUSES = (RED, AMBER, GREEN, GREY)
MATRIX_RULES = ("funds", "weight", "party_staff", "meetings", "standardisation", "overdue", "supervision",
                "inspection", "unreported")
# The annual rules a unit reports on each year; one not reported makes 未报送 amber, all red.
ANNUAL_FIELDS = annual.ANNUAL_RULES
CELL_COLUMNS = ["unit_code", "rule", "status", "value", "target", "numerator", "denominator", "note"]
# `note` of an annual cell whose unit owes the figure and has not sent it (未报送).
NOT_REPORTED = annual.NOT_REPORTED


@dataclass(frozen=True)
class RuleMatrix:
    """`units`: unit_code, unit_name, level, red, amber (counts of such cells), worst first (most red,
    then most amber, then unit code). `cells`: one row per unit and rule (CELL_COLUMNS): status,
    value (None = no data), target (the rule's threshold, None where none), numerator / denominator
    (the counts behind a share, where there are some), note (NOT_REPORTED for an annual figure the
    unit owes and has not sent, else None)."""

    as_of: dt.date
    root: str | None
    units: pd.DataFrame
    cells: pd.DataFrame

    def cell(self, unit_code: str, rule: str) -> dict:
        """The cell of one unit and rule as a dict of CELL_COLUMNS."""
        rows = self.cells[(self.cells.unit_code == unit_code) & (self.cells.rule == rule)]
        return rows.iloc[0].to_dict()

    def statuses(self) -> pd.DataFrame:
        """unit_code × rule table of statuses, rows in matrix order, columns in MATRIX_RULES order."""
        grid = self.cells.pivot(index="unit_code", columns="rule", values="status")
        return grid.loc[list(self.units.unit_code), list(MATRIX_RULES)]


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _ratio_status(meets, value: float | None, threshold: float, near_pct: float) -> str:
    """A '≥ threshold' rule judged by the metric's own `meets`: amber when met by less than
    near_pct % of the threshold."""
    if value is None or meets is None or pd.isna(meets):
        return GREY
    if not bool(meets):
        return RED
    return AMBER if value < threshold * (1 + near_pct / 100) else GREEN


def _share_status(value: float | None, red_below: float, full: float = 100.0) -> str:
    """A share: red below `red_below`, amber from there up to (not including) `full`."""
    if value is None:
        return GREY
    if value < red_below:
        return RED
    return AMBER if value < full else GREEN


def _cell(unit: str, rule: str, status: str, value, target=None, numerator=None, denominator=None,
          note: str | None = None) -> dict:
    return {"unit_code": unit, "rule": rule, "status": status, "value": _num(value), "target": _num(target),
            "numerator": numerator, "denominator": denominator, "note": note}


def _annual_cells(con, rules: Rules, as_of: dt.date, root: str | None, level: int) -> list[dict]:
    funds = annual.funds_by_unit(con.cursor(), rules, as_of, root, level, with_root=False).set_index("unit_code")
    weight = annual.weight_by_unit(con.cursor(), rules, as_of, root, level, with_root=False).set_index("unit_code")
    staff = annual.party_staff_by_unit(con.cursor(), rules, as_of, root, level,
                                       with_root=False).set_index("unit_code")
    near = rules.matrix.near_pct
    out = []
    for code in funds.index:
        f, w, s = funds.loc[code], weight.loc[code], staff.loc[code]
        checks = (("funds", f.meets_funds, f.fund_ratio_pct, rules.funds_min_ratio_pct, f.funds_ratio_status),
                  ("weight", w.meets_weight, w.assessment_weight_pct, rules.assessment_min_weight_pct,
                   w.assessment_weight_status),
                  ("party_staff", s.meets_party_staff, s.party_staff_ratio_pct, rules.party_staff_min_ratio_pct,
                   s.party_staff_status))
        for rule, meets, value, threshold, reported in checks:
            if reported == NOT_REPORTED:
                # the cards count a unit that owes the figure and sent none as failing, or leave it out of
                # the share, as rules [annual] not_reported_counts_as says: the cell follows them
                status = RED if rules.annual.counts_as_failing else GREY
                out.append(_cell(code, rule, status, None, threshold, note=NOT_REPORTED))
            else:
                out.append(_cell(code, rule, _ratio_status(meets, _num(value), threshold, near), value, threshold))
        statuses = [f.funds_ratio_status, w.assessment_weight_status, s.party_staff_status]
        if all(pd.isna(v) for v in statuses):   # owes no annual row and sent none
            out.append(_cell(code, "unreported", GREY, None))
            continue
        missing = sum(1 for v in statuses if v == annual.NOT_REPORTED)
        status = GREEN if missing == 0 else (RED if missing == len(ANNUAL_FIELDS) else AMBER)
        out.append(_cell(code, "unreported", status, missing, 0, missing, len(ANNUAL_FIELDS)))
    return out


def _meeting_cells(con, rules: Rules, as_of: dt.date, root: str | None, level: int,
                   today: dt.date | None) -> list[dict]:
    done = meetings.completion_by_unit(con.cursor(), rules, as_of, root, level=level, today=today)
    return [_cell(r.unit_code, "meetings", _share_status(_num(r.completion_pct), rules.meeting_flag_below_pct,
                                                          meetings.FULL_COMPLETION_PCT),
                  r.completion_pct, rules.meeting_flag_below_pct, int(r.met_slots), int(r.required_slots))
            for r in done.itertuples()]


def _standardisation_cells(con, rules: Rules, as_of: dt.date, root: str | None, level: int) -> list[dict]:
    by_unit = ratings.compliance_by_unit(con.cursor(), rules, as_of, root, level)
    return [_cell(r.unit_code, "standardisation",
                  _share_status(_num(r.compliance_pct), rules.standardisation_target_pct),
                  r.compliance_pct, rules.standardisation_target_pct, int(r.compliant), int(r.rated))
            for r in by_unit.itertuples()]


def _overdue_cells(con, rules: Rules, as_of: dt.date, root: str | None, level: int,
                   codes: list[str]) -> list[dict]:
    few = rules.matrix.overdue_few
    out = []
    for code, headlines in problems.problem_headlines_by_unit(con.cursor(), as_of, root, level, codes).items():
        overdue = headlines["overdue"]
        if overdue.value is None:
            status = GREY
        else:
            status = GREEN if overdue.value == 0 else (AMBER if overdue.value <= few else RED)
        out.append(_cell(code, "overdue", status, overdue.value, overdue.target, overdue.numerator,
                         overdue.denominator))
    return out


def _supervision_cells(con, rules: Rules, as_of: dt.date, root: str | None, level: int,
                       codes: list[str]) -> list[dict]:
    """Whether each unit itself was visited: its own subtree's coverage at its own level is the unit alone."""
    if level not in rules.supervision_levels:
        return [_cell(code, "supervision", GREY, None) for code in codes]
    visits = coverage.coverage_by_unit(con.cursor(), rules, as_of, root, level, (level,), rules.supervision_kinds,
                                       "year").set_index("unit_code")
    out = []
    for code in codes:
        if code not in visits.index:   # not founded yet at as_of: no unit to visit
            out.append(_cell(code, "supervision", GREY, None))
            continue
        covered, units = int(visits.at[code, "covered"]), int(visits.at[code, "units"])
        out.append(_cell(code, "supervision", GREEN if covered == units else RED, visits.at[code, "coverage_pct"],
                         coverage.FULL_COVERAGE_PCT, covered, units))
    return out


def _inspection_cells(con, rules: Rules, as_of: dt.date, root: str | None, level: int,
                      codes: list[str]) -> list[dict]:
    out = []
    for code, cycle in overview.inspection_cycle_coverage_by_unit(con, rules, as_of, root, level, codes).items():
        if cycle.value is None:
            status = GREY
        else:
            status = GREEN if cycle.numerator == cycle.denominator else (RED if cycle.numerator == 0 else AMBER)
        out.append(_cell(code, "inspection", status, cycle.value, cycle.target, cycle.numerator,
                         cycle.denominator))
    return out


def rule_matrix(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
                today: dt.date | None = None) -> RuleMatrix:
    """The unit × rule matrix of the scope `root` (None = the whole group) at `as_of` (see the module
    docstring for each column's metric and status)."""
    level = level_below_root(con, root)
    cells = _annual_cells(con, rules, as_of, root, level)
    names = annual.funds_by_unit(con.cursor(), rules, as_of, root, level, with_root=False)[["unit_code", "unit_name"]]
    cells += _meeting_cells(con, rules, as_of, root, level, today)
    cells += _standardisation_cells(con, rules, as_of, root, level)
    codes = list(names.unit_code)
    cells += _overdue_cells(con, rules, as_of, root, level, codes)
    cells += _supervision_cells(con, rules, as_of, root, level, codes)
    cells += _inspection_cells(con, rules, as_of, root, level, codes)
    frame = pd.DataFrame(cells, columns=CELL_COLUMNS)
    frame[["numerator", "denominator"]] = frame[["numerator", "denominator"]].astype("Int64")
    # completion_by_unit also lists a deeper root's ancestor: keep the units of the rows only.
    frame = frame[frame.unit_code.isin(set(names.unit_code))]
    frame["order"] = frame.rule.map({r: i for i, r in enumerate(MATRIX_RULES)})
    counts = frame.pivot_table(index="unit_code", columns="status", values="rule", aggfunc="count", fill_value=0)
    units = names.assign(level=level,
                         red=names.unit_code.map(counts.get(RED, pd.Series(dtype=int))).fillna(0).astype(int),
                         amber=names.unit_code.map(counts.get(AMBER, pd.Series(dtype=int))).fillna(0).astype(int))
    units = units.sort_values(["red", "amber", "unit_code"], ascending=[False, False, True]).reset_index(drop=True)
    rank = {code: i for i, code in enumerate(units.unit_code)}
    frame = (frame.assign(row=frame.unit_code.map(rank)).sort_values(["row", "order"])
             .drop(columns=["row", "order"]).reset_index(drop=True))
    return RuleMatrix(as_of, root, units, frame)
