"""Who may do what, on which part of the tree: roles, page access, and the data scope of an account.

Three roles, each including the one before:
- 领导 (leader): views every page of figures and exports briefings and tables;
- 分析员 (analyst): also uploads, edits problems and undoes batches it made itself;
- 管理员 (administrator): also manages accounts, reads the audit log and undoes any batch.

Every account is bound to a unit (or to none: the whole store) and sees only that unit's subtree.
The scope is enforced here, where pages and the CLI ask for a root, check an upload or an undo —
not only in the widgets that offer the choices. Accounts themselves live in kpi.auth_accounts.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from kpi import org
from kpi.datasets import get_dataset
from kpi.i18n import TranslatedError
from kpi.importing import scope
from kpi.importing.errors import CellError, UploadRefused

LEADER, ANALYST, ADMIN = "领导", "分析员", "管理员"
ROLES = (LEADER, ANALYST, ADMIN)
EVERYONE = frozenset(ROLES)
DATA_STAFF = frozenset((ANALYST, ADMIN))
ADMINS = frozenset((ADMIN,))

# Page file → the roles that may open it. A page missing here opens for nobody (fail closed).
PAGE_ROLES: dict[str, frozenset[str]] = {
    **{page: EVERYONE for page in (
        "overview.py", "funds.py", "meetings.py", "ratings.py", "indicators.py", "problems.py",
        "rectification.py", "coverage.py", "unit_profile.py", "briefing.py")},
    "upload.py": DATA_STAFF,
    "history.py": DATA_STAFF,
    "accounts.py": ADMINS,
    "audit.py": ADMINS,
}


class AuthError(TranslatedError):
    """A refusal about who is asking (bad password, locked, no permission, outside the scope).

    key: a message key under `auth.error.` in kpi/messages/auth.toml; params fill it.
    """

    prefix = "auth.error."


@dataclass(frozen=True)
class Account:
    """A signed-in user as the app sees it (never its password hash).

    unit_code: the root of the subtree this account sees; None = the whole store.
    """

    username: str
    display_name: str
    role: str
    unit_code: str | None
    email: str | None = None
    disabled: bool = False
    demo: bool = False

    @property
    def label(self) -> str:
        return self.display_name or self.username


def may_open(account: Account | None, page_file: str) -> bool:
    """True when `account` may open the page `page_file` (e.g. 'upload.py')."""
    return account is not None and not account.disabled and account.role in PAGE_ROLES.get(page_file, ())


def may_upload(account: Account) -> bool:
    return account.role in DATA_STAFF


def may_edit_problems(account: Account) -> bool:
    return account.role in DATA_STAFF


def is_admin(account: Account) -> bool:
    return account.role == ADMIN


def in_subtree(con: duckdb.DuckDBPyConnection, unit_code: str, root: str) -> bool:
    """True when `unit_code` is `root` or lies below it."""
    return con.execute("SELECT count(*) FROM unit_paths WHERE unit_code = ? AND ancestor_code = ?",
                       [unit_code, root]).fetchone()[0] > 0


def scoped_root(account: Account, requested_root: str | None, con: duckdb.DuckDBPyConnection) -> str | None:
    """The subtree root `account` gets when it asks for `requested_root` (None = 'everything I may see').

    An account bound to no unit gets what it asks for. A bound account gets its own unit for None,
    the requested unit when it lies in its subtree, and AuthError('outside_scope') otherwise.
    """
    if account.unit_code is None:
        return requested_root
    if requested_root is None or requested_root == account.unit_code:
        return account.unit_code
    if in_subtree(con, requested_root, account.unit_code):
        return requested_root
    raise AuthError("outside_scope", unit=requested_root)


def scope_errors(con: duckdb.DuckDBPyConnection, account: Account, parsed) -> list[CellError]:
    """One error per row of `parsed` (a ParsedUpload) the account may not write (the rules of
    kpi.importing.scope: unit outside the subtree, key of another unit's record, units above or
    at the account's own unit), naming the file row, the column as written in the file and the value.

    A scoped parse already refuses these rows; this runs again right before the commit.
    """
    if account.unit_code is None or parsed.row_count == 0:
        return []
    spec = get_dataset(parsed.dataset)
    columns = [c for c in scope.scope_columns(spec) if c in parsed.table.column_names]
    # Only these columns, not the whole upload as a frame (a million rows of meetings).
    frame = parsed.table.select(columns).to_pandas()
    written = {name: header for header, name in parsed.mapping.items()}
    several_sheets = len(set(parsed.row_sheets)) > 1
    found = []
    for issue in scope.scope_issues(con, spec, account.unit_code, frame):
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
        raise AuthError("forbidden")
    errors = scope_errors(con, account, parsed)
    if errors:
        raise UploadRefused(errors)


def unit_name(con: duckdb.DuckDBPyConnection, unit_code: str | None) -> str:
    """The unit's name, its code when unknown, '' for None."""
    if unit_code is None:
        return ""
    return org.unit_name(con, unit_code) or unit_code


def check_problem_editable(con: duckdb.DuckDBPyConnection, account: Account, problem_id: str) -> None:
    """Refuse an edit of `problem_id` by a role that may not edit, or outside the account's subtree."""
    if not may_edit_problems(account):
        raise AuthError("forbidden")
    row = con.execute("SELECT unit_code FROM problems WHERE problem_id = ?", [problem_id]).fetchone()
    if row is None:
        raise AuthError("unknown_problem", problem_id=problem_id)
    if account.unit_code is not None and not in_subtree(con, row[0], account.unit_code):
        raise AuthError("outside_scope", unit=row[0])


def check_undo_allowed(con: duckdb.DuckDBPyConnection, account: Account, batch_id: int) -> None:
    """Administrators undo any batch; analysts only batches they made; leaders none."""
    if is_admin(account):
        return
    if account.role != ANALYST:
        raise AuthError("forbidden")
    row = con.execute("SELECT user_name FROM batches WHERE batch_id = ?", [batch_id]).fetchone()
    if row is None or row[0] != account.username:
        raise AuthError("not_own_batch", batch_id=batch_id)


def visible_batches(account: Account, batches: pd.DataFrame, user_column: str = "user_name") -> pd.DataFrame:
    """The rows of `batches` the account may see: all for administrators, for everyone else only
    those whose `user_column` is its user name."""
    if is_admin(account):
        return batches
    return batches[batches[user_column] == account.username].reset_index(drop=True)
