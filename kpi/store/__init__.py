"""The store: one DuckDB file or a DuckLake, its schema and every way into it.

- opening: `open_store(spec)`, a DuckDB file or a DuckLake; connection: `Store` (the one owner of a file's
  DuckDB connection), schema migration; lake: `LakeStore`, the lake's dialect of the schema; writer_claim:
  writers serialised across processes on a lake; copying: a file moved into a new lake;
- migrations: the versioned schema, literal SQL frozen once released;
- transactions: `transaction()` (one writing transaction at a time) and `WriteRefused` (StaleWrite, WriteConflict);
- state: the data version caches key on, when each dataset last changed, empty / demo, checksums;
- sql: the SQL helpers — `quote_identifier` / `with_identifiers` (the only way an identifier enters a
  statement; values are always bound, by name), `in_subtree`, `like_contains`, the snapshot order, `insert_batch`;
- meta: the key–value table `meta`; derived: tables kept right from the data (unit_paths,
  problem_changes); memo: a per-process cache keyed on the data version; sqlframes: a pandas
  frame visible to SQL for a `with` block; unavailable: why a file cannot be opened (DuckDB's words,
  the lock's holder) and the page's message for it.

`from kpi import store` then `store.open_store(...)`, `store.transaction(...)`: the names below are
the package's public API.
"""
from kpi.store.connection import DUCKDB_CONFIG, Store, StoreError, StoreTooNew, migrate, schema_version
from kpi.store.meta import meta_value, set_meta
from kpi.store.opening import open_store
from kpi.store.sql import dataset_select_sql, quote_identifier, with_identifiers
from kpi.store.state import (
    DATASET_TABLES,
    bump_data_version,
    changed_at,
    data_version,
    is_demo,
    is_empty,
    table_checksums,
)
from kpi.store.transactions import (
    StaleWrite,
    WriteConflict,
    WriteRefused,
    retried_on_conflict,
    retry_on_conflict,
    transaction,
    write_lock,
)

__all__ = [
    "DATASET_TABLES", "DUCKDB_CONFIG", "StaleWrite", "Store", "StoreError", "StoreTooNew", "WriteConflict",
    "WriteRefused", "bump_data_version", "changed_at", "data_version", "dataset_select_sql", "is_demo", "is_empty",
    "meta_value", "migrate", "open_store", "quote_identifier",
    "retried_on_conflict", "retry_on_conflict", "schema_version", "set_meta", "table_checksums",
    "transaction", "with_identifiers", "write_lock",
]
