"""Charts of the funds & assessment page, drawn from kpi.metrics.annual frames."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.charts.rule_bars import HoverField, rule_bars
from kpi.display.formats import count_text
from kpi.i18n import t
from kpi.metrics.annual import ANNUAL_RULES
from kpi.rules import Rules


def _rule_label(value: float, lang: str) -> str:
    return t("funds.rule_line", lang, value=f"{value:g}")


def funds_ratio_chart(df: pd.DataFrame, rules: Rules, lang: str, subtitle: str) -> go.Figure:
    """Funds budget as % of the previous year's payroll per unit, against funds_min_ratio_pct."""
    hover = [HoverField(t("funds.hover.ratio", lang), "fund_ratio_pct", ".2f", "%"),
             HoverField(t("funds.hover.payroll_prev_year", lang), "payroll_prev_year", ",.1f"),
             HoverField(t("funds.hover.budget", lang), "fund_budget", ",.1f"),
             HoverField(t("funds.hover.required_budget", lang), "required_budget", ",.1f"),
             HoverField(t("funds.hover.shortfall_wan", lang), "shortfall_wan", ",.1f")]
    return rule_bars(df, "fund_ratio_pct", "meets_funds", rules.funds_min_ratio_pct,
                     _rule_label(rules.funds_min_ratio_pct, lang), t("funds.chart.funds_ratio", lang),
                     subtitle, t("funds.axis.ratio_pct", lang), hover, lang, decimals=2)


def execution_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Fund execution (spent ÷ budget × 100) per unit; no rule applies, so no line."""
    hover = [HoverField(t("funds.hover.execution", lang), "execution_pct", ".1f", "%"),
             HoverField(t("funds.hover.budget", lang), "fund_budget", ",.1f"),
             HoverField(t("funds.hover.spent", lang), "fund_spent", ",.1f")]
    return rule_bars(df, "execution_pct", None, None, "", t("funds.chart.execution", lang), subtitle,
                     t("funds.axis.execution_pct", lang), hover, lang)


def weight_chart(df: pd.DataFrame, rules: Rules, lang: str, subtitle: str) -> go.Figure:
    """Assessment weight (%) per unit against assessment_min_weight_pct."""
    hover = [HoverField(t("funds.hover.weight", lang), "assessment_weight_pct", ".1f", "%"),
             HoverField(t("funds.hover.shortfall_points", lang), "weight_shortfall_points", ".1f")]
    return rule_bars(df, "assessment_weight_pct", "meets_weight", rules.assessment_min_weight_pct,
                     _rule_label(rules.assessment_min_weight_pct, lang), t("funds.chart.weight", lang),
                     subtitle, t("funds.axis.weight_pct", lang), hover, lang)


def party_staff_chart(df: pd.DataFrame, rules: Rules, lang: str, subtitle: str) -> go.Figure:
    """Full-time party-affairs staff as % of staff per unit against party_staff_min_ratio_pct."""
    hover = [HoverField(t("funds.hover.staff_ratio", lang), "party_staff_ratio_pct", ".2f", "%"),
             HoverField(t("funds.hover.party_staff", lang), "party_staff", ",.0f"),
             HoverField(t("funds.hover.staff_count", lang), "staff_count", ",.0f"),
             HoverField(t("funds.hover.staff_shortfall", lang), "staff_shortfall", ",.0f")]
    return rule_bars(df, "party_staff_ratio_pct", "meets_party_staff", rules.party_staff_min_ratio_pct,
                     _rule_label(rules.party_staff_min_ratio_pct, lang), t("funds.chart.party_staff", lang),
                     subtitle, t("funds.axis.staff_ratio_pct", lang), hover, lang, decimals=2)


def trend_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Per year, the share of units (with data) complying with each annual rule."""
    fig = go.Figure()
    for colour, rule in zip((theme.ACCENT, theme.PRIMARY, theme.SERIES[3]), ANNUAL_RULES):
        name = t(f"funds.rule.{rule}", lang)
        # Counts as text: a year without data reads "—" in the hover, never None.
        custom = [[count_text(v, lang) for v in row]
                  for row in df[[f"{rule}_complying", f"{rule}_with_data", "units"]].itertuples(index=False)]
        fig.add_trace(go.Scatter(
            x=df["year"].astype(str).tolist(),
            y=[None if pd.isna(v) else float(v) for v in df[f"{rule}_share_pct"]], mode="lines+markers", name=name,
            line={"color": colour, "width": 3}, marker={"size": 9},
            customdata=custom,
            hovertemplate=f"<b>{name}</b> %{{x}}<br>" + t("funds.hover.trend", lang) + "<extra></extra>"))
    fig.update_yaxes(title_text=t("funds.axis.share_pct", lang), range=[0, 105])
    fig.update_xaxes(title_text=t("funds.axis.year", lang), type="category")
    return theme.styled(fig, t("funds.chart.trend", lang), subtitle)
