"""Writers serialised across processes on a DuckLake (see kpi.store.lake), and ids without sequences.

DuckLake commits optimistically: two transactions that only append both commit, even into the same
table, and it has no unique constraints. So every writing transaction on a lake first rewrites the
same `meta` row ('writer'): of two writing transactions open at once, the later COMMIT fails with
DuckLake's "Transaction conflict …", which `transaction()` turns into WriteRefused('conflict') with
nothing written. A uniqueness check followed by an insert inside one transaction is then safe.
On the DuckDB file nothing is done: one process owns the file and its write lock serialises writers.
"""
from __future__ import annotations

import uuid

import duckdb

from kpi.store.meta import meta_value, set_meta


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    """True when `con`'s current database is a DuckLake."""
    rows = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return bool(rows) and rows[0][0] == "ducklake"


def _has_meta(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                       "AND table_name = 'meta'").fetchall()[0][0] > 0


def claim_writer(con: duckdb.DuckDBPyConnection) -> None:
    """Inside a writing transaction on a lake: make it conflict with any other writing transaction
    open at the same time (on the file store: nothing)."""
    if is_lake_connection(con) and _has_meta(con):  # before migration v1 there is nothing to claim
        set_meta(con, "writer", uuid.uuid4().hex)


def next_id(con: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """The next id of `sequence` (one the schema defines: audit_log_ids, login_attempt_ids). The file
    store has the sequence; a lake has none ("DuckLake does not support sequences"), so there it is
    counted in `meta` (key seq.<name>), which is only safe inside a writing transaction: the claim
    makes a second process that counts at the same time fail to commit instead of reusing the id."""
    if not is_lake_connection(con):
        return con.execute("SELECT nextval($sequence)", {"sequence": sequence}).fetchall()[0][0]
    key = f"seq.{sequence}"
    value = int(meta_value(con, key) or 0) + 1
    set_meta(con, key, str(value))
    return value
