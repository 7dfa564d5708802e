"""Moving a DuckDB file store into a new DuckLake (issue 16: from one server to several): every
table's rows, copied in one transaction, so the lake starts exactly where the file was.

The file is attached read-only inside the lake's own DuckDB instance and each table is copied with
one `INSERT … BY NAME SELECT`, so nothing passes through Python. A lake has no sequences
(kpi.store.lake): its id counters (`meta` seq.<name>) are set to continue after the highest copied id.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from kpi.i18n import TranslatedError
from kpi.store.connection import Store
from kpi.store.meta import set_meta
from kpi.store.sql import string_literal, with_identifiers
from kpi.store.transactions import transaction
from kpi.store.writer_claim import is_lake_connection

SOURCE_ALIAS = "copy_source"
# The lake's own bookkeeping in meta, never copied over it: its schema version (the same, checked)
# and the writer claim (kpi.store.writer_claim).
_LAKE_OWN_META = ("schema_version", "writer")
# id column of the tables whose ids came from a sequence in the file (counted in meta on a lake)
_SEQUENCE_IDS = {"audit_log_ids": ("audit_log", "id"), "login_attempt_ids": ("login_attempts", "attempt_id")}


class CopyRefused(TranslatedError):
    """A copy that cannot be made (a family; keys in kpi/messages/store.toml, `store.copy.<key>`)."""

    prefix = "store.copy."


class TargetNotLake(CopyRefused):
    key = "target_not_lake"


class TargetNotEmpty(CopyRefused):
    """The lake already holds rows (param `table`, the first one found): a copy never mixes two stores."""

    key = "target_not_empty"


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    return [row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = $db AND schema_name = 'main' "
        "ORDER BY table_name", {"db": database}).fetchall()]


def _first_table_with_rows(con: duckdb.DuckDBPyConnection, tables: list[str]) -> str | None:
    for table in tables:
        if table == "meta":
            continue
        if con.execute(with_identifiers("SELECT count(*) FROM {t}", t=table)).fetchall()[0][0]:
            return table
    return None


def copy_file_into_lake(source: str | Path, lake_con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copy every row of the DuckDB file store `source` into the empty lake behind `lake_con`, in one
    transaction; returns rows copied per table. The file is first opened as the app opens it (migrated to
    the latest schema, like the lake); it must not be held by a running dashboard. Refuses TargetNotLake,
    TargetNotEmpty; a file DuckDB cannot open raises DuckDB's error (kpi.cli.common names its cause)."""
    if not is_lake_connection(lake_con):
        raise TargetNotLake()
    Store(source).close()  # migrated to the latest schema, derived tables caught up
    target = lake_con.execute("SELECT current_database()").fetchall()[0][0]
    tables = _tables(lake_con, target)
    occupied = _first_table_with_rows(lake_con, tables)
    if occupied is not None:
        raise TargetNotEmpty(table=occupied)
    # ATTACH binds no path on DuckDB 1.5.5: the operator's own file path, quoted as a literal.
    lake_con.execute("ATTACH " + string_literal(str(source)) + " AS " + SOURCE_ALIAS + " (READ_ONLY)")
    try:
        copied = {}
        with transaction(lake_con):
            for table in tables:
                if table == "meta":
                    continue
                lake_con.execute(with_identifiers(
                    "INSERT INTO {t} BY NAME SELECT * FROM {src}.main.{t}", t=table, src=SOURCE_ALIAS))
                copied[table] = lake_con.execute(with_identifiers("SELECT count(*) FROM {t}", t=table)).fetchall()[0][0]
            # the file's data version, change marks, demo and setup state replace the new lake's own
            lake_con.execute("DELETE FROM meta WHERE key <> ALL($own)", {"own": list(_LAKE_OWN_META)})
            lake_con.execute(with_identifiers("INSERT INTO meta SELECT key, value FROM {src}.main.meta "
                                              "WHERE key <> ALL($own)", src=SOURCE_ALIAS),
                             {"own": list(_LAKE_OWN_META)})
            for sequence, (table, column) in _SEQUENCE_IDS.items():
                highest = lake_con.execute(with_identifiers("SELECT coalesce(max({c}), 0) FROM {t}",
                                                            c=column, t=table)).fetchall()[0][0]
                set_meta(lake_con, f"seq.{sequence}", str(highest))
            copied["meta"] = lake_con.execute("SELECT count(*) FROM meta").fetchall()[0][0]
        return copied
    finally:
        lake_con.execute(with_identifiers("DETACH {src}", src=SOURCE_ALIAS))
