"""The store's key–value table `meta` (schema version, data version, what derived tables were built from)."""
from __future__ import annotations

import duckdb


def meta_value(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The value stored under `key`, None when there is none."""
    # fetchall, not fetchone: DuckDB keeps a result that was not read to its end open on the cursor.
    rows = con.execute("SELECT value FROM meta WHERE key = $key", {"key": key}).fetchall()
    return rows[0][0] if rows else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Store `value` under `key`, replacing what was there."""
    con.execute("DELETE FROM meta WHERE key = $key", {"key": key})
    con.execute("INSERT INTO meta VALUES ($key, $value)", {"key": key, "value": value})
