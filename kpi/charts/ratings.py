"""Charts of the standardisation & stars page, drawn from kpi.metrics.ratings frames."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.charts.rule_bars import HoverField, rule_bars
from kpi.i18n import t
from kpi.rules import Rules

# One star is the weakest rating, five the best: one hue, light to dark, so the order reads at a glance.
STAR_COLOURS = dict(zip(range(1, 6), theme.SEQUENTIAL))
SCORE_RANGE = [0, 100]


def compliance_chart(df: pd.DataFrame, rules: Rules, lang: str, subtitle: str) -> go.Figure:
    """Share of rated branches compliant per unit, against standardisation_target_pct."""
    hover = [HoverField(t("ratings.hover.compliance", lang), "compliance_pct", ".1f", "%"),
             HoverField(t("ratings.hover.compliant", lang), "compliant", ",.0f"),
             HoverField(t("ratings.hover.rated", lang), "rated", ",.0f"),
             HoverField(t("ratings.hover.branches", lang), "branches", ",.0f")]
    return rule_bars(df, "compliance_pct", "meets_target", rules.standardisation_target_pct,
                     t("ratings.target_line", lang, value=f"{rules.standardisation_target_pct:g}"),
                     t("ratings.chart.compliance", lang), subtitle, t("ratings.axis.compliance_pct", lang),
                     hover, lang)


def star_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Rated branches per star level, stacked, per unit."""
    fig = go.Figure()
    df = theme.escaped(df, "unit_name", "unit_code")
    for stars in sorted(df["stars"].unique()):
        part = df[df["stars"] == stars]
        label = t("ratings.stars", lang, n=int(stars))
        fig.add_trace(go.Bar(
            x=part["unit_name"].tolist(), y=part["branches"].tolist(), name=label,
            marker_color=STAR_COLOURS.get(int(stars), theme.PRIMARY),
            customdata=part[["unit_code"]].values.tolist(),
            hovertemplate=f"<b>%{{x}}</b> (%{{customdata[0]}})<br>{label}: %{{y:,d}}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(categoryorder="array", categoryarray=list(dict.fromkeys(df["unit_name"])))
    fig.update_yaxes(title_text=t("ratings.axis.branches", lang))
    theme.count_axis(fig, df.groupby("unit_name")["branches"].sum().max() if len(df) else 0)
    # Legend 1 → 5 left to right, as the stack reads bottom to top.
    fig.update_layout(legend_traceorder="normal")
    return theme.styled(fig, t("ratings.chart.stars", lang), subtitle)


def six_basics_chart(df: pd.DataFrame, branch_name: str, lang: str, subtitle: str) -> go.Figure:
    """Radar of a branch's six-basics scores against its secondary unit's average."""
    labels = [t(f"ratings.basic.{b}", lang) for b in df["basic"]]
    closed = labels + labels[:1]
    fig = go.Figure()
    unit = theme.text(df["secondary_name"].iloc[0])
    for column, name, colour in (("unit_average", t("ratings.unit_average", lang, unit=unit), theme.PRIMARY),
                                 ("branch_score", theme.text(branch_name), theme.ACCENT)):
        values = list(df[column]) + [df[column].iloc[0]]
        fig.add_trace(go.Scatterpolar(
            r=values, theta=closed, name=name, fill="toself", line={"color": colour, "width": 3},
            opacity=0.75, hovertemplate=f"<b>{name}</b><br>%{{theta}}: %{{r:.1f}}<extra></extra>"))
    fig.update_layout(polar={"radialaxis": {"range": SCORE_RANGE, "gridcolor": "#DDDDDD"}}, height=520)
    return theme.styled(fig, t("ratings.chart.six_basics", lang, branch=branch_name), subtitle)
