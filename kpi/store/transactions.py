"""One writing transaction at a time: `transaction()` (BEGIN … COMMIT, ROLLBACK on any error) under
the process-wide write lock, refusing a write whose preview went stale (`StaleWrite`).
"""
from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import duckdb

from kpi.i18n import TranslatedError
from kpi.store.state import changed_at
from kpi.store.writer_claim import claim_writer


class WriteRefused(TranslatedError):
    """A write refused because the store changed under it (a family: StaleWrite, WriteConflict).
    Either way the user is asked to look again; nothing was written. Keys: kpi/messages/store.toml."""

    prefix = "store."


class StaleWrite(WriteRefused):
    """A dataset the preview or confirmation was computed from has been written since."""

    key = "stale"


class WriteConflict(WriteRefused):
    """DuckDB reported a write conflict with another transaction."""

    key = "conflict"


# Every write of this process (commits, undos, demo load/clear, migrations) runs under this lock, one
# after another: two analysts committing at the same moment both succeed, in turn, instead of the
# second hitting DuckDB's write conflict on the data version. Another process cannot interleave at
# all: DuckDB locks the file, so a second process (e.g. the CLI while the server runs) fails to open it.
# Reentrant: a `transaction` inside another one on the same connection joins it (see `transaction`).
_WRITE_LOCK = threading.RLock()
# The connections (by id) with a transaction open. Only the thread holding _WRITE_LOCK reads or changes
# it, and a connection with an open transaction is alive, so its id cannot be reused meanwhile.
_OPEN: set[int] = set()


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
    refuses with StaleWrite when a dataset of `depends_on` (default: every dataset) has
    been written since — checked inside the transaction, so nothing can slip in between; writes to
    other datasets do not make it stale. On any error: ROLLBACK, then the original error is raised
    (see `_rollback`); a DuckDB write conflict becomes WriteConflict.

    Called again on the same `con` inside an open transaction, it joins it (no second BEGIN): the
    staleness is checked, and the outer transaction alone commits or rolls back — so an action can
    write its data and its audit row in one transaction through functions that each use this helper.
    """
    with _WRITE_LOCK:
        if id(con) in _OPEN:  # joined (like Django's atomic): the outer transaction commits or rolls back
            _refuse_if_stale(con, expected_version, depends_on)
            yield
            return
        con.execute("BEGIN TRANSACTION")
        _OPEN.add(id(con))
        try:
            claim_writer(con)  # on a DuckLake: writers in other processes conflict with this one
            _refuse_if_stale(con, expected_version, depends_on)
            yield
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con, exc)
            if _is_conflict(exc):
                raise WriteConflict() from exc
            raise
        finally:
            _OPEN.discard(id(con))


T = TypeVar("T")
# How often a short write that met another process's commit is tried (a DuckLake only, see below).
CONFLICT_ATTEMPTS = 6


def retry_on_conflict(write: Callable[[], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
    """`write()` — one whole writing `transaction` — run again when it fails with WriteConflict, after a
    short random pause that grows each time, at most `attempts` times (then the conflict is raised).

    On a DuckLake other servers commit optimistically (kpi.store.writer_claim): two commits at the same
    moment conflict, and the later one is simply tried again. That is safe for a user's own write too
    (an upload, an undo, an edit): its staleness is checked again inside the new transaction, so a
    preview the other commit made stale is refused as StaleWrite, never written. The file store has no
    other writer in practice (another program holding a transaction open), so there a retry is rare."""
    for attempt in range(1, attempts):
        try:
            return write()
        except WriteConflict:
            time.sleep(random.uniform(0.01, 0.03 * 2 ** attempt))  # jitter: the two writers drift apart
    return write()  # the last try: its conflict is raised


def retried_on_conflict(action: Callable[..., T]) -> Callable[..., T]:
    """Decorator for an action `action(con, ...)` that writes in one `transaction` on `con`: the whole
    action is tried again on WriteConflict (`retry_on_conflict`). Joined into a transaction already
    open on `con`, it runs once: the outer transaction's owner decides."""
    @functools.wraps(action)
    def run(con: duckdb.DuckDBPyConnection, *args, **kwargs) -> T:
        if id(con) in _OPEN:
            return action(con, *args, **kwargs)
        return retry_on_conflict(lambda: action(con, *args, **kwargs))
    return run


def _refuse_if_stale(con: duckdb.DuckDBPyConnection, expected_version: int | None,
                     depends_on: Iterable[str] | None) -> None:
    """StaleWrite when a dataset of `depends_on` was written after `expected_version`."""
    if expected_version is not None and changed_at(con, depends_on) > expected_version:
        raise StaleWrite()
