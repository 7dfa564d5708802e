"""Charts of the other-indicators page, drawn from kpi.metrics.indicators frames."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.i18n import enum_label, measured, t
from kpi.rules import Indicator


def series_chart(df: pd.DataFrame, indicator: Indicator, lang: str, subtitle: str) -> go.Figure:
    """One line per unit of the indicator over the periods, against the catalogue target."""
    fig = go.Figure()
    unit = enum_label(indicator.unit, lang)  # '人' → 'persons' in English
    for i, (code, part) in enumerate(df.groupby("unit_code", sort=True)):
        name, code = theme.text(part["unit_name"].iloc[0]), theme.text(code)
        fig.add_trace(go.Scatter(
            x=part["period"].tolist(), y=part["value"].tolist(), mode="lines+markers", name=name,
            line={"color": theme.SERIES[i % len(theme.SERIES)], "width": 2.5}, marker={"size": 8},
            customdata=[[code, int(n)] for n in part["reporting_units"]],
            hovertemplate=(f"<b>{name}</b> (%{{customdata[0]}})<br>%{{x}}: %{{y:,.2f}} {unit}<br>"
                           + t("indicators.hover.reporting", lang) + "<extra></extra>")))
    if indicator.target is not None:
        target = measured(f"{indicator.target:g}", indicator.unit, lang)
        theme.rule_line(fig, indicator.target, t("indicators.target_line", lang, value=target, unit=""))
    fig.update_xaxes(title_text=t("indicators.axis.period", lang), type="category", categoryorder="category ascending")
    fig.update_yaxes(title_text=t("indicators.axis.value", lang, name=indicator.name(lang), unit=unit))
    return theme.styled(fig, t("indicators.chart.series", lang, name=indicator.name(lang)), subtitle)


def pipeline_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Funnel of the member-development pipeline; a stage without data says so instead of 0."""
    missing = t("common.missing", lang)
    counts = [None if pd.isna(v) else float(v) for v in df["count"]]
    fig = go.Figure(go.Funnel(
        y=list(df["name"]), x=counts,
        text=[missing if v is None else f"{v:,.0f}" for v in counts], textinfo="text",
        marker={"color": [theme.MISSING if v is None else theme.ACCENT for v in counts]},
        customdata=[[c, int(n)] for c, n in zip(df["code"], df["reporting_units"])],
        hovertemplate="<b>%{y}</b>: %{x:,.0f}<br>" + t("indicators.hover.reporting", lang) + "<extra></extra>"))
    return theme.styled(fig, t("indicators.chart.pipeline", lang), subtitle)
