"""Sorted horizontal bars of one figure per unit against a rule line: the shape shared by the funds,
weight, party-staff and standardisation charts. Units breaking the rule are drawn in theme.BAD;
units without data are listed with a grey 'no data' mark, never as a zero bar."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.display.formats import is_missing, missing, pct_text
from kpi.i18n import t

BAR_HEIGHT_PX, MIN_HEIGHT_PX, CHROME_PX = 30, 420, 170


@dataclass(frozen=True)
class HoverField:
    """One hover line: label text and the format (Python format spec, e.g. ",.1f") of column `column`."""

    label: str
    column: str
    fmt: str = ",.2f"
    suffix: str = ""

    def shown(self, value: object, lang: str) -> str:
        """The value as the hover line shows it; "—" when missing (never None or NaN)."""
        return missing(lang) if is_missing(value) else format(float(value), self.fmt) + self.suffix


def hovertemplate(fields: list[HoverField], first: int = 0) -> str:
    """'<b>name</b> (code)' then one line per field read, already formatted, from customdata[first:]."""
    lines = ["<b>%{customdata[0]}</b> (%{customdata[1]})"]
    lines += [f"{f.label}: %{{customdata[{first + i}]}}" for i, f in enumerate(fields)]
    return "<br>".join(lines) + "<extra></extra>"


def rule_bars(df: pd.DataFrame, value_col: str, meets_col: str | None, rule_value: float | None,
              rule_label: str, title: str, subtitle: str, axis_title: str, hover: list[HoverField],
              lang: str, decimals: int = 1) -> go.Figure:
    """Bars of `value_col` (a percentage) per unit (unit_name/unit_code columns), highest at the top,
    each labelled with its value (`decimals` decimals: 2 where the rule sits near 1%, so 0.96 never
    reads as 1.0), the label placed where the rule line cannot strike it (theme.bar_labels)."""
    df = theme.escaped(df, "unit_name", "unit_code")
    have = df[df[value_col].notna()].sort_values(value_col, ascending=False, kind="stable")
    missing = df[df[value_col].isna()]
    breaks = have[meets_col].eq(False).fillna(False) if meets_col else pd.Series(False, index=have.index)
    colours = [theme.BAD if b else theme.PRIMARY for b in breaks]
    custom = [[name, code] + [f.shown(row[f.column], lang) for f in hover]
              for name, code, (_, row) in zip(have["unit_name"], have["unit_code"], have.iterrows())]
    values = [float(v) for v in have[value_col]]
    lines = [] if rule_value is None else [float(rule_value)]
    labels, axis_end = theme.bar_labels(values, [pct_text(v, decimals, lang) for v in values], lines,
                                        horizontal=True)
    fig = go.Figure(go.Bar(
        x=values, y=have["unit_name"].tolist(), orientation="h", marker_color=colours,
        customdata=custom, hovertemplate=hovertemplate(hover, first=2), name=axis_title, **labels))
    if not missing.empty:
        fig.add_trace(go.Scatter(
            x=[0] * len(missing), y=missing["unit_name"].tolist(), mode="text",
            text=[t("common.missing", lang)] * len(missing), textposition="middle right",
            textfont={"color": theme.MISSING}, name=t("common.missing", lang),
            customdata=missing[["unit_name", "unit_code"]].values.tolist(),
            hovertemplate="<b>%{customdata[0]}</b> (%{customdata[1]})<br>"
                          + t("common.missing", lang) + "<extra></extra>"))
    order = list(missing["unit_name"]) + list(have["unit_name"])
    fig.update_yaxes(categoryorder="array", categoryarray=order, automargin=True)
    fig.update_xaxes(title_text=axis_title, range=[0, axis_end])
    if rule_value is not None:
        theme.rule_line(fig, rule_value, rule_label, axis="x")
    fig.update_layout(showlegend=False, height=max(MIN_HEIGHT_PX, CHROME_PX + BAR_HEIGHT_PX * len(df)))
    return theme.styled(fig, title, subtitle)
