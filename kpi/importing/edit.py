"""Status updates of one problem from the UI (问题状态编辑): validated with exactly the checks of the
import (kpi.importing.validate), saved through the same commit path as an upload, so each save is a
batch — listed in the history, undoable, and snapshotted with the problem's new status.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kpi.access.roles import Account, check_problem_editable
from kpi.datasets import PROBLEMS
from kpi.importing.commit import BatchResult, canonical_frame, commit_frame
from kpi.importing.errors import CellError, UploadRefused
from kpi.importing.validate import cross_issues, range_issues
from kpi.rules import Rules

EDITABLE = ("status", "measures", "due_date", "completed_date", "closed_date")
EDIT_KIND = "edit"
_SELECT_PROBLEM = "SELECT " + ", ".join(PROBLEMS.names) + " FROM problems WHERE problem_id = $problem_id"


def stored_problem(con: duckdb.DuckDBPyConnection, problem_id: str) -> dict | None:
    """The problem's stored row by English column name (dates as datetime.date), or None."""
    df = con.execute(_SELECT_PROBLEM, {"problem_id": problem_id}).df()
    if df.empty:
        return None
    row = df.iloc[0].to_dict()
    return {k: (None if v is None or (not isinstance(v, str) and pd.isna(v))
                else v.date() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}


def changed_fields(stored: dict, changes: dict) -> list[str]:
    """Editable fields whose value in `changes` differs from the stored row (empty text = empty)."""
    def norm(v):
        return None if v is None or (isinstance(v, str) and not v.strip()) else v
    return [f for f in EDITABLE if f in changes and norm(changes[f]) != norm(stored.get(f))]


def edited_frame(stored: dict, changes: dict) -> pd.DataFrame:
    """The problem row with `changes` applied to its editable fields, in the import's canonical dtypes."""
    row = dict(stored)
    for field in EDITABLE:
        if field in changes:
            value = changes[field]
            row[field] = (value.strip() or None) if isinstance(value, str) else value
    return canonical_frame(PROBLEMS.name, [row])


def edit_errors(frame: pd.DataFrame, rules: Rules) -> list[CellError]:
    """The import's checks on one edited row: required status and deadline, dates within the rules'
    years, deadline / completion / close-out not before the date found, close-out not before
    completion, 已销号 only with a close-out date. Errors name the column by its Chinese header."""
    errors = [CellError(None, PROBLEMS.column(name).header, None, "required")
              for name in ("status", "due_date") if frame[name].isna().iloc[0]]
    for issue in range_issues(frame, PROBLEMS, rules.min_year, rules.max_year) + cross_issues(frame, PROBLEMS):
        params = issue.params(0) if callable(issue.params) else issue.params
        value = frame.at[0, issue.column]
        shown = value.strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else value
        errors.append(CellError(None, PROBLEMS.column(issue.column).header, shown, issue.reason, params))
    return errors


def save_problem_edit(con: duckdb.DuckDBPyConnection, rules: Rules, problem_id: str, changes: dict,
                      account: Account, as_of: dt.date | None = None,
                      expected_version: int | None = None) -> BatchResult:
    """Validate and write `changes` (status, measures, due/completed/closed dates) to one problem as
    one batch of kind 'edit' by `account` (snapshot dated `as_of`, default today). Raises UploadRefused
    with the errors when the edited row breaks an import rule (nothing written), KeyError for an
    unknown id, AuthError when the account may not edit problems or the problem's unit, as stored
    now, lies outside its scope (only EDITABLE fields change: the unit stays the stored one), and
    store.StaleWrite when the problems (or the unit tree) were written after
    `expected_version`, the data version the form was drawn from: its values could undo someone
    else's change."""
    stored = stored_problem(con, problem_id)
    if stored is None:
        raise KeyError(problem_id)
    check_problem_editable(con, account, problem_id)  # here, not only in the page: no caller can skip it
    frame = edited_frame(stored, changes)
    errors = edit_errors(frame, rules)
    if errors:
        raise UploadRefused(errors)
    return commit_frame(con, PROBLEMS.name, frame, f"{problem_id}", account.username, as_of, EDIT_KIND,
                        expected_version)
