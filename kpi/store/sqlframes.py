"""A pandas frame visible to DuckDB SQL for the length of a `with` block, under a fresh name."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pandas as pd


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, prefix: str = "frame") -> Iterator[str]:
    """Register `frame` on `con` under a unique name (yielded, to use as a table in SQL); unregister
    it afterwards. The name is generated here, never taken from data."""
    name = f"{prefix}_{uuid.uuid4().hex}"
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)
