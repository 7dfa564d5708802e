"""The one owner of the DuckDB connection and the schema: `open_store` opens (creating and migrating
if needed) a store file; every other module asks the Store for a cursor.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from kpi.config import is_lake
from kpi.i18n import TranslatedError
from kpi.store import derived
from kpi.store.migrations import LATEST_VERSION, MIGRATIONS
from kpi.store.transactions import transaction

# Auto-install would try the network for minutes on an offline machine.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class StoreError(TranslatedError):
    """The DuckDB file cannot be used (a family; the command line's own refusals of a store file —
    missing, locked, read-only, not a store — are in kpi/cli/common.py). Keys: kpi/messages/store.toml."""

    prefix = "store."


class StoreTooNew(StoreError):
    """The file's schema is newer than this app knows; params `found`, `latest` (schema versions)."""

    key = "too_new"


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
        raise StoreTooNew(found=start, latest=LATEST_VERSION)
    for version in range(start + 1, LATEST_VERSION + 1):
        with transaction(con):
            con.execute(MIGRATIONS[version - 1])
            con.execute("DELETE FROM meta WHERE key = 'schema_version'")
            con.execute("INSERT INTO meta VALUES ('schema_version', $version)", {"version": str(version)})
    return start


class Store:
    """An open DuckDB store. Use `cursor()` per thread / per query batch."""

    kind = "file"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path), config=DUCKDB_CONFIG)
        migrate(self._con)
        # Data written by another program (or an older version of this one) since: catch up.
        derived.catch_up(self._con)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._con.cursor()

    def close(self) -> None:
        self._con.close()


def open_store(spec: str | Path):
    """Open (creating and migrating if needed) the store `spec` names: a DuckLake for `ducklake:…`
    (kpi.store.lake.LakeStore; its data folder from $DJ_LAKE_DATA when it is created), else the DuckDB
    file at that path (`Store`). Both have `cursor()`, `close()`, `path` and `kind`."""
    if is_lake(spec):
        from kpi.store import lake  # noqa: PLC0415  (lake imports this module)
        return lake.open_lake(str(spec))
    return Store(spec)
