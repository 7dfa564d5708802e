"""The one owner of the DuckDB connection and the schema.

Every other module asks this one for a cursor; SQL binds every value (`?`), and
identifiers come only from `quote_identifier` over names this package defines.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from kpi import derived
from kpi.meta import meta_value, set_meta
from kpi.migrations import LATEST_VERSION, MIGRATIONS

# Auto-install would try the network for minutes on an offline machine.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

DATASET_TABLES = ("units", "annual", "meetings", "problems", "supervision", "ratings", "indicators")


class StoreError(Exception):
    """The DuckDB file cannot be used (newer schema than this app, or not a store)."""


def quote_identifier(name: str) -> str:
    """`name` quoted for SQL; the only way an identifier enters a statement."""
    return '"' + name.replace('"', '""') + '"'


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file; 0 for an empty file."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "meta" not in tables:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the file to the latest schema; returns the version it started at."""
    start = schema_version(con)
    if start > LATEST_VERSION:
        raise StoreError(f"database schema v{start} is newer than this app (v{LATEST_VERSION})")
    for version in range(start + 1, LATEST_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(MIGRATIONS[version - 1])
            con.execute("DELETE FROM meta WHERE key = 'schema_version'")
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return start


class Store:
    """An open DuckDB store. Use `cursor()` per thread / per query batch."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path), config=DUCKDB_CONFIG)
        migrate(self._con)
        # Data written by another program (or an older version of this one) since: catch up.
        self._con.execute("BEGIN TRANSACTION")
        try:
            derived.refresh_derived(self._con)
            self._con.execute("COMMIT")
        except Exception:
            self._con.execute("ROLLBACK")
            raise

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._con.cursor()

    def close(self) -> None:
        self._con.close()


def open_store(path: str | Path) -> Store:
    """Open (creating and migrating if needed) the DuckDB store at `path`."""
    return Store(path)


def dataset_select_sql(table: str, columns: list[str], order_by: list[str]) -> str:
    """`SELECT columns FROM table ORDER BY order_by` for names this package defines (a dataset's
    spec), every identifier quoted by `quote_identifier`; values never enter it."""
    return (f"SELECT {', '.join(map(quote_identifier, columns))} FROM {quote_identifier(table)} "
            f"ORDER BY {', '.join(map(quote_identifier, order_by))}")


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A counter bumped by every commit and undo; caches key on it."""
    return int(meta_value(con, "data_version") or 0)


def bump_data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Increment the data version (call inside the writing transaction); brings the derived tables
    (kpi.derived) up to date first, so that every writer keeps them right."""
    derived.refresh_derived(con)
    new = data_version(con) + 1
    set_meta(con, "data_version", str(new))
    return new


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no dataset table holds a row."""
    return all(
        con.execute(f"SELECT count(*) FROM {quote_identifier(t)}").fetchone()[0] == 0
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
        q = quote_identifier(name)
        out[name] = tuple(con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {q} t").fetchone())
    return out
