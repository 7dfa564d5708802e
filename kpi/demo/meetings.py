"""The demo group's meeting log (组织生活记录): every branch, the rules' required meetings, three years.

For each branch, required type and slot (from 1 January two years before the as-of year), one
meeting is held on a day between the later of the slot start and the founding date and the end
of the slot's usual window; it is logged only if that day is not after the as-of date, so the
current slot fills up as the slot goes on. Ordinary branches skip a slot now and then, weak
branches often, and a few branches skip one monthly meeting two months running. Every branch
also logs 2–4 talks (谈心谈话) a year, in distinct months. The same code serves the demo and
the benchmark sizes: the log is drawn per chunk of MEETING_CHUNK_BRANCHES branches (the demo is
one chunk), vectorised, so 100,000 branches never sit in memory as one frame.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd

from kpi.demo import names
from kpi.demo.planted import GAP_BRANCHES, WEAK_BRANCH_SHARE
from kpi.periods import slots_between
from kpi.rules import Rules

MISS_RATE = 0.01
WEAK_MISS_RATE = 0.15
TALKS_PER_YEAR = (2, 5)
MEETING_CHUNK_BRANCHES = 5_000
# Share of members absent: the general assembly and the two annual meetings are well attended.
ABSENCE_RATE = {"支部党员大会": 0.03, "组织生活会": 0.03, "民主评议党员": 0.03}
DEFAULT_ABSENCE = 0.08
# Days into a slot by which branches usually hold the meeting: annual meetings (组织生活会,
# 民主评议) happen early in the year; others anywhere in their slot.
USUAL_WINDOW_DAYS = {"month": 28, "bimonth": 58, "quarter": 88, "half_year": 178, "year": 80}


def weak_branches(rng: np.random.Generator, units: pd.DataFrame) -> set[str]:
    """Branches that miss meetings often and score low in standardisation: one in WEAK_BRANCH_SHARE."""
    codes = units.loc[units.level == 4, "unit_code"].to_numpy()
    return set(rng.choice(codes, size=max(1, len(codes) // WEAK_BRANCH_SHARE), replace=False).tolist())


def _slots(rules: Rules, as_of: dt.date) -> pd.DataFrame:
    start = dt.date(as_of.year - 2, 1, 1)
    rows = [(rule.type, rule.every, first, last)
            for rule in rules.meeting_rules for first, last in slots_between(start, as_of, rule.every)]
    return pd.DataFrame(rows, columns=["meeting_type", "every", "slot_start", "slot_end"])


def _gap_misses(rng: np.random.Generator, branches: pd.DataFrame, rules: Rules, as_of: dt.date) -> pd.DataFrame:
    """(unit_code, meeting_type, slot_start) of two consecutive monthly slots skipped, per gap branch."""
    monthly = [r.type for r in rules.meeting_rules if r.every == "month"]
    old = branches[branches.founded_date < dt.date(as_of.year - 1, 1, 1)]
    rows = []
    if not monthly:
        return pd.DataFrame(rows, columns=["unit_code", "meeting_type", "slot_start"])
    for code in rng.choice(old.unit_code.to_numpy(), size=GAP_BRANCHES, replace=False):
        kind = monthly[int(rng.integers(0, len(monthly)))]
        back = int(rng.integers(2, 7))
        for k in (back, back + 1):
            index = as_of.year * 12 + as_of.month - 1 - k
            rows.append((code, kind, pd.Timestamp(index // 12, index % 12 + 1, 1)))
    return pd.DataFrame(rows, columns=["unit_code", "meeting_type", "slot_start"])


def _required(rng: np.random.Generator, branches: pd.DataFrame, rules: Rules, as_of: dt.date,
              weak: set[str]) -> pd.DataFrame:
    grid = branches.merge(_slots(rules, as_of), how="cross")
    for col in ("slot_start", "slot_end", "founded_date"):
        grid[col] = pd.to_datetime(grid[col])
    first = grid[["slot_start", "founded_date"]].max(axis=1)
    window = grid.every.map(USUAL_WINDOW_DAYS)
    last = np.minimum(grid.slot_end, grid.slot_start + pd.to_timedelta(window - 1, unit="D"))
    last = np.maximum(last, np.minimum(first, grid.slot_end))
    grid = grid[first <= grid.slot_end].copy()
    first, last = first[grid.index], last[grid.index]
    span = (last - first).dt.days.to_numpy()
    grid["date"] = first + pd.to_timedelta(np.floor(rng.random(len(grid)) * (span + 1)), unit="D")
    miss = rng.random(len(grid)) < np.where(grid.unit_code.isin(weak), WEAK_MISS_RATE, MISS_RATE)
    gaps = _gap_misses(rng, branches, rules, as_of).assign(gap=True)
    grid = grid.merge(gaps, on=["unit_code", "meeting_type", "slot_start"], how="left")
    keep = ~miss & grid.gap.isna().to_numpy() & (grid.date <= pd.Timestamp(as_of)).to_numpy()
    return grid.loc[keep, ["unit_code", "meeting_type", "date", "member_count"]]


def _talks(rng: np.random.Generator, branches: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """谈心谈话: TALKS_PER_YEAR a year per branch, in distinct months, on days 1–28, none before the
    branch was founded or after `as_of`."""
    n = len(branches)
    years = np.arange(as_of.year - 2, as_of.year + 1)
    counts = rng.integers(*TALKS_PER_YEAR, (n, len(years)))
    months = np.argsort(rng.random((n, len(years), 12)), axis=2)
    take = np.arange(12)[None, None, :] < counts[:, :, None]
    b, y, k = np.nonzero(take)
    month = months[b, y, k]
    day = (np.array([f"{yr}-01-01" for yr in years], dtype="datetime64[M]")[y] + month).astype("datetime64[D]")
    day = day + rng.integers(0, 28, len(day))
    founded = pd.to_datetime(branches.founded_date).to_numpy().astype("datetime64[D]")[b]
    keep = (day >= founded) & (day <= np.datetime64(as_of))
    return pd.DataFrame({"unit_code": branches.unit_code.to_numpy()[b][keep], "meeting_type": "谈心谈话",
                         "date": pd.to_datetime(day[keep]), "member_count": branches.member_count.to_numpy()[b][keep]})


def _topics(pick: np.ndarray, types: pd.Series) -> np.ndarray:
    """A topic per meeting from its type's list, chosen by `pick` (uniform in [0, 1))."""
    out = np.empty(len(types), dtype=object)
    for kind in types.unique():
        where = (types == kind).to_numpy()
        options = np.array(names.MEETING_TOPICS[kind], dtype=object)
        out[where] = options[(pick[where] * len(options)).astype(int)]
    return out


def meeting_chunks(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date, rules: Rules,
                   weak: set[str]) -> Iterator[pd.DataFrame]:
    """The meetings frame (unit_code, meeting_type, date, expected, attended, topic) in chunks of
    MEETING_CHUNK_BRANCHES branches, each ordered by branch, date and type."""
    branches = units.loc[units.level == 4, ["unit_code", "member_count", "founded_date"]]
    for start in range(0, len(branches), MEETING_CHUNK_BRANCHES):
        part = branches.iloc[start:start + MEETING_CHUNK_BRANCHES]
        log = pd.concat([_required(rng, part, rules, as_of, weak), _talks(rng, part, as_of)], ignore_index=True)
        log = log.sort_values(["unit_code", "date", "meeting_type"], ignore_index=True)
        expected = log.member_count.to_numpy()
        absence = log.meeting_type.map(ABSENCE_RATE).fillna(DEFAULT_ABSENCE).to_numpy()
        pick = rng.random(len(log))
        yield pd.DataFrame({
            "unit_code": log.unit_code, "meeting_type": log.meeting_type, "date": log.date,
            "expected": expected, "attended": expected - rng.binomial(expected, absence),
            "topic": _topics(pick, log.meeting_type)})
