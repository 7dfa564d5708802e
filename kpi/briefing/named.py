"""The slides that name the units behind the figures: the unit × rule matrix, the units failing an
annual rule (value, rule and gap), the branches that missed meetings in a row, and the overdue
problems (owner and days overdue). Every row comes from a kpi/metrics function at the week's
Sunday; nothing is recomputed here.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.briefing.model import Table
from kpi.display.matrix_text import column_labels, matrix_rows
from kpi.display.meetings import slot_list
from kpi.i18n import enum_label, t
from kpi.metrics import annual, meetings, problems
from kpi.metrics.matrix import MATRIX_RULES, rule_matrix
from kpi.rules import Rules

# Relative column widths (the slide spreads them over its table width).
MATRIX_WIDTHS = [2.7] + [1.1] * len(MATRIX_RULES)


def matrix_table(con, rules: Rules, end: dt.date, root: str | None, lang: str,
                 today: dt.date | None = None) -> Table:
    """The unit × rule matrix (`kpi.metrics.matrix.rule_matrix`) as a coloured table, worst units first."""
    matrix = rule_matrix(con, rules, end, root, today)
    rows = matrix_rows(matrix, lang)
    return Table("matrix", t("matrix.title", lang), column_labels(lang),
                 [[name] + [text for text, _ in cells] for name, cells in rows],
                 [[None] + [status for _, status in cells] for _, cells in rows],
                 MATRIX_WIDTHS, t("matrix.legend", lang))


def _pct(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}%"


def annual_failures(con, rules: Rules, end: dt.date, root: str | None, lang: str) -> Table:
    """Units just below the root (and the scope's own unit) breaking the funds, weight or party-staff
    rule in the as-of year (`annual.funds_by_unit`, `weight_by_unit`, `party_staff_by_unit`), largest
    gap first per rule; then, per rule, the units that have not reported it (未报送) and why."""
    funds = annual.funds_by_unit(con.cursor(), rules, end, root)
    weight = annual.weight_by_unit(con.cursor(), rules, end, root)
    staff = annual.party_staff_by_unit(con.cursor(), rules, end, root)
    rows: list[list[str]] = []
    checks = (
        (funds, "meets_funds", "funds_ratio", "fund_ratio_pct", 2, rules.funds_min_ratio_pct, "shortfall_wan",
         lambda g: t("briefing.list.gap_wan", lang, value=f"{g:,.1f}")),
        (weight, "meets_weight", "assessment_weight", "assessment_weight_pct", 1, rules.assessment_min_weight_pct,
         "weight_shortfall_points", lambda g: t("briefing.list.gap_points", lang, value=f"{g:.1f}")),
        (staff, "meets_party_staff", "party_staff", "party_staff_ratio_pct", 2, rules.party_staff_min_ratio_pct,
         "staff_shortfall", lambda g: t("briefing.list.gap_people", lang, value=f"{int(g)}")),
    )
    for frame, meets, rule, value, decimals, required, gap, gap_text in checks:
        failing = frame[frame[meets].eq(False).fillna(False)].sort_values(gap, ascending=False, kind="stable")
        for r in failing.itertuples():
            rows.append([r.unit_name, t(f"overview.rule.{rule}", lang), _pct(getattr(r, value), decimals),
                         t("briefing.list.required_min", lang, value=f"{required:g}"), gap_text(getattr(r, gap))])
    for frame, _, rule, _, _, required, _, _ in checks:
        owed = frame[frame[f"{rule}_status"].eq(annual.NOT_REPORTED).fillna(False)]
        rows += [[r.unit_name, t(f"overview.rule.{rule}", lang), t("common.not_reported", lang),
                  t("briefing.list.required_min", lang, value=f"{required:g}"),
                  t(f"flags.reason.{getattr(r, f'{rule}_reason')}", lang)] for r in owed.itertuples()]
    columns = [t(f"briefing.table.{c}", lang) for c in ("unit", "rule", "actual", "required", "gap")]
    return Table("annual_failures", t("briefing.list.annual_title", lang), columns, rows, None,
                 [3.2, 2.6, 1.4, 1.4, 2.4],
                 t("briefing.list.annual_note", lang, funds=f"{rules.funds_min_ratio_pct:g}"))


def gap_branch_table(con, rules: Rules, end: dt.date, root: str | None, lang: str,
                     today: dt.date | None = None, limit: int | None = None) -> Table:
    """Branches with a run of missed slots (`meetings.gap_branches`), one row per branch: the
    meeting types missed in a row and its longest run; longest runs first (then by unit code), the
    first `limit` branches only (None: all), `total` counting them all."""
    gaps = meetings.gap_branches(con.cursor(), rules, end, root, today=today)
    rows = []
    total = int(gaps["unit_code"].nunique()) if not gaps.empty else 0
    if not gaps.empty:
        # the branches to word: longest run first, then unit code (one row per branch, its longest run)
        longest_run = gaps.groupby("unit_code")["gap_slots"].max()
        order = sorted(longest_run.items(), key=lambda item: (-int(item[1]), item[0]))[:limit]
        listed = gaps[gaps["unit_code"].isin({code for code, _ in order})]
        by_branch = listed.sort_values("gap_slots", ascending=False, kind="stable").groupby("unit_code", sort=False)
        separator = t("common.list_separator", lang)
        per_branch = {}
        for code, group in by_branch:
            top = group.iloc[0]
            types = separator.join(dict.fromkeys(enum_label(v, lang) for v in group.meeting_type))
            run = t("briefing.list.slots", lang, n=int(top.gap_slots), slots=slot_list(top.slots, lang))
            per_branch[code] = [top.unit_name, types, run]
        rows = [per_branch[code] for code, _ in order]
    columns = [t(f"briefing.table.{c}", lang) for c in ("branch", "missed_types", "longest_run")]
    return Table("gap_branches", t("briefing.list.gaps_title", lang, slots=rules.meeting_gap_slots), columns, rows,
                 None, [4.0, 3.6, 4.4], t("briefing.list.gaps_note", lang, n=f"{total:,}"),
                 total=total if total > len(rows) else None)


def _text(value) -> str:
    return "—" if value is None or pd.isna(value) else str(value)


def overdue_table(con, end: dt.date, root: str | None, lang: str, limit: int | None = None) -> Table:
    """Problems overdue at the week's end (`problems.overdue_problems`), most days overdue first:
    id, unit, description, owner, deadline, days overdue — the first `limit` of them (None: all);
    `total` counts them all (the 'overdue' headline of `problems.problem_headlines`)."""
    late = problems.overdue_problems(con.cursor(), end, root, limit)
    total = problems.problem_headlines(con.cursor(), end, root)["overdue"].numerator
    rows = [[r.problem_id, r.unit_name, _text(r.description), _text(r.owner),
             pd.Timestamp(r.due_date).date().isoformat(), t("briefing.list.days", lang, n=int(r.days_overdue))]
            for r in late.itertuples()]
    columns = [t(f"briefing.table.{c}", lang) for c in ("problem_id", "unit", "description", "owner", "due",
                                                          "days_overdue")]
    return Table("overdue", t("briefing.list.overdue_title", lang), columns, rows, None,
                 [1.8, 2.6, 4.2, 1.3, 1.5, 1.3], t("briefing.list.overdue_note", lang, n=f"{total:,}"),
                 total=total if total > len(rows) else None)
