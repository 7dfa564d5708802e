"""The one generator of every group size: the demo (300 branches, named units, planted cases) and
the benchmark sizes S, M and L.

A size (`GroupSize`) says how many branches there are and which drawers make the tree, the
problems' timelines and the supervision record: the demo's draw unit by unit and plant its cases
(`org.demo_units`, `problems.demo_timeline`, `supervision.demo_supervision`), the benchmark sizes'
draw vectorised (`bulk_units`, `bulk_timeline`, `bulk_supervision`), because drawing row by row
takes minutes at 100,000 branches. Everything else is the same code for every size: the weak
branches, the meeting log (required meetings, talks, attendance, topics) in chunks of branches,
problem statuses and the weekly snapshots, annual rows, ratings and indicators.

Every dataset draws from its own generator seeded by (seed, size, dataset), so the same size, seed
and as-of date always give the same rows, and changing how one dataset is drawn leaves the others
as they were. The demo's seeds carry no size key: they were fixed before the sizes existed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from kpi.datasets import DATASETS
from kpi.demo.figures import demo_annual, demo_indicators, demo_ratings, missing_annual_units
from kpi.demo.meetings import meeting_chunks, weak_branches
from kpi.demo.org import DEMO_BRANCHES, bulk_units, demo_units
from kpi.demo.problems import bulk_timeline, demo_timeline, problems_on, snapshot_frames
from kpi.demo.supervision import bulk_supervision, demo_supervision
from kpi.rules import Rules
from kpi.store import quote_identifier as q
from kpi.store.sql import insert_batch

_FRAME = "_kpi_demo_frame"
# What the generator returns: per table, a function that draws its frames in order (more than one
# for the meetings, in chunks of branches, and for the snapshots, one per day).
Tables = Mapping[str, Callable[[], Iterable[pd.DataFrame]]]


@dataclass(frozen=True)
class GroupSize:
    """One size of generated group: its name, its branch count and the drawers that differ by size.

    units(rng, branches, as_of, earliest) → the `units` frame; timeline(rng, units, as_of) → every
    problem with its hidden timeline; supervision(rng, units, as_of) → the supervision frame.
    `seed_key` is mixed into every dataset's seed."""

    name: str
    branches: int
    units: Callable[[np.random.Generator, int, dt.date, dt.date], pd.DataFrame]
    timeline: Callable[[np.random.Generator, pd.DataFrame, dt.date], pd.DataFrame]
    supervision: Callable[[np.random.Generator, pd.DataFrame, dt.date], pd.DataFrame]
    seed_key: str


DEMO = GroupSize("demo", DEMO_BRANCHES, demo_units, demo_timeline, demo_supervision, seed_key="")
# S = a city group, M = a large central SOE, L = a provincial SASAC.
BENCHMARK_SIZES = {name: GroupSize(name, branches, bulk_units, bulk_timeline, bulk_supervision, seed_key=name)
                   for name, branches in (("S", 300), ("M", 5_000), ("L", 100_000))}


def dataset_rng(seed: int, size: GroupSize, dataset: str) -> np.random.Generator:
    """The generator one dataset of `size` draws from."""
    return np.random.default_rng([seed, *size.seed_key.encode(), *dataset.encode()])


def group_tables(size: GroupSize, as_of: dt.date, seed: int, rules: Rules) -> Tables:
    """Every table of the group of `size` as of `as_of`: the seven datasets and 'problem_snapshots'.
    The tree, the weak branches and the problems' timelines are drawn now (the others depend on
    them); each table's rows only when its function is called, as often as wanted, always the same."""
    units = size.units(dataset_rng(seed, size, "units"), size.branches, as_of, dt.date(rules.min_year, 1, 1))
    weak = weak_branches(dataset_rng(seed, size, "weak"), units)
    timeline = size.timeline(dataset_rng(seed, size, "problems"), units, as_of)

    def rng(dataset: str) -> np.random.Generator:
        return dataset_rng(seed, size, dataset)

    def annual() -> list[pd.DataFrame]:
        annual_rng = rng("annual")  # the units without this year's row first, from the same stream
        return [demo_annual(annual_rng, units, as_of, rules, missing_annual_units(annual_rng, units))]

    return {
        "units": lambda: [units],
        "annual": annual,
        "meetings": lambda: meeting_chunks(rng("meetings"), units, as_of, rules, weak),
        "problems": lambda: [problems_on(timeline, as_of)],
        "supervision": lambda: [size.supervision(rng("supervision"), units, as_of)],
        "ratings": lambda: [demo_ratings(rng("ratings"), units, as_of, weak)],
        "indicators": lambda: [demo_indicators(rng("indicators"), units, as_of, rules)],
        "problem_snapshots": lambda: snapshot_frames(timeline, as_of),
    }


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $table AND schema_name = 'main'",
        {"table": table}).fetchall())


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, batch_id: int) -> None:
    """Append `frame` to `table` with every value cast to the column's type, all rows tagged `batch_id`."""
    types = _column_types(con, table)
    columns = list(frame.columns)
    casts = ", ".join(f"CAST({q(c)} AS {types[c]})" for c in columns)
    con.register(_FRAME, frame)
    try:
        con.execute(f"INSERT INTO {q(table)} ({', '.join(map(q, columns))}, batch_id) "
                    f"SELECT {casts}, $batch_id FROM {_FRAME}", {"batch_id": batch_id})
    finally:
        con.unregister(_FRAME)


def insert_batch_row(con: duckdb.DuckDBPyConnection, batch_id: int, dataset: str, rows: int, as_of: dt.date,
                     kind: str, user: str, file_name: str) -> None:
    """The `batches` row of a generated dataset: every row inserted, none updated or unchanged."""
    insert_batch(con, batch_id=batch_id, dataset=dataset, file_name=file_name, sha256=None, rows_total=rows,
                 rows_inserted=rows, rows_updated=0, rows_unchanged=0, user_name=user, kind=kind, as_of=as_of)


def _insert_all(con: duckdb.DuckDBPyConnection, table: str, frames: Iterable[pd.DataFrame], batch_id: int) -> int:
    rows = 0
    for frame in frames:
        insert_frame(con, table, frame, batch_id)
        rows += len(frame)
    return rows


def write_tables(con: duckdb.DuckDBPyConnection, tables: Tables,
                 add_batch: Callable[[duckdb.DuckDBPyConnection, int, str, int], None]) -> dict[str, int]:
    """Append every dataset of `tables` as one batch, numbered after the store's last batch, in the
    order of DATASETS; the problem snapshots belong to the problems batch. `add_batch(con, batch_id,
    dataset, rows)` records each batch. Returns the row count of every dataset and of
    'problem_snapshots'. Frames are drawn and written one at a time, never all held at once."""
    first = int(con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()[0])
    counts: dict[str, int] = {}
    for offset, name in enumerate(DATASETS):
        batch_id = first + offset
        counts[name] = _insert_all(con, name, tables[name](), batch_id)
        add_batch(con, batch_id, name, counts[name])
        if name == "problems":
            counts["problem_snapshots"] = _insert_all(con, "problem_snapshots", tables["problem_snapshots"](),
                                                      batch_id)
    return counts
