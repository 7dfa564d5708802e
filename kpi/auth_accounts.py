"""Accounts in the store: passwords hashed with argon2, sign-in with throttling, demo accounts.

A password is never stored nor logged: only its argon2id hash (salted, memory-hard) is kept.
Failed sign-ins are counted per user name (known or not, so the lock says nothing about which
names exist); after `rules.max_failed_logins` failures within `rules.lockout_minutes` the name is
locked until that many minutes after the last failure — even the right password is refused then.

Creating, changing (disabling included) and deleting an account always names who acts (`by`): an
administrator, checked against its subtree by kpi.auth (a bound one manages only accounts bound
inside its subtree and binds only there), or None for the server itself (command line, demo set-up).
"""
from __future__ import annotations

import datetime as dt
import math
import re

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kpi.auth import ADMIN, ANALYST, LEADER, ROLES, Account, AuthError, check_manages_account, check_may_bind
from kpi.rules import Rules

_HASHER = PasswordHasher()
# Verified when the user name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@\-]{2,64}$")
ACCOUNT_COLUMNS = ("username", "display_name", "email", "role", "unit_code", "created_at", "disabled",
                   "last_login", "demo")

# The demo group's accounts (README "演示账号 / Demo accounts"): user name, display name, password,
# role, and where it is bound: None = whole store, 'root' = the group, 'secondary' = the first 二级单位.
DEMO_ACCOUNTS = (
    ("admin", "演示管理员", "admin-demo", ADMIN, None),
    ("leader", "演示领导", "leader-demo", LEADER, "root"),
    ("analyst", "演示分析员", "analyst-demo", ANALYST, "root"),
    ("analyst01", "二级单位分析员", "analyst01-demo", ANALYST, "secondary"),
)


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (a new random salt each time)."""
    return _HASHER.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """True when `password` is the one hashed in `password_hash`."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _account(row: dict) -> Account:
    unit = row["unit_code"]
    return Account(row["username"], row["display_name"] or "", row["role"],
                   None if unit is None or pd.isna(unit) else unit,
                   None if row["email"] is None or pd.isna(row["email"]) else row["email"],
                   bool(row["disabled"]), bool(row["demo"]))


def has_accounts(con: duckdb.DuckDBPyConnection) -> bool:
    """True once any account exists (before that, the app asks for the first administrator)."""
    return con.execute("SELECT count(*) FROM accounts").fetchone()[0] > 0


def get_account(con: duckdb.DuckDBPyConnection, username: str) -> Account | None:
    """The account named `username`, or None."""
    df = con.execute(f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM accounts WHERE username = ?", [username]).df()
    return None if df.empty else _account(df.iloc[0].to_dict())


def account_by_email(con: duckdb.DuckDBPyConnection, email: str) -> Account | None:
    """The account whose e-mail (or user name) is `email`, case-insensitive — for single sign-on."""
    df = con.execute(
        f"""SELECT {', '.join(ACCOUNT_COLUMNS)} FROM accounts
            WHERE lower(email) = lower(?) OR lower(username) = lower(?) ORDER BY username LIMIT 1""",
        [email, email]).df()
    return None if df.empty else _account(df.iloc[0].to_dict())


def account_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every account without its hash, with its unit's name, ordered by user name."""
    return con.execute(
        """SELECT a.username, a.display_name, a.email, a.role, a.unit_code, u.unit_name, a.disabled,
                  a.created_at, a.last_login, a.demo
           FROM accounts a LEFT JOIN units u ON u.unit_code = a.unit_code ORDER BY a.username""").df()


def _check_fields(con: duckdb.DuckDBPyConnection, rules: Rules, role: str, unit_code: str | None,
                  password: str | None) -> None:
    if role not in ROLES:
        raise AuthError("bad_role", role=role)
    if unit_code is not None and con.execute(
            "SELECT count(*) FROM units WHERE unit_code = ?", [unit_code]).fetchone()[0] == 0:
        raise AuthError("unknown_unit", unit=unit_code)
    if password is not None and len(password) < rules.min_password_length:
        raise AuthError("short_password", n=rules.min_password_length)


def create_account(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, password: str, role: str,
                   unit_code: str | None = None, display_name: str = "", email: str | None = None,
                   demo: bool = False, *, by: Account | None) -> Account:
    """Add an account on behalf of `by` (None: the server itself); refuses (AuthError) a bad or taken
    user name, a unit `by` may not bind to, an unknown role or unit, a short password."""
    username = username.strip()
    if not USERNAME_PATTERN.match(username):
        raise AuthError("bad_username", username=username)
    if get_account(con, username) is not None:
        raise AuthError("username_taken", username=username)
    check_may_bind(con, by, unit_code)
    _check_fields(con, rules, role, unit_code, password)
    con.execute(
        """INSERT INTO accounts (username, display_name, email, password_hash, role, unit_code, created_at,
                                 disabled, last_login, demo) VALUES (?, ?, ?, ?, ?, ?, ?, false, NULL, ?)""",
        [username, display_name.strip(), (email or "").strip() or None, hash_password(password), role,
         unit_code, _now(), demo])
    return get_account(con, username)


def update_account(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, *, by: Account | None, role: str,
                   unit_code: str | None, display_name: str, email: str | None, disabled: bool,
                   new_password: str | None = None) -> list[str]:
    """Change an account on behalf of `by` (None: the server itself); returns the names of the fields
    that changed. A new password is hashed.

    Refuses an account or a new unit outside what `by` manages, and to leave the store without an
    enabled, unscoped-or-scoped administrator.
    """
    before = get_account(con, username)
    if before is None:
        raise AuthError("unknown_account", username=username)
    check_manages_account(con, by, before)
    check_may_bind(con, by, unit_code)
    _check_fields(con, rules, role, unit_code, new_password or None)
    if before.role == ADMIN and (role != ADMIN or disabled) and _other_admins(con, username) == 0:
        raise AuthError("last_admin")
    after = {"role": role, "unit_code": unit_code, "display_name": display_name.strip(),
             "email": (email or "").strip() or None, "disabled": disabled}
    changed = [f for f, v in after.items() if getattr(before, f) != v]
    con.execute("UPDATE accounts SET role = ?, unit_code = ?, display_name = ?, email = ?, disabled = ? "
                "WHERE username = ?", [role, unit_code, after["display_name"], after["email"], disabled, username])
    if new_password:
        con.execute("UPDATE accounts SET password_hash = ? WHERE username = ?", [hash_password(new_password), username])
        changed.append("password")
    return changed


def delete_account(con: duckdb.DuckDBPyConnection, username: str, *, by: Account | None) -> None:
    """Remove an account on behalf of `by` (None: the server itself): only one `by` manages, never the
    last enabled administrator."""
    account = get_account(con, username)
    if account is None:
        raise AuthError("unknown_account", username=username)
    check_manages_account(con, by, account)
    if account.role == ADMIN and _other_admins(con, username) == 0:
        raise AuthError("last_admin")
    con.execute("DELETE FROM accounts WHERE username = ?", [username])


def _other_admins(con: duckdb.DuckDBPyConnection, username: str) -> int:
    return con.execute("SELECT count(*) FROM accounts WHERE role = ? AND NOT disabled AND username <> ?",
                       [ADMIN, username]).fetchone()[0]


def locked_minutes(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, now: dt.datetime) -> int:
    """Whole minutes `username` stays locked at `now` (0 = not locked): locked once it has
    `max_failed_logins` failures within `lockout_minutes`, until `lockout_minutes` after the last one."""
    window = dt.timedelta(minutes=rules.lockout_minutes)
    count, last = con.execute(
        "SELECT count(*), max(failed_at) FROM login_failures WHERE username = ? AND failed_at > ?",
        [username, now - window]).fetchone()
    if count < rules.max_failed_logins:
        return 0
    return max(1, math.ceil((last + window - now).total_seconds() / 60))


def authenticate(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, password: str,
                 now: dt.datetime | None = None) -> Account:
    """The account for `username` / `password`, its last sign-in set to `now`.

    Raises AuthError 'locked' (too many failures: the password is not even checked),
    'bad_credentials' (unknown name or wrong password, counted as a failure) or 'disabled'.
    """
    now = now or _now()
    username = username.strip()
    minutes = locked_minutes(con, rules, username, now)
    if minutes:
        raise AuthError("locked", username=username, minutes=minutes)
    row = con.execute("SELECT password_hash FROM accounts WHERE username = ?", [username]).fetchone()
    if not password_matches(row[0] if row else None, password):
        con.execute("INSERT INTO login_failures VALUES (?, ?)", [username, now])
        left = rules.max_failed_logins - con.execute(
            "SELECT count(*) FROM login_failures WHERE username = ? AND failed_at > ?",
            [username, now - dt.timedelta(minutes=rules.lockout_minutes)]).fetchone()[0]
        if left <= 0:
            raise AuthError("locked", username=username, minutes=rules.lockout_minutes)
        raise AuthError("bad_credentials")
    account = get_account(con, username)
    if account.disabled:
        raise AuthError("disabled")
    con.execute("DELETE FROM login_failures WHERE username = ?", [username])
    con.execute("UPDATE accounts SET last_login = ? WHERE username = ?", [now, username])
    return account


def active_account(con: duckdb.DuckDBPyConnection, username: str) -> Account | None:
    """The stored account of a signed-in session, or None when it was deleted or disabled meanwhile."""
    account = get_account(con, username)
    return None if account is None or account.disabled else account


def create_demo_accounts(con: duckdb.DuckDBPyConnection, rules: Rules) -> list[Account]:
    """Create the documented demo accounts (DEMO_ACCOUNTS) that do not exist yet, marked demo."""
    root = con.execute("SELECT min(unit_code) FROM units WHERE level = 1").fetchone()[0]
    secondary = con.execute("SELECT min(unit_code) FROM units WHERE level = 2").fetchone()[0]
    bound = {None: None, "root": root, "secondary": secondary}
    made = []
    for username, name, password, role, where in DEMO_ACCOUNTS:
        if get_account(con, username) is None:
            made.append(create_account(con, rules, username, password, role, bound[where], name, demo=True,
                                       by=None))
    return made


def delete_demo_accounts(con: duckdb.DuckDBPyConnection) -> int:
    """Remove the demo accounts (with the demo data they go too); returns how many were removed."""
    n = con.execute("SELECT count(*) FROM accounts WHERE demo").fetchone()[0]
    con.execute("DELETE FROM accounts WHERE demo")
    return int(n)
