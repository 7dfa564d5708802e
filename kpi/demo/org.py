"""The generated group's organisation tree; the demo: 1 group, 10 secondary, 40 tertiary units, 300 branches.

Codes are hierarchical and readable (G, G01, G0103, G010305). Member and staff counts of a
parent are exactly the sums of its children, so every roll-up adds up. Founding dates lie long
before the demo's three years (never before `earliest`, the importer's first sane year), except
four branches: three founded in the as-of year (about half-way between 1 January and the as-of
date) and one on 1 July of the previous year.

Two drawers with one signature: `demo_units` (the demo: named secondary units, a city per
tertiary unit, drawn unit by unit) and `bulk_units` (the benchmark sizes, vectorised: S 10/40,
M 10/200, L 200/4,000 secondary/tertiary units, about 25 branches per tertiary unit once large).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpi.demo import names
from kpi.demo.planted import NEW_BRANCHES_THIS_YEAR

TERTIARY_PER_SECONDARY = (3, 3, 4, 4, 4, 4, 4, 4, 5, 5)
DEMO_BRANCHES = 300
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


def demo_units(rng: np.random.Generator, n_branches: int, as_of: dt.date, earliest: dt.date) -> pd.DataFrame:
    """The demo's tree as a `units` frame (columns UNIT_COLUMNS), ordered by code: 10 named secondary
    units, 40 tertiary units, `n_branches` branches (the demo: DEMO_BRANCHES); no unit is founded
    before `earliest`."""
    y = as_of.year
    group = {"unit_code": names.GROUP_CODE, "unit_name": names.GROUP_NAME, "parent_code": None,
             "level": 1, "org_type": "党委", "founded_date": max(earliest, dt.date(y - 24, 6, 18))}
    cities = list(rng.permutation(names.CITIES))
    per_secondary = rng.permutation(TERTIARY_PER_SECONDARY)
    n_tertiary = int(per_secondary.sum())
    branch_counts = MIN_BRANCHES_PER_TERTIARY + rng.multinomial(
        n_branches - len(names.NEW_BRANCH_DEPARTMENTS) - MIN_BRANCHES_PER_TERTIARY * n_tertiary,
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


def tree_shape(n_branches: int) -> tuple[int, int]:
    """(secondary units, tertiary units) for a group of `n_branches` branches: S 10/40,
    M 10/200, L 200/4,000 — about 25 branches per tertiary unit once the group is large."""
    return max(10, n_branches // 500), max(40, n_branches // 25)


def _spread(rng: np.random.Generator, children: int, parents: int) -> np.ndarray:
    """Parent index of each child, every parent getting at least one, sorted."""
    extra = rng.integers(0, parents, children - parents)
    return np.sort(np.concatenate([np.arange(parents), extra]))


def _child_codes(parent_codes: np.ndarray, parent_index: np.ndarray) -> np.ndarray:
    """Codes like G0103 for the children of each parent, numbered 01, 02, … within the parent."""
    number = pd.Series(parent_index).groupby(parent_index).cumcount().to_numpy() + 1
    width = max(2, len(str(int(number.max()))))
    return np.char.add(parent_codes[parent_index].astype(str), np.char.zfill(number.astype(str), width))


def _dates_between(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    first = first.astype("datetime64[D]")
    span = np.maximum(0, (last.astype("datetime64[D]") - first).astype(int))
    return first + np.floor(rng.random(len(first)) * (span + 1)).astype(int)


def bulk_units(rng: np.random.Generator, n_branches: int, as_of: dt.date, earliest: dt.date) -> pd.DataFrame:
    """The tree of a benchmark size as a `units` frame (UNIT_COLUMNS) ordered by code, drawn
    vectorised: the group, `tree_shape` secondary and tertiary units, `n_branches` branches; parents'
    member and staff counts are the sums of their children. The last four branches are founded
    recently (`new_branch_dates`, as in the demo), none before `earliest`."""
    y = as_of.year
    n_sec, n_ter = tree_shape(n_branches)
    sec_codes = np.array([f"G{i:0{max(2, len(str(n_sec)))}d}" for i in range(1, n_sec + 1)])
    sec_short = np.array([names.SECONDARY_UNITS[i % 10][1] + (str(i // 10 + 1) if i >= 10 else "")
                          for i in range(n_sec)])
    ter_parent = _spread(rng, n_ter, n_sec)
    ter_codes = _child_codes(sec_codes, ter_parent)
    kinds = np.array([names.SECONDARY_UNITS[p % 10][2][int(k)] for p, k in
                      zip(ter_parent, rng.integers(0, 3, n_ter))])
    cities = np.array(names.CITIES)[np.arange(n_ter) % len(names.CITIES)]
    ter_short = np.char.add(np.char.add(cities, kinds), np.where(
        np.arange(n_ter) < len(names.CITIES), "", (np.arange(n_ter) // len(names.CITIES) + 1).astype(str)))
    br_parent = _spread(rng, n_branches, n_ter)
    br_codes = _child_codes(ter_codes, br_parent)
    within = pd.Series(br_parent).groupby(br_parent).cumcount().to_numpy()
    departments = np.array(names.BRANCH_DEPARTMENTS)[within % len(names.BRANCH_DEPARTMENTS)]
    rounds = np.where(within < len(names.BRANCH_DEPARTMENTS), "",
                      (within // len(names.BRANCH_DEPARTMENTS) + 1).astype(str))
    scale = rng.uniform(0.45, 1.3, n_ter)[br_parent]
    members = np.maximum(5, np.round(rng.integers(8, 46, n_branches) * scale)).astype(int)
    staff = np.round(members * rng.uniform(1.8, 4.5, n_branches)).astype(int)
    sec_founded = _dates_between(rng, np.full(n_sec, max(earliest, dt.date(y - 22, 1, 1)), "datetime64[D]"),
                                 np.full(n_sec, dt.date(y - 14, 12, 31), "datetime64[D]"))
    ter_founded = _dates_between(rng, sec_founded[ter_parent] + 365,
                                 np.full(n_ter, dt.date(y - 8, 12, 31), "datetime64[D]"))
    br_founded = _dates_between(rng, ter_founded[br_parent], np.full(n_branches, dt.date(y - 4, 12, 31),
                                                                      "datetime64[D]"))
    recent = new_branch_dates(as_of)
    br_founded[-len(recent):] = np.array(recent, dtype="datetime64[D]")
    branches = pd.DataFrame({
        "unit_code": br_codes, "unit_name": np.char.add(np.char.add(ter_short[br_parent], departments),
                                                        np.char.add(rounds, "党支部")),
        "parent_code": ter_codes[br_parent], "level": 4, "org_type": "党支部",
        "member_count": members, "staff_count": staff, "founded_date": br_founded})
    ter_sums = branches.groupby(br_parent)[["member_count", "staff_count"]].sum().to_numpy()
    tertiary = pd.DataFrame({
        "unit_code": ter_codes, "unit_name": np.char.add(sec_short[ter_parent], ter_short),
        "parent_code": sec_codes[ter_parent], "level": 3,
        "org_type": np.where(ter_sums[:, 0] >= COMMITTEE_MIN_MEMBERS, "党委", "党总支"),
        "member_count": ter_sums[:, 0], "staff_count": ter_sums[:, 1], "founded_date": ter_founded})
    sec_sums = tertiary.groupby(ter_parent)[["member_count", "staff_count"]].sum().to_numpy()
    secondary = pd.DataFrame({
        "unit_code": sec_codes, "unit_name": np.char.add(sec_short, "有限公司"), "parent_code": names.GROUP_CODE,
        "level": 2, "org_type": "党委", "member_count": sec_sums[:, 0], "staff_count": sec_sums[:, 1],
        "founded_date": sec_founded})
    group = pd.DataFrame([{
        "unit_code": names.GROUP_CODE, "unit_name": names.GROUP_NAME, "parent_code": None, "level": 1,
        "org_type": "党委", "member_count": int(sec_sums[:, 0].sum()), "staff_count": int(sec_sums[:, 1].sum()),
        "founded_date": np.datetime64(max(earliest, dt.date(y - 24, 6, 18)), "D")}])
    frame = pd.concat([group, secondary, tertiary, branches], ignore_index=True)[UNIT_COLUMNS]
    # The demo's helpers compare founding dates with datetime.date objects.
    frame["founded_date"] = pd.to_datetime(frame.founded_date).dt.date
    return frame.sort_values("unit_code", ignore_index=True)
