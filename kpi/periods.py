"""Calendar arithmetic for rule periods (slots) and ISO weeks.

A slot is one period of a meeting rule's `every`: month, bimonth (Jan–Feb, Mar–Apr, …),
quarter, half_year (Jan–Jun, Jul–Dec) or year. Every kind divides the year evenly and starts on
1 January, so a slot is fully described by its first day.
"""
from __future__ import annotations

import datetime as dt

MONTHS_PER_SLOT = {"month": 1, "bimonth": 2, "quarter": 3, "half_year": 6, "year": 12}


def _months(every: str) -> int:
    try:
        return MONTHS_PER_SLOT[every]
    except KeyError:
        raise ValueError(f"unknown period {every!r}; expected one of {', '.join(MONTHS_PER_SLOT)}") from None


def _add_months(d: dt.date, months: int) -> dt.date:
    index = d.year * 12 + d.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def slot_start(d: dt.date, every: str) -> dt.date:
    """First day of the `every` slot containing `d`."""
    k = _months(every)
    return dt.date(d.year, (d.month - 1) // k * k + 1, 1)


def slot_end(d: dt.date, every: str) -> dt.date:
    """Last day of the `every` slot containing `d`."""
    return _add_months(slot_start(d, every), _months(every)) - dt.timedelta(days=1)


def slots_between(start: dt.date, end: dt.date, every: str) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of every `every` slot that overlaps [start, end], in order.

    The slot containing `start` is included even when `start` falls inside it; the slot
    containing `end` is included even though it has not ended yet. Empty when end < start.
    """
    out: list[tuple[dt.date, dt.date]] = []
    first = slot_start(start, every)
    while first <= end:
        out.append((first, slot_end(first, every)))
        first = _add_months(first, _months(every))
    return out


def slot_label(first_day: dt.date, every: str) -> str:
    """A short, language-neutral label: 2025-03, 2025-03~04, 2025-Q2, 2025-H1, 2025."""
    k = _months(every)
    start = slot_start(first_day, every)
    if every == "month":
        return f"{start:%Y-%m}"
    if every == "bimonth":
        return f"{start:%Y-%m}~{start.month + k - 1:02d}"
    if every == "quarter":
        return f"{start.year}-Q{(start.month - 1) // k + 1}"
    if every == "half_year":
        return f"{start.year}-H{(start.month - 1) // k + 1}"
    return str(start.year)


def effective_as_of(as_of: dt.date, today: dt.date | None = None) -> dt.date:
    """The as-of date actually used: `as_of`, or today when `as_of` lies in the future.

    Nothing can have been recorded after today, so a future as-of date would only add slots that
    have "begun" on paper but could not yet have been met. Tests pass `today` explicitly.
    """
    today = today or dt.date.today()
    return min(as_of, today)


def week_bounds(iso_week: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week written 'YYYY-Www' (e.g. '2026-W47')."""
    try:
        year_text, week_text = iso_week.split("-W")
        monday = dt.date.fromisocalendar(int(year_text), int(week_text), 1)
    except ValueError:
        raise ValueError(f"not an ISO week 'YYYY-Www': {iso_week!r}") from None
    return monday, monday + dt.timedelta(days=6)


def iso_week_label(d: dt.date) -> str:
    """'YYYY-Www' of the ISO week containing `d` (ISO year, which may differ from d.year)."""
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def last_full_week(today: dt.date) -> str:
    """The ISO week ending last Sunday, as 'YYYY-Www'.

    On a Sunday the current week is not over yet, so the week before it is returned.
    """
    return iso_week_label(today - dt.timedelta(days=today.isoweekday()))


def briefing_weeks(as_of: dt.date, today: dt.date, count: int) -> list[str]:
    """The ISO weeks a briefing can be made for with data as of `as_of`, newest first, `count` of
    them: the newest is the last week over by the end of `as_of` (a past Sunday's own week is over;
    today is not, so on a Sunday today's week is not offered yet) — a briefing at a past as-of date
    is the briefing of that time."""
    newest = last_full_week(as_of + dt.timedelta(days=1) if as_of < today else today)
    sunday = week_bounds(newest)[1]
    return [iso_week_label(sunday - dt.timedelta(weeks=i)) for i in range(count)]
