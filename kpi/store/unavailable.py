"""Why a store file cannot be opened, for the dashboard's page and the command line alike.

DuckDB names the cause only in its message text (no errno): `unavailable_reason` reads it; `lock_holder`
reads which process holds the file (DuckDB's lock error names its program and PID) and what kind of
process that is (the dashboard, another `python -m kpi` command, anything else), from /proc.
`StoreUnavailable` is the page's refusal: one message saying what is wrong and what to do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kpi.i18n import TranslatedError

# DuckDB's words for each cause, first match wins (checked on DuckDB 2.0.0 and 1.5.5).
_REASONS: tuple[tuple[str, str], ...] = (
    ("Could not set lock on file", "locked"),
    ("created with an newer version of DuckDB", "newer_duckdb"),
    ("created with a newer version of DuckDB", "newer_duckdb"),
    ("not a valid DuckDB database file", "not_a_store"),
    ("Is a directory", "not_a_store"),
    ("Permission denied", "read_only"),
    ("Operation not permitted", "read_only"),
    ("Read-only file system", "read_only"),
)
# 'Conflicting lock is held in /usr/bin/python3.11 (PID 16141)'
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def unavailable_reason(error: BaseException) -> str | None:
    """'locked', 'newer_duckdb', 'not_a_store' or 'read_only' when DuckDB's error says so, else None."""
    text = str(error)
    return next((reason for marker, reason in _REASONS if marker in text), None)


@dataclass(frozen=True)
class LockHolder:
    """The process holding a store's lock: its PID, program, and kind — 'dashboard' (a Streamlit
    server), 'command' (another `python -m kpi`), 'other'."""

    pid: int
    program: str
    kind: str


def _command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone already, or another OS: the kind stays 'other'
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def holder_kind(command_line: list[str]) -> str:
    """'dashboard' for `… streamlit run …`, 'command' for `python -m kpi …`, else 'other'."""
    if any("streamlit" in part for part in command_line[:3]) and "run" in command_line:
        return "dashboard"
    if any(command_line[i:i + 2] == ["-m", "kpi"] for i in range(len(command_line))):
        return "command"
    return "other"


def lock_holder(error: BaseException) -> LockHolder | None:
    """Who holds the lock DuckDB's error is about; None when its text names no PID."""
    found = _HOLDER.search(str(error))
    if found is None:
        return None
    pid = int(found["pid"])
    return LockHolder(pid, found["program"], holder_kind(_command_line(pid)))


class StoreUnavailable(TranslatedError):
    """The dashboard cannot open its store (a family; keys store.unavailable.<reason>): each message
    says what is wrong and what to do. Param `path`; the locked one also `holder` (its PID)."""

    prefix = "store.unavailable."


class StoreLockedByOther(StoreUnavailable):
    """Another process holds the file's lock; params `pid`, `program` (from DuckDB's error)."""

    key = "locked"


class StoreLockedUnknown(StoreUnavailable):
    """Another process holds the file's lock and DuckDB's error does not say which."""

    key = "locked_unknown"


class StoreNotDuckDB(StoreUnavailable):
    """The path is not a DuckDB file (a text file, a folder)."""

    key = "not_a_store"


class StoreNotWritable(StoreUnavailable):
    """The file or its folder cannot be written by the dashboard's user (opening migrates)."""

    key = "read_only"


class StoreFromNewerDuckDB(StoreUnavailable):
    """A newer DuckDB wrote the file (DuckDB 2.0: this dashboard before the 1.5.5 pin); this one cannot
    read it; params `path`, `version` (this DuckDB's). scripts/convert-store.sh converts it."""

    key = "newer_duckdb"


def page_refusal(error: BaseException, path: Path) -> StoreUnavailable | None:
    """The page's message for a store that failed to open with `error`; None when it is no known cause."""
    reason = unavailable_reason(error)
    if reason == "locked":
        holder = lock_holder(error)
        if holder is None:
            return StoreLockedUnknown(path=str(path))
        return StoreLockedByOther(path=str(path), pid=holder.pid, program=holder.program)
    if reason == "newer_duckdb":
        return StoreFromNewerDuckDB(path=str(path), version=duckdb.__version__)
    for cause, refusal in (("not_a_store", StoreNotDuckDB), ("read_only", StoreNotWritable)):
        if reason == cause:
            return refusal(path=str(path))
    return None
