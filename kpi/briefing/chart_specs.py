"""The briefing's charts as native PowerPoint charts: the same frames the Plotly figures draw
(`Section.data`), as categories and series with their data embedded, so a committee secretary can
edit a bar or restyle a chart in PowerPoint or WPS. A heat map has no PowerPoint chart type and
stays a picture.

Every chart shows its values as labels and names its target in its title ('标准 ≥ 1%'); bars of a
rule are coloured by status (green meets, red breaks, grey no data) as in the app.
"""
from __future__ import annotations

import pandas as pd

from kpi.briefing.model import ChartSpec, Section, Series
from kpi.charts import theme
from kpi.display import formats
from kpi.i18n import enum_label, t
from kpi.metrics import meetings
from kpi.rules import Rules


def _values(column: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in column]


def _status_colours(meets: pd.Series) -> list[str]:
    return [theme.MISSING if pd.isna(m) else (theme.OK if bool(m) else theme.BAD) for m in meets]


def _funds(data: pd.DataFrame, rules: Rules, lang: str) -> list[ChartSpec]:
    names = [str(n) for n in data.unit_name]
    return [
        ChartSpec("bar", t("briefing.chart.funds_native", lang, value=f"{rules.funds_min_ratio_pct:g}"), names,
                  [Series(t("briefing.chart.funds_series", lang), _values(data.fund_ratio_pct),
                          _status_colours(data.meets_funds))], '0.00"%"'),
        ChartSpec("bar", t("briefing.chart.weight_native", lang, value=f"{rules.assessment_min_weight_pct:g}"), names,
                  [Series(t("briefing.chart.weight_series", lang), _values(data.assessment_weight_pct),
                          _status_colours(data.meets_weight))], '0.0"%"'),
    ]


def _completion_colour(value, rules: Rules) -> str:
    """As the matrix colours completion: red below the flag line, amber short of every slot, green at 100%."""
    if pd.isna(value):
        return theme.MISSING
    if value < rules.meeting_flag_below_pct:
        return theme.BAD
    return theme.WARN if value < meetings.FULL_COMPLETION_PCT else theme.OK


def _meetings(data: pd.DataFrame, rules: Rules, lang: str) -> list[ChartSpec]:
    target = meetings.FULL_COMPLETION_PCT
    return [ChartSpec("bar", t("briefing.chart.meetings_native", lang, value=f"{target:g}"),
                      [enum_label(v, lang) for v in data.meeting_type],
                      [Series(t("briefing.chart.completion_axis", lang), _values(data.completion_pct),
                              [_completion_colour(v, rules) for v in data.completion_pct])], '0.0"%"')]


def week_label(week: str, lang: str) -> str:
    """'2026-W46' as the UI says it everywhere (kpi.display.formats): 第46周（11.9–11.15）/ Wk 46 (9–15 Nov)."""
    return formats.week_label(week, lang)


def _problems(data: pd.DataFrame, lang: str) -> list[ChartSpec]:
    weeks = [week_label(w, lang) for w in data.week]
    return [ChartSpec("column", t("briefing.chart.problems_native", lang), weeks, [
        Series(t("briefing.chart.new", lang), _values(data.new), [theme.PRIMARY] * len(weeks)),
        Series(t("briefing.chart.closed", lang), _values(data.closed), [theme.OK] * len(weeks)),
        Series(t("briefing.chart.overdue", lang), _values(data.overdue), [theme.BAD] * len(weeks)),
    ], "0")]


def _flags(data: pd.DataFrame, lang: str) -> list[ChartSpec]:
    counts = (data.groupby("label", sort=False).size().rename("n").reset_index()
              .sort_values("n", ascending=False, kind="stable"))
    return [ChartSpec("bar", t("briefing.chart.flags_native", lang), list(counts.label),
                      [Series(t("briefing.chart.flags_axis", lang), _values(counts.n), [theme.BAD] * len(counts))],
                      "0")]


def native_charts(section: Section, rules: Rules, lang: str) -> list[ChartSpec]:
    """The native charts of a section (none for an empty section or a heat map)."""
    if section.figure is None or section.data is None:
        return []
    if section.key == "funds":
        return _funds(section.data, rules, lang)
    if section.key == "meetings":
        return _meetings(section.data, rules, lang)
    if section.key == "problems":
        return _problems(section.data, lang)
    if section.key == "flags":
        return _flags(section.data, lang)
    return []
