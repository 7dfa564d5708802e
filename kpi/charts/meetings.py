"""Charts of organisational life (组织生活): slot heat map, completion bars, attendance, calendar.

Each builder takes the DataFrame returned by one function of kpi/metrics/meetings.py, the UI
language and the subtitle (as-of date and scope), and returns a styled Plotly figure.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.display.formats import pct_text, period_label
from kpi.i18n import enum_label, t
from kpi.metrics.meetings import FULL_COMPLETION_PCT

MET, UNMET, IN_PROGRESS, NOT_REQUIRED = "met", "unmet", "in_progress", "not_required"
HEATMAP_BRANCHES = 60  # rows of the slot heat map still readable on a screen and on a slide
# A running period not met yet is neither good nor bad: a mid grey, darker than "not required".
IN_PROGRESS_GREY = "#8C959F"
STATUS_COLOURS = {MET: theme.OK, UNMET: theme.BAD, IN_PROGRESS: IN_PROGRESS_GREY, NOT_REQUIRED: theme.MISSING}
_STATUS_CODE = {UNMET: 0, MET: 1, IN_PROGRESS: 2, NOT_REQUIRED: 3}
# Four flat bands over z = 0 … 3 (zmin 0, zmax 3) so the heat map reads as discrete colours.
_DISCRETE_SCALE = [[0.0, theme.BAD], [1 / 6, theme.BAD], [1 / 6, theme.OK], [0.5, theme.OK],
                   [0.5, IN_PROGRESS_GREY], [5 / 6, IN_PROGRESS_GREY], [5 / 6, theme.MISSING], [1.0, theme.MISSING]]


def _pct_text(value: float | None, lang: str) -> str:
    return t("meetings.chart.no_data", lang) if value is None or pd.isna(value) else f"{value:.1f}%"


def slot_status(required: bool, in_progress: bool, met) -> str:
    """The colour state of a slot row of `meeting_slots` / `branch_calendar`: in progress (running,
    not met yet: grey, never red), not required, met or not met (an owed slot)."""
    if in_progress:
        return IN_PROGRESS
    if not required:
        return NOT_REQUIRED
    return MET if bool(met) else UNMET


def _status_text(status: str, running: bool, lang: str) -> str:
    """The state in words; a slot met while still running says so."""
    text = t(f"meetings.status.{status}", lang)
    return text + t("meetings.status.running", lang) if running and status == MET else text


def completion_colour(pct: float | None, alert_pct: float) -> str:
    """OK at 100 %, WARN from the alert line up, BAD below it, MISSING without data."""
    if pct is None or pd.isna(pct):
        return theme.MISSING
    if pct >= FULL_COMPLETION_PCT:
        return theme.OK
    return theme.WARN if pct >= alert_pct else theme.BAD


def _missing_markers(fig: go.Figure, labels: list[str], lang: str, key: str = "meetings.chart.no_data") -> None:
    """Say 'no data' (or the message `key`) where a bar is missing, so it cannot be read as 0 %."""
    if labels:
        fig.add_trace(go.Scatter(x=labels, y=[0] * len(labels), mode="text", showlegend=False,
                                 text=[t(key, lang)] * len(labels),
                                 textposition="top center", textfont={"color": theme.MISSING},
                                 hoverinfo="skip"))


def _completion_bars(labels: list[str], pct: pd.Series, hover: list[str], alert_pct: float,
                     lang: str, title: str, subtitle: str, running: list[bool] | None = None) -> go.Figure:
    """Completion bars; a missing bar says 'no data', or 'in progress' where `running` is True
    (nothing owed yet, periods still running)."""
    values = [None if pd.isna(v) else float(v) for v in pct]
    running = running or [False] * len(values)
    lines = [FULL_COMPLETION_PCT, alert_pct]
    text, axis_end = theme.bar_labels(values, [pct_text(v, 1, lang) for v in values], lines,
                                      top=FULL_COMPLETION_PCT)
    fig = go.Figure(go.Bar(
        x=labels, y=values, marker_color=[completion_colour(v, alert_pct) for v in values], **text,
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    _missing_markers(fig, [lab for lab, v, r in zip(labels, values, running) if v is None and not r], lang)
    _missing_markers(fig, [lab for lab, v, r in zip(labels, values, running) if v is None and r], lang,
                     "meetings.status.in_progress")
    theme.styled(fig, title, subtitle)
    theme.rule_line(fig, FULL_COMPLETION_PCT, t("meetings.chart.target_line", lang))
    theme.rule_line(fig, alert_pct, t("meetings.chart.alert_line", lang, pct=f"{alert_pct:g}"),
                    colour=theme.WARN, dash="dot")
    fig.update_yaxes(title_text=t("meetings.chart.completion_axis", lang), range=[0, axis_end])
    return fig


def completion_by_type_chart(df: pd.DataFrame, alert_pct: float, lang: str, subtitle: str) -> go.Figure:
    """Bars of completion per meeting type (from `completion_by_type`), with the 100 % target."""
    labels = [enum_label(m, lang) for m in df["meeting_type"]]
    hover = [t("meetings.chart.hover_type", lang, type=enum_label(r.meeting_type, lang),
               every=t(f"meetings.every.{r.every}", lang), met=r.met_slots, required=r.required_slots,
               pct=_pct_text(r.completion_pct, lang)) for r in df.itertuples()]
    return _completion_bars(labels, df["completion_pct"], hover, alert_pct, lang,
                            t("meetings.chart.by_type_title", lang), subtitle,
                            running=[bool(n > 0) for n in df["in_progress_slots"]])


def completion_by_unit_chart(df: pd.DataFrame, alert_pct: float, lang: str, subtitle: str) -> go.Figure:
    """Bars of completion per unit (from `completion_by_unit`); hover adds the share of branches
    with every period met."""
    df = theme.escaped(df, "unit_name")
    hover = [t("meetings.chart.hover_unit", lang, unit=r.unit_name, met=r.met_slots, required=r.required_slots,
               pct=_pct_text(r.completion_pct, lang), complete=r.branches_complete, branches=r.branches_total)
             for r in df.itertuples()]
    return _completion_bars(list(df["unit_name"]), df["completion_pct"], hover, alert_pct, lang,
                            t("meetings.chart.by_unit_title", lang), subtitle)


def attendance_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Bars of attendance (Σ 实到 ÷ Σ 应到) per unit (from `attendance`); no rule line (no rule)."""
    df = theme.escaped(df, "unit_name")
    values = [None if pd.isna(v) else float(v) for v in df["attendance_pct"]]
    hover = [t("meetings.chart.hover_attendance", lang, unit=r.unit_name,
               attended=0 if pd.isna(r.attended) else int(r.attended),
               expected=0 if pd.isna(r.expected) else int(r.expected),
               pct=_pct_text(r.attendance_pct, lang), meetings=r.meetings) for r in df.itertuples()]
    labels = list(df["unit_name"])
    text, axis_end = theme.bar_labels(values, [pct_text(v, 1, lang) for v in values], top=100)
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color=theme.PRIMARY, showlegend=False, **text,
                           hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
    _missing_markers(fig, [lab for lab, v in zip(labels, values) if v is None], lang)
    theme.styled(fig, t("meetings.chart.attendance_title", lang), subtitle)
    fig.update_yaxes(title_text=t("meetings.chart.attendance_axis", lang), range=[0, axis_end])
    return fig


def _branch_labels(df: pd.DataFrame) -> pd.Series:
    """Branch names, with the code added only where two branches share a name."""
    names = df.drop_duplicates("unit_code").set_index("unit_code")["unit_name"]
    shared = names[names.duplicated(keep=False)].index
    labelled = {code: (f"{name}（{code}）" if code in shared else name) for code, name in names.items()}
    return df["unit_code"].map(labelled)


def _status_legend(fig: go.Figure, lang: str) -> None:
    for status, colour in STATUS_COLOURS.items():
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=t(f"meetings.status.{status}", lang),
                                 marker={"symbol": "square", "size": 14, "color": colour}))


def slot_heatmap(df: pd.DataFrame, meeting_type: str, every: str, lang: str, subtitle: str) -> go.Figure:
    """Branch × slot grid for one meeting type (rows of `meeting_slots`): green met, red not met,
    mid grey in progress (the running period, not met yet), light grey not required; the number
    is the meetings held in the slot."""
    df = theme.escaped(df, "unit_name", "unit_code")
    frame = df.assign(branch=_branch_labels(df),
                      status=[slot_status(r, p, m) for r, p, m in zip(df["required"], df["in_progress"], df["met"])])
    frame["code"] = frame["status"].map(_STATUS_CODE)
    raw_slots = list(dict.fromkeys(frame["slot_label"]))
    frame["slot_label"] = [period_label(s, lang) for s in frame["slot_label"]]
    frame["hover"] = [t("meetings.chart.hover_slot", lang, branch=b, slot=s, held=h,
                        status=_status_text(st, not e, lang))
                      for b, s, h, st, e in zip(frame["branch"], frame["slot_label"], frame["held"],
                                                frame["status"], frame["ended"])]
    branches = list(dict.fromkeys(frame["branch"]))
    slots = list(dict.fromkeys(frame["slot_label"]))
    grid = frame[["branch", "slot_label", "code", "held", "hover"]].pivot(
        index="branch", columns="slot_label").reindex(index=branches)

    fig = go.Figure(go.Heatmap(
        z=grid["code"][slots].values.tolist(), x=slots, y=branches, zmin=0, zmax=3, colorscale=_DISCRETE_SCALE,
        showscale=False, xgap=2, ygap=2, text=grid["held"][slots].values.tolist(), texttemplate="%{text}",
        hovertext=grid["hover"][slots].values.tolist(), hovertemplate="%{hovertext}<extra></extra>"))
    _status_legend(fig, lang)
    theme.styled(fig, t("meetings.chart.heatmap_title", lang, type=enum_label(meeting_type, lang),
                        every=t(f"meetings.every.{every}", lang)), subtitle)
    fig.update_layout(height=max(380, 150 + 26 * len(branches)), xaxis={"showgrid": False, "side": "bottom"},
                      yaxis={"autorange": "reversed", "showgrid": False, "automargin": True})
    fig.update_xaxes(title_text=t("meetings.chart.slot_axis", lang))
    theme.period_axis(fig, raw_slots, lang)
    return fig


def calendar_chart(cal: pd.DataFrame, meetings: pd.DataFrame, branch: str, year: int, lang: str,
                   subtitle: str) -> go.Figure:
    """One branch's year: a band per meeting type and slot coloured by status (`branch_calendar`),
    with a diamond on each meeting's date (`branch_meetings`)."""
    bands = cal.assign(
        type_label=[enum_label(m, lang) for m in cal["meeting_type"]],
        status=[slot_status(r, p, m) for r, p, m in zip(cal["required"], cal["in_progress"], cal["met"])],
        band_end=pd.to_datetime(cal["slot_end"]) + pd.Timedelta(days=1))
    bands["status_label"] = [_status_text(s, not e, lang) for s, e in zip(bands["status"], bands["ended"])]
    bands["hover"] = [t("meetings.chart.hover_calendar", lang, type=r.type_label, slot=period_label(r.slot_label, lang),
                        held=r.held,
                        dates="" if pd.isna(r.dates) else r.dates, status=r.status_label)
                      for r in bands.itertuples()]
    order = list(dict.fromkeys(list(bands["type_label"]) + [enum_label(m, lang) for m in meetings["meeting_type"]]))
    fig = px.timeline(bands, x_start="slot_start", x_end="band_end", y="type_label", color="status",
                      color_discrete_map=STATUS_COLOURS, custom_data=["hover"],
                      category_orders={"type_label": order})
    fig.update_traces(hovertemplate="%{customdata[0]}<extra></extra>", marker_line_color="white",
                      marker_line_width=2, opacity=0.55)
    for trace in fig.data:
        trace.name = t(f"meetings.status.{trace.name}", lang)
    if len(meetings):
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(meetings["date"]), y=[enum_label(m, lang) for m in meetings["meeting_type"]],
            mode="markers", name=t("meetings.col.date", lang),
            marker={"symbol": "diamond", "size": 12, "color": theme.PRIMARY, "line": {"color": "white", "width": 1}},
            hovertext=[f"{d:%Y-%m-%d} · {enum_label(m, lang)}<br>{'' if pd.isna(p) else theme.text(p)}"
                       for d, m, p in zip(pd.to_datetime(meetings["date"]), meetings["meeting_type"],
                                          meetings["topic"])],
            hovertemplate="%{hovertext}<extra></extra>"))
    theme.styled(fig, t("meetings.chart.calendar_title", lang, branch=branch, year=year), subtitle)
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    fig.update_xaxes(range=[dt.date(year, 1, 1), dt.date(year + 1, 1, 1)], tickvals=months,
                     ticktext=[t(f"formats.month_name.{m.month}", lang) for m in months],
                     title_text=t("meetings.chart.month_axis", lang))
    fig.update_yaxes(title_text=None, autorange="reversed", automargin=True)
    fig.update_layout(height=max(380, 150 + 48 * len(order)), legend_title_text="")
    return fig
