"""Charts of the problem list and rectification pages, drawn from kpi.metrics.problems frames."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.display.formats import count_text, pct_text, week_label
from kpi.i18n import enum_label, t

RATE_COLUMNS = ("completion_pct", "closeout_pct", "ontime_pct")
RATE_COLOURS = (theme.SERIES[3], theme.OK, theme.PRIMARY)


def _plain(df: pd.DataFrame) -> list[list]:
    """Rows as plain Python values for customdata (missing → None, so hover shows it empty)."""
    obj = df.astype(object)
    return obj.where(obj.notna(), None).values.tolist()


def funnel_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Problems per CURRENT status (status_funnel's at_status), in stage order 未启动 → 整改中 →
    已完成待验收 → 已销号, top to bottom: a bar named 未启动 counts the problems not started now,
    never those that reached the stage (the hover gives that cumulative count too)."""
    labels = [enum_label(s, lang) for s in df.status]
    counts = [int(n) for n in df.at_status]
    total = sum(counts)
    texts = [t("rectification.status_share", lang, n=count_text(n, lang),
               share=pct_text(100 * n / total if total else None, 1, lang)) for n in counts]
    text, axis_end = theme.bar_labels(counts, texts, horizontal=True)
    fig = go.Figure(go.Bar(
        x=counts, y=labels, orientation="h", marker_color=[theme.MISSING, theme.WARN, theme.SERIES[3], theme.OK],
        customdata=[[count_text(r, lang)] for r in df.reached], **text,
        hovertemplate="<b>%{y}</b><br>" + t("rectification.hover.at_status", lang) + ": %{x:,d}<br>"
                      + t("rectification.hover.reached", lang) + ": %{customdata[0]}<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], automargin=True)
    fig.update_xaxes(title_text=t("rectification.axis.at_status", lang))
    theme.count_axis(fig, max(counts, default=0), axis="x")
    fig.update_xaxes(range=[0, axis_end])
    fig.update_layout(showlegend=False, height=360)
    return theme.styled(fig, t("rectification.chart.by_status", lang), subtitle)


def rates_chart(df: pd.DataFrame, by: str, lang: str, subtitle: str) -> go.Figure:
    """Completion, close-out and on-time rates per group (source or secondary unit), grouped bars.
    A rate without a denominator is missing and drawn as no bar, never as 0."""
    names = [theme.text(enum_label(n, lang)) if isinstance(n, str) else t("rectification.group_self", lang)
             for n in df.group_name]  # a secondary unit's name is user text
    fig = go.Figure()
    custom = _plain(df[["total", "completed", "closed", "on_time", "overdue"]])
    hover = ("<b>%{x}</b><br>%{fullData.name}: %{y:.1f}%<br>"
             + t("rectification.hover.counts", lang) + "<extra></extra>")
    for col, colour in zip(RATE_COLUMNS, RATE_COLOURS):
        fig.add_trace(go.Bar(x=names, y=df[col].astype(float), name=t(f"rectification.rate.{col}", lang),
                             marker_color=colour, customdata=custom, hovertemplate=hover,
                             texttemplate="%{y:.0f}", textposition="outside", cliponaxis=False,
                             textfont={"size": theme.LABEL_FONT_PX - 2}))
    fig.update_layout(barmode="group")
    fig.update_xaxes(automargin=True, tickangle=-30)
    fig.update_yaxes(title_text=t("rectification.axis.pct", lang), range=[0, 110])
    return theme.styled(fig, t(f"rectification.chart.rates_{by}", lang), subtitle)


def ageing_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Open problems per age bucket, overdue ones stacked in red."""
    labels = [bucket_label(lo, hi, lang) for lo, hi in zip(df.lower_days, df.upper_days)]
    fig = go.Figure()
    not_overdue = df.problems - df.overdue
    for values, key, colour in ((not_overdue, "not_overdue", theme.PRIMARY), (df.overdue, "overdue", theme.BAD)):
        fig.add_trace(go.Bar(x=labels, y=values, name=t(f"rectification.series.{key}", lang), marker_color=colour,
                             customdata=_plain(df[["problems"]]),
                             hovertemplate="<b>%{x}</b><br>%{fullData.name}: %{y}<br>"
                                           + t("rectification.hover.open_total", lang)
                                           + ": %{customdata[0]}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=t("rectification.axis.age", lang), type="category")
    fig.update_yaxes(title_text=t("rectification.axis.problems", lang))
    theme.count_axis(fig, max(df.problems, default=0))
    return theme.styled(fig, t("rectification.chart.ageing", lang), subtitle)


def bucket_label(lower, upper, lang: str) -> str:
    """'≤30 天', '31–90 天', '>180 天' for the ageing buckets."""
    if pd.isna(lower):
        return t("rectification.bucket.first", lang, upper=int(upper))
    if pd.isna(upper):
        return t("rectification.bucket.last", lang, lower=int(lower))
    return t("rectification.bucket.middle", lang, lower=int(lower) + 1, upper=int(upper))


def burndown_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Open and overdue problems at each week's end (burn-down), from the snapshots."""
    fig = go.Figure()
    weeks = [week_label(w, lang) for w in df.week]  # 第48周（11.23–11.29）: the dates are in the label
    for col, colour in (("open", theme.PRIMARY), ("overdue", theme.BAD)):
        fig.add_trace(go.Scatter(
            x=weeks, y=df[col], mode="lines+markers", name=t(f"rectification.series.{col}", lang),
            line={"color": colour, "width": 3}, marker={"size": 8},
            hovertemplate="<b>%{x}</b><br>%{fullData.name}: %{y:,d}<extra></extra>"))
    fig.update_xaxes(title_text=t("rectification.axis.week", lang), type="category")
    fig.update_yaxes(title_text=t("rectification.axis.problems", lang))
    theme.count_axis(fig, max([*df["open"], *df["overdue"]], default=0))
    theme.sparse_categories(fig, weeks, most=6)
    return theme.styled(fig, t("rectification.chart.burndown", lang), subtitle)


def new_vs_closed_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Problems new and closed out per ISO week, side by side."""
    fig = go.Figure()
    weeks = [week_label(w, lang) for w in df.week]  # 第48周（11.23–11.29）: the dates are in the label
    for col, colour in (("new", theme.ACCENT), ("closed", theme.OK)):
        fig.add_trace(go.Bar(
            x=weeks, y=df[col], name=t(f"rectification.series.{col}", lang), marker_color=colour,
            hovertemplate="<b>%{x}</b><br>%{fullData.name}: %{y:,d}<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=t("rectification.axis.week", lang), type="category")
    fig.update_yaxes(title_text=t("rectification.axis.problems", lang))
    theme.count_axis(fig, max([*df["new"], *df["closed"]], default=0))
    theme.sparse_categories(fig, weeks, most=6)
    return theme.styled(fig, t("rectification.chart.new_vs_closed", lang), subtitle)
