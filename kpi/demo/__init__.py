"""The demo group (演示数据): a fictitious group written into an empty store, and taken out again.

`load_demo` fills all seven datasets for the three years up to the as-of date — 1 group,
10 secondary units, 40 tertiary units, 300 branches — with the imperfections supervision exists
to find (see the other modules of this package for what is planted where). The same seed and as-of date always
give the same rows: every dataset draws from its own generator seeded by (seed, dataset), so
changing how one dataset is generated leaves the others as they were.

Every row passes the importer's validation, so demo data can be exported and re-imported.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from kpi import store
from kpi.datasets import DATASETS
from kpi.demo.figures import demo_annual, demo_indicators, demo_ratings, missing_annual_units
from kpi.demo.meetings import demo_meetings, weak_branches
from kpi.demo.org import demo_units
from kpi.demo.problems import demo_snapshots, demo_timeline, problems_on
from kpi.demo.supervision import demo_supervision
from kpi.rules import Rules, load_rules
from kpi.store import quote_identifier as q
from kpi.store.sql import insert_batch

DEMO_SEED = 20240701
DEMO_KIND = "demo"
DEMO_USER = "demo"
DEMO_FILE_NAME = "演示数据"
_FRAME = "_kpi_demo_frame"


class StoreNotEmpty(Exception):
    """The demo group is only ever written into a store that holds no dataset rows."""


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, *stream.encode()])


def demo_frames(as_of: dt.date, seed: int = DEMO_SEED, rules: Rules | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the demo group as frames: the seven datasets and 'problem_snapshots'."""
    rules = rules or load_rules()
    units = demo_units(_rng(seed, "units"), as_of, dt.date(rules.min_year, 1, 1))
    weak = weak_branches(_rng(seed, "weak"), units)
    annual_rng = _rng(seed, "annual")
    timeline = demo_timeline(_rng(seed, "problems"), units, as_of)
    return {
        "units": units,
        "annual": demo_annual(annual_rng, units, as_of, rules, missing_annual_units(annual_rng, units)),
        "meetings": demo_meetings(_rng(seed, "meetings"), units, as_of, rules, weak),
        "problems": problems_on(timeline, as_of),
        "supervision": demo_supervision(_rng(seed, "supervision"), units, as_of),
        "ratings": demo_ratings(_rng(seed, "ratings"), units, as_of, weak),
        "indicators": demo_indicators(_rng(seed, "indicators"), units, as_of, rules),
        "problem_snapshots": demo_snapshots(timeline, as_of),
    }


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $table AND schema_name = 'main'",
        {"table": table}).fetchall())


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, batch_id: int) -> None:
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


def _add_batch(con: duckdb.DuckDBPyConnection, batch_id: int, dataset: str, rows: int, as_of: dt.date) -> None:
    insert_batch(con, batch_id=batch_id, dataset=dataset, file_name=DEMO_FILE_NAME, sha256=None, rows_total=rows,
                 rows_inserted=rows, rows_updated=0, rows_unchanged=0, user_name=DEMO_USER, kind=DEMO_KIND,
                 as_of=as_of)


def _refuse_unless_empty(con: duckdb.DuckDBPyConnection) -> None:
    """Raise StoreNotEmpty when any dataset table holds a row."""
    if not store.is_empty(con):
        raise StoreNotEmpty("the store already holds data; the demo group only loads into an empty store")


def load_demo(con: duckdb.DuckDBPyConnection, as_of: dt.date, seed: int = DEMO_SEED) -> None:
    """Write the demo group for `as_of` into the empty store behind `con`, in one transaction.

    One batch per dataset (kind 'demo', user 'demo', file '演示数据'); the problems batch also
    owns the status snapshots. Sets meta demo = '1' and bumps the data version.
    Raises StoreNotEmpty when any dataset table already holds rows.
    """
    _refuse_unless_empty(con)
    frames = demo_frames(as_of, seed)
    with store.transaction(con):  # one writer at a time, like commits and undos
        _refuse_unless_empty(con)  # again inside: two first visitors at once must not both load it
        first = int(con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()[0])
        for offset, name in enumerate(DATASETS):
            batch_id = first + offset
            _insert(con, name, frames[name], batch_id)
            _add_batch(con, batch_id, name, len(frames[name]), as_of)
            if name == "problems":
                _insert(con, "problem_snapshots", frames["problem_snapshots"], batch_id)
        store.set_meta(con, "demo", "1")
        store.bump_data_version(con)


def clear_demo(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the demo group in one transaction: every dataset row, the undo copies, the problem
    snapshots and the demo batches. Sets meta demo = '0', demo_cleared = '1' (so the app does
    not load it again) and bumps the data version."""
    with store.transaction(con):  # one writer at a time, like commits and undos
        for name in DATASETS:
            con.execute(store.with_identifiers("DELETE FROM {table}", table=name))
            con.execute(store.with_identifiers("DELETE FROM {table}", table=name + "_undo"))
        con.execute("DELETE FROM problem_snapshots")
        con.execute("DELETE FROM batches WHERE kind = $kind", {"kind": DEMO_KIND})
        store.set_meta(con, "demo", "0")
        store.set_meta(con, "demo_cleared", "1")
        store.bump_data_version(con)
