"""What every command shares: the exit codes, the `--db` / `--lang` options, the one way to open the
store, writing an output file, and the one mapping from an error to the message the user reads.

Commands raise; `kpi.cli.main` catches and reports through `report_failure`, so every command
answers every failure the same way: one translated message on standard error, exit 2, never a traceback.
"""
from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import duckdb

from kpi import config, store
from kpi.i18n import DEFAULT_LANGUAGE, LANGUAGES, TranslatedError, t
from kpi.importing.commit import SameFile
from kpi.store.unavailable import LockHolder, lock_holder

# The exit-code table. argparse's own refusals (unknown option, bad choice) also exit 2.
EXIT_OK = 0  # done
EXIT_REFUSED = 2  # refused or failed: one message on standard error, nothing written that the message denies


class CliError(TranslatedError):
    """A refusal of the command line itself (store or output unusable), a family: raise one of the
    classes below, each naming its message key `cli.<key>`."""

    prefix = "cli."


class StoreMissing(CliError):
    """The store file does not exist and this command may not create one (a mistyped --db)."""

    key = "db_missing"

    def __init__(self, path: Path):
        super().__init__(path=str(path))


# The refusal of a command a dashboard never takes over, when the dashboard holds the store.
NOT_HANDED_OVER = {"admin": "store_locked_by.dashboard_no_jobs", "copy": "store_locked_by.dashboard_copy"}


class StoreLocked(CliError):
    """Another process holds the store open and did not take the job over (a running dashboard does,
    kpi/cli/handoff.py). `holder` is who holds it (from DuckDB's error; None when it does not say) —
    the message names it: a dashboard that did not answer, another command, any other program; `waited`
    the seconds the command waited for it ([store] lock_wait_seconds); `not_handed_over` names a command
    a dashboard never takes over (admin, copy), refused at once when the dashboard holds the store, with
    that command's own advice (NOT_HANDED_OVER)."""

    key = "store_locked"

    def __init__(self, path: Path, holder: LockHolder | None = None, waited: float = 0.0,
                 not_handed_over: str | None = None):
        self.path, self.holder = path, holder
        params: dict[str, object] = {"path": str(path)}
        if holder is not None:
            # a command the dashboard never takes over (admin): say where to do it instead
            self.key = NOT_HANDED_OVER[not_handed_over] if not_handed_over and holder.kind == "dashboard" \
                else f"store_locked_by.{holder.kind}"
            params.update(pid=holder.pid, program=holder.program, seconds=f"{waited:g}")
        super().__init__(**params)


class StoreReadOnly(CliError):
    """The store (or its folder) cannot be written by this user; opening it migrates and refreshes."""

    key = "store_read_only"

    def __init__(self, path: Path):
        super().__init__(path=str(path))


class NotAStore(CliError):
    """The path names something that is not a DuckDB file (a text file, a folder)."""

    key = "not_a_store"

    def __init__(self, path: Path):
        super().__init__(path=str(path))


class StoreFromNewerDuckDB(CliError):
    """A newer DuckDB (2.0: this dashboard before the 1.5.5 pin) wrote the file; scripts/convert-store.sh."""

    key = "store_newer_duckdb"

    def __init__(self, path: Path):
        super().__init__(path=str(path), version=duckdb.__version__)


class StoreNotCreated(CliError):
    """A command that may create the store cannot make its folder."""

    key = "store_not_created"

    def __init__(self, path: Path, error: OSError):
        super().__init__(path=str(path), detail=_os_detail(error))


class OutputUnwritable(CliError):
    """The output file or folder given with --out cannot be written."""

    key = "out_unwritable.other"

    def __init__(self, path: Path | str, error: OSError):
        self.key = f"out_unwritable.{os_reason(error)}"  # the reason the file system gives, when a message names it
        super().__init__(path=str(path), detail=_os_detail(error))


# DuckDB names why a file cannot be opened only in its message text (no errno); first match wins.
_OPEN_FAILURES: tuple[tuple[str, type[CliError]], ...] = (
    ("Could not set lock on file", StoreLocked),
    ("created with an newer version of DuckDB", StoreFromNewerDuckDB),
    ("created with a newer version of DuckDB", StoreFromNewerDuckDB),
    ("not a valid DuckDB database file", NotAStore),
    ("Is a directory", NotAStore),
    ("Permission denied", StoreReadOnly),
    ("Operation not permitted", StoreReadOnly),
    ("Read-only file system", StoreReadOnly),
)

_OS_REASONS = {
    errno.ENOTDIR: "not_a_directory", errno.EEXIST: "exists", errno.EISDIR: "is_a_directory",
    errno.ENOENT: "not_found", errno.EACCES: "permission", errno.EPERM: "permission",
    errno.EROFS: "read_only_fs", errno.ENOSPC: "no_space", errno.EDQUOT: "no_space",
}


def os_reason(error: OSError) -> str:
    """The message-key suffix naming why the file system refused (`other` when no message names it)."""
    return _OS_REASONS.get(error.errno, "other")


def _os_detail(error: OSError) -> str:
    return error.strerror or str(error)


def add_shared_options(parser: argparse.ArgumentParser) -> None:
    """The options every command takes: the store and the language of its messages."""
    parser.add_argument("--db", help="the store: a DuckDB file, or a DuckLake as ducklake:postgres:<dsn> "
                                     "(default: $DJ_STORE, $DJ_DB or data/dashboard.duckdb)")
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                        help="language of the messages and of what is written (default zh)")


def db_path(args: argparse.Namespace) -> Path | str:
    """The store the command works on: --db, else $DJ_STORE, else $DJ_DB, else data/dashboard.duckdb
    (a file as a Path, a DuckLake's spec as text: `config.store_location`)."""
    return config.store_location(args.db) if args.db else config.db_path([])


# The store a running dashboard lends to a job it took over (kpi/cli/handoff.py), for that job's thread
# only: the job works on the server's own open store instead of opening the file a second time.
HOSTED_STORE: ContextVar[store.Store | None] = ContextVar("hosted_store", default=None)


def _hosted(path: Path | str) -> store.Store | None:
    hosted = HOSTED_STORE.get()
    if hosted is not None and not config.is_lake(path) and hosted.path.resolve() == Path(path).resolve():
        return hosted
    return None


@contextmanager
def opened_store(path: Path | str, *, create: bool = False) -> Iterator[store.Store]:
    """The store at `path`, open for the `with` block and closed after it.

    Only `create=True` (the demo, the first administrator) may make a new file: anywhere else a missing
    file is a mistyped --db, refused with StoreMissing instead of answering from an empty new store.
    A file DuckDB cannot open is refused by cause: StoreLocked, StoreReadOnly, NotAStore. A DuckLake
    (`ducklake:…`) is opened beside any servers on it; one that cannot be reached is refused by
    kpi.store.lake (LakeCatalogDown, LakeExtensionMissing).
    """
    if config.is_lake(path):
        opened = store.open_store(path)
        try:
            yield opened
        finally:
            opened.close()
        return
    if not create and not path.exists():
        raise StoreMissing(path)
    hosted = _hosted(path)
    if hosted is not None:  # a job the dashboard took over: its store stays open after the job
        yield hosted
        return
    try:
        opened = store.open_store(path)
    except duckdb.Error as exc:
        raise _open_failure(exc, path) from exc
    except OSError as exc:  # the folder of a new store cannot be made
        raise StoreNotCreated(path, exc) from exc
    try:
        yield opened
    finally:
        opened.close()


def _open_failure(exc: duckdb.Error, path: Path) -> Exception:
    for marker, refusal in _OPEN_FAILURES:
        if marker in str(exc):
            return StoreLocked(path, lock_holder(exc)) if refusal is StoreLocked else refusal(path)
    return exc


def write_output(path: Path, data: bytes) -> None:
    """Write `data` to the --out file; OutputUnwritable when the file system refuses."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OutputUnwritable(path, exc) from exc


def _same_file_with_hint(exc: SameFile, lang: str) -> str:
    return f"{exc.message(lang)}\n{t('cli.force_hint', lang)}"


def _refusal_text(exc: TranslatedError, lang: str) -> str:
    return exc.message(lang)


def _unexpected(exc: Exception, lang: str) -> str:
    return t("cli.unexpected", lang, kind=type(exc).__name__, detail=str(exc))


# The one table from a failure's class to its exit code and the message the user reads; the first row
# whose class matches wins. Every refusal is a TranslatedError (one class per failure, each with its own
# text); the same file uploaded again also says how to load it anyway; anything else is one line naming it.
FAILURES: tuple[tuple[type[BaseException], int, Callable[[Any, str], str]], ...] = (
    (SameFile, EXIT_REFUSED, _same_file_with_hint),
    (TranslatedError, EXIT_REFUSED, _refusal_text),
    (Exception, EXIT_REFUSED, _unexpected),
)


def _failure_row(exc: Exception) -> tuple[int, Callable[[Any, str], str]]:
    return next((code, text) for kind, code, text in FAILURES if isinstance(exc, kind))


def failure_message(exc: Exception, lang: str) -> str:
    """The one message a failure shows, by its class (see FAILURES)."""
    return _failure_row(exc)[1](exc, lang)


def report_failure(exc: Exception, lang: str) -> int:
    """Print the failure's message on standard error; returns its exit code (see FAILURES)."""
    print(failure_message(exc, lang), file=sys.stderr)
    return _failure_row(exc)[0]
