"""The one owner of the DuckDB connection and the schema of a store file: `Store` opens (creating and
migrating if needed) the file; every other module asks the Store for a cursor. `kpi.store.open_store`
(opening.py) opens a file or a DuckLake by its spec.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

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


class _Unchanged(Exception):
    """Ends `catch_up`'s transaction without a commit: there was nothing to refresh."""


def catch_up(con: duckdb.DuckDBPyConnection) -> None:
    """When a store is opened: refresh the derived tables written by another program (or an older
    version of this one) since. Commits only when something was refreshed — on a DuckLake every commit
    is a new snapshot, and a command that opens the store only to be refused must write nothing."""
    try:
        with transaction(con):
            if not derived.refresh_derived(con):
                raise _Unchanged
    except _Unchanged:
        pass


class Store:
    """An open DuckDB store. Use `cursor()` per thread / per query batch."""

    kind = "file"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path), config=DUCKDB_CONFIG)
        migrate(self._con)
        # Data written by another program (or an older version of this one) since: catch up.
        catch_up(self._con)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._con.cursor()

    def close(self) -> None:
        self._con.close()
