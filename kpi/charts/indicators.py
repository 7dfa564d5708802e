"""Charts of the other-indicators page, drawn from kpi.metrics.indicators frames."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.display.formats import count_text, number_text, period_label
from kpi.i18n import enum_label, measured, t
from kpi.metrics.indicators import group_range
from kpi.rules import Indicator


def series_chart(df: pd.DataFrame, indicator: Indicator, lang: str, subtitle: str,
                 highlight: str | None = None) -> go.Figure:
    """The indicator over the periods as the group's range (a band from the lowest to the highest
    unit) and its median, against the catalogue target; one unit (`highlight`, a unit code) drawn
    over it in the accent colour. Ten tangled lines with repeated colours read as nothing; a band,
    a median and one named line read at a glance and keep on a slide."""
    band = group_range(df)  # lowest, median, highest per period (kpi.metrics.indicators)
    periods = [period_label(p, lang) for p in band["period"]]
    unit = enum_label(indicator.unit, lang)  # '人' → 'persons' in English
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=periods, y=band["low"].tolist(), mode="lines", line={"width": 0},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=periods, y=band["high"].tolist(), mode="lines", line={"width": 0}, fill="tonexty", fillcolor=theme.BAND,
        name=t("indicators.series.range", lang),
        customdata=[[number_text(lo, 1, lang), number_text(hi, 1, lang), int(n)]
                    for lo, hi, n in zip(band["low"], band["high"], band["units"])],
        hovertemplate="%{x}<br>" + t("indicators.hover.range", lang, unit=unit) + "<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=periods, y=band["median"].tolist(), mode="lines", name=t("indicators.series.median", lang),
        line={"color": theme.NEUTRAL, "width": 2.5, "dash": "dot"},
        hovertemplate="%{x}<br>" + t("indicators.series.median", lang) + f": %{{y:,.1~f}} {unit}<extra></extra>"))
    if highlight is not None and (df["unit_code"] == highlight).any():
        part = df[df["unit_code"] == highlight].sort_values("period")
        name = theme.text(part["unit_name"].iloc[0])
        fig.add_trace(go.Scatter(
            x=[period_label(p, lang) for p in part["period"]], y=part["value"].tolist(), mode="lines+markers",
            name=name, line={"color": theme.ACCENT, "width": 3}, marker={"size": 8},
            customdata=[[theme.text(highlight), int(n)] for n in part["reporting_units"]],
            hovertemplate=(f"<b>{name}</b> (%{{customdata[0]}})<br>%{{x}}: %{{y:,.1~f}} {unit}<br>"
                           + t("indicators.hover.reporting", lang) + "<extra></extra>")))
    if indicator.target is not None:
        target = measured(f"{indicator.target:g}", indicator.unit, lang)
        theme.rule_line(fig, indicator.target, t("indicators.target_line", lang, value=target, unit=""))
    fig.update_xaxes(title_text=t("indicators.axis.period", lang), type="category", categoryorder="array",
                     categoryarray=periods)
    theme.sparse_categories(fig, periods)
    fig.update_yaxes(title_text=t("indicators.axis.value", lang, name=indicator.name(lang), unit=unit))
    return theme.styled(fig, t("indicators.chart.series", lang, name=indicator.name(lang)), subtitle)


def pipeline_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Funnel of the member-development pipeline; a stage without data says so instead of 0."""
    missing = t("common.missing", lang)
    counts = [None if pd.isna(v) else float(v) for v in df["count"]]
    fig = go.Figure(go.Funnel(
        y=list(df["name"]), x=counts,
        text=[missing if v is None else count_text(v, lang) for v in counts], textinfo="text",
        marker={"color": [theme.MISSING if v is None else theme.ACCENT for v in counts]},
        customdata=[[c, int(n)] for c, n in zip(df["code"], df["reporting_units"])],
        hovertemplate="<b>%{y}</b>: %{x:,.0f}<br>" + t("indicators.hover.reporting", lang) + "<extra></extra>"))
    return theme.styled(fig, t("indicators.chart.pipeline", lang), subtitle)
