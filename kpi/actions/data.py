"""Data actions: upload a parsed file, undo a batch, edit a problem, record an export."""
from __future__ import annotations

import datetime as dt

import duckdb

from kpi import store
from kpi.access import audit, roles
from kpi.access.roles import Account, Forbidden
from kpi.importing import edit
from kpi.importing.commit import BatchResult, commit_upload, undo_batch
from kpi.importing.model import ParsedUpload
from kpi.importing.parse import parse_upload
from kpi.importing.scope import check_upload_scope
from kpi.rules import Rules


def _refuse_unless_uploader(account: Account | None) -> None:
    """Forbidden for an account whose role may not upload (None: the server's operator)."""
    if account is not None and not roles.may_upload(account):
        raise Forbidden()


def parse_for_upload(con: duckdb.DuckDBPyConnection, rules: Rules, account: Account | None, data: bytes,
                     file_name: str, dataset: str, sheet: str | None = None,
                     all_sheets: bool = False) -> ParsedUpload:
    """The parsed file, units resolved within `account`'s scope (None: the whole store); refuses an
    account that may not upload before anything is read. Writes nothing (UploadRefused for a file
    that cannot be read at all)."""
    _refuse_unless_uploader(account)
    return parse_upload(data, file_name, dataset, con, rules, sheet=sheet, all_sheets=all_sheets,
                        scope=account.unit_code if account else None)


def upload_detail(result: BatchResult) -> str:
    """The audit detail of an upload, the same from the browser and the command line."""
    return f"{result.dataset}: +{result.inserted} ~{result.updated} ={result.unchanged}"


@store.retried_on_conflict
def upload(con: duckdb.DuckDBPyConnection, account: Account | None, username: str, parsed: ParsedUpload, *,
           as_of: dt.date | None = None, expected_version: int | None = None, force: bool = False) -> BatchResult:
    """Commit `parsed` as one batch by `username` and record 'upload', in one transaction. With an
    account, its role and data scope are checked inside the transaction (Forbidden,
    UploadRefused naming the rows outside the scope); BatchRefused (same file), store.WriteRefused
    (stale preview, conflict) come from the commit."""
    _refuse_unless_uploader(account)
    with store.transaction(con):
        if account is not None:
            check_upload_scope(con, account, parsed)
        result = commit_upload(con, parsed, username, as_of=as_of, force=force, expected_version=expected_version)
        audit.record(con, username, "upload", f"#{result.batch_id} {parsed.file_name}", upload_detail(result))
    return result


@store.retried_on_conflict
def undo(con: duckdb.DuckDBPyConnection, account: Account, batch_id: int,
         expected_version: int | None = None) -> None:
    """Undo batch `batch_id` on behalf of `account` and record 'undo' (target '#id', detail the batch's
    file name), in one transaction. Refuses AuthError (not the account's batch or scope), BatchRefused
    (undo out of order, units in use), store.WriteRefused (the confirmation went stale)."""
    with store.transaction(con):
        roles.check_undo_allowed(con, account, batch_id)
        file_name = con.execute("SELECT file_name FROM batches WHERE batch_id = $batch_id",
                                {"batch_id": batch_id}).fetchone()
        undo_batch(con, batch_id, account.username, expected_version=expected_version)
        audit.record(con, account.username, "undo", f"#{batch_id}", (file_name[0] if file_name else None) or "")


def can_edit_problems(account: Account) -> bool:
    """True when `account`'s role may edit problems (the page draws the editor only then)."""
    return roles.may_edit_problems(account)


@store.retried_on_conflict
def edit_problem(con: duckdb.DuckDBPyConnection, rules: Rules, account: Account, problem_id: str, changes: dict,
                 as_of: dt.date | None = None, expected_version: int | None = None) -> BatchResult:
    """Save `changes` to one problem (kpi.importing.edit.save_problem_edit: its refusals) and record
    'edit' (target the problem, detail '#batch field, …'), in one transaction."""
    with store.transaction(con):
        stored = edit.stored_problem(con, problem_id)
        fields = edit.changed_fields(stored, changes) if stored is not None else []
        result = edit.save_problem_edit(con, rules, problem_id, changes, account, as_of, expected_version)
        audit.record(con, account.username, "edit", problem_id, f"#{result.batch_id} " + ", ".join(fields))
    return result


@store.retried_on_conflict
def record_export(con: duckdb.DuckDBPyConnection, username: str | None, target: str, detail: str = "") -> None:
    """Record an export of `target` (a file name) by `username`."""
    with store.transaction(con):
        audit.record(con, username, "export", target, detail)
