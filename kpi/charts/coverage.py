"""Charts of the supervision coverage page, drawn from kpi.metrics.coverage frames."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.display.formats import count_text, is_missing, nice_step, number_text, pct_text
from kpi.i18n import enum_label, t
from kpi.metrics.coverage import FULL_COVERAGE_PCT


def coverage_bars(df: pd.DataFrame, labels: list[str], title: str, lang: str, subtitle: str) -> go.Figure:
    """Coverage % per row of `df` (covered, units, coverage_pct) against the 100% line; full
    coverage green, partial red, a row without units marked 'no data' instead of a bar."""
    values = [None if is_missing(v) else float(v) for v in df.coverage_pct]
    colours = [theme.MISSING if v is None else theme.OK if v >= FULL_COVERAGE_PCT else theme.BAD for v in values]
    custom = [[count_text(c, lang), count_text(u, lang)] for c, u in zip(df.covered, df.units)]
    text, axis_end = theme.bar_labels(values, [pct_text(v, 1, lang) for v in values], [FULL_COVERAGE_PCT],
                                      horizontal=True, top=FULL_COVERAGE_PCT)
    fig = go.Figure(go.Bar(
        x=values, y=labels, orientation="h", marker_color=colours, customdata=custom,
        name=t("coverage.axis.pct", lang), **text,
        hovertemplate="<b>%{y}</b><br>" + t("coverage.hover.covered", lang) + "<extra></extra>"))
    none = [label for label, v in zip(labels, values) if v is None]
    if none:  # a row without units says so instead of showing an empty row that reads as 0%
        fig.add_trace(go.Scatter(x=[0] * len(none), y=none, mode="text", text=[t("common.missing", lang)] * len(none),
                                 textposition="middle right", textfont={"color": theme.MISSING}, showlegend=False,
                                 hoverinfo="skip"))
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], automargin=True)
    fig.update_xaxes(title_text=t("coverage.axis.pct", lang), range=[0, axis_end])
    fig.update_layout(showlegend=False)
    theme.rule_line(fig, FULL_COVERAGE_PCT, t("coverage.rule_line", lang), axis="x")
    return theme.styled(fig, title, subtitle)


def heatmap_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Unit × month activity counts (activity_heatmap's long frame) as a heat map."""
    grid = theme.escaped(df, "unit_name").pivot_table(index="unit_name", columns="month", values="activities",
                                                      aggfunc="sum", sort=False)
    fig = go.Figure()
    months = theme.period_axis(fig, list(grid.columns), lang)
    top = 0 if grid.empty else grid.max(axis=None)
    fig.add_trace(go.Heatmap(
        z=grid.values, x=months, y=list(grid.index), colorscale=[[0, "#F4F4F4"], [1, theme.ACCENT]],
        zmin=0, xgap=2, ygap=2, text=[[count_text(v, lang) for v in row] for row in grid.values],
        texttemplate="%{text}",
        colorbar={"title": {"text": t("coverage.axis.activities", lang)}, "tickformat": ",d", "tick0": 0,
                  "dtick": nice_step(top)},
        hovertemplate="<b>%{y}</b> %{x}<br>" + t("coverage.axis.activities", lang) + ": %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=t("coverage.axis.month", lang))
    fig.update_layout(height=max(420, 32 * len(grid.index) + 180))
    return theme.styled(fig, t("coverage.chart.heatmap", lang), subtitle)


def tree_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """The org tree (coverage_tree's frame) as a treemap: covered green, not covered red, units the
    rule does not check grey."""
    df = theme.escaped(df, "unit_code", "unit_name", "parent_code")
    state = ["covered" if c is True else "uncovered" if c is False else "unchecked" for c in df.covered]
    colours = {"covered": theme.OK, "uncovered": theme.BAD, "unchecked": theme.MISSING}
    fig = go.Figure(go.Treemap(
        ids=df.unit_code, labels=df.unit_name, parents=[p if isinstance(p, str) else "" for p in df.parent_code],
        values=[1] * len(df), branchvalues="remainder",
        marker={"colors": [colours[s] for s in state]},
        customdata=[[t(f"coverage.state.{s}", lang), int(a)] for s, a in zip(state, df.activities)],
        hovertemplate="<b>%{label}</b> (%{id})<br>%{customdata[0]}<br>"
                      + t("coverage.axis.activities", lang) + ": %{customdata[1]}<extra></extra>"))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 80, "b": 10})
    return theme.styled(fig, t("coverage.chart.tree", lang), subtitle)


def findings_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Findings per activity by kind (only activities that reported a count)."""
    labels = [enum_label(k, lang) for k in df.kind]
    values = [None if is_missing(v) else float(v) for v in df.findings_per_activity]
    custom = [[count_text(a, lang), count_text(r, lang), count_text(f, lang)]
              for a, r, f in zip(df.activities, df.reported, df.findings)]
    text, axis_end = theme.bar_labels(values, [number_text(v, 1, lang) for v in values])
    fig = go.Figure(go.Bar(
        x=labels, y=df.findings_per_activity.astype(float), marker_color=theme.PRIMARY, customdata=custom, **text,
        hovertemplate="<b>%{x}</b><br>" + t("coverage.hover.findings", lang) + "<extra></extra>"))
    fig.update_yaxes(title_text=t("coverage.axis.findings_per_activity", lang), range=[0, axis_end])
    fig.update_xaxes(type="category")
    return theme.styled(fig, t("coverage.chart.findings", lang), subtitle)
