"""The audit log: who did what, when — sign-ins (and failed attempts), uploads, undo, edits, exports,
account and rule changes. Rows are only ever appended; the log is read by administrators.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pandas as pd

from kpi import store
from kpi.store.writer_claim import next_id

ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "session_expired", "admin_created", "upload", "undo",
           "edit", "export", "account_created", "account_changed", "account_deleted", "demo_cleared",
           "rules_changed")
COLUMNS = ("id", "logged_at", "username", "action", "target", "detail")


def record(con: duckdb.DuckDBPyConnection, username: str | None, action: str, target: str = "",
           detail: str = "", at: dt.datetime | None = None) -> None:
    """Append one entry. `action` is one of ACTIONS; `target` names the thing acted on (a file, a
    batch, an account); `detail` says more in plain words. Never pass a password."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    # The id is taken first (not a column default): a DuckLake store has no sequences (kpi.store.lake).
    con.execute("INSERT INTO audit_log (id, logged_at, username, action, target, detail) "
                "VALUES ($id, $logged_at, $username, $action, $target, $detail)",
                {"id": next_id(con, "audit_log_ids"), "logged_at": at or dt.datetime.now().replace(microsecond=0),
                 "username": username, "action": action, "target": target, "detail": detail})


_ENTRIES = ("SELECT " + ", ".join(COLUMNS) + """ FROM audit_log
    WHERE (CAST($username AS VARCHAR) IS NULL OR username = $username)
      AND (len(CAST($actions AS VARCHAR[])) = 0 OR list_contains(CAST($actions AS VARCHAR[]), action))
      AND (CAST($start AS DATE) IS NULL OR CAST(logged_at AS DATE) >= $start)
      AND (CAST($end AS DATE) IS NULL OR CAST(logged_at AS DATE) <= $end)
      AND (CAST($usernames AS VARCHAR[]) IS NULL OR list_contains(CAST($usernames AS VARCHAR[]), username))
    ORDER BY id DESC""")


def entries(con: duckdb.DuckDBPyConnection, username: str | None = None, actions: tuple[str, ...] = (),
            start: dt.date | None = None, end: dt.date | None = None,
            usernames: list[str] | None = None) -> pd.DataFrame:
    """Log entries, newest first, filtered by exact user name, actions, the days start..end
    (inclusive) and a list of user names (an administrator's subtree, see kpi.access.roles); every filter
    bound, None / empty = no filter (but an empty `usernames` list keeps nothing)."""
    return con.execute(
        _ENTRIES, {"username": username, "actions": list(actions), "start": start, "end": end,
                   "usernames": usernames}).df()


def users_in_log(con: duckdb.DuckDBPyConnection, usernames: list[str] | None = None) -> list[str]:
    """Every user name that appears in the log (only those in `usernames` unless None), sorted."""
    return [r[0] for r in con.execute(
        """SELECT DISTINCT username FROM audit_log WHERE username IS NOT NULL
             AND (CAST($usernames AS VARCHAR[]) IS NULL OR list_contains(CAST($usernames AS VARCHAR[]), username))
           ORDER BY username""", {"usernames": usernames}).fetchall()]


def note_rules_file(con: duckdb.DuckDBPyConnection, path: Path, username: str | None) -> bool:
    """Record 'rules_changed' when the rules file's content differs from the last one seen (its
    sha256 is kept in meta); the first sighting is only remembered. True when the content changed."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
    seen = store.meta_value(con, "rules_sha256")
    if seen == digest:
        return False
    store.set_meta(con, "rules_sha256", digest)
    if seen is not None:
        record(con, username, "rules_changed", str(path), f"sha256 {seen[:12]} → {digest[:12]}")
    return seen is not None
