"""The demo group's supervision record (督查记录): all seven kinds over three years.

- 巡察: every secondary and tertiary unit is inspected once in one of the three years, in one of
  three rounds (spring, summer, autumn; 30–45 days, so rounds span two months), except a few
  units never inspected. Tertiary units are inspected by their secondary unit's own team.
- 督查 / 调研: every secondary unit 1–3 times a year, except two with none in the as-of year;
  tertiary units now and then.
- 述职评议 each January for every secondary unit; a few 观摩比查, 专项核查 and 联系点活动 a year.
Nothing ends after the as-of date: an activity that would is left out.

`demo_supervision` draws the demo's record (above); `bulk_supervision` the benchmark sizes',
vectorised: the inspections and secondary-unit visits as above without the planted gaps, and
about one visit per branch and year.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpi.demo import names
from kpi.demo.planted import NEVER_INSPECTED, NO_SUPERVISION_THIS_YEAR
from kpi.demo.problems import pick_many

ROUND_STARTS = ((3, 10), (6, 5), (9, 8))
# Branch-level supervision at the benchmark sizes: mostly 督查/调研 and liaison visits, now and
# then a comparison visit.
BRANCH_ACTIVITY_KINDS = ("督查", "调研", "联系点活动", "观摩比查")
BRANCH_ACTIVITY_WEIGHTS = (0.4, 0.3, 0.2, 0.1)

SUPERVISION_COLUMNS = ["activity_id", "unit_code", "kind", "start_date", "end_date", "lead", "findings"]


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(0, len(options)))]


def _inspections(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> list[tuple]:
    shorts = {code: name for code, (_, name, _) in
              zip(sorted(units.loc[units.level == 2, "unit_code"]), names.SECONDARY_UNITS)}
    never = set()
    for level, count in zip((2, 3), NEVER_INSPECTED):
        never |= set(rng.choice(units.loc[units.level == level, "unit_code"].to_numpy(), count, replace=False))
    rows = []
    for unit in units[units.level.isin([2, 3])].itertuples():
        year = as_of.year - int(rng.integers(0, 3))
        month, day = ROUND_STARTS[int(rng.integers(0, len(ROUND_STARTS)))]
        start = dt.date(year, month, day) + dt.timedelta(days=int(rng.integers(0, 10)))
        end = start + dt.timedelta(days=int(rng.integers(30, 46)))
        lead = (_pick(rng, names.INSPECTION_TEAMS) if unit.level == 2
                else f"{shorts[unit.parent_code]}党委巡察组")
        if unit.unit_code not in never:
            rows.append((unit.unit_code, "巡察", start, end, lead, int(rng.integers(5, 21))))
    return rows


def _visits(rng: np.random.Generator, codes, kind: str, year: int, per_unit: tuple[int, int],
            days: tuple[int, int], findings: tuple[int, int]) -> list[tuple]:
    rows = []
    for code in codes:
        for _ in range(int(rng.integers(*per_unit))):
            start = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 355)))
            end = start + dt.timedelta(days=int(rng.integers(*days)))
            rows.append((code, kind, start, end, _pick(rng, names.SUPERVISION_LEADS[kind]),
                         int(rng.integers(*findings))))
    return rows


def _yearly(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> list[tuple]:
    secondary = units.loc[units.level == 2, "unit_code"].to_numpy()
    tertiary = units.loc[units.level == 3, "unit_code"].to_numpy()
    unvisited = set(rng.choice(secondary, NO_SUPERVISION_THIS_YEAR, replace=False))
    rows = []
    for year in range(as_of.year - 2, as_of.year + 1):
        visited = [c for c in secondary if year < as_of.year or c not in unvisited]
        for code in visited:
            kind = "督查" if rng.random() < 0.6 else "调研"
            rows += _visits(rng, [code], kind, year, (1, 4), (1, 6), (0, 7))
        rows += _visits(rng, rng.choice(tertiary, 12, replace=False), "督查", year, (1, 2), (1, 4), (0, 5))
        rows += _visits(rng, rng.choice(tertiary, 8, replace=False), "调研", year, (1, 2), (1, 3), (0, 3))
        for code in secondary:
            start = dt.date(year, 1, 15) + dt.timedelta(days=int(rng.integers(0, 14)))
            rows.append((code, "述职评议", start, start, "集团党委", int(rng.integers(0, 4))))
        rows += _visits(rng, rng.choice(tertiary, 3, replace=False), "观摩比查", year, (1, 2), (1, 3), (0, 3))
        rows += _visits(rng, rng.choice(np.concatenate([secondary, tertiary]), 4, replace=False), "专项核查",
                        year, (1, 2), (5, 21), (1, 9))
        rows += _visits(rng, rng.choice(tertiary, 10, replace=False), "联系点活动", year, (1, 3), (1, 2), (0, 3))
    return rows


def _numbered(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    """`frame` ordered by start date, unit and kind, with activity ids like DC-2025-003 in front:
    the kind's prefix, the start year, a number counted per prefix and year (`digits` wide)."""
    frame = frame.sort_values(["start_date", "unit_code", "kind"], ignore_index=True, kind="stable")
    prefix = frame.kind.map(names.KIND_PREFIXES)
    year = pd.to_datetime(frame.start_date).dt.year.astype(str)
    number = (frame.groupby([prefix, year]).cumcount() + 1).astype(str).str.zfill(digits)
    frame.insert(0, "activity_id", prefix + "-" + year + "-" + number)
    return frame


def demo_supervision(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The supervision frame (SUPERVISION_COLUMNS), ids like DC-2025-003 numbered by start date."""
    rows = [r for r in _inspections(rng, units, as_of) + _yearly(rng, units, as_of) if r[3] <= as_of]
    return _numbered(pd.DataFrame(rows, columns=SUPERVISION_COLUMNS[1:]), digits=3)


def _bulk_visits(rng: np.random.Generator, codes: np.ndarray, kinds: np.ndarray, year: int,
                 as_of: dt.date) -> pd.DataFrame:
    n = len(codes)
    start = np.datetime64(dt.date(year, 1, 1)) + rng.integers(0, 355, n)
    days = np.where(kinds == "巡察", rng.integers(30, 46, n), rng.integers(1, 6, n))
    leads = np.empty(n, dtype=object)
    for kind in sorted(set(kinds.tolist())):  # sorted: a set's order changes with the process's hash seed
        where = kinds == kind
        leads[where] = pick_many(rng, names.SUPERVISION_LEADS.get(kind, names.INSPECTION_TEAMS), int(where.sum()))
    frame = pd.DataFrame({"unit_code": codes, "kind": kinds, "start_date": start, "end_date": start + days,
                          "lead": leads, "findings": rng.integers(0, 7, n)})
    return frame[frame.end_date <= np.datetime64(as_of)]


def bulk_supervision(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Supervision of a benchmark size (SUPERVISION_COLUMNS), drawn vectorised: each secondary and
    tertiary unit inspected (巡察) once in the three years; each secondary unit visited (督查/调研)
    1–3 times and reviewed (述职评议) once a year; about one visit per branch and year. Ids like
    DC-2025-00042, numbered by start date."""
    frames = []
    upper = units.loc[units.level.isin([2, 3]), "unit_code"].to_numpy()
    secondary = units.loc[units.level == 2, "unit_code"].to_numpy()
    branches = units.loc[units.level == 4, "unit_code"].to_numpy()
    inspect_year = as_of.year - rng.integers(0, 3, len(upper))
    for year in range(as_of.year - 2, as_of.year + 1):
        chosen = upper[inspect_year == year]
        frames.append(_bulk_visits(rng, chosen, np.full(len(chosen), "巡察", dtype=object), year, as_of))
        per_sec = np.repeat(secondary, rng.integers(1, 4, len(secondary)))
        kinds = pick_many(rng, ("督查", "调研"), len(per_sec), (0.6, 0.4))
        frames.append(_bulk_visits(rng, per_sec, kinds, year, as_of))
        frames.append(_bulk_visits(rng, secondary, np.full(len(secondary), "述职评议", dtype=object), year, as_of))
        visited = branches[rng.random(len(branches)) < 0.9]
        visited = np.concatenate([visited, branches[rng.random(len(branches)) < 0.1]])
        frames.append(_bulk_visits(rng, visited, pick_many(rng, BRANCH_ACTIVITY_KINDS, len(visited),
                                                  BRANCH_ACTIVITY_WEIGHTS), year, as_of))
    frame = pd.concat(frames, ignore_index=True)
    frame["start_date"] = pd.to_datetime(frame.start_date)
    frame["end_date"] = pd.to_datetime(frame.end_date)
    return _numbered(frame, digits=5)[SUPERVISION_COLUMNS]
