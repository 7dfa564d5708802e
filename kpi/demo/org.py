"""The demo group's organisation tree: 1 group, 10 secondary, 40 tertiary units, 300 branches.

Codes are hierarchical and readable (G, G01, G0103, G010305). Member and staff counts of a
parent are exactly the sums of its children, so every roll-up adds up. Founding dates lie long
before the demo's three years (never before `earliest`, the importer's first sane year), except
four branches: three founded in the as-of year (about half-way between 1 January and the as-of
date) and one on 1 July of the previous year.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpi.demo import names

TERTIARY_PER_SECONDARY = (3, 3, 4, 4, 4, 4, 4, 4, 5, 5)
BRANCHES_TOTAL = 300
NEW_BRANCHES_THIS_YEAR = 3
MIN_BRANCHES_PER_TERTIARY = 5
# The party constitution lets a unit form a committee (党委) from 100 members; smaller ones
# have a general branch (党总支). Only used to make the demo's organisation types believable.
COMMITTEE_MIN_MEMBERS = 100

UNIT_COLUMNS = ["unit_code", "unit_name", "parent_code", "level", "org_type", "member_count",
                "staff_count", "founded_date"]


def _day_between(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    span = max(0, (last - first).days)
    return first + dt.timedelta(days=int(rng.integers(0, span + 1)))


def new_branch_dates(as_of: dt.date) -> list[dt.date]:
    """Founding dates of the branches created recently: this year's, then last year's."""
    jan1 = dt.date(as_of.year, 1, 1)
    middle = jan1 + (as_of - jan1) // 2
    this_year = [min(middle + dt.timedelta(days=9 * i), as_of) for i in range(NEW_BRANCHES_THIS_YEAR)]
    return [*this_year, dt.date(as_of.year - 1, 7, 1)]


def _branches(rng: np.random.Generator, tertiary: dict, count: int, founded_floor: dt.date,
              as_of: dt.date) -> list[dict]:
    departments = rng.choice(len(names.BRANCH_DEPARTMENTS), size=count, replace=False)
    # Some tertiary units are small offices, some large plants: branch sizes scale with the unit.
    scale = rng.uniform(0.45, 1.3)
    rows = []
    for i, dep in enumerate(sorted(departments), start=1):
        members = max(5, int(round(rng.integers(8, 46) * scale)))
        rows.append({
            "unit_code": f"{tertiary['unit_code']}{i:02d}",
            "unit_name": f"{tertiary['short']}{names.BRANCH_DEPARTMENTS[dep]}党支部",
            "parent_code": tertiary["unit_code"], "level": 4, "org_type": "党支部",
            "member_count": members, "staff_count": int(round(members * rng.uniform(1.8, 4.5))),
            "founded_date": _day_between(rng, founded_floor, dt.date(as_of.year - 4, 12, 31)),
        })
    return rows


def _new_branches(rng: np.random.Generator, tertiaries: list[dict], branches: list[dict],
                  as_of: dt.date) -> list[dict]:
    hosts = rng.choice(len(tertiaries), size=len(names.NEW_BRANCH_DEPARTMENTS), replace=False)
    rows = []
    for host, department, founded in zip(hosts, names.NEW_BRANCH_DEPARTMENTS, new_branch_dates(as_of)):
        tertiary = tertiaries[host]
        taken = sum(1 for b in branches + rows if b["parent_code"] == tertiary["unit_code"])
        members = int(rng.integers(6, 13))
        rows.append({
            "unit_code": f"{tertiary['unit_code']}{taken + 1:02d}",
            "unit_name": f"{tertiary['short']}{department}党支部",
            "parent_code": tertiary["unit_code"], "level": 4, "org_type": "党支部",
            "member_count": members, "staff_count": int(round(members * rng.uniform(1.5, 2.5))),
            "founded_date": founded,
        })
    return rows


def _sum_children(parent: dict, children: list[dict]) -> None:
    mine = [c for c in children if c["parent_code"] == parent["unit_code"]]
    parent["member_count"] = sum(c["member_count"] for c in mine)
    parent["staff_count"] = sum(c["staff_count"] for c in mine)


def demo_units(rng: np.random.Generator, as_of: dt.date, earliest: dt.date) -> pd.DataFrame:
    """The whole tree as a `units` frame (columns UNIT_COLUMNS), ordered by code; no unit is
    founded before `earliest`."""
    y = as_of.year
    group = {"unit_code": names.GROUP_CODE, "unit_name": names.GROUP_NAME, "parent_code": None,
             "level": 1, "org_type": "党委", "founded_date": max(earliest, dt.date(y - 24, 6, 18))}
    cities = list(rng.permutation(names.CITIES))
    per_secondary = rng.permutation(TERTIARY_PER_SECONDARY)
    n_tertiary = int(per_secondary.sum())
    branch_counts = MIN_BRANCHES_PER_TERTIARY + rng.multinomial(
        BRANCHES_TOTAL - len(names.NEW_BRANCH_DEPARTMENTS) - MIN_BRANCHES_PER_TERTIARY * n_tertiary,
        [1 / n_tertiary] * n_tertiary)
    secondaries, tertiaries, branches = [], [], []
    for s, ((full, short, kinds), n_children) in enumerate(zip(names.SECONDARY_UNITS, per_secondary), start=1):
        secondary = {"unit_code": f"G{s:02d}", "unit_name": full, "parent_code": names.GROUP_CODE,
                     "level": 2, "org_type": "党委",
                     "founded_date": _day_between(rng, max(earliest, dt.date(y - 22, 1, 1)),
                                                     dt.date(y - 14, 12, 31))}
        secondaries.append(secondary)
        for t in range(1, int(n_children) + 1):
            city = cities.pop()
            kind = kinds[int(rng.integers(0, len(kinds)))]
            founded = _day_between(rng, secondary["founded_date"] + dt.timedelta(days=365),
                                   dt.date(y - 8, 12, 31))
            tertiary = {"unit_code": f"{secondary['unit_code']}{t:02d}", "unit_name": f"{short}{city}{kind}",
                        "short": f"{city}{kind}", "parent_code": secondary["unit_code"], "level": 3,
                        "founded_date": founded}
            tertiaries.append(tertiary)
            branches += _branches(rng, tertiary, int(branch_counts[len(tertiaries) - 1]), founded, as_of)
    branches += _new_branches(rng, tertiaries, branches, as_of)
    for tertiary in tertiaries:
        _sum_children(tertiary, branches)
        tertiary["org_type"] = "党委" if tertiary["member_count"] >= COMMITTEE_MIN_MEMBERS else "党总支"
    for secondary in secondaries:
        _sum_children(secondary, tertiaries)
    _sum_children(group, secondaries)
    frame = pd.DataFrame([group, *secondaries, *tertiaries, *branches])[UNIT_COLUMNS]
    return frame.sort_values("unit_code", ignore_index=True)
