"""The demo group (演示数据): a fictitious group written into an empty store, and taken out again.

`load_demo` fills all seven datasets for the three years up to the as-of date — 1 group,
10 secondary units, 40 tertiary units, 300 branches — with the imperfections supervision exists
to find (see the other modules of this package for what is planted where). The demo is one size
(`generate.DEMO`) of the generator that also makes the benchmark sizes (`sizes.py`). The same seed
and as-of date always give the same rows.

Every row passes the importer's validation, so demo data can be exported and re-imported.
"""
from __future__ import annotations

import datetime as dt

import duckdb

from kpi import store
from kpi.datasets import DATASETS
from kpi.demo.generate import DEMO, group_tables, insert_batch_row, write_tables
from kpi.rules import load_rules

DEMO_SEED = 20240701
DEMO_KIND = "demo"
DEMO_USER = "demo"
DEMO_FILE_NAME = "演示数据"


class StoreNotEmpty(Exception):
    """The demo group is only ever written into a store that holds no dataset rows."""


def _add_batch(con: duckdb.DuckDBPyConnection, batch_id: int, dataset: str, rows: int, as_of: dt.date) -> None:
    insert_batch_row(con, batch_id, dataset, rows, as_of, DEMO_KIND, DEMO_USER, DEMO_FILE_NAME)


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
    # Drawn before the transaction, so the write lock is held only while writing.
    drawn = {name: list(draw()) for name, draw in group_tables(DEMO, as_of, seed, load_rules()).items()}
    with store.transaction(con):  # one writer at a time, like commits and undos
        _refuse_unless_empty(con)  # again inside: two first visitors at once must not both load it
        write_tables(con, {name: (lambda frames=frames: frames) for name, frames in drawn.items()},
                     lambda c, batch_id, dataset, rows: _add_batch(c, batch_id, dataset, rows, as_of))
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
