"""One theme for every chart: restrained party-red accent, large type that survives a slide."""
from __future__ import annotations

import plotly.graph_objects as go

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


def styled(fig: go.Figure, title: str, subtitle: str | None = None) -> go.Figure:
    """`fig` with the app theme and a title saying what is shown (subtitle: as-of date, subtree)."""
    text = f"{title}<br><sup>{subtitle}</sup>" if subtitle else title
    fig.update_layout(template=go.layout.Template(layout=LAYOUT), title_text=text)
    return fig


def rule_line(fig: go.Figure, value: float, label: str, axis: str = "y") -> go.Figure:
    """Draw a rule threshold (e.g. the 1% funds line) as a dashed accent line with its label."""
    if axis == "y":
        fig.add_hline(y=value, line_dash="dash", line_color=ACCENT, annotation_text=label,
                      annotation_position="top left", annotation_font_color=ACCENT)
    else:
        fig.add_vline(x=value, line_dash="dash", line_color=ACCENT, annotation_text=label,
                      annotation_position="top right", annotation_font_color=ACCENT)
    return fig
