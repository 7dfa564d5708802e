"""One theme for every chart: restrained party-red accent, large type that survives a slide."""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from kpi.display.textsafe import plotly_text

# Named first so that kaleido's Chromium and the browser both pick the installed CJK face.
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
ACCENT = "#B5121B"      # party red: rule lines, highlights
PRIMARY = "#44546A"     # slate: ordinary series
OK = "#2E7D5B"          # meets the rule
WARN = "#E0A100"        # close to the line / due soon
BAD = "#C0392B"         # breaks the rule / overdue
MISSING = "#BDBDBD"     # no data
SERIES = (PRIMARY, ACCENT, "#8C6D46", "#5B8DB8", "#7A9E7E", "#B07AA1", "#9C755F", "#76B7B2")
STATUS_COLOURS = {"ok": OK, "warn": WARN, "bad": BAD, "missing": MISSING}

LAYOUT = go.Layout(
    font={"family": FONT_FAMILY, "size": 15, "color": "#222222"},
    title={"font": {"size": 20, "color": "#222222"}, "x": 0.01, "xanchor": "left"},
    colorway=list(SERIES),
    paper_bgcolor="white",
    plot_bgcolor="white",
    margin={"l": 60, "r": 30, "t": 70, "b": 60},
    hoverlabel={"font": {"family": FONT_FAMILY, "size": 14}},
    legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"},
    xaxis={"gridcolor": "#EEEEEE", "zerolinecolor": "#CCCCCC"},
    yaxis={"gridcolor": "#EEEEEE", "zerolinecolor": "#CCCCCC"},
)


def text(value: object) -> str:
    """User text (a unit name or code, a branch, a meeting topic…) for anything Plotly draws — tick
    labels, legend names, hover text and templates, treemap labels: HTML-escaped, so it shows as
    typed and never as a link or markup (kpi.display.textsafe.plotly_text)."""
    return plotly_text(value)


def texts(values: Iterable) -> list:
    """`text` of every string in `values`; missing values (None, NaN) stay missing."""
    return [text(v) if isinstance(v, str) else v for v in values]


def escaped(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `df` whose user-text `columns` are escaped for Plotly (`texts`); the figure builders
    start from it, so the tick labels, hover text and customdata they draw are plain text."""
    return df.assign(**{c: texts(df[c]) for c in columns})


def styled(fig: go.Figure, title: str, subtitle: str | None = None) -> go.Figure:
    """`fig` with the app theme and a title saying what is shown (subtitle: as-of date, subtree).
    Title and subtitle are plain text (they carry unit and branch names) and are escaped here."""
    title = text(title)
    label = f"{title}<br><sup>{text(subtitle)}</sup>" if subtitle else title
    fig.update_layout(template=go.layout.Template(layout=LAYOUT), title_text=label)
    return fig


def rule_line(fig: go.Figure, value: float, label: str, axis: str = "y") -> go.Figure:
    """Draw a rule threshold (e.g. the 1% funds line) as a dashed accent line with its label (plain text)."""
    label = text(label)
    if axis == "y":
        fig.add_hline(y=value, line_dash="dash", line_color=ACCENT, annotation_text=label,
                      annotation_position="top left", annotation_font_color=ACCENT)
    else:
        fig.add_vline(x=value, line_dash="dash", line_color=ACCENT, annotation_text=label,
                      annotation_position="top right", annotation_font_color=ACCENT)
    return fig
