"""A small per-process cache for intermediate results that several figures share.

A page asks for a handful of figures built on the same expensive intermediate (every branch ×
required meeting slot of the year, for instance). `versioned` computes it once per store state:
the key is the database file, the store's data version — bumped by every commit, undo and edit
(`kpi.store.bump_data_version`) — and the call's other arguments. A write therefore makes every
entry unreachable; the cache holds at most `maxsize` entries, least recently used dropped first.

In-memory databases have no file to name them by, so calls on them are never cached.
"""
from __future__ import annotations

import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import duckdb

from kpi.store.state import data_version

T = TypeVar("T")


def store_identity(con: duckdb.DuckDBPyConnection) -> tuple[str, int] | None:
    """(database file, data version) of the store behind `con`; None for an in-memory database."""
    # fetchall, not fetchone: DuckDB keeps a result that was not read to its end open on the cursor.
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    if not rows or not rows[0][0]:
        return None
    return rows[0][0], data_version(con)


def versioned(maxsize: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator for `func(con, *args, **kwargs)` with hashable arguments: one result per store file,
    data version and arguments, at most `maxsize` kept. `func.cache_clear()` empties it."""
    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        entries: OrderedDict[tuple, T] = OrderedDict()
        signature = inspect.signature(func)
        lock = threading.Lock()  # Streamlit serves sessions from several threads

        @functools.wraps(func)
        def wrapper(con: duckdb.DuckDBPyConnection, *args, **kwargs) -> T:
            identity = store_identity(con)
            if identity is None:
                return func(con, *args, **kwargs)
            # f(con, a) and f(con, a, None) with None the default are the same call: key on the
            # bound arguments, defaults filled in.
            bound = signature.bind(con, *args, **kwargs)
            bound.apply_defaults()
            key = (identity, *list(bound.arguments.values())[1:])
            with lock:
                if key in entries:
                    entries.move_to_end(key)
                    return entries[key]
            value = func(con, *args, **kwargs)
            with lock:
                entries[key] = value
                entries.move_to_end(key)
                while len(entries) > maxsize:
                    entries.popitem(last=False)
            return value

        wrapper.cache_clear = entries.clear  # type: ignore[attr-defined]
        return wrapper
    return decorate
