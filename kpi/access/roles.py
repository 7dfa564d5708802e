"""Who may do what, on which part of the tree: roles, permissions, and the data scope of an account.

Three roles, each including the one before:
- 领导 (leader): views every page of figures and exports briefings and tables;
- 分析员 (analyst): also uploads, edits problems and undoes batches it made itself;
- 管理员 (administrator): also manages accounts, reads the audit log and undoes batches.

Every account is bound to a unit (or to none: the whole store) and sees only that unit's subtree.
The scope is enforced here, where pages and the CLI ask for a root, check an undo or an edit —
not only in the widgets that offer the choices; an upload's rows are checked by
kpi.importing.scope.check_upload_scope. Which page a role may open is the UI's map
(pages/_ui/sitemap.py). Accounts themselves live in kpi.access.accounts.

Administrators bound to a unit manage only their subtree (an administrator bound to no unit manages
everything):
- the accounts it manages are those bound to a unit of its subtree (itself included); an account
  bound to no unit is wider than it, so it is outside. It creates, changes, disables and deletes only
  those, and binds an account only to a unit of its subtree — never to none, so it cannot make an
  account wider than itself nor unbind itself (role is no escalation: administrator is the top role,
  and a peer bound to the same unit has the same reach);
- the batches it sees are those made by an account it manages (by the batch's user name; batches of
  the command line's plain `--user` names, of deleted accounts or of wider accounts are not its). This
  is one `IN` over the accounts of the subtree, never a scan of the data tables. It undoes only such a
  batch, and only when every row the undo would touch (the rows the batch wrote and the rows it
  overwrote, by their unit) lies in its subtree;
- the audit entries it reads are those whose user name is an account it manages (its own included):
  sign-ins, failed sign-ins under those names, uploads, undo, edits, exports, account changes.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from kpi import org
from kpi.access import audit
from kpi.datasets import get_dataset
from kpi.i18n import TranslatedError
from kpi.store.sql import with_identifiers

LEADER, ANALYST, ADMIN = "领导", "分析员", "管理员"
ROLES = (LEADER, ANALYST, ADMIN)
EVERYONE = frozenset(ROLES)
DATA_STAFF = frozenset((ANALYST, ADMIN))
ADMINS = frozenset((ADMIN,))


class AuthError(TranslatedError):
    """A refusal about who is asking (bad password, locked, no permission, outside the scope): a
    family, raise one of its failure classes (below, and in kpi.access.accounts), each naming its
    message key under `auth.error.` in kpi/messages/auth.toml; params fill it."""

    prefix = "auth.error."


# One class per refusal about permissions and scope; each names its message key under auth.error.
class Forbidden(AuthError):
    """The role may not do this at all (a leader uploading, an analyst managing accounts…)."""

    key = "forbidden"


class OutsideScope(AuthError):
    """The unit asked for (a scope, a problem's unit) lies outside the account's subtree; param `unit`."""

    key = "outside_scope"


class UnknownProblem(AuthError):
    """No problem with this id; param `problem_id`."""

    key = "unknown_problem"


class NotOwnBatch(AuthError):
    """An analyst undoing a batch another account made; param `batch_id`."""

    key = "not_own_batch"


class BatchOutside(AuthError):
    """A bound administrator undoing a batch not made or not kept inside its subtree; params `batch_id`, `root`."""

    key = "batch_outside"


class AccountOutside(AuthError):
    """A bound administrator changing an account bound outside its subtree; params `username`, `root`."""

    key = "account_outside"


class BindWholeStore(AuthError):
    """A bound administrator binding an account to no unit (the whole store); param `root`."""

    key = "bind_whole_store"


class BindOutside(AuthError):
    """A bound administrator binding an account to a unit outside its subtree; params `unit`, `root`."""

    key = "bind_outside"


class UnitNotChosen(AuthError):
    """An account form submitted without a unit choice (there is no default scope)."""

    key = "unit_not_chosen"


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


def may_upload(account: Account) -> bool:
    return account.role in DATA_STAFF


def may_edit_problems(account: Account) -> bool:
    return account.role in DATA_STAFF


def is_admin(account: Account) -> bool:
    return account.role == ADMIN


def in_subtree(con: duckdb.DuckDBPyConnection, unit_code: str, root: str) -> bool:
    """True when `unit_code` is `root` or lies below it."""
    return con.execute("SELECT count(*) FROM unit_paths WHERE unit_code = $unit_code AND ancestor_code = $root",
                       {"unit_code": unit_code, "root": root}).fetchone()[0] > 0


def scoped_root(account: Account, requested_root: str | None, con: duckdb.DuckDBPyConnection) -> str | None:
    """The subtree root `account` gets when it asks for `requested_root` (None = 'everything I may see').

    An account bound to no unit gets what it asks for. A bound account gets its own unit for None,
    the requested unit when it lies in its subtree, and OutsideScope otherwise.
    """
    if account.unit_code is None:
        return requested_root
    if requested_root is None or requested_root == account.unit_code:
        return account.unit_code
    if in_subtree(con, requested_root, account.unit_code):
        return requested_root
    raise OutsideScope(unit=requested_root)


def unit_name(con: duckdb.DuckDBPyConnection, unit_code: str | None) -> str:
    """The unit's name, its code when unknown, '' for None."""
    if unit_code is None:
        return ""
    return org.unit_name(con, unit_code) or unit_code


def check_problem_editable(con: duckdb.DuckDBPyConnection, account: Account, problem_id: str) -> None:
    """Refuse an edit of `problem_id` by a role that may not edit, or outside the account's subtree."""
    if not may_edit_problems(account):
        raise Forbidden()
    row = con.execute("SELECT unit_code FROM problems WHERE problem_id = $problem_id",
                      {"problem_id": problem_id}).fetchone()
    if row is None:
        raise UnknownProblem(problem_id=problem_id)
    if account.unit_code is not None and not in_subtree(con, row[0], account.unit_code):
        raise OutsideScope(unit=row[0])


def check_undo_allowed(con: duckdb.DuckDBPyConnection, account: Account, batch_id: int) -> None:
    """Administrators undo any batch they manage (bound ones: see the module docstring); analysts only
    batches they made; leaders none."""
    if is_admin(account):
        if account.unit_code is not None:
            _check_batch_managed(con, account, batch_id)
        return
    if account.role != ANALYST:
        raise Forbidden()
    row = con.execute("SELECT user_name FROM batches WHERE batch_id = $batch_id", {"batch_id": batch_id}).fetchone()
    if row is None or row[0] != account.username:
        raise NotOwnBatch(batch_id=batch_id)


def _check_batch_managed(con: duckdb.DuckDBPyConnection, account: Account, batch_id: int) -> None:
    """Refuse (BatchOutside) an undo by the bound `account` of a batch not made by an
    account it manages, or that wrote or overwrote a row of a unit outside its subtree."""
    row = con.execute("SELECT user_name, dataset FROM batches WHERE batch_id = $batch_id",
                      {"batch_id": batch_id}).fetchone()
    if row is None or row[0] not in managed_usernames(con, account) \
            or _batch_rows_outside(con, row[1], batch_id, account.unit_code):
        raise BatchOutside(batch_id=batch_id, root=unit_name(con, account.unit_code))


def _batch_rows_outside(con: duckdb.DuckDBPyConnection, dataset: str, batch_id: int, root: str) -> int:
    """How many rows an undo of `batch_id` would delete or restore whose unit lies outside `root`'s
    subtree: the rows it wrote (`batch_id`) and the rows it overwrote (`<table>_undo`)."""
    table = get_dataset(dataset).name  # a name from the fixed dataset registry, never user text
    return con.execute(
        with_identifiers("""SELECT count(*) FROM (SELECT unit_code FROM {table} WHERE batch_id = $batch_id
                                  UNION ALL SELECT unit_code FROM {undo} WHERE undo_batch_id = $batch_id)
            WHERE unit_code NOT IN (SELECT unit_code FROM unit_paths WHERE ancestor_code = $root)""",
                         table=table, undo=table + "_undo"),
        {"batch_id": batch_id, "root": root}).fetchone()[0]


def managed_usernames(con: duckdb.DuckDBPyConnection, account: Account) -> list[str] | None:
    """The user names of the accounts `account` manages: None (everyone) when it is bound to no unit,
    else the accounts bound to a unit of its subtree, itself included, sorted."""
    if account.unit_code is None:
        return None
    names = {r[0] for r in con.execute(
        """SELECT a.username FROM accounts a JOIN unit_paths p ON p.unit_code = a.unit_code
           WHERE p.ancestor_code = $unit_code""", {"unit_code": account.unit_code}).fetchall()}
    return sorted(names | {account.username})


def visible_batches(con: duckdb.DuckDBPyConnection, account: Account, batches: pd.DataFrame,
                    user_column: str = "user_name") -> pd.DataFrame:
    """The rows of `batches` the account may see: for an administrator bound to no unit all, for a
    bound one those made by an account it manages, for everyone else only those whose
    `user_column` is its user name."""
    if is_admin(account):
        managed = managed_usernames(con, account)
        return batches if managed is None else batches[batches[user_column].isin(managed)].reset_index(drop=True)
    return batches[batches[user_column] == account.username].reset_index(drop=True)


def visible_accounts(con: duckdb.DuckDBPyConnection, account: Account, accounts: pd.DataFrame) -> pd.DataFrame:
    """The rows of `accounts` (kpi.access.accounts.account_table) `account` manages."""
    managed = managed_usernames(con, account)
    return accounts if managed is None else accounts[accounts["username"].isin(managed)].reset_index(drop=True)


def visible_audit_entries(con: duckdb.DuckDBPyConnection, account: Account, username: str | None = None,
                          actions: tuple[str, ...] = (), start=None, end=None) -> pd.DataFrame:
    """kpi.access.audit.entries (same filters), limited to the entries of the accounts `account` manages."""
    return audit.entries(con, username, actions, start, end, usernames=managed_usernames(con, account))


def visible_log_users(con: duckdb.DuckDBPyConnection, account: Account) -> list[str]:
    """The user names in the audit log whose entries `account` may read, sorted."""
    return audit.users_in_log(con, managed_usernames(con, account))


def check_manages_account(con: duckdb.DuckDBPyConnection, actor: Account | None, target: Account) -> None:
    """Refuse a change or deletion of `target` by `actor` (None: the server itself — the command line
    or the demo set-up — which may do anything): only administrators manage accounts, and a bound one
    only accounts bound to a unit of its subtree."""
    if actor is None:
        return
    if not is_admin(actor):
        raise Forbidden()
    if actor.unit_code is not None and (target.unit_code is None or not in_subtree(con, target.unit_code,
                                                                                     actor.unit_code)):
        raise AccountOutside(username=target.username, root=unit_name(con, actor.unit_code))


def check_may_bind(con: duckdb.DuckDBPyConnection, actor: Account | None, unit_code: str | None) -> None:
    """Refuse that `actor` (None: the server itself) binds an account to `unit_code` (None: no unit,
    the whole store): only administrators manage accounts, and a bound one binds only to a unit of its
    subtree. Checked before the unit's existence, so a code outside says nothing about whether it exists."""
    if actor is None:
        return
    if not is_admin(actor):
        raise Forbidden()
    if actor.unit_code is None:
        return
    root = unit_name(con, actor.unit_code)
    if unit_code is None:
        raise BindWholeStore(root=root)
    if not in_subtree(con, unit_code, actor.unit_code):
        raise BindOutside(unit=unit_code, root=root)


# The unit choice 'bound to no unit (the whole store)' of the account forms; "" = nothing chosen yet.
WHOLE_STORE, NO_CHOICE = "*", ""


def bindable_units(con: duckdb.DuckDBPyConnection, account: Account) -> pd.DataFrame:
    """The units (unit_code, unit_name, level; levels 1–3 in tree order) `account` may bind an account
    to: every unit when it is bound to no unit, else those of its subtree."""
    units = org.unit_choices(con)
    if account.unit_code is None:
        return units
    inside = set(org.units_in_subtree(con, account.unit_code).unit_code)
    return units[units.unit_code.isin(inside)].reset_index(drop=True)


def account_unit_options(con: duckdb.DuckDBPyConnection, account: Account) -> list[str]:
    """The values of an account form's unit choice for `account`: WHOLE_STORE first when it is bound
    to no unit (it may make unbound accounts), then the codes of `bindable_units`."""
    codes = list(bindable_units(con, account).unit_code)
    return ([WHOLE_STORE] if account.unit_code is None else []) + codes


def chosen_unit(choice: str | None) -> str | None:
    """The unit code an account form's unit `choice` binds to: None for WHOLE_STORE; AuthError
    'unit_not_chosen' when nothing was chosen (there is no default scope)."""
    if choice is None or choice == NO_CHOICE:
        raise UnitNotChosen()
    return None if choice == WHOLE_STORE else choice
