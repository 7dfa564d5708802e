"""Charts of the problem list and rectification pages, drawn from kpi.metrics.problems frames."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpi.charts import theme
from kpi.charts.tables import labelled
from kpi.i18n import enum_label, t

RATE_COLUMNS = ("completion_pct", "closeout_pct", "ontime_pct")
RATE_COLOURS = (theme.SERIES[3], theme.OK, theme.PRIMARY)


def _plain(df: pd.DataFrame) -> list[list]:
    """Rows as plain Python values for customdata (missing → None, so hover shows it empty)."""
    obj = df.astype(object)
    return obj.where(obj.notna(), None).values.tolist()


def funnel_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """The 未启动 → 整改中 → 已完成待验收 → 已销号 funnel: problems at each stage or beyond."""
    labels = [enum_label(s, lang) for s in df.status]
    fig = go.Figure(go.Funnel(
        y=labels, x=df.reached, textinfo="value+percent initial",
        marker={"color": [theme.MISSING, theme.WARN, theme.SERIES[3], theme.OK]},
        customdata=_plain(df[["at_status"]]),
        hovertemplate="<b>%{y}</b><br>" + t("rectification.hover.reached", lang) + ": %{x}<br>"
                      + t("rectification.hover.at_status", lang) + ": %{customdata[0]}<extra></extra>"))
    return theme.styled(fig, t("rectification.chart.funnel", lang), subtitle)


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
                             texttemplate="%{y:.0f}", textposition="outside", cliponaxis=False))
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
    fig.update_yaxes(title_text=t("rectification.axis.problems", lang), rangemode="tozero")
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
    custom = _plain(df[["week_start", "week_end"]].astype(str))
    for col, colour in (("open", theme.PRIMARY), ("overdue", theme.BAD)):
        fig.add_trace(go.Scatter(
            x=df.week, y=df[col], mode="lines+markers", name=t(f"rectification.series.{col}", lang),
            line={"color": colour, "width": 3}, marker={"size": 8}, customdata=custom,
            hovertemplate="<b>%{x}</b> (%{customdata[0]} – %{customdata[1]})<br>%{fullData.name}: %{y}"
                          "<extra></extra>"))
    fig.update_xaxes(title_text=t("rectification.axis.week", lang), type="category")
    fig.update_yaxes(title_text=t("rectification.axis.problems", lang), rangemode="tozero")
    return theme.styled(fig, t("rectification.chart.burndown", lang), subtitle)


def new_vs_closed_chart(df: pd.DataFrame, lang: str, subtitle: str) -> go.Figure:
    """Problems new and closed out per ISO week, side by side."""
    fig = go.Figure()
    custom = _plain(df[["week_start", "week_end"]].astype(str))
    for col, colour in (("new", theme.ACCENT), ("closed", theme.OK)):
        fig.add_trace(go.Bar(
            x=df.week, y=df[col], name=t(f"rectification.series.{col}", lang), marker_color=colour,
            customdata=custom,
            hovertemplate="<b>%{x}</b> (%{customdata[0]} – %{customdata[1]})<br>%{fullData.name}: %{y}"
                          "<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=t("rectification.axis.week", lang), type="category")
    fig.update_yaxes(title_text=t("rectification.axis.problems", lang), rangemode="tozero")
    return theme.styled(fig, t("rectification.chart.new_vs_closed", lang), subtitle)


_TABLE_COLUMNS = ("problem_id", "overdue_mark", "unit_name", "unit_code", "source", "category", "severity",
                  "status", "found_date", "due_date", "days_overdue", "completed_date", "closed_date",
                  "owner", "description", "measures")
_ENUM_COLUMNS = ("source", "severity", "status")


def problem_table(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The problem list as shown and exported: enumerations in the UI language, an overdue mark
    ('逾期 61 天') on overdue rows, column names in the UI language. Text stays plain text."""
    out = df.copy()
    for col in _ENUM_COLUMNS:
        out[col] = [enum_label(v, lang) if isinstance(v, str) else v for v in out[col]]
    out["overdue_mark"] = [t("problems.overdue_mark", lang, days=int(d)) if o else ""
                           for o, d in zip(out.is_overdue, out.days_overdue.fillna(0))]
    out["days_overdue"] = out.days_overdue.astype("Int64")
    for col in ("found_date", "due_date", "completed_date", "closed_date"):
        out[col] = pd.to_datetime(out[col]).dt.date
    return labelled(out[list(_TABLE_COLUMNS)], "problems", lang)


def problem_facts(row: pd.Series, lang: str) -> list[tuple[str, str]]:
    """(label, text) pairs of one problem for the detail panel; missing values say so."""
    def text(value) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return t("common.missing", lang)
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
        return enum_label(value, lang) if isinstance(value, str) else str(value)

    facts = [(t("problems.col.unit_name", lang), f"{text(row.unit_name)} ({row.unit_code})")]
    for col in ("source", "category", "severity", "status", "owner", "found_date", "due_date",
                "completed_date", "closed_date"):
        facts.append((t(f"problems.col.{col}", lang), text(row[col])))
    if row.is_overdue:
        facts.append((t("problems.col.days_overdue", lang), str(int(row.days_overdue))))
    return facts


def history_table(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """status_history as shown: date, status, deadline, and a note of deadline changes and re-openings."""
    notes = []
    for r in df.itertuples():
        parts = []
        if r.reopened:
            parts.append(t("problems.history.reopened", lang))
        if r.deadline_changed:
            key = "extended" if r.deadline_extended else "changed"
            parts.append(t(f"problems.history.deadline_{key}", lang,
                           old=pd.Timestamp(r.previous_due_date).date().isoformat(),
                           new=t("common.missing", lang) if pd.isna(r.due_date)
                           else pd.Timestamp(r.due_date).date().isoformat()))
        notes.append("；".join(parts) if lang == "zh" else "; ".join(parts))
    out = pd.DataFrame({
        "as_of": pd.to_datetime(df.as_of).dt.date,
        "status": [enum_label(s, lang) for s in df.status],
        "due_date": pd.to_datetime(df.due_date).dt.date,
        "batch_id": df.batch_id.astype("Int64"),
        "note": notes})
    return labelled(out, "problems.history", lang)


def due_table(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Problems due soon as shown: id, unit, severity, status, deadline, days left, owner, description."""
    out = df[["problem_id", "unit_name", "severity", "status", "due_date", "days_left", "owner",
              "description"]].copy()
    for col in ("severity", "status"):
        out[col] = [enum_label(v, lang) if isinstance(v, str) else v for v in out[col]]
    out["due_date"] = pd.to_datetime(out.due_date).dt.date
    return labelled(out, "problems", lang)


def problem_export_table(con, as_of, root, filters, lang: str) -> pd.DataFrame:
    """Every problem `problems.problem_list` returns for `filters` (no display limit), as the
    list shows them: what the problem list's CSV/XLSX download writes."""
    from kpi.metrics.problems import problem_list  # noqa: PLC0415

    return problem_table(problem_list(con, as_of, root, filters), lang)
