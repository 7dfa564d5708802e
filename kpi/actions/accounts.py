"""Account actions, each with its audit row in the same transaction: create, update (disable
included), delete an account on behalf of an administrator; the first administrator (setup form)
and an administrator created on the server (`python -m kpi admin create`). On a DuckLake an action
that meets another server's commit is tried again, its checks repeated (store.retried_on_conflict)."""
from __future__ import annotations

import duckdb

from kpi import store
from kpi.access import accounts, audit
from kpi.access.roles import Account, AuthError
from kpi.rules import Rules

USERNAME_LOGGED = 64  # characters of a refused user name kept in the log


@store.retried_on_conflict
def create_account(con: duckdb.DuckDBPyConnection, rules: Rules, by: Account, username: str, password: str,
                   role: str, unit_code: str | None, display_name: str = "", email: str | None = None) -> Account:
    """A new account made by `by` (kpi.access.accounts.create_account: its refusals), recorded
    'account_created' with role and unit."""
    with store.transaction(con):
        account = accounts.create_account(con, rules, username, password, role, unit_code, display_name, email,
                                          by=by)
        audit.record(con, by.username, "account_created", account.username,
                     f"{account.role} {account.unit_code or '*'}")
    return account


@store.retried_on_conflict
def update_account(con: duckdb.DuckDBPyConnection, rules: Rules, by: Account, username: str, *, role: str,
                   unit_code: str | None, display_name: str, email: str | None, disabled: bool,
                   new_password: str | None = None) -> list[str]:
    """Change (or disable) an account on behalf of `by`; the changed fields, recorded
    'account_changed' when there are any (kpi.access.accounts.update_account: its refusals)."""
    with store.transaction(con):
        changed = accounts.update_account(con, rules, username, by=by, role=role, unit_code=unit_code,
                                          display_name=display_name, email=email, disabled=disabled,
                                          new_password=new_password)
        if changed:
            audit.record(con, by.username, "account_changed", username, ", ".join(changed))
    return changed


@store.retried_on_conflict
def delete_account(con: duckdb.DuckDBPyConnection, by: Account, username: str) -> None:
    """Remove an account on behalf of `by`, recorded 'account_deleted'."""
    with store.transaction(con):
        accounts.delete_account(con, username, by=by)
        audit.record(con, by.username, "account_deleted", username)


def create_first_admin(con: duckdb.DuckDBPyConnection, rules: Rules, token: str, username: str, password: str,
                       repeated: str, display_name: str = "") -> Account:
    """The first administrator from the setup form (kpi.access.accounts.first_admin_setup checks the
    token), recorded 'admin_created'; a refusal is recorded 'sign_in_failed' ('setup: <key>'), then raised."""
    try:
        with accounts.first_admin_setup(con, token, password, repeated), store.transaction(con):
            account = accounts.create_admin(con, rules, username, password, display_name)
            audit.record(con, account.username, "admin_created", account.username, detail="setup_token")
    except AuthError as exc:
        with store.transaction(con):
            audit.record(con, username.strip()[:USERNAME_LOGGED], "sign_in_failed", detail=f"setup: {exc.key}")
        raise
    return account


@store.retried_on_conflict
def create_admin(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, password: str,
                 display_name: str = "", repeated: str | None = None) -> Account:
    """An administrator bound to no unit, made on the server (the command line), recorded
    'admin_created' ('cli'); PasswordMismatch when a repetition differs."""
    if repeated is not None and repeated != password:
        raise accounts.PasswordMismatch()
    with store.transaction(con):
        account = accounts.create_admin(con, rules, username, password, display_name)
        audit.record(con, account.username, "admin_created", account.username, detail="cli")
    return account
