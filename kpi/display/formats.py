"""Number, week and month formatting shared by cards, flags, profiles and every chart.

One place decides how a figure reads: percentages with one decimal, counts as whole numbers with
thousands separators, money in 万元, a missing value as "—" (never None or NaN), and periods as
the language says them (第48周（11.23–11.29）/ Wk 48 (23–29 Nov), 2026年1月 / Jan 2026).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from numbers import Real

from kpi.i18n import t

YUAN_PER_WAN = 10_000
YUAN_PER_THOUSAND = 1_000
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_BIMONTH = re.compile(r"^(\d{4})-(\d{2})~(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")


def short_number(value: object) -> str:
    """A number with two decimals at most and no trailing zeros (0.75, 8, 52.18); other values as text."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return f"{float(value):.2f}".rstrip("0").rstrip(".")
    return str(value)


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' missing markers: values that must read as "—"."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA and NaT are not equal to themselves
    except TypeError:  # pd.NA refuses bool()
        return True


def missing(lang: str = "zh") -> str:
    """The mark of a missing figure in a label or hover text."""
    return t("formats.missing", lang)


def number_text(value: object, decimals: int = 1, lang: str = "zh") -> str:
    """`value` with `decimals` decimals and thousands separators (12,345.6); "—" when missing."""
    if is_missing(value):
        return missing(lang)
    return f"{float(value):,.{decimals}f}"


def count_text(value: object, lang: str = "zh") -> str:
    """A count as a whole number with thousands separators (1,234); "—" when missing."""
    if is_missing(value):
        return missing(lang)
    return f"{int(round(float(value))):,}"


def pct_text(value_pct: object, decimals: int = 1, lang: str = "zh") -> str:
    """A percentage already ×100 (85.57 → "85.6%"); "—" when missing."""
    if is_missing(value_pct):
        return missing(lang)
    return f"{float(value_pct):,.{decimals}f}%"


def share_text(share: object, decimals: int = 1, lang: str = "zh") -> str:
    """A share between 0 and 1 as a percentage (0.8557 → "85.6%"); "—" when missing."""
    return pct_text(None if is_missing(share) else float(share) * 100, decimals, lang)


def wan_text(value_wan: object, decimals: int = 1, lang: str = "zh") -> str:
    """An amount already in 万元 (44.571 → "44.6"), the unit being in the axis or column title."""
    return number_text(value_wan, decimals, lang)


def yuan_text(yuan: object, decimals: int = 1, lang: str = "zh") -> str:
    """An amount in 元 as a reader says it: 445710 → "44.6 万元" / "CNY 445.7k"; "—" when missing."""
    if is_missing(yuan):
        return missing(lang)
    per = YUAN_PER_WAN if lang == "zh" else YUAN_PER_THOUSAND
    return t("formats.wan_yuan", lang, value=f"{float(yuan) / per:,.{decimals}f}")


def _month_name(month: int, lang: str) -> str:
    return t(f"formats.month_name.{month}", lang)


def day_span(first: dt.date, last: dt.date, lang: str = "zh") -> str:
    """'11.23–11.29' / '23–29 Nov' (or '30 Nov–6 Dec' across a month end)."""
    if first.month == last.month:
        return t("formats.span_same_month", lang, month=_month_name(first.month, lang), first=first.day,
                 last=last.day)
    return t("formats.span", lang, first_month=_month_name(first.month, lang), first=first.day,
             last_month=_month_name(last.month, lang), last=last.day)


def week_label(iso_week: str, lang: str = "zh") -> str:
    """An ISO week 'YYYY-Www' as the UI says it: 第48周（11.23–11.29）/ Wk 48 (23–29 Nov)."""
    match = _WEEK.match(iso_week)
    if match is None:
        raise ValueError(f"not an ISO week 'YYYY-Www': {iso_week!r}")
    year, week = int(match[1]), int(match[2])
    monday = dt.date.fromisocalendar(year, week, 1)
    return t("formats.week", lang, week=week, span=day_span(monday, monday + dt.timedelta(days=6), lang))


def week_of_year_label(iso_week: str, lang: str = "zh") -> str:
    """An ISO week with its year, for a list that spans years: 2026年第48周（11.23–11.29）/ 2026 Wk 48 (23–29 Nov)."""
    year = int(iso_week[:4])
    return t("formats.week_of_year", lang, year=year, week=week_label(iso_week, lang))


def month_label(year: int, month: int, lang: str = "zh") -> str:
    """2026年1月 / Jan 2026."""
    return t("formats.month", lang, year=year, month=_month_name(month, lang))


def month_ticks(periods: list[str], lang: str = "zh") -> list[tuple[str, str | None]]:
    """For consecutive 'YYYY-MM' periods: each month's short name and, where the year changes (the
    first one, every January), the year — so twelve columns read 1月 2月 … without twelve '2026年'."""
    out: list[tuple[str, str | None]] = []
    last_year = None
    for period in periods:
        match = _MONTH.match(str(period))
        if match is None:
            out.append((period_label(period, lang), None))
            continue
        year, month = int(match[1]), int(match[2])
        out.append((t("formats.month_tick", lang, month=_month_name(month, lang)),
                    t("formats.year", lang, year=year) if year != last_year else None))
        last_year = year
    return out


def period_label(period: object, lang: str = "zh") -> str:
    """Any period label the metrics write (2026-W48, 2026-01, 2026-01~02, 2026-Q4, 2026-H1, 2026)
    as the UI language says it; anything else is returned as text, a missing one as "—"."""
    if is_missing(period):
        return missing(lang)
    text = str(period)
    if _WEEK.match(text):
        return week_label(text, lang)
    if match := _MONTH.match(text):
        return month_label(int(match[1]), int(match[2]), lang)
    if match := _BIMONTH.match(text):
        return t("formats.bimonth", lang, year=match[1], first=_month_name(int(match[2]), lang),
                 last=_month_name(int(match[3]), lang))
    if match := _QUARTER.match(text):
        return t("formats.quarter", lang, year=match[1], n=match[2])
    if match := _HALF.match(text):
        return t("formats.half", lang, year=match[1], half=t(f"formats.half_name.{match[2]}", lang))
    if match := _YEAR.match(text):
        return t("formats.year", lang, year=match[1])
    return text


def nice_step(top: float, ticks: int = 6) -> int:
    """A whole-number tick step (1, 2, 5, 10, 20, 50…) giving at most about `ticks` ticks from 0 to
    `top`: count axes never show 0.5."""
    if is_missing(top) or top <= ticks:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)
