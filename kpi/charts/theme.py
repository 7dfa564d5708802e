"""One theme for every chart: restrained party-red accent, large type that survives a slide."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import plotly.graph_objects as go

from kpi.display.formats import is_missing, month_ticks, nice_step, period_label
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
# Ordered levels (1 → 5 stars): one hue, light to dark, so the order reads without a legend.
SEQUENTIAL = ("#D6DEE9", "#A7B9CF", "#7792B2", "#4B6990", "#263F66")
NEUTRAL = "#5F6B7A"     # group reference: median line, range band edge
BAND = "rgba(68, 84, 106, 0.15)"  # group range (min–max) band

FONT_PX = 15            # body text; slides paste the figure at its own size, so nothing smaller than 13
LABEL_FONT_PX = 14      # value labels and the target line's label
# The narrowest plot area a chart gets (half a 1280 px page, minus axis labels): label room is
# reckoned against it, so a label placed "outside" never reaches a line on any wider screen either.
NARROW_PLOT_PX = 300
LABEL_PAD_PX = 8
MOST_TICKS = 8          # category ticks on a period axis before they are thinned
TOP_MARGIN_PX = 92      # title + subtitle above the plot, and the vertical target line's label

LAYOUT = go.Layout(
    font={"family": FONT_FAMILY, "size": FONT_PX, "color": "#222222"},
    title={"font": {"size": 20, "color": "#222222"}, "x": 0.01, "xanchor": "left"},
    colorway=list(SERIES),
    paper_bgcolor="white",
    plot_bgcolor="white",
    # Decimal point, then thousands separator: 12,345.6 in both languages.
    separators=".,",
    margin={"l": 60, "r": 30, "t": TOP_MARGIN_PX, "b": 60},
    hoverlabel={"font": {"family": FONT_FAMILY, "size": 14}},
    # Below the plot, at the figure's foot: never over the title, whatever the figure's height.
    legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "x": 0, "xanchor": "left",
            "font": {"size": 14}},
    # automargin: long or rotated tick labels push the axis title out instead of covering it.
    xaxis={"gridcolor": "#EEEEEE", "zerolinecolor": "#CCCCCC", "automargin": True},
    yaxis={"gridcolor": "#EEEEEE", "zerolinecolor": "#CCCCCC", "automargin": True},
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


def text_px(label: str, size: int = LABEL_FONT_PX) -> float:
    """Rough width of `label` in pixels: a CJK character is about one em, anything else about 0.6."""
    return sum(size if ord(ch) > 0x2E80 else 0.6 * size for ch in label)


def rule_line(fig: go.Figure, value: float, label: str, axis: str = "y", colour: str = ACCENT,
              dash: str = "dash") -> go.Figure:
    """Draw a rule threshold (e.g. the 1% funds line) as a line across the plot, labelled (plain
    text) at the axis end outside the plot — right of a horizontal line, above a vertical one — so
    the label never lies on a bar or a value label."""
    label = text(label)
    font = {"color": colour, "size": LABEL_FONT_PX}
    if axis == "y":
        fig.add_hline(y=value, line_dash=dash, line_color=colour, line_width=2)
        fig.add_annotation(x=1, xref="paper", xanchor="left", xshift=4, y=value, yref="y", yanchor="middle",
                           text=label, showarrow=False, font=font)
        right = max(fig.layout.margin.r or 0, LAYOUT.margin.r, int(text_px(label)) + 12)
        fig.update_layout(margin_r=right)
    else:
        fig.add_vline(x=value, line_dash=dash, line_color=colour, line_width=2)
        fig.add_annotation(x=value, xref="x", xanchor="center", y=1, yref="paper", yanchor="bottom", yshift=2,
                           text=label, showarrow=False, font=font)
    return fig


def sparse_categories(fig: go.Figure, labels: Sequence[str], most: int = MOST_TICKS, axis: str = "x") -> go.Figure:
    """Tick only every k-th of many ordered categories (36 months, 12 weeks with dates), so the
    labels stay level and legible instead of a rotated thicket; every point keeps its hover."""
    step = max(1, -(-len(labels) // most))
    shown = list(labels)[::step]
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(tickmode="array", tickvals=shown,
                                                            ticktext=[two_lines(label) for label in shown])
    return fig


def period_axis(fig: go.Figure, periods: Sequence[str], lang: str, axis: str = "x") -> list[str]:
    """Label a category axis of periods ('2026-01', '2026-Q4'…) as the language says them; months
    tick short (1月 2月 …, the year under the first and every January) so twelve columns stay level.
    Returns the category labels (full: 2026年1月) the traces must use for x."""
    labels = [period_label(p, lang) for p in periods]
    ticks = [text if year is None else f"{text}<br>{year}" for text, year in month_ticks(list(periods), lang)]
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(type="category", tickmode="array", tickvals=labels,
                                                            ticktext=ticks)
    return labels


def two_lines(label: str) -> str:
    """A period label with its bracketed dates on a second line (第48周<br>（11.23–11.29）), so
    week ticks stay level."""
    for bracket in ("（", " ("):
        if bracket in label:
            head, tail = label.split(bracket, 1)
            return f"{head}<br>{bracket.strip()}{tail}"
    return label


def count_axis(fig: go.Figure, top: float, axis: str = "y") -> go.Figure:
    """A count axis: from 0, whole-number ticks (never 0.5) with thousands separators."""
    top = 0 if is_missing(top) else float(top)
    settings = {"tickformat": ",d", "tick0": 0, "dtick": nice_step(top), "rangemode": "tozero"}
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**settings)
    return fig


def _label_room(label: str, horizontal: bool, span: float) -> float:
    """Axis units a value label takes beyond the bar end, on the narrowest plot."""
    px = (text_px(label) if horizontal else LABEL_FONT_PX * 1.3) + LABEL_PAD_PX
    return px / NARROW_PLOT_PX * span


def bar_labels(values: Sequence, labels: Sequence[str], lines: Sequence[float] = (), horizontal: bool = False,
               top: float | None = None) -> tuple[dict, float]:
    """Value labels for one bar trace and the axis end that leaves room for them.

    A label sits just outside its bar's end, unless a rule line (`lines`) would run through it
    there: then it sits inside the bar's end, in white. Returns the go.Bar arguments (text,
    textposition, fonts, cliponaxis off) and the padded axis end (≥ `top`, the largest value or line).
    """
    present = [float(v) for v in values if not is_missing(v)]
    span = max([*present, *lines, top or 0, 1e-9])
    positions = []
    for value, label in zip(values, labels):
        if is_missing(value):
            positions.append("none")
            continue
        room = _label_room(label, horizontal, span)
        crossed = any(float(value) < line <= float(value) + room for line in lines)
        positions.append("inside" if crossed else "outside")
    room = max([_label_room(lab, horizontal, span) for lab in labels] or [0])
    args = {"text": list(labels), "textposition": positions, "insidetextanchor": "end", "cliponaxis": False,
            "constraintext": "none", "insidetextfont": {"color": "white", "size": LABEL_FONT_PX},
            "outsidetextfont": {"color": "#222222", "size": LABEL_FONT_PX}}
    return args, span + room * 1.15
