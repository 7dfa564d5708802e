"""Session actions: sign in (and its failures), single sign-on, sign out, idle expiry, rules file changes.

A failed sign-in keeps its attempt (kpi.access.accounts counts it towards the lock-out, so it must not
be rolled back); its audit row follows in a transaction of its own.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from kpi import store
from kpi.access import accounts, audit
from kpi.access.roles import Account
from kpi.rules import Rules

USERNAME_LOGGED = 64  # characters of a refused user name kept in the log


@store.retried_on_conflict
def _record(con: duckdb.DuckDBPyConnection, username: str, action: str, detail: str = "") -> None:
    """One audit row in a transaction of its own (on a DuckLake, tried again when it meets another
    server's commit: a sign-in or sign-out is never refused for someone else's write)."""
    with store.transaction(con):
        audit.record(con, username, action, detail=detail)


def signed_in(con: duckdb.DuckDBPyConnection, account: Account, how: str = "password") -> None:
    """Record that `account` started a session (`how`: password, sso, setup)."""
    _record(con, account.username, "sign_in", how)


def sign_in(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, password: str,
            client: str | None = None) -> Account:
    """The account for `username` / `password` (kpi.access.accounts.authenticate), its sign-in recorded;
    a refusal (SignInRefused) is recorded as 'sign_in_failed' with its true reason, then raised."""
    try:
        account = accounts.authenticate(con, rules, username, password, client=client)
    except accounts.SignInRefused as exc:
        _record(con, username.strip()[:USERNAME_LOGGED], "sign_in_failed", exc.reason)
        raise
    signed_in(con, account)
    return account


def sso_refused(con: duckdb.DuckDBPyConnection, email: str) -> None:
    """Record a single sign-on identity that has no enabled account."""
    _record(con, email, "sign_in_failed", "sso")


def sign_out(con: duckdb.DuckDBPyConnection, account: Account) -> None:
    """Record that `account` signed out."""
    _record(con, account.username, "sign_out")


def session_expired(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """Record that `username`'s session ended after being idle too long."""
    _record(con, username, "session_expired")


@store.retried_on_conflict
def note_rules_file(con: duckdb.DuckDBPyConnection, path: Path, username: str | None) -> bool:
    """kpi.access.audit.note_rules_file (the remembered hash and its 'rules_changed' row) in one transaction."""
    with store.transaction(con):
        return audit.note_rules_file(con, path, username)
