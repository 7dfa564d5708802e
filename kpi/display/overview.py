"""The leadership overview as text: each headline card's label, value, change, target, status and
formula, and the red flags as one sentence per unit and rule. Figures come from kpi.metrics.overview."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kpi.display.formats import short_number
from kpi.display.meetings import missed_run
from kpi.i18n import t
from kpi.metrics import overview
from kpi.metrics.annual import NotReported
from kpi.metrics.meetings import MissedRun
from kpi.rules import Rules
from kpi.store import memo


# The overview page asks for the list on every rerun: worded once per store state and language.
@memo.versioned(maxsize=4)
def flag_rows(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: dt.date, root: str | None = None,
              lang: str = "zh", today: dt.date | None = None) -> pd.DataFrame:
    """The red flags of `overview.red_flags` as the overview lists them (`flag_table` in `lang`), row for row."""
    return flag_table(overview.red_flags(con, rules, as_of, root, today=today), lang)


def flag_table(flags: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The red flags as a reader sees them: unit, level, the rule's short name and one sentence
    saying by how much the rule is broken (message `flags.<rule>` filled from actual / required /
    gap / detail). A flag whose detail is empty says 'never' (e.g. no activity ever); a figure not
    reported (annual.NotReported) says for which year and why."""
    never = t("overview.never", lang)
    # A large group raises tens of thousands of flags over a few distinct figures: format each
    # distinct value once (keyed with its type, so that 1 and True stay apart).
    shown: dict[tuple, str] = {}

    def short(value: object) -> str:
        key = (type(value), value)
        if key not in shown:
            shown[key] = _structured(value, lang) if isinstance(value, tuple) else short_number(value)
        return shown[key]

    levels = {level: t(f"common.level.{int(level)}", lang) for level in flags["level"].unique()}
    rules = {rule: t(f"overview.rule.{rule}", lang) for rule in flags["rule"].unique()}
    rows = []
    for flag in flags.itertuples(index=False):
        # A MissedRun or NotReported is a tuple: pd.isna would test its fields one by one.
        missing = flag.detail is None or (not isinstance(flag.detail, tuple) and pd.isna(flag.detail))
        detail = never if missing else flag.detail
        rows.append({
            "unit_code": flag.unit_code,
            "unit_name": flag.unit_name,
            "level": levels[flag.level],
            "rule": rules[flag.rule],
            "message": t(f"flags.{flag.rule}", lang, actual=short(flag.actual), required=short(flag.required),
                         gap=short(flag.gap), detail=short(detail)),
        })
    return pd.DataFrame(rows, columns=["unit_code", "unit_name", "level", "rule", "message"])


def not_reported(detail: NotReported, lang: str) -> str:
    """A '<rule>_missing' flag's detail in words: '2026 年（未上传年度数据）'."""
    return t("flags.not_reported_detail", lang, year=detail.year, reason=t(f"flags.reason.{detail.reason}", lang))


def _structured(detail: tuple, lang: str) -> str:
    return missed_run(detail, lang) if isinstance(detail, MissedRun) else not_reported(detail, lang)


def worded_details(flags: pd.DataFrame, lang: str = "zh") -> list:
    """The `detail` column of red flags with structured details (meetings.MissedRun,
    annual.NotReported) in words, every other value as it is: for a table that shows the flags' own
    columns (the briefing's)."""
    return [_structured(d, lang) if isinstance(d, (MissedRun, NotReported)) else d for d in flags["detail"]]


def card_texts(card: overview.Card, rules: Rules, lang: str = "zh") -> dict[str, str]:
    """What a card shows, as text: label, value, change, target, status and the formula (help)."""
    now = card.now
    pct = now.unit == "%"
    if now.value is None:
        value = t("common.missing", lang)
    elif pct:
        value = t("overview.value_pct", lang, value=f"{now.value:.1f}")
    else:
        value = t("overview.value_count", lang, value=short_number(now.value))
    change = None
    if card.change == 0:
        change = t("overview.change_same", lang)
    elif card.change is not None:
        delta = f"{card.change:+.1f}" if pct else f"{card.change:+g}"
        change = t("overview.change_pct" if pct else "overview.change_count", lang, delta=delta)
    if now.target is None:
        target = t("overview.no_target", lang)
    else:
        key = "overview.target_min" if now.higher_is_better else "overview.target_max"
        target = t(key, lang, target=short_number(float(now.target)), unit="%" if pct else "")
    rule_value = {"funds": rules.funds_min_ratio_pct, "weight": rules.assessment_min_weight_pct,
                  "party_staff": rules.party_staff_min_ratio_pct,
                  "standardisation": rules.standardisation_target_pct}.get(card.key)
    help_params = {"rule": short_number(float(rule_value))} if rule_value is not None else {}
    counts = (t("overview.of", lang, numerator=now.numerator, denominator=now.denominator)
              if pct and now.denominator else "")
    if now.not_reported is not None and now.numerator + now.failing + now.not_reported:
        # An annual rule: every unit owing its figures counted once — met, below, not reported (未报送).
        counts = t("overview.of_reported", lang, met=now.numerator, failing=now.failing, missing=now.not_reported,
                   units=now.numerator + now.failing + now.not_reported)
    return {"label": t(f"overview.card.{card.key}", lang), "value": value, "change": change,
            "target": target,
            # A figure without a target (the close-out rate) gets no verdict, not a green 'meets'.
            "status": t(f"overview.status.{now.status}", lang) if now.target is not None else None,
            "help": t(f"overview.card_help.{card.key}", lang, **help_params), "counts": counts}
