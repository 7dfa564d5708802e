"""The uploader's data scope on every row a write touches.

An account bound to a unit (its root) writes only inside that unit's subtree:
- a row's unit (`unit_code`) lies in the subtree;
- a row whose natural key is already stored for a unit outside the subtree is refused: a file
  must not take over another unit's problem or supervision activity by reusing its number
  (datasets keyed by their unit need no such check: the same key is the same unit);
- units: the root itself and everything above it are out of reach (a row for the root, or
  with no parent, is refused); an existing unit must lie in the subtree; a unit's parent must
  lie in the subtree or be a new unit of the same file whose own parent does.

The parser runs these checks on the upload of a bound account, so the preview and the diff say
nothing about rows outside the subtree, and `check_upload_scope` runs them again right
before the commit. A message names the file's row, column and value only — never a stored row.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb
import numpy as np
import pandas as pd

from kpi import org
from kpi.access.roles import Account, Forbidden, may_upload
from kpi.datasets import Dataset, get_dataset
from kpi.importing.errors import CellError, UploadRefused
from kpi.importing.validate import Issue
from kpi.store.sql import with_identifiers

# Reasons, under `import.` in kpi/messages/import.toml.
OUTSIDE = "scope.outside"
OUTSIDE_SUGGEST = "scope.outside_suggest"
KEY_TAKEN = "scope.key_taken"
OWN_ROOT = "scope.own_root"
NO_PARENT = "scope.no_parent"


def root_label(con: duckdb.DuckDBPyConnection, root: str) -> str:
    """The root unit as messages name it: its name, else its code."""
    return org.unit_name(con, root) or root


def subtree_codes(con: duckdb.DuckDBPyConnection, root: str) -> frozenset[str]:
    """Every unit code of the subtree of `root` (itself included)."""
    return frozenset(r[0] for r in con.execute(
        "SELECT unit_code FROM unit_paths WHERE ancestor_code = $root", {"root": root}).fetchall())


def scope_columns(ds: Dataset) -> list[str]:
    """The columns the scope checks read: the unit, and the parent (units) or the natural key
    when the key is not the unit's (a meetings file of a million rows reads its unit only)."""
    if ds.name == "units":
        wanted = ["unit_code", "parent_code"]
    else:
        wanted = ["unit_code"] if "unit_code" in ds.key else ["unit_code", *ds.key]
    return [c for c in dict.fromkeys(wanted) if c in ds.names]


def _stored_codes(con: duckdb.DuckDBPyConnection, codes: list[str]) -> set[str]:
    """Those of `codes` that are stored units (anywhere in the tree)."""
    if not codes:
        return set()
    return {r[0] for r in con.execute("SELECT unit_code FROM units WHERE unit_code IN (SELECT unnest($codes))",
                                      {"codes": codes}).fetchall()}


def _taken_keys(con: duckdb.DuckDBPyConnection, ds: Dataset, root: str, keys: list[str]) -> set[str]:
    """Those of `keys` (values of the dataset's one key column) stored for a unit outside the subtree."""
    if not keys:
        return set()
    return {r[0] for r in con.execute(
        with_identifiers("""SELECT DISTINCT {key} FROM {table} WHERE {key} IN (SELECT unnest($keys))
            AND unit_code NOT IN (SELECT unit_code FROM unit_paths WHERE ancestor_code = $root)""",
                         key=ds.key[0], table=ds.name),
        {"keys": keys, "root": root}).fetchall()}


def _present(values: pd.Series) -> list[str]:
    return [str(v) for v in pd.unique(values.dropna())]


def _reachable(codes: pd.Series, parents: pd.Series, inside: frozenset[str], stored: set[str]) -> set[str]:
    """The subtree plus the new units of the file (codes not stored anywhere) hanging below it,
    through parents that are themselves reachable."""
    children = defaultdict(list)
    for code, parent in zip(codes, parents):
        if isinstance(code, str) and isinstance(parent, str) and code not in stored:
            children[parent].append(code)
    reach, todo = set(inside), list(inside)
    while todo:
        for child in children.pop(todo.pop(), ()):
            if child not in reach:
                reach.add(child)
                todo.append(child)
    return reach


def _unit_rows(con: duckdb.DuckDBPyConnection, root: str, rows: pd.DataFrame, inside: frozenset[str],
               failed: dict[str, np.ndarray]) -> list[tuple[np.ndarray, str, str]]:
    """(mask, column, reason) of the units rows out of reach; at most one per row, first hit wins."""
    count = len(rows)
    codes = rows["unit_code"].astype("object").where(rows["unit_code"].notna(), None)
    parents = (rows["parent_code"].astype("object").where(rows["parent_code"].notna(), None)
               if "parent_code" in rows else pd.Series([None] * count, dtype="object"))
    code_given = codes.notna().to_numpy() & ~failed.get("unit_code", np.zeros(count, dtype=bool))
    parent_failed = failed.get("parent_code", np.zeros(count, dtype=bool))
    stored = _stored_codes(con, _present(codes))
    reach = _reachable(codes, parents, inside, stored)
    hits = [
        (code_given & (codes == root).to_numpy(), "unit_code", OWN_ROOT),
        (code_given & codes.isin(stored).to_numpy() & ~codes.isin(inside).to_numpy(), "unit_code", OUTSIDE),
        (parents.isna().to_numpy() & ~parent_failed, "parent_code", NO_PARENT),
        (parents.notna().to_numpy() & ~parents.isin(reach).to_numpy() & ~parent_failed, "parent_code", OUTSIDE),
    ]
    taken = np.zeros(count, dtype=bool)
    out = []
    for mask, column, reason in hits:
        mask = mask & ~taken
        taken |= mask
        out.append((mask, column, reason))
    return out


def _keyed_rows(con: duckdb.DuckDBPyConnection, ds: Dataset, root: str, rows: pd.DataFrame,
                inside: frozenset[str]) -> list[tuple[np.ndarray, str, str]]:
    """(mask, column, reason) of the rows of a dataset with a unit column: a unit outside the
    subtree, else (datasets not keyed by unit) a key stored for a unit outside it."""
    units = rows["unit_code"]
    outside = (units.notna() & ~units.isin(inside)).to_numpy()
    out = [(outside, "unit_code", OUTSIDE)]
    if "unit_code" not in ds.key:
        if len(ds.key) != 1:  # kpi.datasets keys such datasets by one number (problem_id, activity_id)
            raise NotImplementedError(f"scope check of the composite key {ds.key}")
        keys = rows[ds.key[0]]
        taken = _taken_keys(con, ds, root, _present(keys))
        out.append((keys.isin(taken).to_numpy() & ~outside, ds.key[0], KEY_TAKEN))
    return out


def scope_issues(con: duckdb.DuckDBPyConnection, ds: Dataset, root: str, rows: pd.DataFrame,
                 failed: dict[str, np.ndarray] | None = None) -> list[Issue]:
    """Issues (masks over `rows`) of the rows an account bound to `root` may not write.

    rows: one row per file row, the typed values of `scope_columns(ds)` present in the file
    (resolved unit codes; NA where empty or unreadable). failed: per column, rows whose cell
    already has an error (an unreadable parent is not an empty parent). Params: {'unit': the
    root's name}.
    """
    if rows.empty:
        return []
    inside = subtree_codes(con, root)
    failed = failed or {}
    if ds.name == "units":
        found = _unit_rows(con, root, rows, inside, failed)
    elif "unit_code" in rows:
        found = _keyed_rows(con, ds, root, rows, inside)
    else:
        found = []
    params = {"unit": root_label(con, root)}
    return [Issue(mask, column, reason, params) for mask, column, reason in found if mask.any()]


def scoped_unit_issue(issue: Issue, unit: str) -> Issue:
    """An unknown-unit issue of a scoped parse, worded for the scope: a unit not found in the
    subtree may exist elsewhere, so 'unknown' would be wrong and 'exists' would leak."""
    reason = OUTSIDE_SUGGEST if issue.reason == "unknown_unit_suggest" else OUTSIDE
    by_row = issue.params

    def params(i: int) -> dict:
        return {**(by_row(i) if callable(by_row) else by_row), "unit": unit}
    return Issue(issue.mask, issue.column, reason, params)


def scope_errors(con: duckdb.DuckDBPyConnection, account: Account, parsed) -> list[CellError]:
    """One error per row of `parsed` (a ParsedUpload) the account may not write (the rules of
    this module: unit outside the subtree, key of another unit's record, units above or
    at the account's own unit), naming the file row, the column as written in the file and the value.

    A scoped parse already refuses these rows; this runs again right before the commit.
    """
    if account.unit_code is None or parsed.row_count == 0:
        return []
    spec = get_dataset(parsed.dataset)
    columns = [c for c in scope_columns(spec) if c in parsed.table.column_names]
    # Only these columns, not the whole upload as a frame (a million rows of meetings).
    frame = parsed.table.select(columns).to_pandas()
    written = {name: header for header, name in parsed.mapping.items()}
    several_sheets = len(set(parsed.row_sheets)) > 1
    found = []
    for issue in scope_issues(con, spec, account.unit_code, frame):
        for i in np.flatnonzero(issue.mask):
            value = frame.at[i, issue.column] if issue.column in frame else None
            found.append((int(i), CellError(
                parsed.file_rows[i], written.get(issue.column, issue.column), None if pd.isna(value) else str(value),
                issue.reason, issue.params, sheet=parsed.row_sheets[i] if several_sheets else None)))
    return [error for _, error in sorted(found, key=lambda pair: pair[0])]


def check_upload_scope(con: duckdb.DuckDBPyConnection, account: Account, parsed) -> None:
    """Refuse (UploadRefused, nothing written) an upload by a non-uploader or with rows outside the
    account's subtree; call before `commit_upload`."""
    if not may_upload(account):
        raise Forbidden()
    errors = scope_errors(con, account, parsed)
    if errors:
        raise UploadRefused(errors)
