"""Demo groups of three sizes for benchmarks: S = 300 branches (a city group), M = 5,000 (a large
central SOE), L = 100,000 (a provincial SASAC).

Three years of all seven datasets at realistic rates: about 45 required meetings plus 2–4 talks
per branch and year (the rules' meeting catalogue), 2–4 problems per branch and year (3 on
average) with weekly status snapshots over the last 26 weeks, about one supervision activity per
branch and year, one annual row per secondary and tertiary unit and year, one rating per branch
and year, monthly indicators per secondary unit.

The demo generator's modules are reused where they already work on any tree (meeting slots,
annual rows, ratings, indicators, problem statuses and ids); the tree, talks, problems and
supervision are drawn here with vectorised numpy because the demo draws them row by row, which
takes minutes at 100,000 branches. Every dataset draws from its own generator seeded by
(seed, size, dataset): the same size, seed and as-of date always give the same rows.

Meetings are produced in chunks of branches (`meetings_chunks`) so L (~13 M rows) never sits in
memory whole; `load_sized` writes every chunk straight into the store.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import numpy as np
import pandas as pd

from kpi import store
from kpi.datasets import DATASETS, MEETING_TYPES, PROBLEM_SOURCES, SEVERITIES
from kpi.demo import _insert, names
from kpi.demo.figures import demo_annual, demo_indicators, demo_ratings, missing_annual_units
from kpi.demo.meetings import TALKS_PER_YEAR, _required
from kpi.demo.org import COMMITTEE_MIN_MEMBERS, UNIT_COLUMNS, new_branch_dates
from kpi.demo.problems import (
    LATE_RATE,
    SEVERITY_WEIGHTS,
    SOURCE_WEIGHTS,
    STALL_RATE,
    TERMS_DAYS,
    _with_ids,
    due_on,
    problems_on,
    snapshot_days,
    status_on,
)
from kpi.demo.supervision import SUPERVISION_COLUMNS
from kpi.rules import Rules, load_rules
from kpi.store.sql import insert_batch

SIZES = {"S": 300, "M": 5_000, "L": 100_000}
SIZED_SEED = 20241101
SIZED_FILE_NAME = "规模测试数据"
SIZED_USER = "bench"
MEETING_CHUNK_BRANCHES = 5_000
# Branch-level supervision: mostly 督查/调研 and liaison visits, now and then a comparison visit.
BRANCH_ACTIVITY_KINDS = ("督查", "调研", "联系点活动", "观摩比查")
BRANCH_ACTIVITY_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
ABSENCE_RATE = {"支部党员大会": 0.03, "组织生活会": 0.03, "民主评议党员": 0.03}
DEFAULT_ABSENCE = 0.08


def _rng(seed: int, size: str, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, *size.encode(), *stream.encode()])


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


def sized_units(rng: np.random.Generator, n_branches: int, as_of: dt.date, earliest: dt.date) -> pd.DataFrame:
    """The tree as a `units` frame (UNIT_COLUMNS) ordered by code: the group, secondary and tertiary
    units, `n_branches` branches; parents' member and staff counts are the sums of their children.
    The last four branches are founded recently (as in the demo), none before `earliest`."""
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


def _talks(rng: np.random.Generator, branches: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """谈心谈话: 2–4 a year per branch, in distinct months, on days 1–28."""
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


def _topics(rng: np.random.Generator, types: pd.Series) -> np.ndarray:
    out = np.empty(len(types), dtype=object)
    pick = rng.random(len(types))
    for kind in MEETING_TYPES:
        where = (types == kind).to_numpy()
        options = np.array(names.MEETING_TOPICS[kind], dtype=object)
        out[where] = options[(pick[where] * len(options)).astype(int)]
    return out


def meetings_chunks(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date, rules: Rules,
                    weak: set[str]) -> Iterator[pd.DataFrame]:
    """The meetings frame in chunks of MEETING_CHUNK_BRANCHES branches, each ordered by branch,
    date and type. Required meetings come from the demo's slot generator."""
    branches = units.loc[units.level == 4, ["unit_code", "member_count", "founded_date"]]
    for start in range(0, len(branches), MEETING_CHUNK_BRANCHES):
        part = branches.iloc[start:start + MEETING_CHUNK_BRANCHES]
        log = pd.concat([_required(rng, part, rules, as_of, weak), _talks(rng, part, as_of)], ignore_index=True)
        log = log.sort_values(["unit_code", "date", "meeting_type"], ignore_index=True)
        expected = log.member_count.to_numpy()
        absence = log.meeting_type.map(ABSENCE_RATE).fillna(DEFAULT_ABSENCE).to_numpy()
        yield pd.DataFrame({
            "unit_code": log.unit_code, "meeting_type": log.meeting_type, "date": log.date,
            "expected": expected, "attended": expected - rng.binomial(expected, absence),
            "topic": _topics(rng, log.meeting_type)})


def _pick(rng: np.random.Generator, options, n: int, p=None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), n, p=p)]


def sized_timeline(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Every problem of every branch with its hidden timeline, in the demo's timeline columns, so the
    demo's `problems_on` / `status_on` read statuses off it. 2–4 problems per branch and year."""
    branches = units.loc[units.level == 4, "unit_code"].to_numpy()
    frames = []
    for back in (2, 1, 0):
        year = as_of.year - back
        n_each = rng.integers(2, 5, len(branches))
        codes = np.repeat(branches, n_each)
        n = len(codes)
        days = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
        found = np.datetime64(dt.date(year, 1, 1)) + rng.integers(0, days, n)
        due = found + _pick(rng, TERMS_DAYS, n).astype(int)
        started = found + rng.integers(0, 21, n)
        fate = rng.random(n)
        stalled = fate < STALL_RATE[back]
        late = ~stalled & (fate < STALL_RATE[back] + LATE_RATE)
        on_time = started + np.floor(rng.uniform(0.3, 1.0, n) * (due - started).astype(int)).astype(int)
        completed = np.where(late, due + rng.integers(5, 91, n), on_time)
        closed = completed + rng.integers(7, 41, n)
        nat = np.datetime64("NaT", "D")
        started = np.where(stalled & (rng.random(n) >= 0.5), nat, started)
        category = _pick(rng, list(names.PROBLEM_CATEGORIES), n)
        texts = pd.Series(category).map(names.PROBLEM_CATEGORIES)
        option = (rng.random(n) * texts.map(len).to_numpy()).astype(int)
        chosen = [opts[i] for opts, i in zip(texts, option)]
        frames.append(pd.DataFrame({
            "unit_code": codes, "source": _pick(rng, PROBLEM_SOURCES, n, SOURCE_WEIGHTS),
            "found_date": found, "severity": _pick(rng, SEVERITIES, n, SEVERITY_WEIGHTS), "due_date": due,
            "started": started, "completed": np.where(stalled, nat, completed),
            "closed": np.where(stalled, nat, closed), "category": category,
            "description": [c[0] for c in chosen], "measures": [c[1] for c in chosen],
            "owner": np.char.add(_pick(rng, list(names.SURNAMES), n).astype(str),
                                 _pick(rng, names.GIVEN_NAMES, n).astype(str))}))
    timeline = pd.concat(frames, ignore_index=True)
    timeline = timeline[timeline.found_date <= np.datetime64(as_of)].reset_index(drop=True)
    for col in ("found_date", "due_date", "started", "completed", "closed"):
        timeline[col] = pd.to_datetime(timeline[col])
    for col in ("reopened", "due_before", "due_changed"):
        timeline[col] = pd.NaT
    return _with_ids(timeline)


def sized_snapshots(timeline: pd.DataFrame, as_of: dt.date) -> Iterator[pd.DataFrame]:
    """The weekly status snapshots, one frame per snapshot day (as the demo takes them)."""
    for day in snapshot_days(as_of):
        known = timeline[timeline.found_date <= pd.Timestamp(day)]
        yield pd.DataFrame({"problem_id": known.problem_id, "status": status_on(known, day),
                            "due_date": due_on(known, day), "as_of": pd.Timestamp(day)})


def _visits(rng: np.random.Generator, codes: np.ndarray, kinds: np.ndarray, year: int,
            as_of: dt.date) -> pd.DataFrame:
    n = len(codes)
    start = np.datetime64(dt.date(year, 1, 1)) + rng.integers(0, 355, n)
    days = np.where(kinds == "巡察", rng.integers(30, 46, n), rng.integers(1, 6, n))
    leads = np.empty(n, dtype=object)
    for kind in set(kinds.tolist()):
        where = kinds == kind
        leads[where] = _pick(rng, names.SUPERVISION_LEADS.get(kind, names.INSPECTION_TEAMS), int(where.sum()))
    frame = pd.DataFrame({"unit_code": codes, "kind": kinds, "start_date": start, "end_date": start + days,
                          "lead": leads, "findings": rng.integers(0, 7, n)})
    return frame[frame.end_date <= np.datetime64(as_of)]


def sized_supervision(rng: np.random.Generator, units: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Supervision (SUPERVISION_COLUMNS): each secondary and tertiary unit inspected (巡察) once in the
    three years; each secondary unit visited (督查/调研) 1–3 times and reviewed (述职评议) once a year;
    about one visit per branch and year. Ids like DC-2025-00042, numbered by start date."""
    frames = []
    upper = units.loc[units.level.isin([2, 3]), "unit_code"].to_numpy()
    secondary = units.loc[units.level == 2, "unit_code"].to_numpy()
    branches = units.loc[units.level == 4, "unit_code"].to_numpy()
    inspect_year = as_of.year - rng.integers(0, 3, len(upper))
    for year in range(as_of.year - 2, as_of.year + 1):
        chosen = upper[inspect_year == year]
        frames.append(_visits(rng, chosen, np.full(len(chosen), "巡察", dtype=object), year, as_of))
        per_sec = np.repeat(secondary, rng.integers(1, 4, len(secondary)))
        frames.append(_visits(rng, per_sec, _pick(rng, ("督查", "调研"), len(per_sec), (0.6, 0.4)), year, as_of))
        frames.append(_visits(rng, secondary, np.full(len(secondary), "述职评议", dtype=object), year, as_of))
        visited = branches[rng.random(len(branches)) < 0.9]
        visited = np.concatenate([visited, branches[rng.random(len(branches)) < 0.1]])
        frames.append(_visits(rng, visited, _pick(rng, BRANCH_ACTIVITY_KINDS, len(visited),
                                                  BRANCH_ACTIVITY_WEIGHTS), year, as_of))
    frame = pd.concat(frames, ignore_index=True)
    frame["start_date"] = pd.to_datetime(frame.start_date)
    frame["end_date"] = pd.to_datetime(frame.end_date)
    frame = frame.sort_values(["start_date", "unit_code", "kind"], ignore_index=True, kind="stable")
    prefix = frame.kind.map(names.KIND_PREFIXES)
    year = frame.start_date.dt.year.astype(str)
    number = (frame.groupby([prefix, year]).cumcount() + 1).astype(str).str.zfill(5)
    frame.insert(0, "activity_id", prefix + "-" + year + "-" + number)
    return frame[SUPERVISION_COLUMNS]


def weak_branch_set(rng: np.random.Generator, units: pd.DataFrame) -> set[str]:
    """One branch in 15 misses meetings often and scores low (the demo: 20 of 300)."""
    codes = units.loc[units.level == 4, "unit_code"].to_numpy()
    return set(rng.choice(codes, size=max(1, len(codes) // 15), replace=False).tolist())


def load_sized(con: duckdb.DuckDBPyConnection, size: str, as_of: dt.date, seed: int = SIZED_SEED,
               rules: Rules | None = None) -> dict[str, int]:
    """Write the group of `size` (a key of SIZES) for `as_of` into the empty store behind `con`, one
    batch per dataset, and return the row count of every dataset and of 'problem_snapshots'.
    Not marked as demo data; sets demo_cleared so the app never adds the demo on top."""
    rules = rules or load_rules()
    if not store.is_empty(con):
        raise ValueError("load_sized writes into an empty store only")
    units = sized_units(_rng(seed, size, "units"), SIZES[size], as_of, dt.date(rules.min_year, 1, 1))
    weak = weak_branch_set(_rng(seed, size, "weak"), units)
    annual_rng = _rng(seed, size, "annual")
    timeline = sized_timeline(_rng(seed, size, "problems"), units, as_of)
    frames = {
        "units": lambda: [units],
        "annual": lambda: [demo_annual(annual_rng, units, as_of, rules, missing_annual_units(annual_rng, units))],
        "meetings": lambda: meetings_chunks(_rng(seed, size, "meetings"), units, as_of, rules, weak),
        "problems": lambda: [problems_on(timeline, as_of)],
        "supervision": lambda: [sized_supervision(_rng(seed, size, "supervision"), units, as_of)],
        "ratings": lambda: [demo_ratings(_rng(seed, size, "ratings"), units, as_of, weak)],
        "indicators": lambda: [demo_indicators(_rng(seed, size, "indicators"), units, as_of, rules)],
    }
    counts: dict[str, int] = {}
    first = int(con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()[0])
    for offset, name in enumerate(DATASETS):
        batch_id = first + offset
        counts[name] = 0
        for frame in frames[name]():
            _insert(con, name, frame, batch_id)
            counts[name] += len(frame)
        insert_batch(con, batch_id=batch_id, dataset=name, file_name=SIZED_FILE_NAME, sha256=None,
                     rows_total=counts[name], rows_inserted=counts[name], rows_updated=0, rows_unchanged=0,
                     user_name=SIZED_USER, kind="upload", as_of=as_of)
        if name == "problems":
            counts["problem_snapshots"] = 0
            for snap in sized_snapshots(timeline, as_of):
                _insert(con, "problem_snapshots", snap, batch_id)
                counts["problem_snapshots"] += len(snap)
    store.set_meta(con, "demo_cleared", "1")
    store.bump_data_version(con)
    return counts


def export_csv(con: duckdb.DuckDBPyConnection, dataset: str, path: str) -> None:
    """Write the stored rows of `dataset` as a UTF-8 CSV with the template's Chinese headers, in the
    dataset's column order (dates ISO, booleans true/false), as an analyst's upload would look."""
    columns = DATASETS[dataset].columns
    select = ", ".join(f"{store.quote_identifier(c.name)} AS {store.quote_identifier(c.header)}" for c in columns)
    con.execute(f"COPY (SELECT {select} FROM {store.quote_identifier(dataset)}) TO '{_sql_path(path)}' "
                "(HEADER, DELIMITER ',')")


def _sql_path(path: str) -> str:
    # COPY takes no bound parameter for its target; the path is ours (a temp dir), quotes doubled anyway.
    return str(path).replace("'", "''")
