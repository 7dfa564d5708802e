"""What the store holds and at which version: the data version every cache keys on, the version at
which each dataset last changed, whether it is empty or the demo, and checksums of every table.
"""
from __future__ import annotations

from collections.abc import Iterable

import duckdb

from kpi.store import derived
from kpi.store.meta import meta_value, set_meta
from kpi.store.sql import with_identifiers

DATASET_TABLES = ("units", "annual", "meetings", "problems", "supervision", "ratings", "indicators")


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A counter bumped by every commit and undo; caches key on it."""
    return int(meta_value(con, "data_version") or 0)


def bump_data_version(con: duckdb.DuckDBPyConnection, datasets: Iterable[str] | None = None) -> int:
    """Increment the data version (call inside the writing transaction) and record it as the version
    at which `datasets` (default: every dataset) last changed; brings the derived tables
    (kpi.store.derived) up to date first, so that every writer keeps them right."""
    derived.refresh_derived(con)
    new = data_version(con) + 1
    set_meta(con, "data_version", str(new))
    for name in DATASET_TABLES if datasets is None else datasets:
        set_meta(con, f"changed_at.{name}", str(new))
    return new


def changed_at(con: duckdb.DuckDBPyConnection, datasets: Iterable[str] | None = None) -> int:
    """The data version at which any of `datasets` (default: every dataset) was last written; the
    current data version for a dataset with no record (schema v7 records every dataset)."""
    names = list(DATASET_TABLES if datasets is None else datasets)
    rows = con.execute(
        """SELECT count(*), max(CAST(value AS BIGINT)) FROM meta
           WHERE key IN (SELECT 'changed_at.' || unnest(CAST($names AS VARCHAR[])))""", {"names": names}).fetchall()
    recorded, latest = rows[0]
    return int(latest) if recorded == len(set(names)) else data_version(con)


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no dataset table holds a row."""
    return all(
        con.execute(with_identifiers("SELECT count(*) FROM {table}", table=t)).fetchone()[0] == 0
        for t in DATASET_TABLES
    )


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """True while the store holds the generated demo group (演示数据)."""
    return meta_value(con, "demo") == "1"


def table_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """(row count, order-independent hash) of every table: proves a refused upload wrote nothing."""
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]
    out = {}
    for name in names:
        out[name] = tuple(con.execute(
            with_identifiers("SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t", table=name)).fetchone())
    return out
