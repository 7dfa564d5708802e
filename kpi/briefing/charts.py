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
from kpi.i18n import enum_label, t


def _bar_colours(meets: pd.Series) -> list[str]:
    return [theme.MISSING if pd.isna(m) else (theme.OK if bool(m) else theme.BAD) for m in meets]


_INSIDE_LABELS = {"textposition": "inside", "insidetextanchor": "end", "textfont": {"color": "#FFFFFF"},
                  "cliponaxis": False}


def _labels(values: pd.Series, decimals: int) -> list[str]:
    return ["" if pd.isna(v) else f"{v:.{decimals}f}%" for v in values]


def funds_weight_chart(funds: pd.DataFrame, weight: pd.DataFrame, funds_rule: float, weight_rule: float,
                       subtitle: str, lang: str) -> go.Figure:
    """Two panels per unit: funds ratio (% of previous-year payroll) and assessment weight (%),
    each bar green when it meets its rule, red when not, with the rule as a dashed line."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.04, shared_yaxes=True,
                        subplot_titles=(t("briefing.chart.funds_series", lang),
                                        t("briefing.chart.weight_series", lang)))
    # Value labels sit inside the bars' ends and the rule lines are drawn below the bars, so a
    # rule line never strikes through a label.
    fig.add_bar(y=theme.texts(funds.unit_name), x=funds.fund_ratio_pct, orientation="h",
                marker_color=_bar_colours(funds.meets_funds), row=1, col=1, showlegend=False,
                text=_labels(funds.fund_ratio_pct, 2), **_INSIDE_LABELS,
                hovertemplate="%{y}<br>%{x:.2f}%<extra></extra>")
    fig.add_bar(y=theme.texts(weight.unit_name), x=weight.assessment_weight_pct, orientation="h",
                marker_color=_bar_colours(weight.meets_weight), row=1, col=2, showlegend=False,
                text=_labels(weight.assessment_weight_pct, 1), **_INSIDE_LABELS,
                hovertemplate="%{y}<br>%{x:.1f}%<extra></extra>")
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
    text = ["" if pd.isna(v) else f"{v:.1f}%" for v in by_type.completion_pct]
    fig = go.Figure(go.Bar(
        y=labels, x=by_type.completion_pct, orientation="h", marker_color=theme.PRIMARY, text=text,
        textposition="outside", customdata=by_type[["met_slots", "required_slots"]],
        hovertemplate="%{y}<br>%{x:.1f}% (%{customdata[0]}/%{customdata[1]})<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=t("briefing.chart.completion_axis", lang), range=[0, target * 1.12])
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
    return theme.styled(fig, t("briefing.chart.problems", lang), subtitle)


def coverage_chart(heat: pd.DataFrame, subtitle: str, lang: str) -> go.Figure:
    """Supervision activities per unit and month as a heat map; an empty cell is a month without a visit."""
    grid = theme.escaped(heat, "unit_name").pivot_table(index="unit_name", columns="month", values="activities",
                                                      aggfunc="sum", sort=False)
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=list(grid.columns), y=list(grid.index), colorscale=[[0, "#FFFFFF"], [1, theme.PRIMARY]],
        xgap=2, ygap=2, colorbar={"title": t("briefing.chart.activities_axis", lang)},
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
