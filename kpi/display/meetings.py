"""Organisational life as text: branches missing slots in a row and one branch's meetings, with
column names, meeting types and periods in the UI language (for display and download)."""
from __future__ import annotations

import pandas as pd

from kpi.display.formats import period_label
from kpi.i18n import enum_label, t
from kpi.metrics.meetings import MissedRun


def slot_list(slots: str, lang: str) -> str:
    """Slot labels as `gap_branches` joins them ('2025-03、2025-04') as the UI says them, with the list
    separator of `lang`: 2025年3月、2025年4月 / Mar 2025, Apr 2025 (formats.period_label)."""
    return t("common.list_separator", lang).join(period_label(slot, lang) for slot in slots.split("、"))


def missed_run(run: MissedRun, lang: str) -> str:
    """A 'meetings_gap' flag's detail in words: '支部委员会会议（2025-03、2025-04）'."""
    return t("meetings.flag_detail", lang, type=enum_label(run.meeting_type, lang), slots=slot_list(run.slots, lang))


def gap_table(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """`gap_branches` with translated headers and labels, for display and download."""
    out = pd.DataFrame({
        t("meetings.col.unit_code", lang): df["unit_code"],
        t("meetings.col.unit_name", lang): df["unit_name"],
        t("meetings.col.meeting_type", lang): [enum_label(m, lang) for m in df["meeting_type"]],
        t("meetings.col.every", lang): [t(f"meetings.every.{e}", lang) for e in df["every"]],
        t("meetings.col.gap_slots", lang): df["gap_slots"],
        t("meetings.col.slots", lang): [slot_list(s, lang) for s in df["slots"]],
    })
    return out.reset_index(drop=True)


def meetings_table(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """`branch_meetings` with translated headers and labels."""
    return pd.DataFrame({
        t("meetings.col.date", lang): pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d"),
        t("meetings.col.meeting_type", lang): [enum_label(m, lang) for m in df["meeting_type"]],
        t("meetings.col.topic", lang): df["topic"],
        t("meetings.col.expected", lang): df["expected"],
        t("meetings.col.attended", lang): df["attended"],
    }).reset_index(drop=True)
