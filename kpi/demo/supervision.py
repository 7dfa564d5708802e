"""The demo group's supervision record (督查记录): all seven kinds over three years.

- 巡察: every secondary and tertiary unit is inspected once in one of the three years, in one of
  three rounds (spring, summer, autumn; 30–45 days, so rounds span two months), except a few
  units never inspected. Tertiary units are inspected by their secondary unit's own team.
- 督查 / 调研: every secondary unit 1–3 times a year, except two with none in the as-of year;
  tertiary units now and then.
- 述职评议 each January for every secondary unit; a few 观摩比查, 专项核查 and 联系点活动 a year.
Nothing ends after the as-of date: an activity that would is left out.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpi.demo import names

NEVER_INSPECTED = (2, 6)  # secondary, tertiary units
NO_SUPERVISION_THIS_YEAR = 2  # secondary units without 督查/调研 in the as-of year
ROUND_STARTS = ((3, 10), (6, 5), (9, 8))

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


def demo_supervision(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The supervision frame (SUPERVISION_COLUMNS), ids like DC-2025-003 numbered by start date."""
    rows = [r for r in _inspections(rng, units, as_of) + _yearly(rng, units, as_of) if r[3] <= as_of]
    frame = pd.DataFrame(rows, columns=SUPERVISION_COLUMNS[1:])
    frame = frame.sort_values(["start_date", "unit_code", "kind"], ignore_index=True, kind="stable")
    prefix = frame.kind.map(names.KIND_PREFIXES)
    year = frame.start_date.map(lambda d: str(d.year))
    number = frame.groupby([prefix, year]).cumcount() + 1
    frame.insert(0, "activity_id", prefix + "-" + year + "-" + number.map("{:03d}".format))
    return frame
