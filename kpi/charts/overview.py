"""Charts of the leadership overview."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.display.formats import count_text, pct_text
from kpi.i18n import t


def ranking_chart(ranking: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Horizontal bars: red flags per unit just below the root, fewest on top (rank 1)."""
    data = ranking.iloc[::-1]  # plotly draws the first bar at the bottom
    colours = [theme.OK if n == 0 else theme.WARN if n <= 2 else theme.BAD for n in data.flag_count]
    completion = [t("common.missing", lang) if pd.isna(v) else pct_text(v, 1, lang)
                  for v in data.meeting_completion_pct]
    counts = [int(n) for n in data.flag_count]
    text, axis_end = theme.bar_labels(counts, [count_text(n, lang) for n in counts], horizontal=True)
    fig = go.Figure(go.Bar(
        x=counts, y=theme.texts(data.unit_name), orientation="h", marker_color=colours, **text,
        customdata=list(zip(data["rank"], completion)),
        hovertemplate=(f"%{{y}}<br>{t('overview.col.rank', lang)}: %{{customdata[0]}}<br>"
                       f"{t('overview.col.flag_count', lang)}: %{{x}}<br>"
                       f"{t('overview.col.meeting_completion_pct', lang)}: %{{customdata[1]}}<extra></extra>")))
    fig.update_layout(xaxis_title=t("overview.ranking_axis", lang), height=max(320, 60 + 36 * len(data)),
                      yaxis={"automargin": True})
    theme.count_axis(fig, max(counts, default=0), axis="x")
    fig.update_xaxes(range=[0, axis_end])
    return theme.styled(fig, t("overview.ranking_title", lang), subtitle)


def flags_by_rule_chart(flag_rows: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Bars: how many red flags each rule raised (flag_rows = kpi.display.overview.flag_table output)."""
    counts = flag_rows.groupby("rule").size().sort_values()
    values = [int(n) for n in counts.values]
    text, axis_end = theme.bar_labels(values, [count_text(n, lang) for n in values], horizontal=True)
    fig = go.Figure(go.Bar(
        x=values, y=list(counts.index), orientation="h", marker_color=theme.ACCENT, **text,
        hovertemplate=f"%{{y}}<br>{t('overview.col.count', lang)}: %{{x}}<extra></extra>"))
    fig.update_layout(xaxis_title=t("overview.col.count", lang), height=max(320, 60 + 36 * len(counts)),
                      yaxis={"automargin": True})
    theme.count_axis(fig, max(values, default=0), axis="x")
    fig.update_xaxes(range=[0, axis_end])
    return theme.styled(fig, t("overview.flags_by_rule_title", lang), subtitle)
