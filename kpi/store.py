"""The one owner of the DuckDB connection and the schema.

Every other module asks this one for a cursor; SQL binds every value (`?`), and
identifiers come only from `quote_identifier` over names this package defines.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from kpi import derived
from kpi.i18n import TranslatedError
from kpi.meta import meta_value, set_meta
from kpi.migrations import LATEST_VERSION, MIGRATIONS

# Auto-install would try the network for minutes on an offline machine.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

DATASET_TABLES = ("units", "annual", "meetings", "problems", "supervision", "ratings", "indicators")


class StoreError(Exception):
    """The DuckDB file cannot be used (newer schema than this app, or not a store)."""


class WriteRefused(TranslatedError):
    """A write refused because the store changed under it: 'conflict' (DuckDB reported a write
    conflict with another transaction) or 'stale' (a dataset the preview or confirmation was
    computed from has been written since). Either way the user is asked to look again; nothing was
    written.

    key: a message key in kpi/messages/store.toml.
    """

    prefix = "store."


# Every write of this process (commits, undos, demo load/clear, migrations) runs under this lock, one
# after another: two analysts committing at the same moment both succeed, in turn, instead of the
# second hitting DuckDB's write conflict on the data version. Another process cannot interleave at
# all: DuckDB locks the file, so a second process (e.g. the CLI while the server runs) fails to open it.
# Reentrant: a nested `transaction` then fails with DuckDB's own error instead of deadlocking the thread.
_WRITE_LOCK = threading.RLock()


def write_lock() -> threading.RLock:
    """The process-wide lock held by every writing transaction (see `transaction`)."""
    return _WRITE_LOCK


def _is_conflict(exc: BaseException) -> bool:
    """True for DuckDB's write-write conflicts ("Conflict on tuple deletion!", "Catalog write-write
    conflict…", "Failed to commit: … conflict …")."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def _rollback(con: duckdb.DuckDBPyConnection, cause: BaseException) -> None:
    """ROLLBACK after `cause`; when ROLLBACK itself fails (a failed COMMIT — e.g. a full disk — has
    already ended the transaction: "cannot rollback - no transaction is active"), keep that as a
    note on `cause` instead of raising it, so the real reason is the one reported."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error as exc:
        cause.add_note(f"ROLLBACK after this error also failed: {exc}")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, expected_version: int | None = None,
                depends_on: Iterable[str] | None = None) -> Iterator[None]:
    """One writing transaction on `con`, holding the process's write lock from BEGIN to COMMIT.

    With `expected_version` (the data version a preview or confirmation was computed against),
    refuses with WriteRefused('stale') when a dataset of `depends_on` (default: every dataset) has
    been written since — checked inside the transaction, so nothing can slip in between; writes to
    other datasets do not make it stale. On any error: ROLLBACK, then the original error is raised
    (see `_rollback`); a DuckDB write conflict becomes WriteRefused('conflict').
    """
    with _WRITE_LOCK:
        con.execute("BEGIN TRANSACTION")
        try:
            if expected_version is not None and changed_at(con, depends_on) > expected_version:
                raise WriteRefused("stale")
            yield
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con, exc)
            if _is_conflict(exc):
                raise WriteRefused("conflict") from exc
            raise


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
        with transaction(con):
            con.execute(MIGRATIONS[version - 1])
            con.execute("DELETE FROM meta WHERE key = 'schema_version'")
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
    return start


class Store:
    """An open DuckDB store. Use `cursor()` per thread / per query batch."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path), config=DUCKDB_CONFIG)
        migrate(self._con)
        # Data written by another program (or an older version of this one) since: catch up.
        with transaction(self._con):
            derived.refresh_derived(self._con)

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


def bump_data_version(con: duckdb.DuckDBPyConnection, datasets: Iterable[str] | None = None) -> int:
    """Increment the data version (call inside the writing transaction) and record it as the version
    at which `datasets` (default: every dataset) last changed; brings the derived tables
    (kpi.derived) up to date first, so that every writer keeps them right."""
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
           WHERE key IN (SELECT 'changed_at.' || unnest(CAST(? AS VARCHAR[])))""", [names]).fetchall()
    recorded, latest = rows[0]
    return int(latest) if recorded == len(set(names)) else data_version(con)


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
