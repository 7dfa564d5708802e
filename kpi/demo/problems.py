"""The demo group's problem list (问题清单) and its weekly status snapshots.

Each problem gets a hidden timeline — started, completed, closed out (销号), and for one of them
re-opened — and its status on any day is read off that timeline, so the problems table (the
status on the as-of date) and every snapshot agree by construction. Snapshots are taken every
Sunday of the last 26 weeks and on the as-of date itself, so the latest snapshot is exactly the
table. One problem has its deadline extended between two snapshots; one is re-opened after
close-out (已销号, then 整改中 again).

Two drawers give the timeline: `demo_timeline` (the demo: 1–3 problems per secondary and
tertiary unit and year, drawn one by one, plus the two planted problems) and `bulk_timeline`
(the benchmark sizes: 2–4 per branch and year, the same fates drawn vectorised). Statuses,
deadlines, the problems table and the snapshots are read off either the same way.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd

from kpi.datasets import PROBLEM_SOURCES, SEVERITIES
from kpi.demo import names

SOURCE_WEIGHTS = (0.25, 0.12, 0.2, 0.12, 0.08, 0.08, 0.15)
SEVERITY_WEIGHTS = (0.6, 0.3, 0.1)
TERMS_DAYS = (30, 45, 60, 90, 120, 180)
# Share of problems found N years before the as-of year that stall (never completed): older
# problems have mostly been dealt with.
STALL_RATE = {2: 0.03, 1: 0.06, 0: 0.12}
LATE_RATE = 0.15
SNAPSHOT_WEEKS = 26

PROBLEM_COLUMNS = ["problem_id", "unit_code", "source", "found_date", "category", "description", "severity",
                   "owner", "measures", "due_date", "status", "completed_date", "closed_date"]


def person_name(rng: np.random.Generator) -> str:
    """A made-up Chinese name."""
    return (names.SURNAMES[int(rng.integers(0, len(names.SURNAMES)))]
            + names.GIVEN_NAMES[int(rng.integers(0, len(names.GIVEN_NAMES)))])


def _texts(rng: np.random.Generator) -> dict:
    category = list(names.PROBLEM_CATEGORIES)[int(rng.integers(0, len(names.PROBLEM_CATEGORIES)))]
    options = names.PROBLEM_CATEGORIES[category]
    description, measures = options[int(rng.integers(0, len(options)))]
    return {"category": category, "description": description, "measures": measures, "owner": person_name(rng)}


def _ordinary(rng: np.random.Generator, unit_code: str, back: int, as_of: dt.date) -> dict:
    jan1 = dt.date(as_of.year - back, 1, 1)
    found = jan1 + dt.timedelta(days=int(rng.integers(0, (dt.date(jan1.year, 12, 31) - jan1).days + 1)))
    due = found + dt.timedelta(days=int(rng.choice(TERMS_DAYS)))
    started = found + dt.timedelta(days=int(rng.integers(0, 21)))
    completed = closed = None
    fate = rng.random()
    if fate < STALL_RATE[back]:
        started = started if rng.random() < 0.5 else None
    else:
        if fate < STALL_RATE[back] + LATE_RATE:
            completed = due + dt.timedelta(days=int(rng.integers(5, 91)))
        else:
            completed = started + dt.timedelta(days=int(rng.uniform(0.3, 1.0) * (due - started).days))
        closed = completed + dt.timedelta(days=int(rng.integers(7, 41)))
    return {"unit_code": unit_code, "source": str(rng.choice(PROBLEM_SOURCES, p=SOURCE_WEIGHTS)),
            "found_date": found, "severity": str(rng.choice(SEVERITIES, p=SEVERITY_WEIGHTS)),
            "due_date": due, "started": started, "completed": completed, "closed": closed, **_texts(rng)}


def _extended(rng: np.random.Generator, unit_code: str, as_of: dt.date) -> dict:
    """A serious inspection finding whose deadline was pushed back 100 days before the as-of date."""
    found = as_of - dt.timedelta(days=150)
    return {"unit_code": unit_code, "source": "巡察", "found_date": found, "severity": "严重",
            "due_before": found + dt.timedelta(days=60), "due_changed": as_of - dt.timedelta(days=100),
            "due_date": as_of + dt.timedelta(days=30), "started": found + dt.timedelta(days=7),
            "completed": None, "closed": None, **_texts(rng)}


def _reopened(rng: np.random.Generator, unit_code: str, as_of: dt.date) -> dict:
    """Closed out, then re-opened 60 days before the as-of date when the problem came back."""
    found = as_of - dt.timedelta(days=170)
    return {"unit_code": unit_code, "source": "督查", "found_date": found, "severity": "较重",
            "due_date": found + dt.timedelta(days=60), "started": found + dt.timedelta(days=5),
            "completed": found + dt.timedelta(days=40), "closed": found + dt.timedelta(days=55),
            "reopened": as_of - dt.timedelta(days=60), **_texts(rng)}


def _with_ids(timeline: pd.DataFrame) -> pd.DataFrame:
    timeline = timeline.sort_values(["found_date", "unit_code", "source"], ignore_index=True, kind="stable")
    prefix = timeline.source.map(names.SOURCE_PREFIXES)
    year = timeline.found_date.dt.year.astype(str)
    number = timeline.groupby([prefix, year]).cumcount() + 1
    timeline.insert(0, "problem_id", prefix + "-" + year + "-" + number.map("{:04d}".format))
    return timeline


def demo_timeline(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Every problem with its hidden timeline columns (started, completed, closed, reopened,
    due_before, due_changed); dates are Timestamps, NaT when the event never happens."""
    scope = units.loc[units.level.isin([2, 3]), "unit_code"].to_numpy()
    # Problems are spread over whole years and those not yet found on the as-of date dropped,
    # so early in a year there are few, not a year's worth crowded into a few days.
    rows = [_ordinary(rng, code, back, as_of)
            for back in (2, 1, 0) for code in scope for _ in range(int(rng.integers(1, 4)))]
    rows = [r for r in rows if r["found_date"] <= as_of]
    rows.append(_extended(rng, str(rng.choice(scope[:10])), as_of))
    rows.append(_reopened(rng, str(rng.choice(scope[10:])), as_of))
    timeline = pd.DataFrame(rows)
    for col in ("found_date", "due_date", "started", "completed", "closed", "reopened", "due_before",
                "due_changed"):
        timeline[col] = pd.to_datetime(timeline[col])
    return _with_ids(timeline)


def status_on(timeline: pd.DataFrame, day: dt.date) -> pd.Series:
    """Each problem's status on `day`, read off its timeline."""
    d = pd.Timestamp(day)
    status = np.select(
        [timeline.reopened <= d, timeline.closed <= d, timeline.completed <= d, timeline.started <= d],
        ["整改中", "已销号", "已完成待验收", "整改中"], default="未启动")
    return pd.Series(status, index=timeline.index)


def due_on(timeline: pd.DataFrame, day: dt.date) -> pd.Series:
    """Each problem's deadline as recorded on `day` (before an extension, the old one)."""
    return timeline.due_date.where(~(timeline.due_changed > pd.Timestamp(day)), timeline.due_before)


def problems_on(timeline: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The problems table as it stands on `as_of` (columns PROBLEM_COLUMNS)."""
    status = status_on(timeline, as_of)
    table = timeline.assign(status=status, due_date=due_on(timeline, as_of))
    done = status.isin(["已完成待验收", "已销号"])
    table["completed_date"] = timeline.completed.where(done)
    table["closed_date"] = timeline.closed.where(status == "已销号")
    return table[PROBLEM_COLUMNS]


def snapshot_days(as_of: dt.date) -> list[dt.date]:
    """Every Sunday of the last SNAPSHOT_WEEKS weeks up to `as_of`, then `as_of` if not a Sunday."""
    last_sunday = as_of - dt.timedelta(days=as_of.isoweekday() % 7)
    days = [last_sunday - dt.timedelta(weeks=k) for k in range(SNAPSHOT_WEEKS - 1, -1, -1)]
    return days if last_sunday == as_of else [*days, as_of]


def snapshot_frames(timeline: pd.DataFrame, as_of: dt.date) -> Iterator[pd.DataFrame]:
    """(problem_id, status, due_date, as_of) of every problem already found, one frame per snapshot day."""
    for day in snapshot_days(as_of):
        known = timeline[timeline.found_date <= pd.Timestamp(day)]
        yield pd.DataFrame({"problem_id": known.problem_id, "status": status_on(known, day),
                            "due_date": due_on(known, day), "as_of": pd.Timestamp(day)})


def pick_many(rng: np.random.Generator, options, n: int, p=None) -> np.ndarray:
    """`n` draws from `options` (weighted by `p` if given), as an object array."""
    return np.asarray(options, dtype=object)[rng.choice(len(options), n, p=p)]


def bulk_timeline(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Every problem of every branch with its hidden timeline (the columns of `demo_timeline`), drawn
    vectorised: 2–4 problems per branch and year, the fates of `_ordinary`, nothing planted."""
    branches = units.loc[units.level == 4, "unit_code"].to_numpy()
    frames = []
    for back in (2, 1, 0):
        year = as_of.year - back
        codes = np.repeat(branches, rng.integers(2, 5, len(branches)))
        n = len(codes)
        days = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
        found = np.datetime64(dt.date(year, 1, 1)) + rng.integers(0, days, n)
        due = found + pick_many(rng, TERMS_DAYS, n).astype(int)
        started = found + rng.integers(0, 21, n)
        fate = rng.random(n)
        stalled = fate < STALL_RATE[back]
        late = ~stalled & (fate < STALL_RATE[back] + LATE_RATE)
        on_time = started + np.floor(rng.uniform(0.3, 1.0, n) * (due - started).astype(int)).astype(int)
        completed = np.where(late, due + rng.integers(5, 91, n), on_time)
        closed = completed + rng.integers(7, 41, n)
        nat = np.datetime64("NaT", "D")
        started = np.where(stalled & (rng.random(n) >= 0.5), nat, started)
        category = pick_many(rng, list(names.PROBLEM_CATEGORIES), n)
        texts = pd.Series(category).map(names.PROBLEM_CATEGORIES)
        option = (rng.random(n) * texts.map(len).to_numpy()).astype(int)
        chosen = [opts[i] for opts, i in zip(texts, option)]
        frames.append(pd.DataFrame({
            "unit_code": codes, "source": pick_many(rng, PROBLEM_SOURCES, n, SOURCE_WEIGHTS),
            "found_date": found, "severity": pick_many(rng, SEVERITIES, n, SEVERITY_WEIGHTS), "due_date": due,
            "started": started, "completed": np.where(stalled, nat, completed),
            "closed": np.where(stalled, nat, closed), "category": category,
            "description": [c[0] for c in chosen], "measures": [c[1] for c in chosen],
            "owner": np.char.add(pick_many(rng, list(names.SURNAMES), n).astype(str),
                                 pick_many(rng, names.GIVEN_NAMES, n).astype(str))}))
    timeline = pd.concat(frames, ignore_index=True)
    timeline = timeline[timeline.found_date <= np.datetime64(as_of)].reset_index(drop=True)
    for col in ("found_date", "due_date", "started", "completed", "closed"):
        timeline[col] = pd.to_datetime(timeline[col])
    for col in ("reopened", "due_before", "due_changed"):
        timeline[col] = pd.NaT
    return _with_ids(timeline)
