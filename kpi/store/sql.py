"""The one place for SQL helpers: identifiers, the subtree filter, LIKE patterns, the snapshot order,
the batches insert.

SQL binds every value by name (`$root`, `$level`, … with a dict of parameters); statement text is
constant. Identifiers come only from `quote_identifier` over names this project defines (dataset
specs, table names it created), through `with_identifiers`.
"""
from __future__ import annotations

import datetime as dt

import duckdb


def quote_identifier(name: str) -> str:
    """`name` quoted for SQL; the only way an identifier enters a statement."""
    return '"' + name.replace('"', '""') + '"'


def string_literal(text: str) -> str:
    """`text` as a quoted SQL string literal — only where DuckDB binds no value: the path or spec of
    an ATTACH (DuckDB 1.5.5), which is the operator's own configuration, never a user's input."""
    return "'" + text.replace("'", "''") + "'"


def with_identifiers(template: str, **names: str | list[str]) -> str:
    """`template` with each `{name}` replaced by the quoted identifier (a list: quoted and joined by
    ', '). Only for names this project defines (dataset specs, its own tables); values are bound."""
    quoted = {key: ", ".join(map(quote_identifier, value)) if isinstance(value, list) else quote_identifier(value)
              for key, value in names.items()}
    return template.format(**quoted)


def dataset_select_sql(table: str, columns: list[str], order_by: list[str]) -> str:
    """`SELECT columns FROM table ORDER BY order_by` for names this package defines (a dataset's
    spec), every identifier quoted by `quote_identifier`; values never enter it."""
    return with_identifiers("SELECT {columns} FROM {table} ORDER BY {order_by}",
                            columns=columns, table=table, order_by=order_by)


def in_subtree(column: str = "unit_code") -> str:
    """A WHERE fragment keeping rows whose `column` lies in the subtree of the bound `$root`.

    Bind `root` to a unit code, or to None for the whole store: the fragment is then true without
    looking at `unit_paths` (DuckDB folds the constant `$root IS NULL`), the no-root fast path.
    `column` is a column reference written in this package (e.g. "u.unit_code"), never data.
    """
    return (f"(CAST($root AS VARCHAR) IS NULL OR {column} IN "
            "(SELECT unit_code FROM unit_paths WHERE ancestor_code = CAST($root AS VARCHAR)))")


IN_SUBTREE = in_subtree()


def like_contains(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, `\\`, `%` and `_` taken literally (use with
    `ESCAPE '\\'`, as `CONTAINS` does)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def contains(column: str, parameter: str = "pattern") -> str:
    """`column ILIKE $parameter ESCAPE '\\'`: bind `like_contains(text)` to `parameter`."""
    return f"{column} ILIKE ${parameter} ESCAPE '\\'"


# The order of a problem's status snapshots, oldest first: by as-of date, then by the batch that
# wrote them (a snapshot without a batch — the demo's — before any imported one of the same day).
SNAPSHOT_ORDER = "as_of, batch_id NULLS FIRST"
# The same order reversed, newest first (the snapshot that counts is the first).
SNAPSHOT_ORDER_NEWEST_FIRST = "as_of DESC, batch_id DESC NULLS LAST"
# The same order as one BIGINT per snapshot (days since 1970 × 2³², then batch_id + 1, 0 without a
# batch), for arg_max / arg_min over a problem's snapshots.
SNAPSHOT_KEY = ("(CAST(date_diff('day', DATE '1970-01-01', as_of) AS BIGINT) * 4294967296 "
                "+ coalesce(batch_id + 1, 0))")

_INSERT_BATCH = """INSERT INTO batches (batch_id, dataset, file_name, sha256, rows_total, rows_inserted,
        rows_updated, rows_unchanged, user_name, created_at, kind, undone_at, as_of, sheets_loaded)
    VALUES ($batch_id, $dataset, $file_name, $sha256, $rows_total, $rows_inserted, $rows_updated,
        $rows_unchanged, $user_name, coalesce(CAST($created_at AS TIMESTAMP), current_timestamp::TIMESTAMP),
        $kind, NULL, $as_of, $sheets_loaded)"""


def insert_batch(con: duckdb.DuckDBPyConnection, *, batch_id: int, dataset: str, file_name: str,
                 sha256: str | None, rows_total: int, rows_inserted: int, rows_updated: int, rows_unchanged: int,
                 user_name: str, kind: str, as_of: dt.date, created_at: dt.datetime | None = None,
                 sheets_loaded: str | None = None) -> None:
    """Record one batch (an upload, an edit, a demo or generated dataset) in `batches`, not undone;
    `created_at` None = the store's clock now."""
    con.execute(_INSERT_BATCH, {
        "batch_id": batch_id, "dataset": dataset, "file_name": file_name, "sha256": sha256,
        "rows_total": rows_total, "rows_inserted": rows_inserted, "rows_updated": rows_updated,
        "rows_unchanged": rows_unchanged, "user_name": user_name, "created_at": created_at, "kind": kind,
        "as_of": as_of, "sheets_loaded": sheets_loaded})
