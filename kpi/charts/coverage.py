"""Charts of the supervision coverage page, drawn from kpi.metrics.coverage frames."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.i18n import enum_label, t
from kpi.metrics.coverage import FULL_COVERAGE_PCT


def coverage_bars(df: pd.DataFrame, labels: list[str], title: str, lang: str, subtitle: str) -> go.Figure:
    """Coverage % per row of `df` (covered, units, coverage_pct) against the 100% line; full
    coverage green, partial red, a row without units marked 'no data' instead of a bar."""
    have = df.coverage_pct.notna()
    colours = [theme.OK if v >= FULL_COVERAGE_PCT else theme.BAD for v in df.coverage_pct.fillna(0)]
    custom = df[["covered", "units"]].astype(object)
    fig = go.Figure(go.Bar(
        x=df.coverage_pct.where(have, None).astype(float), y=labels, orientation="h", marker_color=colours,
        customdata=custom.where(custom.notna(), None).values.tolist(),
        text=[f"{v:.0f}%" if h else t("common.missing", lang) for v, h in zip(df.coverage_pct.fillna(0), have)],
        textposition="outside", cliponaxis=False, name=t("coverage.axis.pct", lang),
        hovertemplate="<b>%{y}</b><br>" + t("coverage.hover.covered", lang) + "<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], automargin=True)
    fig.update_xaxes(title_text=t("coverage.axis.pct", lang), range=[0, 115])
    theme.rule_line(fig, FULL_COVERAGE_PCT, t("coverage.rule_line", lang), axis="x")
    return theme.styled(fig, title, subtitle)


def heatmap_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Unit × month activity counts (activity_heatmap's long frame) as a heat map."""
    grid = theme.escaped(df, "unit_name").pivot_table(index="unit_name", columns="month", values="activities",
                                                      aggfunc="sum", sort=False)
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=list(grid.columns), y=list(grid.index), colorscale=[[0, "#F4F4F4"], [1, theme.ACCENT]],
        zmin=0, xgap=2, ygap=2, texttemplate="%{z}", colorbar={"title": {"text": t("coverage.axis.activities", lang)}},
        hovertemplate="<b>%{y}</b> %{x}<br>" + t("coverage.axis.activities", lang) + ": %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=t("coverage.axis.month", lang), type="category")
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
    custom = df[["activities", "reported", "findings"]].astype(object)
    fig = go.Figure(go.Bar(
        x=labels, y=df.findings_per_activity.astype(float), marker_color=theme.PRIMARY,
        customdata=custom.where(custom.notna(), None).values.tolist(),
        texttemplate="%{y:.1f}", textposition="outside", cliponaxis=False,
        hovertemplate="<b>%{x}</b><br>" + t("coverage.hover.findings", lang) + "<extra></extra>"))
    fig.update_yaxes(title_text=t("coverage.axis.findings_per_activity", lang), rangemode="tozero")
    fig.update_xaxes(type="category")
    return theme.styled(fig, t("coverage.chart.findings", lang), subtitle)
