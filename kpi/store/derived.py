"""Tables derived from the stored data, kept right by `refresh_derived` (called by
`kpi.store.bump_data_version`, which every writer calls, and when a store is opened).

- unit_paths: every unit's ancestors, itself included — rebuilt when the tree changed.
- problem_changes: the problem snapshots that changed a problem's state (status or deadline),
  plus each problem's first. The state at any date — the latest snapshot on or before it — is the
  same read from either table, but weekly uploads re-snapshot every problem, so at 100,000
  branches the changes are 1.2 M rows against 21 M snapshots.
"""
from __future__ import annotations

import duckdb

from kpi.store.meta import meta_value, set_meta
from kpi.store.migrations import INSERT_UNIT_PATHS
from kpi.store.sql import SNAPSHOT_KEY, SNAPSHOT_ORDER, SNAPSHOT_ORDER_NEWEST_FIRST

BATCH_KEY = "coalesce(batch_id, -1)"
_COLUMNS = "problem_id, status, due_date, as_of, batch_id"


def units_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A cheap digest of the tree (row count and a hash of every code, parent and level)."""
    count, total = con.execute(
        "SELECT count(*), coalesce(sum(hash(unit_code, parent_code, level)), 0) FROM units").fetchall()[0]
    return f"{count}:{total}"


def refresh_unit_paths(con: duckdb.DuckDBPyConnection) -> bool:
    """Rebuild the unit_paths table when the tree changed since it was built; True when rebuilt."""
    tree = units_fingerprint(con)
    if meta_value(con, "unit_paths_of") == tree:
        return False
    con.execute("DELETE FROM unit_paths")
    con.execute(INSERT_UNIT_PATHS)
    set_meta(con, "unit_paths_of", tree)
    return True


def _changes_of(source: str, carry: str = "") -> str:
    """SELECT of the change rows among the snapshot rows of `source` (a subquery of this module with
    the snapshot columns, and `carry`, more columns to keep): per problem in snapshot order, the
    first row and every row whose status or deadline differs from the row before."""
    columns = f"{_COLUMNS}, {carry}" if carry else _COLUMNS
    return f"""
        SELECT {columns} FROM (
            SELECT {columns}, row_number() OVER w AS n,
                   lag(status) OVER w AS previous_status, lag(due_date) OVER w AS previous_due
            FROM {source}
            WINDOW w AS (PARTITION BY problem_id ORDER BY {SNAPSHOT_ORDER}))
        WHERE n = 1 OR status IS DISTINCT FROM previous_status OR due_date IS DISTINCT FROM previous_due"""


# The statements of the upkeep, fixed text composed once from the fragments above; every value
# (batch keys, problem ids, the last kept key) is bound.
_IN_BATCHES = "list_contains(CAST($batches AS BIGINT[]), " + BATCH_KEY + ")"
_LISTED = "problem_id IN (SELECT unnest(CAST($problem_ids AS VARCHAR[])))"
# True when every row of the selection comes after every snapshot kept (NULL: no row).
_AFTER_KEPT = "min(" + SNAPSHOT_KEY + ") > coalesce(CAST($kept_max AS BIGINT), -1)"
CHANGES_OF_ALL = _changes_of("problem_snapshots")
BATCH_COUNTS = "SELECT " + BATCH_KEY + ", count(*) FROM problem_snapshots GROUP BY ALL"
KEPT_MAX = "SELECT max(" + SNAPSHOT_KEY + ") FROM problem_snapshots WHERE NOT " + _IN_BATCHES
GONE_AFTER_KEPT = "SELECT " + _AFTER_KEPT + " FROM problem_changes WHERE " + _IN_BATCHES
NEW_AFTER_KEPT = "SELECT " + _AFTER_KEPT + " FROM problem_snapshots WHERE " + _IN_BATCHES
GONE_PROBLEMS = "SELECT DISTINCT problem_id FROM problem_changes WHERE " + _IN_BATCHES
NEW_PROBLEMS = "SELECT DISTINCT problem_id FROM problem_snapshots WHERE " + _IN_BATCHES
DROP_GONE = "DELETE FROM problem_changes WHERE " + _IN_BATCHES
DROP_LISTED = "DELETE FROM problem_changes WHERE " + _LISTED
REBUILD_LISTED = ("INSERT INTO problem_changes"
                  + _changes_of("(SELECT " + _COLUMNS + " FROM problem_snapshots WHERE " + _LISTED + ")"))
# Each problem's last change placed before the new rows: the window marks the new rows that
# change the state; only those are added.
APPEND_NEW = ("INSERT INTO problem_changes SELECT " + _COLUMNS + " FROM (" + _changes_of(
    "(SELECT " + _COLUMNS + ", false AS added FROM problem_changes WHERE problem_id IN (" + NEW_PROBLEMS + ")"
    " QUALIFY row_number() OVER (PARTITION BY problem_id ORDER BY " + SNAPSHOT_ORDER_NEWEST_FIRST + ") = 1"
    " UNION ALL SELECT " + _COLUMNS + ", true AS added FROM problem_snapshots WHERE " + _IN_BATCHES + ")",
    "added") + ") WHERE added")


def _rebuild(con: duckdb.DuckDBPyConnection, problem_ids: list[str]) -> None:
    """The change rows of these problems, rebuilt from their snapshots."""
    con.execute(DROP_LISTED, {"problem_ids": problem_ids})
    con.execute(REBUILD_LISTED, {"problem_ids": problem_ids})


def _ids(con: duckdb.DuckDBPyConnection, query: str, batches: list[int]) -> list[str]:
    return [row[0] for row in con.execute(query, {"batches": batches}).fetchall()]


def refresh_problem_changes(con: duckdb.DuckDBPyConnection) -> bool:
    """Bring problem_changes up to date with problem_snapshots; True when anything was done.

    Batches are compared by their snapshot counts with those already taken in (writers write a
    batch's snapshots once and never reuse a batch id, which comes from the batches table). The
    common cases cost as little as the batch: a batch dated after every other snapshot (a new
    weekly upload) only compares its rows with each problem's last change; the undo of such a
    batch only drops its change rows. Anything else (a back-dated batch, the undo of one) rebuilds
    the changes of the problems it holds from their snapshots."""
    now = dict(con.execute(BATCH_COUNTS).fetchall())
    seen = dict(con.execute("SELECT batch_key, snapshots FROM problem_change_batches").fetchall())
    if now == seen:
        return False
    gone = [b for b in seen if now.get(b) != seen[b]]
    new = [b for b in now if seen.get(b) != now[b]]
    kept_max = con.execute(KEPT_MAX, {"batches": new}).fetchall()[0][0]
    if gone:
        if con.execute(GONE_AFTER_KEPT, {"kept_max": kept_max, "batches": gone}).fetchall()[0][0] is False:
            # A later snapshot may now change the state: rebuild those problems.
            _rebuild(con, _ids(con, GONE_PROBLEMS, gone))
        else:
            con.execute(DROP_GONE, {"batches": gone})
    if new:
        if con.execute(NEW_AFTER_KEPT, {"kept_max": kept_max, "batches": new}).fetchall()[0][0] and not gone:
            con.execute(APPEND_NEW, {"batches": new})
        else:
            _rebuild(con, _ids(con, NEW_PROBLEMS, new))
    con.execute("DELETE FROM problem_change_batches")
    if now:
        con.executemany("INSERT INTO problem_change_batches VALUES ($batch_key, $snapshots)",
                        [{"batch_key": key, "snapshots": count} for key, count in now.items()])
    return True


def refresh_derived(con: duckdb.DuckDBPyConnection) -> bool:
    """Every derived table brought up to date with the data (call inside the writing transaction);
    True when one was rewritten."""
    paths = refresh_unit_paths(con)
    changes = refresh_problem_changes(con)
    return paths or changes
