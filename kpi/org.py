"""The organisation tree: subtrees, ancestors at a level, breadcrumbs.

Built on the `unit_paths` table (every unit × each of its ancestors, itself included; kept right by
kpi.store.derived whenever the tree changes), so a subtree filter is
`ancestor_code = $root` (`kpi.store.sql.in_subtree`) and a roll-up to secondary units is `ancestor_level = 2`.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from kpi.store.sql import IN_SUBTREE, contains, like_contains

LEVEL_GROUP, LEVEL_SECONDARY, LEVEL_TERTIARY, LEVEL_BRANCH = 1, 2, 3, 4


_UNITS_IN_SUBTREE = """SELECT unit_code, unit_name, parent_code, level, org_type, member_count, staff_count,
           founded_date
    FROM units WHERE """ + IN_SUBTREE + """ AND (CAST($level AS INTEGER) IS NULL OR level = $level)
    ORDER BY unit_code"""


def units_in_subtree(con: duckdb.DuckDBPyConnection, root: str | None, level: int | None = None) -> pd.DataFrame:
    """Units of the subtree of `root` (all units when None), optionally only those at `level`."""
    return con.execute(_UNITS_IN_SUBTREE, {"root": root, "level": level}).df()


def breadcrumb(con: duckdb.DuckDBPyConnection, unit_code: str) -> list[tuple[str, str]]:
    """(code, name) from the top of the tree down to `unit_code`; empty for an unknown code."""
    rows = con.execute(
        """SELECT a.unit_code, a.unit_name FROM unit_paths p JOIN units a ON a.unit_code = p.ancestor_code
           WHERE p.unit_code = $unit_code ORDER BY p.depth DESC""", {"unit_code": unit_code}).fetchall()
    return [(code, name) for code, name in rows]


def unit_choices(con: duckdb.DuckDBPyConnection, max_level: int = LEVEL_TERTIARY) -> pd.DataFrame:
    """Units offered as subtree roots (levels 1..max_level), in tree order, with their level."""
    return con.execute(
        """SELECT unit_code, unit_name, level FROM units WHERE level <= $max_level
           ORDER BY unit_code""", {"max_level": max_level}).df()


def unit_name(con: duckdb.DuckDBPyConnection, unit_code: str) -> str | None:
    """The name of `unit_code`, None when no such unit exists."""
    row = con.execute("SELECT unit_name FROM units WHERE unit_code = $unit_code",
                      {"unit_code": unit_code}).fetchone()
    return row[0] if row else None


_FIND_UNITS_WHERE = (" WHERE level = $level AND " + IN_SUBTREE + " AND ("
                     + contains("unit_code") + " OR " + contains("unit_name") + ")")
_FIND_UNITS_COUNT = "SELECT count(*) FROM units" + _FIND_UNITS_WHERE
_FIND_UNITS = "SELECT unit_code, unit_name FROM units" + _FIND_UNITS_WHERE + " ORDER BY unit_code LIMIT $limit"


def find_units(con: duckdb.DuckDBPyConnection, root: str | None, level: int, text: str = "",
               limit: int = 500) -> tuple[pd.DataFrame, int]:
    """Units of `level` in the subtree of `root` whose code or name contains `text` (bound, matched
    literally), the first `limit` by code — and how many match in all. A picker offers these
    instead of every branch of a large group."""
    params = {"level": level, "root": root, "pattern": like_contains(text.strip())}
    total = con.execute(_FIND_UNITS_COUNT, params).fetchone()[0]
    found = con.execute(_FIND_UNITS, {**params, "limit": limit}).df()
    return found, total
