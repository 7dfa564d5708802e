"""The briefing's charts, one per section, drawn from the metric DataFrames with the app theme.

Each figure shows the frame it is given, nothing recomputed; titles say what is shown and the
subtitle the as-of date and scope, so a chart pasted on its own still reads right.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kpi.briefing.chart_specs import week_label
from kpi.charts import theme
from kpi.display import formats
from kpi.i18n import enum_label, t


def _bar_colours(meets: pd.Series) -> list[str]:
    return [theme.MISSING if pd.isna(m) else (theme.OK if bool(m) else theme.BAD) for m in meets]


def _labels(values: pd.Series, decimals: int) -> list[str]:
    return ["" if pd.isna(v) else f"{v:.{decimals}f}%" for v in values]


def _rule_bar(values: pd.Series, statuses: pd.Series, decimals: int, lang: str) -> dict:
    """A rule's bars with their labels: the value inside the bar's end; a unit that has not reported
    the figure gets no bar but a grey 未报送 where its bar would start, never a blank."""
    owed = [s == "not_reported" for s in statuses]
    labels = _labels(values, decimals)
    return {"x": [0.0 if o else v for v, o in zip(values, owed)],
            "text": [t("common.not_reported", lang) if o else label for label, o in zip(labels, owed)],
            "textposition": ["outside" if o else "inside" for o in owed], "insidetextanchor": "end",
            "textfont": {"color": [theme.MISSING if o else "#FFFFFF" for o in owed]}, "cliponaxis": False}


def funds_weight_chart(funds: pd.DataFrame, weight: pd.DataFrame, funds_rule: float, weight_rule: float,
                       subtitle: str, lang: str) -> go.Figure:
    """Two panels per unit: funds ratio (% of previous-year payroll) and assessment weight (%),
    each bar green when it meets its rule, red when not, with the rule as a dashed line."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.04, shared_yaxes=True,
                        subplot_titles=(t("briefing.chart.funds_series", lang),
                                        t("briefing.chart.weight_series", lang)))
    # Value labels sit inside the bars' ends and the rule lines are drawn below the bars, so a
    # rule line never strikes through a label.
    fig.add_bar(y=theme.texts(funds.unit_name), orientation="h",
                marker_color=_bar_colours(funds.meets_funds), row=1, col=1, showlegend=False,
                **_rule_bar(funds.fund_ratio_pct, funds.funds_ratio_status, 2, lang),
                hovertemplate="%{y}<br>%{text}<extra></extra>")
    fig.add_bar(y=theme.texts(weight.unit_name), orientation="h",
                marker_color=_bar_colours(weight.meets_weight), row=1, col=2, showlegend=False,
                **_rule_bar(weight.assessment_weight_pct, weight.assessment_weight_status, 1, lang),
                hovertemplate="%{y}<br>%{text}<extra></extra>")
    rule_lines = ((1, funds_rule, "briefing.chart.funds_rule"), (2, weight_rule, "briefing.chart.weight_rule"))
    for col, value, key in rule_lines:
        fig.add_vline(x=value, line_dash="dash", line_color=theme.ACCENT, row=1, col=col, layer="below",
                      annotation_text=t(key, lang, value=f"{value:g}"), annotation_position="bottom right",
                      annotation_font_color=theme.ACCENT)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=t("briefing.chart.weight_axis", lang), rangemode="tozero")
    return theme.styled(fig, t("briefing.chart.funds_weight", lang), subtitle)


def meetings_chart(by_type: pd.DataFrame, target: float, subtitle: str, lang: str) -> go.Figure:
    """Completion (%) of each required meeting type, horizontal bars, target as a dashed line."""
    labels = [enum_label(v, lang) for v in by_type.meeting_type]
    values = [None if pd.isna(v) else float(v) for v in by_type.completion_pct]
    # Labels the target line would strike go inside the bar's end (theme.bar_labels).
    text, axis_end = theme.bar_labels(values, ["" if v is None else f"{v:.1f}%" for v in values], [target],
                                      horizontal=True, top=target)
    fig = go.Figure(go.Bar(
        y=labels, x=by_type.completion_pct, orientation="h", marker_color=theme.PRIMARY, **text,
        customdata=by_type[["met_slots", "required_slots"]],
        hovertemplate="%{y}<br>%{x:.1f}% (%{customdata[0]}/%{customdata[1]})<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=t("briefing.chart.completion_axis", lang), range=[0, axis_end])
    theme.rule_line(fig, target, t("briefing.chart.target_rule", lang, value=f"{target:g}"), axis="x")
    return theme.styled(fig, t("briefing.chart.meetings", lang), subtitle)


def problems_chart(weekly: pd.DataFrame, subtitle: str, lang: str) -> go.Figure:
    """New and closed-out problems per ISO week (bars) and overdue problems at each week's end (line),
    every point labelled with its count; weeks named as the UI says them (第46周). Target: no
    overdue problem (the axis starts at 0)."""
    weeks = [week_label(w, lang) for w in weekly.week]
    fig = go.Figure()
    fig.add_bar(x=weeks, y=weekly.new, name=t("briefing.chart.new", lang), marker_color=theme.PRIMARY,
                text=weekly.new, textposition="outside", cliponaxis=False,
                hovertemplate="%{x}<br>%{y}<extra>%{fullData.name}</extra>")
    fig.add_bar(x=weeks, y=weekly.closed, name=t("briefing.chart.closed", lang), marker_color=theme.OK,
                text=weekly.closed, textposition="outside", cliponaxis=False,
                hovertemplate="%{x}<br>%{y}<extra>%{fullData.name}</extra>")
    fig.add_scatter(x=weeks, y=weekly.overdue, name=t("briefing.chart.overdue", lang), mode="lines+markers+text",
                    text=weekly.overdue, textposition="top center", cliponaxis=False,
                    line={"color": theme.BAD, "width": 3}, hovertemplate="%{x}<br>%{y}<extra>%{fullData.name}</extra>")
    fig.update_layout(barmode="group")
    top = max([1, *weekly.new, *weekly.closed, *weekly.overdue])
    # counts: whole-number ticks, with head room for the labels above the highest point
    fig.update_yaxes(title_text=t("briefing.chart.count_axis", lang), range=[0, top * 1.18], tick0=0,
                     dtick=max(1, math.ceil(top / 6)), tickformat="d")
    theme.sparse_categories(fig, weeks, most=6)   # 第48周 over （11.23–11.29）, level
    return theme.styled(fig, t("briefing.chart.problems", lang), subtitle)


def coverage_chart(heat: pd.DataFrame, subtitle: str, lang: str) -> go.Figure:
    """Supervision activities per unit and month as a heat map; an empty cell is a month without a visit."""
    grid = theme.escaped(heat, "unit_name").pivot_table(index="unit_name", columns="month", values="activities",
                                                      aggfunc="sum", sort=False)
    fig = go.Figure()
    months = theme.period_axis(fig, list(grid.columns), lang)   # 2026年1月, ticked 1月 2月 …
    top = 0 if grid.empty else grid.max(axis=None)
    fig.add_trace(go.Heatmap(
        z=grid.values, x=months, y=list(grid.index), colorscale=[[0, "#FFFFFF"], [1, theme.PRIMARY]],
        xgap=2, ygap=2, colorbar={"title": t("briefing.chart.activities_axis", lang), "tickformat": ",d",
                                  "tick0": 0, "dtick": formats.nice_step(top)},
        hovertemplate="%{y}<br>%{x}: %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", showgrid=False, automargin=True)
    # Months as written ('2026-01'): read as dates, Plotly would label them 'Jan 2026' in any UI language.
    fig.update_xaxes(showgrid=False, type="category")
    return theme.styled(fig, t("briefing.chart.coverage", lang), subtitle)


def flags_chart(counts: pd.DataFrame, subtitle: str, lang: str) -> go.Figure:
    """Number of red flags per rule (columns: label, n_flags), largest first."""
    fig = go.Figure(go.Bar(y=counts.label, x=counts.n_flags, orientation="h", marker_color=theme.BAD,
                           text=counts.n_flags, textposition="outside",
                           hovertemplate="%{y}<br>%{x}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=t("briefing.chart.flags_axis", lang), rangemode="tozero")
    return theme.styled(fig, t("briefing.chart.flags", lang), subtitle)
