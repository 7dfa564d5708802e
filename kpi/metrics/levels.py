"""Which level of the tree a per-unit breakdown shows by default: the one just below the root."""
from __future__ import annotations

import duckdb

from kpi.org import LEVEL_BRANCH, LEVEL_SECONDARY


def level_below_root(con: duckdb.DuckDBPyConnection, root: str | None) -> int:
    """The level of the root's children (secondary units for the whole store); a branch, having no
    children, is its own breakdown. An unknown root falls back to secondary units."""
    if root is None:
        return LEVEL_SECONDARY
    row = con.execute("SELECT level FROM units WHERE unit_code = $root", {"root": root}).fetchone()
    if row is None:
        return LEVEL_SECONDARY
    return min(int(row[0]) + 1, LEVEL_BRANCH)


def resolved_level(con: duckdb.DuckDBPyConnection, root: str | None, level: int | None) -> int:
    """`level` when given, else `level_below_root`."""
    return level if level is not None else level_below_root(con, root)
