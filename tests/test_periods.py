import datetime as dt

import pytest

from kpi.periods import (
    briefing_weeks,
    effective_as_of,
    iso_week_label,
    last_full_week,
    slot_end,
    slot_label,
    slot_start,
    slots_between,
    week_bounds,
)

D = dt.date


@pytest.mark.parametrize(("day", "every", "start", "end"), [
    (D(2025, 3, 31), "quarter", D(2025, 1, 1), D(2025, 3, 31)),
    (D(2025, 4, 1), "quarter", D(2025, 4, 1), D(2025, 6, 30)),
    (D(2024, 2, 29), "month", D(2024, 2, 1), D(2024, 2, 29)),
    (D(2025, 2, 10), "month", D(2025, 2, 1), D(2025, 2, 28)),
    (D(2025, 2, 10), "bimonth", D(2025, 1, 1), D(2025, 2, 28)),
    (D(2025, 4, 30), "bimonth", D(2025, 3, 1), D(2025, 4, 30)),
    (D(2025, 12, 31), "bimonth", D(2025, 11, 1), D(2025, 12, 31)),
    (D(2025, 6, 30), "half_year", D(2025, 1, 1), D(2025, 6, 30)),
    (D(2025, 7, 1), "half_year", D(2025, 7, 1), D(2025, 12, 31)),
    (D(2025, 12, 31), "year", D(2025, 1, 1), D(2025, 12, 31)),
    (D(2026, 1, 1), "year", D(2026, 1, 1), D(2026, 12, 31)),
])
def test_slot_start_and_end(day, every, start, end):
    assert slot_start(day, every) == start
    assert slot_end(day, every) == end


def test_slots_between_includes_the_running_slot_and_the_slot_containing_start():
    assert slots_between(D(2025, 1, 1), D(2025, 4, 1), "quarter") == [
        (D(2025, 1, 1), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 6, 30))]
    assert slots_between(D(2025, 2, 15), D(2025, 5, 2), "bimonth") == [
        (D(2025, 1, 1), D(2025, 2, 28)), (D(2025, 3, 1), D(2025, 4, 30)), (D(2025, 5, 1), D(2025, 6, 30))]
    assert slots_between(D(2024, 11, 5), D(2025, 1, 1), "month") == [
        (D(2024, 11, 1), D(2024, 11, 30)), (D(2024, 12, 1), D(2024, 12, 31)), (D(2025, 1, 1), D(2025, 1, 31))]
    assert len(slots_between(D(2025, 1, 1), D(2025, 12, 31), "month")) == 12
    assert slots_between(D(2025, 3, 1), D(2025, 2, 28), "month") == []


def test_unknown_period_is_refused():
    with pytest.raises(ValueError, match="unknown period 'week'"):
        slot_start(D(2025, 1, 1), "week")


@pytest.mark.parametrize(("every", "label"), [
    ("month", "2025-03"), ("bimonth", "2025-03~04"), ("quarter", "2025-Q1"),
    ("half_year", "2025-H1"), ("year", "2025")])
def test_slot_label(every, label):
    assert slot_label(D(2025, 3, 17), every) == label


def test_effective_as_of_caps_a_future_date_at_today():
    today = D(2025, 8, 20)
    assert effective_as_of(D(2026, 1, 5), today) == today
    assert effective_as_of(D(2025, 8, 20), today) == today
    assert effective_as_of(D(2025, 3, 1), today) == D(2025, 3, 1)


def test_week_bounds():
    assert week_bounds("2026-W47") == (D(2026, 11, 16), D(2026, 11, 22))
    # ISO week 1 of 2026 starts in December 2025.
    assert week_bounds("2026-W01") == (D(2025, 12, 29), D(2026, 1, 4))
    with pytest.raises(ValueError, match="not an ISO week 'YYYY-Www': '2026-47'"):
        week_bounds("2026-47")


def test_last_full_week_ends_last_sunday():
    assert last_full_week(D(2026, 11, 23)) == "2026-W47"   # Monday
    assert last_full_week(D(2026, 11, 27)) == "2026-W47"   # Friday
    assert last_full_week(D(2026, 11, 22)) == "2026-W46"   # Sunday: its own week is not over
    assert last_full_week(D(2026, 1, 1)) == "2025-W52"     # Thursday; last Sunday 2025-12-28
    assert iso_week_label(D(2024, 12, 30)) == "2025-W01"


def test_briefing_weeks_end_with_the_last_week_over_by_the_as_of_date():
    today = D(2026, 12, 6)   # a Sunday: its own week is not over
    assert briefing_weeks(today, today, 3) == ["2026-W48", "2026-W47", "2026-W46"]
    assert briefing_weeks(D(2026, 12, 7), D(2026, 12, 7), 1) == ["2026-W49"]   # Monday: last Sunday's week
    # a past as-of date: the briefing of that time; a past Sunday's own week is over by its end
    assert briefing_weeks(D(2026, 6, 30), today, 2) == ["2026-W26", "2026-W25"]   # Tuesday
    assert briefing_weeks(D(2026, 6, 28), today, 1) == ["2026-W26"]               # Sunday
    assert briefing_weeks(D(2026, 6, 27), today, 1) == ["2026-W25"]               # Saturday
    assert briefing_weeks(D(2026, 1, 3), today, 2) == ["2025-W52", "2025-W51"]    # across the year
