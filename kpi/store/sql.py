"""Identifiers in SQL: the one way a name (never a value) enters a statement.

SQL binds every value (`?`); identifiers come only from `quote_identifier` over names this project
defines (dataset specs, table names it created).
"""
from __future__ import annotations


def quote_identifier(name: str) -> str:
    """`name` quoted for SQL; the only way an identifier enters a statement."""
    return '"' + name.replace('"', '""') + '"'


def dataset_select_sql(table: str, columns: list[str], order_by: list[str]) -> str:
    """`SELECT columns FROM table ORDER BY order_by` for names this package defines (a dataset's
    spec), every identifier quoted by `quote_identifier`; values never enter it."""
    return (f"SELECT {', '.join(map(quote_identifier, columns))} FROM {quote_identifier(table)} "
            f"ORDER BY {', '.join(map(quote_identifier, order_by))}")
