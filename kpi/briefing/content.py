"""What the weekly briefing says: headline numbers with their change since the previous week, and
one section per area with a chart and two or three sentences — every number taken from the
kpi/metrics functions, evaluated at the week's Sunday (and the Sunday before for the change).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb

from kpi.briefing import changes, chart_specs, charts, named
from kpi.briefing.model import Briefing, HeadlineRow, Section, Table, capped
from kpi.display import overview as overview_text
from kpi.i18n import TranslatedError, enum_label, has, t
from kpi.metrics import annual, coverage, meetings, overview, problems
from kpi.metrics.common import Headline
from kpi.org import unit_name
from kpi.periods import week_bounds
from kpi.rules import Rules
from kpi.store.sql import IN_SUBTREE

MAX_NAMES = 5


def _fresh(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    # DuckDB 2.0 refuses new work on a cursor whose last result was not fully fetched (a metric
    # ending in fetchone()), so each metric call gets a cursor of its own.
    return con.cursor()


class BriefingError(TranslatedError):
    """The briefing cannot be built (a family: raise one of the classes below); `message(lang)` says
    why and how to fix it. Keys under briefing.error. in kpi/messages/briefing.toml."""

    prefix = "briefing.error."


class BadWeek(BriefingError):
    """The week is not 'YYYY-Www'; param `week`."""

    key = "bad_week"


class UnknownUnit(BriefingError):
    """No unit with this code; param `unit`."""

    key = "unknown_unit"


class NoDataForWeek(BriefingError):
    """The scope holds no data dated on or before the week's Sunday; params `week`, `end`."""

    key = "no_data"


def parse_week(week: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of 'YYYY-Www'; `BadWeek` otherwise."""
    try:
        return week_bounds(week)
    except (ValueError, AttributeError):
        raise BadWeek(week=week) from None


_HAS_DATA_BY = ("SELECT EXISTS (SELECT 1 FROM meetings WHERE date <= $end AND " + IN_SUBTREE + ")"
                " OR EXISTS (SELECT 1 FROM problems WHERE found_date <= $end AND " + IN_SUBTREE + ")"
                " OR EXISTS (SELECT 1 FROM supervision WHERE start_date <= $end AND " + IN_SUBTREE + ")"
                " OR EXISTS (SELECT 1 FROM annual WHERE year <= $year AND " + IN_SUBTREE + ")")


def has_data_by(con: duckdb.DuckDBPyConnection, end: dt.date, root: str | None) -> bool:
    """True when the scope holds a meeting, problem, supervision or annual row dated on or before `end`."""
    row = con.execute(_HAS_DATA_BY, {"end": end, "year": end.year, "root": root}).fetchall()
    return bool(row[0][0])


def scope_name(con: duckdb.DuckDBPyConnection, root: str | None, lang: str) -> str:
    """The subtree's display name ('全集团' for the whole store); `UnknownUnit` for a bad code."""
    if root is None:
        return t("common.sidebar.whole_group", lang)
    name = unit_name(con, root)
    if name is None:
        raise UnknownUnit(unit=root)
    return name


def _num(value: float) -> str:
    return f"{value:.1f}" if value != int(value) else f"{int(value)}"


def value_text(h: Headline, lang: str) -> str:
    """A headline value for display: '87.5%', '3 个', or 'no data'."""
    if h.value is None:
        return t("common.missing", lang)
    if h.unit == "%":
        return t("briefing.value.pct", lang, value=f"{h.value:.1f}")
    return t("briefing.value.count", lang, value=_num(h.value))


def change_text(now: Headline, before: Headline, lang: str) -> str:
    """Change since the previous week: '较上周 +2.5 个百分点', '与上周持平', '上周无数据'."""
    if now.value is None:
        return t("briefing.change.no_data", lang)
    if before.value is None:
        return t("briefing.change.no_previous", lang)
    delta = round(now.value - before.value, 1)
    if delta == 0:
        return t("briefing.change.same", lang)
    kind = "pct" if now.unit == "%" else "count"
    return t(f"briefing.change.{kind}", lang, delta=f"{delta:+.1f}" if kind == "pct" else f"{delta:+g}")


# The headline slide shows these cards of the overview, in this order (same figures, same labels).
BRIEFING_CARDS = ("funds", "weight", "meetings", "closeout", "overdue", "severe_open", "supervision",
                  "standardisation")


def headline_rows(con, rules: Rules, end: dt.date, root: str | None, lang: str,
                  today: dt.date | None = None) -> list[HeadlineRow]:
    """The headline slide: the overview's cards (kpi.metrics.overview.headline_cards) at `end`, each
    with its change since `end` − 7 days."""
    cards = {card.key: card for card in overview.headline_cards(con, rules, end, root, today)}
    return [HeadlineRow(key, t(f"overview.card.{key}", lang), cards[key].now.value, value_text(cards[key].now, lang),
                        change_text(cards[key].now, cards[key].week_before, lang), cards[key].now.status,
                        cards[key].change)
            for key in BRIEFING_CARDS]


def _empty(key: str, lang: str) -> Section:
    return Section(key, t(f"briefing.section.{key}", lang), None, [], t(f"briefing.empty.{key}", lang))


def funds_section(con, rules: Rules, end: dt.date, root, subtitle: str, lang: str) -> Section:
    funds = annual.funds_by_unit(_fresh(con), rules, end, root)
    weight = annual.weight_by_unit(_fresh(con), rules, end, root)
    if funds.fund_ratio_pct.isna().all() and weight.assessment_weight_pct.isna().all():
        return _empty("funds", lang)
    fc = annual.funds_compliance(_fresh(con), rules, end, root)
    wc = annual.weight_compliance(_fresh(con), rules, end, root)
    notes = [t("briefing.takeaway.funds", lang, met=fc.numerator, units=fc.denominator,
               rule=f"{rules.funds_min_ratio_pct:g}"),
             t("briefing.takeaway.weight", lang, met=wc.numerator, units=wc.denominator,
               rule=f"{rules.assessment_min_weight_pct:g}")]
    owed = (list(funds.unit_name[funds.funds_ratio_status == annual.NOT_REPORTED])
            + list(weight.unit_name[weight.assessment_weight_status == annual.NOT_REPORTED]))
    if owed:   # not reporting is a finding: named, not left out of the count
        names = list(dict.fromkeys(owed))
        shown = "、".join(names[:MAX_NAMES]) + (f"… (+{len(names) - MAX_NAMES})" if len(names) > MAX_NAMES else "")
        notes.append(t("briefing.takeaway.not_reported", lang, units=shown))
    known = funds.dropna(subset=["fund_ratio_pct"])
    if not known.empty:
        lowest = known.sort_values("fund_ratio_pct").iloc[0]
        notes.append(t("briefing.takeaway.lowest_funds", lang, unit=lowest.unit_name,
                       value=f"{lowest.fund_ratio_pct:.2f}"))
    fig = charts.funds_weight_chart(funds, weight, rules.funds_min_ratio_pct, rules.assessment_min_weight_pct,
                                    subtitle, lang)
    data = funds.merge(weight, on=["unit_code", "unit_name", "year"], how="outer")
    return Section("funds", t("briefing.section.funds", lang), fig, notes, None, data)


def meetings_section(con, rules: Rules, end: dt.date, root, subtitle: str, lang: str,
                     today: dt.date | None) -> Section:
    head = meetings.meeting_headline(_fresh(con), rules, end, root, today=today)
    if head.value is None or meetings.meeting_records_in_scope(_fresh(con), root) == 0:
        return _empty("meetings", lang)
    by_type = meetings.completion_by_type(_fresh(con), rules, end, root, today=today)
    notes = [t("briefing.takeaway.meetings", lang, value=f"{head.value:.1f}", met=head.numerator,
               required=head.denominator)]
    known = by_type.dropna(subset=["completion_pct"])
    if not known.empty:
        weakest = known.sort_values("completion_pct", kind="stable").iloc[0]
        notes.append(t("briefing.takeaway.weakest_meeting", lang, type=enum_label(weakest.meeting_type, lang),
                       value=f"{weakest.completion_pct:.1f}"))
    gaps = meetings.gap_branches(_fresh(con), rules, end, root, today=today)
    notes.append(t("briefing.takeaway.gaps", lang, slots=rules.meeting_gap_slots, n=gaps.unit_code.nunique()))
    fig = charts.meetings_chart(by_type, meetings.FULL_COMPLETION_PCT, subtitle, lang)
    return Section("meetings", t("briefing.section.meetings", lang), fig, notes, None, by_type)


def problems_section(con, end: dt.date, week: str, root, subtitle: str, lang: str) -> Section:
    heads = problems.problem_headlines(_fresh(con), end, root)
    if heads["closeout"].value is None:
        return _empty("problems", lang)
    weekly = problems.weekly_series(_fresh(con), end, root)
    this = weekly[weekly.week == week]
    new, closed, overdue = ((int(this.iloc[0][c]) for c in ("new", "closed", "overdue")) if not this.empty
                            else (0, 0, 0))
    notes = [t("briefing.takeaway.problems_week", lang, new=new, closed=closed, overdue=overdue),
             t("briefing.takeaway.problems_rate", lang, value=f"{heads['closeout'].value:.1f}",
               severe=int(heads["severe_open"].value or 0))]
    late = problems.overdue_problems(_fresh(con), end, root, limit=1)   # the longest overdue only
    if not late.empty:
        first = late.iloc[0]
        notes.append(t("briefing.takeaway.longest_overdue", lang, unit=first.unit_name, problem=first.problem_id,
                       days=int(first.days_overdue)))
    fig = charts.problems_chart(weekly, subtitle, lang)
    return Section("problems", t("briefing.section.problems", lang), fig, notes, None, weekly)


def coverage_section(con, rules: Rules, end: dt.date, root, subtitle: str, lang: str) -> Section:
    level = min(rules.supervision_levels)
    head = coverage.coverage(_fresh(con), rules, end, root, level, rules.supervision_kinds, "year")
    heat = coverage.activity_heatmap(_fresh(con), end, root, level)
    if head.value is None or int(heat.activities.sum()) == 0:
        return _empty("coverage", lang)
    notes = [t("briefing.takeaway.coverage", lang, covered=head.numerator, units=head.denominator,
               value=f"{head.value:.1f}")]
    missing = coverage.uncovered_units(_fresh(con), rules, end, root, level, rules.supervision_kinds, "year")
    if missing.empty:
        notes.append(t("briefing.takeaway.all_covered", lang))
    else:
        names = list(missing.unit_name)
        more = f"… (+{len(names) - MAX_NAMES})" if len(names) > MAX_NAMES else ""
        shown = t("common.list_separator", lang).join(names[:MAX_NAMES]) + more
        notes.append(t("briefing.takeaway.uncovered", lang, units=shown))
    fig = charts.coverage_chart(heat, subtitle, lang)
    return Section("coverage", t("briefing.section.coverage", lang), fig, notes, None, heat)


def flag_label(rule: str, lang: str) -> str:
    """Display name of a red-flag rule id ('flags.problems_overdue' or 'funds_ratio')."""
    name = rule.removeprefix("flags.")
    for key in (f"briefing.flag_rule.{name}", f"flags.{name}.name"):
        if has(key):
            return t(key, lang)
    return name


def flags_section(con, rules: Rules, end: dt.date, root, subtitle: str, lang: str,
                  today: dt.date | None) -> Section:
    # The overview's red flags (shared, so copied before a column is added).
    flags = overview.red_flags(_fresh(con), rules, end, root, today=today).copy()
    if flags.empty:
        return _empty("flags", lang)
    flags["detail"] = overview_text.worded_details(flags, lang)
    flags["label"] = flags["rule"].map({rule: flag_label(rule, lang) for rule in flags["rule"].unique()})
    counts = (flags.groupby("label", sort=False).size().rename("n_flags").reset_index()
              .sort_values("n_flags", ascending=False, kind="stable"))
    # The worst unit is the overview ranking's last (most alerts: own and subtree flags, each once).
    worst = overview.worst_unit(overview.unit_ranking(_fresh(con), rules, end, root, today=today))
    notes = [t("briefing.takeaway.flags_total", lang, n=len(flags), units=flags.unit_code.nunique()),
             t("briefing.takeaway.flags_top", lang, rule=counts.iloc[0]["label"], n=int(counts.iloc[0]["n_flags"]))]
    if worst is not None:
        notes.append(t("briefing.takeaway.flags_unit", lang, unit=worst.unit_name, n=int(worst.flag_count)))
    fig = charts.flags_chart(counts, subtitle, lang)
    return Section("flags", t("briefing.section.flags", lang), fig, notes, None, flags)


def build_briefing(con: duckdb.DuckDBPyConnection, rules: Rules, week: str, root: str | None = None,
                   lang: str = "zh", today: dt.date | None = None) -> Briefing:
    """The briefing of ISO week `week` ('2026-W47') for the subtree of `root`, in `lang`.

    Figures are the kpi/metrics values at the week's Sunday; changes compare with the Sunday
    before. Raises `BadWeek`, `UnknownUnit`, or `NoDataForWeek` when the scope holds no meeting,
    problem, supervision or annual row dated on or before the week's end.
    """
    start, end = parse_week(week)
    label = scope_name(con, root, lang)
    if not has_data_by(con, end, root):
        raise NoDataForWeek(week=week, end=end.isoformat())
    subtitle = t("common.subtitle", lang, as_of=end.isoformat(), scope=label)
    sections = [
        funds_section(con, rules, end, root, subtitle, lang),
        meetings_section(con, rules, end, root, subtitle, lang, today),
        problems_section(con, end, week, root, subtitle, lang),
        coverage_section(con, rules, end, root, subtitle, lang),
        flags_section(con, rules, end, root, subtitle, lang, today),
    ]
    sections = [dataclasses.replace(s, charts=chart_specs.native_charts(s, rules, lang)) for s in sections]
    # The lists naming the units behind each section's figures, shown after its chart slide.
    lists = {"funds": named.annual_failures(con, rules, end, root, lang),
             "meetings": named.gap_branch_table(con, rules, end, root, lang, today, rules.briefing_list_max_rows),
             "problems": named.overdue_table(con, end, root, lang, rules.briefing_list_max_rows)}
    lists = {key: _capped(table, rules) for key, table in lists.items()}
    return Briefing(
        title=t("briefing.title", lang), week=week,
        period_text=t("briefing.period", lang, week=week, start=start.isoformat(), end=end.isoformat()),
        scope_label=label, headline_title=t("briefing.headline_title", lang),
        headlines=headline_rows(con, rules, end, root, lang, today), sections=sections, lang=lang,
        as_of_text=t("briefing.as_of", lang, as_of=end.isoformat()),
        matrix=_capped(named.matrix_table(con, rules, end, root, lang, today), rules),
        changes=_capped(changes.weekly_changes(con, rules, end, root, lang, today), rules), lists=lists)


def _capped(table: Table, rules: Rules) -> Table:
    """The list cut to rules [briefing] list_max_rows, naming the dashboard page with all of it."""
    return capped(table, rules.briefing_list_max_rows, f"briefing.full_list.{table.key}")
