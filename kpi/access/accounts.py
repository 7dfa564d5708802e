"""Accounts in the store: passwords hashed with argon2, sign-in that cannot be raced, demo accounts,
and the first administrator.

A password is never stored nor logged: only its argon2id hash (salted, memory-hard) is kept.

Sign-in (`authenticate`), chosen so that 30 attempts sent at once get no more guesses than 30 in a row:
- Attempts for one user name are serialised in the process (a lock per name, one of a fixed set so
  that made-up names cost no memory) AND each attempt is written to `login_attempts` as 'pending'
  *before* its password is verified, then marked 'failure' or 'success' — so the lock also holds
  across processes sharing the store. The lock decision is taken after the attempt's own row is
  written and counts every failure and every pending attempt of the name (known or not, so the lock
  says nothing about which names exist) within `rules.lockout_minutes`: at `rules.max_failed_logins`
  the name is locked until that many minutes after the last one, and the password is not verified
  at all — the right one is refused too (the attempt is marked 'locked' and does not count).
- A success is never a reset: it forgives only the failures that had *finished* before it began
  (`clears_before`, the lowest attempt id it forgives below); attempts still pending when it began
  and every later one keep counting, so a burst that holds the right password still locks the name
  once `max_failed_logins` of its wrong ones have landed. Rows are deleted only once older than
  every window.
- Rate limits, checked before anything is written or verified: at most `rules.sign_in_per_client`
  attempts from one client (the caller's key: the IP address; None — local, test or proxied —
  is the one client 'unknown') and `rules.sign_in_global` in all per `rules.sign_in_window_seconds`.
- A disabled account answers exactly as a wrong password, after verifying it, and counts as a
  failure; the true reason travels only in `SignInRefused.reason`, for the server-side audit log.

First administrator, never by whoever reaches the form first: `python -m kpi admin create` on the
server (`create_admin`), or the one-time setup token. On a store without accounts the server issues
a random token once per process (`ensure_setup_token`) and prints it to its log; the store keeps only
its SHA-256, so the token printed last is the one any process on the store accepts, and a server
restarted replaces the token of the one before. `create_first_admin` compares the form's token in
constant time and spends it; once an account exists no token is accepted.

Creating, changing (disabling included) and deleting an account always names who acts (`by`): an
administrator, checked against its subtree by kpi.access.roles (a bound one manages only accounts bound
inside its subtree and binds only there), or None for the server itself (command line, demo set-up).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kpi.access.roles import ADMIN, ANALYST, LEADER, ROLES, Account, AuthError, check_manages_account, check_may_bind
from kpi.rules import Rules
from kpi.store.meta import meta_value, set_meta
from kpi.store.transactions import retry_on_conflict, transaction
from kpi.store.writer_claim import next_id


# One class per refusal about accounts and the first administrator; each names its auth.error. key.
class BadRole(AuthError):
    """A role that is none of ROLES; param `role`."""

    key = "bad_role"


class UnknownUnit(AuthError):
    """An account bound to a unit code the organisation tree does not hold; param `unit`."""

    key = "unknown_unit"


class ShortPassword(AuthError):
    """A password shorter than the rules' `min_password_length`; param `n`."""

    key = "short_password"


class BadUsername(AuthError):
    """A user name outside USERNAME_PATTERN; param `username`."""

    key = "bad_username"


class UsernameTaken(AuthError):
    """An account of this name exists already; param `username`."""

    key = "username_taken"


class UnknownAccount(AuthError):
    """No account of this name; param `username`."""

    key = "unknown_account"


class LastAdmin(AuthError):
    """The change would leave no enabled administrator."""

    key = "last_admin"


class PasswordMismatch(AuthError):
    """The password and its repetition differ."""

    key = "password_mismatch"


class SetupClosed(AuthError):
    """The first-administrator form used once an account exists."""

    key = "setup_closed"


class BadSetupToken(AuthError):
    """The first-administrator form with a token that is not the one written to the server log."""

    key = "bad_setup_token"

_HASHER = PasswordHasher()
# Verified when the user name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@\-]{2,64}$")
ACCOUNT_COLUMNS = ("username", "display_name", "email", "role", "unit_code", "created_at", "disabled",
                   "last_login", "demo")
_SELECT_ACCOUNTS = "SELECT " + ", ".join(ACCOUNT_COLUMNS) + " FROM accounts"

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
    df = con.execute(_SELECT_ACCOUNTS + " WHERE username = $username", {"username": username}).df()
    return None if df.empty else _account(df.iloc[0].to_dict())


def account_by_email(con: duckdb.DuckDBPyConnection, email: str) -> Account | None:
    """The account whose e-mail (or user name) is `email`, case-insensitive — for single sign-on."""
    df = con.execute(
        _SELECT_ACCOUNTS + " WHERE lower(email) = lower($email) OR lower(username) = lower($email) "
        "ORDER BY username LIMIT 1", {"email": email}).df()
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
        raise BadRole(role=role)
    if unit_code is not None and con.execute(
            "SELECT count(*) FROM units WHERE unit_code = $unit_code", {"unit_code": unit_code}).fetchone()[0] == 0:
        raise UnknownUnit(unit=unit_code)
    if password is not None and len(password) < rules.min_password_length:
        raise ShortPassword(n=rules.min_password_length)


def create_account(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, password: str, role: str,
                   unit_code: str | None = None, display_name: str = "", email: str | None = None,
                   demo: bool = False, *, by: Account | None) -> Account:
    """Add an account on behalf of `by` (None: the server itself); refuses (AuthError) a bad or taken
    user name, a unit `by` may not bind to, an unknown role or unit, a short password."""
    username = username.strip()
    if not USERNAME_PATTERN.match(username):
        raise BadUsername(username=username)
    if get_account(con, username) is not None:
        raise UsernameTaken(username=username)
    check_may_bind(con, by, unit_code)
    _check_fields(con, rules, role, unit_code, password)
    con.execute(
        """INSERT INTO accounts (username, display_name, email, password_hash, role, unit_code, created_at,
                                 disabled, last_login, demo)
           VALUES ($username, $display_name, $email, $password_hash, $role, $unit_code, $created_at, false, NULL,
                   $demo)""",
        {"username": username, "display_name": display_name.strip(), "email": (email or "").strip() or None,
         "password_hash": hash_password(password), "role": role, "unit_code": unit_code, "created_at": _now(),
         "demo": demo})
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
        raise UnknownAccount(username=username)
    check_manages_account(con, by, before)
    check_may_bind(con, by, unit_code)
    _check_fields(con, rules, role, unit_code, new_password or None)
    if before.role == ADMIN and (role != ADMIN or disabled) and _other_admins(con, username) == 0:
        raise LastAdmin()
    after = {"role": role, "unit_code": unit_code, "display_name": display_name.strip(),
             "email": (email or "").strip() or None, "disabled": disabled}
    changed = [f for f, v in after.items() if getattr(before, f) != v]
    con.execute("UPDATE accounts SET role = $role, unit_code = $unit_code, display_name = $display_name, "
                "email = $email, disabled = $disabled WHERE username = $username",
                {"role": role, "unit_code": unit_code, "display_name": after["display_name"],
                 "email": after["email"], "disabled": disabled, "username": username})
    if new_password:
        con.execute("UPDATE accounts SET password_hash = $password_hash WHERE username = $username",
                    {"password_hash": hash_password(new_password), "username": username})
        changed.append("password")
    return changed


def delete_account(con: duckdb.DuckDBPyConnection, username: str, *, by: Account | None) -> None:
    """Remove an account on behalf of `by` (None: the server itself): only one `by` manages, never the
    last enabled administrator."""
    account = get_account(con, username)
    if account is None:
        raise UnknownAccount(username=username)
    check_manages_account(con, by, account)
    if account.role == ADMIN and _other_admins(con, username) == 0:
        raise LastAdmin()
    con.execute("DELETE FROM accounts WHERE username = $username", {"username": username})


def _other_admins(con: duckdb.DuckDBPyConnection, username: str) -> int:
    return con.execute("SELECT count(*) FROM accounts WHERE role = $admin AND NOT disabled AND username <> $username",
                       {"admin": ADMIN, "username": username}).fetchone()[0]


# Sign-in attempts (see the module docstring). The name locks are striped: a made-up name costs no
# memory, and two names sharing a lock only wait for each other. The gate makes the rate checks and
# the writing of the pending row one step for every name in this process.
_NAME_LOCKS = tuple(threading.Lock() for _ in range(64))
_ATTEMPTS_GATE = threading.Lock()
PENDING, FAILURE, SUCCESS, LOCKED = "pending", "failure", "success", "locked"
UNKNOWN_CLIENT = "unknown"


class SignInRefused(AuthError):
    """A refused sign-in (a family: raise one of the classes below). `reason` is the true cause, for
    the audit log only: the message may hide it (a disabled account reads as a wrong password)."""

    def __init__(self, reason: str | None = None, **params: object):
        super().__init__(**params)
        self.reason = reason or self.key


class SignInLocked(SignInRefused):
    """Too many failed sign-ins of this name: locked for a while; params `username`, `minutes`."""

    key = "locked"


class BadCredentials(SignInRefused):
    """Unknown name, wrong password, or a disabled account (the reason tells which, the message does not)."""

    key = "bad_credentials"


class TooManyAttemptsClient(SignInRefused):
    """This client made the most sign-in attempts the rules allow in the window; param `seconds`."""

    key = "too_many_attempts_client"


class TooManyAttemptsGlobal(SignInRefused):
    """Everyone together made the most sign-in attempts the rules allow in the window; param `seconds`."""

    key = "too_many_attempts_global"


def _name_lock(username: str) -> threading.Lock:
    return _NAME_LOCKS[hash(username) % len(_NAME_LOCKS)]


def _minutes_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def counted_failures(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, now: dt.datetime,
                     besides: int | None = None) -> tuple[int, dt.datetime | None]:
    """(how many, the latest start) of the attempts that count towards locking `username` at `now`:
    failures and pending attempts started within `lockout_minutes`, not forgiven by a success
    (ids below its clears_before), other than the attempt `besides`."""
    return con.execute(
        """SELECT count(*), max(started_at) FROM login_attempts
           WHERE username = $username AND started_at > $since AND outcome IN ($failure, $pending)
             AND attempt_id <> coalesce($besides, -1)
             AND attempt_id >= (SELECT coalesce(max(clears_before), 0) FROM login_attempts
                                WHERE username = $username AND outcome = $success)""",
        {"username": username, "since": now - dt.timedelta(minutes=rules.lockout_minutes), "failure": FAILURE,
         "pending": PENDING, "besides": besides, "success": SUCCESS}).fetchall()[0]


def locked_minutes(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, now: dt.datetime,
                   besides: int | None = None) -> int:
    """Whole minutes `username` stays locked at `now` (0 = not locked): locked once
    `max_failed_logins` failures or pending attempts count (`counted_failures`, leaving out the
    attempt `besides`), until `lockout_minutes` after the last one."""
    count, last = counted_failures(con, rules, username, now, besides)
    if count < rules.max_failed_logins:
        return 0
    return _minutes_until(last + dt.timedelta(minutes=rules.lockout_minutes), now)


def _rate_refusal(con: duckdb.DuckDBPyConnection, rules: Rules, client: str,
                  now: dt.datetime) -> SignInRefused | None:
    """The refusal when `client`, or everyone together, already made the most attempts the rules
    allow within `sign_in_window_seconds` before `now`; None when another attempt may start."""
    window = dt.timedelta(seconds=rules.sign_in_window_seconds)
    mine, my_oldest, everyone, oldest = con.execute(
        """SELECT count(*) FILTER (WHERE client = $client), min(started_at) FILTER (WHERE client = $client),
                  count(*), min(started_at)
           FROM login_attempts WHERE started_at > $since""", {"client": client, "since": now - window}).fetchall()[0]
    for count, first, limit, refusal in ((mine, my_oldest, rules.sign_in_per_client, TooManyAttemptsClient),
                                         (everyone, oldest, rules.sign_in_global, TooManyAttemptsGlobal)):
        if count >= limit:
            seconds = max(1, math.ceil((first + window - now).total_seconds()))
            return refusal(seconds=seconds)
    return None


def _start_attempt(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, client: str,
                   now: dt.datetime) -> int:
    """The id of a new pending attempt of `username` from `client`, written before any password is
    verified; refuses (SignInRefused) beyond a rate limit, writing nothing."""
    window = max(dt.timedelta(minutes=rules.lockout_minutes), dt.timedelta(seconds=rules.sign_in_window_seconds))
    with _ATTEMPTS_GATE:
        # read by no window
        _write_retried(con, "DELETE FROM login_attempts WHERE started_at <= $since", {"since": now - window})
        return retry_on_conflict(lambda: _insert_attempt(con, rules, username, client, now))


def _insert_attempt(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, client: str,
                    now: dt.datetime) -> int:
    # One transaction: on a DuckLake, servers in other processes count and insert at the same time.
    with transaction(con):
        refusal = _rate_refusal(con, rules, client, now)
        if refusal is not None:
            raise refusal
        # The id is taken first, not RETURNING'd: a DuckLake store has neither (kpi.store.lake).
        attempt = next_id(con, "login_attempt_ids")
        con.execute("INSERT INTO login_attempts (attempt_id, username, client, started_at, outcome) "
                    "VALUES ($attempt, $username, $client, $now, $pending)",
                    {"attempt": attempt, "username": username, "client": client, "now": now, "pending": PENDING})
        return attempt


def _write_retried(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> None:
    """One statement of the sign-in's own bookkeeping, in its own transaction, tried again when it meets
    another server's commit on a DuckLake (`retry_on_conflict`)."""
    def write() -> None:
        with transaction(con):
            con.execute(sql, params)
    retry_on_conflict(write)


def _finish_attempt(con: duckdb.DuckDBPyConnection, attempt: int, outcome: str,
                    clears_before: int | None = None) -> None:
    _write_retried(con, "UPDATE login_attempts SET outcome = $outcome, clears_before = $clears_before "
                        "WHERE attempt_id = $attempt",
                   {"outcome": outcome, "clears_before": clears_before, "attempt": attempt})


def _first_pending(con: duckdb.DuckDBPyConnection, username: str, besides: int) -> int | None:
    """The lowest id among the other attempts of `username` still pending (running elsewhere)."""
    return con.execute("SELECT min(attempt_id) FROM login_attempts WHERE username = $username AND outcome = $pending "
                       "AND attempt_id <> $besides",
                       {"username": username, "pending": PENDING, "besides": besides}).fetchall()[0][0]


def authenticate(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, password: str,
                 now: dt.datetime | None = None, client: str | None = None) -> Account:
    """The account for `username` / `password`, its last sign-in set to `now`; `client` says who
    asks (the IP address; None = 'unknown'). See the module docstring for the order of the steps.

    Raises TooManyAttemptsClient / TooManyAttemptsGlobal (rate limits), SignInLocked (too many
    failures: the password is not even checked), or BadCredentials (unknown name, wrong password or
    disabled account — counted as a failure); all are SignInRefused.
    """
    now = now or _now()
    username = username.strip()
    with _name_lock(username):
        attempt = _start_attempt(con, rules, username, client or UNKNOWN_CLIENT, now)
        minutes = locked_minutes(con, rules, username, now, besides=attempt)
        if minutes:
            _finish_attempt(con, attempt, LOCKED)
            raise SignInLocked(username=username, minutes=minutes)
        first_pending = _first_pending(con, username, attempt)
        row = con.execute("SELECT password_hash, disabled FROM accounts WHERE username = $username",
                          {"username": username}).fetchall()
        matches = password_matches(row[0][0] if row else None, password)
        if not matches or row[0][1]:
            _finish_attempt(con, attempt, FAILURE)
            if counted_failures(con, rules, username, now)[0] >= rules.max_failed_logins:
                raise SignInLocked("disabled" if matches else "locked", username=username,
                                   minutes=rules.lockout_minutes)
            raise BadCredentials("disabled" if matches else "bad_credentials")
        forgiven_below = attempt if first_pending is None else min(attempt, first_pending)
        _finish_attempt(con, attempt, SUCCESS, clears_before=forgiven_below)
        _write_retried(con, "UPDATE accounts SET last_login = $now WHERE username = $username",
                       {"now": now, "username": username})
        return get_account(con, username)


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


# The first administrator (see the module docstring). 24 random bytes: 192 bits, beyond guessing
# however many times the form is sent; only its SHA-256 is stored, so reading the store gives no token.
SETUP_TOKEN_BYTES = 24
SETUP_TOKEN_HASH, SETUP_TOKEN_PROCESS = "setup_token_sha256", "setup_token_process"
_PROCESS_ID = secrets.token_hex(16)  # tells this server process's token from one a former process issued
_SETUP_LOCK = threading.Lock()


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def _spend_setup_token(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM meta WHERE key IN ($hash_key, $process_key)",
                {"hash_key": SETUP_TOKEN_HASH, "process_key": SETUP_TOKEN_PROCESS})


def ensure_setup_token(con: duckdb.DuckDBPyConnection) -> str | None:
    """A new one-time setup token, to be printed to the server's log, when the store has no account
    and this process has not issued one yet (or its token was spent); None otherwise. Only the
    token's SHA-256 is stored; it replaces any token issued before."""
    with _SETUP_LOCK:
        if has_accounts(con) or (meta_value(con, SETUP_TOKEN_PROCESS) == _PROCESS_ID
                                 and meta_value(con, SETUP_TOKEN_HASH) is not None):
            return None
        token = secrets.token_urlsafe(SETUP_TOKEN_BYTES)
        with transaction(con):
            set_meta(con, SETUP_TOKEN_HASH, _token_digest(token))
            set_meta(con, SETUP_TOKEN_PROCESS, _PROCESS_ID)
        return token


def setup_token_matches(con: duckdb.DuckDBPyConnection, token: str) -> bool:
    """True when `token` is the setup token issued last, compared in constant time."""
    stored = meta_value(con, SETUP_TOKEN_HASH)
    return stored is not None and hmac.compare_digest(_token_digest(token), stored)


def create_admin(con: duckdb.DuckDBPyConnection, rules: Rules, username: str, password: str,
                 display_name: str = "") -> Account:
    """A new administrator bound to no unit (the whole store) — `python -m kpi admin create`, run on
    the server. Spends any setup token: the store has an account now."""
    with transaction(con):
        account = create_account(con, rules, username, password, ADMIN, None, display_name, by=None)
        _spend_setup_token(con)
    return account


def create_first_admin(con: duckdb.DuckDBPyConnection, rules: Rules, token: str, username: str, password: str,
                       repeated: str, display_name: str = "") -> Account:
    """The first administrator, from the sign-in page's setup form: only with the setup token printed
    to the server's log and only while the store has no account. The token is checked before
    anything else, so a visitor without it learns nothing; it is spent by the account's creation.

    Refuses (AuthError) 'setup_closed' once an account exists, 'bad_setup_token',
    'password_mismatch', and whatever `create_account` refuses.
    """
    with first_admin_setup(con, token, password, repeated):
        return create_admin(con, rules, username, password, display_name)


@contextmanager
def first_admin_setup(con: duckdb.DuckDBPyConnection, token: str, password: str, repeated: str) -> Iterator[None]:
    """Holds the setup lock (taken before the write lock, as `ensure_setup_token` does) after the
    checks of `create_first_admin`: the block creates the administrator (kpi.actions adds its audit row)."""
    with _SETUP_LOCK:
        if has_accounts(con):
            raise SetupClosed()
        if not setup_token_matches(con, token):
            raise BadSetupToken()
        if password != repeated:
            raise PasswordMismatch()
        yield
