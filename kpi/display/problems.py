"""The problem list and rectification pages as text: the problem table (also what its download writes),
one problem's facts and status history, problems due soon; enumerations and column names in the UI language."""
from __future__ import annotations

import pandas as pd

from kpi.display.tables import labelled
from kpi.i18n import enum_label, t

_TABLE_COLUMNS = ("problem_id", "overdue_mark", "unit_name", "unit_code", "source", "category", "severity",
                  "status", "found_date", "due_date", "days_overdue", "completed_date", "closed_date",
                  "owner", "description", "measures")
_ENUM_COLUMNS = ("source", "category", "severity", "status")


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


def rates_table(rates: pd.DataFrame, by: str, lang: str) -> pd.DataFrame:
    """Rates by `by` (kpi.metrics.problems.problem_rates) as shown: by 'source' the groups are stored
    enumerations, worded in `lang`; by unit they are unit codes and names, shown as stored."""
    out = rates.copy()
    if by == "source":
        for col in ("group", "group_name"):
            out[col] = [enum_label(v, lang) if isinstance(v, str) else v for v in out[col]]
    return labelled(out, "rectification", lang)


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
