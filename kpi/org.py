"""The organisation tree: subtrees, ancestors at a level, breadcrumbs.

Built on the `unit_paths` table (every unit × each of its ancestors, itself included; kept right by
kpi.store.derived whenever the tree changes), so a
subtree filter is `ancestor_code = ?` and a roll-up to secondary units is `ancestor_level = 2`.
"""
from __future__ import annotations

import duckdb
import pandas as pd

LEVEL_GROUP, LEVEL_SECONDARY, LEVEL_TERTIARY, LEVEL_BRANCH = 1, 2, 3, 4


def subtree_filter_sql(column: str = "unit_code") -> str:
    """A WHERE fragment keeping rows whose `column` lies in the subtree of the bound root (`?`).

    Bind the root code, or None for the whole store (the fragment is then always true).
    """
    return (f"(CAST(? AS VARCHAR) IS NULL OR {column} IN "
            f"(SELECT unit_code FROM unit_paths WHERE ancestor_code = CAST(? AS VARCHAR)))")


def subtree_params(root: str | None) -> list:
    """The two bound values `subtree_filter_sql` expects."""
    return [root, root]


def units_in_subtree(con: duckdb.DuckDBPyConnection, root: str | None, level: int | None = None) -> pd.DataFrame:
    """Units of the subtree of `root` (all units when None), optionally only those at `level`."""
    return con.execute(
        f"""SELECT unit_code, unit_name, parent_code, level, org_type, member_count, staff_count,
                   founded_date
            FROM units WHERE {subtree_filter_sql()} AND (CAST(? AS INTEGER) IS NULL OR level = ?)
            ORDER BY unit_code""",
        subtree_params(root) + [level, level]).df()


def breadcrumb(con: duckdb.DuckDBPyConnection, unit_code: str) -> list[tuple[str, str]]:
    """(code, name) from the top of the tree down to `unit_code`; empty for an unknown code."""
    rows = con.execute(
        """SELECT a.unit_code, a.unit_name FROM unit_paths p JOIN units a ON a.unit_code = p.ancestor_code
           WHERE p.unit_code = ? ORDER BY p.depth DESC""", [unit_code]).fetchall()
    return [(code, name) for code, name in rows]


def unit_choices(con: duckdb.DuckDBPyConnection, max_level: int = LEVEL_TERTIARY) -> pd.DataFrame:
    """Units offered as subtree roots (levels 1..max_level), in tree order, with their level."""
    return con.execute(
        """SELECT unit_code, unit_name, level FROM units WHERE level <= ?
           ORDER BY unit_code""", [max_level]).df()


def unit_name(con: duckdb.DuckDBPyConnection, unit_code: str) -> str | None:
    """The name of `unit_code`, None when no such unit exists."""
    row = con.execute("SELECT unit_name FROM units WHERE unit_code = ?", [unit_code]).fetchone()
    return row[0] if row else None


def find_units(con: duckdb.DuckDBPyConnection, root: str | None, level: int, text: str = "",
               limit: int = 500) -> tuple[pd.DataFrame, int]:
    """Units of `level` in the subtree of `root` whose code or name contains `text` (bound, matched
    literally), the first `limit` by code — and how many match in all. A picker offers these
    instead of every branch of a large group."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    where = (f"level = ? AND {subtree_filter_sql()} AND (unit_code ILIKE '%' || ? || '%' ESCAPE '\\' "
             "OR unit_name ILIKE '%' || ? || '%' ESCAPE '\\')")
    params = [level, *subtree_params(root), escaped, escaped]
    total = con.execute(f"SELECT count(*) FROM units WHERE {where}", params).fetchone()[0]
    found = con.execute(f"SELECT unit_code, unit_name FROM units WHERE {where} ORDER BY unit_code LIMIT ?",
                        params + [limit]).df()
    return found, total
