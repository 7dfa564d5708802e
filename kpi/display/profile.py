"""What the unit profile shows as text: headline cards and display tables, from a UnitProfile."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpi.display.formats import short_number
from kpi.display.tables import labelled
from kpi.i18n import enum_label, t
from kpi.metrics.common import Headline
from kpi.metrics.profile import UnitProfile
from kpi.rules import Rules


@dataclass(frozen=True)
class ProfileCard:
    """One headline card: label, value, a note (rule and counts) and a status for its badge:
    'ok' / 'warn' / 'bad' / 'missing', or None when no rule judges the figure."""

    key: str
    label: str
    value: str
    note: str
    status: str | None


def _missing(value) -> bool:
    return value is None or pd.isna(value)


def _pct(value, lang: str, digits: int | None = None) -> str:
    if _missing(value):
        return t("common.missing", lang)
    return f"{float(value):.{digits}f}%" if digits is not None else f"{short_number(value)}%"


def _rule_status(meets) -> str:
    return "missing" if _missing(meets) else "ok" if bool(meets) else "bad"


def _annual_cards(row: pd.Series, rules: Rules, lang: str) -> list[ProfileCard]:
    funds_note = t("profile.note.min", lang, rule=short_number(rules.funds_min_ratio_pct))
    if not _missing(row.shortfall_wan) and row.shortfall_wan > 0:
        funds_note += t("profile.note.short_wan", lang, gap=short_number(row.shortfall_wan))
    execution_note = ("" if _missing(row.fund_budget) else
                      t("profile.note.spent", lang,
                        spent=short_number(0 if _missing(row.fund_spent) else row.fund_spent),
                        budget=short_number(row.fund_budget)))
    staff_note = t("profile.note.min", lang, rule=short_number(rules.party_staff_min_ratio_pct))
    if not _missing(row.party_staff) and not _missing(row.staff_count):
        staff_note = t("profile.note.people", lang, staff=int(row.party_staff), total=int(row.staff_count)) + staff_note
    return [
        _owed(ProfileCard("funds", t("profile.card.funds", lang), _pct(row.fund_ratio_pct, lang), funds_note,
                          _rule_status(row.meets_funds)), row, "funds_ratio", lang),
        ProfileCard("execution", t("profile.card.execution", lang), _pct(row.execution_pct, lang, 1),
                    execution_note, None),
        _owed(ProfileCard("weight", t("profile.card.weight", lang), _pct(row.assessment_weight_pct, lang),
                          t("profile.note.min", lang, rule=short_number(rules.assessment_min_weight_pct)),
                          _rule_status(row.meets_weight)), row, "assessment_weight", lang),
        _owed(ProfileCard("party_staff", t("profile.card.party_staff", lang), _pct(row.party_staff_ratio_pct, lang),
                          staff_note, _rule_status(row.meets_party_staff)), row, "party_staff", lang),
    ]


def _owed(card: ProfileCard, row: pd.Series, rule: str, lang: str) -> ProfileCard:
    """`card` reading 未报送 and why, when the unit owes the annual figure of `rule` and has not sent it."""
    if row.get(f"{rule}_status") != "not_reported":
        return card
    return ProfileCard(card.key, card.label, t("common.not_reported", lang),
                       t(f"flags.reason.{row[f'{rule}_reason']}", lang), "missing")


def _share_card(key: str, h: Headline, note_key: str, lang: str, judged: bool = True) -> ProfileCard:
    note = t(note_key, lang, numerator=h.numerator, denominator=h.denominator) if h.denominator else ""
    if judged and h.target is not None:
        note += t("profile.note.target", lang, target=short_number(h.target))
    return ProfileCard(key, t(f"profile.card.{key}", lang), _pct(h.value, lang, 1), note,
                       h.status if judged and h.target is not None else None)


def _count_card(key: str, h: Headline, note_key: str, lang: str) -> ProfileCard:
    value = t("common.missing", lang) if h.value is None else t("profile.count", lang, n=int(h.value))
    note = t(note_key, lang, n=h.denominator) if h.value is not None else ""
    return ProfileCard(key, t(f"profile.card.{key}", lang), value, note, h.status)


def _coverage_card(key: str, h: Headline | None, lang: str) -> ProfileCard:
    if h is None:
        return ProfileCard(key, t(f"profile.card.{key}", lang), t("profile.coverage.not_checked", lang),
                           t("profile.note.not_checked", lang), None)
    covered = bool(h.numerator)
    return ProfileCard(key, t(f"profile.card.{key}", lang),
                       t("profile.coverage.covered" if covered else "profile.coverage.uncovered", lang),
                       t(f"profile.note.{key}", lang), "ok" if covered else "bad")


def profile_cards(p: UnitProfile, rules: Rules, lang: str = "zh") -> list[ProfileCard]:
    """The profile's headline cards in display order: red flags, the four annual figures of the
    unit's own row, meetings and attendance of its branches, overdue problems and close-out,
    branch standardisation, and whether the unit itself was supervised this year / inspected this
    cycle. Every value is a field of `p` (see UnitProfile)."""
    total = p.flag_count
    cards = [ProfileCard("flags", t("profile.card.flags", lang), t("profile.count", lang, n=total),
                         t("profile.note.own_flags", lang, n=p.own_flag_count), "ok" if total == 0 else "bad")]
    cards += _annual_cards(p.annual.iloc[0], rules, lang)
    cards += [
        _share_card("meetings", p.meeting_completion, "profile.note.slots", lang),
        _share_card("attendance", p.attendance, "profile.note.attended", lang, judged=False),
        _count_card("overdue", p.problem_headlines["overdue"], "profile.note.open_problems", lang),
        _share_card("closeout", p.problem_headlines["closeout"], "profile.note.closed", lang, judged=False),
        _share_card("standardisation", p.standardisation, "profile.note.branches", lang),
        _coverage_card("supervision", p.supervision_covered, lang),
        _coverage_card("inspection", p.inspection_covered, lang),
    ]
    return cards


def children_table(p: UnitProfile, lang: str = "zh") -> pd.DataFrame:
    """The unit's children as shown: code, name, level, type, members, staff, red flags in their
    subtree and meeting completion of their branches."""
    out = p.children.copy()
    out["level"] = [t(f"common.level.{int(v)}", lang) for v in out["level"]]
    out["org_type"] = [enum_label(v, lang) if isinstance(v, str) else v for v in out["org_type"]]
    out["meeting_completion_pct"] = out["meeting_completion_pct"].astype("Float64").round(1)
    return labelled(out, "profile", lang)


def indicator_table(p: UnitProfile, lang: str = "zh") -> pd.DataFrame:
    """The unit's latest value of every catalogue indicator, as shown: numbers as text so that a
    missing value or target reads 'no data' / '—' instead of an empty cell."""
    out = p.indicators.drop(columns="code")
    out["value"] = [t("common.missing", lang) if _missing(v) else short_number(v) for v in out["value"]]
    out["target"] = ["—" if _missing(v) else short_number(v) for v in out["target"]]
    out["period"] = ["—" if _missing(v) else v for v in out["period"]]
    return labelled(out, "profile", lang)


def activity_table(p: UnitProfile, lang: str = "zh") -> pd.DataFrame:
    """The latest supervision activities on the unit and below it, as shown."""
    out = p.recent_activities.copy()
    out["kind"] = [enum_label(v, lang) for v in out["kind"]]
    return labelled(out, "profile", lang)
